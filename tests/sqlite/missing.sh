#!/usr/bin/env bash
# A command that changes nothing creates nothing: status, plan, revert and
# up --dry-run on a SQLite file that does not exist say so, exit 0 (every
# migration is pending, there is nothing to revert) and leave the directory
# as it was: no database, no lock sidecar, no journal. The first command
# that writes creates the database.
. "$(dirname "$0")/lib.sh"

migration 1 users <<'SQL'
-- migrate:expand
CREATE TABLE users (id bigint PRIMARY KEY, email text);
SQL
migration 2 index <<'SQL'
-- migrate:expand
CREATE INDEX users_email_idx ON users (email);
SQL
mkdir "$T/data"
DB="$T/data/app.db"
NOTE="migrate: note: '$DB' does not exist yet: every migration is pending (it was not created)"

# expect_nothing_created: the database's directory is still empty
expect_nothing_created() {
	local left
	left=$(ls -A "$T/data")
	[ -z "$left" ] || fail "'${LAST_CMD:-}' created: $left"
}

# command | exit | what stdout says
while IFS='|' read -r args code says; do
	# shellcheck disable=SC2086 # the arguments are words
	expect_exit "$code" mg --dir "$MIG" $args
	expect_contains "$OUT" "$says"
	expect_nothing_created
done <<'ROWS'
status|0|2                index pending
plan|0|CREATE INDEX users_email_idx ON users (email);
up --dry-run|0|would expand 2_index
revert|0|nothing to revert: '
revert --to 0|0|nothing to revert: '
revert --dry-run|0|nothing to revert: '
revert --steps 3|0|nothing to revert: '
purge --older-than 1d|0|0 trash objects purged
ROWS

# status: every migration pending, in both formats, and the note on stderr
expect_exit 0 mg --dir "$MIG" status
expect_contains "$OUT" "1                users pending"
expect_contains "$ERR" "$NOTE"
expect_exit 0 mg --dir "$MIG" status --format json
json_check "$OUT" '[m["phase"] for m in d["migrations"]] == ["pending", "pending"]'
expect_contains "$ERR" "$NOTE"
expect_exit 0 mg --dir "$MIG" status --quiet
expect_not_contains "$ERR" "does not exist"
expect_exit 0 mg --dir "$MIG" revert
expect_contains "$OUT" "nothing to revert: '$DB' does not exist"
expect_exit 0 mg --dir "$MIG" up --dry-run
expect_contains "$ERR" "$NOTE"
expect_nothing_created

# a directory that does not exist either: the same answers
expect_exit 0 "$MIGRATE" --db "sqlite:$T/nowhere/app.db" --dir "$MIG" status
expect_contains "$OUT" "pending"
expect_exit 0 "$MIGRATE" --db "sqlite:$T/nowhere/app.db" --dir "$MIG" revert
[ ! -e "$T/nowhere" ] || fail "revert created $T/nowhere"

# the first command that writes creates it, and the note goes
expect_exit 0 mg --dir "$MIG" up --phase expand
[ -f "$DB" ] || fail "up did not create the database"
expect_eq "applied" "$(q "SELECT group_concat(version || phase, ',') FROM _migrate_history")" "1expanded,2expanded"
expect_exit 0 mg --dir "$MIG" status
expect_not_contains "$ERR" "does not exist"
expect_exit 0 mg --dir "$MIG" revert --to 0
expect_contains "$OUT" "reverting expand of 1_users"
expect_eq "reverted" "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'users'")" 0
pass
