/* The catalogue: replaying migrations into tables, columns, indexes, constraints, objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lint/catalog.h"
#include "sql/parse.h"

/* Replays sql into cat as (part of) migration `order`, expand section. */
static void replay(struct catalog *cat, const char *sql, int order)
{
	struct sql_section sec;
	struct mg_error err = MG_ERROR_INIT;
	if (sql_parse_string(cat->arena, sql, &sec, &err) < 0)
		fail_msg("cannot parse: %s\n%s", err.message, sql);
	for (size_t i = 0; i < sec.n_stmts; i++)
		catalog_apply(cat, sec.stmts[i].node, order, SECTION_EXPAND);
}

static struct catalog_table *must_find_table(const struct catalog *cat, const char *schema,
					     const char *name)
{
	struct catalog_table *t = catalog_table_find(cat, schema, name);
	if (!t)
		fail_msg("table '%s' not in the catalogue", name);
	return t;
}

static struct catalog_column *must_find_column(const struct catalog_table *t, const char *name)
{
	struct catalog_column *c = catalog_column_find(t, name);
	if (!c)
		fail_msg("column '%s.%s' not in the catalogue", t->name, name);
	return c;
}

static void test_create_table(void **state)
{
	struct arena a = ARENA_INIT;
	struct catalog cat;
	(void)state;
	catalog_init(&cat, &a);
	replay(&cat,
	       "CREATE TABLE users (\n"
	       "  id bigserial PRIMARY KEY,\n"
	       "  email varchar(255) NOT NULL UNIQUE,\n"
	       "  age integer CHECK (age > 0),\n"
	       "  balance numeric(12, 2) DEFAULT 0,\n"
	       "  tags text[],\n"
	       "  org_id bigint REFERENCES orgs (id)\n"
	       ");\n"
	       "CREATE TABLE billing.invoices (id int, user_id bigint,\n"
	       "  CONSTRAINT invoices_pk PRIMARY KEY (id),\n"
	       "  FOREIGN KEY (user_id) REFERENCES users (id));\n",
	       0);

	struct catalog_table *t = must_find_table(&cat, NULL, "users");
	assert_string_equal(t->schema, "");
	assert_int_equal(t->created_in, 0);
	assert_true(t->has_primary_key);
	assert_int_equal(t->n_columns, 6);

	struct catalog_column *id = must_find_column(t, "id");
	assert_string_equal(id->type.name, "bigserial");
	assert_true(id->not_null);
	assert_true(id->has_default);

	struct catalog_column *email = must_find_column(t, "email");
	assert_string_equal(email->type.name, "varchar");
	assert_int_equal(email->type.n_mods, 1);
	assert_int_equal(email->type.mods[0], 255);
	assert_true(email->not_null);
	assert_false(email->has_default);

	struct catalog_column *age = must_find_column(t, "age");
	assert_string_equal(age->type.name, "int4");
	assert_false(age->not_null);

	struct catalog_column *balance = must_find_column(t, "balance");
	assert_string_equal(catalog_type_format(&a, &balance->type), "numeric(12,2)");
	assert_true(balance->has_default);
	assert_string_equal(catalog_type_format(&a, &must_find_column(t, "tags")->type), "text[]");

	/* unnamed constraints get PostgreSQL's names, and the index ones an index */
	static const struct {
		const char *table, *name;
		enum catalog_constraint_kind kind;
	} constraints[] = {
	    {"users", "users_pkey", CATALOG_CONSTRAINT_PRIMARY},
	    {"users", "users_email_key", CATALOG_CONSTRAINT_UNIQUE},
	    {"users", "users_age_check", CATALOG_CONSTRAINT_CHECK},
	    {"users", "users_org_id_fkey", CATALOG_CONSTRAINT_FOREIGN},
	    {"invoices", "invoices_pk", CATALOG_CONSTRAINT_PRIMARY},
	    {"invoices", "invoices_user_id_fkey", CATALOG_CONSTRAINT_FOREIGN},
	};
	for (size_t i = 0; i < sizeof(constraints) / sizeof(constraints[0]); i++) {
		struct catalog_constraint *c =
		    catalog_constraint_find(&cat, NULL, constraints[i].table, constraints[i].name);
		if (!c)
			fail_msg("constraint '%s' not in the catalogue", constraints[i].name);
		assert_int_equal(c->kind, constraints[i].kind);
		assert_int_equal(c->created_in, 0);
	}
	assert_non_null(catalog_index_find(&cat, NULL, "users_pkey"));
	assert_true(catalog_index_find(&cat, NULL, "users_email_key")->unique);
	assert_null(catalog_index_find(&cat, NULL, "users_age_check"));

	/* schema-qualified names match qualified and unqualified lookups */
	struct catalog_table *inv = must_find_table(&cat, "billing", "invoices");
	assert_ptr_equal(must_find_table(&cat, NULL, "invoices"), inv);
	assert_null(catalog_table_find(&cat, "public", "invoices"));
	assert_true(must_find_column(inv, "id")->not_null); /* by the table PRIMARY KEY */
	assert_false(must_find_column(inv, "user_id")->not_null);
	arena_release(&a);
}

static void test_columns_add_drop_rename(void **state)
{
	struct arena a = ARENA_INIT;
	struct catalog cat;
	(void)state;
	catalog_init(&cat, &a);
	replay(&cat, "CREATE TABLE users (id int, email text, legacy text);", 0);
	replay(&cat,
	       "ALTER TABLE users ADD COLUMN phone varchar(20) NOT NULL DEFAULT '',\n"
	       "  ADD COLUMN IF NOT EXISTS email int;\n"
	       "ALTER TABLE users DROP COLUMN legacy;\n"
	       "ALTER TABLE users RENAME COLUMN email TO mail;\n"
	       "ALTER TABLE users ALTER COLUMN id SET NOT NULL,\n"
	       "  ALTER COLUMN id TYPE bigint,\n"
	       "  ALTER COLUMN mail SET DEFAULT 'x';\n",
	       1);
	struct catalog_table *t = must_find_table(&cat, NULL, "users");
	assert_int_equal(t->created_in, 0);

	struct catalog_column *phone = must_find_column(t, "phone");
	assert_int_equal(phone->created_in, 1);
	assert_true(phone->not_null);
	assert_true(phone->has_default);

	/* IF NOT EXISTS on a column that is there changes nothing */
	assert_null(catalog_column_find(t, "email"));
	struct catalog_column *mail = must_find_column(t, "mail");
	assert_string_equal(mail->type.name, "text");
	assert_int_equal(mail->created_in, 0);
	assert_true(mail->has_default);

	assert_null(catalog_column_find(t, "legacy"));
	struct catalog_column *id = must_find_column(t, "id");
	assert_true(id->not_null);
	assert_string_equal(id->type.name, "int8");

	replay(&cat, "ALTER TABLE users ALTER COLUMN id DROP NOT NULL;", 2);
	assert_false(must_find_column(t, "id")->not_null);

	/* a column dropped and added again is the new one */
	replay(&cat, "ALTER TABLE users DROP COLUMN phone; ALTER TABLE users ADD COLUMN phone int;",
	       2);
	phone = must_find_column(t, "phone");
	assert_int_equal(phone->created_in, 2);
	assert_string_equal(phone->type.name, "int4");
	assert_false(phone->not_null);
	arena_release(&a);
}

static void test_rename_table(void **state)
{
	struct arena a = ARENA_INIT;
	struct catalog cat;
	(void)state;
	catalog_init(&cat, &a);
	replay(&cat,
	       "CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE);\n"
	       "CREATE INDEX users_email_lower ON users (lower(email));\n",
	       0);
	replay(&cat, "ALTER TABLE users RENAME TO members;", 1);
	assert_null(catalog_table_find(&cat, NULL, "users"));
	struct catalog_table *t = must_find_table(&cat, NULL, "members");
	assert_int_equal(t->created_in, 0); /* a rename does not make it new */
	assert_non_null(catalog_column_find(t, "email"));
	/* indexes and constraints follow the table; their names stay */
	assert_string_equal(catalog_index_find(&cat, NULL, "users_email_lower")->table, "members");
	assert_non_null(catalog_constraint_find(&cat, NULL, "members", "users_pkey"));
	assert_null(catalog_constraint_find(&cat, NULL, "users", "users_pkey"));
	assert_false(catalog_table_is_new(&cat, &(PgQuery__RangeVar){.relname = "members"}, 1));
	arena_release(&a);
}

static void test_drop_and_recreate(void **state)
{
	struct arena a = ARENA_INIT;
	struct catalog cat;
	(void)state;
	catalog_init(&cat, &a);
	replay(&cat,
	       "CREATE TABLE events (id int PRIMARY KEY, kind text);\n"
	       "CREATE INDEX events_kind_idx ON events (kind);\n",
	       0);
	replay(&cat, "DROP TABLE events;", 1);
	assert_null(catalog_table_find(&cat, NULL, "events"));
	assert_null(catalog_index_find(&cat, NULL, "events_kind_idx"));
	assert_null(catalog_constraint_find(&cat, NULL, "events", "events_pkey"));

	replay(&cat, "CREATE TABLE events (id bigint, payload jsonb);", 2);
	struct catalog_table *t = must_find_table(&cat, NULL, "events");
	assert_int_equal(t->created_in, 2);
	assert_false(t->has_primary_key);
	assert_null(catalog_column_find(t, "kind"));
	assert_string_equal(must_find_column(t, "id")->type.name, "int8");
	assert_null(catalog_constraint_find(&cat, NULL, "events", "events_pkey"));

	/* IF NOT EXISTS keeps the table that is there (and its origin) */
	replay(&cat, "CREATE TABLE IF NOT EXISTS events (other int);", 3);
	t = must_find_table(&cat, NULL, "events");
	assert_int_equal(t->created_in, 2);
	assert_null(catalog_column_find(t, "other"));
	arena_release(&a);
}

static void test_indexes(void **state)
{
	struct arena a = ARENA_INIT;
	struct catalog cat;
	(void)state;
	catalog_init(&cat, &a);
	replay(&cat,
	       "CREATE TABLE users (id int, email text, org int);\n"
	       "CREATE UNIQUE INDEX users_email_uq ON users (email);\n"
	       "CREATE INDEX ON users (org, id);\n"
	       "CREATE INDEX ON users (lower(email));\n"
	       "CREATE INDEX CONCURRENTLY ON billing.payments (user_id);\n",
	       0);
	struct catalog_index *ix = catalog_index_find(&cat, NULL, "users_email_uq");
	assert_non_null(ix);
	assert_true(ix->unique);
	assert_string_equal(ix->table, "users");
	assert_int_equal(ix->created_in, 0);
	assert_false(catalog_index_find(&cat, NULL, "users_org_id_idx")->unique);
	assert_non_null(catalog_index_find(&cat, NULL, "users_lower_idx"));

	/* an index on a table the migrations never created: the table predates them */
	assert_non_null(catalog_index_find(&cat, "billing", "payments_user_id_idx"));
	struct catalog_table *payments = must_find_table(&cat, "billing", "payments");
	assert_int_equal(payments->created_in, -1);

	replay(&cat,
	       "ALTER INDEX users_email_uq RENAME TO users_email_key2;\n"
	       "CREATE INDEX IF NOT EXISTS users_email_key2 ON users (id);\n"
	       "DROP INDEX CONCURRENTLY users_org_id_idx;\n",
	       1);
	assert_null(catalog_index_find(&cat, NULL, "users_email_uq"));
	ix = catalog_index_find(&cat, NULL, "users_email_key2");
	assert_non_null(ix);
	assert_int_equal(ix->created_in, 0);
	assert_null(catalog_index_find(&cat, NULL, "users_org_id_idx"));
	arena_release(&a);
}

static void test_constraints(void **state)
{
	struct arena a = ARENA_INIT;
	struct catalog cat;
	(void)state;
	catalog_init(&cat, &a);
	replay(&cat, "CREATE TABLE orders (id int, user_id int, total int);", 0);
	replay(&cat,
	       "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT "
	       "VALID;\n"
	       "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
	       "CREATE UNIQUE INDEX CONCURRENTLY orders_id_idx ON orders (id);\n"
	       "ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX "
	       "orders_id_idx;\n",
	       1);
	struct catalog_constraint *check =
	    catalog_constraint_find(&cat, NULL, "orders", "orders_total_positive");
	assert_non_null(check);
	assert_int_equal(check->kind, CATALOG_CONSTRAINT_CHECK);
	assert_true(check->not_valid);
	assert_int_equal(check->created_in, 1);
	struct catalog_constraint *fk =
	    catalog_constraint_find(&cat, NULL, "orders", "orders_user_id_fkey");
	assert_non_null(fk);
	assert_true(fk->not_valid);

	/* USING INDEX takes the index over under the constraint's name */
	assert_non_null(catalog_constraint_find(&cat, NULL, "orders", "orders_pkey"));
	assert_null(catalog_index_find(&cat, NULL, "orders_id_idx"));
	assert_non_null(catalog_index_find(&cat, NULL, "orders_pkey"));
	assert_true(must_find_table(&cat, NULL, "orders")->has_primary_key);

	replay(&cat,
	       "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;\n"
	       "ALTER TABLE orders RENAME CONSTRAINT orders_pkey TO orders_pk;\n"
	       "ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;\n",
	       2);
	/* look again: replaying may move the catalogue's arrays */
	check = catalog_constraint_find(&cat, NULL, "orders", "orders_total_positive");
	assert_false(check->not_valid);
	assert_null(catalog_constraint_find(&cat, NULL, "orders", "orders_user_id_fkey"));
	assert_null(catalog_constraint_find(&cat, NULL, "orders", "orders_pkey"));
	struct catalog_constraint *pk = catalog_constraint_find(&cat, NULL, "orders", "orders_pk");
	assert_non_null(pk);
	assert_int_equal(pk->created_in, 1);
	/* the index behind the constraint is renamed with it */
	assert_non_null(catalog_index_find(&cat, NULL, "orders_pk"));

	replay(&cat, "ALTER TABLE orders DROP CONSTRAINT orders_pk;", 3);
	assert_null(catalog_index_find(&cat, NULL, "orders_pk"));
	assert_false(must_find_table(&cat, NULL, "orders")->has_primary_key);
	arena_release(&a);
}

static void test_created_in_and_objects(void **state)
{
	struct arena a = ARENA_INIT;
	struct catalog cat;
	(void)state;
	catalog_init(&cat, &a);
	replay(&cat,
	       "CREATE SCHEMA billing;\n"
	       "CREATE TABLE billing.accounts (id int);\n"
	       "CREATE VIEW active_accounts AS SELECT * FROM billing.accounts;\n"
	       "CREATE TYPE mood AS ENUM ('happy', 'sad');\n"
	       "CREATE DOMAIN positive AS int CHECK (VALUE > 0);\n"
	       "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
	       "CREATE SEQUENCE order_numbers;\n"
	       "CREATE MATERIALIZED VIEW totals AS SELECT 1 AS n;\n"
	       "CREATE TABLE snapshot AS SELECT * FROM billing.accounts;\n",
	       0);
	static const struct {
		enum catalog_object_kind kind;
		const char *name;
	} objects[] = {
	    {CATALOG_OBJECT_SCHEMA, "billing"}, {CATALOG_OBJECT_VIEW, "active_accounts"},
	    {CATALOG_OBJECT_TYPE, "mood"},	{CATALOG_OBJECT_TYPE, "positive"},
	    {CATALOG_OBJECT_FUNCTION, "one"},	{CATALOG_OBJECT_SEQUENCE, "order_numbers"},
	    {CATALOG_OBJECT_VIEW, "totals"},
	};
	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		struct catalog_object *o =
		    catalog_object_find(&cat, objects[i].kind, NULL, objects[i].name);
		if (!o)
			fail_msg("object '%s' not in the catalogue", objects[i].name);
		assert_int_equal(o->created_in, 0);
	}
	assert_int_equal(must_find_table(&cat, NULL, "snapshot")->created_in, 0);

	/* CREATE OR REPLACE changes an object; it stays the one an earlier migration made */
	replay(&cat,
	       "CREATE OR REPLACE VIEW active_accounts AS SELECT id FROM billing.accounts;\n"
	       "CREATE OR REPLACE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 2';\n"
	       "ALTER VIEW active_accounts RENAME TO live_accounts;\n"
	       "ALTER TABLE totals RENAME TO grand_totals;\n"
	       "ALTER TYPE mood RENAME TO feeling;\n",
	       1);
	assert_int_equal(
	    catalog_object_find(&cat, CATALOG_OBJECT_VIEW, NULL, "live_accounts")->created_in, 0);
	assert_null(catalog_object_find(&cat, CATALOG_OBJECT_VIEW, NULL, "active_accounts"));
	assert_int_equal(
	    catalog_object_find(&cat, CATALOG_OBJECT_FUNCTION, NULL, "one")->created_in, 0);
	/* ALTER TABLE ... RENAME of a view renames the view, it invents no table */
	assert_non_null(catalog_object_find(&cat, CATALOG_OBJECT_VIEW, NULL, "grand_totals"));
	assert_null(catalog_table_find(&cat, NULL, "grand_totals"));
	assert_non_null(catalog_object_find(&cat, CATALOG_OBJECT_TYPE, NULL, "feeling"));
	assert_null(catalog_object_find(&cat, CATALOG_OBJECT_TYPE, NULL, "mood"));

	/* a schema rename carries what is qualified with it; a drop takes it along */
	replay(&cat, "ALTER SCHEMA billing RENAME TO finance;", 2);
	assert_null(catalog_table_find(&cat, "billing", "accounts"));
	assert_non_null(catalog_table_find(&cat, "finance", "accounts"));
	assert_non_null(catalog_object_find(&cat, CATALOG_OBJECT_SCHEMA, NULL, "finance"));
	replay(&cat, "DROP SCHEMA finance CASCADE; DROP DOMAIN positive; DROP VIEW live_accounts;",
	       3);
	assert_null(catalog_table_find(&cat, NULL, "accounts"));
	assert_null(catalog_object_find(&cat, CATALOG_OBJECT_SCHEMA, NULL, "finance"));
	assert_null(catalog_object_find(&cat, CATALOG_OBJECT_TYPE, NULL, "positive"));
	assert_null(catalog_object_find(&cat, CATALOG_OBJECT_VIEW, NULL, "live_accounts"));
	arena_release(&a);
}

static void test_unknown_tables(void **state)
{
	struct arena a = ARENA_INIT;
	struct catalog cat;
	PgQuery__RangeVar legacy = PG_QUERY__RANGE_VAR__INIT;
	PgQuery__RangeVar fresh = PG_QUERY__RANGE_VAR__INIT;
	(void)state;
	legacy.relname = "legacy";
	fresh.relname = "fresh";
	catalog_init(&cat, &a);
	assert_null(catalog_table_find(&cat, NULL, "legacy"));
	assert_false(catalog_table_is_new(&cat, &legacy, 0));
	assert_false(catalog_table_is_new(&cat, NULL, 0));

	/* altering a table the migrations never created: it existed before them */
	replay(&cat,
	       "ALTER TABLE legacy ADD COLUMN note text;\n"
	       "ALTER TABLE legacy RENAME COLUMN old TO new;\n"
	       "CREATE TABLE fresh (id int);\n",
	       4);
	struct catalog_table *t = must_find_table(&cat, NULL, "legacy");
	assert_int_equal(t->created_in, -1);
	assert_false(catalog_table_is_new(&cat, &legacy, 4));
	assert_int_equal(must_find_column(t, "note")->created_in, 4);
	assert_null(catalog_column_find(t, "old"));
	assert_null(catalog_column_find(t, "new"));
	assert_true(catalog_table_is_new(&cat, &fresh, 4));
	assert_false(catalog_table_is_new(&cat, &fresh, 5));

	/* renaming an unknown view must not make it a table */
	replay(&cat, "ALTER VIEW old_view RENAME COLUMN a TO b;", 5);
	assert_null(catalog_table_find(&cat, NULL, "old_view"));
	arena_release(&a);
}

static void test_long_generated_names(void **state)
{
	struct arena a = ARENA_INIT;
	struct catalog cat;
	(void)state;
	catalog_init(&cat, &a);
	/* PostgreSQL cuts the longer part so that the name fits in 63 bytes */
	replay(&cat,
	       "CREATE TABLE a_table_with_a_rather_long_name_for_testing (\n"
	       "  a_column_with_an_even_longer_name_than_the_table_has_got int UNIQUE);\n",
	       0);
	const char *want = "a_table_with_a_rather_long_na_a_column_with_an_even_longer__key";
	assert_int_equal(strlen(want), 63);
	assert_non_null(catalog_constraint_find(
	    &cat, NULL, "a_table_with_a_rather_long_name_for_testing", want));
	assert_non_null(catalog_index_find(&cat, NULL, want));
	arena_release(&a);
}

/* ---- type changes ---- */

static void type_from_sql(struct arena *a, const char *type, struct catalog_type *ret)
{
	struct sql_section sec;
	struct mg_error err = MG_ERROR_INIT;
	char *sql = arena_printf(a, "CREATE TABLE t (c %s);", type);
	if (sql_parse_string(a, sql, &sec, &err) < 0 || sec.n_stmts != 1)
		fail_msg("cannot parse type '%s': %s", type, err.message);
	const PgQuery__CreateStmt *cs = sec.stmts[0].node->create_stmt;
	catalog_type_from_typename(a, cs->table_elts[0]->column_def->type_name, ret);
}

static void test_type_change_is_safe(void **state)
{
	static const struct {
		const char *old_type, *new_type;
		bool safe;
	} rows[] = {
	    /* varchar widens in place; a tighter limit checks every row */
	    {"varchar(50)", "varchar(100)", true},
	    {"varchar(50)", "varchar(50)", true},
	    {"character varying(50)", "varchar(80)", true},
	    {"varchar(50)", "text", true},
	    {"varchar(50)", "varchar", true},
	    {"varchar(100)", "varchar(50)", false},
	    {"varchar", "varchar(50)", false},
	    {"text", "varchar", true},
	    {"text", "varchar(10)", false},
	    {"text", "text", true},
	    /* integers are stored at their width: any change rewrites */
	    {"int", "bigint", false},
	    {"integer", "int8", false},
	    {"bigint", "int", false},
	    {"smallint", "int", false},
	    {"int", "integer", true},
	    {"serial", "int", true},
	    {"bigserial", "bigint", true},
	    {"int", "text", false},
	    /* numeric: more precision at the same scale, or no limit at all */
	    {"numeric(10,2)", "numeric(12,2)", true},
	    {"decimal(10,2)", "numeric(12,2)", true},
	    {"numeric(10)", "numeric(12)", true},
	    {"numeric(10,2)", "numeric", true},
	    {"numeric(10,2)", "numeric(12,3)", false},
	    {"numeric(10,2)", "numeric(8,2)", false},
	    {"numeric", "numeric(10,2)", false},
	    {"numeric(10,2)", "float8", false},
	    /* fractional seconds: more precision, or none */
	    {"timestamp(3)", "timestamp(6)", true},
	    {"timestamp(3)", "timestamp", true},
	    {"timestamp", "timestamp(6)", true},
	    {"timestamp(6)", "timestamp(3)", false},
	    {"timestamp", "timestamp(3)", false},
	    {"timestamp(0) with time zone", "timestamptz(3)", true},
	    {"timestamp", "timestamptz", false},
	    {"timestamptz", "timestamp", false},
	    {"time(2)", "time(4)", true},
	    {"interval", "interval", true},
	    {"interval day to second(3)", "interval", true},
	    {"interval", "interval day", false},
	    /* char pads: every change rewrites */
	    {"char(5)", "char(10)", false},
	    {"char(10)", "text", false},
	    {"varchar(10)", "char(10)", false},
	    /* other binary-coercible pairs */
	    {"varbit(4)", "varbit(8)", true},
	    {"bit(4)", "varbit", true},
	    {"bit(4)", "varbit(8)", true},
	    {"bit(4)", "varbit(2)", false},
	    {"cidr", "inet", true},
	    {"inet", "cidr", false},
	    {"xml", "text", true},
	    {"text", "xml", false},
	    {"text", "citext", false},
	    {"json", "jsonb", false},
	    {"uuid", "text", false},
	    /* arrays coerce element by element: only no change is safe */
	    {"int[]", "int[]", true},
	    {"varchar(10)[]", "varchar(20)[]", false},
	    {"int", "int[]", false},
	    {"int[]", "int", false},
	    /* user types: the same one, or not */
	    {"mood", "mood", true},
	    {"mood", "feeling", false},
	};
	struct arena a = ARENA_INIT;
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct catalog_type o, n;
		type_from_sql(&a, rows[i].old_type, &o);
		type_from_sql(&a, rows[i].new_type, &n);
		if (catalog_type_change_is_safe(&o, &n) != rows[i].safe)
			fail_msg("row %zu: %s -> %s should be %s", i, rows[i].old_type,
				 rows[i].new_type, rows[i].safe ? "safe" : "unsafe");
	}
	/* an unknown old type is never safe */
	struct catalog_type unknown = {0}, text;
	type_from_sql(&a, "text", &text);
	assert_false(catalog_type_change_is_safe(&unknown, &text));
	assert_false(catalog_type_change_is_safe(&text, &unknown));
	arena_release(&a);
}

static void test_type_format(void **state)
{
	static const struct {
		const char *type, *formatted;
	} rows[] = {
	    {"varchar(50)", "varchar(50)"},
	    {"numeric(10, 2)", "numeric(10,2)"},
	    {"integer[]", "int4[]"},
	    {"text[][]", "text[][]"},
	    {"timestamp with time zone", "timestamptz"},
	    {"public.mood", "mood"},
	};
	struct arena a = ARENA_INIT;
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct catalog_type t;
		type_from_sql(&a, rows[i].type, &t);
		assert_string_equal(catalog_type_format(&a, &t), rows[i].formatted);
	}
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_table),
	    cmocka_unit_test(test_columns_add_drop_rename),
	    cmocka_unit_test(test_rename_table),
	    cmocka_unit_test(test_drop_and_recreate),
	    cmocka_unit_test(test_indexes),
	    cmocka_unit_test(test_constraints),
	    cmocka_unit_test(test_created_in_and_objects),
	    cmocka_unit_test(test_unknown_tables),
	    cmocka_unit_test(test_long_generated_names),
	    cmocka_unit_test(test_type_change_is_safe),
	    cmocka_unit_test(test_type_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
