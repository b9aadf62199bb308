#!/usr/bin/env bash
# With a PostgreSQL server at hand, lint judges for its release, read when
# the connection starts: `lint --db` and `up` use it over [lint]
# postgres_version; --pg-version still wins on lint.
. "$(dirname "$0")/lib.sh"

new_db
migration 0001_orders.sql <<'SQL'
CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);
SQL
migration 0002_kind.sql <<'SQL'
-- migrate:expand
ALTER TABLE orders ADD COLUMN kind text NOT NULL DEFAULT 'retail';
SQL
server=$(q "SELECT current_setting('server_version_num')::int / 10000")
[ "$server" -ge 11 ] || fail "the test server is older than 11"

# migrate.conf says PostgreSQL 10: a constant default rewrites the table there
printf '[lint]\npostgres_version = 10\n' >migrate.conf
expect_exit 1 "$MIGRATE" lint --dir "$MIG"
expect_contains "$OUT" "error[add-column-volatile-default]"
# the server says otherwise
expect_exit 0 mg lint
expect_not_contains "$OUT" "add-column-volatile-default"
expect_exit 1 mg lint --pg-version 10
expect_contains "$OUT" "error[add-column-volatile-default]"
# up lints for the server it applies to
expect_exit 0 mg up
expect_eq "kind added" "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'kind'")" 1
# and on a server that cannot be reached it fails as a connection (exit 3), nothing judged
expect_exit 3 "$MIGRATE" --db "host=/nonexistent dbname=x" --dir "$MIG" up
expect_contains "$ERR" "cannot connect"

pass
