# Shared by the branches tests: checkouts of one migration set, each a
# directory, all on one database.
#   checkout NAME: makes $T/NAME (empty) and prints its path
#   add DIR FILE: writes stdin to DIR/FILE
#   at DIR ARGS...: migrate with --dir DIR on the test database ($URL)
# shellcheck shell=bash

checkout() {
	mkdir -p "$T/$1"
	echo "$T/$1"
}

add() {
	cat >"$1/$2"
}

at() {
	local dir=$1
	shift
	"$MIGRATE" --db "$URL" --dir "$dir" "$@"
}
