#!/usr/bin/env bash
# Lock waits under load: an app transaction holds ACCESS SHARE on a table (a
# long report) while `migrate up` adds a column, which needs ACCESS
# EXCLUSIVE. Each attempt of the ALTER queues its lock for up to
# --lock-timeout, and every probe query of the app (point SELECT and UPDATE
# by key, pgbench, 4 clients) waits behind the queued lock meanwhile; between
# attempts migrate sleeps with nothing queued. Reported for each lock
# timeout: worst and p99 probe latency, probe transactions over the lock
# timeout, migrate's tries and total wait, and its exit status (the holder
# may outlast every try: then migrate gives up with exit 3).
#
#   bench/lock-wait.sh                  (from the repository root; about a minute)
#   TIMEOUTS="500ms 2s"                 the --lock-timeout values compared
#   HOLD=12                             seconds the app transaction holds its lock
#   RETRIES=4                           migrate --retries
#   ROWS=100000 CLIENTS=4 RATE=200      table size, pgbench -c and -R
#   BENCH_BUILD=build                   the build of migrate to use
set -euo pipefail
cd "$(dirname "$0")/.."

timeouts=${TIMEOUTS:-500ms 2s}
hold=${HOLD:-12}
retries=${RETRIES:-4}
rows=${ROWS:-100000}
clients=${CLIENTS:-4}
rate=${RATE:-200}
build=${BENCH_BUILD:-build}
migrate=$build/migrate
[ -x "$migrate" ] || { echo "build migrate first (ninja -C $build)" >&2; exit 1; }
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pgbench=$(command -v pgbench || echo "$bindir/pgbench")
psql_bin="$bindir/psql"

work=$(mktemp -d /tmp/migrate-bench-lw.XXXXXX)
chmod 755 "$work"
conn=$(scripts/pg-tmp start "$work/pg")
trap 'scripts/pg-tmp stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
sql() { "$psql_bin" "$conn" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

cat >"$work/probe.sql" <<SQL
\set id random(1, $rows)
SELECT v FROM t WHERE id = :id;
UPDATE t SET v = v + 1 WHERE id = :id;
SQL

printf '%-14s %10s %10s %12s %8s %12s %6s\n' "lock-timeout" "worst ms" "p99 ms" "over bound" \
	"timeouts" "waited ms" "exit"
for lt in $timeouts; do
	db="lw_${lt}"
	sql -c "CREATE DATABASE $db" >/dev/null
	dconn="$conn dbname=$db"
	"$psql_bin" "$dconn" -X -q -c "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)" \
		-c "INSERT INTO t (id) SELECT g FROM generate_series(1, $rows) g" -c "VACUUM ANALYZE t"
	mig="$work/m_$db"
	mkdir -p "$mig"
	echo "ALTER TABLE t ADD COLUMN note text;" >"$mig/0001_note.sql"
	# the app's long transaction: a report that keeps its snapshot and lock
	PGAPPNAME=report "$psql_bin" "$dconn" -X -q -c \
		"BEGIN; SELECT count(*) FROM t; SELECT pg_sleep($hold); COMMIT" >/dev/null &
	holder=$!
	sleep 0.5
	rm -f "$work"/pgbench_log.*
	(cd "$work" && "$pgbench" -n -c "$clients" -j 2 -R "$rate" -T $((hold - 1)) -l \
		-f probe.sql "$dconn" >"$work/pgbench.out" 2>&1) &
	bench=$!
	sleep 1
	status=0
	"$migrate" --db "$dconn" --dir "$mig" --lock-timeout "$lt" up --retries "$retries" \
		>"$work/mg.out" 2>"$work/mg.err" || status=$?
	wait "$bench" || true
	wait "$holder" || true
	bound_ms=$(echo "$lt" | sed -E 's/ms$//; s/^([0-9]+)s$/\1000/')
	cat "$work"/pgbench_log.* | awk '{ printf "%.1f\n", $3 / 1000.0 }' | sort -n >"$work/lat"
	n=$(wc -l <"$work/lat")
	worst=$(tail -1 "$work/lat")
	p99=$(sed -n "$((n * 99 / 100))p" "$work/lat")
	over=$(awk -v b="$bound_ms" '$1 > b' "$work/lat" | wc -l)
	# attempts that timed out, and the time they waited (the error's total when
	# migrate gave up, else the last retry line's)
	tries=$(grep -c 'lock timeout' "$work/mg.out" || true)
	[ "$status" = 3 ] && tries=$((tries + 1))
	waited=$(grep -oE '[0-9]+ ms waiting on (it in all|locks so far)' "$work/mg.out" "$work/mg.err" |
		tail -1 | grep -oE '^[^:]*:?[0-9]+' | grep -oE '[0-9]+$' || echo 0)
	printf '%-14s %10s %10s %12s %8s %12s %6s\n' "$lt" "$worst" "$p99" "$over" "$tries" \
		"$waited" "$status"
done
