#!/usr/bin/env bash
# Applies 200 migrations of two DDL statements each with `migrate up` and with
# dbmate 2.36, on the same throwaway PostgreSQL, each run on a fresh database;
# best of 3 wall times and their ratio. migrate also lints every file first,
# records each statement's inverse and each file's checksum.
#
#   bench/apply.sh            (from the repository root)
#   BENCH_TOOLS=DIR           where dbmate is installed (default ~/.cache/migrate-bench)
#   RUNS=3 MIGRATIONS=200
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

runs=${RUNS:-3}
count=${MIGRATIONS:-200}
tools=${BENCH_TOOLS:-$HOME/.cache/migrate-bench}

# shellcheck disable=SC2086
install_missing $MIGRATE_DEPS
if [ ! -x "$tools/node_modules/.bin/dbmate" ]; then
	echo "installing dbmate 2.36.0 into $tools" >&2
	npm install --silent --prefix "$tools" dbmate@2.36.0 >/dev/null
fi
dbmate="$tools/node_modules/.bin/dbmate"
build_into build-bench --buildtype=release -Dtests=false
migrate=build-bench/migrate

work=$(mktemp -d /tmp/migrate-bench-apply.XXXXXX)
chmod 755 "$work"
cleanup() {
	scripts/pg-tmp stop "$work/pg"
	rm -rf "$work"
}
trap cleanup EXIT
conninfo=$(scripts/pg-tmp start "$work/pg")
psql_admin() { PGOPTIONS='--client-min-messages=warning' psql "$conninfo" -qAtX -v ON_ERROR_STOP=1 "$@"; }

# the same SQL for both tools: dbmate's markers for dbmate, plain files for migrate
mkdir -p "$work/migrate" "$work/dbmate"
for i in $(seq 1 "$count"); do
	v=$(printf '%04d' "$i")
	sql="CREATE TABLE bench_$i (id bigint PRIMARY KEY, account_id bigint NOT NULL, note text, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX bench_${i}_account_idx ON bench_$i (account_id);"
	printf '%s\n' "$sql" >"$work/migrate/${v}_bench_$i.sql"
	printf -- '-- migrate:up\n%s\n\n-- migrate:down\nDROP TABLE bench_%s;\n' "$sql" "$i" \
		>"$work/dbmate/${v}_bench_$i.sql"
done

now_ms() { date +%s%3N; }
best() { sort -n | head -1; }

run_migrate() {
	psql_admin -c "DROP DATABASE IF EXISTS bench_m" -c "CREATE DATABASE bench_m"
	local t0 t1
	t0=$(now_ms)
	"$migrate" --quiet --db "host=$work/pg user=postgres dbname=bench_m" --dir "$work/migrate" up
	t1=$(now_ms)
	[ "$(psql "host=$work/pg user=postgres dbname=bench_m" -qAtX -c \
		"SELECT count(*) FROM migrate.history WHERE phase = 'contracted'")" = "$count" ]
	echo $((t1 - t0))
}

run_dbmate() {
	psql_admin -c "DROP DATABASE IF EXISTS bench_d" -c "CREATE DATABASE bench_d"
	local t0 t1
	t0=$(now_ms)
	DATABASE_URL="postgres://postgres@localhost/bench_d?sslmode=disable&host=$work/pg" \
		"$dbmate" --no-dump-schema --migrations-dir "$work/dbmate" up >/dev/null
	t1=$(now_ms)
	[ "$(psql "host=$work/pg user=postgres dbname=bench_d" -qAtX -c \
		"SELECT count(*) FROM schema_migrations")" = "$count" ]
	echo $((t1 - t0))
}

m_times=()
d_times=()
for r in $(seq 1 "$runs"); do
	m_times+=("$(run_migrate)")
	d_times+=("$(run_dbmate)")
	echo "run $r: migrate ${m_times[-1]} ms, dbmate ${d_times[-1]} ms" >&2
done
m_best=$(printf '%s\n' "${m_times[@]}" | best)
d_best=$(printf '%s\n' "${d_times[@]}" | best)
ratio=$(awk -v m="$m_best" -v d="$d_best" 'BEGIN { printf "%.2f", m / d }')

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "postgres: $(psql_admin -c 'SHOW server_version')"
echo "migrations: $count x 2 DDL statements, best of $runs, fresh database each run"
printf '%-28s %10s\n' "tool" "best (ms)"
printf '%-28s %10s\n' "migrate up ($(build-bench/migrate --version | cut -d' ' -f2))" "$m_best"
printf '%-28s %10s\n' "dbmate up (2.36.0)" "$d_best"
echo "ratio migrate/dbmate: $ratio"
