#!/usr/bin/env bash
# Reverting a contract never overwrites a value the app wrote after it. A
# rename, a type change and a plain DROP COLUMN are contracted; the app then
# updates rows through the columns that survived (to NULL too), inserts rows
# and deletes some; the revert (small batches, killed between two of them,
# run again) gives every row its newest value in both columns of each pair,
# and the rows nobody touched the values they held before the contract.
. "$(dirname "$0")/lib.sh"

CASE=newest
new_db newest
migration 0001_setup.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, a text, q int NOT NULL DEFAULT 0, d text DEFAULT 'dd', n int);
CREATE INDEX t_a_idx ON t (a);
CREATE INDEX t_d_idx ON t (d);
INSERT INTO t SELECT g, CASE WHEN g % 100 = 0 THEN NULL ELSE 'v' || g END, g * 3,
	CASE WHEN g % 50 = 0 THEN NULL ELSE 'd' || g END, g FROM generate_series(1, 2000) g;
SQL
migration 0002_change.sql <<'SQL'
-- migrate:expand
ALTER TABLE t RENAME COLUMN a TO c;
ALTER TABLE t ALTER COLUMN q TYPE bigint;
-- migrate:contract
ALTER TABLE t DROP COLUMN d;
SQL
expect_exit 0 mg up --to 1
expect_exit 0 mg up --phase expand --batch-size 500
expect_exit 0 mg up --phase contract
[ "$(phase_of 2)" = contracted ] || fail "0002 is $(phase_of 2) after contract"

# the new app, after the contract: c, q (bigint now), no d
sql >/dev/null <<'SQL' || fail "the app's writes after the contract failed"
UPDATE t SET c = 'new' || id WHERE id % 7 = 0;
UPDATE t SET c = NULL WHERE id = 14;
UPDATE t SET q = id * 1000 + 1 WHERE id % 9 = 0;
UPDATE t SET n = -n WHERE id % 5 = 0;
INSERT INTO t (id, c, q) VALUES (5001, 'ins1', 11), (5002, NULL, 12);
DELETE FROM t WHERE id % 11 = 0;
SQL

# the revert plans its restores in batches, says so, and what takes a long lock
expect_exit 0 mg revert --dry-run
expect_contains "$OUT" "-- restore: keyset batches, each its own transaction"
expect_not_contains "$OUT" "long lock"

# killed between two batches of 100 of a restore, then run again
MIGRATE_TEST_CRASH_AFTER_BATCHES=3 expect_exit $KILLED mg revert --batch-size 100
[ "$(phase_of 2)" = contracted ] || fail "0002 is $(phase_of 2) after the killed revert"
expect_q "the killed revert's progress is kept" \
	"SELECT count(*) > 0 FROM migrate.backfills WHERE version = 2 AND unit < 0" t
expect_exit 0 mg revert --batch-size 100
expect_contains "$OUT" "resuming after step"
[ "$(phase_of 2)" = expanded ] || fail "0002 is $(phase_of 2) after the revert"
no_leftovers "after the revert"

expect_q "rows" "SELECT count(*) FROM t" "$(( 2000 - 2000 / 11 + 2 ))"
# the rename: a and c agree, and hold the newest value
expect_q "rows where a and c differ" "SELECT count(*) FROM t WHERE a IS DISTINCT FROM c" 0
expect_q "rows updated after the contract" \
	"SELECT count(*) FROM t WHERE id % 7 = 0 AND id <> 14 AND a IS DISTINCT FROM 'new' || id" 0
expect_q "a row set to NULL after the contract" "SELECT coalesce(a, 'NULL') || ' ' || coalesce(c, 'NULL') FROM t WHERE id = 14" "NULL NULL"
expect_q "rows not touched" \
	"SELECT count(*) FROM t WHERE id <= 2000 AND id % 7 <> 0 AND a IS DISTINCT FROM CASE WHEN id % 100 = 0 THEN NULL ELSE 'v' || id END" 0
expect_q "rows inserted after the contract" "SELECT string_agg(coalesce(a, 'NULL'), ' ' ORDER BY id) FROM t WHERE id > 5000" "ins1 NULL"
# the type change: q is integer again, its shadow the bigint, both the newest
expect_q "q's type" "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'q'" integer
expect_q "rows where q and its shadow differ" "SELECT count(*) FROM t WHERE q IS DISTINCT FROM q__v2" 0
expect_q "q's newest values" \
	"SELECT count(*) FROM t WHERE id <= 2000 AND q IS DISTINCT FROM CASE WHEN id % 9 = 0 THEN id * 1000 + 1 ELSE id * 3 END" 0
expect_q "q of inserted rows" "SELECT string_agg(q::text, ' ' ORDER BY id) FROM t WHERE id > 5000" "11 12"
expect_q "q NOT NULL again" "SELECT attnotnull FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'q'" t
# the plain drop: d's values back from the trash, the default for new rows
expect_q "d of rows that were there" \
	"SELECT count(*) FROM t WHERE id <= 2000 AND d IS DISTINCT FROM CASE WHEN id % 50 = 0 THEN NULL ELSE 'd' || id END" 0
expect_q "d of rows inserted after the contract" "SELECT string_agg(d, ' ' ORDER BY id) FROM t WHERE id > 5000" "dd dd"
expect_q "d's index" "SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('t_d_idx') AND indisvalid" 1
expect_q "the untouched column" "SELECT count(*) FROM t WHERE n IS DISTINCT FROM CASE WHEN id % 5 = 0 THEN -id ELSE id END AND id <= 2000" 0

# the old app writes again: both names and the shadow follow
sql >/dev/null <<'SQL' || fail "the old app's writes after the revert failed"
UPDATE t SET a = 'old' WHERE id = 1;
UPDATE t SET q = 77 WHERE id = 2;
SQL
expect_q "old app writes" "SELECT c || ' ' || (SELECT q__v2 FROM t WHERE id = 2) FROM t WHERE id = 1" "old 77"
expect_exit 0 mg revert --batch-size 100
[ "$(phase_of 2)" = pending ] || fail "0002 is $(phase_of 2) after reverting expand"
expect_q "the trash after reverting both phases" "SELECT count(*) FROM pg_tables WHERE schemaname = 'migrate_trash'" 0

pass
