#!/usr/bin/env bash
# Bad files on PostgreSQL. A file with CR-only line ends (old Mac) had its
# markers read as one comment to the end of the file: 'up' recorded it as
# applied with nothing run. It now runs like the same file with LF or CRLF
# line ends. A file that is not valid UTF-8 is refused before anything
# runs (exit 2, file:line:column), by up and by check, not failed by the
# server halfway through.
. "$(dirname "$0")/lib.sh"

unchanged_since() {
	db_state "$1.now"
	expect_same "$1" "$1.now" "$2 changed the database"
}

# ---- CR, CRLF and LF: the same statements run, the same history ----
for eol in '\r' '\r\n' '\n'; do
	new_db "eol$(echo "$eol" | tr -dc 'rn')"
	# shellcheck disable=SC2059 # a printf format
	printf -- "-- migrate:expand${eol}CREATE TABLE users (id bigint PRIMARY KEY, email text);${eol}CREATE INDEX CONCURRENTLY users_email_idx ON users (email);${eol}${eol}-- migrate:contract${eol}ALTER TABLE users DROP COLUMN email;${eol}" >"$MIG/0001_users.sql"
	expect_exit 0 mg lint
	expect_contains "$OUT" "1 file, 3 statements"
	expect_exit 0 mg up --phase expand
	expect_eq "expanded ($eol)" "$(q "SELECT count(*) FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass AND indisvalid")" 1
	expect_eq "history ($eol)" "$(q "SELECT phase FROM migrate.history WHERE version = 1")" expanded
	expect_exit 0 mg up --phase contract
	expect_eq "contracted ($eol)" "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'")" 0
	expect_exit 0 mg revert --to 0
	expect_eq "reverted ($eol)" "$(q "SELECT to_regclass('users') IS NULL")$(q "SELECT count(*) FROM migrate.history")" t0
	# a failing statement is reported at its line
	# shellcheck disable=SC2059 # a printf format
	printf -- "-- migrate:expand${eol}CREATE TABLE a (id bigint PRIMARY KEY);${eol}CREATE VIEW v AS SELECT missing FROM a;${eol}" >"$MIG/0001_users.sql"
	expect_exit 3 mg up
	expect_match "$ERR" "^$MIG/0001_users.sql:3:[0-9]+: error:"
	expect_eq "rolled back ($eol)" "$(q "SELECT to_regclass('a') IS NULL")" t
done

# ---- invalid UTF-8: refused before the first statement runs ----
new_db utf8
migration 0001_users.sql <<'SQL'
-- migrate:expand
CREATE TABLE users (id bigint PRIMARY KEY, name text);
SQL
expect_exit 0 mg up
printf -- "-- migrate:expand\nCREATE TABLE notes (id bigint PRIMARY KEY);\nINSERT INTO users VALUES (1, 'Fran\347ois');\n" >"$MIG/0002_latin1.sql"
db_state utf8.state
for args in "up" "up --phase expand" "plan" "status" "lint"; do
	# shellcheck disable=SC2086 # the arguments are words
	expect_exit 2 mg $args
	expect_contains "$ERR" "$MIG/0002_latin1.sql:3:35: error: invalid UTF-8 (byte 0xe7)"
done
unchanged_since utf8.state "a file with invalid UTF-8"
expect_eq "no event of a run" "$(q "SELECT count(*) FROM migrate.events WHERE version = 2")" 0

# check refuses it as well, before its shadow replay
shadow="t_${TEST_NAME}_shadow_$$"
DATABASES+=("$shadow")
psql "$MIGRATE_TEST_PG" -X -q -c "CREATE DATABASE \"$shadow\"" >/dev/null || fail "cannot create $shadow"
expect_exit 2 "$MIGRATE" check --dir "$MIG" --shadow-db "$MIGRATE_TEST_PG dbname=$shadow"
expect_contains "$ERR" "$MIG/0002_latin1.sql:3:35: error: invalid UTF-8"
expect_eq "shadow untouched" "$(psql "$MIGRATE_TEST_PG dbname=$shadow" -X -At -c "SELECT count(*) FROM pg_class WHERE relname IN ('users', 'notes')")" 0
pass
