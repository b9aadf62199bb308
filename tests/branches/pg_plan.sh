#!/usr/bin/env bash
# plan and up --dry-run show what up will run: a migration after one not yet
# applied is planned against the database as it is, and the output says so
# (or says it cannot be planned yet) instead of passing a wrong plan off as
# right; plan --phase contract shows the planner's contract steps and the
# copies into migrate_trash. Nothing is written.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../pg/lib.sh"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

new_db shared
# shellcheck disable=SC2034 # read by at (lib.sh)
URL=$CONN
a=$(checkout a)
add "$a" 0001_users.sql <<<'CREATE TABLE users (id bigint PRIMARY KEY, email text, legacy text);'
expect_exit 0 at "$a" up
q "INSERT INTO users SELECT g, 'u' || g, 'l' || g FROM generate_series(1, 20) g" >/dev/null
add "$a" 0002_orders.sql <<<$'-- migrate:expand\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n'
add "$a" 0003_orders_user_idx.sql <<<$'-- migrate:expand\nCREATE INDEX orders_user_idx ON orders (user_id);\n'
add "$a" 0004_rename_email.sql <<<$'-- migrate:expand\nALTER TABLE users RENAME COLUMN email TO mail;\n-- migrate:contract\nALTER TABLE users DROP COLUMN legacy;\n'
state() { q "SELECT count(*) || ' ' || coalesce(md5(string_agg(h::text, ',' ORDER BY version)), '') FROM migrate.history h"; }
before=$(state)

expect_exit 0 at "$a" plan
expect_contains "$OUT" "-- note: 3_orders_user_idx is planned against the database as it is now, without the changes of 2_orders (not applied yet)"
expect_contains "$OUT" "-- note: 4_rename_email is planned against the database as it is now, without the changes of 2_orders"
expect_exit 0 at "$a" plan 3
expect_contains "$OUT" "without the changes of 2_orders"
expect_exit 0 at "$a" up --dry-run
expect_contains "$OUT" "would expand 2_orders"
expect_contains "$OUT" "  note: 3_orders_user_idx is planned against the database as it is now, without the changes of 2_orders"

# contract of a migration not expanded yet: the planner's steps, the trash copies
expect_exit 0 at "$a" plan --phase contract 4
expect_contains "$OUT" "-- 4_rename_email: contract"
expect_contains "$OUT" 'CREATE TABLE migrate_trash."v4_users_legacy" AS SELECT "id", "legacy" FROM "users";'
expect_contains "$OUT" 'CREATE TABLE migrate_trash."v4_users_email" AS SELECT "id", "email" FROM "users";'
expect_match "$OUT" "DROP COLUMN (\"email\"|email)"
expect_match "$OUT" "DROP COLUMN (\"legacy\"|legacy)"
[ "$(state)" = "$before" ] || fail "plan wrote to the history"
[ "$(q "SELECT count(*) FROM pg_namespace WHERE nspname = 'migrate_trash'")" = 0 ] ||
	fail "plan made the trash"

# once 0002 is applied, 0003 is planned with what it made: no note
expect_exit 0 at "$a" up --to 2
expect_exit 0 at "$a" plan 3
expect_not_contains "$OUT" "note:"
expect_contains "$OUT" "CREATE INDEX CONCURRENTLY"
# and the plan is what up runs
expect_exit 0 at "$a" up --to 3
[ "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_user_idx'::regclass")" = t ] ||
	fail "the index was not built"
pass
