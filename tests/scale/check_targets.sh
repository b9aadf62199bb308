#!/usr/bin/env bash
# check --all-targets: every service's gate in one run, one report: each
# target's own directory, its database for the drift stage; the exit status
# is the worst of the targets'.
. "$(dirname "$0")/lib.sh"

target_db orders
target_db billing
new_db shadow
SHADOW=$CONN
mkdir -p "$T/orders" "$T/billing"
printf -- '-- migrate:expand\nCREATE TABLE o (id bigint PRIMARY KEY);\n' >"$T/orders/0001_o.sql"
printf -- '-- migrate:expand\nCREATE TABLE b (id bigint PRIMARY KEY);\n' >"$T/billing/0001_b.sql"
cat >migrate.conf <<CONF
[target "orders"]
db = ${TCONN[orders]} password=s3cret
dir = $T/orders

[target "billing"]
db = ${TCONN[billing]}
dir = $T/billing
CONF
expect_exit 0 "$MIGRATE" up --all-targets
# billing's applied file is edited afterwards (a statement, not a comment:
# comments are no drift): its drift stage fails
sed -i 's/b (id bigint PRIMARY KEY)/b (id bigint PRIMARY KEY, n int)/' "$T/billing/0001_b.sql"

expect_exit 1 "$MIGRATE" check --all-targets --shadow-db "$SHADOW"
expect_match "$OUT" '^\[orders\] drift +passed '
expect_match "$OUT" '^\[billing\] drift +failed '
expect_contains "$OUT" "error[drift-changed]"
expect_contains "$OUT" "[orders] ok in"
expect_contains "$OUT" "[billing] failed (exit 1)"
expect_not_contains "$OUT" "s3cret"
expect_not_contains "$ERR" "s3cret"

expect_exit 1 "$MIGRATE" check --all-targets --shadow-db "$SHADOW" --format json
python3 - "$OUT" <<'PY' || fail "check --all-targets --format json is not one report of both"
import json, sys
r = json.load(open(sys.argv[1]))
t = {x["target"]: x for x in r["targets"]}
assert set(t) == {"orders", "billing"}, t.keys()
assert t["orders"]["exit"] == 0 and t["billing"]["exit"] == 1
assert "stages" in t["orders"], t["orders"].keys()
PY
# the shared databases were only read
expect_eq "orders history" "$(tq orders "SELECT count(*) FROM migrate.history")" 1
expect_exit 2 "$MIGRATE" check --all-targets --shadow-db "$SHADOW" --format sarif
# one target: its SARIF report as it is
expect_exit 0 "$MIGRATE" check --target orders --shadow-db "$SHADOW" --format sarif
json_check "$OUT" 'd["version"] == "2.1.0"'
# a target's database as the shadow: refused before anything runs (check
# would empty it), as --db is
expect_exit 2 "$MIGRATE" check --target billing --shadow-db "${TCONN[billing]}"
expect_contains "$ERR" "[billing] "
expect_contains "$ERR" "the shadow database must not be the shared database (--db, or the target's db)"
expect_eq "billing untouched" "$(tq billing "SELECT count(*) FROM migrate.history WHERE phase = 'contracted'") $(tq billing "SELECT to_regclass('public.b') IS NOT NULL")" "1 t"
pass
