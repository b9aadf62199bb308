#!/usr/bin/env bash
# The example's migrations pass every stage: lint, replay, the round trip of
# each migration, the lock trace (which really sees each statement's locks,
# also those of CONCURRENTLY statements run outside a transaction), with drift
# skipped for want of --db; and the shadow database is left as it was found.
. "$(dirname "$0")/lib.sh"
need_pg

shadow=$(new_db shadow)
copy_example m

expect_exit 0 "$MIGRATE" check --dir m --shadow-db "$shadow"
for stage in lint replay round-trip lock-trace; do
	expect_match "$OUT" "^$stage +passed "
done
expect_match "$OUT" "^drift +skipped "
expect_contains "$OUT" "16 migrations expanded and contracted"
expect_contains "$OUT" "16 of 16 migrations: expand, revert, expand, contract, revert, contract"
expect_match "$OUT" "^check passed: 4 passed, 0 failed, 1 skipped in "

# the database named as shadow holds nothing afterwards (check worked in a database of its own)
[ "$(q "$shadow" "SELECT count(*) FROM pg_namespace WHERE nspname IN ('migrate', 'migrate_trash')")" = 0 ] ||
	fail "check left its history in the shadow database"
[ "$(q "$shadow" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'")" = 0 ] ||
	fail "check left tables in the shadow database"

# the JSON report: every stage, and a trace of every statement on tables that existed before
expect_exit 0 "$MIGRATE" check --dir m --shadow-db "$shadow" --format json
cp "$OUT" report.json
python3 - report.json <<'EOF' || fail "the JSON report is not what it should be"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["passed"] is True, r["passed"]
assert [s["name"] for s in r["stages"]] == ["lint", "replay", "round-trip", "lock-trace", "drift"]
assert [s["status"] for s in r["stages"]] == ["passed"] * 4 + ["skipped"]
assert all(not s["findings"] or s["name"] == "lint" for s in r["stages"])
trace = r["lock_trace"]

def locks(version, phase, start):
    for t in trace:
        if t["version"] == version and t["phase"] == phase and t["statement"].startswith(start):
            return t, {l["table"]: l for l in t["locks"]}
    raise AssertionError("no trace of %d %s %s" % (version, phase, start))

# 0007 adds a column: ACCESS EXCLUSIVE on orders, briefly, no rewrite, no scan
t, l = locks(7, "expand", "ALTER TABLE orders ADD COLUMN")
assert l["orders"]["mode"] == "ACCESS EXCLUSIVE" and not l["orders"]["rewritten"], l
assert not l["orders"]["scanned"], l
assert t["in_transaction"] and t["file"].endswith("0007_add_orders_filled_quantity.sql")
# 0009 validates under SHARE UPDATE EXCLUSIVE: a real scan of the seeded rows
t, l = locks(9, "expand", "ALTER TABLE orders VALIDATE CONSTRAINT")
assert l["orders"]["mode"] == "SHARE UPDATE EXCLUSIVE" and l["orders"]["scanned"], l
# ... so its contract's SET NOT NULL needs no scan
t, l = locks(9, "contract", "ALTER TABLE orders ALTER COLUMN filled_quantity SET NOT NULL")
assert l["orders"]["mode"] == "ACCESS EXCLUSIVE" and not l["orders"]["scanned"], l
# 0010 runs outside a transaction: its lock is still seen
t, l = locks(10, "expand", "CREATE INDEX CONCURRENTLY orders_open_by_account_idx")
assert not t["in_transaction"], t
assert l["orders"]["mode"] == "SHARE UPDATE EXCLUSIVE", l
# tables made in the same migration are not traced: 0001 had nothing before it
assert all(not t["locks"] for t in trace if t["version"] == 1)
EOF
pass
