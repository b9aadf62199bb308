#!/usr/bin/env bash
# A PostgreSQL run killed with SIGKILL leaves nothing in /dev/shm: the
# MongoDB driver's shared-memory counters (/dev/shm/mongoc-<pid>) stay off
# on a run that does not use MongoDB (tests/sqlite/no_shm.sh for SQLite).
. "$(dirname "$0")/lib.sh"

[ -d /dev/shm ] || { echo "skipped: no /dev/shm here" >&2; exit 77; }

new_db
migration 0001_t.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY);
CREATE TABLE u (id bigint PRIMARY KEY);
SQL
MIGRATE_TEST_CRASH_AFTER=1 "$MIGRATE" --db "$CONN" --dir "$MIG" up >"$OUT" 2>"$ERR" &
pid=$!
wait "$pid"
rc=$?
[ "$rc" = 137 ] || fail "expected a kill (exit 137), got $rc: $(cat "$ERR")"
[ ! -e "/dev/shm/mongoc-$pid" ] || fail "a killed PostgreSQL run left /dev/shm/mongoc-$pid"
echo ok
