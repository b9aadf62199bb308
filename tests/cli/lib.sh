# Shared by the end-to-end tests: each test runs the migrate binary the way a
# user does, in a fresh temporary directory, and checks exit codes and output.
#   MIGRATE  the binary under test
#   SRCDIR   the source tree (for migrations-example/ and src/lint/rules.c)
# shellcheck shell=bash

set -u

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

fail() {
	echo "FAIL: $*" >&2
	for f in "$OUT" "$ERR"; do
		if [ -s "$f" ]; then
			echo "--- ${f##*/.} of the last command:" >&2
			sed 's/^/  /' "$f" >&2
		fi
	done
	exit 1
}

# expect_exit CODE CMD...: runs CMD (stdout to $OUT, stderr to $ERR) and
# fails unless it exits with CODE.
expect_exit() {
	local want=$1
	shift
	LAST_CMD="$*"
	local rc=0
	"$@" >"$OUT" 2>"$ERR" </dev/null || rc=$?
	[ "$rc" = "$want" ] || fail "'$LAST_CMD' exited $rc, expected $want"
}

# expect_contains FILE TEXT: FILE holds TEXT (a fixed string).
expect_contains() {
	grep -qF -- "$2" "$1" || fail "'${LAST_CMD:-}': ${1##*/.} lacks '$2'"
}

expect_not_contains() {
	if grep -qF -- "$2" "$1"; then
		fail "'${LAST_CMD:-}': ${1##*/.} holds '$2' but should not"
	fi
}

# expect_match FILE REGEX: FILE has a line matching the extended regex.
expect_match() {
	grep -qE -- "$2" "$1" || fail "'${LAST_CMD:-}': ${1##*/.} has no line matching /$2/"
}

expect_empty() {
	[ ! -s "$1" ] || fail "'${LAST_CMD:-}': ${1##*/.} should be empty"
}

# migration NAME: writes stdin to $T/NAME (directories created as needed).
migration() {
	mkdir -p "$(dirname "$T/$1")"
	cat >"$T/$1"
}

# json_check FILE PYTHON-EXPR...: evaluates each expression with `d` bound
# to the parsed JSON document; fails when one is false or the file is not JSON.
json_check() {
	local file=$1
	shift
	python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError as e:
    sys.exit("not JSON: %s" % e)
for expr in sys.argv[2:]:
    if not eval(expr):
        sys.exit("false: " + expr)
' "$file" "$@" || fail "'${LAST_CMD:-}': JSON check failed on ${file##*/.}"
}

pass() {
	echo "ok: ${0##*/}"
	exit 0
}
