# Shared by the MongoDB tests: each runs the migrate binary the way a user
# does, in a temporary directory, and checks exit codes, output and (with a
# server) the database's real state through mongo_probe, not log text.
#   MIGRATE   the binary under test
#   PROBE     tests/mongo/mongo_probe: runs one command, prints the reply as JSON
#   FIXTURES  tests/mongo/fixtures, the example MongoDB migration set
# Tests that need a server call need_server: they exit 77 (skipped) when
# MIGRATE_TEST_MONGODB_URI is unset. Each then works in a database of its
# own, dropped at the end.
# shellcheck shell=bash

set -u

# shellcheck source=../lib/assert.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"

: "${MIGRATE:?set MIGRATE to the migrate binary}"
: "${PROBE:?set PROBE to the mongo_probe binary}"
: "${FIXTURES:?set FIXTURES to tests/mongo/fixtures}"

T=$(mktemp -d "${TMPDIR:-/tmp}/migrate-mongo.XXXXXX")
cd "$T" || exit 1
OUT="$T/.out"
ERR="$T/.err"
MIG="$T/migrations"
mkdir -p "$MIG"
unset DATABASE_URL
URL=""

cleanup() {
	if [ -n "$URL" ]; then
		"$PROBE" "$URL" '{"dropDatabase": 1}' >/dev/null 2>&1
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# need_server: skips the test without a server; else points URL at a fresh
# database on it (the test's name and pid, so parallel suites do not meet).
need_server() {
	if [ -z "${MIGRATE_TEST_MONGODB_URI:-}" ]; then
		echo "skipped: MIGRATE_TEST_MONGODB_URI is not set" >&2
		exit 77
	fi
	local name=${0##*/}
	URL=$(python3 - "$MIGRATE_TEST_MONGODB_URI" "migrate_t_${name%.sh}_$$" <<'PY'
import sys
uri, db = sys.argv[1], sys.argv[2]
scheme, rest = uri.split("://", 1)
query = ""
if "?" in rest:
    rest, query = rest.split("?", 1)
    query = "?" + query
print("%s://%s/%s%s" % (scheme, rest.split("/", 1)[0], db, query))
PY
)
	"$PROBE" "$URL" '{"ping": 1}' >/dev/null || fail "no server at MIGRATE_TEST_MONGODB_URI"
	"$PROBE" "$URL" '{"dropDatabase": 1}' >/dev/null || fail "cannot empty $URL"
}

# mg ARGS...: migrate on the test database and directory.
mg() {
	"$MIGRATE" --db "$URL" --dir "$MIG" "$@"
}

# db COMMAND-JSON: the server's reply, as JSON on stdout.
db() {
	"$PROBE" "$URL" "$1" || fail "command failed: $1"
}

# check COMMAND-JSON PYTHON-EXPR...: each expression holds with `d` bound to
# the reply and `docs` to its cursor's first batch (listIndexes, find, ...).
check() {
	local cmd=$1
	shift
	db "$cmd" >"$T/.reply"
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
docs = d.get("cursor", {}).get("firstBatch", [])
names = sorted(x["name"] for x in docs if isinstance(x, dict) and "name" in x)
for expr in sys.argv[2:]:
    if not eval(expr):
        sys.exit("false: %s\n  reply: %s" % (expr, json.dumps(d)))
' "$T/.reply" "$@" || fail "database check failed after '${LAST_CMD:-}': $cmd"
}

# count COLLECTION: how many documents it holds.
count() {
	db "{\"count\": \"$1\"}" | python3 -c 'import json, sys; print(int(json.load(sys.stdin)["n"]))'
}

# documentdb: true when the server is DocumentDB (buildInfo names it), as
# migrate itself tells.
documentdb() {
	"$PROBE" "$URL" '{"buildInfo": 1}' | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if "documentdb" in d or "ferretdb" in d else 1)'
}

# fixtures: copies the example set into the migrations directory. On
# DocumentDB, which cannot run 2's unique conversion (migrate refuses
# collMod prepareUnique there: refusals.sh), 2 hides phone_1 in its contract
# instead; PHONE_EXPANDED and PHONE_CONTRACTED are what phone_1's listIndexes
# entry `x` then shows after each phase.
PHONE_EXPANDED='x.get("prepareUnique") is True'
PHONE_CONTRACTED='x.get("unique") is True'
fixtures() {
	cp "$FIXTURES"/*.json "$MIG"/
	if documentdb; then
		cat >"$MIG"/0002_users_phone_unique.json <<'JSON'
{
  "expand": [
    {"createIndexes": "users", "indexes": [{"key": {"created_at": -1}, "name": "created_at_-1"}]},
    {"createIndexes": "users", "indexes": [{"key": {"phone": 1}, "name": "phone_1"}]}
  ],
  "contract": [
    {"collMod": "users", "index": {"name": "phone_1", "hidden": true}}
  ]
}
JSON
		PHONE_EXPANDED='not x.get("prepareUnique") and not x.get("hidden")'
		PHONE_CONTRACTED='x.get("hidden") is True'
	fi
}

# seed: the app's collections before the example set: users (with an index
# on nick) and legacy_sessions.
seed() {
	db '{"insert": "users", "documents": [
		{"_id": 1, "email": "ann@example.com", "phone": "+15550001", "nick": "ann"},
		{"_id": 2, "email": "bob@example.com", "phone": "+15550002", "nick": "bob"},
		{"_id": 3, "email": "cy@example.com", "phone": "+15550003", "nick": "cy"}]}' >/dev/null
	db '{"createIndexes": "users", "indexes": [
		{"key": {"email": 1}, "name": "email_1", "unique": true},
		{"key": {"nick": 1}, "name": "nick_1"}]}' >/dev/null
	db '{"insert": "legacy_sessions", "documents": [
		{"_id": "s1", "user_id": 1}, {"_id": "s2", "user_id": 2},
		{"_id": "s3", "user_id": 3}, {"_id": "s4", "user_id": 3}]}' >/dev/null
}
