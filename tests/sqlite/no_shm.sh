#!/usr/bin/env bash
# No trace of the MongoDB driver on a run that does not use MongoDB:
# mongo-c-driver's shared-memory counters (/dev/shm/mongoc-<pid>) stay off,
# so a run killed with SIGKILL leaves nothing in /dev/shm (left behind, the
# file makes a later process with the same pid warn on stderr). The
# PostgreSQL half is tests/pg/no_shm.sh.
. "$(dirname "$0")/lib.sh"

[ -d /dev/shm ] || { echo "skipped: no /dev/shm here" >&2; exit 77; }

migration 1 base <<'SQL'
-- migrate:expand
CREATE TABLE a (id INTEGER PRIMARY KEY);
CREATE TABLE b (id INTEGER PRIMARY KEY);
SQL

# run_killed ARGS...: migrate with ARGS, killed after the first statement of
# a phase; prints its pid
run_killed() {
	MIGRATE_TEST_CRASH_AFTER=1 "$MIGRATE" "$@" >"$OUT" 2>"$ERR" &
	local pid=$!
	wait "$pid"
	local rc=$?
	[ "$rc" = 137 ] || fail "expected a kill (exit 137), got $rc: $(cat "$ERR")"
	echo "$pid"
}

pid=$(run_killed --db "sqlite:$DB" --dir "$MIG" up)
[ ! -e "/dev/shm/mongoc-$pid" ] || fail "a killed SQLite run left /dev/shm/mongoc-$pid"

# and a plain run, even --help, writes nothing on stderr
"$MIGRATE" --help >"$OUT" 2>"$ERR" || fail "migrate --help failed"
[ ! -s "$ERR" ] || fail "migrate --help wrote on stderr: $(cat "$ERR")"
echo ok
