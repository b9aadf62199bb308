# Shared by the tests of `migrate check`: each test runs the binary as a CI
# pipeline does, in a fresh temporary directory, and checks exit codes, the
# findings (file:line and rule) and the machine-readable reports.
#   MIGRATE          the binary under test
#   SRCDIR           the source tree (migrations-example/, checks/)
#   MIGRATE_TEST_PG  a libpq conninfo of a throwaway server (scripts/test starts
#                    one); tests that need it exit 77 (skipped) without it
# shellcheck shell=bash

set -u

# shellcheck source=../lib/assert.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"

: "${MIGRATE:?set MIGRATE to the migrate binary}"
: "${SRCDIR:?set SRCDIR to the source tree}"
# shellcheck disable=SC2034 # used by the tests that source this file
EXAMPLE="$SRCDIR/migrations-example"
TEST_NAME=${0##*/}
TEST_NAME=${TEST_NAME%.sh}

T=$(mktemp -d "${TMPDIR:-/tmp}/migrate-check-test.XXXXXX")
cd "$T" || exit 1
OUT="$T/.out"
ERR="$T/.err"
# nothing from the caller's environment may pick a database or a summary file
unset DATABASE_URL PGDATABASE MIGRATE_SHADOW_DB GITHUB_STEP_SUMMARY MIGRATE_PG_BINDIR NO_COLOR
export PGCONNECT_TIMEOUT=10

DATABASES=()
ROLES=()
cleanup() {
	local db role
	for db in "${DATABASES[@]}"; do
		psql "$MIGRATE_TEST_PG" -X -q -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" \
			>/dev/null 2>&1
	done
	for role in "${ROLES[@]}"; do
		psql "$MIGRATE_TEST_PG" -X -q -c "DROP ROLE IF EXISTS \"$role\"" >/dev/null 2>&1
	done
	rm -rf "$T"
}
trap cleanup EXIT

# have_pg: true with a throwaway server.
have_pg() {
	[ -n "${MIGRATE_TEST_PG:-}" ] && command -v psql >/dev/null
}

# need_pg: skips the test (exit 77) without a throwaway server.
need_pg() {
	if ! have_pg; then
		echo "skipped: MIGRATE_TEST_PG is not set (scripts/test starts a server)" >&2
		exit 77
	fi
}

# pass_unless_pg: what follows needs a server; without one, what ran passed.
pass_unless_pg() {
	if ! have_pg; then
		echo "note: MIGRATE_TEST_PG is not set: the parts that need a server did not run" >&2
		pass
	fi
}

# admin ARGS...: psql on the server's maintenance database.
admin() {
	psql "$MIGRATE_TEST_PG" -X -q -v ON_ERROR_STOP=1 "$@"
}

# new_db NAME: creates database c_<test>_<NAME>_<pid> (two suites share the
# server, so names carry the pid) and prints its conninfo.
new_db() {
	local db="c_${TEST_NAME}_$1_$$"
	DATABASES+=("$db")
	admin -c "CREATE DATABASE \"$db\"" >/dev/null || fail "cannot create database $db"
	echo "$MIGRATE_TEST_PG dbname=$db"
}

# q CONNINFO SQL: one query, unaligned tuples only.
q() {
	psql "$1" -X -q -At -v ON_ERROR_STOP=1 -c "$2" || fail "query failed: $2"
}

# copy_example DIR: the example migrations, without their README.
copy_example() {
	mkdir -p "$1"
	cp "$EXAMPLE"/*.sql "$1"/
}

# json_stage FILE NAME: prints "status errors warnings" of a stage of a JSON report.
json_stage() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
for s in report["stages"]:
    if s["name"] == sys.argv[2]:
        print(s["status"], s["errors"], s["warnings"])
EOF
}

# events_hidden_rewrite DIR: two migrations, the second rewriting events
# inside a DO block (a lock-rewrite only the lock trace finds) with a
# hand-written revert.
events_hidden_rewrite() {
	mkdir -p "$1"
	cat >"$1/0001_create_events.sql" <<'SQL'
-- migrate:expand
CREATE TABLE events (id bigint PRIMARY KEY, amount integer NOT NULL, note text);
SQL
	cat >"$1/0002_widen_amount.sql" <<'SQL'
-- migrate:expand
DO $$ BEGIN EXECUTE format('ALTER TABLE %I ALTER COLUMN amount TYPE bigint', 'events'); END $$;

-- migrate:revert-expand
ALTER TABLE events ALTER COLUMN amount TYPE integer;
SQL
}
