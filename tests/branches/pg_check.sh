#!/usr/bin/env bash
# check on a shared database judges as up does: the lint stage replays the
# migrations --db already ran instead of judging them (a rule turned on later
# fails only what is pending), and --strict-order fails a new migration
# numbered below one applied there, as up --strict-order refuses it.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../pg/lib.sh"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

new_db shadow
shadow=$CONN
new_db shared
# shellcheck disable=SC2034 # read by at (lib.sh)
URL=$CONN
a=$(checkout a)
b=$(checkout b)
for dir in "$a" "$b"; do
	add "$dir" 0001_users.sql <<<'CREATE TABLE users (id bigint PRIMARY KEY, email text);'
	add "$dir" 0002_age.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN age integer;\n'
done
expect_exit 0 at "$a" up

# a rule turned on after 0002 was applied: check --db does not judge it, check without a database does
printf '[rules]\nprefer-bigint = error\n' >migrate.conf
expect_exit 0 "$MIGRATE" check --dir "$a" --db "$URL" --shadow-db "$shadow"
expect_match "$OUT" "^lint +passed .*1 in phases the shared database ran, not judged"
expect_exit 1 "$MIGRATE" check --dir "$a" --shadow-db "$shadow"
expect_match "$OUT" "^lint +failed "
expect_contains "$OUT" "0002_age.sql"
# a pending migration that breaks it still fails the lint stage, and only it
add "$a" 0003_score.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN score integer;\n'
expect_exit 1 "$MIGRATE" check --dir "$a" --db "$URL" --shadow-db "$shadow" --format json
json_check "$OUT" "sorted({f['file'].rsplit('/', 1)[1] for s in d['stages'] if s['name'] == 'lint' for f in s['findings'] if f['severity'] == 'error'}) == ['0003_score.sql']"
rm "$a/0003_score.sql" migrate.conf

# B expands 0005; A's new 0004 is numbered below it
add "$b" 0005_b_nick.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN nick text;\n'
expect_exit 0 at "$b" up --phase expand
add "$a" 0004_a_phone.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN phone text;\n'
# out of order is a warning of drift: check passes
expect_exit 0 "$MIGRATE" check --dir "$a" --db "$URL" --shadow-db "$shadow" --format json
json_check "$OUT" "[(f['rule'], f['severity']) for s in d['stages'] if s['name'] == 'drift' for f in s['findings'] if f['rule'] == 'drift-renumber'] == [('drift-renumber', 'warning')]"
# --strict-order makes it an error, as up --strict-order refuses it
expect_exit 1 "$MIGRATE" check --dir "$a" --db "$URL" --shadow-db "$shadow" --strict-order --format json
json_check "$OUT" "[(f['rule'], f['severity'], f['file'].rsplit('/', 1)[1]) for s in d['stages'] if s['name'] == 'drift' for f in s['findings'] if f['rule'] == 'drift-renumber'] == [('drift-renumber', 'error', '0004_a_phone.sql')] and [s['status'] for s in d['stages'] if s['name'] == 'drift'] == ['failed']"
expect_exit 1 "$MIGRATE" check --dir "$a" --db "$URL" --shadow-db "$shadow" --strict-order
expect_match "$OUT" "^drift +failed "
db_state before
expect_exit 2 at "$a" up --strict-order
expect_contains "$ERR" "strict order refuses to apply it"
db_state after
diff -u before after >state.diff || fail "a refused up changed the database: $(cat state.diff)"
# the config key does the same for check
printf '[migrations]\nstrict_order = true\n' >migrate.conf
expect_exit 1 "$MIGRATE" check --dir "$a" --db "$URL" --shadow-db "$shadow"
expect_match "$OUT" "^drift +failed "
rm migrate.conf
# without --strict-order up applies it out of order
expect_exit 0 at "$a" up
[ "$(phase_of 4)" = contracted ] || fail "0004 is $(phase_of 4) after up"

pass
