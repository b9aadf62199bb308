#!/usr/bin/env bash
# RENAME COLUMN a TO c: expand adds c, triggers keep a and c equal both ways,
# a batched backfill fills c; contract drops a (its values kept in
# migrate_trash). Old app versions (a) and new ones (c) write side by side
# and read the same values; the column's default, NOT NULL and indexes end up
# on c exactly as the plain rename would leave them.
. "$(dirname "$0")/lib.sh"

# equal_everywhere: a and c hold the same value on every row.
equal_everywhere() {
	expect_q "rows where a and c differ" "SELECT count(*) FROM t WHERE a IS DISTINCT FROM c" 0
}

# old_and_new_write: the old app writes a, the new app writes c; both read
# the other's writes. Then the rows go back as they were (through the old
# name), so the round trip can compare with the start.
old_and_new_write() {
	sql >/dev/null <<'SQL' || fail "$CASE: writes through the old and the new name failed"
INSERT INTO t (id, a) VALUES (5001, 'old app');
INSERT INTO t (id, c) VALUES (5002, 'new app');
UPDATE t SET a = 'old update' WHERE id = 1;
UPDATE t SET c = 'new update' WHERE id = 2;
UPDATE t SET b = b + 1 WHERE id = 3;
SQL
	expect_q "old app reads the new app's row" "SELECT a FROM t WHERE id = 5002" "new app"
	expect_q "new app reads the old app's row" "SELECT c FROM t WHERE id = 5001" "old app"
	expect_q "old update seen under the new name" "SELECT c FROM t WHERE id = 1" "old update"
	expect_q "new update seen under the old name" "SELECT a FROM t WHERE id = 2" "new update"
	expect_q "an update of another column keeps both" "SELECT a || ' ' || c FROM t WHERE id = 3" "v3 v3"
	equal_everywhere
	sql >/dev/null <<'SQL' || fail "$CASE: restoring the rows failed"
DELETE FROM t WHERE id > 5000;
UPDATE t SET a = 'v' || id, b = id WHERE id <= 3;
SQL
	equal_everywhere
}

# after reverting contract, a is back with the values it held
a_restored() {
	expect_q "a after reverting contract" "SELECT count(*) FROM t WHERE a IS DISTINCT FROM 'v' || id" 0
	equal_everywhere
}
AFTER_UNCONTRACT=a_restored

# ---- a plain column with an index on it ----
start_case plain "
CREATE TABLE t (id bigint PRIMARY KEY, a text, b int);
CREATE INDEX t_a_idx ON t (a);
CREATE UNIQUE INDEX t_b_a_key ON t (b, a);
INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, 3000) g;" "
ALTER TABLE t RENAME COLUMN a TO c;"
expand_case --batch-size 500
expect_planned '^ALTER TABLE "t" ADD COLUMN "c" text$'
expect_planned '^CREATE TRIGGER "migrate_sync_v2_a" BEFORE INSERT OR UPDATE ON "t"'
expect_planned '^CREATE INDEX CONCURRENTLY t_a_idx_v2 ON public.t USING btree \(c\)$'
expect_planned '^CREATE UNIQUE INDEX CONCURRENTLY t_b_a_key_v2 ON public.t USING btree \(b, c\)$'
equal_everywhere
old_and_new_write
# a row the new app writes after contract: the trash never saw it, revert
# gives the old name the new name's value
late_row() {
	sql -c "INSERT INTO t (id, b, c) VALUES (7001, 7001, 'late')" >/dev/null ||
		fail "plain: the new app's insert after contract failed"
}
late_row_back() {
	expect_q "the late row under both names" "SELECT a || ' ' || c FROM t WHERE id = 7001" "late late"
	a_restored_but_late
	sql -c "DELETE FROM t WHERE id = 7001" >/dev/null
}
a_restored_but_late() {
	expect_q "a after reverting contract" "SELECT count(*) FROM t WHERE id <> 7001 AND a IS DISTINCT FROM 'v' || id" 0
	equal_everywhere
}
AFTER_CONTRACT=late_row AFTER_UNCONTRACT=late_row_back finish_case

# ---- NOT NULL with a DEFAULT: inserts that name neither column still work ----
start_case default_not_null "
CREATE TABLE t (id bigint PRIMARY KEY, a text NOT NULL DEFAULT 'dflt', b int);
INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, 1000) g;" "
ALTER TABLE t RENAME COLUMN a TO c;"
expand_case
equal_everywhere
sql -c "INSERT INTO t (id, b) VALUES (6000, 1)" >/dev/null || fail "default_not_null: an insert naming neither column failed"
expect_q "the default reaches both names" "SELECT a || ' ' || c FROM t WHERE id = 6000" "dflt dflt"
sql -c "DELETE FROM t WHERE id = 6000" >/dev/null
old_and_new_write
# c is NOT NULL by a validated check until contract makes it the real thing
expect_in default_not_null.expanded "constraint public.t t_c_not_null_v2 CHECK ((c IS NOT NULL))"
finish_case

# ---- a DEFAULT on a nullable column ----
start_case default "
CREATE TABLE t (id bigint PRIMARY KEY, a text DEFAULT 'dflt', b int);
INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, 1000) g;
UPDATE t SET a = NULL WHERE id = 10;" "
ALTER TABLE t RENAME COLUMN a TO c;"
a_restored() {
	expect_q "a after reverting contract" "SELECT count(*) FROM t WHERE a IS DISTINCT FROM CASE WHEN id = 10 THEN NULL ELSE 'v' || id END" 0
	equal_everywhere
}
expand_case
equal_everywhere
old_and_new_write
sql -c "INSERT INTO t (id) VALUES (6000)" >/dev/null || fail "default: an insert naming neither column failed"
expect_q "the default reaches both names" "SELECT a || ' ' || c FROM t WHERE id = 6000" "dflt dflt"
sql -c "DELETE FROM t WHERE id = 6000" >/dev/null
finish_case

# ---- NOT NULL without a default: the new app alone fills the old column ----
start_case not_null "
CREATE TABLE t (id bigint PRIMARY KEY, a text NOT NULL, b int);
INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, 1000) g;" "
ALTER TABLE t RENAME COLUMN a TO c;"
a_restored() {
	expect_q "a after reverting contract" "SELECT count(*) FROM t WHERE a IS DISTINCT FROM 'v' || id" 0
	equal_everywhere
}
expand_case
old_and_new_write
if sql -c "INSERT INTO t (id, b) VALUES (6000, 1)" >/dev/null 2>&1; then
	fail "not_null: a row without a value got in"
fi
finish_case

# ---- keys: a UNIQUE constraint (referenced from another table), a deferrable
# one, a foreign key of the column's own; each ends as the plain rename leaves
# it, under its name, as the same kind of object ----
start_case keys "
CREATE TABLE parent (code text PRIMARY KEY);
INSERT INTO parent SELECT 'v' || g FROM generate_series(1, 1200) g;
CREATE TABLE t (id bigint PRIMARY KEY, b int,
  a text CONSTRAINT t_a_key UNIQUE CONSTRAINT t_a_parent_fk REFERENCES parent (code) ON DELETE SET NULL,
  CONSTRAINT t_a_b_key UNIQUE (a, b) DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE child (id bigint PRIMARY KEY, t_a text CONSTRAINT child_t_a_fk REFERENCES t (a) ON DELETE CASCADE);
INSERT INTO t SELECT g, g, 'v' || g FROM generate_series(1, 1000) g;
INSERT INTO child SELECT g, 'v' || g FROM generate_series(1, 100) g;" "
ALTER TABLE t RENAME COLUMN a TO c;"
expand_case --batch-size 300
expect_planned '^ALTER TABLE t ADD CONSTRAINT t_a_parent_fk_v2 FOREIGN KEY \(c\) REFERENCES parent ?\(code\) ON DELETE SET NULL NOT VALID$'
expect_planned '^ALTER TABLE child ADD CONSTRAINT child_t_a_fk_v2 FOREIGN KEY \(t_a\) REFERENCES t ?\(c\) ON DELETE CASCADE NOT VALID$'
expect_planned '^ALTER TABLE "?child"? VALIDATE CONSTRAINT "child_t_a_fk_v2"$'
equal_everywhere
# both names are held to the parent, and the child to both names
if sql -c "UPDATE t SET c = 'nope' WHERE id = 1" >/dev/null 2>&1; then
	fail "keys: a value missing from the parent got in through the new name"
fi
if sql -c "INSERT INTO child VALUES (9001, 'nope')" >/dev/null 2>&1; then
	fail "keys: a child row without a parent got in"
fi
keys_after_contract() {
	expect_q "the UNIQUE constraints are constraints again" \
		"SELECT string_agg(conname || ':' || contype::text || ':' || condeferrable, ' ' ORDER BY conname) FROM pg_constraint WHERE conrelid = 't'::regclass AND contype = 'u'" \
		"t_a_b_key:u:true t_a_key:u:false"
	sql -c "INSERT INTO t (id, b, c) VALUES (1, 1, 'v1') ON CONFLICT ON CONSTRAINT t_a_key DO NOTHING" >/dev/null ||
		fail "keys: ON CONFLICT ON CONSTRAINT t_a_key fails after contract"
	sql -c "DELETE FROM t WHERE id = 100" >/dev/null || fail "keys: delete failed"
	expect_q "the child's cascade follows the new column" "SELECT count(*) FROM child WHERE id = 100" 0
	sql -c "INSERT INTO t VALUES (100, 100, 'v100'); INSERT INTO child VALUES (100, 'v100')" >/dev/null ||
		fail "keys: restoring the row failed"
}
AFTER_CONTRACT=keys_after_contract finish_case

# ---- views that read the column: contract's first transaction moves them to
# the new name (output columns keep theirs), as the plain rename leaves them;
# another table's column of the same name is left alone ----
start_case views "
CREATE TABLE t (id bigint PRIMARY KEY, a text, b int);
CREATE TABLE u (id bigint PRIMARY KEY, a text);
INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, 500) g;
INSERT INTO u SELECT g, 'u' || g FROM generate_series(1, 10) g;
CREATE VIEW t_plain AS SELECT id, a FROM t;
CREATE VIEW t_joined AS SELECT x.id, x.a AS label, u.a, upper(x.a) AS loud FROM t x JOIN u ON u.id = x.id WHERE x.a <> '';
CREATE VIEW t_nested AS SELECT a FROM t_plain WHERE a LIKE 'v1%';" "
ALTER TABLE t RENAME COLUMN a TO c;"
expand_case
views_read_new() {
	expect_q "the views read the new column" \
		"SELECT count(*) FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid WHERE d.refobjid = 't'::regclass AND d.classid = 'pg_rewrite'::regclass AND a.attname = 'a'" 0
	expect_q "rows through the views" "SELECT (SELECT count(*) FROM t_plain WHERE a = 'v' || id) || ' ' || (SELECT string_agg(label || '/' || a, ',' ORDER BY id) FROM t_joined WHERE id <= 2) || ' ' || (SELECT count(*) FROM t_nested)" \
		"500 v1/u1,v2/u2 111"
}
AFTER_CONTRACT=views_read_new finish_case

# ---- names that need quotes: a rename, the UNIQUE it carries, another
# table's foreign key to it and a view, each with a name PostgreSQL keeps
# only quoted ----
read -r -d '' QUOTED_SETUP <<'SQL' || true
CREATE TABLE "Users" ("Id" bigint PRIMARY KEY, "E-mail" text CONSTRAINT "Users Mail Key" UNIQUE);
CREATE TABLE "Orders" (id bigint PRIMARY KEY, "Mail" text CONSTRAINT "Orders-Mail-FK" REFERENCES "Users" ("E-mail"));
CREATE VIEW "Mail View" AS SELECT u."E-mail" FROM "Users" u;
INSERT INTO "Users" SELECT g, 'm' || g FROM generate_series(1, 300) g;
INSERT INTO "Orders" SELECT g, 'm' || g FROM generate_series(1, 30) g;
SQL
start_case quoted "$QUOTED_SETUP" '
ALTER TABLE "Users" RENAME COLUMN "E-mail" TO "Mail Address";'
expand_case
expect_planned '^CREATE UNIQUE INDEX CONCURRENTLY "Users Mail Key_v2" ON public."Users"'
expect_planned '^ALTER TABLE "Orders" ADD CONSTRAINT "Orders-Mail-FK_v2" FOREIGN KEY \("Mail"\) REFERENCES "Users" ?\("Mail Address"\) NOT VALID$'
AFTER_CONTRACT= AFTER_UNCONTRACT= finish_case

# ---- a uuid key: batches end where the ordering says (uuid has no max()) ----
start_case uuid_key "
CREATE TABLE t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), a text, b int);
INSERT INTO t (a, b) SELECT 'v' || g, g FROM generate_series(1, 700) g;" "
ALTER TABLE t RENAME COLUMN a TO c;"
expand_case --batch-size 64
expect_q "rows where a and c differ" "SELECT count(*) FROM t WHERE a IS DISTINCT FROM c" 0
AFTER_CONTRACT= AFTER_UNCONTRACT= finish_case

# ---- a schema and names that are keywords: the sync function lives in the
# table's schema, whose name needs quotes ----
read -r -d '' KEYWORD_SETUP <<'SQL' || true
CREATE SCHEMA "My App";
CREATE TABLE "My App"."user" (id bigint PRIMARY KEY, "user" text, "order" int);
INSERT INTO "My App"."user" SELECT g, 'u' || g, g FROM generate_series(1, 300) g;
SQL
start_case keywords "$KEYWORD_SETUP" '
ALTER TABLE "My App"."user" RENAME COLUMN "user" TO "select";'
expand_case
# the function is named apart by a hash of the column it is for (names_make_apart)
expect_planned '^CREATE FUNCTION "My App"."migrate_sync_v2_user_user_[0-9a-f]{8}"\(\)'
AFTER_CONTRACT= AFTER_UNCONTRACT= finish_case

pass
