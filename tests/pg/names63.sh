#!/usr/bin/env bash
# Names that cannot collide: a table, its columns and a second table with
# 63-byte names (columns sharing a 60-byte prefix, timestamp versions) through
# every planner row and both trash paths, expand -> contract -> revert --to 0.
# Every name the engine makes fits 63 bytes and is its own; the names a later
# command finds again (shadow columns, write logs) are read from what the
# planner recorded; every value comes back and nothing of the planner's stays.
. "$(dirname "$0")/lib.sh"

# shellcheck source=../lib/long_names.sh
. "$SRCDIR/tests/lib/long_names.sh"
PARENT=$(n63 customer_shipping_parent_table_)
NOPK=$(n63 customer_shipping_table_without_a_primary_key_)
OLDT=$(n63 customer_shipping_table_renamed_from_)
NEWT=$(n63 customer_shipping_table_renamed_to_)
# one column for each planner row, all 63 bytes, all sharing their first 60
C_ca=${P60}_ca C_cb=${P60}_cb C_ra=${P60}_ra C_rn=${P60}_rn C_nn=${P60}_nn C_ck=${P60}_ck
C_fk=${P60}_fk C_uq=${P60}_uq C_ix=${P60}_ix C_ad=${P60}_ad C_d1=${P60}_d1 C_d2=${P60}_d2
if [ ${#TBL} != 63 ] || [ ${#C_ca} != 63 ]; then
	fail "the names are not 63 bytes (the test would prove nothing)"
fi
v0=20261208000000

new_db
# the tables exist before any migration: revert --to 0 must give them back as they were
sql <<SQL >/dev/null
CREATE TABLE "$PARENT" (id bigint PRIMARY KEY);
INSERT INTO "$PARENT" SELECT g FROM generate_series(1, 50) g;
CREATE TABLE "$TBL" (
	id bigint PRIMARY KEY,
	"$C_ca" int, "$C_cb" int, "$C_ra" text, "$C_nn" text, "$C_ck" int, "$C_fk" bigint,
	"$C_uq" text, "$C_ix" text, "$C_d1" text, "$C_d2" text);
CREATE INDEX ON "$TBL" ("$C_ca");
INSERT INTO "$TBL" SELECT g, g, g * 2, 'r' || g, 'n' || g, g, g % 50 + 1, 'u' || g, 'i' || g,
	'one-' || g, 'two-' || g FROM generate_series(1, 3000) g;
CREATE TABLE "$GONE" (id bigint PRIMARY KEY, v text);
INSERT INTO "$GONE" VALUES (1, 'gone');
CREATE TABLE "$NOPK" ("$C_uq" bigint, v text);
INSERT INTO "$NOPK" VALUES (1, 'no key');
CREATE TABLE "$OLDT" (id bigint PRIMARY KEY, v text);
INSERT INTO "$OLDT" VALUES (1, 'renamed');
SQL
data_snapshot before

# one planner row each (the planner plans one change of a column per migration)
migration $((v0 + 1))_types.sql <<SQL
ALTER TABLE "$TBL" ALTER COLUMN "$C_ca" TYPE bigint;
ALTER TABLE "$TBL" ALTER COLUMN "$C_cb" TYPE bigint USING "$C_cb"::bigint;
SQL
migration $((v0 + 2))_rename.sql <<SQL
ALTER TABLE "$TBL" RENAME COLUMN "$C_ra" TO "$C_rn";
SQL
migration $((v0 + 3))_constraints.sql <<SQL
ALTER TABLE "$TBL" ALTER COLUMN "$C_nn" SET NOT NULL;
ALTER TABLE "$TBL" ALTER COLUMN "$C_ca" SET NOT NULL;
ALTER TABLE "$NOPK" ADD PRIMARY KEY ("$C_uq");
ALTER TABLE "$TBL" ADD CHECK ("$C_ck" > 0);
ALTER TABLE "$TBL" ADD FOREIGN KEY ("$C_fk") REFERENCES "$PARENT" (id);
ALTER TABLE "$TBL" ADD UNIQUE ("$C_uq");
CREATE INDEX ON "$TBL" ("$C_ix");
ALTER TABLE "$TBL" ADD COLUMN "$C_ad" timestamptz DEFAULT clock_timestamp();
SQL
migration $((v0 + 4))_rename_table.sql <<SQL
ALTER TABLE "$OLDT" RENAME TO "$NEWT";
SQL
migration $((v0 + 5))_drops.sql <<SQL
-- migrate:contract
-- migrate:allow-file drop-column, drop-table
ALTER TABLE "$TBL" DROP COLUMN "$C_d1";
ALTER TABLE "$TBL" DROP COLUMN "$C_d2";
DROP TABLE "$GONE";
SQL

expect_exit 0 mg lint
expect_exit 0 mg up --phase expand

# ---- after expand ----
# eleven columns, the rename's and the added one, and two shadows (cut to 54
# bytes of the shared prefix, each ended by its own hash)
expect_eq "the long table's columns: how many, the longest" \
	"$(q "SELECT count(*) || ' ' || max(octet_length(attname)) FROM pg_attribute WHERE attrelid = '\"$TBL\"'::regclass AND attnum > 0 AND NOT attisdropped")" "15 63"
# the sync functions record their shadows, and the records name the columns there
RECORDS="SELECT obj_description(t.tgfoid, 'pg_proc')::jsonb AS r FROM pg_trigger t WHERE t.tgrelid = '\"$TBL\"'::regclass AND obj_description(t.tgfoid, 'pg_proc') LIKE '{\"migrate\": %'"
expect_eq "the recorded names: two shadows and a rename" \
	"$(q "SELECT string_agg(r->>'migrate', ' ' ORDER BY r->>'migrate') FROM ($RECORDS) x")" "rename shadow shadow"
expect_eq "two shadows apart" "$(q "SELECT count(DISTINCT r->>'name') FROM ($RECORDS) x WHERE r->>'migrate' = 'shadow'")" 2
expect_eq "every recorded column is there" \
	"$(q "SELECT count(*) FROM ($RECORDS) x JOIN pg_attribute a ON a.attrelid = '\"$TBL\"'::regclass AND a.attname = x.r->>'name' AND NOT a.attisdropped")" 3
expect_eq "the history holds the records it made" \
	"$(q "SELECT count(*) FROM migrate.history, jsonb_array_elements(planned_expand) s WHERE s->>'sql' LIKE 'COMMENT ON FUNCTION %'")" 3
# every generated object, within 63 bytes and apart (PostgreSQL would have cut a longer one)
GENERATED="SELECT 'trigger' AS kind, tgname::text AS name FROM pg_trigger WHERE tgname LIKE 'migrate\\_%' UNION ALL
	SELECT 'function', proname::text FROM pg_proc WHERE proname LIKE 'migrate\\_%' UNION ALL
	SELECT 'constraint', conname::text FROM pg_constraint WHERE conrelid = '\"$TBL\"'::regclass UNION ALL
	SELECT 'index', relname::text FROM pg_class WHERE relkind = 'i' AND relnamespace = 'public'::regnamespace UNION ALL
	SELECT 'table', relname::text FROM pg_class WHERE relnamespace = to_regnamespace('migrate_trash')"
expect_eq "the sync triggers and functions" \
	"$(q "SELECT count(*) FILTER (WHERE kind = 'trigger') || ' ' || count(DISTINCT name) FILTER (WHERE kind = 'function') FROM ($GENERATED) g")" "3 3"
expect_eq "no generated name over 63 bytes, none twice" \
	"$(q "SELECT max(octet_length(name)) <= 63 AND count(*) = count(DISTINCT (kind, name)) FROM ($GENERATED) g")" t
# the CHECK and the NOT NULL checks of two columns, all validated (the
# shadow of a column with a pending type change is made NOT NULL itself)
expect_eq "the planner's checks and keys on the long table" \
	"$(q "SELECT count(*) FILTER (WHERE contype = 'c' AND NOT convalidated) || ' ' || count(*) FILTER (WHERE contype = 'c') || ' ' || count(*) FILTER (WHERE contype = 'f') || ' ' || count(*) FILTER (WHERE contype = 'u') FROM pg_constraint WHERE conrelid = '\"$TBL\"'::regclass")" "0 3 1 1"

# a SET NOT NULL planned while the type change is pending holds for its
# shadow too, found by its record: a validated check on the column, the
# shadow NOT NULL
expect_eq "the validated check on the long column" \
	"$(q "SELECT count(*) FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] WHERE k.conrelid = '\"$TBL\"'::regclass AND k.contype = 'c' AND k.convalidated AND pg_get_constraintdef(k.oid) = format('CHECK ((%s IS NOT NULL))', quote_ident(a.attname)) AND a.attname = '$C_ca'")" 1
expect_eq "the long column's shadow, NOT NULL" \
	"$(q "SELECT a.attnotnull FROM pg_attribute a WHERE a.attrelid = '\"$TBL\"'::regclass AND a.attname = (SELECT r->>'name' FROM ($RECORDS) x WHERE r->>'migrate' = 'shadow' AND r->>'column' = '$C_ca')")" t
expect_eq "the primary key of the table without one, under PostgreSQL's name" \
	"$(q "SELECT conname FROM pg_constraint WHERE conrelid = '\"$NOPK\"'::regclass AND contype = 'p'")" "${NOPK:0:58}_pkey"

# the shadows are found by their records: a change of a shadowed column is
# refused, naming the shadow as it was made (cut, with its hash)
SHADOW_CA=$(q "SELECT r->>'name' FROM ($RECORDS) x WHERE r->>'migrate' = 'shadow' AND r->>'column' = '$C_ca'")
[ ${#SHADOW_CA} = 63 ] || fail "the shadow of the long column is not a 63-byte name: '$SHADOW_CA'"
migration $((v0 + 6))_index.sql <<SQL
ALTER TABLE "$TBL" RENAME COLUMN "$C_ca" TO renamed_while_shadowed;
SQL
data_snapshot refused.before
expect_exit 2 mg up --phase expand
expect_contains "$ERR" "(shadow column '$SHADOW_CA')"
data_snapshot refused.after
expect_same refused.before refused.after "a refused migration changed the database"
rm "$MIG/$((v0 + 6))_index.sql"

# ---- after contract ----
expect_exit 0 mg up --phase contract
# six copies (two dropped columns, the table, the three columns the type
# changes and the rename replaced) and the write logs of those three
expect_eq "one trash table for each column and table dropped, and each log" \
	"$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'migrate_trash'") $(q "SELECT count(DISTINCT name) FROM migrate.trash")" "9 9"
expect_eq "the logs, each its own column's" \
	"$(q "SELECT count(DISTINCT source) FROM migrate.trash t WHERE EXISTS (SELECT FROM migrate.trash o WHERE o.source = t.source AND o.name <> t.name)")" 3
expect_eq "every trash name within 63 bytes" "$(q "SELECT max(octet_length(name)) FROM migrate.trash")" 63
for row in "$C_d1:one-7" "$C_d2:two-7" "$C_ca:7" "$C_cb:14" "$C_ra:r7"; do
	col=${row%:*}
	name=$(q "SELECT name FROM migrate.trash WHERE source = 'public.$TBL.$col' AND name LIKE 'v%'")
	expect_eq "the copy of ${col: -2}" "$(q "SELECT \"$col\" FROM migrate_trash.\"$name\" WHERE id = 7")" "${row##*:}"
done
expect_eq "the long column after contract: the new type, NOT NULL, no check left" \
	"$(q "SELECT format_type(atttypid, atttypmod) || ' ' || attnotnull FROM pg_attribute WHERE attrelid = '\"$TBL\"'::regclass AND attname = '$C_ca'") $(q "SELECT count(*) FROM pg_constraint WHERE conrelid = '\"$TBL\"'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%IS NOT NULL%'")" "bigint true 0"
expect_eq "the types after contract" \
	"$(q "SELECT string_agg(format_type(atttypid, atttypmod), ' ' ORDER BY attname) FROM pg_attribute WHERE attrelid = '\"$TBL\"'::regclass AND attname IN ('$C_ca', '$C_cb')")" "bigint bigint"
expect_eq "no shadow, sync trigger or record left" \
	"$(q "SELECT count(*) FROM ($GENERATED) g WHERE kind IN ('trigger', 'function')") $(q "SELECT count(*) FROM pg_attribute WHERE attrelid = '\"$TBL\"'::regclass AND attname LIKE '%\\_\\_v%' AND NOT attisdropped")" "0 0"
expect_eq "no generated name over 63 bytes, none twice" \
	"$(q "SELECT max(octet_length(name)) <= 63 AND count(*) = count(DISTINCT (kind, name)) FROM ($GENERATED) g")" t

# ---- revert --to 0 ----
expect_exit 0 mg revert --to 0
data_snapshot after
expect_same before after "revert --to 0 did not give back every column, value and object"
expect_eq "the trash after revert" \
	"$(q "SELECT count(*) FROM pg_class WHERE relnamespace = to_regnamespace('migrate_trash')") $(q "SELECT count(*) FROM migrate.trash")" "0 0"
expect_eq "no planner object survives" "$(q "SELECT count(*) FROM ($GENERATED) g WHERE kind IN ('trigger', 'function', 'table')")" 0

# and everything applies again, under the same names
expect_exit 0 mg up
expect_exit 0 mg revert --to 0
data_snapshot again
expect_same before again "the second round trip"
# ---- parts that join to the same text ----
# Table "a_b" column "c" and table "a" column "b_c", renamed in one
# migration: their sync functions and write logs (one schema for every
# table) are named apart by a hash of the whole column name.
new_db apart
sql <<'SQL' >/dev/null
CREATE TABLE a_b (id bigint PRIMARY KEY, c text);
CREATE TABLE a (id bigint PRIMARY KEY, b_c text);
INSERT INTO a_b SELECT g, 'a_b.c ' || g FROM generate_series(1, 20) g;
INSERT INTO a SELECT g, 'a.b_c ' || g FROM generate_series(1, 20) g;
SQL
data_snapshot apart.before
migration 0001_renames.sql <<'SQL'
ALTER TABLE a_b RENAME COLUMN c TO c2;
ALTER TABLE a RENAME COLUMN b_c TO b_c2;
SQL
expect_exit 0 mg up --phase expand
expect_eq "two sync functions" "$(q "SELECT count(DISTINCT proname) FROM pg_proc WHERE proname LIKE 'migrate\_sync\_v1\_a\_b\_c\_%'")" 2
expect_exit 0 mg up --phase contract
expect_eq "two write logs, each its own column's" \
	"$(q "SELECT count(DISTINCT name) || ' ' || count(DISTINCT source) FROM migrate.trash WHERE name LIKE 'w1\_a\_b\_c\_%'")" "2 2"
expect_eq "the values after contract" "$(q "SELECT (SELECT c2 FROM a_b WHERE id = 3) || ' ' || (SELECT b_c2 FROM a WHERE id = 3)")" "a_b.c 3 a.b_c 3"
expect_exit 0 mg revert --to 0
data_snapshot apart.after
expect_same apart.before apart.after "revert of the two renames"

# ---- a type change expanded before names were recorded ----
# Its sync function has no record: its shadow is found by the name it was
# given then (<col>__v<version> beside migrate_sync_v<version>_<col>), for it
# alone.
new_db old
sql <<'SQL' >/dev/null
CREATE TABLE t (id bigint PRIMARY KEY, q int, q__v7 int);
CREATE FUNCTION migrate_sync_v7_t_q() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.q__v7 := NEW.q; RETURN NEW; END$$;
CREATE TRIGGER migrate_sync_v7_q BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION migrate_sync_v7_t_q();
CREATE TABLE u (id bigint PRIMARY KEY, q int, q__v7 int);
SQL
migration 0008_index.sql <<'SQL'
ALTER TABLE t RENAME COLUMN q TO q2;
SQL
expect_exit 2 mg up
expect_contains "$ERR" "(shadow column 'q__v7')"
# a column of that name without the trigger is no shadow
migration 0008_index.sql <<'SQL'
ALTER TABLE u RENAME COLUMN q TO q2;
SQL
expect_exit 0 mg up

# ---- an index of a long column whose type change is pending ----
# Planned onto the shadow under the name PostgreSQL would choose: with that
# name taken by an older index, its number goes inside the 63 bytes
# (..._idx1), never cut off so that every try names the taken one.
new_db idx
LT=$(printf 'orders_of_the_customers_in_every_region_of_the_world_xxxxxxxxxx')
LC=$(printf 'delivery_window_of_the_order_as_agreed_with_customer_xxxxxxxxxx')
sql <<SQL >/dev/null
CREATE TABLE "$LT" (id bigint PRIMARY KEY, "$LC" int);
CREATE INDEX ON "$LT" ("$LC");
INSERT INTO "$LT" SELECT g, g FROM generate_series(1, 50) g;
SQL
migration 0001_type.sql <<SQL
ALTER TABLE "$LT" ALTER COLUMN "$LC" TYPE bigint;
SQL
expect_exit 0 mg up --phase expand
migration 0002_index.sql <<SQL
CREATE INDEX ON "$LT" ("$LC");
SQL
expect_exit 0 mg up --phase expand
expect_eq "the new index on the shadow, under PostgreSQL's next name" \
	"$(q "SELECT count(*) FILTER (WHERE relname LIKE '%\\_idx1') || ' ' || max(octet_length(relname)) FROM pg_class WHERE relkind = 'i' AND relname LIKE 'orders\\_of%'")" "1 63"
expect_exit 0 mg up --phase contract
expect_eq "two indexes on the column after both contracts" \
	"$(q "SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = '\"$LT\"'::regclass AND a.attname = '$LC'")" 2
expect_exit 0 mg revert --to 0
expect_eq "back to the one index" \
	"$(q "SELECT count(*) FROM pg_index WHERE indrelid = '\"$LT\"'::regclass AND NOT indisprimary")" 1
pass
