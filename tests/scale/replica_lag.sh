#!/usr/bin/env bash
# --max-replica-lag: a backfill of 1,000,000 rows waits between batches while
# a streaming standby lags more than the bound, says so on its progress line,
# and finishes once the standby replays again. A primary and a standby of its
# own (pg_basebackup -R), both on unix sockets in the test's directory; the
# standby's replay paused with pg_wal_replay_pause() midway through.
#
# A sampler reads the standby's lag on the primary every 0.1 s throughout the
# backfill (pg_stat_replication's replay_lag, what migrate waits on, with the
# backfill's cursor in the same snapshot). While replay is paused the lag only
# grows, so once a sample shows it past the bound, every later check migrate
# makes sees it past the bound too: from that sample on, at most the batch
# that was running then may commit: one batch's rows, one batch's WAL.
. "$(dirname "$0")/lib.sh"

ROWS=1000000 BATCH=10000 BOUND_MS=3000
start_standby

pq "CREATE TABLE t (id bigint PRIMARY KEY, a text) WITH (autovacuum_enabled = off)"
pq "INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, $ROWS) g"
MIG="$T/m"
mkdir -p "$MIG"
cat >"$MIG/0001_t_token.sql" <<'SQL'
-- migrate:expand
ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid();
SQL
standby_caught_up

"$MIGRATE" --db "$PRIMARY" --dir "$MIG" up --phase expand --max-replica-lag "${BOUND_MS}ms" \
	--batch-size "$BATCH" >"$T/up.out" 2>"$T/up.err" </dev/null &
UP=$!
BACKGROUND+=("$UP")
for _ in $(seq 600); do
	[ "$(pq "SELECT to_regclass('migrate.backfills') IS NOT NULL")" = t ] && break
	sleep 0.1
done
# time (ms), the cursor's rows (-1: none), replay_lag (ms), bytes behind, WAL position
psql "$PRIMARY" -X -q -At -F ' ' >"$T/samples" 2>"$T/sampler.err" <<'SQL' &
SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
	coalesce((SELECT rows FROM migrate.backfills WHERE unit >= 0 LIMIT 1), -1),
	coalesce((extract(epoch FROM replay_lag) * 1000)::bigint, 0),
	pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,
	pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint
	FROM pg_stat_replication \watch 0.1
SQL
SAMPLER=$!
BACKGROUND+=("$SAMPLER")
now_ms() { date +%s%3N; }

# a few batches with the standby replaying, then it stops replaying
for _ in $(seq 1200); do
	[ "$(pq "SELECT coalesce((SELECT rows FROM migrate.backfills WHERE unit >= 0), 0) >= 2 * $BATCH")" = t ] && break
	kill -0 "$UP" 2>/dev/null || break
	sleep 0.1
done
pause_replay
PAUSED=$(now_ms)
# while it waits, no batch runs: the cursor stays where it is, short of the end
expect_lag_wait "$UP" "$T/up.out" "3.0 s" "SELECT rows FROM migrate.backfills WHERE unit >= 0"
rows1=$WAIT_PROGRESS
[ "$rows1" -lt "$ROWS" ] || fail "the backfill ran to the end ($rows1 rows) with the standby paused"
[ "$(sq "SELECT count(*) FROM t WHERE token IS NOT NULL")" -lt "$rows1" ] ||
	fail "the standby has every filled row although paused"
expect_eq "unfilled rows remain" "$(pq "SELECT count(*) > 0 FROM t WHERE token IS NULL")" t

# replay resumes: the backfill goes on and finishes
RESUMED=$(now_ms)
resume_replay
rc=0
wait "$UP" || rc=$?
kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
expect_eq "up's exit status" "$rc" 0
expect_eq "every row filled" "$(pq "SELECT count(*) FROM t WHERE token IS NULL")" 0
expect_eq "history" "$(pq "SELECT phase FROM migrate.history WHERE version = 1")" expanded
expect_eq "cursor gone" "$(pq "SELECT count(*) FROM migrate.backfills")" 0
standby_caught_up
expect_eq "the standby has every row filled" "$(sq "SELECT count(*) FROM t WHERE token IS NULL")" 0

# The lag throughout the backfill, against the bound. The WAL of one batch:
# the backfill's WAL over its rows, times the batch size.
[ -s "$T/samples" ] || fail "the sampler read nothing: $(cat "$T/sampler.err")"
verdict=$(awk -v paused="$PAUSED" -v resumed="$RESUMED" -v bound="$BOUND_MS" -v batch="$BATCH" '
	NF == 5 && $2 >= 0 {
		if (!n++) { rows0 = $2; wal0 = $5 }
		rowsN = $2; walN = $5
		if ($1 > paused && $1 < resumed) {
			if (!w++) at_pause = $2
			if ($3 > bound && !crossed) { crossed = 1; rows_c = $2; behind_c = $4 }
			if (crossed) { rows_e = $2; behind_e = $4 }
		}
	}
	END {
		if (n < 2 || rowsN <= rows0) { print "too few samples: " n; exit }
		per_batch = (walN - wal0) / (rowsN - rows0) * batch
		if (!crossed) { print "no sample past the bound while paused (" w " samples)"; exit }
		if (rows_c <= at_pause) { print "no batch ran while paused under the bound"; exit }
		if (rows_e - rows_c > batch)
			{ print "rows committed past the bound: " rows_e - rows_c " > " batch; exit }
		if (behind_e - behind_c > 1.5 * per_batch)
			{ printf "WAL written past the bound: %d bytes, one batch %d\n", behind_e - behind_c, per_batch; exit }
		printf "ok: paused at %d rows, lag past the bound at %d, stopped at %d; %d bytes past it (one batch %d)\n", at_pause, rows_c, rows_e, behind_e - behind_c, per_batch
	}' "$T/samples")
echo "$verdict" >&2
case $verdict in ok:*) ;; *) fail "lag against the bound: $verdict" ;; esac

# A step that takes a lock waits too: with the standby already past the
# bound, a plain ALTER TABLE is not run until it replays again.
pause_replay
pq "CREATE TABLE filler AS SELECT g FROM generate_series(1, 1000) g"
for _ in $(seq 300); do
	[ "$(pq "SELECT coalesce(replay_lag > interval '${BOUND_MS} ms', false) FROM pg_stat_replication")" = t ] && break
	sleep 0.1
done
cat >"$MIG/0002_t_note.sql" <<'SQL'
-- migrate:expand
ALTER TABLE t ADD COLUMN note text;
SQL
"$MIGRATE" --db "$PRIMARY" --dir "$MIG" up --phase expand --max-replica-lag "${BOUND_MS}ms" \
	>"$T/up2.out" 2>"$T/up2.err" </dev/null &
UP=$!
BACKGROUND+=("$UP")
expect_lag_wait "$UP" "$T/up2.out" "3.0 s" \
	"SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'note'"
expect_eq "the ALTER TABLE waits" "$WAIT_PROGRESS" 0
expect_eq "not applied while it waits" "$(pq "SELECT count(*) FROM migrate.history WHERE version = 2 AND phase <> 'pending'")" 0
resume_replay
rc=0
wait "$UP" || rc=$?
expect_eq "up's exit status" "$rc" 0
expect_eq "the column after the wait" "$(pq "SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'note'")" 1
expect_eq "history" "$(pq "SELECT phase FROM migrate.history WHERE version = 2")" expanded

# --replica names the standby to watch; without --max-replica-lag it is refused
expect_exit 2 "$MIGRATE" --db "$PRIMARY" --dir "$MIG" up --replica "$STANDBY"
expect_contains "$ERR" "--replica names a standby to wait for"
expect_exit 2 "$MIGRATE" --db "$PRIMARY" --dir "$MIG" up --max-replica-lag 2x
pass
