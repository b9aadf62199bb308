#!/usr/bin/env bash
# --verbose on up, revert, plan and status: every statement sent, migrate's
# own lock, history and catalogue queries too, one entry each on stderr as
# "-- <ms> ms  <statement>", the lines after the first indented; never the
# password of the URL. Without --verbose, none.
. "$(dirname "$0")/lib.sh"

new_db
migration 0001_t.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY,
  a text);
SQL
vmg() {
	"$MIGRATE" --db "$CONN password=sekrit-$$" --dir "$MIG" "$@"
}
ENTRY='^-- [0-9]+\.[0-9] ms  '

expect_exit 0 vmg up --verbose
expect_match "$ERR" "${ENTRY}SELECT pg_try_advisory_lock\("
expect_match "$ERR" "${ENTRY}CREATE SCHEMA IF NOT EXISTS \"migrate\"$"
expect_match "$ERR" "${ENTRY}BEGIN$"
expect_match "$ERR" "${ENTRY}CREATE TABLE t \(id bigint PRIMARY KEY,$"
grep -A1 -E "${ENTRY}CREATE TABLE t \(" "$ERR" | tail -1 | grep -qxF "      a text)" ||
	fail "the second line of a statement is not indented: $(grep -A1 'CREATE TABLE t (' "$ERR")"
expect_match "$ERR" "${ENTRY}INSERT INTO \"migrate\".history "
expect_match "$ERR" "${ENTRY}COMMIT$"
expect_match "$ERR" "${ENTRY}SELECT pg_advisory_unlock\("
# one entry a statement: the table is created once
expect_eq "entries for CREATE TABLE t" "$(grep -cE "${ENTRY}CREATE TABLE t " "$ERR")" 1
expect_not_contains "$ERR" "sekrit"
# progress stays on stdout
expect_contains "$OUT" "expanding 1_t ..."
expect_not_contains "$OUT" " ms  "
[ "$(q "SELECT phase FROM migrate.history WHERE version = 1")" = contracted ] || fail "not applied"

# every line of stderr is an entry or a continuation of one
if grep -vE "${ENTRY}|^    " "$ERR" | grep -q .; then
	fail "stray lines in the trace: $(grep -vE "${ENTRY}|^    " "$ERR")"
fi

expect_exit 0 vmg status --verbose
expect_match "$ERR" "${ENTRY}SELECT 1 FROM pg_tables WHERE schemaname = \\\$1 AND tablename = 'history'$"
expect_match "$ERR" "${ENTRY}SELECT version, name, checksum, phase, .* FROM \"migrate\".history ORDER BY version$"
expect_not_contains "$ERR" "sekrit"
expect_match "$OUT" "^1 +t +contracted"

migration 0002_u.sql <<'SQL'
ALTER TABLE t ADD COLUMN u text;
SQL
expect_exit 0 vmg plan --verbose
expect_match "$ERR" "${ENTRY}SELECT version, name, checksum, phase, .* FROM \"migrate\".history ORDER BY version$"
expect_not_contains "$ERR" "sekrit"
# the plan itself is on stdout, not traced as run
expect_contains "$OUT" "ALTER TABLE t ADD COLUMN u text;"
expect_not_contains "$ERR" "ALTER TABLE t ADD COLUMN u"
rm "$MIG/0002_u.sql"

expect_exit 0 vmg revert --verbose
expect_match "$ERR" "${ENTRY}SELECT pg_try_advisory_lock\("
expect_match "$ERR" "${ENTRY}INSERT INTO \"migrate\".history AS h "
expect_match "$ERR" "${ENTRY}INSERT INTO \"migrate\".events "
expect_not_contains "$ERR" "sekrit"
expect_exit 0 vmg revert --verbose
expect_match "$ERR" "${ENTRY}DROP TABLE "
expect_match "$ERR" "${ENTRY}DELETE FROM \"migrate\".history WHERE version = \\\$1$"
[ "$(q "SELECT to_regclass('t') IS NULL")" = t ] || fail "t not dropped by the revert"

# without --verbose: no trace
expect_exit 0 vmg up
expect_not_contains "$ERR" " ms  "
expect_empty "$ERR"
pass
