#!/usr/bin/env bash
# Lint precision on migration histories shaped like real ones (a forum, a code
# forge, an auth server; written for this project). Each history is a
# directory; <history>.expected lists every finding lint must report on it,
# one `file:line:rule` a line, and nothing else: a new false alarm or a new
# miss changes the list.
#   corpus.sh HISTORY...   (meson runs it once per history)
set -u
# shellcheck source=../lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
: "${MIGRATE:?set MIGRATE to the migrate binary}"

here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/migrate-corpus.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
OUT=$T/out.txt
ERR=$T/err.txt

for history in "$@"; do
	dir=$here/$history
	[ -d "$dir" ] || fail "no history '$history' in tests/corpus"
	rc=0
	"$MIGRATE" lint --format text "$dir" >"$OUT" 2>"$ERR" || rc=$?
	# findings exit 1, a clean history 0; anything else is a failure of lint itself
	[ "$rc" -le 1 ] || fail "$history: lint exited $rc: $(cat "$ERR")"
	[ -s "$ERR" ] && fail "$history: lint wrote to stderr: $(cat "$ERR")"
	sed -nE 's#^([^ :]*/)?([^/: ]+\.sql):([0-9]+):[0-9]+: [a-z]+\[([a-z0-9-]+)\]:.*#\2:\3:\4#p' \
		"$OUT" | sort >got.txt
	sort "$here/$history.expected" >want.txt
	diff -u want.txt got.txt >diff.txt ||
		fail "$history: findings differ from $history.expected (- missed, + false alarm or moved):
$(cat diff.txt)"
done
pass
