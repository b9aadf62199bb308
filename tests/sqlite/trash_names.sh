#!/usr/bin/env bash
# Two objects whose plain trash names are the same (table "a_b" column "c"
# and table "a" column "b_c"; table "x_y" and table "x"'s column "y") never
# share a trash table: contract keeps each one's rows apart, and revert
# brings every one back.
. "$(dirname "$0")/lib.sh"

migration 1 setup <<'SQL'
CREATE TABLE a_b (id bigint PRIMARY KEY, c text);
CREATE TABLE a (id bigint PRIMARY KEY, b_c text);
CREATE TABLE x_y (id bigint PRIMARY KEY, v text);
CREATE TABLE x (id bigint PRIMARY KEY, y text);
INSERT INTO a_b VALUES (1, 'a_b.c');
INSERT INTO a VALUES (1, 'a.b_c');
INSERT INTO x_y VALUES (1, 'x_y');
INSERT INTO x VALUES (1, 'x.y');
SQL
migration 2 drop <<'SQL'
-- migrate:contract
ALTER TABLE a_b DROP COLUMN c;
ALTER TABLE a DROP COLUMN b_c;
ALTER TABLE x DROP COLUMN y;
DROP TABLE x_y;
SQL
expect_exit 0 mg --dir "$MIG" up --to 1
data_snapshot before.snap
expect_exit 0 mg --dir "$MIG" up
expect_eq "one trash table each" \
	"$(q "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE '\_migrate\_trash\_v%' ESCAPE '\'") $(q "SELECT count(DISTINCT name) FROM _migrate_trash")" "4 4"
for row in "a_b.c:a_b.c" "a.b_c:a.b_c" "x.y:x.y"; do
	src=${row%:*}
	name=$(q "SELECT name FROM _migrate_trash WHERE source = '$src'")
	expect_eq "the copy of $src" "$(q "SELECT ${src#*.} FROM \"$name\" WHERE id = 1")" "${row##*:}"
done
name=$(q "SELECT name FROM _migrate_trash WHERE source = 'x_y'")
expect_eq "the dropped table x_y" "$(q "SELECT v FROM \"$name\"")" "x_y"

expect_exit 0 mg --dir "$MIG" revert --steps 1
data_snapshot reverted.snap
expect_same before.snap reverted.snap "reverting the contract did not bring every column and table back"
expect_eq "the trash after revert" "$(q "SELECT count(*) FROM _migrate_trash")" 0

# 63-byte names, two columns sharing a 60-byte prefix, a timestamp version:
# each trash name is cut to 63 bytes and ended by a hash of the whole
# (names_make), so the two copies stay two.
# shellcheck source=../lib/long_names.sh
. "$SRCDIR/tests/lib/long_names.sh"
migration 20261208000001 long_setup <<SQL
CREATE TABLE "$TBL" (id bigint PRIMARY KEY, "${P60}_d1" text, "${P60}_d2" text);
INSERT INTO "$TBL" VALUES (1, 'one-1', 'two-1'), (2, 'one-2', 'two-2');
CREATE TABLE "$GONE" (id bigint PRIMARY KEY, v text);
INSERT INTO "$GONE" VALUES (1, 'gone');
SQL
migration 20261208000002 long_drop <<SQL
-- migrate:contract
ALTER TABLE "$TBL" DROP COLUMN "${P60}_d1";
ALTER TABLE "$TBL" DROP COLUMN "${P60}_d2";
DROP TABLE "$GONE";
SQL
expect_exit 0 mg --dir "$MIG" up --to 20261208000001
data_snapshot long_before.snap
expect_exit 0 mg --dir "$MIG" up
expect_eq "three trash tables, three names within 63 bytes" \
	"$(q "SELECT count(DISTINCT name) || ' ' || max(length(CAST(name AS BLOB))) FROM _migrate_trash WHERE version = 20261208000002")" "3 63"
expect_eq "every registered name is a table" \
	"$(q "SELECT count(*) FROM _migrate_trash r JOIN sqlite_master m ON m.name = r.name AND m.type = 'table' WHERE r.version = 20261208000002")" 3
for row in "${P60}_d1:one-2" "${P60}_d2:two-2"; do
	col=${row%:*}
	name=$(q "SELECT name FROM _migrate_trash WHERE source = '$TBL.$col'")
	expect_eq "the copy of ${col: -2}" "$(q "SELECT \"$col\" FROM \"$name\" WHERE id = 2")" "${row##*:}"
done
expect_exit 0 mg --dir "$MIG" revert --steps 1
data_snapshot long_reverted.snap
expect_same long_before.snap long_reverted.snap "reverting the contract of the long names"
expect_eq "the long names' trash after revert" "$(q "SELECT count(*) FROM _migrate_trash WHERE version = 20261208000002")" 0
pass
