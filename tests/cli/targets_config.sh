#!/usr/bin/env bash
# [target "NAME"] sections of migrate.conf and the fan-out flags, without a
# server: bad sections and settings are exit 2 at their line, unknown target
# names get the nearest one, and SQLite targets each get their own database.
. "$(dirname "$0")/lib.sh"

mkdir m
printf -- '-- migrate:expand\nCREATE TABLE a (id integer PRIMARY KEY);\n' >m/0001_a.sql
bad() { # bad CONF MESSAGE
	printf '%b' "$1" >migrate.conf
	expect_exit 2 "$MIGRATE" status --all-targets
	expect_contains "$ERR" "$2"
}
bad '[target "a"]\ndir = m\n' "migrate.conf:2:1: error: target 'a' has no db = URL"
bad '[target "a"]\ndb = sqlite:a.db\nhost = x\n' "migrate.conf:3:1: error: unknown setting 'host' in [target \"a\"]: a target takes db and dir"
bad '[target "a b"]\ndb = sqlite:a.db\n' "a target section is [target \"NAME\"]"
bad '[target "a"]\ndb = sqlite:a.db\ndb = sqlite:b.db\n' "target 'a' sets db twice"
printf '[migrations]\ndir = m\n' >migrate.conf
expect_exit 2 "$MIGRATE" status --all-targets
expect_contains "$ERR" "--all-targets: migrate.conf has no [target \"NAME\"] sections"

cat >migrate.conf <<'CONF'
[migrations]
dir = m
[target "orders"]
db = sqlite:orders.db
[target 'billing']
db = sqlite:billing.db
CONF
expect_exit 2 "$MIGRATE" up --target biling
expect_contains "$ERR" "no target 'biling' in migrate.conf"
expect_contains "$ERR" "did you mean 'billing'?"
[ ! -e orders.db ] && [ ! -e billing.db ] || fail "a database was created by a refused run"
expect_exit 2 "$MIGRATE" up --canary orders
expect_contains "$ERR" "--parallel, --canary and --continue-on-error go with --target or --all-targets"
expect_exit 2 "$MIGRATE" up --all-targets --target orders
expect_exit 2 "$MIGRATE" up --all-targets --parallel 65
expect_contains "$ERR" "--parallel takes a whole number from 1 to 64, not '65'"
expect_exit 2 "$MIGRATE" new --all-targets x
expect_exit 2 "$MIGRATE" up --target orders --db sqlite:x.db

expect_exit 0 "$MIGRATE" up --all-targets --parallel 2
expect_contains "$OUT" "[orders] expanding 1_a"
expect_contains "$OUT" "[billing] expanding 1_a"
expect_contains "$OUT" "migrate up: 2 targets in "
for db in orders billing; do
	expect_eq "$db history" "$(sqlite3 "$db.db" "SELECT phase FROM _migrate_history")" contracted
done
expect_exit 0 "$MIGRATE" status --target billing --format json
json_check "$OUT" 'd["targets"][0]["target"] == "billing"' 'd["targets"][0]["migrations"][0]["phase"] == "contracted"'
pass
