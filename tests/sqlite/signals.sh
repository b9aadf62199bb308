#!/usr/bin/env bash
# SIGINT / SIGTERM on SQLite: sqlite3_interrupt stops the running statement,
# the phase's transaction rolls back, the run lock (the sidecar) is released,
# the message says so, exit 130 / 143, and a rerun completes.
. "$(dirname "$0")/lib.sh"

MIG="$T/m"
mkdir -p "$MIG"
cat >"$MIG/0001_t.sql" <<'SQL'
CREATE TABLE t (id integer PRIMARY KEY, a int);
SQL
expect_exit 0 mg --dir "$MIG" up
# fill ROWS: a migration whose one statement runs for a long time
fill() {
	cat >"$MIG/0002_fill.sql" <<SQL
-- migrate:expand
INSERT INTO t (a) SELECT x FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL
  SELECT x + 1 FROM c LIMIT $1) SELECT x FROM c) AS s;
-- migrate:revert-expand
DELETE FROM t;
SQL
}
for sig in INT TERM; do
	fill 200000000
	"$MIGRATE" --db "sqlite:$DB" --dir "$MIG" up >"$OUT" 2>"$ERR" &
	pid=$!
	# until it runs the INSERT (its history row is written before, in the same transaction)
	sleep 1
	kill -"$sig" "$pid"
	status=0
	wait "$pid" || status=$?
	want=130
	[ "$sig" = TERM ] && want=143
	[ "$status" = "$want" ] || fail "SIG$sig: exit $status, not $want: $(cat "$ERR")"
	expect_contains "$ERR" "interrupted (SIG$sig): expand of 2_fill was rolled back: nothing of it was applied; 'migrate up' runs it again"
	expect_eq "rows after SIG$sig" "$(q "SELECT count(*) FROM t")" 0
	expect_eq "history after SIG$sig" "$(q "SELECT count(*) FROM _migrate_history WHERE version = 2")" 0
done
# the lock is free: a rerun neither waits nor exits 4
fill 1000
expect_exit 0 mg --dir "$MIG" up --lock-wait 0
expect_eq "rows after the rerun" "$(q "SELECT count(*) FROM t")" 1000
pass
