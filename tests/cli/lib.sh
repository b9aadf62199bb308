# Shared by the end-to-end tests: each test runs the migrate binary the way a
# user does, in a fresh temporary directory, and checks exit codes and output.
#   MIGRATE  the binary under test
#   SRCDIR   the source tree (for migrations-example/ and src/lint/rules.c)
# shellcheck shell=bash

set -u

# shellcheck source=../lib/assert.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"

: "${MIGRATE:?set MIGRATE to the migrate binary}"
: "${SRCDIR:?set SRCDIR to the source tree}"
# shellcheck disable=SC2034 # used by the tests that source this file
EXAMPLE="$SRCDIR/migrations-example"

# Every test starts in its own empty directory: migrate.conf and .env are
# read from the current directory, so one left behind would change results.
T=$(mktemp -d "${TMPDIR:-/tmp}/migrate-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
OUT="$T/.out"
ERR="$T/.err"
unset DATABASE_URL

# migration NAME: writes stdin to $T/NAME (directories created as needed).
migration() {
	mkdir -p "$(dirname "$T/$1")"
	cat >"$T/$1"
}

