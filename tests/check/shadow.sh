#!/usr/bin/env bash
# The shadow database: an unreachable one fails the gate (exit 1) with a
# message that names where the URL came from and how to give check one; so
# does a machine without one and without initdb. A database named by a role
# that may not create databases is emptied (schemas dropped and recreated)
# and used, and left empty.
. "$(dirname "$0")/lib.sh"

copy_example m
expect_exit 1 "$MIGRATE" check --dir m --shadow-db "host=$T/nowhere dbname=shadow"
expect_match "$OUT" "^replay +failed +[0-9]+ ms +no shadow database"
expect_contains "$OUT" "error[shadow-unavailable]: shadow database (--shadow-db) unreachable: cannot connect to host=$T/nowhere dbname=shadow"
expect_contains "$OUT" "help: check the URL and that the server is up; give check an empty PostgreSQL database it may destroy with --shadow-db URL or MIGRATE_SHADOW_DB"
expect_match "$OUT" "^round-trip +skipped +[0-9]+ ms +no shadow database"
expect_match "$OUT" "^lock-trace +skipped "
expect_match "$OUT" "^lint +passed "

# from the environment, and said so
MIGRATE_SHADOW_DB="postgres://check:secret@127.0.0.1:1/shadow" expect_exit 1 "$MIGRATE" check --dir m
expect_contains "$OUT" "shadow database (MIGRATE_SHADOW_DB) unreachable"
expect_not_contains "$OUT" "secret"

# no shadow, no initdb
MIGRATE_PG_BINDIR="$T/no-postgres-here" expect_exit 1 "$MIGRATE" check --dir m
expect_contains "$OUT" "error[shadow-unavailable]: no shadow database, and no PostgreSQL server programs (initdb) to start a temporary one"
expect_contains "$OUT" "help: give check an empty PostgreSQL database it may destroy with --shadow-db URL or MIGRATE_SHADOW_DB, or install PostgreSQL (initdb)"

pass_unless_pg
# a role without CREATEDB: check works in the database it is given, emptied first
owner="c_${TEST_NAME}_owner_$$"
ROLES+=("$owner")
db="c_${TEST_NAME}_named_$$"
admin -c "CREATE ROLE \"$owner\" LOGIN NOCREATEDB" >/dev/null || fail "cannot create a role"
DATABASES+=("$db")
admin -c "CREATE DATABASE \"$db\" OWNER \"$owner\"" >/dev/null || fail "cannot create $db"
named="$MIGRATE_TEST_PG dbname=$db user=$owner"
psql "$named" -X -q -v ON_ERROR_STOP=1 -c "CREATE TABLE leftover (id int)" \
	-c "CREATE SCHEMA old_stuff" -c "CREATE TABLE old_stuff.t (id int)" >/dev/null ||
	fail "cannot fill $db"
expect_exit 0 "$MIGRATE" check --dir m --shadow-db "$named"
expect_match "$OUT" "^round-trip +passed "
[ "$(q "$named" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'")" = 0 ] ||
	fail "the named shadow database is not empty afterwards"
[ "$(q "$named" "SELECT string_agg(nspname, ',') FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'")" = public ] ||
	fail "the named shadow database's schemas are not just public"
pass
