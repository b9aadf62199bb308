#!/usr/bin/env bash
# Each command the lint rules and inverses know, on the server: expand,
# contract and revert, with the server's real state (listIndexes,
# listCollections options, document counts) checked after each step. The
# example set (roundtrip.sh) covers create with a validator, createIndexes
# (TTL), collMod validator/validationAction/hidden, dropIndexes, drop and
# update; these are the rest: a view, renameCollection, collMod
# validationLevel and a TTL change, dropIndexes of an index the migration did
# not make.
. "$(dirname "$0")/lib.sh"
need_server
seed
db '{"createIndexes": "users", "indexes": [{"key": {"seen_at": 1}, "name": "seen_at_ttl", "expireAfterSeconds": 3600}]}' >/dev/null

cat >"$MIG/0001_view.json" <<'JSON'
{
  "expand": [
    {"create": "user_emails", "viewOn": "users", "pipeline": [{"$project": {"email": 1}}]},
    {"collMod": "users", "validator": {"email": {"$exists": true}}, "validationLevel": "moderate"},
    {"collMod": "users", "index": {"name": "seen_at_ttl", "expireAfterSeconds": 60}}
  ],
  "contract": [
    {"renameCollection": "DB.legacy_sessions", "to": "DB.old_sessions"},
    {"dropIndexes": "users", "index": "seen_at_ttl"}
  ]
}
JSON
db_name=${URL##*/}
db_name=${db_name%%\?*}
sed -i "s/DB\./$db_name./g" "$MIG/0001_view.json"

expect_exit 0 mg up --phase expand
check '{"listCollections": 1, "filter": {"name": "user_emails"}}' \
	'len(docs) == 1' 'docs[0]["type"] == "view"' 'docs[0]["options"]["viewOn"] == "users"'
check '{"listCollections": 1, "filter": {"name": "users"}}' \
	'docs[0]["options"]["validationLevel"] == "moderate"' \
	'docs[0]["options"]["validator"] == {"email": {"$exists": True}}'
check '{"listIndexes": "users"}' \
	'[x["expireAfterSeconds"] for x in docs if x["name"] == "seen_at_ttl"] == [60]'
[ "$(count user_emails)" = 3 ] || fail "the view does not show users"

expect_exit 0 mg up --phase contract
check '{"listCollections": 1, "filter": {"name": "legacy_sessions"}}' 'docs == []'
[ "$(count old_sessions)" = 4 ] || fail "renameCollection lost documents"
check '{"listIndexes": "users"}' 'names == ["_id_", "email_1", "nick_1"]'

expect_exit 0 mg revert
[ "$(count legacy_sessions)" = 4 ] || fail "revert did not rename legacy_sessions back"
check '{"listCollections": 1, "filter": {"name": "old_sessions"}}' 'docs == []'
check '{"listIndexes": "users"}' \
	'names == ["_id_", "email_1", "nick_1", "seen_at_ttl"]' \
	'[x["expireAfterSeconds"] for x in docs if x["name"] == "seen_at_ttl"] == [60]'

expect_exit 0 mg revert
check '{"listCollections": 1, "filter": {"name": "user_emails"}}' 'docs == []'
check '{"listCollections": 1, "filter": {"name": "users"}}' \
	'"validator" not in docs[0]["options"] or docs[0]["options"]["validator"] == {}' \
	'docs[0]["options"].get("validationLevel", "strict") == "strict"'
check '{"listIndexes": "users"}' \
	'[x["expireAfterSeconds"] for x in docs if x["name"] == "seen_at_ttl"] == [3600]'
[ "$(count users)" = 3 ] || fail "users lost documents"
check '{"find": "_migrate_history"}' 'docs == []'
pass
