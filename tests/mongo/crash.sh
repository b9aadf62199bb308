#!/usr/bin/env bash
# Killed in the middle of a phase: the history says how far it got, up
# resumes from there, and revert undoes what an interrupted phase did.
. "$(dirname "$0")/lib.sh"
need_server
seed
fixtures

# expire_lock: what a killed run's lease does after MIGRATE_MONGODB_LOCK_TTL
expire_lock() {
	db '{"update": "_migrate_lock", "updates": [{"q": {"_id": "lock"},
		"u": {"$set": {"expires_at": {"$date": "2000-01-01T00:00:00Z"}}}}]}' >/dev/null
}

# killed right after the first command of 1's expand (MIGRATE_TEST_CRASH_AFTER
# counts the commands of a phase, as for SQL)
MIGRATE_TEST_CRASH_AFTER=1 expect_exit 137 mg up --phase expand
check '{"find": "_migrate_history", "filter": {"_id": 1}}' \
	'docs[0]["phase"] == "expanding"' 'docs[0]["steps_done"] == 1' \
	'len(docs[0]["revert_expand"]) == 1'
check '{"listCollections": 1, "filter": {"name": "notifications"}}' 'len(docs) == 1'
check '{"listIndexes": "notifications"}' 'names == ["_id_"]'
expect_exit 0 mg status
expect_contains "$OUT" "interrupted"

# the killed run's lease holds the lock until it ends
expect_exit 4 mg up --phase expand --lock-wait 200ms
expire_lock

expect_exit 0 mg up --phase expand
expect_contains "$OUT" "resuming after command 1 of 2"
check '{"listIndexes": "notifications"}' \
	'names == ["_id_", "created_at_ttl", "user_id_1_created_at_-1"]'
check '{"find": "_migrate_history"}' 'len(docs) == 4' \
	'all(x["phase"] == "expanded" for x in docs)'

# killed again, in 2's contract (1 has nothing to contract), then reverted
# instead of resumed
MIGRATE_TEST_CRASH_AFTER=1 expect_exit 137 mg up --phase contract
check '{"find": "_migrate_history", "filter": {"_id": 2}}' 'docs[0]["phase"] == "contracting"'
check '{"listIndexes": "users"}' "[$PHONE_CONTRACTED for x in docs if x['name'] == 'phone_1'] == [True]"
expire_lock
expect_exit 0 mg revert --to 0
expect_contains "$OUT" "was interrupted while contracting"
check '{"find": "_migrate_history"}' 'docs == []'
check '{"listIndexes": "users"}' 'names == ["_id_", "email_1", "nick_1"]'
check '{"listCollections": 1, "filter": {"name": "notifications"}}' 'docs == []'
[ "$(count users)" = 3 ] || fail "users lost documents"
pass
