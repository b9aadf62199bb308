# Shared by the PostgreSQL integration tests: each test runs the migrate
# binary against the throwaway server of scripts/test (MIGRATE_TEST_PG, a
# libpq conninfo), in databases of its own, and checks the database's real
# state through catalogue queries, not log text.
#   MIGRATE  the binary under test
#   SRCDIR   the source tree (for migrations-example/)
# Exits 77 (skipped) when MIGRATE_TEST_PG is unset.
# shellcheck shell=bash

set -u

# shellcheck source=../lib/assert.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"

: "${MIGRATE:?set MIGRATE to the migrate binary}"
: "${SRCDIR:?set SRCDIR to the source tree}"
if [ -z "${MIGRATE_TEST_PG:-}" ] || ! command -v psql >/dev/null; then
	echo "skipped: MIGRATE_TEST_PG is not set (scripts/test starts a server)" >&2
	exit 77
fi
# Debian's /usr/bin/psql is a Perl wrapper that costs more than the query:
# call the client itself (the tests run psql a few hundred times).
PSQL_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin/psql | sort -V | tail -1)
[ -x "$PSQL_BIN" ] || PSQL_BIN=
PSQL_BIN=${PSQL_BIN:-$(command -v psql)}
psql() {
	"$PSQL_BIN" "$@"
}
# shellcheck disable=SC2034 # used by the tests that source this file
EXAMPLE="$SRCDIR/migrations-example"
TEST_NAME=${0##*/}
TEST_NAME=${TEST_NAME%.sh}

# Every test works in its own directory: migrate.conf and .env are read from
# the current directory, so one left behind would change results.
T=$(mktemp -d "${TMPDIR:-/tmp}/migrate-pg.XXXXXX")
cd "$T" || exit 1
OUT="$T/.out"
ERR="$T/.err"
unset DATABASE_URL PGDATABASE PGAPPNAME
export PGCONNECT_TIMEOUT=10

DATABASES=()
BACKGROUND=()
cleanup() {
	local pid
	for pid in "${BACKGROUND[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for db in "${DATABASES[@]}"; do
		psql "$MIGRATE_TEST_PG" -X -q -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" \
			>/dev/null 2>&1
	done
	rm -rf "$T"
}
trap cleanup EXIT

# new_db [SUFFIX]: creates a fresh database t_<test>[_suffix]_<pid> and points
# CONN, DB and the migrations directory MIG ($T/m_<suffix>, empty) at it. Two
# suites run in parallel on one server, so every name carries the pid.
# shellcheck disable=SC2120 # the suffix is optional
new_db() {
	local suffix=${1:+_$1}
	DB="t_${TEST_NAME}${suffix}_$$"
	DATABASES+=("$DB")
	psql "$MIGRATE_TEST_PG" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$DB\"" >/dev/null ||
		fail "cannot create database $DB"
	CONN="$MIGRATE_TEST_PG dbname=$DB"
	MIG="$T/m${suffix}"
	rm -rf "$MIG"
	mkdir -p "$MIG"
}

# sql ARGS...: psql on the test database, stops at the first error.
sql() {
	psql "$CONN" -X -q -v ON_ERROR_STOP=1 "$@"
}

# q SQL: one query, unaligned tuples only.
q() {
	psql "$CONN" -X -q -At -v ON_ERROR_STOP=1 -c "$1" || fail "query failed: $1"
}

# migration NAME: writes stdin to $MIG/NAME.
migration() {
	cat >"$MIG/$1"
}

# mg ARGS...: migrate on the test database and directory.
mg() {
	"$MIGRATE" --db "$CONN" --dir "$MIG" "$@"
}

# The schemas the snapshot leaves out: the history and the trash are compared
# on their own.
USER_SCHEMAS="SELECT oid, nspname FROM pg_namespace
	WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'migrate', 'migrate_trash')
	AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%'"

# The catalogue, one object a line, sorted: columns by table then NAME (a
# column put back by a revert goes to the end of its table, which is no
# difference), with types, nullability, defaults and comments; indexes,
# constraints, views, functions, triggers, types.
SCHEMA_SNAPSHOT="
WITH ns AS ($USER_SCHEMAS)
SELECT line FROM (
	SELECT 'schema ' || nspname AS line FROM ns
	UNION ALL
	SELECT 'relation ' || n.nspname || '.' || c.relname || ' kind=' || c.relkind::text ||
		' persistence=' || c.relpersistence::text ||
		coalesce(' comment=' || obj_description(c.oid, 'pg_class'), '')
	FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
	WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
	UNION ALL
	SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname || ' ' ||
		format_type(a.atttypid, a.atttypmod) ||
		CASE WHEN a.attnotnull THEN ' not null' ELSE '' END ||
		coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') ||
		CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END ||
		CASE WHEN a.attgenerated <> '' THEN ' generated' ELSE '' END ||
		coalesce(' comment=' || col_description(c.oid, a.attnum), '')
	FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	JOIN ns n ON n.oid = c.relnamespace
	LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
	UNION ALL
	SELECT 'index ' || pg_get_indexdef(i.indexrelid) ||
		CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END ||
		coalesce(' comment=' || obj_description(i.indexrelid, 'pg_class'), '')
	FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ns n ON n.oid = c.relnamespace
	UNION ALL
	SELECT 'constraint ' || n.nspname || '.' || coalesce(r.relname, '-') || ' ' || con.conname ||
		' ' || pg_get_constraintdef(con.oid)
	FROM pg_constraint con JOIN ns n ON n.oid = con.connamespace
	LEFT JOIN pg_class r ON r.oid = con.conrelid
	UNION ALL
	SELECT 'view ' || n.nspname || '.' || c.relname || ' ' || pg_get_viewdef(c.oid, true)
	FROM pg_class c JOIN ns n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm')
	UNION ALL
	SELECT 'function ' || pg_get_functiondef(p.oid) ||
		coalesce(' comment=' || obj_description(p.oid, 'pg_proc'), '')
	FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
	UNION ALL
	SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
	FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns n ON n.oid = c.relnamespace
	WHERE NOT t.tgisinternal
	UNION ALL
	SELECT 'type ' || n.nspname || '.' || t.typname || ' ' || t.typtype::text ||
		coalesce(' (' || (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder)
			FROM pg_enum e WHERE e.enumtypid = t.oid) || ')', '') ||
		coalesce(' comment=' || obj_description(t.oid, 'pg_type'), '')
	FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
	WHERE t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND
		(SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
	UNION ALL
	SELECT 'policy ' || schemaname || '.' || tablename || ' ' || policyname || ' ' ||
		permissive || ' ' || cmd || ' ' || roles::text || ' ' || coalesce(qual, '-') || ' ' ||
		coalesce(with_check, '-')
	FROM pg_policies p JOIN ns n ON n.nspname = p.schemaname
	UNION ALL
	SELECT 'sequence ' || n.nspname || '.' || c.relname || ' ' || s.seqtypid::regtype::text ||
		' increment ' || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax ||
		' start ' || s.seqstart || ' cache ' || s.seqcache || ' cycle ' || s.seqcycle::text ||
		coalesce(' owned by ' || (SELECT d.refobjid::regclass::text || '.' || a.attname
			FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid
			AND a.attnum = d.refobjsubid WHERE d.classid = 'pg_class'::regclass
			AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
			AND d.deptype IN ('a', 'i')), '')
	FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN ns n ON n.oid = c.relnamespace
) s ORDER BY line COLLATE \"C\""

# Every user table's rows: a count and a digest of the rows as jsonb (keys in
# a fixed order, so the position of a column does not matter).
DATA_SNAPSHOT="
WITH ns AS ($USER_SCHEMAS)
SELECT line FROM (SELECT 'rows ' || n.nspname || '.' || c.relname || ' ' ||
	(xpath('/row/r/text()', query_to_xml(format(
		'SELECT count(*) || '' '' || md5(coalesce(string_agg(to_jsonb(x)::text, '','' '
		'ORDER BY to_jsonb(x)::text), '''')) AS r FROM %I.%I x', n.nspname, c.relname),
		false, true, '')))[1]::text
	AS line
FROM pg_class c JOIN ns n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')
) s ORDER BY line COLLATE \"C\""

# snapshot FILE: the catalogue of the user schemas.
snapshot() {
	psql "$CONN" -X -q -At -v ON_ERROR_STOP=1 -c "$SCHEMA_SNAPSHOT" >"$1" ||
		fail "catalogue snapshot failed"
}

# data_snapshot FILE: the catalogue and every table's rows.
data_snapshot() {
	psql "$CONN" -X -q -At -v ON_ERROR_STOP=1 -c "$SCHEMA_SNAPSHOT" -c "$DATA_SNAPSHOT" >"$1" ||
		fail "data snapshot failed"
}

# history_state FILE: migrate.history without its timestamps and durations, and
# what migrate_trash holds.
history_state() {
	local trash="SELECT 'trash table ' || tablename FROM pg_tables
		WHERE schemaname = 'migrate_trash' ORDER BY 1"
	if [ "$(q "SELECT to_regclass('migrate.history') IS NOT NULL")" = t ]; then
		psql "$CONN" -X -q -At -v ON_ERROR_STOP=1 \
			-c "SELECT version, name, checksum, phase, steps_done, revert_expand,
				revert_contract FROM migrate.history ORDER BY version" \
			-c "SELECT 'trash ' || name || ' ' || kind || ' ' || source FROM migrate.trash
				ORDER BY name" -c "$trash" >"$1" || fail "history query failed"
	else
		{
			echo "no history"
			q "$trash"
		} >"$1"
	fi
}

# db_state FILE: everything a refused or dry run must leave as it was.
db_state() {
	data_snapshot "$1"
	history_state "$1.history"
	cat "$1.history" >>"$1"
	rm -f "$1.history"
}

# phase_of VERSION: its phase in migrate.history, or "pending".
phase_of() {
	local p
	p=$(q "SELECT phase FROM migrate.history WHERE version = $1")
	echo "${p:-pending}"
}

# bg NAME SQL: runs SQL in a background psql session whose application_name
# is NAME (so it can be found in pg_stat_activity); its pid in BG_PID.
bg() {
	PGAPPNAME="$1" psql "$CONN" -X -q -v ON_ERROR_STOP=1 -c "$2" >"$T/.bg_$1.out" 2>&1 &
	BG_PID=$!
	BACKGROUND+=("$BG_PID")
}

# wait_for SQL [TRIES]: polls until the query returns t (every 50 ms, 10 s by default).
wait_for() {
	local tries=${2:-200}
	while [ "$tries" -gt 0 ]; do
		[ "$(q "$1")" = t ] && return 0
		sleep 0.05
		tries=$((tries - 1))
	done
	fail "timed out waiting for: $1"
}

# end_session NAME: ends the background sessions named NAME (their locks go).
end_session() {
	q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = '$1' AND datname = current_database()" >/dev/null
}
