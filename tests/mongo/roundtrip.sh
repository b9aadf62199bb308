#!/usr/bin/env bash
# The example set on a real server: expand, contract, then revert step by
# step back to the start, with the documents a contract dropped restored.
. "$(dirname "$0")/lib.sh"
need_server
seed
fixtures

# ---- expand: only additions; the old app keeps working ----
expect_exit 0 mg up --phase expand
expect_contains "$OUT" "expanding 4_retire_legacy_sessions"
check '{"listCollections": 1, "filter": {"name": "notifications"}}' \
	'len(docs) == 1' \
	'docs[0]["options"]["validationAction"] == "error"'
check '{"listIndexes": "notifications"}' \
	'names == ["_id_", "created_at_ttl", "user_id_1_created_at_-1"]' \
	'[x for x in docs if x["name"] == "created_at_ttl"][0]["expireAfterSeconds"] == 2592000'
check '{"listIndexes": "users"}' \
	'names == ["_id_", "created_at_-1", "email_1", "nick_1", "phone_1"]' \
	"[$PHONE_EXPANDED for x in docs if x['name'] == 'phone_1'] == [True]" \
	'[x for x in docs if x["name"] == "nick_1"][0].get("hidden") is True'
check '{"listCollections": 1, "filter": {"name": "users"}}' \
	'docs[0]["options"]["validationAction"] == "warn"' \
	'"$jsonSchema" in docs[0]["options"]["validator"]'
[ "$(count legacy_sessions)" = 4 ] || fail "expand touched legacy_sessions"
expect_exit 0 mg status --format json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["migrations"]
assert [m["phase"] for m in d] == ["expanded"] * 4, d
assert all(m["expanded_at"] and not m["drift"] for m in d), d
' "$OUT" || fail "status after expand"

# ---- contract: what the old app needed goes; dropped documents go to the trash ----
expect_exit 0 mg up --phase contract
check '{"listIndexes": "users"}' \
	'names == ["_id_", "created_at_-1", "email_1", "phone_1"]' \
	"[$PHONE_CONTRACTED for x in docs if x['name'] == 'phone_1'] == [True]"
check '{"listCollections": 1, "filter": {"name": "users"}}' \
	'docs[0]["options"]["validationAction"] == "error"'
check '{"listCollections": 1, "filter": {"name": "legacy_sessions"}}' 'docs == []'
[ "$(count _migrate_trash_v4_legacy_sessions)" = 4 ] || fail "the trash lacks the documents"
check '{"find": "_migrate_trash"}' \
	'[x["_id"] for x in docs] == ["_migrate_trash_v4_legacy_sessions"]' \
	'docs[0]["source"] == "legacy_sessions"'
check '{"find": "users", "filter": {"nick": {"$exists": true}}}' 'docs == []'
check '{"find": "users", "filter": {"display_name": "bob"}}' 'len(docs) == 1'
expect_exit 0 mg up
expect_contains "$OUT" "nothing to apply"

# ---- revert the newest phase: the contract of 4, documents back ----
expect_exit 0 mg revert
expect_contains "$OUT" "reverting contract of 4_retire_legacy_sessions"
[ "$(count legacy_sessions)" = 4 ] || fail "revert did not restore legacy_sessions"
check '{"find": "legacy_sessions", "filter": {"_id": "s4"}}' 'docs[0]["user_id"] == 3'
check '{"listCollections": 1, "filter": {"name": "_migrate_trash_v4_legacy_sessions"}}' 'docs == []'
check '{"find": "_migrate_trash"}' 'docs == []'
check '{"listIndexes": "users"}' \
	'"nick_1" in names' \
	'[x for x in docs if x["name"] == "nick_1"][0].get("hidden") is True'
check '{"find": "users", "filter": {"nick": "bob"}}' 'len(docs) == 1'
expect_exit 0 mg status --format json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["migrations"]
assert [m["phase"] for m in d] == ["contracted"] * 3 + ["expanded"], d
' "$OUT" || fail "status after one revert"

# ---- everything back to pending: the database as it was before the set ----
expect_exit 0 mg revert --to 0
check '{"listCollections": 1, "filter": {"name": "notifications"}}' 'docs == []'
check '{"listIndexes": "users"}' \
	'names == ["_id_", "email_1", "nick_1"]' \
	'not [x for x in docs if x.get("hidden") or x.get("prepareUnique")]' \
	'[x for x in docs if x["name"] == "email_1"][0]["unique"] is True'
check '{"listCollections": 1, "filter": {"name": "users"}}' \
	'not docs[0]["options"].get("validator")'
[ "$(count users)" = 3 ] || fail "users lost documents"
[ "$(count legacy_sessions)" = 4 ] || fail "legacy_sessions lost documents"
check '{"find": "_migrate_history"}' 'docs == []'
check '{"find": "_migrate_events", "filter": {"command": "revert", "outcome": "ok"}}' \
	'len(docs) == 8'
check '{"find": "_migrate_lock"}' 'docs == []'

# ---- and forward again, in one go ----
expect_exit 0 mg up
expect_exit 0 mg status --format json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["migrations"]
assert [m["phase"] for m in d] == ["contracted"] * 4, d
' "$OUT" || fail "status after up"
expect_exit 0 mg plan 4
expect_contains "$OUT" "-- revert-contract (as recorded):"
pass
