#!/usr/bin/env bash
# Targeted revert on SQLite (no planner; the same history): branch A's
# abandoned migration reverted alone, contract first, while branch B's newer
# one stays; refused (exit 2, database unchanged) while main's later view
# reads A's column, or a later migration changes A's table at all (SQLite's
# undo rebuilds the table as it was); --dry-run changes nothing; status
# afterwards.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../sqlite/lib.sh"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# shellcheck disable=SC2034 # read by at (lib.sh)
URL="sqlite:$DB"
main=$(checkout main)
a=$(checkout a)
b=$(checkout b)
for dir in "$main" "$a" "$b"; do
	add "$dir" 0001_users.sql <<<'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, legacy TEXT);'
done
expect_exit 0 at "$main" up
q "INSERT INTO users VALUES (1, 'a@x', 'old1'), (2, 'b@x', 'old2')"
add "$a" 0002_a_nick.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN nick TEXT;\n-- migrate:contract\nALTER TABLE users DROP COLUMN legacy;\n'
add "$b" 0003_b_orders.sql <<<$'-- migrate:expand\nCREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);\nCREATE INDEX orders_note_idx ON orders (note);\n-- migrate:contract\n'
expect_exit 0 at "$a" up
expect_exit 0 at "$b" up
hist() { q "SELECT group_concat(version || ':' || phase, ' ') FROM (SELECT * FROM _migrate_history ORDER BY version)"; }
[ "$(hist)" = "1:contracted 2:contracted 3:contracted" ] || fail "history: $(hist)"
[ "$(q "SELECT objects_expand LIKE '%\"created\", \"kind\": \"column\", \"table\": \"users\", \"name\": \"nick\"%' FROM _migrate_history WHERE version = 2")" = 1 ] ||
	fail "2's objects: $(q "SELECT objects_expand FROM _migrate_history WHERE version = 2")"

# main's view reads A's column: A cannot go alone
cp "$a/0002_a_nick.sql" "$b/0003_b_orders.sql" "$main/"
add "$main" 0004_nicks.sql <<<$'-- migrate:expand\nCREATE VIEW nicks AS SELECT u.id, u.nick FROM users u;\n-- migrate:contract\n'
expect_exit 0 at "$main" up
data_snapshot "$T/before"
hist_before=$(q "SELECT group_concat(h, ',') FROM (SELECT version || phase || checksum || revert_expand || revert_contract AS h FROM _migrate_history ORDER BY version)")
unchanged() {
	data_snapshot "$T/after"
	expect_same "$T/before" "$T/after" "$1 changed the database"
	[ "$(q "SELECT group_concat(h, ',') FROM (SELECT version || phase || checksum || revert_expand || revert_contract AS h FROM _migrate_history ORDER BY version)")" = "$hist_before" ] ||
		fail "$1 changed the history"
}
expect_exit 2 at "$a" revert 2
expect_contains "$ERR" "cannot revert 2_a_nick alone: 4_nicks, applied after it, uses column users.nick in view nicks, which 2_a_nick created; nothing was reverted"
unchanged "a refused revert"
expect_exit 0 at "$main" revert 4
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'nicks'")" = 0 ] || fail "4 not reverted"
# another column on A's table: A's undo would rebuild the table without it
rm "$main/0004_nicks.sql"
add "$main" 0005_phone.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN phone TEXT;\n-- migrate:contract\n'
expect_exit 0 at "$main" up
data_snapshot "$T/before"
hist_before=$(q "SELECT group_concat(h, ',') FROM (SELECT version || phase || checksum || revert_expand || revert_contract AS h FROM _migrate_history ORDER BY version)")
expect_exit 2 at "$a" revert 2
expect_contains "$ERR" "cannot revert 2_a_nick alone: 5_phone, applied after it, uses table users, which 2_a_nick changed (its undo rebuilds the table as it was then); nothing was reverted"
unchanged "a refused revert"
expect_exit 0 at "$main" revert 5

# --dry-run: the contract's undo, then the expand's; nothing changes
data_snapshot "$T/before"
hist_before=$(q "SELECT group_concat(h, ',') FROM (SELECT version || phase || checksum || revert_expand || revert_contract AS h FROM _migrate_history ORDER BY version)")
expect_exit 0 at "$a" revert 2 --dry-run
expect_contains "$OUT" "would revert-contract 2_a_nick"
expect_contains "$OUT" "would revert-expand 2_a_nick"
unchanged "revert --dry-run"

expect_exit 0 at "$a" revert 2
[ "$(q "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('users') ORDER BY name)")" = "email,id,legacy" ] ||
	fail "users after revert 2: $(q "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('users') ORDER BY name)")"
[ "$(q "SELECT group_concat(legacy, ',') FROM (SELECT legacy FROM users ORDER BY id)")" = "old1,old2" ] || fail "legacy values not restored"
[ "$(q "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'orders_note_idx'")" = 1 ] || fail "B's index lost"
[ "$(hist)" = "1:contracted 3:contracted" ] || fail "history after revert 2: $(hist)"
expect_exit 0 at "$b" status --format json
json_check "$OUT" "[(m['version'], m['phase'], m['in_checkout']) for m in d['migrations']] == [(1, 'contracted', True), (3, 'contracted', True)]"
expect_exit 0 at "$a" status --format json
json_check "$OUT" "[(m['version'], m['phase'], m['in_checkout']) for m in d['migrations']] == [(1, 'contracted', True), (2, 'pending', True), (3, 'contracted', False)]"
pass
