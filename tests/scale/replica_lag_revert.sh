#!/usr/bin/env bash
# --max-replica-lag on revert: the batched restore of a column a contract
# dropped waits between batches while a streaming standby lags more than the
# bound, and finishes once the standby replays again; every value comes back,
# on the primary and on the standby. A primary and a standby of the test's
# own; the standby's replay paused with pg_wal_replay_pause(). The standby is
# named with --replica: its replay position read on the standby itself.
. "$(dirname "$0")/lib.sh"

ROWS=300000
start_standby

pq "CREATE TABLE r (id bigint PRIMARY KEY, note text)"
pq "INSERT INTO r SELECT g, md5(g::text) FROM generate_series(1, $ROWS) g"
HASH="SELECT md5(string_agg(id || ':' || coalesce(note, '-'), ',' ORDER BY id)) FROM r"
before=$(pq "$HASH")
MIG="$T/m"
mkdir -p "$MIG"
cat >"$MIG/0001_drop_note.sql" <<'SQL'
-- migrate:contract
ALTER TABLE r DROP COLUMN note;
SQL
expect_exit 0 "$MIGRATE" --db "$PRIMARY" --dir "$MIG" up
expect_eq "the contract dropped the column" \
	"$(pq "SELECT count(*) FROM pg_attribute WHERE attrelid = 'r'::regclass AND attname = 'note'")" 0
standby_caught_up
pause_replay

"$MIGRATE" --db "$PRIMARY" --dir "$MIG" revert --to 0 --max-replica-lag 2s --replica "$STANDBY" \
	--batch-size 5000 --batch-delay 50ms >"$T/revert.out" 2>"$T/revert.err" </dev/null &
REVERT=$!
BACKGROUND+=("$REVERT")
# it waits in the middle of the restore: some values back, not all, and no
# batch while it waits
expect_lag_wait "$REVERT" "$T/revert.out" "2.0 s" "SELECT count(*) FROM r WHERE note IS NOT NULL"
expect_contains "$T/revert.out" "reverting contract of 1_drop_note ..."
expect_contains "$T/revert.out" "standby the replica named with --replica is "
n1=$WAIT_PROGRESS
[ "$n1" -gt 0 ] || fail "the restore waited before its first batch"
[ "$n1" -lt "$ROWS" ] || fail "the restore ran to the end ($n1 rows) with the standby paused"
expect_eq "still recorded as contracted" \
	"$(pq "SELECT phase FROM migrate.history WHERE version = 1")" contracted
expect_eq "the trash copy is still there" "$(pq "SELECT to_regclass('migrate_trash.v1_r_note') IS NOT NULL")" t

# replay resumes: the restore goes on and the revert finishes
resume_replay
rc=0
wait "$REVERT" || rc=$?
expect_eq "revert's exit status" "$rc" 0
expect_eq "every value restored" "$(pq "$HASH")" "$before"
expect_eq "history after revert" "$(pq "SELECT count(*) FROM migrate.history")" 0
expect_eq "trash copy dropped" "$(pq "SELECT to_regclass('migrate_trash.v1_r_note') IS NULL")" t
expect_eq "revert's cursors gone" "$(pq "SELECT count(*) FROM migrate.backfills")" 0
standby_caught_up
expect_eq "the standby has every value" "$(sq "$HASH")" "$before"
pass
