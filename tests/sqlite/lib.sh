# Shared by the SQLite end-to-end tests: each runs the migrate binary the way
# a user does, in a fresh temporary directory, against real SQLite files,
# and checks the database through the sqlite3 shell (sqlite_master,
# pragma table_info, row data), not through log text.
#   MIGRATE  the binary under test
#   SRCDIR   the source tree (for migrations-example/)
# shellcheck shell=bash

set -u

: "${MIGRATE:?set MIGRATE to the migrate binary}"
: "${SRCDIR:?set SRCDIR to the source tree}"
if ! command -v sqlite3 >/dev/null; then
	echo "skipped: the sqlite3 shell is not installed (scripts/bootstrap installs it)" >&2
	exit 77
fi
# shellcheck disable=SC2034 # used by the tests that source this file
EXAMPLE="$SRCDIR/migrations-example"

# every test in its own directory: migrate.conf, .env and migrate.db are read there
T=$(mktemp -d "${TMPDIR:-/tmp}/migrate-sqlite.XXXXXX")
BACKGROUND=()
cleanup() {
	local pid
	for pid in "${BACKGROUND[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1
OUT="$T/.out"
ERR="$T/.err"
unset DATABASE_URL

fail() {
	echo "FAIL: $*" >&2
	for f in "$OUT" "$ERR"; do
		if [ -s "$f" ]; then
			echo "--- ${f##*/.} of the last command (${LAST_CMD:-}):" >&2
			sed 's/^/  /' "$f" >&2
		fi
	done
	exit 1
}

pass() {
	echo "ok: ${0##*/}"
	exit 0
}

# expect_exit CODE CMD...: runs CMD (stdout to $OUT, stderr to $ERR), fails unless it exits CODE.
expect_exit() {
	local want=$1
	shift
	LAST_CMD="$*"
	local rc=0
	"$@" >"$OUT" 2>"$ERR" </dev/null || rc=$?
	[ "$rc" = "$want" ] || fail "'$LAST_CMD' exited $rc, expected $want"
}

expect_contains() {
	grep -qF -- "$2" "$1" || fail "'${LAST_CMD:-}': ${1##*/.} lacks '$2'"
}

expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# DB is the database file of the test; mg runs migrate on it.
DB="$T/app.db"
mg() {
	"$MIGRATE" --db "sqlite:$DB" "$@"
}

# q SQL: the rows, '|'-separated, with foreign keys on as migrate has them.
q() {
	sqlite3 -batch "$DB" "PRAGMA foreign_keys = ON;" "$1"
}

# snapshot FILE: the schema, without migrate's own tables, in a stable order.
snapshot() {
	q "SELECT type, name, tbl_name, sql FROM sqlite_master
	   WHERE name NOT LIKE '\_migrate\_%' ESCAPE '\' AND name NOT LIKE 'sqlite\_autoindex\__migrate%' ESCAPE '\'
	   ORDER BY type, name" >"$1"
}

# data_snapshot FILE: the schema and every row of every table of the app.
data_snapshot() {
	snapshot "$1"
	local t
	for t in $(q "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\_migrate\_%' ESCAPE '\' ORDER BY name"); do
		echo "== $t" >>"$1"
		q "SELECT * FROM \"$t\" ORDER BY rowid" >>"$1"
	done
}

expect_same() {
	cmp -s "$1" "$2" || {
		diff -u "$1" "$2" >&2
		fail "$3"
	}
}

# migration VERSION SLUG: writes stdin to $MIG/VERSION_SLUG.sql
MIG="$T/migrations"
mkdir -p "$MIG"
migration() {
	cat >"$MIG/$1_$2.sql"
}
