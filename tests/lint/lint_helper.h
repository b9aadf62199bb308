#ifndef MG_TEST_LINT_HELPER_H
#define MG_TEST_LINT_HELPER_H

#include <stdbool.h>

#include "lint/lint.h"

/*
 * A table row for rule tests: `setup` is an earlier migration (the schema the
 * app already runs on; NULL for none), `sql` the migration under test (with
 * `-- migrate:` markers, or all expand), `rule` the rule id, and `fires`
 * whether that rule must report on `sql`.
 */
struct rule_case {
	const char *setup;
	const char *sql;
	const char *rule;
	bool fires;
};

/* Lints setup (as 1_setup.sql) and sql (as 2_change.sql); the result lives in a. */
void lint_texts(struct arena *a, const char *setup, const char *sql, bool raw,
		struct lint_result *ret);

/* Findings of rule on 2_change.sql. */
size_t count_rule(const struct lint_result *res, const char *rule);

/*
 * Runs every row; for a row that fires, also checks that the finding points at
 * a real line of the migration. Enables style rules. Fails the cmocka test
 * with the row's SQL on a mismatch.
 */
void run_rule_cases(const struct rule_case *cases, size_t n);
/* The same against a target of PostgreSQL major version pg_version. */
void run_rule_cases_at(const struct rule_case *cases, size_t n, int pg_version);

#endif
