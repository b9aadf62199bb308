# Shared by the scale tests: many databases, replicas and poolers on the
# throwaway server of scripts/test (MIGRATE_TEST_PG). The PostgreSQL suite's
# helpers (new_db, q, mg, cleanup) are used as they are.
# shellcheck shell=bash
# shellcheck source=../pg/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../pg/lib.sh"

# target_db NAME: a fresh database for target NAME; its conninfo in TCONN[NAME].
declare -A TCONN
target_db() {
	new_db "$1"
	TCONN[$1]=$CONN
}

# tq NAME SQL: one query on target NAME's database.
tq() {
	psql "${TCONN[$1]}" -X -q -At -v ON_ERROR_STOP=1 -c "$2" || fail "query failed on $1: $2"
}

# start_standby: a primary of the test's own and a streaming standby of it
# (pg_basebackup -R), both on unix sockets in $T, stopped when the test
# ends. Sets PRIMARY and STANDBY (conninfos); pq SQL and sq SQL query them.
start_standby() {
	standby_bindir=$(pg_config --bindir 2>/dev/null || true)
	[ -x "$standby_bindir/pg_basebackup" ] ||
		standby_bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
	chmod 755 "$T"
	PRIMARY_DIR="$T/primary" STANDBY_DIR="$T/standby"
	trap stop_standby EXIT
	PRIMARY=$("$SRCDIR/scripts/pg-tmp" start "$PRIMARY_DIR") || fail "cannot start the primary"
	mkdir -p "$STANDBY_DIR"
	[ "$(id -u)" = 0 ] && chown postgres: "$STANDBY_DIR"
	as_postgres "$standby_bindir/pg_basebackup" -h "$PRIMARY_DIR" -U postgres \
		-D "$STANDBY_DIR/data" -R -X stream >"$T/basebackup.log" 2>&1 ||
		fail "pg_basebackup: $(cat "$T/basebackup.log")"
	as_postgres "$standby_bindir/pg_ctl" -D "$STANDBY_DIR/data" -l "$STANDBY_DIR/server.log" -w \
		-o "-k $STANDBY_DIR -c listen_addresses= -c hot_standby=on -c fsync=off" \
		start >/dev/null || fail "the standby did not start: $(cat "$STANDBY_DIR/server.log")"
	STANDBY="host=$STANDBY_DIR user=postgres dbname=postgres"
	for _ in $(seq 100); do
		[ "$(pq "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] &&
			break
		sleep 0.1
	done
	expect_eq "standby streaming" \
		"$(pq "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" 1
}

# as_postgres CMD...: runs CMD as the postgres user when the tests run as root.
as_postgres() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_standby() {
	[ -f "$STANDBY_DIR/data/postmaster.pid" ] &&
		as_postgres "$standby_bindir/pg_ctl" -D "$STANDBY_DIR/data" -m immediate stop \
			>/dev/null 2>&1
	"$SRCDIR/scripts/pg-tmp" stop "$PRIMARY_DIR" >/dev/null 2>&1
	cleanup
}

pq() { psql "$PRIMARY" -X -q -At -v ON_ERROR_STOP=1 -c "$1" || fail "primary: $1"; }
sq() { psql "$STANDBY" -X -q -At -v ON_ERROR_STOP=1 -c "$1" || fail "standby: $1"; }

# standby_caught_up: waits (up to 2 minutes) until the standby has replayed
# everything the primary has written.
standby_caught_up() {
	for _ in $(seq 1200); do
		[ "$(pq "SELECT pg_current_wal_lsn() <= replay_lsn FROM pg_stat_replication")" = t ] &&
			return 0
		sleep 0.1
	done
	fail "the standby did not catch up: $(pq "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication") bytes behind"
}

# pause_replay, resume_replay: the standby stops replaying WAL (it still
# receives it), and starts again.
pause_replay() {
	sq "SELECT pg_wal_replay_pause()" >/dev/null
	for _ in $(seq 100); do
		[ "$(sq "SELECT pg_get_wal_replay_pause_state()")" = paused ] && return 0
		sleep 0.1
	done
	fail "the standby's replay did not pause"
}
resume_replay() {
	sq "SELECT pg_wal_replay_resume()" >/dev/null
}

# wait_output FILE TEXT PID: waits (up to a minute) until FILE holds TEXT or
# process PID has ended.
wait_output() {
	for _ in $(seq 600); do
		grep -qF -- "$2" "$1" && return 0
		kill -0 "$3" 2>/dev/null || return 0
		sleep 0.1
	done
}

# expect_lag_wait PID FILE BOUND PROGRESS_SQL: process PID (its output in
# FILE) is waiting for a standby past --max-replica-lag BOUND (as printed,
# "3.0 s"), and makes no progress while it waits: PROGRESS_SQL (on the
# primary) gives the same answer twice, a second apart. That answer in
# WAIT_PROGRESS.
expect_lag_wait() {
	wait_output "$2" "waiting for replicas" "$1"
	LAST_CMD="the run with --max-replica-lag $3, the standby paused"
	expect_contains "$2" "waiting for replicas: standby "
	expect_contains "$2" "behind (--max-replica-lag $3)"
	kill -0 "$1" 2>/dev/null || fail "it ended while the standby was paused"
	WAIT_PROGRESS=$(pq "$4")
	sleep 1
	expect_eq "no batch while the standby lags" "$(pq "$4")" "$WAIT_PROGRESS"
}
