#!/usr/bin/env bash
# Two `migrate up` at once on one database: the run lock lets one apply each
# migration and the other wait, then find nothing left to do; every phase
# runs once (one "ok" event per migration and phase).
. "$(dirname "$0")/lib.sh"
need_server
seed
fixtures

"$MIGRATE" --db "$URL" --dir "$MIG" up --lock-wait 120s >"$T/a.out" 2>"$T/a.err" &
a=$!
"$MIGRATE" --db "$URL" --dir "$MIG" up --lock-wait 120s >"$T/b.out" 2>"$T/b.err" &
b=$!
wait "$a" || fail "the first up failed: $(cat "$T/a.err")"
wait "$b" || fail "the second up failed: $(cat "$T/b.err")"

check '{"find": "_migrate_history"}' 'len(docs) == 4' \
	'all(x["phase"] == "contracted" for x in docs)'
check '{"find": "_migrate_events", "filter": {"command": "up", "outcome": "ok"}}' \
	'sorted((x["version"], x["phase"]) for x in docs) == sorted(set((x["version"], x["phase"]) for x in docs))' \
	'set(x["version"] for x in docs) == {1, 2, 3, 4}'
# what the set made, once
check '{"listIndexes": "notifications"}' \
	'names == ["_id_", "created_at_ttl", "user_id_1_created_at_-1"]'
[ "$(count _migrate_trash_v4_legacy_sessions)" = 4 ] || fail "the trash lacks the documents"
check '{"find": "_migrate_lock"}' 'docs == []'
pass
