#!/usr/bin/env bash
# Drift against a shared database, read through a role that may only read:
# an applied file that was edited, a new migration numbered below one applied
# there (applied out of order: a warning; with strict order an error that
# needs renumbering), one that takes a version already applied for another
# migration, and migrations applied from another branch, expanded or
# contracted (warnings: in flight there, not failures). Each error fails the gate
# (exit 1) naming the file and line; the shared database is never written.
. "$(dirname "$0")/lib.sh"
need_pg

shadow=$(new_db shadow)
shared=$(new_db shared)
db="c_${TEST_NAME}_shared_$$"
ro="c_${TEST_NAME}_ro_$$"
ROLES+=("$ro")
add() { # add DIR FILE TABLE COLUMN
	printf -- '-- migrate:expand\nALTER TABLE %s ADD COLUMN %s text;\n' "$3" "$4" >"$1/$2"
}

# another branch expanded 0018 on the shared database, after all of main's migrations
copy_example other
add other 0018_add_orders_tag.sql orders tag
"$MIGRATE" --db "$shared" --dir other up --to 16 -q >/dev/null || fail "cannot apply the example"
"$MIGRATE" --db "$shared" --dir other up --phase expand -q >/dev/null || fail "cannot expand 0018"
admin -c "CREATE ROLE \"$ro\" LOGIN" \
	-c "GRANT CONNECT ON DATABASE \"$db\" TO \"$ro\"" >/dev/null || fail "cannot create a role"
psql "$shared" -X -q -v ON_ERROR_STOP=1 -c "GRANT USAGE ON SCHEMA migrate TO \"$ro\"" \
	-c "GRANT SELECT ON ALL TABLES IN SCHEMA migrate TO \"$ro\"" >/dev/null ||
	fail "cannot grant"
reader="$shared user=$ro"
state() {
	q "$shared" "SELECT (SELECT count(*) FROM migrate.events) || ' ' || (SELECT md5(string_agg(h::text, ',' ORDER BY version)) FROM migrate.history h)"
}
before=$(state)

# this branch: main's migrations, nothing new
copy_example m
expect_exit 0 "$MIGRATE" check --dir m --shadow-db "$shadow" --db "$reader"
expect_match "$OUT" "^drift +passed .*16 of 17 applied migrations match their files, 1 of other branches, 0 new \\(0 out of order\\)"
expect_contains "$OUT" "warning[drift-unknown]: migration 0018_add_orders_tag is expanded in the shared database"

# an applied file edited since: a comment is no change, a statement is
echo "-- a late note" >>m/0003_create_orders.sql
expect_exit 0 "$MIGRATE" check --dir m --shadow-db "$shadow" --db "$reader"
echo "SELECT 1;" >>m/0003_create_orders.sql
expect_exit 1 "$MIGRATE" check --dir m --shadow-db "$shadow" --db "$reader"
expect_match "$OUT" "^drift +failed "
expect_contains "$OUT" "m/0003_create_orders.sql:1:1: error[drift-changed]: file changed since it was applied to the shared database (contracted "
cp "$EXAMPLE/0003_create_orders.sql" m/

# a new migration numbered below 0018, applied there: up applies it out of order
add m 0017_add_users_nickname.sql users nickname
expect_exit 0 "$MIGRATE" check --dir m --shadow-db "$shadow" --db "$reader"
expect_contains "$OUT" "m/0017_add_users_nickname.sql:1:1: warning[drift-renumber]: new migration numbered below 0018_add_orders_tag, already applied in the shared database: up applies it out of order"
expect_contains "$OUT" "help: to keep the order, rename it to 0019_add_users_nickname.sql"
expect_match "$OUT" "^drift +passed .*1 new \\(1 out of order\\)"
# strict order: renumber
printf '[migrations]\nstrict_order = true\n' >strict.conf
expect_exit 1 "$MIGRATE" check --config strict.conf --dir m --shadow-db "$shadow" --db "$reader"
expect_contains "$OUT" "m/0017_add_users_nickname.sql:1:1: error[drift-renumber]: new migration numbered below 0018_add_orders_tag, already applied in the shared database: strict order refuses it"
expect_contains "$OUT" "help: rename it to 0019_add_users_nickname.sql"
expect_match "$OUT" "^replay +passed "
rm m/0017_add_users_nickname.sql

# a new migration that takes version 18, applied there for another migration
add m 0018_add_users_nickname.sql users nickname
expect_exit 1 "$MIGRATE" check --dir m --shadow-db "$shadow" --db "$reader" --format json
cp "$OUT" r.json
python3 - r.json <<'PY' || fail "no version-taken finding"
import json, sys
r = json.load(open(sys.argv[1]))
drift = [s for s in r["stages"] if s["name"] == "drift"][0]
assert drift["status"] == "failed", drift
rules = sorted(f["rule"] for f in drift["findings"])
assert rules == ["drift-version-taken"], rules
f = drift["findings"][0]
assert f["file"] == "m/0018_add_users_nickname.sql" and f["line"] == 1, f
assert "as 0018_add_orders_tag" in f["message"], f
PY
rm m/0018_add_users_nickname.sql

# a contracted migration without a file here: another branch's, reported, not failed
rm m/0016_drop_users_username.sql
expect_exit 0 "$MIGRATE" check --dir m --shadow-db "$shadow" --db "$reader"
expect_contains "$OUT" "warning[drift-unknown]: migration 0016_drop_users_username is contracted in the shared database"

[ "$(state)" = "$before" ] || fail "check wrote to the shared database"

# an unreachable shared database fails the stage, not the gate's other stages
cp "$EXAMPLE/0016_drop_users_username.sql" m/
expect_exit 1 "$MIGRATE" check --dir m --shadow-db "$shadow" --db "host=$T/nowhere dbname=x"
expect_match "$OUT" "^drift +failed "
expect_contains "$OUT" "error[drift-unreachable]: cannot connect to host=$T/nowhere dbname=x"
expect_match "$OUT" "^round-trip +passed "
pass
