#!/usr/bin/env bash
# The app keeps writing while the backfill runs: an old-app session updates
# and inserts rows through the old column name (ahead of and behind the
# backfill's cursor), a new-app session through the new one. Nothing is lost:
# afterwards old and new columns are equal on every row, the shadow of the
# retyped column matches it, and every write of both sessions is there.
. "$(dirname "$0")/lib.sh"

ROWS=20000
ITERATIONS=1500

CASE=concurrent
new_db
migration 0001_setup.sql <<SQL
CREATE TABLE t (id bigint PRIMARY KEY, a text, q int);
INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, $ROWS) g;
SQL
migration 0002_change.sql <<'SQL'
ALTER TABLE t RENAME COLUMN a TO c;
ALTER TABLE t ALTER COLUMN q TYPE bigint;
SQL
expect_exit 0 mg up --to 1

# the two apps: a fixed number of autocommit statements each, spread over the table
python3 - "$ROWS" "$ITERATIONS" >"$T/old_app.sql" <<'PY'
import random, sys
rows, n = int(sys.argv[1]), int(sys.argv[2])
random.seed(1)
print("\\set ON_ERROR_STOP 1")
for i in range(n):
    k = random.randint(1, rows)
    print(f"UPDATE t SET a = 'old{i}', q = q + 1 WHERE id = {k};")
    print(f"INSERT INTO t (id, a, q) VALUES ({100000 + i}, 'old-ins{i}', {i});")
    if i % 10 == 0:
        print("SELECT pg_sleep(0.01);")
PY
python3 - "$ROWS" "$ITERATIONS" >"$T/new_app.sql" <<'PY'
import random, sys
rows, n = int(sys.argv[1]), int(sys.argv[2])
random.seed(2)
print("\\set ON_ERROR_STOP 1")
# the new app starts once the new name exists
print("SELECT pg_sleep(0.05) FROM generate_series(1, 200) WHERE NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'c');")
for i in range(n // 3):
    k = random.randint(1, rows)
    print(f"UPDATE t SET c = 'new{i}' WHERE id = {k} AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'c');")
    if i % 10 == 0:
        print("SELECT pg_sleep(0.02);")
PY

psql "$CONN" -X -q -f "$T/old_app.sql" >"$T/old_app.out" 2>&1 &
OLD_APP=$!
BACKGROUND+=("$OLD_APP")
wait_for "SELECT count(*) > 20 FROM t WHERE id > 100000"
writes_before=$(q "SELECT count(*) FROM t WHERE id > 100000")

psql "$CONN" -X -q -f "$T/new_app.sql" >"$T/new_app.out" 2>&1 &
NEW_APP=$!
BACKGROUND+=("$NEW_APP")

expect_exit 0 mg up --phase expand --batch-size 50 --batch-delay 5ms
writes_after=$(q "SELECT count(*) FROM t WHERE id > 100000")
echo "old app inserts: $writes_before before the expand, $writes_after at its end (of $ITERATIONS)"
[ "$writes_after" -gt "$writes_before" ] ||
	fail "the old app wrote nothing while the backfill ran ($writes_before, $writes_after): no overlap to test"
[ "$writes_after" -lt "$ITERATIONS" ] ||
	echo "note: the old app finished before the expand did" >&2

wait "$OLD_APP" || { cat "$T/old_app.out" >&2; fail "the old app's writes failed"; }
wait "$NEW_APP" || { cat "$T/new_app.out" >&2; fail "the new app's writes failed"; }

expect_q "every insert is there" "SELECT count(*) FROM t" $((ROWS + ITERATIONS))
expect_q "rows where the old and the new column differ" "SELECT count(*) FROM t WHERE c IS DISTINCT FROM a" 0
expect_q "rows without a value under the new name" "SELECT count(*) FROM t WHERE c IS NULL" 0
expect_q "rows where the shadow of q differs" "SELECT count(*) FROM t WHERE q__v2 IS DISTINCT FROM q" 0
expect_q "the old app's last update of a row wins" \
	"SELECT count(*) FROM t WHERE a NOT LIKE 'old%' AND a NOT LIKE 'new%' AND a <> 'v' || id" 0
expect_q "updates seen" "SELECT count(*) > 0 FROM t WHERE a LIKE 'new%'" t
no_leftovers "after the concurrent expand"

expect_exit 0 mg up --phase contract
expect_q "rows after contract" "SELECT count(*) FROM t WHERE c IS NULL OR q IS NULL" 0
expect_q "the type after contract" "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'q'" bigint

# ---- a write the trash copy cannot see ----
# Contract copies the dropped column to migrate_trash before its lock. A
# session that wrote a row before the copy began and commits after it (its
# lock makes the DROP wait) would leave the old value in the trash; the write
# log that contract starts in a transaction of its own keeps the new one, and
# revert restores it.
CASE=trash_race
new_db trash_race
migration 0001_setup.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, a text, b int);
INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, 500) g;
SQL
migration 0002_change.sql <<'SQL'
ALTER TABLE t RENAME COLUMN a TO c;
SQL
expect_exit 0 mg up --to 1
expect_exit 0 mg up --phase expand
# kill -9 in contract's second transaction: the write log is there, a too
MIGRATE_TEST_CRASH_AFTER=9 expect_exit $KILLED mg up --phase contract
# the log is w2_t_a and a hash of the column's whole name (names_make_apart)
LOG_OF_A="SELECT tablename FROM pg_tables WHERE schemaname = 'migrate_trash' AND tablename ~ '^w2_t_a_[0-9a-f]{8}\$'"
expect_q "the write log after the first transaction" "SELECT count(*) FROM ($LOG_OF_A) AS l" 1
expect_q "a after the first transaction" "SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'a'" 1
psql "$CONN" -X -q -v ON_ERROR_STOP=1 >"$T/late.out" 2>&1 <<'SQL' &
BEGIN;
UPDATE t SET c = 'late' WHERE id = 1;
SELECT pg_sleep(2);
COMMIT;
SQL
LATE=$!
BACKGROUND+=("$LATE")
wait_for "SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(2)%' AND state = 'active'"
expect_exit 0 mg up --phase contract --lock-timeout 30s
wait "$LATE" || { cat "$T/late.out" >&2; fail "trash_race: the late write failed"; }
expect_q "the copy saw the value before the late write" "SELECT a FROM migrate_trash.v2_t_a WHERE id = 1" v1
expect_q "the write log has the late write" "SELECT a FROM migrate_trash.\"$(q "$LOG_OF_A")\" WHERE id = 1" late
expect_exit 0 mg revert --steps 1
expect_q "a after reverting contract" "SELECT a || ' ' || c FROM t WHERE id = 1" "late late"
expect_q "rows where a and c differ after the revert" "SELECT count(*) FROM t WHERE a IS DISTINCT FROM c" 0
expect_exit 0 mg revert --steps 1
expect_q "the trash after reverting both phases" "SELECT count(*) FROM pg_tables WHERE schemaname = 'migrate_trash'" 0

pass
