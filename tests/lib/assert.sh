# The assertions every shell test shares. A test runs a command with
# expect_exit (its stdout in $OUT, its stderr in $ERR) and then looks at those
# files; fail prints them. The suite's own lib.sh sets OUT, ERR and T (the
# test's temporary directory) before the first assertion runs.
# shellcheck shell=bash

# fail MESSAGE: says why, shows the last command's output, exits 1.
fail() {
	echo "FAIL: $*" >&2
	local f
	for f in "$OUT" "$ERR"; do
		if [ -s "$f" ]; then
			echo "--- $(shown "$f") of the last command (${LAST_CMD:-}):" >&2
			sed 's/^/  /' "$f" >&2
		fi
	done
	exit 1
}

pass() {
	echo "ok: ${0##*/}"
	exit 0
}

# shown FILE: how a file is named in messages ($OUT is "out").
shown() {
	local name=${1##*/}
	echo "${name#.}"
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

# expect_contains FILE TEXT, expect_not_contains FILE TEXT: a fixed string.
expect_contains() {
	grep -qF -- "$2" "$1" || fail "'${LAST_CMD:-}': $(shown "$1") lacks '$2'"
}

expect_not_contains() {
	if grep -qF -- "$2" "$1"; then
		fail "'${LAST_CMD:-}': $(shown "$1") holds '$2' but should not"
	fi
}

# expect_match FILE ERE: some line matches.
expect_match() {
	grep -qE -- "$2" "$1" || fail "'${LAST_CMD:-}': $(shown "$1") has no line matching /$2/"
}

expect_empty() {
	[ ! -s "$1" ] || fail "'${LAST_CMD:-}': $(shown "$1") should be empty"
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# expect_same FILE1 FILE2 MESSAGE: equal files, or their diff and MESSAGE.
expect_same() {
	if ! diff -u "$1" "$2" >"$T/.diff"; then
		echo "--- difference ($3):" >&2
		cat "$T/.diff" >&2
		fail "$3"
	fi
}

expect_different() {
	if diff -q "$1" "$2" >/dev/null; then
		fail "$3"
	fi
}

# json_check FILE EXPR...: FILE is JSON (as d) and every Python EXPR holds.
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
' "$file" "$@" || fail "'${LAST_CMD:-}': JSON check failed on $(shown "$file")"
}
