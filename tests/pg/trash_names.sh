#!/usr/bin/env bash
# Every dropped column and table gets a trash object of its own, whatever its
# name: a name longer than PostgreSQL's 63 bytes is cut and ended with a hash
# of the whole (two columns sharing a long prefix, a timestamp version, stay
# apart), and two objects whose plain trash names are the same (table "a_b"
# column "c" and table "a" column "b_c"; one table name in two schemas) never
# share one; nor do the indexes and sequences of dropped tables (two
# gone_pkey). Contract keeps each column's values apart; revert brings back
# every one.
. "$(dirname "$0")/lib.sh"

new_db
long=customer_shipping_preferences_archive_tbl # 41 bytes
migration 20261204120000_setup.sql <<SQL
CREATE TABLE $long (id bigint PRIMARY KEY, shipping_address_line1 text, shipping_address_line2 text);
INSERT INTO $long SELECT g, 'one-' || g, 'two-' || g FROM generate_series(1, 4) g;
CREATE TABLE a_b (id bigint PRIMARY KEY, c text);
CREATE TABLE a (id bigint PRIMARY KEY, b_c text);
INSERT INTO a_b VALUES (1, 'a_b.c');
INSERT INTO a VALUES (1, 'a.b_c');
CREATE SCHEMA s1;
CREATE SCHEMA s2;
CREATE TABLE s1.t (id bigint PRIMARY KEY, x text);
CREATE TABLE s2.t (id bigint PRIMARY KEY, x text);
INSERT INTO s1.t VALUES (1, 's1');
INSERT INTO s2.t VALUES (1, 's2');
CREATE TABLE s1.gone (id bigint PRIMARY KEY, n serial);
CREATE TABLE s2.gone (id bigint PRIMARY KEY, n serial);
INSERT INTO s1.gone VALUES (1);
INSERT INTO s2.gone VALUES (2);
SQL
migration 20261204120001_drop.sql <<SQL
-- migrate:contract
ALTER TABLE $long DROP COLUMN shipping_address_line1;
ALTER TABLE $long DROP COLUMN shipping_address_line2;
ALTER TABLE a_b DROP COLUMN c;
ALTER TABLE a DROP COLUMN b_c;
ALTER TABLE s1.t DROP COLUMN x;
ALTER TABLE s2.t DROP COLUMN x;
DROP TABLE s1.gone;
DROP TABLE s2.gone;
SQL
expect_exit 0 mg up --to 20261204120000
data_snapshot before
expect_exit 0 mg up
expect_eq "one trash table for each dropped column and table" \
	"$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'migrate_trash'")" 8
expect_eq "one registry row each, every name within 63 bytes" \
	"$(q "SELECT count(DISTINCT name) || ' ' || max(octet_length(name)) FROM migrate.trash")" "8 63"
expect_eq "the registry says whose each is" \
	"$(q "SELECT string_agg(source, ' ' ORDER BY source) FROM migrate.trash")" \
	"public.a.b_c public.a_b.c public.$long.shipping_address_line1 public.$long.shipping_address_line2 s1.gone s1.t.x s2.gone s2.t.x"
# each copy holds its own column's values
for row in "public.$long.shipping_address_line1:one-1" "public.$long.shipping_address_line2:two-1" \
	"public.a_b.c:a_b.c" "public.a.b_c:a.b_c" "s1.t.x:s1" "s2.t.x:s2"; do
	src=${row%:*}
	col=${src##*.}
	name=$(q "SELECT name FROM migrate.trash WHERE source = '$src'")
	expect_eq "the copy of $src" "$(q "SELECT $col FROM migrate_trash.\"$name\" WHERE id = 1")" "${row##*:}"
done

# a table's indexes and sequences go with it, under names of the trash's
expect_eq "what moved with the dropped tables" \
	"$(q "SELECT count(*) || ' ' || count(DISTINCT c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'migrate_trash' AND c.relkind IN ('i', 'S') AND NOT EXISTS (SELECT FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN migrate.trash r ON r.name = t.relname AND r.kind = 'column' WHERE i.indexrelid = c.oid)")" "4 4"
# each column's copy has its own key index, which revert finds the rows by
expect_eq "the copies' key indexes" \
	"$(q "SELECT count(DISTINCT i.indrelid) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN migrate.trash r ON r.name = t.relname AND r.kind = 'column' WHERE i.indisunique")" 6

expect_exit 0 mg revert --steps 1
data_snapshot reverted
expect_same before reverted "reverting the contract did not bring every column and table back"
expect_eq "the trash after revert" \
	"$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'migrate_trash'") $(q "SELECT count(*) FROM migrate.trash")" "0 0"
pass
