#!/usr/bin/env bash
# --pg-version and [lint] postgres_version steer the rules whose answer
# depends on the PostgreSQL release; the flag wins over the file; a value
# that is not a major release is exit 2, naming it.
. "$(dirname "$0")/lib.sh"

migration m/0001_base.sql <<'SQL'
CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);
SQL
migration m/0002_kind.sql <<'SQL'
-- migrate:expand
ALTER TABLE orders ADD COLUMN kind text NOT NULL DEFAULT 'retail';
REINDEX INDEX CONCURRENTLY orders_pkey;
SQL

# the default (15): a constant default is instant, REINDEX CONCURRENTLY exists
expect_exit 0 "$MIGRATE" lint m
expect_not_contains "$OUT" "add-column-volatile-default"
expect_not_contains "$OUT" "reindex-concurrently"

# PostgreSQL 10: the default rewrites the table, REINDEX CONCURRENTLY does not exist
for args in "--pg-version 10" "--pg-version=10"; do
	# shellcheck disable=SC2086 # two words on purpose
	expect_exit 1 "$MIGRATE" lint $args m
	expect_contains "$OUT" "m/0002_kind.sql:2:"
	expect_contains "$OUT" "error[add-column-volatile-default]: column 'kind' added to 'orders' with a DEFAULT: before PostgreSQL 11 any default rewrites the table"
	expect_contains "$OUT" "m/0002_kind.sql:3:28: error[reindex-concurrently]: REINDEX CONCURRENTLY needs PostgreSQL 12; on the target, PostgreSQL 10, it fails"
done
# 11: the default is instant, the reindex still not
expect_exit 1 "$MIGRATE" lint --pg-version 11 m
expect_not_contains "$OUT" "add-column-volatile-default"
expect_contains "$OUT" "error[reindex-concurrently]"
expect_exit 0 "$MIGRATE" lint --pg-version 12 m
expect_exit 0 "$MIGRATE" lint --pg-version 18 m

# the same from migrate.conf, and the flag over it
printf '[lint]\npostgres_version = 10\n' >migrate.conf
expect_exit 1 "$MIGRATE" lint m
expect_contains "$OUT" "error[add-column-volatile-default]"
expect_exit 0 "$MIGRATE" lint --pg-version 15 m
expect_empty "$ERR"
printf '[lint]\npostgres_version = 17\n' >migrate.conf
expect_exit 0 "$MIGRATE" lint m
expect_exit 1 "$MIGRATE" lint --pg-version 10 m

# SET NOT NULL is planned (a validated CHECK spares the contract's scan) from 12 on only
rm migrate.conf
migration n/0001_base.sql <<'SQL'
CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);
SQL
migration n/0002_total.sql <<'SQL'
ALTER TABLE orders ALTER COLUMN total SET NOT NULL;
SQL
expect_exit 0 "$MIGRATE" lint --pg-version 12 n
expect_contains "$OUT" "planned[set-not-null]"
expect_exit 1 "$MIGRATE" lint --pg-version 11 n
expect_contains "$OUT" "error[set-not-null]"

# bad values, flag and file: exit 2, nothing on stdout
for bad in 8 100 abc 1e1 -1 15.4 ''; do
	expect_exit 2 "$MIGRATE" lint --pg-version "$bad" m
	expect_contains "$ERR" "--pg-version takes a whole number from 9 to 99, not '$bad'"
	expect_empty "$OUT"
	expect_exit 2 "$MIGRATE" check --pg-version "$bad" --dir m
	expect_contains "$ERR" "--pg-version takes a whole number from 9 to 99, not '$bad'"
	printf '[lint]\npostgres_version = %s\n' "$bad" >migrate.conf
	expect_exit 2 "$MIGRATE" lint m
	expect_contains "$ERR" "migrate.conf:2:1: error: postgres_version must be a major version such as 15, not '$bad'"
	expect_empty "$OUT"
	rm migrate.conf
done

# an unreachable server named with --db is exit 3 (its release cannot be read) ...
expect_exit 3 "$MIGRATE" lint --db "host=/nonexistent dbname=x" m
expect_contains "$ERR" "cannot connect"
# ... also with --pg-version, and with --all, since lint --db reads the history
# too (applied phases are replayed, not judged; in-flight-conflict compares
# with the migrations in flight there)
expect_exit 3 "$MIGRATE" lint --db "host=/nonexistent dbname=x" --pg-version 15 m
expect_exit 3 "$MIGRATE" lint --db "host=/nonexistent dbname=x" --pg-version 15 --all m
expect_contains "$ERR" "cannot connect"
# a SQLite database has no release to read
expect_exit 0 "$MIGRATE" lint --db sqlite:app.db m
[ ! -e app.db ] || fail "lint created the SQLite database"

pass
