#!/usr/bin/env bash
# A file changed after it was applied: up refuses (exit 2), status says so.
. "$(dirname "$0")/lib.sh"
need_server
seed
fixtures

expect_exit 0 mg up --phase expand
printf '\n' >>"$MIG/0003_users_require_email.json"
expect_exit 2 mg up --phase contract
expect_contains "$ERR" "0003_users_require_email.json"
expect_contains "$ERR" "file changed since it was applied"
check '{"listIndexes": "users"}' '"nick_1" in names'
expect_exit 0 mg status --format json
python3 -c '
import json, sys
d = {m["version"]: m for m in json.load(open(sys.argv[1]))["migrations"]}
assert d[3]["drift"] is True and d[2]["drift"] is False, d
' "$OUT" || fail "status does not report the drift"
expect_exit 0 mg status
expect_contains "$OUT" "DRIFT"

# a file not in this checkout (another branch's): up goes on, revert needs no file
expect_exit 0 mg up --phase contract --to 2 --allow-drift
check '{"find": "_migrate_history", "filter": {"_id": 2}}' 'docs[0]["phase"] == "contracted"'
rm "$MIG/0004_retire_legacy_sessions.json"
expect_exit 0 mg up --allow-drift
expect_contains "$OUT" "not in this checkout"
expect_exit 0 mg revert --to 0
check '{"find": "_migrate_history"}' 'docs == []'
check '{"listIndexes": "users"}' 'names == ["_id_", "email_1", "nick_1"]'
pass
