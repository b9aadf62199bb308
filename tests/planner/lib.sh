# Shared by the planner tests: the PostgreSQL test library (throwaway
# databases, catalogue and data snapshots) plus the round trip that every
# planned intent goes through:
#   before --expand--> expanded --contract--> contracted
#   contracted --revert--> expanded --revert--> before
# The contracted catalogue is compared with a reference database where the
# same SQL ran as written (plain psql): the planner must end where the naive
# statement would, only without blocking or breaking anybody on the way.
# shellcheck shell=bash

# shellcheck source=../pg/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../pg/lib.sh"

KILLED=137 # 128 + SIGKILL

# snapshot_of CONN FILE: the catalogue snapshot of another database.
snapshot_of() {
	psql "$1" -X -q -At -v ON_ERROR_STOP=1 -c "$SCHEMA_SNAPSHOT" >"$2" ||
		fail "catalogue snapshot of the reference failed"
}

# reference NAME SQL...: a database of its own where each SQL runs as
# written (psql, one statement after the other); its catalogue in NAME.ref.
reference() {
	local name=$1
	shift
	local db="t_${TEST_NAME}_${name}_ref_$$"
	DATABASES+=("$db")
	psql "$MIGRATE_TEST_PG" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\"" >/dev/null ||
		fail "cannot create database $db"
	local conn="$MIGRATE_TEST_PG dbname=$db" s
	for s in "$@"; do
		psql "$conn" -X -q -v ON_ERROR_STOP=1 -c "$s" >/dev/null 2>"$T/.ref_err" ||
			{ cat "$T/.ref_err" >&2; fail "$name: the reference SQL failed: $s"; }
	done
	snapshot_of "$conn" "$name.ref"
}

# start_case NAME SETUP CHANGE: a fresh database (new_db NAME) with SETUP
# applied as migration 1 and CHANGE written as migration 2 (all expand), the
# reference database for them (not when NO_REFERENCE=1: the change is meant to
# fail), and the snapshot of the start in NAME.before (catalogue and rows).
start_case() {
	CASE=$1
	new_db "$1"
	printf '%s\n' "$2" >"$MIG/0001_setup.sql"
	printf '%s\n' "$3" >"$MIG/0002_change.sql"
	[ "${NO_REFERENCE:-0}" = 1 ] || reference "$1" "$2" "$3"
	expect_exit 0 mg up --to 1
	data_snapshot "$CASE.before"
}

# expand_case: expands migration 2, snapshots the catalogue in CASE.expanded;
# nothing the planner leaves may be invalid, no backfill cursor is left over.
expand_case() {
	expect_exit 0 mg up --phase expand "$@"
	[ "$(phase_of 2)" = expanded ] || fail "$CASE: 0002 is $(phase_of 2) after expand"
	no_leftovers "$CASE after expand"
	snapshot "$CASE.expanded"
}

# no_leftovers WHAT: no invalid index, no NOT VALID constraint, no cursor.
no_leftovers() {
	expect_eq "$1: invalid indexes" \
		"$(q "SELECT coalesce(string_agg(indexrelid::regclass::text, ' '), '') FROM pg_index WHERE NOT indisvalid")" ""
	expect_eq "$1: constraints not validated" \
		"$(q "SELECT coalesce(string_agg(conname, ' '), '') FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE NOT convalidated AND n.nspname NOT IN ('migrate', 'migrate_trash')")" ""
	expect_eq "$1: backfill cursors" "$(q "SELECT count(*) FROM migrate.backfills")" 0
}

# finish_case: contract (the catalogue must equal the reference), then revert
# one phase at a time: back to the expanded catalogue, then to the start,
# rows included. AFTER_CONTRACT and AFTER_UNCONTRACT name functions that check
# more after the contract and after its revert.
finish_case() {
	expect_exit 0 mg up --phase contract
	[ "$(phase_of 2)" = contracted ] || fail "$CASE: 0002 is $(phase_of 2) after contract"
	no_leftovers "$CASE after contract"
	snapshot "$CASE.contracted"
	expect_same "$CASE.ref" "$CASE.contracted" \
		"$CASE: after contract the catalogue is not what the statement as written gives"
	[ -z "${AFTER_CONTRACT:-}" ] || "$AFTER_CONTRACT"
	expect_exit 0 mg revert --steps 1
	[ "$(phase_of 2)" = expanded ] || fail "$CASE: 0002 is $(phase_of 2) after reverting contract"
	[ -z "${AFTER_UNCONTRACT:-}" ] || "$AFTER_UNCONTRACT"
	snapshot "$CASE.uncontracted"
	expect_same "$CASE.expanded" "$CASE.uncontracted" \
		"$CASE: reverting the contract does not give the expanded catalogue back"
	expect_exit 0 mg revert --steps 1
	[ "$(phase_of 2)" = pending ] || fail "$CASE: 0002 is $(phase_of 2) after reverting expand"
	data_snapshot "$CASE.reverted"
	expect_same "$CASE.before" "$CASE.reverted" \
		"$CASE: reverting the expand does not give the start back"
}

# planned_sql: what the planner ran for migration 2 in expand, one unit a line.
planned_sql() {
	q "SELECT s->>'sql' FROM migrate.history, jsonb_array_elements(planned_expand) s
		WHERE version = 2"
}

# expect_planned PATTERN: some unit the planner ran in expand matches PATTERN (ERE).
expect_planned() {
	planned_sql >"$T/.planned"
	grep -qE -- "$1" "$T/.planned" ||
		{ sed 's/^/  /' "$T/.planned" >&2; fail "$CASE: no planned unit matches /$1/"; }
}

# expect_not_planned PATTERN: no unit matches.
expect_not_planned() {
	planned_sql >"$T/.planned"
	if grep -qE -- "$1" "$T/.planned"; then
		sed 's/^/  /' "$T/.planned" >&2
		fail "$CASE: a planned unit matches /$1/"
	fi
}

# expect_in FILE LINE: the snapshot FILE holds LINE (a whole line).
expect_in() {
	grep -qxF -- "$2" "$1" || { sed 's/^/  /' "$1" >&2; fail "$CASE: ${1##*/} lacks '$2'"; }
}

# expect_q WHAT SQL WANT: one query's answer.
expect_q() {
	expect_eq "$CASE: $1" "$(q "$2")" "$3"
}
