/* Breaking rules: what running app versions still use. They apply to expand only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lint_helper.h"

#define N(rows) (sizeof(rows) / sizeof((rows)[0]))

/* The schema the app runs on: an earlier migration. */
static const char SCHEMA[] =
    "CREATE TABLE users (\n"
    "  id bigint PRIMARY KEY,\n"
    "  email varchar(50) NOT NULL,\n"
    "  name text,\n"
    "  nick varchar(100),\n"
    "  age int,\n"
    "  score numeric(10,2),\n"
    "  seen_at timestamp(3),\n"
    "  CONSTRAINT users_email_key UNIQUE (email)\n"
    ");\n"
    "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total int);\n"
    "CREATE INDEX users_name_idx ON users (name);\n"
    "CREATE VIEW active_users AS SELECT * FROM users;\n"
    "CREATE MATERIALIZED VIEW user_counts AS SELECT count(*) AS n FROM users;\n"
    "CREATE SCHEMA billing;\n"
    "CREATE TYPE mood AS ENUM ('happy', 'sad');\n"
    "CREATE DOMAIN positive AS int CONSTRAINT positive_check CHECK (VALUE > 0);\n"
    "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
    "CREATE PROCEDURE tidy() LANGUAGE sql AS 'SELECT 1';\n";

static void test_drop(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA, "DROP TABLE users;", "drop-table", true},
	    {SCHEMA, "DROP TABLE IF EXISTS orders, users CASCADE;", "drop-table", true},
	    {NULL, "DROP TABLE legacy;", "drop-table", true}, /* unknown: predates migrations */
	    {SCHEMA, "CREATE TABLE tmp (id int);\nDROP TABLE tmp;", "drop-table", false},
	    {SCHEMA, "-- migrate:expand\n-- migrate:contract\nDROP TABLE users;", "drop-table",
	     false},
	    {SCHEMA, "DROP VIEW active_users;", "drop-table", false},

	    {SCHEMA, "ALTER TABLE users DROP COLUMN nick;", "drop-column", true},
	    {NULL, "ALTER TABLE legacy DROP COLUMN IF EXISTS note;", "drop-column", true},
	    {SCHEMA, "ALTER TABLE users ADD COLUMN tmp int;\nALTER TABLE users DROP COLUMN tmp;",
	     "drop-column", false},
	    {SCHEMA, "CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;", "drop-column",
	     false},
	    {SCHEMA, "-- migrate:contract\nALTER TABLE users DROP COLUMN nick;", "drop-column",
	     false},

	    {SCHEMA, "DROP SCHEMA billing;", "drop-schema", true},
	    {SCHEMA, "CREATE SCHEMA scratch;\nDROP SCHEMA scratch;", "drop-schema", false},
	    {SCHEMA, "-- migrate:contract\nDROP SCHEMA billing CASCADE;", "drop-schema", false},

	    {NULL, "DROP DATABASE app;", "drop-database", true},
	    {NULL, "DROP TABLE app;", "drop-database", false},

	    {SCHEMA, "DROP VIEW active_users;", "drop-view", true},
	    {SCHEMA, "DROP MATERIALIZED VIEW user_counts;", "drop-view", true},
	    {SCHEMA, "CREATE VIEW v AS SELECT 1;\nDROP VIEW v;", "drop-view", false},
	    {SCHEMA, "CREATE OR REPLACE VIEW active_users AS SELECT id FROM users;", "drop-view",
	     false},
	    {SCHEMA, "-- migrate:contract\nDROP VIEW active_users;", "drop-view", false},

	    {SCHEMA, "DROP FUNCTION one();", "drop-function", true},
	    {SCHEMA, "DROP PROCEDURE tidy;", "drop-function", true},
	    {SCHEMA,
	     "CREATE FUNCTION two() RETURNS int LANGUAGE sql AS 'SELECT 2';\nDROP FUNCTION "
	     "two();",
	     "drop-function", false},
	    /* replacing an existing function does not make it new */
	    {SCHEMA,
	     "CREATE OR REPLACE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 3';\n"
	     "DROP FUNCTION one();",
	     "drop-function", true},

	    {SCHEMA, "DROP TYPE mood;", "drop-type", true},
	    {SCHEMA, "DROP DOMAIN positive;", "drop-type", true},
	    {SCHEMA, "CREATE TYPE t AS ENUM ('a');\nDROP TYPE t;", "drop-type", false},
	    {SCHEMA, "CREATE DOMAIN d AS text;\nDROP DOMAIN d;", "drop-type", false},

	    {SCHEMA, "DROP INDEX CONCURRENTLY users_name_idx;", "drop-index", true},
	    {SCHEMA, "CREATE INDEX CONCURRENTLY tmp_idx ON users (age);\nDROP INDEX tmp_idx;",
	     "drop-index", false},
	    {SCHEMA, "-- migrate:contract\nDROP INDEX CONCURRENTLY users_name_idx;", "drop-index",
	     false},

	    {SCHEMA, "TRUNCATE users;", "truncate", true},
	    {SCHEMA, "TRUNCATE TABLE orders, users RESTART IDENTITY;", "truncate", true},
	    {SCHEMA, "CREATE TABLE staging (id int);\nTRUNCATE staging;", "truncate", false},
	    {SCHEMA, "DELETE FROM users WHERE id < 100;", "truncate", false},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

static void test_rename(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA, "ALTER TABLE users RENAME TO members;", "rename-table", true},
	    {NULL, "ALTER TABLE IF EXISTS legacy RENAME TO old_legacy;", "rename-table", true},
	    {SCHEMA, "CREATE TABLE t (id int);\nALTER TABLE t RENAME TO t2;", "rename-table",
	     false},
	    /* renamed twice: still the existing table */
	    {SCHEMA, "ALTER TABLE users RENAME TO u1;\nALTER TABLE u1 RENAME TO u2;",
	     "rename-table", true},
	    {SCHEMA, "ALTER TABLE active_users RENAME TO live_users;", "rename-table", false},
	    {SCHEMA, "ALTER INDEX users_name_idx RENAME TO users_by_name;", "rename-table", false},
	    {SCHEMA, "-- migrate:contract\nALTER TABLE users RENAME TO members;", "rename-table",
	     false},

	    {SCHEMA, "ALTER TABLE users RENAME COLUMN email TO mail;", "rename-column", true},
	    {SCHEMA, "ALTER TABLE users RENAME email TO mail;", "rename-column", true},
	    {NULL, "ALTER TABLE legacy RENAME COLUMN a TO b;", "rename-column", true},
	    {SCHEMA, "ALTER VIEW active_users RENAME COLUMN email TO mail;", "rename-column", true},
	    {SCHEMA,
	     "ALTER TABLE users ADD COLUMN phone text;\n"
	     "ALTER TABLE users RENAME COLUMN phone TO mobile;",
	     "rename-column", false},
	    {SCHEMA, "CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;",
	     "rename-column", false},
	    {SCHEMA, "CREATE VIEW v AS SELECT 1 AS a;\nALTER VIEW v RENAME COLUMN a TO b;",
	     "rename-column", false},
	    {SCHEMA, "ALTER TABLE users RENAME TO members;", "rename-column", false},

	    {SCHEMA, "ALTER VIEW active_users RENAME TO live_users;", "rename-view", true},
	    {SCHEMA, "ALTER MATERIALIZED VIEW user_counts RENAME TO counts;", "rename-view", true},
	    {SCHEMA, "ALTER TABLE active_users RENAME TO live_users;", "rename-view", true},
	    {NULL, "ALTER VIEW old_view RENAME TO older_view;", "rename-view", true},
	    {SCHEMA, "CREATE VIEW v AS SELECT 1;\nALTER VIEW v RENAME TO v2;", "rename-view",
	     false},
	    {SCHEMA, "ALTER TABLE users RENAME TO members;", "rename-view", false},

	    {SCHEMA, "ALTER SCHEMA billing RENAME TO finance;", "rename-schema", true},
	    {NULL, "ALTER SCHEMA app RENAME TO app_v1;", "rename-schema", true},
	    {SCHEMA, "CREATE SCHEMA scratch;\nALTER SCHEMA scratch RENAME TO tmp;", "rename-schema",
	     false},

	    {SCHEMA, "ALTER TYPE mood RENAME VALUE 'sad' TO 'unhappy';", "rename-enum-value", true},
	    {NULL, "ALTER TYPE public.status RENAME VALUE 'a' TO 'b';", "rename-enum-value", true},
	    {SCHEMA, "ALTER TYPE mood ADD VALUE 'calm';", "rename-enum-value", false},
	    {SCHEMA,
	     "CREATE TYPE level AS ENUM ('lo', 'hi');\n"
	     "ALTER TYPE level RENAME VALUE 'hi' TO 'high';",
	     "rename-enum-value", false},

	    {SCHEMA, "ALTER TABLE users RENAME CONSTRAINT users_email_key TO users_mail_key;",
	     "rename-constraint", true},
	    /* the unnamed primary key is users_pkey, created by the earlier migration */
	    {SCHEMA, "ALTER TABLE users RENAME CONSTRAINT users_pkey TO users_pk;",
	     "rename-constraint", true},
	    {SCHEMA, "ALTER DOMAIN positive RENAME CONSTRAINT positive_check TO gt_zero;",
	     "rename-constraint", true},
	    {SCHEMA,
	     "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total > 0) NOT "
	     "VALID;\n"
	     "ALTER TABLE orders RENAME CONSTRAINT orders_total_check TO orders_total_pos;",
	     "rename-constraint", false},
	    {SCHEMA,
	     "CREATE TABLE t (a int CONSTRAINT a_pos CHECK (a > 0));\n"
	     "ALTER TABLE t RENAME CONSTRAINT a_pos TO a_positive;",
	     "rename-constraint", false},
	    {SCHEMA,
	     "CREATE DOMAIN d AS int CONSTRAINT d_check CHECK (VALUE > 0);\n"
	     "ALTER DOMAIN d RENAME CONSTRAINT d_check TO d_pos;",
	     "rename-constraint", false},
	    {SCHEMA, "ALTER INDEX users_name_idx RENAME TO users_by_name;", "rename-constraint",
	     false},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

static void test_not_null(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA, "ALTER TABLE users ADD COLUMN phone text NOT NULL;", "add-column-not-null",
	     true},
	    {NULL, "ALTER TABLE legacy ADD COLUMN flag bool NOT NULL;", "add-column-not-null",
	     true},
	    {SCHEMA, "ALTER TABLE users ADD COLUMN tier int NOT NULL DEFAULT NULL;",
	     "add-column-not-null", true},
	    {SCHEMA, "ALTER TABLE users ADD COLUMN code bigint PRIMARY KEY;", "add-column-not-null",
	     true},
	    {SCHEMA, "ALTER TABLE users ADD COLUMN a int, ADD COLUMN b int NOT NULL;",
	     "add-column-not-null", true},
	    {SCHEMA, "ALTER TABLE users ADD COLUMN phone text;", "add-column-not-null", false},
	    {SCHEMA, "ALTER TABLE users ADD COLUMN tier int NOT NULL DEFAULT 0;",
	     "add-column-not-null", false},
	    {SCHEMA, "ALTER TABLE users ADD COLUMN tier text DEFAULT 'basic' NOT NULL;",
	     "add-column-not-null", false},
	    {SCHEMA, "ALTER TABLE users ADD COLUMN seq bigserial NOT NULL;", "add-column-not-null",
	     false},
	    {SCHEMA,
	     "ALTER TABLE users ADD COLUMN n bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY;",
	     "add-column-not-null", false},
	    {SCHEMA,
	     "ALTER TABLE users ADD COLUMN l int NOT NULL GENERATED ALWAYS AS (age + 1) STORED;",
	     "add-column-not-null", false},
	    /* the column is there already: IF NOT EXISTS does nothing */
	    {SCHEMA, "ALTER TABLE users ADD COLUMN IF NOT EXISTS email text NOT NULL;",
	     "add-column-not-null", false},
	    {SCHEMA, "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN name text NOT NULL;",
	     "add-column-not-null", false},
	    {SCHEMA, "-- migrate:contract\nALTER TABLE users ADD COLUMN phone text NOT NULL;",
	     "add-column-not-null", false},

	    {SCHEMA, "ALTER TABLE users ALTER COLUMN name SET NOT NULL;", "set-not-null", true},
	    {NULL, "ALTER TABLE legacy ALTER COLUMN note SET NOT NULL;", "set-not-null", true},
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", "set-not-null",
	     false}, /* already NOT NULL: nothing to scan */
	    {SCHEMA,
	     "ALTER TABLE users ADD COLUMN phone text;\n"
	     "UPDATE users SET phone = '';\n"
	     "ALTER TABLE users ALTER COLUMN phone SET NOT NULL;",
	     "set-not-null", true}, /* the new column has a row for every old row */
	    {SCHEMA, "ALTER TABLE users ADD COLUMN phone text, ALTER COLUMN phone SET NOT NULL;",
	     "set-not-null", true},
	    {SCHEMA, "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;",
	     "set-not-null", false},
	    {SCHEMA, "-- migrate:contract\nALTER TABLE users ALTER COLUMN name SET NOT NULL;",
	     "set-not-null", false},
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN name DROP NOT NULL;", "set-not-null", false},

	    {SCHEMA, "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;", "drop-not-null", true},
	    {NULL, "ALTER TABLE legacy ALTER COLUMN note DROP NOT NULL;", "drop-not-null", true},
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN name DROP NOT NULL;", "drop-not-null",
	     false}, /* already nullable */
	    {SCHEMA,
	     "ALTER TABLE users ADD COLUMN phone text NOT NULL DEFAULT '';\n"
	     "ALTER TABLE users ALTER COLUMN phone DROP NOT NULL;",
	     "drop-not-null", false},
	    {SCHEMA,
	     "CREATE TABLE t (a int NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;",
	     "drop-not-null", false},
	    {SCHEMA, "-- migrate:contract\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
	     "drop-not-null", false},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

static void test_change_column_type(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN age TYPE bigint;", "change-column-type", true},
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN nick TYPE varchar(50);", "change-column-type",
	     true},
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN score TYPE numeric(12,3);",
	     "change-column-type", true},
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN name TYPE varchar(20);", "change-column-type",
	     true},
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN seen_at TYPE timestamptz;",
	     "change-column-type", true},
	    /* USING evaluates an expression for every row, even to the same type */
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN email TYPE text USING lower(email);",
	     "change-column-type", true},
	    /* old type unknown: the column (or table) predates the migrations */
	    {NULL, "ALTER TABLE legacy ALTER COLUMN note TYPE text;", "change-column-type", true},
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN unseen TYPE text;", "change-column-type",
	     true},
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN name TYPE text COLLATE \"C\";",
	     "change-column-type", true},
	    /* a second change is judged against the first */
	    {SCHEMA,
	     "ALTER TABLE users ALTER COLUMN email TYPE varchar(100);\n"
	     "ALTER TABLE users ALTER COLUMN email TYPE varchar(80);",
	     "change-column-type", true},

	    {SCHEMA, "ALTER TABLE users ALTER COLUMN email TYPE varchar(100);",
	     "change-column-type", false},
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN email SET DATA TYPE text;",
	     "change-column-type", false},
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN score TYPE numeric(12,2);",
	     "change-column-type", false},
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN seen_at TYPE timestamp(6);",
	     "change-column-type", false},
	    {SCHEMA, "ALTER TABLE users ALTER COLUMN age TYPE integer;", "change-column-type",
	     false},
	    {SCHEMA,
	     "ALTER TABLE users ADD COLUMN level int;\n"
	     "ALTER TABLE users ALTER COLUMN level TYPE bigint;",
	     "change-column-type", true}, /* a new column of an old table: still a rewrite */
	    {SCHEMA, "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;",
	     "change-column-type", false},
	    {SCHEMA, "-- migrate:contract\nALTER TABLE users ALTER COLUMN age TYPE bigint;",
	     "change-column-type", false},
	    /* the rename is remembered: nick is now handle, still varchar(100) */
	    {SCHEMA,
	     "-- migrate:allow rename-column -- old code reads a view\n"
	     "ALTER TABLE users RENAME COLUMN nick TO handle;\n"
	     "ALTER TABLE users ALTER COLUMN handle TYPE varchar(200);",
	     "change-column-type", false},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

static void test_planner_conflict(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA,
	     "CREATE INDEX users_age_idx ON users (age);\n"
	     "ALTER TABLE users RENAME COLUMN age TO years;",
	     "planner-conflict", true},
	    {SCHEMA,
	     "ALTER TABLE users ALTER COLUMN age TYPE bigint;\n"
	     "ALTER TABLE users ALTER COLUMN age SET NOT NULL;",
	     "planner-conflict", true},
	    {SCHEMA,
	     "ALTER TABLE users ALTER COLUMN name SET NOT NULL;\n"
	     "ALTER TABLE users ALTER COLUMN name TYPE varchar(20);",
	     "planner-conflict", true},
	    {SCHEMA,
	     "ALTER TABLE users RENAME COLUMN age TO years;\n"
	     "ALTER TABLE users ALTER COLUMN years TYPE bigint;",
	     "planner-conflict", true},
	    {SCHEMA,
	     "ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age > 0);\n"
	     "ALTER TABLE public.users ALTER COLUMN age TYPE bigint;",
	     "planner-conflict", true},
	    {SCHEMA,
	     "ALTER TABLE users RENAME TO members;\n"
	     "ALTER TABLE users ALTER COLUMN age TYPE bigint;",
	     "planner-conflict", true},
	    {SCHEMA,
	     "ALTER TABLE users RENAME TO members;\n"
	     "CREATE INDEX members_age_idx ON members (age);",
	     "planner-conflict", true},

	    /* a foreign key to the column, made in the same migration: either order */
	    {SCHEMA,
	     "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES "
	     "users (id);\nALTER TABLE users ALTER COLUMN id TYPE numeric(20);",
	     "planner-conflict", true},
	    {SCHEMA,
	     "ALTER TABLE users ALTER COLUMN id TYPE numeric(20);\n"
	     "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES "
	     "users;",
	     "planner-conflict", true},
	    {SCHEMA,
	     "CREATE TABLE visits (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\n"
	     "ALTER TABLE users ALTER COLUMN id TYPE numeric(20);",
	     "planner-conflict", true},
	    {SCHEMA,
	     "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES "
	     "users (email);\nALTER TABLE users ALTER COLUMN id TYPE numeric(20);",
	     "planner-conflict", false},
	    /* a rename, then the new name indexed: both see the same column */
	    {SCHEMA,
	     "ALTER TABLE users RENAME COLUMN age TO years;\n"
	     "CREATE INDEX users_years_idx ON users (years);",
	     "planner-conflict", false},
	    /* changes of different columns, of different tables */
	    {SCHEMA,
	     "CREATE INDEX users_name_idx2 ON users (name);\n"
	     "ALTER TABLE users RENAME COLUMN age TO years;\n"
	     "ALTER TABLE orders ALTER COLUMN total TYPE bigint;",
	     "planner-conflict", false},
	    {SCHEMA,
	     "ALTER TABLE orders RENAME COLUMN total TO amount;\n"
	     "ALTER TABLE users RENAME TO members;",
	     "planner-conflict", false},
	    /* a table of this migration: nothing is planned */
	    {SCHEMA,
	     "CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);\n"
	     "ALTER TABLE t RENAME COLUMN a TO b;",
	     "planner-conflict", false},
	    /* in different migrations, or in contract, they compose */
	    {"CREATE TABLE users (id bigint PRIMARY KEY, age int);\n"
	     "CREATE INDEX users_age_idx ON users (age);\n",
	     "ALTER TABLE users RENAME COLUMN age TO years;", "planner-conflict", false},
	    {SCHEMA,
	     "-- migrate:contract\nCREATE INDEX users_age_idx ON users (age);\n"
	     "ALTER TABLE users RENAME COLUMN age TO years;",
	     "planner-conflict", false},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

static void test_unique_and_primary_key(void **state)
{
	static const struct rule_case rows[] = {
	    {SCHEMA, "ALTER TABLE users ADD CONSTRAINT users_name_key UNIQUE (name);",
	     "add-unique-constraint", true},
	    {SCHEMA, "ALTER TABLE users ADD UNIQUE (nick, age);", "add-unique-constraint", true},
	    {NULL, "ALTER TABLE legacy ADD UNIQUE (code);", "add-unique-constraint", true},
	    {SCHEMA, "ALTER TABLE users ADD COLUMN handle text UNIQUE;", "add-unique-constraint",
	     true},
	    {SCHEMA,
	     "CREATE UNIQUE INDEX CONCURRENTLY users_name_key ON users (name);\n"
	     "ALTER TABLE users ADD CONSTRAINT users_name_key UNIQUE USING INDEX "
	     "users_name_key;",
	     "add-unique-constraint", false},
	    {SCHEMA, "CREATE TABLE t (a int);\nALTER TABLE t ADD UNIQUE (a);",
	     "add-unique-constraint", false},
	    {SCHEMA, "ALTER TABLE users ADD PRIMARY KEY (id);", "add-unique-constraint", false},
	    {SCHEMA, "-- migrate:contract\nALTER TABLE users ADD UNIQUE (name);",
	     "add-unique-constraint", false},

	    {NULL, "ALTER TABLE legacy ADD PRIMARY KEY (id);", "add-primary-key", true},
	    {SCHEMA,
	     "ALTER TABLE orders DROP CONSTRAINT orders_pkey, "
	     "ADD CONSTRAINT orders_pk PRIMARY KEY (id, user_id);",
	     "add-primary-key", true},
	    {SCHEMA, "ALTER TABLE users ADD COLUMN code bigserial PRIMARY KEY;", "add-primary-key",
	     true},
	    {NULL,
	     "CREATE UNIQUE INDEX CONCURRENTLY legacy_id_idx ON legacy (id);\n"
	     "ALTER TABLE legacy ADD CONSTRAINT legacy_pkey PRIMARY KEY USING INDEX "
	     "legacy_id_idx;",
	     "add-primary-key", false},
	    {SCHEMA, "CREATE TABLE t (a int);\nALTER TABLE t ADD PRIMARY KEY (a);",
	     "add-primary-key", false},
	    {SCHEMA, "ALTER TABLE users ADD UNIQUE (name);", "add-primary-key", false},
	    {NULL, "-- migrate:contract\nALTER TABLE legacy ADD PRIMARY KEY (id);",
	     "add-primary-key", false},
	};
	(void)state;
	run_rule_cases(rows, N(rows));
}

/* Messages name the object, so a reader knows what breaks without opening the file. */
static void test_messages_name_the_object(void **state)
{
	static const struct {
		const char *sql;
		const char *rule;
		const char *needle;
	} rows[] = {
	    {"ALTER TABLE users RENAME COLUMN email TO mail;", "rename-column", "'users.email'"},
	    {"ALTER TABLE users RENAME TO members;", "rename-table", "'users' to 'members'"},
	    {"ALTER VIEW active_users RENAME TO live;", "rename-view", "'active_users'"},
	    {"ALTER SCHEMA billing RENAME TO finance;", "rename-schema", "'billing'"},
	    {"ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';", "rename-enum-value",
	     "'sad' of enum 'mood'"},
	    {"ALTER TABLE users RENAME CONSTRAINT users_email_key TO k;", "rename-constraint",
	     "'users_email_key' of 'users'"},
	    {"ALTER TABLE public.users ADD COLUMN phone text NOT NULL;", "add-column-not-null",
	     "'public.users.phone'"},
	    {"ALTER TABLE users ALTER COLUMN name SET NOT NULL;", "set-not-null", "'users.name'"},
	    {"ALTER TABLE users ALTER COLUMN email DROP NOT NULL;", "drop-not-null",
	     "'users.email'"},
	    {"ALTER TABLE users ALTER COLUMN age TYPE bigint;", "change-column-type",
	     "'users.age' from int4 to int8"},
	    {"ALTER TABLE users ALTER COLUMN nick TYPE varchar(10);", "change-column-type",
	     "from varchar(100) to varchar(10)"},
	    {"ALTER TABLE users ALTER COLUMN unseen TYPE text;", "change-column-type",
	     "old type is unknown"},
	    {"ALTER TABLE users ALTER COLUMN age TYPE int USING age + 0;", "change-column-type",
	     "USING"},
	    {"ALTER TABLE users ADD CONSTRAINT u_name UNIQUE (name, nick);",
	     "add-unique-constraint", "'u_name' on 'users' (name, nick)"},
	    {"ALTER TABLE orders ADD PRIMARY KEY (id);", "add-primary-key", "'orders' (id)"},
	    {"ALTER TABLE users DROP COLUMN nick;", "drop-column", "'nick' of 'users'"},
	    {"DROP TABLE orders;", "drop-table", "'orders'"},
	};
	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		struct arena a = ARENA_INIT;
		struct lint_result res;
		lint_texts(&a, SCHEMA, rows[i].sql, false, &res);
		const struct lint_finding *found = NULL;
		for (size_t k = 0; k < res.n_findings; k++)
			if (strcmp(res.findings[k].file, "2_change.sql") == 0 &&
			    strcmp(res.findings[k].rule->id, rows[i].rule) == 0)
				found = &res.findings[k];
		if (!found)
			fail_msg("row %zu: no '%s' finding for:\n%s", i, rows[i].rule, rows[i].sql);
		if (!strstr(found->message, rows[i].needle))
			fail_msg("row %zu: message \"%s\" does not say %s", i, found->message,
				 rows[i].needle);
		arena_release(&a);
	}
}

static const struct lint_finding *only_finding(const struct lint_result *res, const char *rule)
{
	const struct lint_finding *found = NULL;
	for (size_t k = 0; k < res->n_findings; k++) {
		const struct lint_finding *f = &res->findings[k];
		if (strcmp(f->file, "2_change.sql") != 0 || strcmp(f->rule->id, rule) != 0)
			continue;
		if (found)
			fail_msg("rule '%s' reported twice", rule);
		found = f;
	}
	if (!found)
		fail_msg("rule '%s' did not report", rule);
	return found;
}

/* Findings point at the column or constraint itself, else at the statement's first token. */
static void test_locations(void **state)
{
	const char *sql = "-- migrate:expand\n"			   /* 1 */
			  "CREATE TABLE t (id int);\n"		   /* 2 */
			  "ALTER TABLE users\n"			   /* 3 */
			  "    ADD COLUMN phone text,\n"	   /* 4 */
			  "    ADD COLUMN tier int NOT NULL,\n"	   /* 5 */
			  "\tALTER COLUMN age TYPE bigint,\n"	   /* 6 */
			  "    ADD CONSTRAINT u UNIQUE (name);\n"  /* 7 */
			  "  /* then */ ALTER TABLE users\n"	   /* 8 */
			  "    ALTER COLUMN name SET NOT NULL;\n"  /* 9 */
			  "\n"					   /* 10 */
			  "-- migrate:contract\n"		   /* 11 */
			  "ALTER TABLE users DROP COLUMN nick;\n"; /* 12 */
	static const struct {
		const char *rule;
		int line, column;
	} want[] = {
	    {"add-column-not-null", 5, 16},
	    {"change-column-type", 6, 15},
	    {"add-unique-constraint", 7, 9},
	    {"set-not-null", 8, 14},
	};
	struct arena a = ARENA_INIT;
	struct lint_result res;
	(void)state;
	lint_texts(&a, SCHEMA, sql, false, &res);
	for (size_t i = 0; i < N(want); i++) {
		const struct lint_finding *f = only_finding(&res, want[i].rule);
		if (f->line != want[i].line || f->column != want[i].column)
			fail_msg("'%s' at %d:%d, want %d:%d", want[i].rule, f->line, f->column,
				 want[i].line, want[i].column);
		assert_int_equal(f->section, SECTION_EXPAND);
	}
	/* breaking rules leave the contract section alone */
	assert_int_equal(count_rule(&res, "drop-column"), 0);
	arena_release(&a);
}

/* A rename is remembered: later statements of the migration see the new names. */
static void test_schema_awareness_across_statements(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	(void)state;
	lint_texts(&a, SCHEMA,
		   "ALTER TABLE users RENAME TO members;\n"
		   "ALTER TABLE members ALTER COLUMN age TYPE bigint;\n"
		   "ALTER TABLE members ALTER COLUMN email TYPE text;\n",
		   false, &res);
	assert_int_equal(count_rule(&res, "rename-table"), 1);
	const struct lint_finding *f = only_finding(&res, "change-column-type");
	assert_non_null(strstr(f->message, "from int4 to int8"));
	assert_int_equal(f->line, 2);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drop),
	    cmocka_unit_test(test_rename),
	    cmocka_unit_test(test_not_null),
	    cmocka_unit_test(test_change_column_type),
	    cmocka_unit_test(test_planner_conflict),
	    cmocka_unit_test(test_unique_and_primary_key),
	    cmocka_unit_test(test_messages_name_the_object),
	    cmocka_unit_test(test_locations),
	    cmocka_unit_test(test_schema_awareness_across_statements),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
