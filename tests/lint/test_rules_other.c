/* Opaque rules (DO blocks, dynamic SQL) and the style rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lint_helper.h"

#define N(rows) (sizeof(rows) / sizeof((rows)[0]))

static const char *const users = "CREATE TABLE users (id bigint PRIMARY KEY, email text, "
				 "name text, code text);";

static const struct rule_case opaque_cases[] = {
    /* do-block: only what cannot be analysed */
    {NULL, "DO LANGUAGE plpython3u $$ plpy.execute('DROP TABLE users') $$;", "do-block", true},
    {NULL, "DO $$ BEGIN undeclared := 1; END $$;", "do-block", true},
    {NULL, "DO $$ BEGIN DO $x$ BEGIN NULL; END $x$; END $$;", "do-block", true},
    {NULL, "DO $$ BEGIN EXECUTE 'ALTER TABLEX users'; END $$;", "do-block", true},
    /* a body ending in what could close the wrapper early */
    {NULL, "DO $x$ BEGIN NULL; END; -- costs $mg$x$;", "do-block", false},
    {users, "DO $$ BEGIN ALTER TABLE users DROP COLUMN email; END $$;", "do-block", false},
    {users,
     "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'x') THEN\n"
     "    ALTER TABLE users ADD COLUMN nick text;\n  END IF;\nEND\n$$;",
     "do-block", false},
    {NULL, "DO $$ BEGIN RAISE NOTICE 'hello'; END $$;", "do-block", false},
    {NULL, "DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'users'); END $$;", "do-block", false},
    {NULL, "DO 'BEGIN UPDATE users SET code = ''x''; END';", "do-block", false},

    /* the statements of a DO block meet the other rules */
    {users, "DO $$ BEGIN ALTER TABLE users DROP COLUMN email; END $$;", "drop-column", true},
    {NULL, "DO $$ BEGIN ALTER TABLE users DROP COLUMN email; END $$;", "drop-column", true},
    {users,
     "DO $$\nBEGIN\n  IF true THEN\n    ALTER TABLE users DROP COLUMN email;\n  END IF;\nEND $$;",
     "drop-column", true},
    {users, "DO $$ BEGIN EXECUTE 'ALTER TABLE users DROP COLUMN email'; END $$;", "drop-column",
     true},
    {users, "DO $$ BEGIN ALTER TABLE users ADD COLUMN nick text; END $$;", "drop-column", false},
    {users,
     "-- migrate:expand\nSELECT 1;\n-- migrate:contract\n"
     "DO $$ BEGIN ALTER TABLE users DROP COLUMN email; END $$;",
     "drop-column", false},
    {NULL, "DO $$ BEGIN CREATE TABLE t (id bigint, x text); ALTER TABLE t DROP COLUMN x; END $$;",
     "drop-column", false},
    /* what a DO block creates is new to the statements after it */
    {NULL, "DO $$ BEGIN CREATE TABLE t (id bigint, x text); END $$;\nALTER TABLE t DROP COLUMN x;",
     "drop-column", false},
    {users,
     "-- migrate:allow drop-column -- moved to accounts\n"
     "DO $$ BEGIN ALTER TABLE users DROP COLUMN email; END $$;",
     "drop-column", false},

    /* dynamic-sql: EXECUTE of a computed string */
    {NULL, "DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'users'); END $$;", "dynamic-sql", true},
    {NULL,
     "DO $$\nDECLARE r record;\nBEGIN\n  FOR r IN EXECUTE 'SELECT ' || 'relname FROM pg_class' "
     "LOOP\n    RAISE NOTICE '%', r;\n  END LOOP;\nEND $$;",
     "dynamic-sql", true},
    {NULL, "DO $$ BEGIN IF true THEN NULL; ELSE EXECUTE 'DROP ' || 'TABLE users'; END IF; END $$;",
     "dynamic-sql", true},
    {NULL,
     "CREATE FUNCTION drop_it(t text) RETURNS void LANGUAGE plpgsql AS $f$\nBEGIN\n"
     "  EXECUTE 'DROP TABLE ' || quote_ident(t);\nEND\n$f$;",
     "dynamic-sql", true},
    {NULL,
     "CREATE OR REPLACE PROCEDURE wipe(t text) LANGUAGE plpgsql AS $$\nBEGIN\n"
     "  EXECUTE format('TRUNCATE %I', t);\nEND $$;",
     "dynamic-sql", true},
    {NULL,
     "CREATE FUNCTION rows_of(t text) RETURNS SETOF record LANGUAGE plpgsql AS $$\nBEGIN\n"
     "  RETURN QUERY EXECUTE format('SELECT * FROM %I', t);\nEND $$;",
     "dynamic-sql", true},
    {NULL, "DO $$ BEGIN ALTER TABLE users DROP COLUMN email; END $$;", "dynamic-sql", false},
    {NULL, "DO $$ BEGIN EXECUTE 'ANALYZE users'; END $$;", "dynamic-sql", false},
    {NULL, "DO $$ BEGIN EXECUTE 'ALTER TABLEX users'; END $$;", "dynamic-sql", false},
    {NULL,
     "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
     "  NEW.updated_at := now();\n  RETURN NEW;\nEND $$;",
     "dynamic-sql", false},
    {NULL, "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;",
     "dynamic-sql", false},
    {NULL, "DO LANGUAGE plpython3u $$ plpy.execute('DROP TABLE users') $$;", "dynamic-sql", false},
};

static void test_opaque_rules(void **state)
{
	(void)state;
	run_rule_cases(opaque_cases, N(opaque_cases));
}

static const struct lint_finding *find_rule(const struct lint_result *res, const char *rule)
{
	for (size_t i = 0; i < res->n_findings; i++)
		if (strcmp(res->findings[i].rule->id, rule) == 0)
			return &res->findings[i];
	return NULL;
}

/* A finding inside a DO block points at the statement in the file and says where it is. */
static void test_do_block_locations(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	(void)state;
	lint_texts(&a, users,
		   "SELECT 1;\n"
		   "DO $$\n"
		   "BEGIN\n"
		   "  RAISE NOTICE 'dropping';\n"
		   "  ALTER TABLE users DROP COLUMN email;\n"
		   "  EXECUTE format('ALTER TABLE users DROP COLUMN %I', 'code');\n"
		   "  IF true THEN ALTER TABLE users\n"
		   "    DROP COLUMN name; END IF;\n"
		   "END\n"
		   "$$;\n",
		   false, &res);
	assert_int_equal(count_rule(&res, "drop-column"), 2);
	assert_int_equal(count_rule(&res, "do-block"), 0);
	assert_int_equal(count_rule(&res, "dynamic-sql"), 1);
	/* reverting judges the DO block as a whole, not each statement again */
	assert_true(count_rule(&res, "irreversible") <= 1);

	const struct lint_finding *f = find_rule(&res, "drop-column");
	assert_int_equal(f->line, 5);
	assert_int_equal(f->column, 3);
	assert_true(strncmp(f->message, "in DO block: ", 13) == 0);
	assert_non_null(strstr(f->message, "email"));
	f = &res.findings[f - res.findings + 1];
	assert_string_equal(f->rule->id, "drop-column");
	assert_int_equal(f->line, 7);
	assert_int_equal(f->column, 16);
	assert_non_null(strstr(f->message, "name"));

	f = find_rule(&res, "dynamic-sql");
	assert_int_equal(f->line, 6);
	assert_int_equal(f->column, 11);
	arena_release(&a);
}

/* A body that is not in the file as parsed (E'' escapes) points at the DO statement. */
static void test_do_block_escaped_body(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	(void)state;
	lint_texts(&a, users, "\n  DO E'BEGIN\\n ALTER TABLE users DROP COLUMN email; END';\n",
		   false, &res);
	const struct lint_finding *f = find_rule(&res, "drop-column");
	assert_non_null(f);
	assert_int_equal(f->line, 2);
	assert_int_equal(f->column, 3);
	arena_release(&a);
}

static const struct rule_case style_cases[] = {
    {NULL, "CREATE TABLE t (id integer, n int, s smallint);", "prefer-bigint", true},
    {NULL, "CREATE TABLE t (id serial);", "prefer-bigint", true},
    {NULL, "CREATE TABLE t (id smallserial);", "prefer-bigint", true},
    {NULL, "CREATE TABLE t (id int4);", "prefer-bigint", true},
    {users, "ALTER TABLE users ADD COLUMN visits int;", "prefer-bigint", true},
    {users, "ALTER TABLE users ALTER COLUMN id TYPE integer;", "prefer-bigint", true},
    {NULL, "CREATE TABLE t (id bigint, n bigserial, x numeric);", "prefer-bigint", false},
    {users, "ALTER TABLE users ADD COLUMN visits bigint;", "prefer-bigint", false},
    {NULL, "SELECT 1::int;", "prefer-bigint", false},

    {NULL, "CREATE TABLE t (name varchar(50));", "prefer-text", true},
    {NULL, "CREATE TABLE t (name character varying(50));", "prefer-text", true},
    {users, "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);", "prefer-text", true},
    {NULL, "CREATE TABLE t (name text, other varchar);", "prefer-text", false},

    {NULL, "CREATE TABLE t (at timestamp);", "prefer-timestamptz", true},
    {users, "ALTER TABLE users ADD COLUMN seen_at timestamp without time zone;",
     "prefer-timestamptz", true},
    {NULL, "CREATE TABLE t (at timestamptz, b timestamp with time zone, d date);",
     "prefer-timestamptz", false},

    {NULL, "CREATE TABLE t (id serial PRIMARY KEY);", "prefer-identity", true},
    {NULL, "CREATE TABLE t (id bigserial PRIMARY KEY);", "prefer-identity", true},
    {users, "ALTER TABLE users ADD COLUMN seq smallserial;", "prefer-identity", true},
    {NULL, "CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);",
     "prefer-identity", false},

    {NULL, "CREATE TABLE t (payload json);", "prefer-jsonb", true},
    {users, "ALTER TABLE users ADD COLUMN prefs json;", "prefer-jsonb", true},
    {NULL, "CREATE TABLE t (payload jsonb);", "prefer-jsonb", false},

    {NULL, "CREATE TABLE t (code char(2));", "no-char", true},
    {NULL, "CREATE TABLE t (code character(3));", "no-char", true},
    {NULL, "CREATE TABLE t (flag char);", "no-char", true},
    {users, "ALTER TABLE users ALTER COLUMN code TYPE bpchar(4);", "no-char", true},
    {NULL, "CREATE TABLE t (code text, kind \"char\", v varchar(2));", "no-char", false},

    /* style applies to contract too, and to what a DO block declares */
    {users,
     "-- migrate:expand\nSELECT 1;\n-- migrate:contract\n"
     "ALTER TABLE users ADD COLUMN n int;",
     "prefer-bigint", true},
    {NULL, "DO $$ BEGIN CREATE TABLE t (payload json); END $$;", "prefer-jsonb", true},
    /* but not to the revert sections */
    {users,
     "-- migrate:expand\nSELECT 1;\n-- migrate:revert-expand\n"
     "ALTER TABLE users ADD COLUMN n int;",
     "prefer-bigint", false},
};

static void test_style_rules(void **state)
{
	(void)state;
	run_rule_cases(style_cases, N(style_cases));
}

/* Style rules are off by default and point at the type. */
static void test_style_defaults_and_location(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	(void)state;
	const char *sql = "CREATE TABLE t (\n  id serial,\n  payload   json\n);\n";
	lint_texts(&a, NULL, sql, false, &res);
	assert_int_equal(res.n_findings, 0);

	struct lint_options opts;
	lint_options_init(&opts, &a);
	assert_int_equal(lint_options_enable(&opts, "prefer-jsonb"), 0);
	struct migration *m;
	struct mg_error err = MG_ERROR_INIT;
	assert_int_equal(
	    migration_parse_text(&a, "2_change.sql", arena_strdup(&a, sql), strlen(sql), &m, &err),
	    0);
	struct migration_set set = {0};
	migration_set_add(&a, &set, m);
	assert_int_equal(lint_run(&a, &set, &opts, &res, &err), 0);
	assert_int_equal(res.n_findings, 1);
	assert_string_equal(res.findings[0].rule->id, "prefer-jsonb");
	assert_int_equal(res.findings[0].severity, LINT_WARNING);
	assert_int_equal(res.findings[0].line, 3);
	assert_int_equal(res.findings[0].column, 13);
	assert_string_equal(res.findings[0].message,
			    "column 'payload' of 't' is json: it keeps the text as written and "
			    "indexes poorly");
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_opaque_rules),
	    cmocka_unit_test(test_do_block_locations),
	    cmocka_unit_test(test_do_block_escaped_body),
	    cmocka_unit_test(test_style_rules),
	    cmocka_unit_test(test_style_defaults_and_location),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
