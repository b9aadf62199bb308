/*
 * The reporters, over findings built by hand (no rules involved): text,
 * JSON (the shape DESIGN.md promises), GitHub workflow commands and SARIF.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>
#include <cmocka.h>

#include "report/report.h"

#define N(rows) (sizeof(rows) / sizeof((rows)[0]))

/* A message with everything JSON must escape. */
static const char tricky[] = "say \"hi\" to C:\\temp\n\tnext, line \x01 caf\xc3\xa9 100%";

static struct lint_finding finding(const char *file, int line, int column, const char *rule_id,
				   enum lint_severity sev, const char *message)
{
	const struct lint_rule *rule = lint_rule_find(rule_id);
	if (!rule)
		fail_msg("unknown rule '%s'", rule_id);
	struct lint_finding f = {
	    .file = file,
	    .line = line,
	    .column = column,
	    .rule = rule,
	    .severity = sev,
	    .message = message,
	    .help = rule->help,
	    .section = SECTION_EXPAND,
	};
	return f;
}

/* Two findings: an error and a warning, over two files and five statements. */
static struct lint_finding sample_findings[2];

static struct lint_result sample(void)
{
	sample_findings[0] = finding("migrations/2_users.sql", 3, 5, "drop-column", LINT_ERROR,
				     "dropping column 'users.email' breaks app versions");
	sample_findings[1] =
	    finding("migrations/3_orders.sql", 7, 1, "do-block", LINT_WARNING, tricky);
	struct lint_result res = {
	    .findings = sample_findings,
	    .n_findings = 2,
	    .alloc_findings = 2,
	    .n_files = 2,
	    .n_statements = 5,
	    .n_errors = 1,
	    .n_warnings = 1,
	};
	return res;
}

/* The report as a string (caller frees). */
static char *render(enum report_format format, const struct lint_result *res, bool color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	report_write(out, format, res, color);
	assert_int_equal(fclose(out), 0);
	return buf;
}

static bson_t *parse_json(const char *text)
{
	bson_error_t err;
	bson_t *doc = bson_new_from_json((const uint8_t *)text, -1, &err);
	if (!doc)
		fail_msg("not JSON (%s):\n%s", err.message, text);
	return doc;
}

static const char *doc_utf8(const bson_t *doc, const char *path)
{
	bson_iter_t it, found;
	if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &found) ||
	    !BSON_ITER_HOLDS_UTF8(&found))
		fail_msg("no string at '%s'", path);
	return bson_iter_utf8(&found, NULL);
}

static int64_t doc_int(const bson_t *doc, const char *path)
{
	bson_iter_t it, found;
	if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &found) ||
	    !BSON_ITER_HOLDS_NUMBER(&found))
		fail_msg("no number at '%s'", path);
	return bson_iter_as_int64(&found);
}

/* The keys of the document or array at path (the root for ""), in order, joined by ','. */
static char *doc_keys(const bson_t *doc, const char *path)
{
	bson_iter_t it, found, child;
	static char keys[512];
	keys[0] = '\0';
	if (!bson_iter_init(&it, doc))
		fail_msg("unreadable document");
	if (*path) {
		if (!bson_iter_find_descendant(&it, path, &found) ||
		    !bson_iter_recurse(&found, &child))
			fail_msg("no document at '%s'", path);
	} else {
		child = it;
	}
	while (bson_iter_next(&child)) {
		if (keys[0])
			strcat(keys, ",");
		strcat(keys, bson_iter_key(&child));
	}
	return keys;
}

static void test_format_names(void **state)
{
	(void)state;
	assert_int_equal(report_format_parse("text"), REPORT_TEXT);
	assert_int_equal(report_format_parse("json"), REPORT_JSON);
	assert_int_equal(report_format_parse("github"), REPORT_GITHUB);
	assert_int_equal(report_format_parse("sarif"), REPORT_SARIF);
	assert_int_equal(report_format_parse("xml"), -1);
}

static void test_text(void **state)
{
	(void)state;
	struct lint_result res = sample();
	res.findings[1].message = "DO block cannot be analysed: it is written in plpython3u";
	char *out = render(REPORT_TEXT, &res, false);
	char *want;
	assert_true(asprintf(&want,
			     "migrations/2_users.sql:3:5: error[drop-column]: dropping column "
			     "'users.email' breaks app versions\n"
			     "  help: %s\n"
			     "migrations/3_orders.sql:7:1: warning[do-block]: DO block cannot be "
			     "analysed: it is written in plpython3u\n"
			     "  help: %s\n",
			     lint_rule_find("drop-column")->help,
			     lint_rule_find("do-block")->help) > 0);
	assert_true(strncmp(out, want, strlen(want)) == 0);
	/* then one summary line */
	const char *summary = out + strlen(want);
	assert_non_null(strstr(summary, "2 files, 5 statements"));
	assert_non_null(strstr(summary, "1 error"));
	assert_non_null(strstr(summary, "1 warning"));
	assert_non_null(strchr(summary, '\n'));
	assert_string_equal(strchr(summary, '\n'), "\n");
	assert_null(strchr(out, '\033'));
	free(want);
	free(out);

	/* colour only decorates */
	out = render(REPORT_TEXT, &res, true);
	assert_non_null(strchr(out, '\033'));
	assert_non_null(strstr(out, "drop-column"));
	free(out);
}

static void test_json(void **state)
{
	(void)state;
	struct lint_result res = sample();
	char *out = render(REPORT_JSON, &res, false);
	bson_t *doc = parse_json(out);

	assert_string_equal(doc_keys(doc, ""), "findings,files,statements");
	assert_int_equal(doc_int(doc, "files"), 2);
	assert_int_equal(doc_int(doc, "statements"), 5);
	assert_string_equal(doc_keys(doc, "findings"), "0,1");
	for (size_t i = 0; i < 2; i++) {
		char path[64];
		snprintf(path, sizeof(path), "findings.%zu", i);
		assert_string_equal(doc_keys(doc, path),
				    "file,line,column,rule,severity,message,help");
	}
	assert_string_equal(doc_utf8(doc, "findings.0.file"), "migrations/2_users.sql");
	assert_int_equal(doc_int(doc, "findings.0.line"), 3);
	assert_int_equal(doc_int(doc, "findings.0.column"), 5);
	assert_string_equal(doc_utf8(doc, "findings.0.rule"), "drop-column");
	assert_string_equal(doc_utf8(doc, "findings.0.severity"), "error");
	assert_string_equal(doc_utf8(doc, "findings.0.help"), lint_rule_find("drop-column")->help);
	assert_string_equal(doc_utf8(doc, "findings.1.severity"), "warning");
	/* quotes, backslashes, newlines, tabs and control characters come back intact */
	assert_string_equal(doc_utf8(doc, "findings.1.message"), tricky);
	bson_destroy(doc);
	free(out);

	/* planned findings, and no findings at all */
	res.findings[0].severity = LINT_PLANNED;
	res.n_findings = 1;
	out = render(REPORT_JSON, &res, false);
	doc = parse_json(out);
	assert_string_equal(doc_utf8(doc, "findings.0.severity"), "planned");
	bson_destroy(doc);
	free(out);

	struct lint_result empty = {0};
	out = render(REPORT_JSON, &empty, false);
	doc = parse_json(out);
	assert_string_equal(doc_keys(doc, ""), "findings,files,statements");
	assert_string_equal(doc_keys(doc, "findings"), "");
	assert_int_equal(doc_int(doc, "files"), 0);
	bson_destroy(doc);
	free(out);
}

static void test_github(void **state)
{
	(void)state;
	struct lint_result res = sample();
	res.findings[0].file = "db/1_a,b:c%.sql";
	res.findings[0].message = "100% sure: it breaks, really\r\nsecond line";
	res.findings[1].severity = LINT_PLANNED;
	res.findings[1].message = "planned: a, b";
	char *out = render(REPORT_GITHUB, &res, false);
	char *want;
	assert_true(
	    asprintf(&want,
		     "::error file=db/1_a%%2Cb%%3Ac%%25.sql,line=3,col=5,title=drop-column::"
		     "100%%25 sure: it breaks, really%%0D%%0Asecond line%%0Ahelp: %s\n"
		     "::notice file=migrations/3_orders.sql,line=7,col=1,title=do-block::"
		     "planned: a, b%%0Ahelp: %s\n",
		     lint_rule_find("drop-column")->help, lint_rule_find("do-block")->help) > 0);
	assert_string_equal(out, want);
	free(want);
	free(out);

	res.findings[1].severity = LINT_WARNING;
	res.n_findings = 2;
	out = render(REPORT_GITHUB, &res, false);
	assert_non_null(strstr(out, "\n::warning file=migrations/3_orders.sql,"));
	/* one command per finding: a newline only ends a command */
	size_t lines = 0;
	for (const char *p = out; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 2);
	free(out);
}

static void test_sarif(void **state)
{
	(void)state;
	struct lint_result res = sample();
	res.findings[0].file = "./migrations/2_users.sql";
	res.findings[1].line = 0; /* a finding about no one line still has a region */
	res.findings[1].column = 0;
	char *out = render(REPORT_SARIF, &res, false);
	bson_t *doc = parse_json(out);

	assert_string_equal(doc_utf8(doc, "version"), "2.1.0");
	assert_non_null(strstr(doc_utf8(doc, "$schema"), "sarif"));
	assert_string_equal(doc_utf8(doc, "runs.0.tool.driver.name"), "migrate");
	for (size_t i = 0; i < lint_rules_count; i++) {
		char path[128];
		snprintf(path, sizeof(path), "runs.0.tool.driver.rules.%zu.id", i);
		assert_string_equal(doc_utf8(doc, path), lint_rules[i].id);
		snprintf(path, sizeof(path), "runs.0.tool.driver.rules.%zu.shortDescription.text",
			 i);
		assert_string_equal(doc_utf8(doc, path), lint_rules[i].summary);
		snprintf(path, sizeof(path), "runs.0.tool.driver.rules.%zu.help.text", i);
		assert_string_equal(doc_utf8(doc, path), lint_rules[i].help);
	}
	char path[64];
	snprintf(path, sizeof(path), "runs.0.tool.driver.rules.%zu", lint_rules_count);
	bson_iter_t it, found;
	assert_true(bson_iter_init(&it, doc));
	assert_false(bson_iter_find_descendant(&it, path, &found));

	assert_string_equal(doc_keys(doc, "runs.0.results"), "0,1");
	assert_string_equal(doc_utf8(doc, "runs.0.results.0.ruleId"), "drop-column");
	assert_string_equal(doc_utf8(doc, "runs.0.results.0.level"), "error");
	assert_int_equal(doc_int(doc, "runs.0.results.0.ruleIndex"),
			 lint_rule_find("drop-column") - lint_rules);
	assert_string_equal(
	    doc_utf8(doc, "runs.0.results.0.locations.0.physicalLocation.artifactLocation.uri"),
	    "migrations/2_users.sql");
	assert_int_equal(
	    doc_int(doc, "runs.0.results.0.locations.0.physicalLocation.region.startLine"), 3);
	assert_int_equal(
	    doc_int(doc, "runs.0.results.0.locations.0.physicalLocation.region.startColumn"), 5);
	assert_non_null(strstr(doc_utf8(doc, "runs.0.results.0.message.text"), "dropping column"));

	assert_string_equal(doc_utf8(doc, "runs.0.results.1.ruleId"), "do-block");
	assert_string_equal(doc_utf8(doc, "runs.0.results.1.level"), "warning");
	assert_int_equal(
	    doc_int(doc, "runs.0.results.1.locations.0.physicalLocation.region.startLine"), 1);
	assert_non_null(strstr(doc_utf8(doc, "runs.0.results.1.message.text"), tricky));
	bson_destroy(doc);
	free(out);

	/* a uri, not a path: what a URI cannot hold is percent-encoded */
	res.findings[0].severity = LINT_PLANNED;
	res.findings[0].file = "db/my migrations/4_caf\xc3\xa9#1%.sql";
	res.n_findings = 1;
	out = render(REPORT_SARIF, &res, false);
	doc = parse_json(out);
	assert_string_equal(doc_utf8(doc, "runs.0.results.0.level"), "note");
	assert_string_equal(
	    doc_utf8(doc, "runs.0.results.0.locations.0.physicalLocation.artifactLocation.uri"),
	    "db/my%20migrations/4_caf%C3%A9%231%25.sql");
	bson_destroy(doc);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_names), cmocka_unit_test(test_text),
	    cmocka_unit_test(test_json),	 cmocka_unit_test(test_github),
	    cmocka_unit_test(test_sarif),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
