#!/usr/bin/env bash
# Applied migrations are replayed, not judged: a rule turned on after a
# migration was applied blocks only migrations not yet applied; a comment
# or an allow comment added to an applied file is no drift, a changed
# statement is (exit 2). A history of layout 1 (whole-file checksums) is
# upgraded once: a row that matches its file gets the statement checksum,
# one that does not stays and shows as drift.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../pg/lib.sh"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

new_db shared
# shellcheck disable=SC2034 # read by at (lib.sh)
URL=$CONN
main=$(checkout main)
add "$main" 0001_users.sql <<<'CREATE TABLE users (id bigint PRIMARY KEY, email text);'
add "$main" 0002_age.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN age integer;\n'
expect_exit 0 at "$main" up

# a rule turned on later: the applied 0002 does not block the next one
printf '[rules]\nprefer-bigint = error\n' >migrate.conf
add "$main" 0003_name.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN name text;\n'
expect_exit 0 at "$main" up
[ "$(q "SELECT phase FROM migrate.history WHERE version = 3")" = contracted ] || fail "0003 was not applied"
# a pending migration that breaks the rule still stops up, with nothing applied
add "$main" 0004_score.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN score integer;\n'
expect_exit 1 at "$main" up
expect_contains "$ERR" "0004_score.sql"
expect_not_contains "$ERR" "0002_age.sql"
[ "$(q "SELECT count(*) FROM migrate.history WHERE version = 4")" = 0 ] || fail "0004 applied despite lint"
# lint without a database still reports every file
expect_exit 1 "$MIGRATE" lint --dir "$main"
expect_contains "$OUT" "0002_age.sql"
expect_contains "$OUT" "0004_score.sql"
# with --db, lint judges only what that database has not run; --all reports all
expect_exit 1 "$MIGRATE" lint --dir "$main" --db "$URL"
expect_contains "$OUT" "0004_score.sql"
expect_not_contains "$OUT" "0002_age.sql"
expect_exit 1 "$MIGRATE" lint --dir "$main" --db "$URL" --all
expect_contains "$OUT" "0002_age.sql"
rm "$main/0004_score.sql"
expect_exit 0 "$MIGRATE" lint --dir "$main" --db "$URL"
expect_exit 1 "$MIGRATE" lint --dir "$main"

# an allow comment and a note added to the applied file: no drift
add "$main" 0002_age.sql <<<$'-- migrate:expand\n-- migrate:allow prefer-bigint -- applied before the rule\n\nALTER TABLE users   ADD COLUMN age integer; -- ages\n'
expect_exit 0 at "$main" status --exit-code
expect_exit 0 at "$main" up
expect_exit 0 "$MIGRATE" lint --dir "$main"
# a changed statement is drift
add "$main" 0002_age.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN age bigint;\n'
expect_exit 2 at "$main" up
expect_contains "$ERR" "0002_age.sql: error: file changed since it was applied"
expect_exit 1 at "$main" status --exit-code
expect_contains "$OUT" "DRIFT"
add "$main" 0002_age.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN age integer;\n'

# a history of layout 1: whole-file checksums; one row matches its file, one does not
sha() { sha256sum "$1" | cut -d' ' -f1; }
stmt_sum=$(q "SELECT checksum FROM migrate.history WHERE version = 1")
[ "$stmt_sum" != "$(sha "$main/0001_users.sql")" ] || fail "the statement checksum is the file's"
q "UPDATE migrate.meta SET value = '1' WHERE key = 'schema_version'" >/dev/null
q "UPDATE migrate.history SET checksum = '$(sha "$main/0001_users.sql")' WHERE version = 1" >/dev/null
q "UPDATE migrate.history SET checksum = '$(printf 'an older file' | sha256sum | cut -d' ' -f1)' WHERE version = 3" >/dev/null
# read-only commands already tell the two apart
expect_exit 0 at "$main" status --format json
json_check "$OUT" "[m['drift'] for m in d['migrations']] == [False, False, True]"
expect_exit 2 at "$main" up
expect_contains "$ERR" "0003_name.sql: error: file changed since it was applied"
[ "$(q "SELECT value FROM migrate.meta WHERE key = 'schema_version'")" = 3 ] || fail "layout not upgraded"
[ "$(q "SELECT checksum FROM migrate.history WHERE version = 1")" = "$stmt_sum" ] ||
	fail "the matching row did not get the statement checksum"
[ "$(q "SELECT checksum FROM migrate.history WHERE version = 3")" = "$(printf 'an older file' | sha256sum | cut -d' ' -f1)" ] ||
	fail "the row that did not match was changed"
# once: a later run does not touch the rows again
q "UPDATE migrate.history SET checksum = '$(sha "$main/0002_age.sql")' WHERE version = 2" >/dev/null
expect_exit 2 at "$main" up
[ "$(q "SELECT checksum FROM migrate.history WHERE version = 2")" = "$(sha "$main/0002_age.sql")" ] ||
	fail "a history of layout 2 was upgraded again"
pass
