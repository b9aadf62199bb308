/*
 * The lint engine: allow comments, phases, the catalogue across migrations,
 * --raw, severities, counts, order, syntax errors and parallel parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lint_helper.h"

#define N(rows) (sizeof(rows) / sizeof((rows)[0]))

struct file {
	const char *path;
	const char *text;
};

static void set_build(struct arena *a, const struct file *files, size_t n,
		      struct migration_set *set)
{
	memset(set, 0, sizeof(*set));
	for (size_t i = 0; i < n; i++) {
		struct mg_error err = MG_ERROR_INIT;
		struct migration *m;
		const char *t = files[i].text;
		if (migration_parse_text(a, files[i].path, arena_strdup(a, t), strlen(t), &m,
					 &err) < 0)
			fail_msg("%s: %s", files[i].path, err.message);
		migration_set_add(a, set, m);
	}
	migration_set_sort(set);
}

static void lint_files(struct arena *a, const struct file *files, size_t n,
		       const struct lint_options *opts, struct lint_result *ret)
{
	struct migration_set set;
	struct mg_error err = MG_ERROR_INIT;
	set_build(a, files, n, &set);
	if (lint_run(a, &set, opts, ret, &err) < 0)
		fail_msg("lint failed: %s:%d:%d: %s", err.file, err.line, err.column, err.message);
}

/* Options with only the listed rules on (at their default severity), so that
 * counts do not move when rules are added. */
static void options_only(struct arena *a, struct lint_options *opts, const char *const *ids)
{
	lint_options_init(opts, a);
	for (size_t i = 0; i < lint_rules_count; i++)
		opts->severity[i] = LINT_OFF;
	for (; *ids; ids++)
		if (lint_options_enable(opts, *ids) < 0)
			fail_msg("unknown rule '%s'", *ids);
}

static const struct lint_finding *nth_of_rule(const struct lint_result *res, const char *rule,
					      size_t nth)
{
	for (size_t i = 0; i < res->n_findings; i++)
		if (strcmp(res->findings[i].rule->id, rule) == 0 && nth-- == 0)
			return &res->findings[i];
	return NULL;
}

static const char *const users = "CREATE TABLE users (id bigint PRIMARY KEY, email text, "
				 "name text, legacy text);";

/* ---- allow comments ---- */

static void test_allow_next_statement_only(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	(void)state;
	lint_texts(&a, users,
		   "-- migrate:allow drop-column -- moved to profiles in 41\n"
		   "ALTER TABLE users DROP COLUMN legacy;\n"
		   "ALTER TABLE users DROP COLUMN name;\n",
		   false, &res);
	assert_int_equal(count_rule(&res, "drop-column"), 1);
	const struct lint_finding *f = nth_of_rule(&res, "drop-column", 0);
	assert_int_equal(f->line, 3);
	assert_non_null(strstr(f->message, "name"));
	assert_null(strstr(f->message, "legacy"));
	assert_int_equal(count_rule(&res, "unused-allow"), 0);

	/* an allow of another rule suppresses nothing here */
	lint_texts(&a, users,
		   "-- migrate:allow drop-table\n"
		   "ALTER TABLE users DROP COLUMN legacy;\n",
		   false, &res);
	assert_int_equal(count_rule(&res, "drop-column"), 1);
	assert_int_equal(count_rule(&res, "unused-allow"), 1);
	arena_release(&a);
}

static void test_allow_file(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	(void)state;
	lint_texts(&a, users,
		   "-- migrate:allow-file drop-column, truncate -- data moved to profiles\n"
		   "ALTER TABLE users DROP COLUMN legacy;\n"
		   "ALTER TABLE users DROP COLUMN name;\n"
		   "TRUNCATE users;\n",
		   false, &res);
	assert_int_equal(count_rule(&res, "drop-column"), 0);
	assert_int_equal(count_rule(&res, "truncate"), 0);
	assert_int_equal(count_rule(&res, "unused-allow"), 0);
	arena_release(&a);
}

static void test_allow_unknown_rule(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	(void)state;
	lint_texts(&a, users,
		   "SELECT 1;\n"
		   "   -- migrate:allow drop-colum -- typo\n"
		   "ALTER TABLE users DROP COLUMN legacy;\n",
		   false, &res);
	assert_int_equal(count_rule(&res, "unknown-allow"), 1);
	const struct lint_finding *f = nth_of_rule(&res, "unknown-allow", 0);
	assert_int_equal(f->severity, LINT_ERROR);
	assert_string_equal(f->file, "2_change.sql");
	assert_int_equal(f->line, 2);
	assert_int_equal(f->column, 4);
	assert_non_null(strstr(f->message, "drop-colum"));
	/* the misspelt allow does not suppress the real rule */
	assert_int_equal(count_rule(&res, "drop-column"), 1);
	arena_release(&a);
}

static void test_allow_unused(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	(void)state;
	lint_texts(&a, users,
		   "-- migrate:allow drop-column -- no longer needed\n"
		   "ALTER TABLE users ADD COLUMN nick text;\n",
		   false, &res);
	assert_int_equal(count_rule(&res, "unused-allow"), 1);
	const struct lint_finding *f = nth_of_rule(&res, "unused-allow", 0);
	assert_int_equal(f->severity, LINT_WARNING);
	assert_int_equal(f->line, 1);
	assert_int_equal(f->column, 1);
	assert_int_equal(res.n_warnings, 1);

	/* an allow above a statement it does not reach (another one between) is unused too */
	lint_texts(&a, users,
		   "-- migrate:allow drop-column\n"
		   "ALTER TABLE users ADD COLUMN nick text;\n"
		   "ALTER TABLE users DROP COLUMN legacy;\n",
		   false, &res);
	assert_int_equal(count_rule(&res, "drop-column"), 1);
	assert_int_equal(count_rule(&res, "unused-allow"), 1);
	arena_release(&a);
}

/* Whether an allow was used is decided afresh by each run over a set. */
static void test_allow_used_per_run(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	struct lint_options opts;
	(void)state;
	options_only(&a, &opts,
		     (const char *const[]){"add-column-volatile-default", "unused-allow", NULL});
	const struct file files[] = {
	    {"1_users.sql", users},
	    {"2_change.sql", "-- migrate:allow add-column-volatile-default -- small table\n"
			     "ALTER TABLE users ADD COLUMN score int DEFAULT 0;\n"},
	};
	struct migration_set set;
	struct mg_error err = MG_ERROR_INIT;
	set_build(&a, files, N(files), &set);
	/* before PostgreSQL 11 any default rewrites the table: the allow is needed */
	opts.pg_version = 10;
	assert_int_equal(lint_run(&a, &set, &opts, &res, &err), 0);
	assert_int_equal(res.n_findings, 0);
	opts.pg_version = 15;
	assert_int_equal(lint_run(&a, &set, &opts, &res, &err), 0);
	assert_int_equal(count_rule(&res, "unused-allow"), 1);
	arena_release(&a);
}

/* ---- phases ---- */

static const struct rule_case phase_cases[] = {
    {users,
     "-- migrate:expand\nSELECT 1;\n-- migrate:contract\nALTER TABLE users DROP COLUMN legacy;",
     "drop-column", false},
    {users,
     "-- migrate:expand\nALTER TABLE users DROP COLUMN legacy;\n-- migrate:contract\nSELECT 1;",
     "drop-column", true},
    {users, "ALTER TABLE users DROP COLUMN legacy;", "drop-column", true},
    {users,
     "-- migrate:expand\nSELECT 1;\n-- migrate:revert-expand\nALTER TABLE users DROP COLUMN "
     "legacy;",
     "drop-column", false},
    {users,
     "-- migrate:expand\nSELECT 1;\n-- migrate:contract\nCREATE INDEX users_email_idx ON users "
     "(email);",
     "create-index-concurrently", true},
    {users, "-- migrate:expand\nCREATE INDEX users_email_idx ON users (email);",
     "create-index-concurrently", true},
    {users,
     "-- migrate:expand\nSELECT 1;\n-- migrate:contract\n"
     "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
     "create-index-concurrently", false},
};

static void test_phases(void **state)
{
	(void)state;
	run_rule_cases(phase_cases, N(phase_cases));
}

/* ---- the catalogue across migrations ---- */

static void test_schema_across_migrations(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	struct lint_options opts;
	(void)state;
	options_only(&a, &opts, (const char *const[]){"drop-column", NULL});
	const struct file files[] = {
	    {"1_users.sql", "CREATE TABLE users (id bigint, legacy text, nick text);\n"
			    "ALTER TABLE users DROP COLUMN nick;\n"},
	    {"2_drop.sql", "ALTER TABLE users DROP COLUMN legacy;\n"},
	    {"3_new.sql", "-- migrate:expand\n"
			  "CREATE TABLE pets (id bigint, tag text);\n"
			  "-- migrate:contract\n"
			  "SELECT 1;\n"},
	    {"4_fix.sql", "-- migrate:expand\n"
			  "ALTER TABLE pets DROP COLUMN tag;\n"},
	};
	lint_files(&a, files, N(files), &opts, &res);
	/* new in 1: quiet; existing in 2 and 4: fires */
	assert_int_equal(res.n_findings, 2);
	assert_string_equal(res.findings[0].file, "2_drop.sql");
	assert_string_equal(res.findings[0].rule->id, "drop-column");
	assert_string_equal(res.findings[1].file, "4_fix.sql");
	assert_int_equal(res.findings[1].line, 2);
	arena_release(&a);
}

/* ---- --raw and severities ---- */

static void test_raw(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	(void)state;
	const char *sql = "BEGIN;\nALTER TABLE users ADD COLUMN nick text;\nCOMMIT;\n";
	lint_texts(&a, users, sql, false, &res);
	assert_true(count_rule(&res, "explicit-transaction") > 0);
	lint_texts(&a, users, sql, true, &res);
	assert_int_equal(count_rule(&res, "explicit-transaction"), 0);

	/* what the planner would make safe is an error for other runners */
	struct lint_options opts;
	options_only(&a, &opts, (const char *const[]){"drop-column", NULL});
	const struct lint_rule *r = lint_rule_find("drop-column");
	opts.severity[r - lint_rules] = LINT_PLANNED;
	const struct file files[] = {{"1_users.sql", users},
				     {"2_change.sql", "ALTER TABLE users DROP COLUMN legacy;"}};
	lint_files(&a, files, N(files), &opts, &res);
	assert_int_equal(res.n_findings, 1);
	assert_int_equal(res.findings[0].severity, LINT_PLANNED);
	assert_int_equal(res.n_planned, 1);
	assert_int_equal(res.n_errors, 0);
	opts.raw = true;
	lint_files(&a, files, N(files), &opts, &res);
	assert_int_equal(res.n_findings, 1);
	assert_int_equal(res.findings[0].severity, LINT_ERROR);
	assert_int_equal(res.n_errors, 1);
	assert_int_equal(res.n_planned, 0);
	arena_release(&a);
}

static void test_severity_overrides(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	struct lint_options opts;
	(void)state;
	const struct file files[] = {
	    {"1_users.sql", users},
	    {"2_change.sql", "ALTER TABLE users DROP COLUMN legacy;\n"
			     "CREATE TABLE events (payload json);\n"},
	};
	const struct lint_rule *drop = lint_rule_find("drop-column");

	options_only(&a, &opts, (const char *const[]){"drop-column", NULL});
	opts.severity[drop - lint_rules] = LINT_WARNING;
	lint_files(&a, files, N(files), &opts, &res);
	assert_int_equal(res.n_findings, 1);
	assert_int_equal(res.findings[0].severity, LINT_WARNING);
	assert_int_equal(res.n_warnings, 1);
	assert_int_equal(res.n_errors, 0);

	assert_int_equal(lint_options_disable(&opts, "drop-column"), 0);
	lint_files(&a, files, N(files), &opts, &res);
	assert_int_equal(res.n_findings, 0);

	/* style rules come on at their own severity */
	assert_int_equal(lint_options_enable(&opts, "prefer-jsonb"), 0);
	lint_files(&a, files, N(files), &opts, &res);
	assert_int_equal(res.n_findings, 1);
	assert_string_equal(res.findings[0].rule->id, "prefer-jsonb");
	assert_int_equal(res.findings[0].severity, LINT_WARNING);

	opts.severity[lint_rule_find("prefer-jsonb") - lint_rules] = LINT_ERROR;
	lint_files(&a, files, N(files), &opts, &res);
	assert_int_equal(res.findings[0].severity, LINT_ERROR);

	assert_int_equal(lint_options_enable(&opts, "no-such-rule"), -1);
	assert_int_equal(lint_options_disable(&opts, "no-such-rule"), -1);

	/* a disabled rule's allow is not reported as unused */
	const struct file allowed[] = {
	    {"1_users.sql", users},
	    {"2_change.sql",
	     "-- migrate:allow drop-column\nALTER TABLE users DROP COLUMN legacy;\n"},
	};
	lint_options_init(&opts, &a);
	lint_options_disable(&opts, "drop-column");
	lint_files(&a, allowed, N(allowed), &opts, &res);
	assert_int_equal(count_rule(&res, "drop-column"), 0);
	assert_int_equal(count_rule(&res, "unused-allow"), 0);
	arena_release(&a);
}

/* ---- files, counts and order ---- */

static void test_counts_and_json_files(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	struct lint_options opts;
	(void)state;
	options_only(&a, &opts, (const char *const[]){"drop-column", "drop-not-null", NULL});
	const struct file files[] = {
	    {"1_users.sql", "-- migrate:expand\n"
			    "CREATE TABLE users (id bigint, legacy text, email text NOT NULL);\n"
			    "CREATE TABLE pets (id bigint);\n"
			    "-- migrate:revert-expand\n"
			    "DROP TABLE pets;\n"
			    "DROP TABLE users;\n"},
	    {"2_mongo.json", "{\"expand\": [{\"createIndexes\": \"users\", \"indexes\": []}]}"},
	    {"3_change.sql", "ALTER TABLE users DROP COLUMN legacy;\n"
			     "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;\n"
			     "SELECT 1;\n"},
	};
	lint_files(&a, files, N(files), &opts, &res);
	assert_int_equal(res.n_files, 3);
	assert_int_equal(res.n_statements, 8); /* the MongoDB command counts as one */
	assert_int_equal(res.n_errors, 1);
	assert_int_equal(res.n_warnings, 1);
	assert_int_equal(res.n_planned, 0);
	assert_int_equal(res.n_findings, 2);
	for (size_t i = 0; i < res.n_findings; i++)
		assert_string_equal(res.findings[i].file, "3_change.sql");
	assert_string_equal(res.findings[0].rule->id, "drop-column");
	assert_string_equal(res.findings[1].rule->id, "drop-not-null");
	arena_release(&a);
}

static void test_findings_in_file_order(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	struct lint_options opts;
	(void)state;
	options_only(&a, &opts,
		     (const char *const[]){"drop-column", "drop-table", "create-index-concurrently",
					   "truncate", NULL});
	/* given out of order: versions decide, 10 after 9 */
	const struct file files[] = {
	    {"10_late.sql", "TRUNCATE accounts;\n"},
	    {"1_users.sql", users},
	    {"9_mid.sql", "-- migrate:expand\n"
			  "ALTER TABLE users DROP COLUMN name;\n"
			  "DROP TABLE users;\n"
			  "-- migrate:contract\n"
			  "CREATE INDEX accounts_owner_idx ON accounts (owner);\n"},
	    {"2_early.sql", "\n\nALTER TABLE users DROP COLUMN legacy;\n"},
	};
	lint_files(&a, files, N(files), &opts, &res);
	static const struct {
		const char *file;
		int line;
		const char *rule;
	} want[] = {
	    {"2_early.sql", 3, "drop-column"}, {"9_mid.sql", 2, "drop-column"},
	    {"9_mid.sql", 3, "drop-table"},    {"9_mid.sql", 5, "create-index-concurrently"},
	    {"10_late.sql", 1, "truncate"},
	};
	assert_int_equal(res.n_findings, N(want));
	for (size_t i = 0; i < N(want); i++) {
		assert_string_equal(res.findings[i].file, want[i].file);
		assert_int_equal(res.findings[i].line, want[i].line);
		assert_string_equal(res.findings[i].rule->id, want[i].rule);
	}
	arena_release(&a);
}

/* ---- failures ---- */

static void test_syntax_error_in_second_file(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_result res;
	struct lint_options opts;
	struct migration_set set;
	struct mg_error err = MG_ERROR_INIT;
	(void)state;
	lint_options_init(&opts, &a);
	const struct file files[] = {
	    {"1_users.sql", "CREATE TABLE users (id bigint, legacy text);\n"
			    "ALTER TABLE users DROP COLUMN legacy;\n"},
	    {"2_broken.sql", "-- migrate:expand\n"
			     "SELECT 1;\n"
			     "ALTER TABLE users ADD COLUMN;\n"},
	    {"3_fine.sql", "SELECT 1;\n"},
	};
	set_build(&a, files, N(files), &set);
	for (int jobs = 1; jobs <= 4; jobs += 3) {
		opts.jobs = jobs;
		mg_error_clear(&err);
		assert_int_equal(lint_run(&a, &set, &opts, &res, &err), -1);
		assert_int_equal(err.code, 2);
		assert_string_equal(err.file, "2_broken.sql");
		assert_int_equal(err.line, 3);
		assert_int_equal(err.column, 29);
		assert_non_null(strstr(err.message, "syntax error"));
	}
	arena_release(&a);
}

/* ---- parallel parsing ---- */

static void generated_set(struct arena *a, size_t n, struct migration_set *set)
{
	memset(set, 0, sizeof(*set));
	for (size_t i = 0; i < n; i++) {
		const char *text = arena_printf(
		    a,
		    "-- migrate:expand\n"
		    "CREATE TABLE t%zu (id bigint, a text, b text, c int);\n"
		    "%s"
		    "ALTER TABLE t%zu ADD COLUMN d text;\n"
		    "CREATE INDEX t%zu_a ON t%zu (a);\n"
		    "-- migrate:allow drop-table%s\n"
		    "%s\n"
		    "-- migrate:contract\n"
		    "ALTER TABLE t%zu DROP COLUMN b;\n",
		    i, i ? arena_printf(a, "ALTER TABLE t%zu DROP COLUMN a;\n", i - 1) : "", i, i,
		    i, i % 3 ? "" : ", no-such-rule",
		    i % 2 ? arena_printf(a, "ALTER TABLE t%zu RENAME COLUMN c TO e;", i / 2)
			  : "SELECT 1;",
		    i);
		struct mg_error err = MG_ERROR_INIT;
		struct migration *m;
		if (migration_parse_text(a, arena_printf(a, "%zu_gen.sql", i + 1), text,
					 strlen(text), &m, &err) < 0)
			fail_msg("generated %zu: %s", i, err.message);
		migration_set_add(a, set, m);
	}
	migration_set_sort(set);
}

static void test_parallel_equals_serial(void **state)
{
	struct arena a = ARENA_INIT;
	struct migration_set set;
	struct lint_options opts;
	struct lint_result serial, parallel;
	struct mg_error err = MG_ERROR_INIT;
	(void)state;
	generated_set(&a, 50, &set);
	lint_options_init(&opts, &a);
	opts.jobs = 1;
	assert_int_equal(lint_run(&a, &set, &opts, &serial, &err), 0);
	assert_int_equal(serial.n_files, 50);
	assert_true(serial.n_findings > 100);

	static const int jobs[] = {0, 2, 8, 64};
	for (size_t j = 0; j < N(jobs); j++) {
		opts.jobs = jobs[j];
		assert_int_equal(lint_run(&a, &set, &opts, &parallel, &err), 0);
		assert_int_equal(parallel.n_files, serial.n_files);
		assert_int_equal(parallel.n_statements, serial.n_statements);
		assert_int_equal(parallel.n_errors, serial.n_errors);
		assert_int_equal(parallel.n_warnings, serial.n_warnings);
		assert_int_equal(parallel.n_findings, serial.n_findings);
		for (size_t i = 0; i < serial.n_findings; i++) {
			const struct lint_finding *s = &serial.findings[i];
			const struct lint_finding *p = &parallel.findings[i];
			assert_string_equal(p->file, s->file);
			assert_int_equal(p->line, s->line);
			assert_int_equal(p->column, s->column);
			assert_ptr_equal(p->rule, s->rule);
			assert_int_equal(p->severity, s->severity);
			assert_string_equal(p->message, s->message);
		}
	}
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allow_next_statement_only),
	    cmocka_unit_test(test_allow_file),
	    cmocka_unit_test(test_allow_unknown_rule),
	    cmocka_unit_test(test_allow_unused),
	    cmocka_unit_test(test_allow_used_per_run),
	    cmocka_unit_test(test_phases),
	    cmocka_unit_test(test_schema_across_migrations),
	    cmocka_unit_test(test_raw),
	    cmocka_unit_test(test_severity_overrides),
	    cmocka_unit_test(test_counts_and_json_files),
	    cmocka_unit_test(test_findings_in_file_order),
	    cmocka_unit_test(test_syntax_error_in_second_file),
	    cmocka_unit_test(test_parallel_equals_serial),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
