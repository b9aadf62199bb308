#!/usr/bin/env bash
# kill -9 in the middle of a backfill. MIGRATE_TEST_CRASH_AFTER_BATCHES=N
# makes `migrate up` SIGKILL itself after N batches of a backfill. The batches
# that committed stay, their cursor in migrate.backfills says where; the next
# `up` continues from there (not from the start) and the data ends complete
# and right. After a revert of the interrupted expand, expanding again fills
# every row: the cursor of the reverted run is not followed.
. "$(dirname "$0")/lib.sh"

migrate_gone() {
	wait_for "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity
		WHERE application_name LIKE 'migrate %' AND datname = current_database())"
}

# cursor: "last_key rows" of the one backfill cursor there is.
cursor() {
	q "SELECT string_agg(last_key || ' ' || rows, ',') FROM migrate.backfills"
}

all_right() {
	expect_q "rows" "SELECT count(*) FROM t" 3000
	expect_q "c equal to a" "SELECT count(*) FROM t WHERE c IS DISTINCT FROM a OR c IS NULL" 0
	expect_q "q shadow equal" "SELECT count(*) FROM t WHERE q__v2 IS DISTINCT FROM id * 3" 0
	no_leftovers "$1"
}

CASE=crash
new_db
migration 0001_setup.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, a text, q int);
INSERT INTO t SELECT g, 'v' || g, g * 3 FROM generate_series(1, 3000) g;
SQL
migration 0002_change.sql <<'SQL'
ALTER TABLE t RENAME COLUMN a TO c;
ALTER TABLE t ALTER COLUMN q TYPE bigint;
SQL
expect_exit 0 mg up --to 1
data_snapshot crash.before

# killed after 5 batches of 100 in the first backfill
MIGRATE_TEST_CRASH_AFTER_BATCHES=5 expect_exit $KILLED mg up --phase expand --batch-size 100
migrate_gone
expect_eq "cursor after the first crash" "$(cursor)" "500 500"
expect_q "rows backfilled before the crash" "SELECT count(c) FROM t" 500
expect_q "the rows backfilled are the first keys" "SELECT max(id) FROM t WHERE c IS NOT NULL" 500
expect_exit 0 mg status --format json
json_check "$OUT" "d['migrations'][1]['phase'] == 'pending'" "d['migrations'][1].get('interrupted') is True"

# the app writes meanwhile, ahead of and behind the cursor
sql -c "UPDATE t SET a = 'w' || id WHERE id IN (10, 2000); INSERT INTO t VALUES (3001, 'v3001', 9003)" >/dev/null ||
	fail "writes between the crashes failed"

# resumed: the first backfill finishes from key 500, the second is killed after 27 batches
MIGRATE_TEST_CRASH_AFTER_BATCHES=27 expect_exit $KILLED mg up --phase expand --batch-size 100
expect_contains "$OUT" "resuming"
expect_contains "$OUT" "backfill t.c: 600 "
migrate_gone
expect_q "the first backfill is done" "SELECT count(*) FROM t WHERE c IS DISTINCT FROM a" 0
expect_eq "cursor after the second crash" "$(cursor)" "2700 2700"

expect_exit 0 mg up --phase expand --batch-size 100
expect_contains "$OUT" "resuming"
expect_eq "phase" "$(phase_of 2)" expanded
sql -c "DELETE FROM t WHERE id = 3001" >/dev/null
all_right "after resuming"
expect_q "the app's writes kept" "SELECT string_agg(c, ' ' ORDER BY id) FROM t WHERE id IN (10, 2000)" "w10 w2000"
sql -c "UPDATE t SET a = 'v' || id WHERE id IN (10, 2000)" >/dev/null
expect_exit 0 mg up --phase contract
expect_q "after contract" "SELECT count(*) FROM t WHERE c IS DISTINCT FROM 'v' || id OR q IS DISTINCT FROM id * 3" 0
expect_exit 0 mg revert --to 1
data_snapshot crash.reverted
expect_same crash.before crash.reverted "not back at the start after crash, resume and revert"

# ---- an interrupted expand reverted, then expanded again: no stale cursor ----
MIGRATE_TEST_CRASH_AFTER_BATCHES=3 expect_exit $KILLED mg up --phase expand --batch-size 100
migrate_gone
expect_eq "cursor" "$(cursor)" "300 300"
expect_exit 0 mg revert --to 1
data_snapshot crash.reverted2
expect_same crash.before crash.reverted2 "reverting an interrupted expand is not back at the start"
expect_exit 0 mg up --phase expand --batch-size 100
all_right "after expanding again"

pass
