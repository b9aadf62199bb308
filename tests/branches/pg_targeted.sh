#!/usr/bin/env bash
# Targeted revert: 'migrate revert VERSION' undoes branch A's abandoned
# migration (contract first, then expand) while branch B's newer one stays,
# and is refused (exit 2, database unchanged) while a migration applied after
# it uses what it made: an index on its column, a foreign key to its table,
# the objects of an older history computed from the files or not known at
# all. --dry-run changes nothing; status afterwards; a history of layout 2
# gets the object columns in place.
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
	add "$dir" 0001_users.sql <<<'CREATE TABLE users (id bigint PRIMARY KEY, email text, legacy text);'
done
expect_exit 0 at "$main" up
q "INSERT INTO users SELECT g, 'u' || g || '@x', 'old' || g FROM generate_series(1, 50) g" >/dev/null

# branch A: a column, a table with a foreign key; its contract drops legacy
add "$a" 0002_a_nick.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN nick text;\nCREATE TABLE a_tags (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n-- migrate:contract\nALTER TABLE users DROP COLUMN legacy;\n'
# branch B, applied after A on the same database, on other objects
add "$b" 0003_b_phone.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN phone text;\nCREATE INDEX CONCURRENTLY users_phone_idx ON users (phone);\n-- migrate:contract\n'
expect_exit 0 at "$a" up
expect_exit 0 at "$b" up
[ "$(q "SELECT string_agg(version || ':' || phase, ' ' ORDER BY version) FROM migrate.history")" = "1:contracted 2:contracted 3:contracted" ] ||
	fail "history after both branches"
# what each phase did is in the history
[ "$(q "SELECT objects_expand @> '[{\"does\": \"created\", \"kind\": \"column\", \"table\": \"users\", \"name\": \"nick\"}]' FROM migrate.history WHERE version = 2")" = t ] ||
	fail "2's expand objects: $(q "SELECT objects_expand FROM migrate.history WHERE version = 2")"
[ "$(q "SELECT objects_contract @> '[{\"does\": \"dropped\", \"kind\": \"column\", \"table\": \"users\", \"name\": \"legacy\"}]' FROM migrate.history WHERE version = 2")" = t ] ||
	fail "2's contract objects"

hist() { q "SELECT count(*) || ' ' || md5(string_agg(h::text, ',' ORDER BY version)) FROM migrate.history h"; }
refused_unchanged() { # what a refusal must leave: the schema, the history
	snapshot "$T/after"
	expect_same "$T/before" "$T/after" "a refused revert changed the schema"
	[ "$(hist)" = "$hist_before" ] || fail "a refused revert wrote to the history"
}

# main has both branches and adds an index on A's column, and a table with a foreign key to A's table
cp "$a/0002_a_nick.sql" "$b/0003_b_phone.sql" "$main/"
add "$main" 0004_nick_idx.sql <<<$'-- migrate:expand\nCREATE INDEX CONCURRENTLY users_nick_idx ON users (nick);\n-- migrate:contract\n'
add "$main" 0005_notes.sql <<<$'-- migrate:expand\nCREATE TABLE notes (id bigint PRIMARY KEY, tag_id bigint REFERENCES a_tags (id));\n-- migrate:contract\n'
expect_exit 0 at "$main" up
snapshot "$T/before"
hist_before=$(hist)
expect_exit 2 at "$a" revert 2
expect_contains "$ERR" "cannot revert 2_a_nick alone: 4_nick_idx, applied after it, uses column users.nick in index users_nick_idx, which 2_a_nick created; nothing was reverted"
expect_contains "$ERR" "help: revert 4_nick_idx first ('migrate revert 4'), then this one"
refused_unchanged
expect_exit 2 at "$main" revert 2 --dry-run
expect_contains "$ERR" "4_nick_idx, applied after it, uses column users.nick"
# the newest goes alone
expect_exit 0 at "$main" revert 5 --dry-run
expect_contains "$OUT" "would revert-expand 5_notes"
expect_exit 0 at "$main" revert 4
[ "$(q "SELECT count(*) FROM pg_indexes WHERE indexname = 'users_nick_idx'")" = 0 ] || fail "4 not reverted"
[ "$(q "SELECT string_agg(version || ':' || phase, ' ' ORDER BY version) FROM migrate.history")" = "1:contracted 2:contracted 3:contracted 5:contracted" ] ||
	fail "revert 4 touched more than 4"
snapshot "$T/before"
hist_before=$(hist)
expect_exit 2 at "$main" revert 2
expect_contains "$ERR" "cannot revert 2_a_nick alone: 5_notes, applied after it, uses table a_tags in constraint notes_tag_id_fkey, which 2_a_nick created"
refused_unchanged

# an older history without 5's objects: computed from main's unchanged file;
# without the file, what 5 did is not known: refused all the same
q "UPDATE migrate.history SET objects_expand = NULL, objects_contract = NULL WHERE version = 5" >/dev/null
hist_before=$(hist)
expect_exit 2 at "$main" revert 2
expect_contains "$ERR" "5_notes, applied after it, uses table a_tags in constraint notes_tag_id_fkey"
expect_exit 2 at "$a" revert 2
expect_contains "$ERR" "cannot revert 2_a_nick alone: 5_notes is applied after it, and the history does not record what 5_notes did"
refused_unchanged
expect_exit 0 at "$main" revert 5
snapshot "$T/before"
hist_before=$(hist)

# bad input: before anything runs
expect_exit 2 at "$a" revert 2 --steps 1
expect_contains "$ERR" "VERSION, --steps and --to go alone"
expect_exit 2 at "$a" revert 0
expect_exit 2 at "$a" revert 9
expect_contains "$ERR" "no migration with version 9"
expect_exit 2 at "$a" revert 2 3
expect_contains "$ERR" "unexpected argument '3'"
refused_unchanged

# --dry-run shows the contract's undo, then the expand's, and changes nothing
expect_exit 0 at "$a" revert 2 --dry-run
expect_contains "$OUT" "would revert-contract 2_a_nick"
expect_contains "$OUT" "would revert-expand 2_a_nick"
expect_match "$OUT" 'DROP TABLE "?a_tags"?'
refused_unchanged

# A's abandoned migration alone: B's stays, legacy comes back with its values
expect_exit 0 at "$a" revert 2
expect_contains "$OUT" "reverting contract of 2_a_nick"
expect_contains "$OUT" "reverting expand of 2_a_nick"
[ "$(q "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'users'")" = "email,id,legacy,phone" ] ||
	fail "users after revert 2: $(q "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'users'")"
[ "$(q "SELECT count(*) FROM users WHERE legacy = 'old' || id")" = 50 ] || fail "legacy values not restored"
[ "$(q "SELECT to_regclass('a_tags') IS NULL")" = t ] || fail "a_tags not dropped"
[ "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_phone_idx'::regclass")" = t ] || fail "B's index lost"
[ "$(q "SELECT string_agg(version || ':' || phase, ' ' ORDER BY version) FROM migrate.history")" = "1:contracted 3:contracted" ] ||
	fail "history after revert 2"
expect_exit 0 at "$a" status --format json
json_check "$OUT" "[(m['version'], m['phase'], m['in_checkout']) for m in d['migrations']] == [(1, 'contracted', True), (2, 'pending', True), (3, 'contracted', False)]"
# again: nothing left to revert
expect_exit 0 at "$a" revert 2
expect_contains "$OUT" "nothing to revert"
[ "$(q "SELECT count(*) FROM migrate.history")" = 2 ] || fail "a second revert 2 changed the history"

# a history of layout 2 (no object columns): read as it is, upgraded in place by the next run
q "ALTER TABLE migrate.history DROP COLUMN objects_expand, DROP COLUMN objects_contract" >/dev/null
q "UPDATE migrate.meta SET value = '2' WHERE key = 'schema_version'" >/dev/null
expect_exit 0 at "$b" status --exit-code
none=$(checkout none)
expect_exit 2 at "$none" revert 1
expect_contains "$ERR" "cannot revert 1_users alone: 3_b_phone is applied after it, and the history does not record what"
[ "$(q "SELECT value FROM migrate.meta WHERE key = 'schema_version'")" = 3 ] || fail "layout not upgraded"
[ "$(q "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'migrate' AND table_name = 'history' AND column_name LIKE 'objects_%'")" = 2 ] ||
	fail "object columns not added"
# with 1's file here, its objects come from the file: B's phone column is on its table
expect_exit 2 at "$main" revert 1
expect_contains "$ERR" "3_b_phone, applied after it, uses table users"
pass
