#!/usr/bin/env bash
# migrate purge on the server: a trash collection newer than --older-than
# stays; with a cutoff it is past, it is dropped with its _migrate_trash
# entry, and the contract it came from then refuses to revert, leaving the
# database as it was.
. "$(dirname "$0")/lib.sh"
need_server
seed
fixtures

expect_exit 0 mg up
[ "$(count _migrate_trash_v4_legacy_sessions)" = 4 ] || fail "the trash lacks the documents"
expect_exit 0 mg purge --older-than 1h
[ "$(count _migrate_trash_v4_legacy_sessions)" = 4 ] || fail "purge dropped a trash newer than its cutoff"
check '{"find": "_migrate_trash"}' 'len(docs) == 1'

sleep 1
expect_exit 0 mg purge --older-than 1s
check '{"listCollections": 1, "filter": {"name": "_migrate_trash_v4_legacy_sessions"}}' 'docs == []'
check '{"find": "_migrate_trash"}' 'docs == []'

expect_exit 3 mg revert
expect_contains "$ERR" "were purged"
check '{"find": "_migrate_history", "filter": {"_id": 4}}' 'docs[0]["phase"] == "contracted"'
check '{"listIndexes": "users"}' 'names == ["_id_", "created_at_-1", "email_1", "phone_1"]'
pass
