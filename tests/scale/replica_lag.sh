#!/usr/bin/env bash
# --max-replica-lag: a backfill waits between batches while a streaming
# standby lags more than the bound, says so on its progress line, and
# finishes once the standby replays again. A primary and a standby of its
# own (pg_basebackup -R), both on unix sockets in the test's directory; the
# standby's replay paused with pg_wal_replay_pause(). 3,000 rows in batches
# of 100 (the issue's 1,000,000 rows are for a benchmark, not for CI).
. "$(dirname "$0")/lib.sh"

bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/pg_basebackup" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
run_as() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
chmod 755 "$T"
P="$T/primary" S="$T/standby"
stop_servers() {
	[ -f "$S/data/postmaster.pid" ] && run_as "$bindir/pg_ctl" -D "$S/data" -m immediate stop >/dev/null 2>&1
	"$SRCDIR/scripts/pg-tmp" stop "$P" >/dev/null 2>&1
	cleanup
}
trap stop_servers EXIT
PRIMARY=$("$SRCDIR/scripts/pg-tmp" start "$P") || fail "cannot start the primary"
mkdir -p "$S"
[ "$(id -u)" = 0 ] && chown postgres: "$S"
run_as "$bindir/pg_basebackup" -h "$P" -U postgres -D "$S/data" -R -X stream >"$T/basebackup.log" 2>&1 ||
	fail "pg_basebackup: $(cat "$T/basebackup.log")"
run_as "$bindir/pg_ctl" -D "$S/data" -l "$S/server.log" -w \
	-o "-k $S -c listen_addresses= -c hot_standby=on -c fsync=off" start >/dev/null ||
	fail "the standby did not start: $(cat "$S/server.log")"
STANDBY="host=$S user=postgres dbname=postgres"
pq() { psql "$PRIMARY" -X -q -At -v ON_ERROR_STOP=1 -c "$1" || fail "primary: $1"; }
sq() { psql "$STANDBY" -X -q -At -v ON_ERROR_STOP=1 -c "$1" || fail "standby: $1"; }
for _ in $(seq 100); do
	[ "$(pq "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] && break
	sleep 0.1
done
expect_eq "standby streaming" "$(pq "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" 1

pq "CREATE TABLE t (id bigint PRIMARY KEY, a text)"
pq "INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 3000) g"
MIG="$T/m"
mkdir -p "$MIG"
cat >"$MIG/0001_t_token.sql" <<'SQL'
-- migrate:expand
ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid();
SQL
# the standby has the table, then stops replaying
for _ in $(seq 100); do
	[ "$(sq "SELECT count(*) FROM pg_class WHERE relname = 't'")" = 1 ] && break
	sleep 0.1
done
sq "SELECT pg_wal_replay_pause()" >/dev/null

"$MIGRATE" --db "$PRIMARY" --dir "$MIG" up --phase expand --max-replica-lag 1s \
	--batch-size 100 --batch-delay 50ms >"$T/up.out" 2>"$T/up.err" </dev/null &
UP=$!
BACKGROUND+=("$UP")
for _ in $(seq 300); do
	grep -q "waiting for replicas" "$T/up.out" && break
	kill -0 "$UP" 2>/dev/null || break
	sleep 0.1
done
OUT="$T/up.out" ERR="$T/up.err"
LAST_CMD="migrate up --max-replica-lag 1s (standby paused)"
expect_contains "$T/up.out" "waiting for replicas: standby "
expect_contains "$T/up.out" "behind (--max-replica-lag 1.0 s)"
kill -0 "$UP" 2>/dev/null || fail "up ended while the standby was paused"
# while it waits, no batch runs: the cursor stays where it is, short of the end
rows1=$(pq "SELECT rows FROM migrate.backfills")
sleep 1
rows2=$(pq "SELECT rows FROM migrate.backfills")
expect_eq "no batch while the standby lags" "$rows2" "$rows1"
[ "$rows1" -lt 3000 ] || fail "the backfill ran to the end ($rows1 rows) with the standby paused"
[ "$(pq "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) > 0 FROM pg_stat_replication")" = t ] ||
	fail "the standby is not behind"
expect_eq "unfilled rows remain" "$(pq "SELECT count(*) > 0 FROM t WHERE token IS NULL")" t

# replay resumes: the backfill goes on and finishes
sq "SELECT pg_wal_replay_resume()" >/dev/null
rc=0
wait "$UP" || rc=$?
expect_eq "up's exit status" "$rc" 0
expect_eq "every row filled" "$(pq "SELECT count(*) FROM t WHERE token IS NULL")" 0
expect_eq "history" "$(pq "SELECT phase FROM migrate.history WHERE version = 1")" expanded
expect_eq "cursor gone" "$(pq "SELECT count(*) FROM migrate.backfills")" 0

# --replica names the standby to watch; without --max-replica-lag it is refused
expect_exit 2 "$MIGRATE" --db "$PRIMARY" --dir "$MIG" up --replica "$STANDBY"
expect_contains "$ERR" "--replica names a standby to wait for"
expect_exit 2 "$MIGRATE" --db "$PRIMARY" --dir "$MIG" up --max-replica-lag 2x
pass
