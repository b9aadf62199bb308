#!/usr/bin/env bash
# The branches cases SQLite has (it has no planner): on one database file,
# branch B's migration without a file in A does not block A's up, status
# lists it as another branch's, A's lower version applies out of order
# (--strict-order refuses it); applied migrations are replayed, not judged
# (a rule turned on later, an allow comment added: neither blocks nor
# drifts; a changed statement is drift); a history of layout 1 is upgraded
# once; plan notes what it cannot see of migrations not applied yet.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../sqlite/lib.sh"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# shellcheck disable=SC2034 # read by at (lib.sh)
URL="sqlite:$DB"
main=$(checkout main)
a=$(checkout a)
b=$(checkout b)
for dir in "$main" "$a" "$b"; do
	add "$dir" 0001_users.sql <<<'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);'
done
expect_exit 0 at "$main" up
add "$b" 0005_b_nick.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN nick TEXT;\n-- migrate:contract\n'
add "$a" 0004_a_phone.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN phone TEXT;\n-- migrate:contract\n'
expect_exit 0 at "$b" up --phase expand
hist() { q "SELECT group_concat(version || ':' || phase, ' ') FROM (SELECT * FROM _migrate_history ORDER BY version)"; }
before=$(hist)
expect_exit 2 at "$a" up --strict-order
expect_contains "$ERR" "4_a_phone is numbered below 5_b_nick, applied already: strict order refuses to apply it"
[ "$(hist)" = "$before" ] || fail "a refused strict-order run wrote to the history"
expect_exit 0 at "$a" up --phase expand
expect_contains "$OUT" "note: 5_b_nick is expanded in the database but not in this checkout"
expect_contains "$OUT" "applying 4_a_phone out of order: 5 is applied already"
[ "$(hist)" = "1:contracted 4:expanded 5:expanded" ] || fail "history: $(hist)"
[ "$(q "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('users') ORDER BY name)")" = "email,id,nick,phone" ] ||
	fail "A's expand did not run next to B's"
expect_exit 0 at "$a" status --format json
json_check "$OUT" "[(m['version'], m['in_checkout'], m['drift']) for m in d['migrations']] == [(1, True, False), (4, True, False), (5, False, False)]"
expect_exit 0 at "$a" status --exit-code
expect_exit 0 at "$a" up --phase contract
[ "$(hist)" = "1:contracted 4:contracted 5:expanded" ] || fail "contract of A: $(hist)"

# replayed, not judged
printf '[rules]\nprefer-text = error\n' >migrate.conf
add "$main" 0002_age.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN age varchar(3);\n'
rm migrate.conf
expect_exit 0 at "$main" up --phase expand
printf '[rules]\nprefer-text = error\n' >migrate.conf
add "$main" 0003_name.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN name TEXT;\n'
expect_exit 0 at "$main" up --phase expand
expect_exit 1 "$MIGRATE" lint --dir "$main"
expect_contains "$OUT" "0002_age.sql"
add "$main" 0002_age.sql <<<$'-- migrate:expand\n-- migrate:allow prefer-text -- applied before the rule\nALTER TABLE users ADD COLUMN age varchar(3); -- years\n'
expect_exit 0 at "$main" up --phase expand
expect_exit 0 at "$main" status --exit-code
add "$main" 0002_age.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN age TEXT;\n'
expect_exit 2 at "$main" up
expect_contains "$ERR" "file changed since it was applied"
add "$main" 0002_age.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN age varchar(3);\n'
rm migrate.conf

# layout 1: a row matching its whole file is upgraded once, another stays drift
stmt_sum=$(q "SELECT checksum FROM _migrate_history WHERE version = 1")
q "UPDATE _migrate_meta SET value = '1' WHERE key = 'schema_version'"
q "UPDATE _migrate_history SET checksum = '$(sha256sum "$main/0001_users.sql" | cut -d' ' -f1)' WHERE version = 1"
q "UPDATE _migrate_history SET checksum = 'f00d' WHERE version = 3"
expect_exit 2 at "$main" up
expect_contains "$ERR" "0003_name.sql: error: file changed since it was applied"
[ "$(q "SELECT value FROM _migrate_meta WHERE key = 'schema_version'")" = 3 ] || fail "layout not upgraded"
[ "$(q "SELECT checksum FROM _migrate_history WHERE version = 1")" = "$stmt_sum" ] || fail "row 1 not upgraded"
[ "$(q "SELECT checksum FROM _migrate_history WHERE version = 3")" = f00d ] || fail "row 3 changed"
q "UPDATE _migrate_history SET checksum = '$stmt_sum' WHERE version = 1"

# plan: a migration after one not applied yet says what it cannot see
q "DELETE FROM _migrate_history WHERE version = 3"
add "$main" 0006_orders.sql <<<'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);'
expect_exit 0 at "$main" plan
expect_contains "$OUT" "-- note: 6_orders is planned against the database as it is now, without the changes of 3_name (not applied yet)"
pass
