/*
 * The MongoDB rules, table-driven like the SQL ones: {setup, migration, rule,
 * fires}. setup is an earlier migration of the set (1_setup.json), the
 * migration under test is 2_change.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lint/lint.h"
#include "report/report.h"

#define N(rows) (sizeof(rows) / sizeof((rows)[0]))

struct rule_case {
	const char *setup;
	const char *json;
	const char *rule;
	bool fires;
};

static struct migration *must_load(struct arena *a, const char *path, const char *text)
{
	struct mg_error err = MG_ERROR_INIT;
	struct migration *m = NULL;
	if (migration_parse_text(a, path, arena_strdup(a, text), strlen(text), &m, &err) < 0)
		fail_msg("%s: %s", path, err.message);
	return m;
}

static void lint_jsons(struct arena *a, const char *setup, const char *json,
		       const struct lint_options *opts, struct lint_result *ret)
{
	struct migration_set set = {0};
	struct mg_error err = MG_ERROR_INIT;
	if (setup)
		migration_set_add(a, &set, must_load(a, "1_setup.json", setup));
	migration_set_add(a, &set, must_load(a, "2_change.json", json));
	if (lint_run(a, &set, opts, ret, &err) < 0)
		fail_msg("lint failed: %s:%d: %s\n%s", err.file, err.line, err.message, json);
}

static size_t count_rule(const struct lint_result *res, const char *rule)
{
	size_t n = 0;
	for (size_t i = 0; i < res->n_findings; i++)
		if (strcmp(res->findings[i].rule->id, rule) == 0 &&
		    strcmp(res->findings[i].file, "2_change.json") == 0)
			n++;
	return n;
}

static void run_cases(const struct rule_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct rule_case *c = &cases[i];
		struct arena a = ARENA_INIT;
		struct lint_options opts;
		struct lint_result res;
		lint_options_init(&opts, &a);
		if (!lint_rule_find(c->rule))
			fail_msg("row %zu: unknown rule '%s'", i, c->rule);
		lint_jsons(&a, c->setup, c->json, &opts, &res);
		size_t got = count_rule(&res, c->rule);
		if (c->fires && got == 0)
			fail_msg("row %zu: rule '%s' should fire on:\n%s", i, c->rule, c->json);
		if (!c->fires && got != 0)
			fail_msg("row %zu: rule '%s' should stay quiet on:\n%s", i, c->rule,
				 c->json);
		for (size_t k = 0; k < res.n_findings; k++) {
			const struct lint_finding *f = &res.findings[k];
			if (f->line < 1 || f->column < 1 || !f->message || !strchr(f->message, '['))
				fail_msg("row %zu: finding '%s' without a place: %s", i,
					 f->rule->id, f->message);
		}
		arena_release(&a);
	}
}

/* The app's collections, made by an earlier migration. */
#define SETUP                                                                                      \
	"{\"expand\": [{\"create\": \"users\"}, {\"createIndexes\": \"users\", \"indexes\": "      \
	"[{\"key\": {\"email\": 1}, \"name\": \"email_1\"}, {\"key\": {\"phone\": 1}}]}]}"

static void test_drops_and_renames(void **state)
{
	static const struct rule_case rows[] = {
	    {NULL, "{\"expand\": [{\"drop\": \"users\"}]}", "mongo-drop-collection", true},
	    {SETUP, "{\"expand\": [{\"drop\": \"users\"}]}", "mongo-drop-collection", true},
	    {NULL, "{\"expand\": [{\"create\": \"tmp\"}, {\"drop\": \"tmp\"}]}",
	     "mongo-drop-collection", false},
	    {SETUP, "{\"expand\": [], \"contract\": [{\"drop\": \"users\"}]}",
	     "mongo-drop-collection", false},
	    {SETUP, "{\"expand\": [{\"listCollections\": 1}]}", "mongo-drop-collection", false},

	    {NULL, "{\"expand\": [{\"dropDatabase\": 1}]}", "mongo-drop-database", true},
	    {NULL, "{\"contract\": [{\"dropDatabase\": 1}], \"revert-contract\": []}",
	     "mongo-drop-database", false},

	    {SETUP, "{\"expand\": [{\"renameCollection\": \"users\", \"to\": \"people\"}]}",
	     "mongo-rename-collection", true},
	    {NULL,
	     "{\"expand\": [{\"create\": \"a\"}, {\"renameCollection\": \"a\", \"to\": "
	     "\"b\"}]}",
	     "mongo-rename-collection", false},
	    {SETUP, "{\"contract\": [{\"renameCollection\": \"users\", \"to\": \"people\"}]}",
	     "mongo-rename-collection", false},

	    {SETUP, "{\"expand\": [{\"dropIndexes\": \"users\", \"index\": \"email_1\"}]}",
	     "mongo-drop-index", true},
	    {NULL, "{\"expand\": [{\"deleteIndexes\": \"users\", \"index\": \"*\"}]}",
	     "mongo-drop-index", true},
	    {SETUP,
	     "{\"expand\": [{\"createIndexes\": \"users\", \"indexes\": [{\"key\": "
	     "{\"x\": 1}, \"name\": \"x_1\"}]}, {\"dropIndexes\": \"users\", \"index\": "
	     "\"x_1\"}]}",
	     "mongo-drop-index", false},
	    {SETUP, "{\"contract\": [{\"dropIndexes\": \"users\", \"index\": \"email_1\"}]}",
	     "mongo-drop-index", false},
	};
	(void)state;
	run_cases(rows, N(rows));
}

static void test_field_updates(void **state)
{
	static const struct rule_case rows[] = {
	    {SETUP,
	     "{\"expand\": [{\"update\": \"users\", \"updates\": [{\"q\": {}, \"u\": "
	     "{\"$rename\": {\"nick\": \"handle\"}}, \"multi\": true}]}]}",
	     "mongo-rename-field", true},
	    {SETUP,
	     "{\"expand\": [{\"findAndModify\": \"users\", \"query\": {}, \"update\": "
	     "{\"$rename\": {\"nick\": \"handle\"}}}]}",
	     "mongo-rename-field", true},
	    {SETUP,
	     "{\"expand\": [{\"update\": \"users\", \"updates\": [{\"q\": {}, \"u\": "
	     "{\"$set\": {\"handle\": \"x\"}}}]}], \"revert-expand\": []}",
	     "mongo-rename-field", false},
	    {SETUP,
	     "{\"contract\": [{\"update\": \"users\", \"updates\": [{\"q\": {}, \"u\": "
	     "{\"$rename\": {\"nick\": \"handle\"}}, \"multi\": true}]}]}",
	     "mongo-rename-field", false},

	    {SETUP,
	     "{\"expand\": [{\"update\": \"users\", \"updates\": [{\"q\": {}, \"u\": "
	     "{\"$unset\": {\"nick\": \"\"}}, \"multi\": true}]}]}",
	     "mongo-unset-field", true},
	    {SETUP,
	     "{\"expand\": [{\"update\": \"users\", \"updates\": [{\"q\": {}, \"u\": "
	     "[{\"$unset\": \"nick\"}], \"multi\": true}]}]}",
	     "mongo-unset-field", true},
	    {SETUP,
	     "{\"expand\": [{\"update\": \"users\", \"updates\": [{\"q\": {}, \"u\": "
	     "{\"$set\": {\"nick\": null}}}]}], \"revert-expand\": []}",
	     "mongo-unset-field", false},
	    {NULL,
	     "{\"expand\": [{\"create\": \"t\"}, {\"update\": \"t\", \"updates\": [{\"q\": "
	     "{}, \"u\": {\"$unset\": {\"a\": 1}}}]}]}",
	     "mongo-unset-field", false},
	    {SETUP,
	     "{\"expand\": [], \"contract\": [{\"update\": \"users\", \"updates\": "
	     "[{\"q\": {}, \"u\": {\"$unset\": {\"nick\": \"\"}}, \"multi\": true}]}], "
	     "\"revert-contract\": []}",
	     "mongo-unset-field", false},
	};
	(void)state;
	run_cases(rows, N(rows));
}

#define VALIDATOR "\"validator\": {\"$jsonSchema\": {\"required\": [\"email\"]}}"

static void test_validator(void **state)
{
	static const struct rule_case rows[] = {
	    {SETUP, "{\"expand\": [{\"collMod\": \"users\", " VALIDATOR "}]}",
	     "mongo-validator-strict", true},
	    {SETUP,
	     "{\"expand\": [{\"collMod\": \"users\", " VALIDATOR
	     ", \"validationAction\": \"error\", \"validationLevel\": \"strict\"}]}",
	     "mongo-validator-strict", true},
	    {NULL, "{\"expand\": [{\"collMod\": \"legacy\", \"validationAction\": \"error\"}]}",
	     "mongo-validator-strict", true},
	    {SETUP,
	     "{\"expand\": [{\"collMod\": \"users\", " VALIDATOR
	     ", \"validationAction\": \"warn\"}]}",
	     "mongo-validator-strict", false},
	    {SETUP,
	     "{\"expand\": [{\"collMod\": \"users\", " VALIDATOR
	     ", \"validationLevel\": \"moderate\"}]}",
	     "mongo-validator-strict", false},
	    {SETUP, "{\"expand\": [{\"collMod\": \"users\", \"validator\": {}}]}",
	     "mongo-validator-strict", false},
	    /* schema-aware: an earlier migration left the action at warn */
	    {"{\"expand\": [{\"collMod\": \"users\", \"validationAction\": \"warn\"}]}",
	     "{\"expand\": [{\"collMod\": \"users\", " VALIDATOR "}]}", "mongo-validator-strict",
	     false},
	    {"{\"expand\": [{\"collMod\": \"users\", \"validationAction\": \"warn\"}]}",
	     "{\"expand\": [{\"collMod\": \"users\", \"validationAction\": \"error\"}]}",
	     "mongo-validator-strict", true},
	    {NULL, "{\"expand\": [{\"create\": \"t\"}, {\"collMod\": \"t\", " VALIDATOR "}]}",
	     "mongo-validator-strict", false},
	    {SETUP, "{\"contract\": [{\"collMod\": \"users\", \"validationAction\": \"error\"}]}",
	     "mongo-validator-strict", false},
	};
	(void)state;
	run_cases(rows, N(rows));
}

static void test_unique_and_ttl(void **state)
{
	static const char prepared[] =
	    "{\"expand\": [{\"collMod\": \"users\", \"index\": {\"keyPattern\": {\"phone\": 1}, "
	    "\"prepareUnique\": true}}]}";
	static const struct rule_case rows[] = {
	    {SETUP,
	     "{\"expand\": [{\"createIndexes\": \"users\", \"indexes\": [{\"key\": "
	     "{\"ssn\": 1}, \"name\": \"ssn_1\", \"unique\": true}]}]}",
	     "mongo-unique-index", true},
	    {NULL,
	     "{\"expand\": [{\"createIndexes\": \"users\", \"indexes\": [{\"key\": "
	     "{\"ssn\": 1}, \"unique\": true}]}]}",
	     "mongo-unique-index", true},
	    {SETUP,
	     "{\"expand\": [{\"createIndexes\": \"users\", \"indexes\": [{\"key\": "
	     "{\"ssn\": 1}, \"name\": \"ssn_1\"}]}]}",
	     "mongo-unique-index", false},
	    {NULL,
	     "{\"expand\": [{\"create\": \"t\"}, {\"createIndexes\": \"t\", \"indexes\": "
	     "[{\"key\": {\"a\": 1}, \"unique\": true}]}]}",
	     "mongo-unique-index", false},
	    {SETUP,
	     "{\"expand\": [{\"collMod\": \"users\", \"index\": {\"name\": \"phone_1\", "
	     "\"unique\": true}}]}",
	     "mongo-unique-index", true},
	    /* the prepareUnique path, in an earlier migration or earlier in this one */
	    {prepared,
	     "{\"expand\": [{\"collMod\": \"users\", \"index\": {\"name\": "
	     "\"phone_1\", \"unique\": true}}]}",
	     "mongo-unique-index", false},
	    {prepared,
	     "{\"expand\": [{\"createIndexes\": \"users\", \"indexes\": [{\"key\": "
	     "{\"phone\": 1}, \"unique\": true}]}]}",
	     "mongo-unique-index", false},
	    {SETUP,
	     "{\"expand\": [{\"collMod\": \"users\", \"index\": {\"name\": \"phone_1\", "
	     "\"prepareUnique\": true}}, {\"collMod\": \"users\", \"index\": {\"name\": "
	     "\"phone_1\", \"unique\": true}}]}",
	     "mongo-unique-index", false},
	    {SETUP,
	     "{\"contract\": [{\"createIndexes\": \"users\", \"indexes\": [{\"key\": "
	     "{\"ssn\": 1}, \"unique\": true}]}]}",
	     "mongo-unique-index", false},

	    {SETUP,
	     "{\"expand\": [{\"createIndexes\": \"users\", \"indexes\": [{\"key\": "
	     "{\"seen\": 1}, \"expireAfterSeconds\": 3600}]}]}",
	     "mongo-ttl-index", true},
	    {SETUP,
	     "{\"expand\": [{\"collMod\": \"users\", \"index\": {\"name\": \"seen_1\", "
	     "\"expireAfterSeconds\": 60}}]}",
	     "mongo-ttl-index", true},
	    {SETUP,
	     "{\"contract\": [{\"collMod\": \"users\", \"index\": {\"name\": \"seen_1\", "
	     "\"expireAfterSeconds\": 60}}]}",
	     "mongo-ttl-index", true},
	    {NULL,
	     "{\"expand\": [{\"create\": \"s\"}, {\"createIndexes\": \"s\", \"indexes\": "
	     "[{\"key\": {\"at\": 1}, \"expireAfterSeconds\": 60}]}]}",
	     "mongo-ttl-index", false},
	    {SETUP,
	     "{\"expand\": [{\"createIndexes\": \"users\", \"indexes\": [{\"key\": "
	     "{\"seen\": 1}}]}]}",
	     "mongo-ttl-index", false},
	};
	(void)state;
	run_cases(rows, N(rows));
}

static void test_irreversible(void **state)
{
	static const struct rule_case rows[] = {
	    {SETUP, "{\"contract\": [{\"dropDatabase\": 1}]}", "mongo-irreversible", true},
	    {SETUP,
	     "{\"contract\": [{\"update\": \"users\", \"updates\": [{\"q\": {}, \"u\": "
	     "{\"$set\": {\"a\": 1}}}]}]}",
	     "mongo-irreversible", true},
	    {SETUP,
	     "{\"expand\": [{\"delete\": \"users\", \"deletes\": [{\"q\": {}, \"limit\": "
	     "0}]}]}",
	     "mongo-irreversible", true},
	    {SETUP, "{\"contract\": [{\"compact\": \"users\"}]}", "mongo-irreversible", true},
	    {SETUP,
	     "{\"contract\": [{\"renameCollection\": \"users\", \"to\": \"p\", "
	     "\"dropTarget\": true}]}",
	     "mongo-irreversible", true},
	    {SETUP, "{\"expand\": [{\"collMod\": \"users\", \"cappedSize\": 100}]}",
	     "mongo-irreversible", true},
	    {SETUP,
	     "{\"expand\": [{\"collMod\": \"users\", \"index\": {\"name\": \"email_1\", "
	     "\"weights\": 1}}]}",
	     "mongo-irreversible", true},
	    /* a hand-written revert section, even an empty one, answers for the phase */
	    {SETUP, "{\"contract\": [{\"dropDatabase\": 1}], \"revert-contract\": []}",
	     "mongo-irreversible", false},
	    {SETUP, "{\"contract\": [{\"compact\": \"users\"}], \"revert-expand\": []}",
	     "mongo-irreversible", true},
	    /* derived */
	    {SETUP, "{\"contract\": [{\"drop\": \"users\"}]}", "mongo-irreversible", false},
	    {SETUP, "{\"expand\": [{\"insert\": \"users\", \"documents\": [{\"a\": 1}]}]}",
	     "mongo-irreversible", false},
	    {SETUP,
	     "{\"contract\": [{\"update\": \"users\", \"updates\": [{\"q\": {}, \"u\": "
	     "{\"$rename\": {\"a\": \"b\"}}, \"multi\": true}]}]}",
	     "mongo-irreversible", false},
	    {SETUP,
	     "{\"expand\": [{\"collMod\": \"users\", " VALIDATOR
	     ", \"validationAction\": \"warn\"}, {\"collMod\": \"users\", \"index\": "
	     "{\"name\": \"email_1\", \"hidden\": true}}]}",
	     "mongo-irreversible", false},
	    /* data in a collection this migration made goes with it */
	    {NULL,
	     "{\"expand\": [{\"create\": \"t\"}, {\"update\": \"t\", \"updates\": [{\"q\": "
	     "{}, \"u\": {\"$set\": {\"a\": 1}}}]}]}",
	     "mongo-irreversible", false},
	    {SETUP, "{\"expand\": [{\"ping\": 1}]}", "mongo-irreversible", false},
	};
	(void)state;
	run_cases(rows, N(rows));
}

/* --raw: other runners keep no history, so reversibility is not judged. */
static void test_raw(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_options opts;
	struct lint_result res;
	(void)state;
	lint_options_init(&opts, &a);
	opts.raw = true;
	lint_jsons(&a, SETUP, "{\"contract\": [{\"compact\": \"users\"}]}", &opts, &res);
	assert_int_equal(count_rule(&res, "mongo-irreversible"), 0);
	lint_options_disable(&opts, "mongo-drop-collection");
	opts.raw = false;
	lint_jsons(&a, SETUP, "{\"expand\": [{\"drop\": \"users\"}]}", &opts, &res);
	assert_int_equal(count_rule(&res, "mongo-drop-collection"), 0);
	arena_release(&a);
}

static char *report_text(const struct lint_result *res, enum report_format format)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	report_write(out, format, res, false);
	fclose(out);
	return buf;
}

/* Every reporter names the file, the line and the command's place in its section. */
static void test_reporters(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_options opts;
	struct lint_result res;
	(void)state;
	lint_options_init(&opts, &a);
	lint_jsons(&a, SETUP,
		   "{\n"
		   "  \"expand\": [\n"
		   "    {\"create\": \"audit\"},\n"
		   "    {\"drop\": \"users\"}\n"
		   "  ]\n"
		   "}\n",
		   &opts, &res);
	assert_int_equal(res.n_files, 2);
	assert_int_equal(res.n_statements, 4);
	assert_int_equal(res.n_errors, 1);
	assert_int_equal(res.n_findings, 1);
	const struct lint_finding *f = &res.findings[0];
	assert_string_equal(f->rule->id, "mongo-drop-collection");
	assert_int_equal(f->line, 4);
	assert_int_equal(f->column, 5);
	assert_int_equal(f->section, SECTION_EXPAND);

	char *text = report_text(&res, REPORT_TEXT);
	assert_non_null(strstr(text, "2_change.json:4:5: error[mongo-drop-collection]: expand[1] "
				     "drop: dropping collection 'users'"));
	free(text);
	char *json = report_text(&res, REPORT_JSON);
	assert_non_null(strstr(json, "\"file\": \"2_change.json\", \"line\": 4, \"column\": 5"));
	assert_non_null(strstr(json, "expand[1] drop"));
	free(json);
	char *gh = report_text(&res, REPORT_GITHUB);
	assert_non_null(strstr(gh, "::error file=2_change.json,line=4,col=5,title="
				   "mongo-drop-collection::expand[1] drop"));
	free(gh);
	char *sarif = report_text(&res, REPORT_SARIF);
	assert_non_null(strstr(sarif, "\"startLine\": 4, \"startColumn\": 5"));
	assert_non_null(strstr(sarif, "expand[1] drop"));
	free(sarif);
	arena_release(&a);
}

/* A JSON file that does not parse fails lint as bad input, at its line. */
static void test_bad_json_fails_lint(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_options opts;
	struct lint_result res;
	struct migration_set set = {0};
	struct mg_error err = MG_ERROR_INIT;
	(void)state;
	lint_options_init(&opts, &a);
	migration_set_add(&a, &set, must_load(&a, "1_setup.json", SETUP));
	migration_set_add(&a, &set,
			  must_load(&a, "2_bad.json", "{\"expand\": [\n{\"drop\" \"a\"}]}"));
	assert_int_equal(lint_run(&a, &set, &opts, &res, &err), -1);
	assert_int_equal(err.code, 2);
	assert_string_equal(err.file, "2_bad.json");
	assert_int_equal(err.line, 2);
	assert_int_equal(res.n_findings, 0);
	arena_release(&a);
}

/* SQL and MongoDB migrations of one set lint side by side, each by its own rules. */
static void test_mixed_set(void **state)
{
	struct arena a = ARENA_INIT;
	struct lint_options opts;
	struct lint_result res;
	struct migration_set set = {0};
	struct mg_error err = MG_ERROR_INIT;
	(void)state;
	lint_options_init(&opts, &a);
	migration_set_add(&a, &set, must_load(&a, "1_t.sql", "CREATE TABLE users (id bigint);"));
	migration_set_add(&a, &set,
			  must_load(&a, "2_m.json", "{\"expand\": [{\"drop\": \"users\"}]}"));
	migration_set_add(&a, &set, must_load(&a, "3_t.sql", "DROP TABLE users;"));
	assert_int_equal(lint_run(&a, &set, &opts, &res, &err), 0);
	assert_int_equal(res.n_findings, 2);
	assert_string_equal(res.findings[0].rule->id, "mongo-drop-collection");
	assert_string_equal(res.findings[1].rule->id, "drop-table");
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drops_and_renames), cmocka_unit_test(test_field_updates),
	    cmocka_unit_test(test_validator),	      cmocka_unit_test(test_unique_and_ttl),
	    cmocka_unit_test(test_irreversible),      cmocka_unit_test(test_raw),
	    cmocka_unit_test(test_reporters),	      cmocka_unit_test(test_bad_json_fails_lint),
	    cmocka_unit_test(test_mixed_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
