#!/usr/bin/env bash
# Zero downtime under load: a 1,000,000-row table, an "old app" pgbench
# workload (point SELECT, UPDATE and INSERT by primary key, old column names,
# 4 clients) running while a set of planned changes is applied, then a "new
# app" workload (new names) while the change finishes. Side by side in one
# run, each on a fresh copy of the same table:
#   migrate   `migrate up --phase expand` under the old app, then
#             `migrate up --phase contract` under the new app
#   dbmate    the same statements as written, one dbmate 2.36 migration,
#             under the old app (then the new app, with nothing left to apply)
# The changes: a type change (qty int -> bigint), a column rename (note ->
# remark), an index, SET NOT NULL and a foreign key; contract drops a column
# no app uses (legacy).
# Then `migrate revert --to 0` of it all under the probe workload (point
# SELECT and UPDATE by key of an untouched column, 4 clients), and the data
# check: every value back, the rows written during the transition and after
# the contract with their newest values.
# Then up again and a second `migrate revert --to 0` under the probe while an
# app transaction holds ACCESS SHARE on the table (HOLD seconds): the worst
# latency is at most the lock bound (LOCK_TIMEOUT); the same data check.
# Reported per phase: aborted clients, failed transactions, p99 and worst
# transaction latency, transactions over 100 ms, migration wall time. Then,
# without load, the backfill's throughput against one plain full-table UPDATE
# of the same column.
#
#   bench/zero-downtime.sh           (from the repository root; 16 minutes on 2 cores at load 10)
#   ROWS=1000000                     rows in the table
#   RATE=400                         the app's transactions per second (pgbench -R; 0 = as fast as it can)
#   CLIENTS=4 THREADS=2              pgbench -c / -j
#   MODE=extended                    pgbench -M (simple, extended, prepared: see bench/README.md)
#   WARMUP=5 TAIL=5                  seconds of load before and after each migration
#   CHUNK=10                         pgbench runs in chunks of this many seconds while the migration lasts
#   HOLD=8 LOCK_TIMEOUT=500ms        the second revert: how long an app transaction holds ACCESS
#                                    SHARE on the table from its start, and revert's --lock-timeout
#   BENCH_TOOLS=DIR                  where dbmate is installed (default ~/.cache/migrate-bench)
#   BENCH_BUILD=build-bench          the release build of migrate
#   BENCH_OUT=bench/out              where the results and pgbench logs go
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

rows=${ROWS:-1000000}
rate=${RATE:-400}
clients=${CLIENTS:-4}
threads=${THREADS:-2}
mode=${MODE:-extended}
warmup=${WARMUP:-5}
tail_s=${TAIL:-5}
chunk=${CHUNK:-10}
hold=${HOLD:-8}
lock_timeout=${LOCK_TIMEOUT:-500ms}
tools=${BENCH_TOOLS:-$HOME/.cache/migrate-bench}
build=${BENCH_BUILD:-build-bench}
out=${BENCH_OUT:-bench/out}

# shellcheck disable=SC2086
install_missing $MIGRATE_DEPS
if [ ! -x "$tools/node_modules/.bin/dbmate" ]; then
	echo "installing dbmate 2.36.0 into $tools" >&2
	npm install --silent --prefix "$tools" dbmate@2.36.0 >/dev/null
fi
dbmate="$tools/node_modules/.bin/dbmate"
build_into "$build" --buildtype=release -Dtests=false
migrate=$build/migrate
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pgbench=$(command -v pgbench || echo "$bindir/pgbench")

work=$(mktemp -d /tmp/migrate-bench-zd.XXXXXX)
chmod 755 "$work"
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/zero-downtime"
mkdir -p "$out/zero-downtime"
logs=$out/zero-downtime
cleanup() {
	scripts/pg-tmp stop "$work/pg"
	rm -rf "$work"
}
trap cleanup EXIT
conninfo=$(scripts/pg-tmp start "$work/pg")
conn() { echo "host=$work/pg user=postgres dbname=$1"; }
psql_on() {
	local db=$1
	shift
	PGOPTIONS='--client-min-messages=warning' psql "$(conn "$db")" -qAtX -v ON_ERROR_STOP=1 "$@"
}
now_ms() { date +%s%3N; }
say() { echo "== $*" >&2; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table, once; every run gets a copy (CREATE DATABASE ... TEMPLATE) ----
say "seeding $rows rows"
psql_on postgres -c "CREATE DATABASE zd_seed"
psql_on zd_seed <<SQL
CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO accounts SELECT g, 'account ' || g FROM generate_series(1, 1000) g;
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint, qty int, note text, status text,
	legacy text);
INSERT INTO orders SELECT g, g % 1000 + 1, g % 100, 'note ' || g, 'open', 'legacy ' || g
	FROM generate_series(1, $rows) g;
-- the apps' new ids come from here, not from a column default the change could touch
CREATE SEQUENCE bench_ids START $((rows + 1));
VACUUM ANALYZE;
SQL
copy_of_seed() {
	psql_on postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1 TEMPLATE zd_seed"
}

# ---- the change, as each tool takes it ----
change="ALTER TABLE orders ALTER COLUMN qty TYPE bigint;
ALTER TABLE orders RENAME COLUMN note TO remark;
CREATE INDEX orders_account_idx ON orders (account_id);
ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id);"
mkdir -p "$work/migrate" "$work/dbmate" "$work/backfill"
drop="ALTER TABLE orders DROP COLUMN legacy;"
printf -- '-- migrate:expand\n%s\n-- migrate:contract\n%s\n' "$change" "$drop" \
	>"$work/migrate/0001_orders_change.sql"
printf -- '-- migrate:up\n%s\n%s\n\n-- migrate:down\n' "$change" "$drop" \
	>"$work/dbmate/20261126000000_orders_change.sql"
printf -- '-- migrate:expand\nALTER TABLE orders RENAME COLUMN note TO remark;\n' \
	>"$work/backfill/0001_rename.sql"

# ---- the apps: one transaction = a point SELECT, an UPDATE and an INSERT ----
app_script() {
	cat <<SQL
\\set id random(1, $rows)
\\set acc random(1, 1000)
BEGIN;
SELECT id, account_id, qty, $1, status FROM orders WHERE id = :id;
UPDATE orders SET qty = qty + 1, $1 = 'updated ' || :id WHERE id = :id;
INSERT INTO orders (id, account_id, qty, $1, status) VALUES (nextval('bench_ids'), :acc, 1, 'inserted', 'open');
END;
SQL
}
app_script note >"$work/old_app.sql"
app_script remark >"$work/new_app.sql"
# and a probe that no version of the change breaks (1 client, 50 tx/s, no
# prepared statements): what a query of any app waits while the change runs,
# also where the app's own clients were aborted and log no more transactions
cat >"$work/probe.sql" <<SQL
\set id random(1, $rows)
SELECT account_id, status FROM orders WHERE id = :id;
UPDATE orders SET status = 'open' WHERE id = :id;
SQL

# load NAME SCRIPT DB CLIENTS THREADS RATE MODE STOP: pgbench in chunks of
# $chunk seconds until the file STOP exists (each chunk's log and summary
# kept), or until every client of a chunk aborted: restarting clients that
# fail at once measures nothing.
load() {
	local name=$1 script=$2 db=$3 n=$4 j=$5 r=$6 m=$7 stop=$8 i=0
	local rate_opt=()
	[ "$r" != 0 ] && rate_opt=(-R "$r")
	while [ ! -e "$stop" ]; do
		"$pgbench" -n -c "$n" -j "$j" -T "$chunk" -M "$m" "${rate_opt[@]}" \
			-f "$script" -r --failures-detailed -l --log-prefix="$logs/$name.$i" \
			"$(conn "$db")" >"$logs/$name.$i.out" 2>&1 || true
		local aborted
		aborted=$(grep -cE '^pgbench: error: client [0-9]+ (script [0-9]+ )?aborted' \
			"$logs/$name.$i.out" || true)
		i=$((i + 1))
		if [ "$aborted" -ge "$n" ]; then
			break
		fi
	done
	return 0
}

# phase NAME SCRIPT DB CMD...: the app runs $warmup s, CMD runs (timed) under
# it, the app runs $tail_s s more. The migration's time and exit status in
# $work/NAME.ms and $work/NAME.rc.
phase() {
	local name=$1 script=$2 db=$3
	shift 3
	say "$name: app running, then: $*"
	load "$name" "$script" "$db" "$clients" "$threads" "$rate" "$mode" "$work/$name.stop" &
	local loader=$!
	load "$name.probe" "$work/probe.sql" "$db" 1 1 50 extended "$work/$name.stop" &
	local prober=$!
	sleep "$warmup"
	local t0 rc=0
	t0=$(now_ms)
	"$@" >"$logs/$name.migration.log" 2>&1 || rc=$?
	echo $(($(now_ms) - t0)) >"$work/$name.ms"
	echo "$rc" >"$work/$name.rc"
	sleep "$tail_s"
	touch "$work/$name.stop"
	wait "$loader" "$prober"
}

# ---- migrate: expand under the old app, contract under the new one ----
copy_of_seed zd_migrate
# migrate's own statements (not the apps') go to the server log with their durations
logged="-c log_min_duration_statement=0 -c log_lock_waits=on"
phase migrate_expand "$work/old_app.sql" zd_migrate env PGOPTIONS="$logged" \
	"$migrate" --db "$(conn zd_migrate)" --dir "$work/migrate" up --phase expand
phase migrate_contract "$work/new_app.sql" zd_migrate env PGOPTIONS="$logged" \
	"$migrate" --db "$(conn zd_migrate)" --dir "$work/migrate" up --phase contract

# its contracted columns, kept for the comparison with dbmate's
psql_on postgres -c "CREATE DATABASE zd_migrate_contracted"
psql_on zd_migrate -c "SELECT string_agg(format('%I %s%s', attname, format_type(atttypid, atttypmod),
	CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END), ', ' ORDER BY attnum)
	FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attnum > 0 AND NOT attisdropped" \
	>"$work/contracted_columns"
psql_on zd_migrate_contracted -c "CREATE TABLE orders ($(cat "$work/contracted_columns"))"

# ---- migrate revert --to 0 under the probe workload, 4 clients ----
# the newest values, after the new app's writes: what the revert must keep
psql_on zd_migrate -c "CREATE TABLE bench_newest AS SELECT id, remark, qty FROM orders"
phase_probe() {
	local name=$1
	shift
	say "$name: probe clients running, then: $*"
	load "$name" "$work/probe.sql" zd_migrate "$clients" "$threads" "$rate" "$mode" \
		"$work/$name.stop" &
	local loader=$!
	sleep "$warmup"
	local t0 rc=0
	t0=$(now_ms)
	"$@" >"$logs/$name.migration.log" 2>&1 || rc=$?
	echo $(($(now_ms) - t0)) >"$work/$name.ms"
	echo "$rc" >"$work/$name.rc"
	sleep "$tail_s"
	touch "$work/$name.stop"
	wait "$loader"
}
phase_probe migrate_revert env PGOPTIONS="$logged" \
	"$migrate" --db "$(conn zd_migrate)" --dir "$work/migrate" revert --to 0
# every value back: note holds remark's newest value, qty its own, legacy the seed's
psql_on zd_migrate -c "SELECT
	(SELECT count(*) FROM orders) || ' ' || (SELECT count(*) FROM bench_newest) || ' ' ||
	(SELECT count(*) FROM orders o JOIN bench_newest n USING (id)
		WHERE o.note IS DISTINCT FROM n.remark OR o.qty IS DISTINCT FROM n.qty::int) || ' ' ||
	(SELECT count(*) FROM orders WHERE id <= $rows AND legacy IS DISTINCT FROM 'legacy ' || id) || ' ' ||
	(SELECT count(*) FROM orders WHERE id > $rows AND legacy IS NOT NULL)" >"$work/revert_check"
read -r rows_after rows_newest lost legacy_lost legacy_new <"$work/revert_check"
echo "$rows_after $rows_newest $lost $legacy_lost $legacy_new" >"$logs/revert_check"
[ "$(cat "$work/migrate_revert.rc")" = 0 ] || { cat "$logs/migrate_revert.migration.log" >&2; exit 1; }

# ---- the same again, while an app transaction holds a lock on the table ----
# up again (expand and contract, no load), then revert --to 0 under the probe
# while a transaction holds ACCESS SHARE on orders for $hold s from the start:
# each DDL attempt of the revert queues its ACCESS EXCLUSIVE for at most the
# lock timeout, the probe's queries behind it; the worst latency is the bound
"$migrate" --db "$(conn zd_migrate)" --dir "$work/migrate" up >"$logs/migrate_up_again.log" 2>&1
psql_on zd_migrate -c "DROP TABLE bench_newest" \
	-c "CREATE TABLE bench_newest AS SELECT id, remark, qty FROM orders"
(
	sleep "$((warmup > 1 ? warmup - 1 : 0))"
	PGAPPNAME=bench_holder psql_on zd_migrate \
		-c "BEGIN; SELECT count(*) FROM orders WHERE id = 1; SELECT pg_sleep($hold); COMMIT;" \
		>/dev/null
) &
holder=$!
phase_probe migrate_revert_held env PGOPTIONS="$logged" \
	"$migrate" --db "$(conn zd_migrate)" --dir "$work/migrate" revert --to 0 --lock-timeout "$lock_timeout"
wait "$holder"
psql_on zd_migrate -c "SELECT
	(SELECT count(*) FROM orders) || ' ' || (SELECT count(*) FROM bench_newest) || ' ' ||
	(SELECT count(*) FROM orders o JOIN bench_newest n USING (id)
		WHERE o.note IS DISTINCT FROM n.remark OR o.qty IS DISTINCT FROM n.qty::int) || ' ' ||
	(SELECT count(*) FROM orders WHERE id <= $rows AND legacy IS DISTINCT FROM 'legacy ' || id) || ' ' ||
	(SELECT count(*) FROM orders WHERE id > $rows AND legacy IS NOT NULL)" >"$logs/revert_held_check"
[ "$(cat "$work/migrate_revert_held.rc")" = 0 ] ||
	{ cat "$logs/migrate_revert_held.migration.log" >&2; exit 1; }

# ---- dbmate: the same statements as written, on a fresh copy ----
copy_of_seed zd_dbmate
dbmate_url="postgres://postgres@localhost/zd_dbmate?sslmode=disable&host=$work/pg"
phase dbmate_up "$work/old_app.sql" zd_dbmate \
	env DATABASE_URL="$dbmate_url" "$dbmate" --no-dump-schema --migrations-dir "$work/dbmate" up
phase dbmate_after "$work/new_app.sql" zd_dbmate true

# both end with the same columns (migrate's, as its contract left them)
for db in zd_migrate_contracted zd_dbmate; do
	got=$(psql_on "$db" -c "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) ||
		CASE WHEN attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY attname)
		FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attnum > 0 AND NOT attisdropped")
	echo "$db: $got" >>"$work/columns"
done
if [ "$(cut -d: -f2 "$work/columns" | sort -u | wc -l)" != 1 ]; then
	cat "$work/columns" >&2
	echo "the two runs ended with different columns" >&2
	exit 1
fi

# ---- backfill throughput, no load: the planner's batches against one UPDATE ----
say "backfill against a plain UPDATE"
copy_of_seed zd_plain
psql_on zd_plain -c "ALTER TABLE orders ADD COLUMN remark text"
t0=$(now_ms)
psql_on zd_plain -c "UPDATE orders SET remark = note"
plain_ms=$(($(now_ms) - t0))
copy_of_seed zd_backfill
t0=$(now_ms)
"$migrate" --db "$(conn zd_backfill)" --dir "$work/backfill" up --phase expand \
	>"$logs/backfill.log" 2>&1
backfill_ms=$(($(now_ms) - t0))
[ "$(psql_on zd_backfill -c "SELECT count(*) FROM orders WHERE remark IS DISTINCT FROM note")" = 0 ] ||
	{ echo "the backfill left rows behind" >&2; exit 1; }

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
cp "$work/pg/server.log" "$logs/server.log"

# ---- the report ----
python3 - "$logs" "$work" "$clients" "$rows" "$plain_ms" "$backfill_ms" <<'PY' >"$logs/results.md"
import glob, os, re, sys
logs, work, clients, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
plain_ms, backfill_ms = int(sys.argv[5]), int(sys.argv[6])

def phase(name):
    lat, failed, aborted, processed, chunks = [], 0, 0, 0, 0
    for f in sorted(glob.glob(f"{logs}/{name}.[0-9]*.out")):
        chunks += 1
        text = open(f).read()
        aborted += len(re.findall(r"^pgbench: error: client \d+ (script \d+ )?aborted", text, re.M))
        m = re.search(r"number of failed transactions: (\d+)", text)
        failed += int(m.group(1)) if m else 0
        m = re.search(r"number of transactions actually processed: (\d+)", text)
        processed += int(m.group(1)) if m else 0
    for f in glob.glob(f"{logs}/{name}.[0-9]*"):
        if f.endswith(".out"):
            continue
        for line in open(f):
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                lat.append(int(parts[2]) / 1000.0)
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
    worst = lat[-1] if lat else float("nan")
    slow = sum(1 for x in lat if x > 100)
    return dict(aborted=aborted, failed=failed, processed=processed, p99=p99, worst=worst,
                slow=slow, n=len(lat))

rowsout = [
    ("migrate", "expand (old app)", "migrate_expand"),
    ("migrate", "contract (new app)", "migrate_contract"),
    ("migrate", "revert --to 0 (probe, 4 clients)", "migrate_revert"),
    ("migrate", "revert --to 0 again, an app transaction holding a lock (probe, 4 clients)",
     "migrate_revert_held"),
    ("dbmate 2.36", "up (old app)", "dbmate_up"),
    ("dbmate 2.36", "after (new app)", "dbmate_after"),
]
print("| tool | phase | migration time | exit | app transactions | aborted clients | failed transactions | p99 latency | worst latency | over 100 ms | probe: worst latency |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for tool, label, name in rowsout:
    r = phase(name)
    probe = phase(name + ".probe") if not name.startswith("migrate_revert") else r
    ms = int(open(f"{work}/{name}.ms").read())
    rc = open(f"{work}/{name}.rc").read().strip()
    mig = "-" if name == "dbmate_after" else f"{ms / 1000:.1f} s"
    extra = f", {probe['aborted']} probe aborted" if probe["aborted"] else ""
    print(f"| {tool} | {label} | {mig} | {rc} | {r['n']} | {r['aborted']} of {clients} | "
          f"{r['failed']} | {r['p99']:.1f} ms | {r['worst']:.1f} ms | {r['slow']} | "
          f"{probe['worst']:.1f} ms{extra} |")
print()
rate_m = None
for line in open(f"{logs}/backfill.log"):
    m = re.search(r"\((\d+) rows/s, done\)", line)
    if m:
        rate_m = int(m.group(1))
plain_rate = rows / (plain_ms / 1000)
wall_rate = rows / (backfill_ms / 1000)
print("| without load | time | rows/s |")
print("|---|---:|---:|")
print(f"| one plain `UPDATE orders SET remark = note` | {plain_ms / 1000:.1f} s | {plain_rate:,.0f} |")
print(f"| `migrate up --phase expand` of the rename (trigger, batches of 1000, whole phase) | {backfill_ms / 1000:.1f} s | {wall_rate:,.0f} |")
if rate_m:
    print(f"| the backfill alone, as migrate reports it | | {rate_m:,} |")
print()
after, newest, lost, legacy_lost, legacy_new = open(f"{logs}/revert_check").read().split()
print(f"revert data check: {after} rows after the revert ({newest} before it), {lost} rows whose "
      f"note or qty is not the newest value written before the revert, {legacy_lost} rows whose "
      f"dropped column did not come back with its value, {legacy_new} rows inserted after the "
      f"contract with a value in it (want 0 0 0)")
after, newest, lost, legacy_lost, legacy_new = open(f"{logs}/revert_held_check").read().split()
print(f"second revert (lock held) data check: {after} rows after ({newest} before), {lost} "
      f"not the newest, {legacy_lost} dropped values not back, {legacy_new} new rows with one "
      f"(want 0 0 0)")
print()
best = max(wall_rate, rate_m or 0)
print(f"backfill / plain UPDATE: {wall_rate / plain_rate:.2f} (whole phase), "
      f"{(rate_m or 0) / plain_rate:.2f} (backfill alone); target at least 0.50")
PY

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $load_start at the start, $load_end at the end"
	echo "postgres: $(psql_on postgres -c 'SHOW server_version') (scripts/pg-tmp: fsync off, synchronous_commit off)"
	echo "migrate: $("$migrate" --version | cut -d' ' -f2), dbmate: 2.36.0, pgbench: $clients clients, $threads threads, -M $mode, rate ${rate} tx/s (0 = unthrottled)"
	echo "second revert: an app transaction holds ACCESS SHARE on orders for ${hold} s from its start; revert --lock-timeout $lock_timeout (the bound)"
	echo "table: $rows rows; change: qty int -> bigint, note -> remark, index on account_id, status SET NOT NULL, foreign key account_id -> accounts"
	echo
	cat "$logs/results.md"
} | tee "$logs/summary.md"
echo "pgbench logs, migration output and this summary: $logs" >&2
