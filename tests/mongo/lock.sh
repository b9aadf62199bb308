#!/usr/bin/env bash
# The run lock: a lease document. A live holder keeps others out (exit 4,
# nothing applied); an expired one is taken over; a run leaves no lock behind.
. "$(dirname "$0")/lib.sh"
need_server
seed
fixtures

db '{"insert": "_migrate_lock", "documents": [{"_id": "lock", "owner": "someone",
	"who": "bob@build-7", "command": "migrate up",
	"acquired_at": {"$date": "2030-01-01T00:00:00Z"},
	"expires_at": {"$date": "2999-01-01T00:00:00Z"}}]}' >/dev/null
expect_exit 4 mg up --lock-wait 1s
expect_contains "$ERR" "another migrate holds the lock"
expect_contains "$ERR" "'migrate up' by bob@build-7"
check '{"listCollections": 1, "filter": {"name": "notifications"}}' 'docs == []'
check '{"find": "_migrate_history"}' 'docs == []'
expect_exit 4 mg revert --lock-wait 500ms

# the holder died: once its lease ended, the lock is taken over
db '{"update": "_migrate_lock", "updates": [{"q": {"_id": "lock"},
	"u": {"$set": {"expires_at": {"$date": "2000-01-01T00:00:00Z"}}}}]}' >/dev/null
expect_exit 0 mg up --phase expand --lock-wait 1s
check '{"find": "_migrate_lock"}' 'docs == []'
check '{"find": "_migrate_history"}' 'len(docs) == 4'

# a run that fails releases the lock too
printf '{"expand": [{"collMod": "no_such_collection", "validationAction": "warn"}]}\n' \
	>"$MIG/0005_fails.json"
expect_exit 3 mg up --phase expand
expect_contains "$ERR" "0005_fails.json:1:13:"
check '{"find": "_migrate_lock"}' 'docs == []'
check '{"find": "_migrate_history", "filter": {"_id": 5}}' 'docs[0]["phase"] == "expanding"'
expect_exit 0 mg revert --steps 1
rm "$MIG/0005_fails.json"
check '{"find": "_migrate_history", "filter": {"_id": 5}}' 'docs == []'

# a lease shorter than the run: renewed before each step, released at the end
MIGRATE_MONGODB_LOCK_TTL=1s expect_exit 0 mg up --phase contract
check '{"find": "_migrate_lock"}' 'docs == []'
check '{"find": "_migrate_history"}' 'all(x["phase"] == "contracted" for x in docs)'
pass
