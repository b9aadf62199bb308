#!/usr/bin/env bash
# A lint error fails the gate (exit 1) at its file and line, in the lint stage
# of every format, while the other stages still run and pass.
. "$(dirname "$0")/lib.sh"
need_pg

shadow=$(new_db shadow)
mkdir m
cat >m/0001_create_accounts.sql <<'SQL'
-- migrate:expand
CREATE TABLE accounts (
	id bigint PRIMARY KEY,
	legacy_code text,
	name text NOT NULL
);
SQL
cat >m/0002_drop_legacy_code.sql <<'SQL'
-- The old app still reads legacy_code: dropping it in expand breaks it.

-- migrate:expand
ALTER TABLE accounts DROP COLUMN legacy_code;
SQL

expect_exit 1 "$MIGRATE" check --dir m --shadow-db "$shadow"
expect_match "$OUT" "^lint +failed "
expect_match "$OUT" "^  m/0002_drop_legacy_code.sql:4:[0-9]+: error\[drop-column\]: "
expect_match "$OUT" "^replay +passed "
expect_match "$OUT" "^check FAILED: "

expect_exit 1 "$MIGRATE" check --dir m --shadow-db "$shadow" --format json
cp "$OUT" r.json
[ "$(json_stage r.json lint)" = "failed 1 0" ] || fail "lint stage: $(json_stage r.json lint)"
[ "$(json_stage r.json replay)" = "passed 0 0" ] || fail "replay stage: $(json_stage r.json replay)"
python3 - r.json <<'PY' || fail "the finding is not located"
import json, sys
r = json.load(open(sys.argv[1]))
f = [f for s in r["stages"] for f in s["findings"] if f["severity"] == "error"]
assert len(f) == 1, f
assert f[0]["file"] == "m/0002_drop_legacy_code.sql" and f[0]["line"] == 4, f
assert f[0]["rule"] == "drop-column" and f[0]["version"] == 2, f
PY
pass
