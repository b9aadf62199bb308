#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lint_helper.h"

/*
 * Blocking rules: what stalls the app's queries on the shared database. The
 * schema below is what the app already runs on; every hazard fires on it and
 * stays quiet on the safe form and on tables the migration creates itself.
 */

#define SCHEMA                                                                                     \
	"CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"                                \
	"CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric, status "       \
	"text);\n"                                                                                 \
	"CREATE INDEX orders_user_idx ON orders (user_id);\n"                                      \
	"CREATE MATERIALIZED VIEW order_totals AS SELECT user_id, sum(total) FROM orders GROUP "   \
	"BY user_id;\n"

#define NEW_TABLE                                                                                  \
	"CREATE TABLE payments (id bigint PRIMARY KEY, order_id bigint, amount numeric);\n"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct rule_case index_cases[] = {
    /* create-index-concurrently */
    {SCHEMA, "CREATE INDEX orders_status_idx ON orders (status);", "create-index-concurrently",
     true},
    {SCHEMA, "CREATE UNIQUE INDEX users_email_idx ON users (email);", "create-index-concurrently",
     true},
    {NULL, "CREATE INDEX ON legacy_table (a);", "create-index-concurrently", true},
    {SCHEMA, "CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);",
     "create-index-concurrently", false},
    {SCHEMA, NEW_TABLE "CREATE INDEX payments_order_idx ON payments (order_id);",
     "create-index-concurrently", false},
    {SCHEMA,
     "-- migrate:expand\n" NEW_TABLE "-- migrate:contract\n"
     "CREATE INDEX payments_order_idx ON payments (order_id);",
     "create-index-concurrently", false},
    /* blocking rules still apply in contract */
    {SCHEMA,
     "-- migrate:expand\nSELECT 1;\n-- migrate:contract\n"
     "CREATE INDEX orders_status_idx ON orders (status);",
     "create-index-concurrently", true},
    {SCHEMA,
     "-- migrate:expand\nCREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\n"
     "-- migrate:revert-expand\nCREATE INDEX orders_status_old ON orders (status);",
     "create-index-concurrently", true},

    /* drop-index-concurrently */
    {SCHEMA, "-- migrate:contract\nDROP INDEX orders_user_idx;", "drop-index-concurrently", true},
    {SCHEMA, "-- migrate:contract\nDROP INDEX IF EXISTS orders_user_idx;",
     "drop-index-concurrently", true},
    {NULL, "-- migrate:contract\nDROP INDEX legacy_idx;", "drop-index-concurrently", true},
    /* in expand drop-index reports the statement (its help says CONCURRENTLY): one finding */
    {SCHEMA, "DROP INDEX orders_user_idx;", "drop-index-concurrently", false},
    {SCHEMA, "-- migrate:contract\nDROP INDEX CONCURRENTLY orders_user_idx;",
     "drop-index-concurrently", false},
    {SCHEMA,
     "CREATE INDEX CONCURRENTLY orders_tmp_idx ON orders (status);\n"
     "DROP INDEX orders_tmp_idx;",
     "drop-index-concurrently", false},
    {SCHEMA,
     "-- migrate:expand\n" NEW_TABLE "CREATE INDEX payments_order_idx ON payments (order_id);\n"
     "-- migrate:contract\nDROP INDEX payments_order_idx;",
     "drop-index-concurrently", false},
    {SCHEMA, "ALTER TABLE orders DROP COLUMN status;", "drop-index-concurrently", false},

    /* reindex-concurrently */
    {SCHEMA, "REINDEX INDEX orders_user_idx;", "reindex-concurrently", true},
    {SCHEMA, "REINDEX TABLE orders;", "reindex-concurrently", true},
    {SCHEMA, "REINDEX SCHEMA public;", "reindex-concurrently", true},
    {SCHEMA, "REINDEX (CONCURRENTLY false) TABLE orders;", "reindex-concurrently", true},
    {SCHEMA, "REINDEX INDEX CONCURRENTLY orders_user_idx;", "reindex-concurrently", false},
    {SCHEMA, "REINDEX TABLE CONCURRENTLY orders;", "reindex-concurrently", false},
    {SCHEMA, "REINDEX (CONCURRENTLY, VERBOSE) TABLE orders;", "reindex-concurrently", false},
    {SCHEMA, NEW_TABLE "REINDEX TABLE payments;", "reindex-concurrently", false},
};

static const struct rule_case constraint_cases[] = {
    /* add-foreign-key */
    {SCHEMA,
     "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users "
     "(id);",
     "add-foreign-key", true},
    {SCHEMA, "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users;", "add-foreign-key",
     true},
    {NULL, "ALTER TABLE legacy ADD FOREIGN KEY (a) REFERENCES other;", "add-foreign-key", true},
    /* an inline REFERENCES validates too and cannot be NOT VALID */
    {SCHEMA, "ALTER TABLE orders ADD COLUMN buyer_id bigint REFERENCES users (id);",
     "add-foreign-key", true},
    {SCHEMA,
     "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users "
     "(id) NOT VALID;",
     "add-foreign-key", false},
    {SCHEMA, NEW_TABLE "ALTER TABLE payments ADD FOREIGN KEY (order_id) REFERENCES orders;",
     "add-foreign-key", false},
    {SCHEMA,
     "CREATE TABLE refunds (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id), "
     "FOREIGN KEY (id) REFERENCES users);",
     "add-foreign-key", false},
    {SCHEMA, "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0);",
     "add-foreign-key", false},

    /* add-check-constraint */
    {SCHEMA, "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0);",
     "add-check-constraint", true},
    {SCHEMA, "ALTER TABLE orders ADD CHECK (status <> '');", "add-check-constraint", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN qty int CHECK (qty > 0);", "add-check-constraint",
     true},
    {SCHEMA,
     "-- migrate:expand\nSELECT 1;\n-- migrate:contract\n"
     "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0);",
     "add-check-constraint", true},
    {SCHEMA, "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;",
     "add-check-constraint", false},
    {SCHEMA, NEW_TABLE "ALTER TABLE payments ADD CHECK (amount > 0);", "add-check-constraint",
     false},
    {SCHEMA, "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users NOT VALID;",
     "add-check-constraint", false},

    /* validate-same-transaction */
    {SCHEMA,
     "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;\n"
     "ALTER TABLE orders VALIDATE CONSTRAINT total_positive;",
     "validate-same-transaction", true},
    {SCHEMA,
     "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users "
     "NOT VALID;\nCREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\n"
     "ALTER TABLE public.orders VALIDATE CONSTRAINT orders_user_fk;",
     "validate-same-transaction", true},
    {SCHEMA,
     "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID, "
     "VALIDATE CONSTRAINT total_positive;",
     "validate-same-transaction", true},
    {SCHEMA,
     "-- migrate:expand\nSELECT 1;\n-- migrate:contract\n"
     "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;\n"
     "ALTER TABLE orders VALIDATE CONSTRAINT total_positive;",
     "validate-same-transaction", true},
    {SCHEMA,
     "-- migrate:expand\n"
     "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;\n"
     "-- migrate:contract\nALTER TABLE orders VALIDATE CONSTRAINT total_positive;",
     "validate-same-transaction", false},
    {SCHEMA "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;\n",
     "ALTER TABLE orders VALIDATE CONSTRAINT total_positive;", "validate-same-transaction", false},
    {SCHEMA,
     "ALTER TABLE users ADD CONSTRAINT total_positive CHECK (id > 0) NOT VALID;\n"
     "ALTER TABLE orders VALIDATE CONSTRAINT total_positive;",
     "validate-same-transaction", false},
    {SCHEMA,
     "BEGIN;\nALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;\n"
     "COMMIT;\nALTER TABLE orders VALIDATE CONSTRAINT total_positive;",
     "validate-same-transaction", false},
    {SCHEMA,
     NEW_TABLE "ALTER TABLE payments ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT "
	       "VALID;\nALTER TABLE payments VALIDATE CONSTRAINT amount_positive;",
     "validate-same-transaction", false},
};

static const struct rule_case rewrite_cases[] = {
    /* add-column-volatile-default */
    {SCHEMA, "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
     "add-column-volatile-default", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN token uuid DEFAULT uuid_generate_v4() NOT NULL;",
     "add-column-volatile-default", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN r float8 DEFAULT random();",
     "add-column-volatile-default", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp();",
     "add-column-volatile-default", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN seen text DEFAULT timeofday();",
     "add-column-volatile-default", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN n bigint DEFAULT nextval('orders_n_seq');",
     "add-column-volatile-default", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN code text DEFAULT md5(random()::text);",
     "add-column-volatile-default", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN code text DEFAULT gen_random_uuid()::text;",
     "add-column-volatile-default", true},
    /* unknown functions are treated as volatile */
    {SCHEMA, "ALTER TABLE orders ADD COLUMN code text DEFAULT app.new_code();",
     "add-column-volatile-default", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN created_at timestamptz DEFAULT now();",
     "add-column-volatile-default", false},
    {SCHEMA,
     "ALTER TABLE orders ADD COLUMN created_at timestamptz NOT NULL DEFAULT "
     "current_timestamp, ADD COLUMN day date DEFAULT CURRENT_DATE, ADD COLUMN t1 timestamp "
     "DEFAULT localtimestamp, ADD COLUMN t2 timestamptz DEFAULT statement_timestamp(), ADD "
     "COLUMN t3 timestamptz DEFAULT transaction_timestamp();",
     "add-column-volatile-default", false},
    {SCHEMA,
     "ALTER TABLE orders ADD COLUMN kind text NOT NULL DEFAULT 'retail', ADD COLUMN a text "
     "DEFAULT 'a'::text, ADD COLUMN b bigint DEFAULT 0::bigint, ADD COLUMN c int DEFAULT -1, "
     "ADD COLUMN d boolean DEFAULT false, ADD COLUMN e jsonb DEFAULT '{}'::jsonb, ADD COLUMN "
     "f text DEFAULT NULL;",
     "add-column-volatile-default", false},
    {SCHEMA,
     "ALTER TABLE orders ADD COLUMN due_at timestamptz DEFAULT now() + interval '30 days', "
     "ADD COLUMN tags text[] DEFAULT ARRAY[]::text[], ADD COLUMN who text DEFAULT "
     "current_user;",
     "add-column-volatile-default", false},
    {SCHEMA, "ALTER TABLE orders ALTER COLUMN status SET DEFAULT gen_random_uuid()::text;",
     "add-column-volatile-default", false},
    {SCHEMA, NEW_TABLE "ALTER TABLE payments ADD COLUMN token uuid DEFAULT gen_random_uuid();",
     "add-column-volatile-default", false},

    /* add-column-generated */
    {SCHEMA,
     "ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS ((total * "
     "100)::bigint) STORED;",
     "add-column-generated", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN total_cents bigint;", "add-column-generated", false},
    {SCHEMA,
     NEW_TABLE "ALTER TABLE payments ADD COLUMN cents bigint GENERATED ALWAYS AS ((amount * "
	       "100)::bigint) STORED;",
     "add-column-generated", false},

    /* add-column-serial */
    {SCHEMA, "ALTER TABLE orders ADD COLUMN seq serial;", "add-column-serial", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN seq bigserial;", "add-column-serial", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN seq smallserial;", "add-column-serial", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN seq bigint;", "add-column-serial", false},
    {SCHEMA, NEW_TABLE "ALTER TABLE payments ADD COLUMN seq bigserial;", "add-column-serial",
     false},
    {SCHEMA, "CREATE TABLE events (id bigserial PRIMARY KEY);", "add-column-serial", false},

    /* add-column-identity */
    {SCHEMA, "ALTER TABLE orders ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;",
     "add-column-identity", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN seq bigint GENERATED BY DEFAULT AS IDENTITY;",
     "add-column-identity", true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN seq bigint;", "add-column-identity", false},
    {SCHEMA, NEW_TABLE "ALTER TABLE payments ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;",
     "add-column-identity", false},
    {SCHEMA, "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
     "add-column-identity", false},

    /* vacuum-full */
    {SCHEMA, "VACUUM FULL orders;", "vacuum-full", true},
    {SCHEMA, "VACUUM (FULL, ANALYZE) orders;", "vacuum-full", true},
    {SCHEMA, "VACUUM FULL;", "vacuum-full", true},
    {SCHEMA, "VACUUM orders;", "vacuum-full", false},
    {SCHEMA, "VACUUM (FULL false) orders;", "vacuum-full", false},
    {SCHEMA, "VACUUM (ANALYZE) orders;", "vacuum-full", false},
    {SCHEMA, NEW_TABLE "VACUUM FULL payments;", "vacuum-full", false},

    /* cluster */
    {SCHEMA, "CLUSTER orders USING orders_user_idx;", "cluster", true},
    {SCHEMA, "CLUSTER;", "cluster", true},
    {SCHEMA, NEW_TABLE "CLUSTER payments USING payments_pkey;", "cluster", false},
    {SCHEMA, "ANALYZE orders;", "cluster", false},

    /* set-logged */
    {SCHEMA, "ALTER TABLE orders SET UNLOGGED;", "set-logged", true},
    {SCHEMA, "ALTER TABLE orders SET LOGGED;", "set-logged", true},
    {SCHEMA, "ALTER TABLE orders SET (fillfactor = 70);", "set-logged", false},
    {SCHEMA, NEW_TABLE "ALTER TABLE payments SET UNLOGGED;", "set-logged", false},

    /* lock-table */
    {SCHEMA, "LOCK TABLE orders;", "lock-table", true},
    {SCHEMA, "LOCK orders IN SHARE MODE;", "lock-table", true},
    {SCHEMA, "LOCK TABLE users, orders IN EXCLUSIVE MODE;", "lock-table", true},
    {SCHEMA, "-- migrate:expand\nSELECT 1;\n-- migrate:contract\nLOCK TABLE orders;", "lock-table",
     true},
    /* weaker modes conflict with no lock that app queries take */
    {SCHEMA, "LOCK TABLE orders IN ROW EXCLUSIVE MODE;", "lock-table", false},
    {SCHEMA, NEW_TABLE "LOCK TABLE payments;", "lock-table", false},
};

static const struct rule_case transaction_cases[] = {
    /* concurrently-in-transaction */
    {SCHEMA, "BEGIN;\nCREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\nCOMMIT;",
     "concurrently-in-transaction", true},
    {SCHEMA, "START TRANSACTION;\nDROP INDEX CONCURRENTLY orders_user_idx;\nCOMMIT;",
     "concurrently-in-transaction", true},
    {SCHEMA, "BEGIN;\nREINDEX INDEX CONCURRENTLY orders_user_idx;\nCOMMIT;",
     "concurrently-in-transaction", true},
    {SCHEMA, "BEGIN;\nREFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;\nCOMMIT;",
     "concurrently-in-transaction", true},
    {SCHEMA,
     "BEGIN;\nSAVEPOINT s;\nCREATE INDEX CONCURRENTLY orders_status_idx ON orders "
     "(status);\nCOMMIT;",
     "concurrently-in-transaction", true},
    {SCHEMA,
     "BEGIN;\nSELECT 1;\nCOMMIT AND CHAIN;\nCREATE INDEX CONCURRENTLY orders_status_idx ON "
     "orders (status);\nCOMMIT;",
     "concurrently-in-transaction", true},
    {SCHEMA, "BEGIN;\nALTER TABLE orders DETACH PARTITION orders_2020 CONCURRENTLY;\nCOMMIT;",
     "concurrently-in-transaction", true},
    /* a DO block always runs in a transaction */
    {SCHEMA,
     "DO $$\nBEGIN\n  CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\nEND\n$$;",
     "concurrently-in-transaction", true},
    {SCHEMA, "CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);",
     "concurrently-in-transaction", false},
    {SCHEMA,
     "BEGIN;\nSELECT 1;\nCOMMIT;\nCREATE INDEX CONCURRENTLY orders_status_idx ON orders "
     "(status);",
     "concurrently-in-transaction", false},
    {SCHEMA, "BEGIN;\nSELECT 1;\nROLLBACK;\nREFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;",
     "concurrently-in-transaction", false},
    {SCHEMA,
     "-- migrate:expand\nBEGIN;\nSELECT 1;\n-- migrate:contract\n"
     "CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);",
     "concurrently-in-transaction", false},
    {SCHEMA, "BEGIN;\nCREATE INDEX orders_status_idx ON orders (status);\nCOMMIT;",
     "concurrently-in-transaction", false},

    /* explicit-transaction */
    {SCHEMA, "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;", "explicit-transaction",
     true},
    {SCHEMA, "START TRANSACTION;\nSELECT 1;", "explicit-transaction", true},
    {SCHEMA, "SAVEPOINT before_note;\nALTER TABLE orders ADD COLUMN note text;",
     "explicit-transaction", true},
    {SCHEMA, "-- migrate:expand\nSELECT 1;\n-- migrate:contract\nROLLBACK;", "explicit-transaction",
     true},
    {SCHEMA, "ALTER TABLE orders ADD COLUMN note text;", "explicit-transaction", false},
};

static void test_index_rules(void **state)
{
	(void)state;
	run_rule_cases(index_cases, N(index_cases));
}

static void test_constraint_rules(void **state)
{
	(void)state;
	run_rule_cases(constraint_cases, N(constraint_cases));
}

static void test_rewrite_rules(void **state)
{
	(void)state;
	run_rule_cases(rewrite_cases, N(rewrite_cases));
}

static void test_transaction_rules(void **state)
{
	(void)state;
	run_rule_cases(transaction_cases, N(transaction_cases));
}

/* ---- beyond the table: options, locations, messages ---- */

static struct migration *must_parse(struct arena *a, const char *path, const char *text)
{
	struct mg_error err = MG_ERROR_INIT;
	struct migration *m = NULL;
	if (migration_parse_text(a, path, arena_strdup(a, text), strlen(text), &m, &err) < 0)
		fail_msg("%s: %s (line %d)", path, err.message, err.line);
	return m;
}

/* Lints SCHEMA (1_setup.sql) and sql (2_change.sql) for a target of PostgreSQL pg_version. */
static void lint_for_version(struct arena *a, const char *sql, int pg_version,
			     struct lint_result *ret)
{
	struct lint_options opts;
	lint_options_init(&opts, a);
	opts.pg_version = pg_version;
	struct migration_set set = {0};
	migration_set_add(a, &set, must_parse(a, "1_setup.sql", SCHEMA));
	migration_set_add(a, &set, must_parse(a, "2_change.sql", sql));
	struct mg_error err = MG_ERROR_INIT;
	if (lint_run(a, &set, &opts, ret, &err) < 0)
		fail_msg("lint failed: %s\n%s", err.message, sql);
}

static const struct lint_finding *find_rule(const struct lint_result *res, const char *rule)
{
	for (size_t i = 0; i < res->n_findings; i++)
		if (strcmp(res->findings[i].rule->id, rule) == 0 &&
		    strcmp(res->findings[i].file, "2_change.sql") == 0)
			return &res->findings[i];
	return NULL;
}

static void test_volatile_default_before_pg11(void **state)
{
	(void)state;
	static const struct {
		const char *sql;
		int pg_version;
		bool fires;
	} rows[] = {
	    /* before 11 every default rewrites, constants included */
	    {"ALTER TABLE orders ADD COLUMN kind text NOT NULL DEFAULT 'retail';", 10, true},
	    {"ALTER TABLE orders ADD COLUMN created_at timestamptz DEFAULT now();", 10, true},
	    {"ALTER TABLE orders ADD COLUMN kind text DEFAULT NULL;", 10, false},
	    {"ALTER TABLE orders ADD COLUMN kind text;", 10, false},
	    {NEW_TABLE "ALTER TABLE payments ADD COLUMN kind text DEFAULT 'x';", 10, false},
	    {"ALTER TABLE orders ADD COLUMN kind text NOT NULL DEFAULT 'retail';", 11, false},
	    {"ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();", 11, true},
	};
	for (size_t i = 0; i < N(rows); i++) {
		struct arena a = ARENA_INIT;
		struct lint_result res;
		lint_for_version(&a, rows[i].sql, rows[i].pg_version, &res);
		size_t got = count_rule(&res, "add-column-volatile-default");
		if (rows[i].fires != (got > 0))
			fail_msg("row %zu (PostgreSQL %d): add-column-volatile-default should %s "
				 "on:\n%s",
				 i, rows[i].pg_version, rows[i].fires ? "fire" : "stay quiet",
				 rows[i].sql);
		arena_release(&a);
	}
}

static void test_finding_points_at_the_table(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct lint_result res;
	/* line 3 of the file; the table name starts at byte 35 of the line */
	lint_texts(&a, SCHEMA,
		   "-- migrate:expand\n"
		   "ALTER TABLE orders ADD COLUMN note text;\n"
		   "CREATE INDEX orders_status_idx ON orders (status);\n",
		   false, &res);
	const struct lint_finding *f = find_rule(&res, "create-index-concurrently");
	assert_non_null(f);
	assert_int_equal(f->line, 3);
	assert_int_equal(f->column, 35);
	/* the planner builds it CONCURRENTLY: planned work, not an error (error with --raw) */
	assert_int_equal(f->severity, LINT_PLANNED);
	assert_non_null(strstr(f->message, "orders_status_idx"));
	assert_non_null(strstr(f->message, "'orders'"));
	arena_release(&a);
}

static void test_finding_points_at_the_function(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct lint_result res;
	lint_texts(&a, SCHEMA,
		   "ALTER TABLE orders\n"
		   "  ADD COLUMN token uuid DEFAULT gen_random_uuid();\n",
		   false, &res);
	const struct lint_finding *f = find_rule(&res, "add-column-volatile-default");
	assert_non_null(f);
	assert_int_equal(f->line, 2);
	assert_int_equal(f->column, 33);
	assert_non_null(strstr(f->message, "gen_random_uuid()"));
	assert_non_null(strstr(f->message, "'orders'"));
	arena_release(&a);
}

static void test_unknown_function_says_so(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct lint_result res;
	lint_texts(&a, SCHEMA, "ALTER TABLE orders ADD COLUMN code text DEFAULT new_code();", false,
		   &res);
	const struct lint_finding *f = find_rule(&res, "add-column-volatile-default");
	assert_non_null(f);
	assert_non_null(strstr(f->message, "new_code()"));
	assert_non_null(strstr(f->message, "treated as volatile"));
	arena_release(&a);
}

static void test_one_finding_per_object(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct lint_result res;
	lint_texts(&a, SCHEMA,
		   "-- migrate:expand\n" NEW_TABLE "VACUUM FULL orders, payments, users;\n"
		   "-- migrate:contract\nDROP INDEX orders_user_idx, legacy_idx;\n",
		   false, &res);
	assert_int_equal(count_rule(&res, "vacuum-full"), 2);
	assert_int_equal(count_rule(&res, "drop-index-concurrently"), 2);
	arena_release(&a);
}

static void test_explicit_transaction_off_in_raw_mode(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct lint_result res;
	const char *sql = "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;\n";
	lint_texts(&a, SCHEMA, sql, false, &res);
	const struct lint_finding *f = find_rule(&res, "explicit-transaction");
	assert_non_null(f);
	assert_int_equal(f->severity, LINT_WARNING);
	assert_int_equal(count_rule(&res, "explicit-transaction"), 2);
	lint_texts(&a, SCHEMA, sql, true, &res);
	assert_int_equal(count_rule(&res, "explicit-transaction"), 0);
	/* a CONCURRENTLY inside the file's own BEGIN fails with any runner */
	lint_texts(&a, SCHEMA,
		   "BEGIN;\nCREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\n"
		   "COMMIT;\n",
		   true, &res);
	f = find_rule(&res, "concurrently-in-transaction");
	assert_non_null(f);
	assert_non_null(strstr(f->message, "line 1"));
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_index_rules),
	    cmocka_unit_test(test_constraint_rules),
	    cmocka_unit_test(test_rewrite_rules),
	    cmocka_unit_test(test_transaction_rules),
	    cmocka_unit_test(test_volatile_default_before_pg11),
	    cmocka_unit_test(test_finding_points_at_the_table),
	    cmocka_unit_test(test_finding_points_at_the_function),
	    cmocka_unit_test(test_unknown_function_says_so),
	    cmocka_unit_test(test_one_finding_per_object),
	    cmocka_unit_test(test_explicit_transaction_off_in_raw_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
