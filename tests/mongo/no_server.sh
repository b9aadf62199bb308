#!/usr/bin/env bash
# What needs no server: lint of MongoDB files through the binary (every
# reporter names file, line and the command's place), bad JSON as bad input,
# and the URL checks made before connecting.
. "$(dirname "$0")/lib.sh"

# the example set lints clean
expect_exit 0 "$MIGRATE" lint "$FIXTURES"
expect_contains "$OUT" "4 files, 12 statements: 0 errors, 0 warnings"

cat >"$MIG/0001_users.json" <<'JSON'
{
  "expand": [
    {"create": "audit"},
    {"dropIndexes": "users", "index": "email_1"}
  ]
}
JSON
expect_exit 1 "$MIGRATE" lint migrations
expect_contains "$OUT" "migrations/0001_users.json:4:5: error[mongo-drop-index]: expand[1] dropIndexes:"
expect_exit 1 "$MIGRATE" lint --format json migrations
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = d["findings"][0]
assert f["rule"] == "mongo-drop-index" and f["line"] == 4 and f["column"] == 5, f
assert f["message"].startswith("expand[1] dropIndexes"), f
assert d["files"] == 1 and d["statements"] == 2, d
' "$OUT" || fail "lint --format json"
expect_exit 1 "$MIGRATE" lint --format github migrations
expect_contains "$OUT" "::error file=migrations/0001_users.json,line=4,col=5,title=mongo-drop-index::expand[1]"
expect_exit 1 "$MIGRATE" lint --format sarif migrations
expect_contains "$OUT" '"startLine": 4, "startColumn": 5'

# migrate.conf turns a MongoDB rule off like any other
printf '[rules]\nmongo-drop-index = off\n' >migrate.conf
expect_exit 0 "$MIGRATE" lint migrations
rm migrate.conf

# bad JSON is bad input, at its line, for lint and before anything is applied
printf '{"expand": [\n  {"drop": "a"}\n  {"drop": "b"}\n]}\n' >"$MIG/0002_bad.json"
expect_exit 2 "$MIGRATE" lint migrations
expect_contains "$ERR" "migrations/0002_bad.json:3:3:"
expect_exit 2 "$MIGRATE" up --db "mongodb://127.0.0.1:9/app" --dir "$MIG"
expect_contains "$ERR" "migrations/0002_bad.json:3:3:"
rm "$MIG/0002_bad.json"

# URLs: a database must be named; an unreachable server is exit 3, password hidden
expect_exit 2 "$MIGRATE" status --db "mongodb://127.0.0.1:9" --dir "$MIG"
expect_contains "$ERR" "names no database"
expect_exit 2 "$MIGRATE" status --db "mongodb://[bad" --dir "$MIG"
expect_exit 3 "$MIGRATE" status --db "mongodb://app:s3cret@127.0.0.1:9/app?serverSelectionTimeoutMS=300" --dir "$MIG"
expect_contains "$ERR" "cannot connect to mongodb://app:***@127.0.0.1:9/app"
grep -q s3cret "$ERR" && fail "the password was printed"
MIGRATE_MONGODB_LOCK_TTL=soon expect_exit 2 "$MIGRATE" status --db "mongodb://127.0.0.1:9/app" --dir "$MIG"
expect_contains "$ERR" "MIGRATE_MONGODB_LOCK_TTL"

pass
