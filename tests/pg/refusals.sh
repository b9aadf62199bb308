#!/usr/bin/env bash
# What `migrate up` refuses, each with its message and exit code, and a
# database that is exactly as it was (catalogue, rows, history, trash).
. "$(dirname "$0")/lib.sh"

# unchanged_since FILE WHAT: the database state equals the one saved in FILE.
unchanged_since() {
	db_state "$1.now"
	expect_same "$1" "$1.now" "$2 changed the database"
}

# ---- a file changed after it was applied ----
new_db drift
migration 0001_users.sql <<'SQL'
CREATE TABLE users (id bigint PRIMARY KEY, email text);
SQL
expect_exit 0 mg up
sql -c "INSERT INTO users VALUES (1, 'a@example.com')" >/dev/null
echo "ALTER TABLE users ADD COLUMN name text;" >>"$MIG/0001_users.sql"
migration 0002_orders.sql <<'SQL'
CREATE TABLE orders (id bigint PRIMARY KEY);
SQL
db_state drift.state
expect_exit 2 mg up
expect_contains "$ERR" "$MIG/0001_users.sql"
expect_contains "$ERR" "checksum"
unchanged_since drift.state "a refused drifted run"
expect_exit 0 mg status --format json
json_check "$OUT" "[m['drift'] for m in d['migrations']] == [True, False]" \
	"[m['phase'] for m in d['migrations']] == ['contracted', 'pending']"
# on purpose: the pending migration goes through, the drifted one stays as applied
expect_exit 0 mg up --allow-drift
[ "$(q "SELECT to_regclass('orders') IS NOT NULL")" = t ] || fail "--allow-drift did not apply 0002"
[ "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'name'")" = 0 ] ||
	fail "--allow-drift re-ran an applied migration"

# ---- an applied migration whose file is not in this checkout: another branch's ----
new_db missing
migration 0001_users.sql <<'SQL'
CREATE TABLE users (id bigint PRIMARY KEY);
SQL
migration 0002_orders.sql <<'SQL'
CREATE TABLE orders (id bigint PRIMARY KEY);
SQL
expect_exit 0 mg up
rm "$MIG/0002_orders.sql"
migration 0003_items.sql <<'SQL'
CREATE TABLE items (id bigint PRIMARY KEY);
SQL
expect_exit 0 mg up
expect_contains "$OUT" "note: 2_orders is contracted in the database but not in this checkout"
expect_not_contains "$OUT" "revert --to"
expect_not_contains "$ERR" "revert --to"
[ "$(q "SELECT to_regclass('items') IS NOT NULL AND to_regclass('orders') IS NOT NULL")" = t ] ||
	fail "up did not go on past another branch's migration"
expect_exit 0 mg status --format json
json_check "$OUT" "[(m['version'], m['phase']) for m in d['migrations']] == [(1, 'contracted'), (2, 'contracted'), (3, 'contracted')]" \
	"[m['drift'] for m in d['migrations']] == [False, False, False]" \
	"[m['in_checkout'] for m in d['migrations']] == [True, False, True]"
# revert needs no file: the undo is in the history
expect_exit 0 mg revert --to 1
[ "$(q "SELECT to_regclass('orders') IS NULL")" = t ] || fail "revert of a migration without its file"
expect_exit 0 mg up
[ "$(q "SELECT to_regclass('items') IS NOT NULL")" = t ] || fail "up after reverting the missing one"

# ---- a syntax error: nothing applied, not even the migrations before it ----
new_db syntax
migration 0001_users.sql <<'SQL'
CREATE TABLE users (id bigint PRIMARY KEY);
SQL
migration 0002_typo.sql <<'SQL'
-- migrate:expand
CREATE TABLE orders (id bigint PRIMARY KEY);
ALTER TABEL orders ADD COLUMN note text;
SQL
db_state syntax.state
expect_exit 2 mg up
expect_contains "$ERR" "$MIG/0002_typo.sql:3:7:"
expect_contains "$ERR" 'syntax error at or near "TABEL"'
unchanged_since syntax.state "a run with a syntax error"
[ "$(q "SELECT to_regnamespace('migrate') IS NULL")" = t ] || fail "a refused run created the history"

# ---- lint errors: exit 1, nothing applied ----
new_db lint
migration 0001_users.sql <<'SQL'
CREATE TABLE users (id bigint PRIMARY KEY, legacy text);
SQL
expect_exit 0 mg up
migration 0002_items.sql <<'SQL'
CREATE TABLE items (id bigint PRIMARY KEY);
SQL
migration 0003_drop.sql <<'SQL'
-- migrate:expand
ALTER TABLE users DROP COLUMN legacy;
SQL
db_state lint.state
expect_exit 1 mg up
expect_contains "$ERR" "$MIG/0003_drop.sql:2:"
expect_contains "$ERR" "error[drop-column]"
expect_contains "$ERR" "nothing was applied"
unchanged_since lint.state "a run with lint errors"

# ---- an unreachable database: exit 3, and the password never printed ----
MIG="$T/unreachable"
mkdir -p "$MIG"
migration 0001_users.sql <<'SQL'
CREATE TABLE users (id bigint PRIMARY KEY);
SQL
expect_exit 3 "$MIGRATE" --db 'postgresql://u:secret@127.0.0.1:1/x' --dir "$MIG" up
expect_contains "$ERR" "cannot connect"
expect_contains "$ERR" "127.0.0.1"
expect_not_contains "$ERR" "secret"
expect_not_contains "$OUT" "secret"
expect_exit 3 "$MIGRATE" --db 'postgresql://u:secret@127.0.0.1:1/x' --dir "$MIG" status
expect_not_contains "$ERR" "secret"
expect_exit 3 "$MIGRATE" --db 'host=127.0.0.1 port=1 user=u password=secret dbname=x' --dir "$MIG" revert
expect_contains "$ERR" "cannot connect"
expect_not_contains "$ERR" "secret"

# ---- a statement that fails midway: the phase rolled back, history as it was ----
new_db midway
migration 0001_t.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, a text);
SQL
expect_exit 0 mg up
sql -c "INSERT INTO t VALUES (1, 'x'), (2, 'y')" >/dev/null
migration 0002_fails.sql <<'SQL'
-- migrate:expand
CREATE TABLE u (id bigint PRIMARY KEY);
ALTER TABLE t ADD COLUMN b text;
SELECT 1 / (count(*) - count(*)) FROM t;
CREATE TABLE w (id bigint PRIMARY KEY);
SQL
db_state midway.state
expect_exit 3 mg up
expect_contains "$ERR" "$MIG/0002_fails.sql:4:"
expect_contains "$ERR" "division by zero"
unchanged_since midway.state "a phase that failed midway"
expect_eq "failed event" \
	"$(q "SELECT command || ' ' || version || ' ' || phase || ' ' || outcome || ' ' || (detail LIKE '%division by zero%') FROM migrate.events WHERE outcome <> 'ok' ORDER BY id")" \
	"up 2 expand failed true"
# a missing table, the same
sed -i 's|^SELECT 1 / .*|SELECT count(*) FROM no_such_table;|' "$MIG/0002_fails.sql"
expect_exit 3 mg up
expect_contains "$ERR" "$MIG/0002_fails.sql:4:"
expect_contains "$ERR" "no_such_table"
unchanged_since midway.state "a phase that failed on a missing table"
[ "$(q "SELECT count(*) FROM migrate.events WHERE version = 2 AND outcome = 'failed'")" = 2 ] ||
	fail "the second failure has no event"
pass
