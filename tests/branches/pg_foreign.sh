#!/usr/bin/env bash
# Another branch's migrations and ones out of order never block: branch B
# expands 0005 on the shared database; branch A, without that file, still
# runs up (its 0004 out of order), status, lint; main, once both merged,
# contracts in version order. --strict-order (or the config key) refuses
# instead, with nothing applied.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../pg/lib.sh"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

new_db shared
# shellcheck disable=SC2034 # read by at (lib.sh)
URL=$CONN
main=$(checkout main)
a=$(checkout a)
b=$(checkout b)
for dir in "$main" "$a" "$b"; do
	add "$dir" 0001_users.sql <<<'CREATE TABLE users (id bigint PRIMARY KEY, email text);'
done
expect_exit 0 at "$main" up
nick=$'-- migrate:expand\nALTER TABLE users ADD COLUMN nick text;\n-- migrate:contract\nALTER TABLE users DROP COLUMN email;\n'
phone=$'-- migrate:expand\nALTER TABLE users ADD COLUMN phone text;\n-- migrate:contract\n'
add "$b" 0005_b_nick.sql <<<"$nick"
add "$a" 0004_a_phone.sql <<<"$phone"

# B expands 0005; A, without its file, applies its 0004 out of order
expect_exit 0 at "$b" up --phase expand
expect_exit 0 at "$a" up --phase expand
expect_contains "$OUT" "note: 5_b_nick is expanded in the database but not in this checkout"
expect_contains "$OUT" "applying 4_a_phone out of order: 5 is applied already"
expect_not_contains "$ERR" "revert"
[ "$(q "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'users'")" = "email,id,nick,phone" ] ||
	fail "A's expand did not run next to B's"
[ "$(q "SELECT string_agg(version || ':' || phase, ' ' ORDER BY version) FROM migrate.history")" = "1:contracted 4:expanded 5:expanded" ] ||
	fail "history after both expands: $(q "SELECT string_agg(version || ':' || phase, ' ' ORDER BY version) FROM migrate.history")"

# status lists B's migration as another branch's; lint and status --exit-code go on
expect_exit 0 at "$a" status --format json
json_check "$OUT" "[(m['version'], m['phase'], m['in_checkout'], m['drift']) for m in d['migrations']] == [(1, 'contracted', True, False), (4, 'expanded', True, False), (5, 'expanded', False, False)]"
expect_exit 0 at "$a" status
expect_match "$OUT" "^5 +b_nick +expanded .*NOT IN CHECKOUT"
expect_exit 0 at "$a" status --exit-code
expect_exit 0 at "$a" lint
# B's undo is in the history: anyone can revert it without the file
[ "$(q "SELECT revert_expand::text LIKE '%DROP COLUMN%nick%' FROM migrate.history WHERE version = 5")" = t ] ||
	fail "the history lacks B's undo"

# contract of A: only its own expanded migration (not B's, not one still pending)
add "$a" 0003_a_tag.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN tag text;\n-- migrate:contract\n'
expect_exit 0 at "$a" up --phase contract
[ "$(q "SELECT string_agg(version || ':' || phase, ' ' ORDER BY version) FROM migrate.history")" = "1:contracted 4:contracted 5:expanded" ] ||
	fail "contract of A touched more than its expanded migration"

# strict order: refused before anything runs, by flag and by config
hist() { q "SELECT count(*) || ' ' || md5(string_agg(h::text, ',' ORDER BY version)) FROM migrate.history h"; }
before=$(hist)
expect_exit 2 at "$a" up --strict-order
expect_contains "$ERR" "3_a_tag is numbered below 5_b_nick, applied already: strict order refuses to apply it"
expect_contains "$ERR" "help: renumber it above 5"
printf '[migrations]\nstrict_order = true\n' >"$T/strict.conf"
expect_exit 2 at "$a" --config "$T/strict.conf" up --phase expand
expect_contains "$ERR" "strict order refuses"
[ "$(hist)" = "$before" ] || fail "a refused strict-order run wrote to the history"
[ "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'tag'")" = 0 ] ||
	fail "a refused strict-order run applied 0003"
expect_exit 0 at "$a" up
expect_contains "$OUT" "applying 3_a_tag out of order: 5 is applied already"

# main merges both branches: contract runs in version order, nothing out of order left
cp "$a"/0003_a_tag.sql "$a"/0004_a_phone.sql "$b"/0005_b_nick.sql "$main"/
expect_exit 0 at "$main" up
expect_not_contains "$OUT" "out of order"
expect_not_contains "$OUT" "not in this checkout"
expect_contains "$OUT" "contracting 5_b_nick"
[ "$(q "SELECT string_agg(version || ':' || phase, ' ' ORDER BY version) FROM migrate.history")" = "1:contracted 3:contracted 4:contracted 5:contracted" ] ||
	fail "main did not contract B's migration"
[ "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'")" = 0 ] ||
	fail "B's contract did not run"
pass
