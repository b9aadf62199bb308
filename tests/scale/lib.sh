# Shared by the scale tests: many databases, replicas and poolers on the
# throwaway server of scripts/test (MIGRATE_TEST_PG). The PostgreSQL suite's
# helpers (new_db, q, mg, cleanup) are used as they are.
# shellcheck shell=bash
# shellcheck source=../pg/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../pg/lib.sh"

# target_db NAME: a fresh database for target NAME; its conninfo in TCONN[NAME].
declare -A TCONN
target_db() {
	new_db "$1"
	TCONN[$1]=$CONN
}

# tq NAME SQL: one query on target NAME's database.
tq() {
	psql "${TCONN[$1]}" -X -q -At -v ON_ERROR_STOP=1 -c "$2" || fail "query failed on $1: $2"
}
