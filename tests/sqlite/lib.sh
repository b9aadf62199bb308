# Shared by the SQLite end-to-end tests: each runs the migrate binary the way
# a user does, in a fresh temporary directory, against real SQLite files,
# and checks the database through the sqlite3 shell (sqlite_master,
# pragma table_info, row data), not through log text.
#   MIGRATE  the binary under test
#   SRCDIR   the source tree (for migrations-example/)
# shellcheck shell=bash

set -u

# shellcheck source=../lib/assert.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"

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

# migration VERSION SLUG: writes stdin to $MIG/VERSION_SLUG.sql
MIG="$T/migrations"
mkdir -p "$MIG"
migration() {
	cat >"$MIG/$1_$2.sql"
}
