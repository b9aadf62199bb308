/* The release table (src/lint/pg_release.h) and the rules it steers, by target release. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lint/pg_release.h"
#include "lint_helper.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_release_table(void **state)
{
	(void)state;
	static const struct {
		int major;
		enum pg_feature feature;
		bool has;
	} rows[] = {
	    {10, PG_FEATURE_FAST_DEFAULT, false},
	    {11, PG_FEATURE_FAST_DEFAULT, true},
	    {11, PG_FEATURE_NOT_NULL_FROM_CHECK, false},
	    {12, PG_FEATURE_NOT_NULL_FROM_CHECK, true},
	    {11, PG_FEATURE_REINDEX_CONCURRENTLY, false},
	    {12, PG_FEATURE_REINDEX_CONCURRENTLY, true},
	    {13, PG_FEATURE_DETACH_CONCURRENTLY, false},
	    {14, PG_FEATURE_DETACH_CONCURRENTLY, true},
	    {14, PG_FEATURE_NULLS_NOT_DISTINCT, false},
	    {15, PG_FEATURE_NULLS_NOT_DISTINCT, true},
	    {17, PG_FEATURE_NOT_NULL_CONSTRAINTS, false},
	    {18, PG_FEATURE_NOT_NULL_CONSTRAINTS, true},
	    /* unknown: assumed to have everything */
	    {0, PG_FEATURE_NOT_NULL_CONSTRAINTS, true},
	};
	for (size_t i = 0; i < N(rows); i++)
		if (pg_release_has(rows[i].major, rows[i].feature) != rows[i].has)
			fail_msg("row %zu: PostgreSQL %d should %shave %s", i, rows[i].major,
				 rows[i].has ? "" : "not ",
				 pg_release_feature_name(rows[i].feature));
	for (int f = 0; f < PG_FEATURE__COUNT; f++)
		assert_true(pg_release_since((enum pg_feature)f) >= 9);
	assert_int_equal(pg_release_major(150004), 15);
	assert_int_equal(pg_release_major(180001), 18);
	assert_int_equal(pg_release_major(100023), 10);
	assert_int_equal(pg_release_major(90624), 9);
	assert_int_equal(pg_release_major(0), 0);
}

static struct migration *must_parse(struct arena *a, const char *path, const char *text)
{
	struct mg_error err = MG_ERROR_INIT;
	struct migration *m = NULL;
	if (migration_parse_text(a, path, arena_strdup(a, text), strlen(text), &m, &err) < 0)
		fail_msg("%s: %s (line %d)", path, err.message, err.line);
	return m;
}

#define SCHEMA                                                                                     \
	"CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n"                            \
	"CREATE INDEX orders_total_idx ON orders (total);\n"

/* Each row: the rule fires (with `severity`) or stays quiet for PostgreSQL `major`. */
static void test_rules_by_release(void **state)
{
	(void)state;
	static const struct {
		const char *sql;
		const char *rule;
		int major;
		const char *severity; /* NULL: stays quiet */
	} rows[] = {
	    {"ALTER TABLE orders ADD COLUMN kind text DEFAULT 'x';", "add-column-volatile-default",
	     10, "error"},
	    {"ALTER TABLE orders ADD COLUMN kind text DEFAULT 'x';", "add-column-volatile-default",
	     11, NULL},
	    {"ALTER TABLE orders ADD COLUMN kind text DEFAULT 'x';", "add-column-volatile-default",
	     15, NULL},
	    {"REINDEX INDEX CONCURRENTLY orders_total_idx;", "reindex-concurrently", 11, "error"},
	    {"REINDEX TABLE CONCURRENTLY orders;", "reindex-concurrently", 11, "error"},
	    {"REINDEX INDEX CONCURRENTLY orders_total_idx;", "reindex-concurrently", 12, NULL},
	    {"REINDEX INDEX orders_total_idx;", "reindex-concurrently", 18, "error"},
	    {"ALTER TABLE orders ALTER COLUMN total SET NOT NULL;", "set-not-null", 11, "error"},
	    {"ALTER TABLE orders ALTER COLUMN total SET NOT NULL;", "set-not-null", 12, "planned"},
	    {"ALTER TABLE orders ALTER COLUMN total SET NOT NULL;", "set-not-null", 18, "planned"},
	};
	for (size_t i = 0; i < N(rows); i++) {
		struct arena a = ARENA_INIT;
		struct lint_options opts;
		lint_options_init(&opts, &a);
		opts.pg_version = rows[i].major;
		struct migration_set set = {0};
		migration_set_add(&a, &set, must_parse(&a, "1_setup.sql", SCHEMA));
		migration_set_add(&a, &set, must_parse(&a, "2_change.sql", rows[i].sql));
		struct lint_result res;
		struct mg_error err = MG_ERROR_INIT;
		if (lint_run(&a, &set, &opts, &res, &err) < 0)
			fail_msg("row %zu: lint failed: %s", i, err.message);
		const char *got = NULL;
		for (size_t k = 0; k < res.n_findings; k++)
			if (strcmp(res.findings[k].rule->id, rows[i].rule) == 0)
				got = lint_severity_name(res.findings[k].severity);
		if ((got == NULL) != (rows[i].severity == NULL) ||
		    (got && strcmp(got, rows[i].severity) != 0))
			fail_msg("row %zu (PostgreSQL %d): %s should be %s, is %s:\n%s", i,
				 rows[i].major, rows[i].rule,
				 rows[i].severity ? rows[i].severity : "quiet", got ? got : "quiet",
				 rows[i].sql);
		arena_release(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_release_table),
	    cmocka_unit_test(test_rules_by_release),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
