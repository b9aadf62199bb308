#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lint_helper.h"

static struct migration *must_parse(struct arena *a, const char *path, const char *text)
{
	struct mg_error err = MG_ERROR_INIT;
	struct migration *m = NULL;
	if (migration_parse_text(a, path, arena_strdup(a, text), strlen(text), &m, &err) < 0)
		fail_msg("%s: %s (line %d)", path, err.message, err.line);
	return m;
}

static void lint_texts_opts(struct arena *a, const char *setup, const char *sql,
			    struct lint_options *opts, struct lint_result *ret)
{
	struct migration_set set = {0};
	if (setup)
		migration_set_add(a, &set, must_parse(a, "1_setup.sql", setup));
	migration_set_add(a, &set, must_parse(a, "2_change.sql", sql));
	struct mg_error err = MG_ERROR_INIT;
	if (lint_run(a, &set, opts, ret, &err) < 0)
		fail_msg("lint failed: %s at %d:%d\n%s", err.message, err.line, err.column, sql);
}

void lint_texts(struct arena *a, const char *setup, const char *sql, bool raw,
		struct lint_result *ret)
{
	struct lint_options opts;
	lint_options_init(&opts, a);
	opts.raw = raw;
	lint_texts_opts(a, setup, sql, &opts, ret);
}

size_t count_rule(const struct lint_result *res, const char *rule)
{
	size_t n = 0;
	for (size_t i = 0; i < res->n_findings; i++)
		if (strcmp(res->findings[i].rule->id, rule) == 0 &&
		    strcmp(res->findings[i].file, "2_change.sql") == 0)
			n++;
	return n;
}

void run_rule_cases(const struct rule_case *cases, size_t n)
{
	run_rule_cases_at(cases, n, 0);
}

void run_rule_cases_at(const struct rule_case *cases, size_t n, int pg_version)
{
	for (size_t i = 0; i < n; i++) {
		const struct rule_case *c = &cases[i];
		struct arena a = ARENA_INIT;
		struct lint_options opts;
		lint_options_init(&opts, &a);
		const struct lint_rule *rule = lint_rule_find(c->rule);
		if (!rule)
			fail_msg("row %zu: unknown rule '%s'", i, c->rule);
		opts.severity[rule - lint_rules] = rule->severity;
		if (pg_version)
			opts.pg_version = pg_version;
		struct lint_result res;
		lint_texts_opts(&a, c->setup, c->sql, &opts, &res);
		size_t got = count_rule(&res, c->rule);
		if (c->fires && got == 0)
			fail_msg("row %zu: rule '%s' should fire on:\n%s", i, c->rule, c->sql);
		if (!c->fires && got != 0)
			fail_msg("row %zu: rule '%s' should stay quiet on:\n%s", i, c->rule,
				 c->sql);
		for (size_t k = 0; k < res.n_findings; k++) {
			const struct lint_finding *f = &res.findings[k];
			if (f->line < 1 || f->column < 1 || !f->message || !*f->message)
				fail_msg("row %zu: finding '%s' without a location or message", i,
					 f->rule->id);
		}
		arena_release(&a);
	}
}
