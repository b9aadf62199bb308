#!/usr/bin/env bash
# --target / --all-targets: one command over many databases, each with its own
# history and report; --canary, --continue-on-error, --parallel; the exit
# status is the worst of the targets'; a target's password is never printed.
. "$(dirname "$0")/lib.sh"

for t in orders billing users; do target_db "$t"; done
mkdir -p "$T/shared" "$T/billing-only"
cat >"$T/shared/0001_items.sql" <<'SQL'
-- migrate:expand
CREATE TABLE items (id bigint PRIMARY KEY, name text);
SQL
cat >"$T/shared/0002_items_note.sql" <<'SQL'
-- migrate:expand
ALTER TABLE items ADD COLUMN note text;
SQL
cat >"$T/billing-only/0001_invoices.sql" <<'SQL'
-- migrate:expand
CREATE TABLE invoices (id bigint PRIMARY KEY);
SQL
cat >migrate.conf <<CONF
[migrations]
dir = $T/shared

[target "orders"]
db = ${TCONN[orders]} password=s3cret-orders

[target "billing"]
db = ${TCONN[billing]} password=s3cret-billing
dir = $T/billing-only

[target "users"]
db = ${TCONN[users]}
CONF

# ---- unknown names are refused before anything runs ----
expect_exit 2 "$MIGRATE" up --target ordres
expect_contains "$ERR" "no target 'ordres'"
expect_contains "$ERR" "did you mean 'orders'?"
expect_exit 2 "$MIGRATE" up --all-targets --canary nope
expect_exit 2 "$MIGRATE" up --all-targets --db "${TCONN[orders]}"
expect_exit 2 "$MIGRATE" up --parallel 2
expect_exit 2 "$MIGRATE" new --target orders x
expect_exit 2 "$MIGRATE" up --all-targets --parallel 0
for t in orders billing users; do
	expect_eq "database state" "$(tq "$t" "SELECT to_regclass('migrate.history') IS NULL")" t
done

# ---- up on two named targets: each its own directory and history ----
expect_exit 0 "$MIGRATE" up --target orders --target billing
expect_contains "$OUT" "[orders] expanding 1_items"
expect_contains "$OUT" "[billing] expanding 1_invoices"
expect_eq "database state" "$(tq orders "SELECT string_agg(version::text, ',' ORDER BY version) FROM migrate.history")" "1,2"
expect_eq "database state" "$(tq billing "SELECT string_agg(version::text, ',' ORDER BY version) FROM migrate.history")" "1"
expect_eq "database state" "$(tq billing "SELECT to_regclass('public.invoices') IS NOT NULL")" t
expect_eq "database state" "$(tq users "SELECT to_regclass('migrate.history') IS NULL")" t
expect_not_contains "$OUT" "s3cret"
expect_not_contains "$ERR" "s3cret"

# ---- status --all-targets: one table, and one JSON object ----
expect_exit 0 "$MIGRATE" status --all-targets
expect_match "$OUT" '^orders +1 +items +contracted$'
expect_match "$OUT" '^orders +2 +items_note +contracted$'
expect_match "$OUT" '^billing +1 +invoices +contracted$'
expect_match "$OUT" '^users +1 +items +pending$'
expect_exit 1 "$MIGRATE" status --all-targets --exit-code
expect_exit 0 "$MIGRATE" status --all-targets --format json
python3 - "$OUT" <<'PY' || fail "status --all-targets --format json is not the merged report"
import json, sys
r = json.load(open(sys.argv[1]))
got = {(t["target"], m["version"], m["phase"]) for t in r["targets"] for m in t["migrations"]}
want = {("orders", 1, "contracted"), ("orders", 2, "contracted"), ("billing", 1, "contracted"),
        ("users", 1, "pending"), ("users", 2, "pending")}
assert got == want, got
assert [t["exit"] for t in r["targets"]] == [0, 0, 0]
PY

# ---- the canary fails: nothing else runs, its exit status is the command's ----
tq users "CREATE TABLE items (id int)"   # 0001 cannot run there
expect_exit 3 "$MIGRATE" up --all-targets --canary users
expect_contains "$ERR" "[users] "
expect_contains "$OUT" "[orders] not run: the canary 'users' failed"
expect_eq "database state" "$(tq users "SELECT count(*) FROM migrate.history WHERE phase <> 'pending'")" 0

# ---- without --continue-on-error, the targets after a failure do not run ----
cat >"$T/shared/0003_more.sql" <<'SQL'
-- migrate:expand
CREATE TABLE more (id bigint PRIMARY KEY);
SQL
cat >"$T/billing-only/0002_more.sql" <<'SQL'
-- migrate:expand
CREATE TABLE more (id bigint PRIMARY KEY);
SQL
tq billing "CREATE TABLE more (id int)"  # billing's 0002 fails
expect_exit 3 "$MIGRATE" up --target billing --target orders
expect_contains "$OUT" "[billing] failed (exit 3)"
expect_contains "$OUT" "[orders] not run"
expect_eq "database state" "$(tq orders "SELECT to_regclass('public.more') IS NULL")" t

# ---- --continue-on-error: every target runs, each failure is reported ----
expect_exit 3 "$MIGRATE" up --all-targets --continue-on-error --parallel 2
expect_contains "$OUT" "[billing] failed (exit 3)"
expect_contains "$OUT" "[users] failed (exit 3)"
expect_contains "$OUT" "[orders] ok"
expect_contains "$OUT" "3 targets"
expect_eq "database state" "$(tq orders "SELECT to_regclass('public.more') IS NOT NULL")" t
expect_eq "database state" "$(tq orders "SELECT count(*) FROM migrate.history WHERE phase = 'contracted'")" 3
expect_not_contains "$OUT" "s3cret"
expect_not_contains "$ERR" "s3cret"

# ---- a target that cannot be reached: its URL shown without the password ----
cat >>migrate.conf <<CONF

[target "gone"]
db = $MIGRATE_TEST_PG dbname=t_no_such_db_$$ password=s3cret-gone
CONF
expect_exit 3 "$MIGRATE" status --target gone --target orders
expect_contains "$ERR" "[gone] "
expect_contains "$ERR" "password=***"
expect_not_contains "$ERR" "s3cret"
expect_match "$OUT" '^gone +- +- +error \(exit 3\)$'
expect_match "$OUT" '^orders +3 +more +contracted$'

# ---- revert over targets, in parallel ----
expect_exit 0 "$MIGRATE" revert --target orders --parallel 2
expect_eq "database state" "$(tq orders "SELECT phase FROM migrate.history WHERE version = 3")" expanded

# ---- lint and plan take targets too ----
expect_exit 0 "$MIGRATE" lint --target orders --target billing --format json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [t["target"] for t in r["targets"]]==["orders","billing"]; assert r["targets"][1]["files"]==2' "$OUT" ||
	fail "lint --format json over targets"
expect_exit 0 "$MIGRATE" plan --target orders
expect_contains "$OUT" "[orders] "

# ---- lint --target reads the target's database as lint --db does: its ----
# ---- release, and its history (applied phases are not judged)         ----
target_db legacy
mkdir -p "$T/legacy"
cat >"$T/legacy/0001_accounts.sql" <<'SQL'
-- migrate:expand
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, name text);
ALTER TABLE accounts ADD CONSTRAINT accounts_name_nn CHECK (name IS NOT NULL) NOT VALID;
-- migrate:contract
ALTER TABLE accounts VALIDATE CONSTRAINT accounts_name_nn;
SQL
cat >"$T/legacy/0002_relax.sql" <<'SQL'
-- migrate:expand
ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;
SQL
cat >"$T/legacy.conf" <<CONF
[lint]
postgres_version = 11

[target "legacy"]
db = ${TCONN[legacy]}
dir = $T/legacy
CONF
expect_exit 0 "$MIGRATE" up --config "$T/legacy.conf" --target legacy
expect_eq "database state" "$(tq legacy "SELECT string_agg(version || ':' || phase, ',' ORDER BY version) FROM migrate.history")" \
	"1:contracted,2:contracted"
# pending: proven by the validated CHECK on PostgreSQL 12+, a scan before
cat >"$T/legacy/0003_name_nn.sql" <<'SQL'
-- migrate:expand
ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;
SQL
rules() {
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r=r["targets"][0] if "targets" in r else r; print(",".join(sorted(f["rule"] for f in r["findings"])))' "$OUT" ||
		fail "lint's JSON report: $(cat "$OUT")"
}
expect_exit 1 "$MIGRATE" lint --config "$T/legacy.conf" --format json "$T/legacy"
expect_eq "lint without a database (release 11, every file judged)" "$(rules)" "drop-not-null,set-not-null"
expect_exit 0 "$MIGRATE" lint --config "$T/legacy.conf" --target legacy --format json
expect_eq "lint --target legacy (the server's release, its history)" "$(rules)" ""
pass
