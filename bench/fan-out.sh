#!/usr/bin/env bash
# Applies a set of 20 migrations (a table each, an index built concurrently,
# a column added) to 50 databases on one throwaway PostgreSQL with one
# `migrate up --all-targets`: once one target at a time, once with
# --parallel 4, each on fresh databases. Prints each target's wall time (as
# migrate reports it) and the whole run's, and checks every database got
# all 20 migrations.
#
#   bench/fan-out.sh           (from the repository root)
#   TARGETS=50 MIGRATIONS=20 PARALLEL=4
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

targets=${TARGETS:-50}
count=${MIGRATIONS:-20}
parallel=${PARALLEL:-4}

# shellcheck disable=SC2086
install_missing $MIGRATE_DEPS
build_into build-bench --buildtype=release -Dtests=false
migrate=$PWD/build-bench/migrate

work=$(mktemp -d /tmp/migrate-bench-fanout.XXXXXX)
chmod 755 "$work"
cleanup() {
	scripts/pg-tmp stop "$work/pg"
	rm -rf "$work"
}
trap cleanup EXIT
conninfo=$(scripts/pg-tmp start "$work/pg")
psql_admin() { PGOPTIONS='--client-min-messages=warning' psql "$conninfo" -qAtX -v ON_ERROR_STOP=1 "$@"; }

mkdir -p "$work/m"
for i in $(seq 1 "$count"); do
	v=$(printf '%04d' "$i")
	cat >"$work/m/${v}_t$i.sql" <<SQL
-- migrate:expand
CREATE TABLE t$i (id bigint PRIMARY KEY, name text);
CREATE INDEX CONCURRENTLY t${i}_name_idx ON t$i (name);
ALTER TABLE t$i ADD COLUMN note text;
SQL
done

# run NAME FLAGS...: fresh databases, one up over all of them; wall time and
# migrate's own per-target times (its "[svcNN] ok in S s" lines)
run() {
	local name=$1
	shift
	{
		echo "[migrations]"
		echo "dir = $work/m"
		for t in $(seq 1 "$targets"); do
			psql_admin -c "DROP DATABASE IF EXISTS fan_$t" -c "CREATE DATABASE fan_$t"
			printf '\n[target "svc%02d"]\ndb = %s dbname=fan_%d\n' "$t" "$conninfo" "$t"
		done
	} >"$work/migrate.conf"
	local t0 t1
	t0=$(date +%s.%N)
	(cd "$work" && "$migrate" up --all-targets "$@" >"$work/$name.out" 2>&1) ||
		{ cat "$work/$name.out"; exit 1; }
	t1=$(date +%s.%N)
	for t in $(seq 1 "$targets"); do
		n=$(PGOPTIONS='--client-min-messages=warning' psql "$conninfo dbname=fan_$t" -qAtX -c "SELECT count(*) FROM migrate.history WHERE phase = 'contracted'")
		[ "$n" = "$count" ] || { echo "fan_$t has $n of $count migrations" >&2; exit 1; }
	done
	local times
	times=$(sed -nE 's/^\[svc[0-9]+\] ok in ([0-9.]+) s$/\1/p' "$work/$name.out" | sort -n)
	printf '%-22s wall %6.2f s; per target: min %s s, median %s s, max %s s\n' "$name" \
		"$(echo "$t1 - $t0" | bc)" "$(echo "$times" | head -1)" \
		"$(echo "$times" | sed -n "$(((targets + 1) / 2))p")" "$(echo "$times" | tail -1)"
	grep -E '^migrate up: ' "$work/$name.out"
}

echo "$targets databases, $count migrations each, one PostgreSQL $(psql_admin -c 'SHOW server_version'), $(nproc) cores"
run sequential
run "parallel $parallel" --parallel "$parallel"
