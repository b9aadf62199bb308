/*
 * The check report as JUnit XML (GitLab, Jenkins): a testsuite per stage, a
 * testcase per migration in it, and one per finding that is about no file.
 */
#include <string.h>

#include "report/check_report.h"
#include "util/strbuf.h"

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static void add_seconds(struct strbuf *sb, int64_t ms)
{
	strbuf_addf(sb, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
}

static void add_finding_text(struct strbuf *sb, const struct check_finding *f)
{
	struct strbuf t = STRBUF_INIT;
	if (f->file)
		strbuf_addf(&t, "%s:%d:%d: ", f->file, f->line, f->column);
	strbuf_addf(&t, "%s[%s]: %s\n", lint_severity_name(f->severity), f->rule, f->message);
	if (f->detail)
		strbuf_addf(&t, "%s\n", f->detail);
	if (f->help)
		strbuf_addf(&t, "help: %s\n", f->help);
	strbuf_add_xml_escaped(sb, t.buf);
	strbuf_release(&t);
}

/*
 * One testcase: failed when an error finding belongs to it, its warnings as
 * output. m NULL with one finding: a testcase of that finding alone.
 */
static void add_testcase(struct strbuf *sb, const struct check_report *r, enum check_stage_id s,
			 const struct check_migration_result *mr, const struct check_finding *alone,
			 size_t *ret_failed, size_t *ret_skipped)
{
	const char *name = mr ? base_name(mr->migration->path) : alone->rule;
	strbuf_addstr(sb, "    <testcase classname=\"migrate check.");
	strbuf_addstr(sb, check_stage_name(s));
	strbuf_addstr(sb, "\" name=\"");
	strbuf_add_xml_escaped(sb, name);
	strbuf_addch(sb, '"');
	if (mr) {
		strbuf_addstr(sb, " file=\"");
		strbuf_add_xml_escaped(sb, mr->migration->path);
		strbuf_addch(sb, '"');
	}
	strbuf_addstr(sb, " time=\"");
	add_seconds(sb, mr ? mr->ms[s] : 0);
	strbuf_addstr(sb, "\">\n");

	const struct check_finding *first_error = NULL;
	size_t errors = 0, others = 0;
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct check_finding *f = &r->findings[i];
		if (alone ? f != alone : (f->stage != s || f->migration != mr->migration))
			continue;
		if (f->severity == LINT_ERROR) {
			errors++;
			if (!first_error)
				first_error = f;
		} else {
			others++;
		}
	}
	if (errors) {
		++*ret_failed;
		strbuf_addstr(sb, "      <failure type=\"");
		strbuf_add_xml_escaped(sb, first_error->rule);
		strbuf_addstr(sb, "\" message=\"");
		strbuf_add_xml_escaped(sb, first_error->message);
		strbuf_addstr(sb, "\">");
		for (size_t i = 0; i < r->n_findings; i++) {
			const struct check_finding *f = &r->findings[i];
			if ((alone ? f == alone : f->stage == s && f->migration == mr->migration) &&
			    f->severity == LINT_ERROR)
				add_finding_text(sb, f);
		}
		strbuf_addstr(sb, "</failure>\n");
	} else if (mr && (!mr->ran[s] || r->stages[s].status == CHECK_SKIPPED)) {
		++*ret_skipped;
		strbuf_addstr(sb, "      <skipped message=\"");
		strbuf_add_xml_escaped(sb,
				       r->stages[s].status != CHECK_PASSED && r->stages[s].summary
					   ? r->stages[s].summary
					   : "not reached: an earlier step failed");
		strbuf_addstr(sb, "\"/>\n");
	}
	if (others) {
		strbuf_addstr(sb, "      <system-out>");
		for (size_t i = 0; i < r->n_findings; i++) {
			const struct check_finding *f = &r->findings[i];
			if ((alone ? f == alone : f->stage == s && f->migration == mr->migration) &&
			    f->severity != LINT_ERROR)
				add_finding_text(sb, f);
		}
		strbuf_addstr(sb, "</system-out>\n");
	}
	strbuf_addstr(sb, "    </testcase>\n");
}

void check_write_junit(FILE *out, const struct check_report *r)
{
	struct strbuf suites = STRBUF_INIT;
	size_t all_tests = 0, all_failed = 0, all_skipped = 0;
	for (int s = 0; s < CHECK_STAGE__COUNT; s++) {
		const struct check_stage_result *st = &r->stages[s];
		struct strbuf cases = STRBUF_INIT;
		size_t tests = 0, failed = 0, skipped = 0;
		for (size_t i = 0; i < r->n_migrations; i++, tests++)
			add_testcase(&cases, r, s, &r->migrations[i], NULL, &failed, &skipped);
		for (size_t i = 0; i < r->n_findings; i++) {
			const struct check_finding *f = &r->findings[i];
			if (f->stage != (enum check_stage_id)s || f->migration)
				continue;
			add_testcase(&cases, r, s, NULL, f, &failed, &skipped);
			tests++;
		}
		strbuf_addstr(&suites, "  <testsuite name=\"");
		strbuf_addstr(&suites, check_stage_name(s));
		strbuf_addf(&suites,
			    "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" "
			    "time=\"",
			    tests, failed, skipped);
		add_seconds(&suites, st->duration_ms);
		strbuf_addstr(&suites, "\">\n    <properties><property name=\"status\" value=\"");
		strbuf_addstr(&suites, check_status_name(st->status));
		strbuf_addstr(&suites, "\"/><property name=\"summary\" value=\"");
		strbuf_add_xml_escaped(&suites, st->summary ? st->summary : "");
		strbuf_addstr(&suites, "\"/></properties>\n");
		strbuf_add(&suites, cases.buf, cases.len);
		strbuf_addstr(&suites, "  </testsuite>\n");
		strbuf_release(&cases);
		all_tests += tests;
		all_failed += failed;
		all_skipped += skipped;
	}
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"migrate check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
		"skipped=\"%zu\" time=\"%lld.%03lld\">\n",
		all_tests, all_failed, all_skipped, (long long)(r->duration_ms / 1000),
		(long long)(r->duration_ms % 1000));
	fwrite(suites.buf, 1, suites.len, out);
	fputs("</testsuites>\n", out);
	strbuf_release(&suites);
}
