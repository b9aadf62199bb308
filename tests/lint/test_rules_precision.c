/*
 * Precision on shapes real histories have: each row pair is a miss (fires)
 * or a false alarm (stays quiet) that a careful reviewer would call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lint_helper.h"

#define N(rows) (sizeof(rows) / sizeof((rows)[0]))

#define SCHEMA                                                                                     \
	"CREATE TABLE spaces (id bigint PRIMARY KEY, name text, owner_id bigint, created "         \
	"timestamp);\n"                                                                            \
	"CREATE TABLE members (id bigint PRIMARY KEY, space_id bigint, role text);\n"              \
	"ALTER TABLE members ADD CONSTRAINT members_space_fkey FOREIGN KEY (space_id) "            \
	"REFERENCES spaces (id);\n"                                                                \
	"ALTER TABLE members ADD CONSTRAINT members_role_key UNIQUE (role);\n"                     \
	"ALTER TABLE members ADD CONSTRAINT members_role_check CHECK (role <> '');\n"              \
	"CREATE INDEX spaces_owner_idx ON spaces (owner_id);\n"                                    \
	"CREATE VIEW space_names AS SELECT id, name FROM spaces;\n"                                \
	"CREATE MATERIALIZED VIEW space_counts AS SELECT owner_id, count(*) AS n FROM spaces "     \
	"GROUP BY owner_id;\n"                                                                     \
	"CREATE TYPE status AS ENUM ('open', 'closed');\n"                                         \
	"CREATE DOMAIN slug AS text;\n"                                                            \
	"CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';\n"   \
	"CREATE TRIGGER spaces_touch BEFORE UPDATE ON spaces FOR EACH ROW EXECUTE FUNCTION "       \
	"touch();\n"                                                                               \
	"CREATE FUNCTION space_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM "      \
	"spaces';\n"                                                                               \
	"CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);\n"                      \
	"CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO "          \
	"('2026-01-01');\n"                                                                        \
	"CREATE TABLE events_2026 (id bigint, at date);\n"                                         \
	"ALTER TABLE spaces ADD CONSTRAINT spaces_name_nn CHECK (name IS NOT NULL) NOT VALID;\n"   \
	"ALTER TABLE spaces VALIDATE CONSTRAINT spaces_name_nn;\n"

/* A column new in this migration does not make its old table new. */
static void test_new_column_of_old_table(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA,
	     "ALTER TABLE spaces ADD COLUMN root_id int;\n"
	     "UPDATE spaces SET root_id = id;\n"
	     "ALTER TABLE spaces ALTER COLUMN root_id SET NOT NULL;",
	     "set-not-null", true},
	    {SCHEMA,
	     "CREATE TABLE rooms (id bigint);\nALTER TABLE rooms ADD COLUMN root_id int;\n"
	     "ALTER TABLE rooms ALTER COLUMN root_id SET NOT NULL;",
	     "set-not-null", false},
	    {SCHEMA,
	     "ALTER TABLE spaces ADD COLUMN score int DEFAULT 0;\n"
	     "ALTER TABLE spaces ALTER COLUMN score TYPE bigint;",
	     "change-column-type", true},
	    {SCHEMA,
	     "CREATE TABLE rooms (id bigint);\nALTER TABLE rooms ADD COLUMN score int DEFAULT 0;\n"
	     "ALTER TABLE rooms ALTER COLUMN score TYPE bigint;",
	     "change-column-type", false},
	    /* dropping or renaming the new column breaks no running app */
	    {SCHEMA,
	     "ALTER TABLE spaces ADD COLUMN root_id int;\n"
	     "ALTER TABLE spaces RENAME COLUMN root_id TO parent_id;",
	     "rename-column", false},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

/* SET NOT NULL proven by a validated CHECK from an earlier transaction (PostgreSQL 12+). */
static void test_set_not_null_proven_by_check(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA, "ALTER TABLE spaces ALTER COLUMN name SET NOT NULL;", "set-not-null", false},
	    {SCHEMA, "ALTER TABLE spaces ALTER COLUMN owner_id SET NOT NULL;", "set-not-null",
	     true},
	    /* an earlier transaction of the same file (one that runs its own) */
	    {SCHEMA,
	     "ALTER TABLE members ADD CONSTRAINT members_role_nn CHECK (role IS NOT NULL) NOT "
	     "VALID;\nCOMMIT;\nBEGIN;\n"
	     "ALTER TABLE members VALIDATE CONSTRAINT members_role_nn;\nCOMMIT;\nBEGIN;\n"
	     "ALTER TABLE members ALTER COLUMN role SET NOT NULL;",
	     "set-not-null", false},
	    {SCHEMA,
	     "ALTER TABLE members ADD CONSTRAINT members_role_nn CHECK (role IS NOT NULL) NOT "
	     "VALID;\nCOMMIT;\nBEGIN;\n"
	     "ALTER TABLE members VALIDATE CONSTRAINT members_role_nn;\n"
	     "ALTER TABLE members ALTER COLUMN role SET NOT NULL;",
	     "set-not-null", true},
	    {SCHEMA,
	     "-- migrate:expand\n"
	     "ALTER TABLE members ADD CONSTRAINT members_role_nn CHECK (role IS NOT NULL);\n"
	     "ALTER TABLE members ALTER COLUMN role SET NOT NULL;",
	     "set-not-null", true},
	    /* NOT VALID: proves nothing yet */
	    {SCHEMA,
	     "-- migrate:expand\n"
	     "ALTER TABLE members ADD CONSTRAINT members_role_nn CHECK (role IS NOT NULL) NOT "
	     "VALID;\n"
	     "ALTER TABLE members ALTER COLUMN role SET NOT NULL;",
	     "set-not-null", true},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

/* before PostgreSQL 12 neither shortcut exists */
static void test_release_dependent_before_12(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA, "ALTER TABLE spaces ALTER COLUMN name SET NOT NULL;", "set-not-null", true},
	    {SCHEMA,
	     "SET TIME ZONE 'UTC';\nALTER TABLE spaces ALTER COLUMN created TYPE timestamptz;",
	     "change-column-type", true},
	};
	(void)state;
	run_rule_cases_at(rows, N(rows), 11);
	run_rule_cases_at((const struct rule_case[]){{SCHEMA,
						      "ALTER TABLE spaces ALTER COLUMN name SET "
						      "NOT NULL;",
						      "set-not-null", false}},
			  1, 12);
}

static void test_type_changes_without_rewrite(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA, "ALTER TABLE spaces ALTER COLUMN name TYPE varchar(20) USING name;",
	     "change-column-type", true}, /* text -> varchar(20) checks every row */
	    {SCHEMA, "ALTER TABLE members ALTER COLUMN role TYPE text USING role;",
	     "change-column-type", false},
	    {SCHEMA, "ALTER TABLE members ALTER COLUMN role TYPE text USING upper(role);",
	     "change-column-type", true},
	    /* varchar(n) widened: no rewrite, with or without a USING of the column */
	    {SCHEMA "CREATE TABLE tags (id bigint PRIMARY KEY, label varchar(10));\n",
	     "ALTER TABLE tags ALTER COLUMN label TYPE varchar(20) USING label;",
	     "change-column-type", false},
	    {SCHEMA "CREATE TABLE tags (id bigint PRIMARY KEY, label varchar(10));\n",
	     "ALTER TABLE tags ALTER COLUMN label TYPE varchar(20) USING label || '';",
	     "change-column-type", true},
	    {SCHEMA,
	     "SET timezone = 'UTC';\nALTER TABLE spaces ALTER COLUMN created TYPE timestamptz;",
	     "change-column-type", false},
	    {SCHEMA,
	     "SET TIME ZONE 'UTC';\nALTER TABLE spaces ALTER COLUMN created TYPE timestamptz;",
	     "change-column-type", false},
	    {SCHEMA,
	     "SET timezone = 'Europe/Berlin';\n"
	     "ALTER TABLE spaces ALTER COLUMN created TYPE timestamptz;",
	     "change-column-type", true},
	    {SCHEMA, "ALTER TABLE spaces ALTER COLUMN created TYPE timestamptz;",
	     "change-column-type", true},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

/* DROP and CREATE of the same name in one transaction replace the object. */
static void test_replacement_is_not_a_drop(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA,
	     "DROP VIEW space_names;\nCREATE VIEW space_names AS SELECT id, name, owner_id FROM "
	     "spaces;",
	     "drop-view", false},
	    {SCHEMA, "DROP VIEW space_names;", "drop-view", true},
	    {SCHEMA,
	     "-- migrate:expand\nDROP VIEW space_names;\n-- migrate:contract\n"
	     "CREATE VIEW space_names AS SELECT id FROM spaces;",
	     "drop-view", true},
	    {SCHEMA,
	     "DROP MATERIALIZED VIEW space_counts;\nCREATE MATERIALIZED VIEW space_counts AS "
	     "SELECT 1 AS n;",
	     "drop-view", false},
	    {SCHEMA,
	     "DROP FUNCTION space_count();\nCREATE FUNCTION space_count() RETURNS int LANGUAGE "
	     "sql AS 'SELECT 1';",
	     "drop-function", false},
	    {SCHEMA, "DROP FUNCTION space_count();", "drop-function", true},
	    {SCHEMA,
	     "DROP INDEX spaces_owner_idx;\nCREATE INDEX spaces_owner_idx ON spaces (owner_id, "
	     "id);",
	     "drop-index", false},
	    {SCHEMA, "DROP INDEX spaces_owner_idx;", "drop-index", true},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

static void test_one_report_per_hazard(void **state)
{
	static const struct rule_case rows[] = {
	    /* trigger functions: only the trigger calls them */
	    {SCHEMA, "DROP TRIGGER spaces_touch ON spaces;\nDROP FUNCTION touch();",
	     "drop-function", false},
	    {SCHEMA, "DROP FUNCTION touch() CASCADE;", "drop-function", true},
	    {NULL, "DROP TRIGGER t_touch ON legacy;\nDROP FUNCTION legacy_touch();",
	     "drop-function", false},
	    {NULL, "DROP FUNCTION legacy_count();", "drop-function", true},
	    /* nothing names a foreign key (or a check) in a query */
	    {SCHEMA,
	     "ALTER TABLE members RENAME CONSTRAINT members_space_fkey TO members_space_id_fkey;",
	     "rename-constraint", false},
	    {SCHEMA, "ALTER TABLE members RENAME CONSTRAINT members_role_check TO role_check;",
	     "rename-constraint", false},
	    {SCHEMA, "ALTER TABLE members RENAME CONSTRAINT members_role_key TO role_key;",
	     "rename-constraint", true},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

/* a plain DROP INDEX in expand: drop-index alone */
static void test_drop_index_once(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	(void)state;
	lint_texts(&a, SCHEMA, "DROP INDEX spaces_owner_idx;", false, &res);
	assert_int_equal(count_rule(&res, "drop-index"), 1);
	assert_int_equal(count_rule(&res, "drop-index-concurrently"), 0);
	arena_release(&a);
}

static void test_rename_column_in_contract(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA, "-- migrate:contract\nALTER TABLE spaces RENAME COLUMN name TO title;",
	     "rename-column", true},
	    {SCHEMA,
	     "-- migrate:expand\nALTER TABLE spaces ADD COLUMN title2 text;\n"
	     "-- migrate:contract\nALTER TABLE spaces RENAME COLUMN title2 TO title;",
	     "rename-column", false},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

static void test_new_rules(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA, "ALTER TABLE events DETACH PARTITION events_2025;", "detach-partition", true},
	    {SCHEMA, "ALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY;",
	     "detach-partition", false},

	    {SCHEMA,
	     "ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO "
	     "('2027-01-01');",
	     "attach-partition", true},
	    {SCHEMA
	     "ALTER TABLE events_2026 ADD CONSTRAINT events_2026_at CHECK (at >= '2026-01-01' AND "
	     "at < '2027-01-01');\n",
	     "ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO "
	     "('2027-01-01');",
	     "attach-partition", false},
	    {SCHEMA,
	     "CREATE TABLE events_2027 (id bigint, at date);\n"
	     "ALTER TABLE events ATTACH PARTITION events_2027 FOR VALUES FROM ('2027-01-01') TO "
	     "('2028-01-01');",
	     "attach-partition", false},

	    {SCHEMA, "ALTER DOMAIN slug ADD CONSTRAINT slug_lower CHECK (VALUE = lower(VALUE));",
	     "alter-domain-constraint", true},
	    {SCHEMA,
	     "ALTER DOMAIN slug ADD CONSTRAINT slug_lower CHECK (VALUE = lower(VALUE)) NOT VALID;",
	     "alter-domain-constraint", false},
	    {SCHEMA, "ALTER DOMAIN slug SET NOT NULL;", "alter-domain-constraint", true},
	    {SCHEMA, "CREATE DOMAIN tag AS text;\nALTER DOMAIN tag ADD CHECK (VALUE <> '');",
	     "alter-domain-constraint", false},

	    {SCHEMA,
	     "ALTER TABLE members ADD CONSTRAINT members_excl EXCLUDE USING gist (space_id WITH "
	     "=);",
	     "add-exclusion-constraint", true},
	    {SCHEMA,
	     "CREATE TABLE slots (id bigint, room int);\n"
	     "ALTER TABLE slots ADD CONSTRAINT slots_excl EXCLUDE USING gist (room WITH =);",
	     "add-exclusion-constraint", false},

	    {SCHEMA, "ALTER TABLE spaces SET TABLESPACE fast;", "set-tablespace", true},
	    {SCHEMA, "ALTER INDEX spaces_owner_idx SET TABLESPACE fast;", "set-tablespace", true},
	    {SCHEMA, "CREATE TABLE t (a int);\nALTER TABLE t SET TABLESPACE fast;",
	     "set-tablespace", false},

	    {SCHEMA, "REFRESH MATERIALIZED VIEW space_counts;", "refresh-materialized-view", true},
	    {SCHEMA,
	     "CREATE MATERIALIZED VIEW owners AS SELECT DISTINCT owner_id FROM spaces;\n"
	     "REFRESH MATERIALIZED VIEW owners;",
	     "refresh-materialized-view", false},
	    /* found while writing tests/corpus: an index on a new materialized view */
	    {SCHEMA,
	     "CREATE MATERIALIZED VIEW owners AS SELECT DISTINCT owner_id FROM spaces;\n"
	     "CREATE UNIQUE INDEX owners_idx ON owners (owner_id);",
	     "create-index-concurrently", false},
	    {SCHEMA, "CREATE UNIQUE INDEX space_counts_idx ON space_counts (owner_id);",
	     "create-index-concurrently", true},
	    {SCHEMA, "REFRESH MATERIALIZED VIEW CONCURRENTLY space_counts;",
	     "refresh-materialized-view", false},

	    {SCHEMA, "ALTER TYPE status RENAME TO state;", "rename-type", true},
	    {SCHEMA, "ALTER DOMAIN slug RENAME TO handle;", "rename-type", true},
	    {SCHEMA, "CREATE TYPE color AS ENUM ('red');\nALTER TYPE color RENAME TO colour;",
	     "rename-type", false},
	    {SCHEMA, "ALTER TYPE status RENAME VALUE 'open' TO 'opened';", "rename-type", false},

	    {SCHEMA, "ALTER TABLE spaces SET SCHEMA archive;", "set-schema", true},
	    {SCHEMA, "ALTER TYPE status SET SCHEMA archive;", "set-schema", true},
	    {SCHEMA, "CREATE TABLE t (a int);\nALTER TABLE t SET SCHEMA archive;", "set-schema",
	     false},

	    {SCHEMA, "ALTER TABLE spaces ENABLE ROW LEVEL SECURITY;", "enable-rls-without-policy",
	     true},
	    {SCHEMA,
	     "ALTER TABLE spaces ENABLE ROW LEVEL SECURITY;\n"
	     "CREATE POLICY spaces_owner ON spaces USING (owner_id = 1);",
	     "enable-rls-without-policy", false},
	    {SCHEMA "CREATE POLICY spaces_owner ON spaces USING (owner_id = 1);\n",
	     "ALTER TABLE spaces ENABLE ROW LEVEL SECURITY;", "enable-rls-without-policy", false},

	    {SCHEMA,
	     "ALTER TYPE status ADD VALUE 'archived';\n"
	     "UPDATE spaces SET name = 'x' WHERE name = 'archived';",
	     "enum-value-same-transaction", true},
	    {SCHEMA,
	     "-- migrate:expand\nALTER TYPE status ADD VALUE 'archived';\n"
	     "-- migrate:contract\nUPDATE spaces SET name = 'x' WHERE name = 'archived';",
	     "enum-value-same-transaction", false},
	    {SCHEMA, "ALTER TYPE status ADD VALUE 'archived';\nUPDATE spaces SET name = 'x';",
	     "enum-value-same-transaction", false},
	    /* a column's default that names the value is a use PostgreSQL refuses too */
	    {SCHEMA,
	     "ALTER TYPE status ADD VALUE 'archived';\n"
	     "ALTER TABLE spaces ADD COLUMN st status DEFAULT 'archived';",
	     "enum-value-same-transaction", true},
	    {SCHEMA,
	     "ALTER TYPE status ADD VALUE 'archived';\nCOMMIT;\nBEGIN;\n"
	     "ALTER TABLE spaces ADD COLUMN st status DEFAULT 'archived';",
	     "enum-value-same-transaction", false},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

static void test_enum_add_value_is_reversible(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA, "ALTER TYPE status ADD VALUE 'archived';", "irreversible", false},
	    {SCHEMA, "ALTER TYPE status RENAME TO state;", "irreversible", true},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

/* REINDEX SYSTEM: CONCURRENTLY is no way out there, and the help says so */
static void test_reindex_system_help(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	(void)state;
	lint_texts(&a, SCHEMA, "REINDEX SYSTEM app;", false, &res);
	assert_int_equal(count_rule(&res, "reindex-concurrently"), 1);
	const struct lint_finding *f = NULL;
	for (size_t i = 0; i < res.n_findings; i++)
		if (strcmp(res.findings[i].rule->id, "reindex-concurrently") == 0)
			f = &res.findings[i];
	assert_non_null(f);
	assert_null(strstr(f->help, "REINDEX ... CONCURRENTLY"));
	assert_non_null(strstr(f->help, "outside migrations"));
	lint_texts(&a, SCHEMA, "REINDEX TABLE spaces;", false, &res);
	for (size_t i = 0; i < res.n_findings; i++)
		if (strcmp(res.findings[i].rule->id, "reindex-concurrently") == 0)
			assert_non_null(strstr(res.findings[i].help, "CONCURRENTLY"));
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_column_of_old_table),
	    cmocka_unit_test(test_set_not_null_proven_by_check),
	    cmocka_unit_test(test_type_changes_without_rewrite),
	    cmocka_unit_test(test_release_dependent_before_12),
	    cmocka_unit_test(test_replacement_is_not_a_drop),
	    cmocka_unit_test(test_one_report_per_hazard),
	    cmocka_unit_test(test_drop_index_once),
	    cmocka_unit_test(test_rename_column_in_contract),
	    cmocka_unit_test(test_new_rules),
	    cmocka_unit_test(test_enum_add_value_is_reversible),
	    cmocka_unit_test(test_reindex_system_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
