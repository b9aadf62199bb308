#!/usr/bin/env bash
# Bad input and database failures on a real server: clear message, the
# right exit code, and a database left as it was.
. "$(dirname "$0")/lib.sh"
need_server
seed

# lint errors: nothing applied (exit 1)
printf '{"expand": [{"drop": "legacy_sessions"}]}\n' >"$MIG/0001_drop.json"
expect_exit 1 mg up
expect_contains "$ERR" "error[mongo-drop-collection]"
[ "$(count legacy_sessions)" = 4 ] || fail "a refused migration ran"
rm "$MIG/0001_drop.json"

# a SQL migration among MongoDB ones: refused before anything runs
printf '{"expand": [{"create": "audit"}]}\n' >"$MIG/0001_audit.json"
printf 'CREATE TABLE t (id bigint);\n' >"$MIG/0002_t.sql"
expect_exit 2 mg up
expect_contains "$ERR" "0002_t.sql:1:1: error: SQL statement for a MongoDB database"
check '{"listCollections": 1, "filter": {"name": "audit"}}' 'docs == []'
rm "$MIG/0002_t.sql"

# a write concern the server cannot meet is a failure (exit 3), at the command;
# DocumentDB ignores write concerns (no replica sets), so only on MongoDB
if documentdb; then
	expect_exit 0 mg up
else
	printf '{"expand": [\n  {"insert": "users", "documents": [{"_id": 9}],\n   "writeConcern": {"w": 50, "wtimeout": 500}}\n]}\n' \
		>"$MIG/0002_wc.json"
	expect_exit 3 mg up
	expect_contains "$ERR" "0002_wc.json:2:3:"
	# on a replica set the document may be written all the same: its undo is recorded
	check '{"find": "_migrate_history", "filter": {"_id": 2}}' \
		'docs[0]["phase"] == "expanding"' 'len(docs[0]["revert_expand"]) == 1'
	expect_exit 0 mg revert --steps 1
	check '{"find": "users", "filter": {"_id": 9}}' 'docs == []'
	rm "$MIG/0002_wc.json"
fi

# a unique index over duplicates fails at its command; revert undoes the rest
db '{"insert": "users", "documents": [{"_id": 4, "email": "dup@example.com", "phone": "+15550001"}]}' >/dev/null
cat >"$MIG/0003_phone.json" <<'JSON'
{
  "expand": [
    {"createIndexes": "users", "indexes": [{"key": {"phone": 1}, "name": "phone_1"}]},
    {"collMod": "users", "index": {"name": "phone_1", "prepareUnique": true}}
  ],
  "contract": [
    {"collMod": "users", "index": {"name": "phone_1", "unique": true}}
  ]
}
JSON
if documentdb; then
	# DocumentDB: refused before anything runs, naming the engine's limit
	check '{"find": "_migrate_history"}' 'len(docs) == 1' >/dev/null
	expect_exit 2 mg up
	expect_contains "$ERR" "0003_phone.json:4:5:"
	expect_contains "$ERR" "DocumentDB cannot run collMod prepareUnique on index 'phone_1' of 'users'"
	expect_contains "$ERR" "buildAsUnique"
	check '{"find": "_migrate_history"}' 'len(docs) == 1' '[x["_id"] for x in docs] == [1]'
	check '{"listIndexes": "users"}' 'names == ["_id_", "email_1", "nick_1"]'
else
	expect_exit 3 mg up
	expect_contains "$ERR" "0003_phone.json:7:5:"
	check '{"find": "_migrate_history", "filter": {"_id": 3}}' 'docs[0]["phase"] == "contracting"'
fi
expect_exit 0 mg revert --to 0
check '{"listIndexes": "users"}' 'names == ["_id_", "email_1", "nick_1"]'
check '{"listCollections": 1, "filter": {"name": "audit"}}' 'docs == []'
check '{"find": "_migrate_history"}' 'docs == []'
pass
