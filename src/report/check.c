/* The check report as text, JSON, GitHub workflow commands and a job summary. */
#include <string.h>

#include "report/check_report.h"
#include "report/report.h"
#include "util/strbuf.h"

int check_format_parse(const char *name)
{
	static const char *const names[] = {"text", "json", "github", "sarif", "junit", "markdown"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

const char *check_duration(char *buf, size_t size, int64_t ms)
{
	if (ms < 1000)
		snprintf(buf, size, "%lld ms", (long long)ms);
	else
		snprintf(buf, size, "%.1f s", (double)ms / 1000.0);
	return buf;
}

/* ---- text ---- */

static const char *status_color(enum check_status s)
{
	return s == CHECK_PASSED ? "\033[1;32m" : s == CHECK_FAILED ? "\033[1;31m" : "\033[1;33m";
}

static const char *severity_color(enum lint_severity s)
{
	return s == LINT_ERROR ? "\033[1;31m" : s == LINT_WARNING ? "\033[1;33m" : "\033[1;36m";
}

static void text_finding(FILE *out, const struct check_finding *f, bool color)
{
	fputs("  ", out);
	if (f->file) {
		if (color)
			fprintf(out, "\033[1m%s:%d:%d:\033[0m ", f->file, f->line, f->column);
		else
			fprintf(out, "%s:%d:%d: ", f->file, f->line, f->column);
	}
	if (color)
		fprintf(out, "%s%s\033[0m[%s]: %s\n", severity_color(f->severity),
			lint_severity_name(f->severity), f->rule, f->message);
	else
		fprintf(out, "%s[%s]: %s\n", lint_severity_name(f->severity), f->rule, f->message);
	for (const char *p = f->detail; p && *p;) {
		size_t n = strcspn(p, "\n");
		fprintf(out, "      %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	if (f->help)
		fprintf(out, "    help: %s\n", f->help);
}

static void write_text(FILE *out, const struct check_report *r, bool color, bool findings)
{
	char buf[32];
	size_t passed = 0, failed = 0, skipped = 0;
	for (int s = 0; s < CHECK_STAGE__COUNT; s++) {
		const struct check_stage_result *st = &r->stages[s];
		if (color)
			fprintf(out, "\033[1m%-11s\033[0m %s%-8s\033[0m %8s  %s\n",
				check_stage_name(s), status_color(st->status),
				check_status_name(st->status),
				check_duration(buf, sizeof(buf), st->duration_ms),
				st->summary ? st->summary : "");
		else
			fprintf(out, "%-11s %-8s %8s  %s\n", check_stage_name(s),
				check_status_name(st->status),
				check_duration(buf, sizeof(buf), st->duration_ms),
				st->summary ? st->summary : "");
		for (size_t i = 0; findings && i < r->n_findings; i++)
			if (r->findings[i].stage == (enum check_stage_id)s &&
			    r->findings[i].severity >= LINT_WARNING)
				text_finding(out, &r->findings[i], color);
		passed += st->status == CHECK_PASSED;
		failed += st->status == CHECK_FAILED;
		skipped += st->status == CHECK_SKIPPED;
	}
	fprintf(out, "\ncheck %s: %zu passed, %zu failed, %zu skipped in %s\n",
		r->passed ? "passed" : "FAILED", passed, failed, skipped,
		check_duration(buf, sizeof(buf), r->duration_ms));
}

/* ---- JSON ---- */

static void json_finding(struct strbuf *sb, const struct check_finding *f)
{
	strbuf_addstr(sb, "{\"file\": ");
	strbuf_add_json_string(sb, f->file);
	strbuf_addf(sb, ", \"line\": %d, \"column\": %d, \"rule\": ", f->line, f->column);
	strbuf_add_json_string(sb, f->rule);
	strbuf_addstr(sb, ", \"severity\": ");
	strbuf_add_json_string(sb, lint_severity_name(f->severity));
	strbuf_addstr(sb, ", \"message\": ");
	strbuf_add_json_string(sb, f->message);
	strbuf_addstr(sb, ", \"help\": ");
	strbuf_add_json_string(sb, f->help);
	strbuf_addstr(sb, ", \"detail\": ");
	strbuf_add_json_string(sb, f->detail);
	if (f->migration && f->migration->has_version)
		strbuf_addf(sb, ", \"version\": %lld", (long long)f->migration->version);
	strbuf_addch(sb, '}');
}

static void write_json(FILE *out, const struct check_report *r)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "{\"passed\": %s, \"duration_ms\": %lld, \"migrations\": %zu, \"dir\": ",
		    r->passed ? "true" : "false", (long long)r->duration_ms, r->n_migrations);
	strbuf_add_json_string(&sb, r->dir);
	strbuf_addstr(&sb, ", \"shadow\": ");
	strbuf_add_json_string(&sb, r->shadow);
	strbuf_addstr(&sb, ",\n \"stages\": [");
	for (int s = 0; s < CHECK_STAGE__COUNT; s++) {
		const struct check_stage_result *st = &r->stages[s];
		strbuf_addstr(&sb, s ? ",\n  {\"name\": " : "\n  {\"name\": ");
		strbuf_add_json_string(&sb, check_stage_name(s));
		strbuf_addstr(&sb, ", \"status\": ");
		strbuf_add_json_string(&sb, check_status_name(st->status));
		strbuf_addf(&sb,
			    ", \"duration_ms\": %lld, \"errors\": %zu, \"warnings\": %zu, "
			    "\"summary\": ",
			    (long long)st->duration_ms, st->n_errors, st->n_warnings);
		strbuf_add_json_string(&sb, st->summary);
		strbuf_addstr(&sb, ", \"findings\": [");
		bool first = true;
		for (size_t i = 0; i < r->n_findings; i++) {
			if (r->findings[i].stage != (enum check_stage_id)s)
				continue;
			strbuf_addstr(&sb, first ? "\n    " : ",\n    ");
			json_finding(&sb, &r->findings[i]);
			first = false;
		}
		strbuf_addstr(&sb, "]}");
	}
	strbuf_addstr(&sb, "],\n \"lock_trace\": [");
	for (size_t i = 0; i < r->n_trace; i++) {
		const struct check_traced_stmt *ts = &r->trace[i];
		strbuf_addstr(&sb, i ? ",\n  {\"file\": " : "\n  {\"file\": ");
		strbuf_add_json_string(&sb, ts->migration->path);
		strbuf_addf(&sb, ", \"line\": %d, \"version\": %lld, \"phase\": ", ts->line,
			    (long long)ts->migration->version);
		strbuf_add_json_string(&sb, migration_section_name(ts->section));
		strbuf_addstr(&sb, ", \"statement\": ");
		strbuf_add_json_string(&sb, ts->sql);
		strbuf_addf(&sb, ", \"in_transaction\": %s, \"elapsed_ms\": %lld, \"locks\": [",
			    ts->in_transaction ? "true" : "false", (long long)ts->elapsed_ms);
		for (size_t k = 0; k < ts->n_locks; k++) {
			const struct check_lock *l = &ts->locks[k];
			strbuf_addstr(&sb, k ? ", {\"table\": " : "{\"table\": ");
			strbuf_add_json_string(&sb, l->table);
			strbuf_addstr(&sb, ", \"mode\": ");
			strbuf_add_json_string(&sb, l->mode);
			strbuf_addf(&sb,
				    ", \"held_ms\": %lld, \"rewritten\": %s, \"scanned\": %s, "
				    "\"observed\": %s}",
				    (long long)l->held_ms, l->rewritten ? "true" : "false",
				    l->scanned ? "true" : "false", l->observed ? "true" : "false");
		}
		strbuf_addstr(&sb, "]}");
	}
	strbuf_addstr(&sb, "]}\n");
	fwrite(sb.buf, 1, sb.len, out);
	strbuf_release(&sb);
}

/* ---- GitHub workflow commands ---- */

static void write_github(FILE *out, const struct check_report *r)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct check_finding *f = &r->findings[i];
		strbuf_addf(&sb, "::%s ",
			    f->severity == LINT_ERROR	  ? "error"
			    : f->severity == LINT_WARNING ? "warning"
							  : "notice");
		if (f->file) {
			strbuf_addstr(&sb, "file=");
			report_github_escape(&sb, f->file, true);
			strbuf_addf(&sb, ",line=%d,col=%d,", f->line, f->column);
		}
		char title[128];
		snprintf(title, sizeof(title), "migrate check %s: %s", check_stage_name(f->stage),
			 f->rule);
		strbuf_addstr(&sb, "title=");
		report_github_escape(&sb, title, true);
		strbuf_addstr(&sb, "::");
		report_github_escape(&sb, f->message, false);
		if (f->detail) {
			strbuf_addstr(&sb, "%0A");
			report_github_escape(&sb, f->detail, false);
		}
		if (f->help) {
			strbuf_addstr(&sb, "%0Ahelp: ");
			report_github_escape(&sb, f->help, false);
		}
		strbuf_addch(&sb, '\n');
	}
	fwrite(sb.buf, 1, sb.len, out);
	strbuf_release(&sb);
	/* the stage table, for the log; the findings are the annotations above */
	write_text(out, r, false, false);
}

void check_write(FILE *out, enum check_format format, const struct check_report *r, bool color)
{
	switch (format) {
	case CHECK_FORMAT_TEXT:
		write_text(out, r, color, true);
		break;
	case CHECK_FORMAT_JSON:
		write_json(out, r);
		break;
	case CHECK_FORMAT_GITHUB:
		write_github(out, r);
		break;
	case CHECK_FORMAT_SARIF:
		check_write_sarif(out, r);
		break;
	case CHECK_FORMAT_JUNIT:
		check_write_junit(out, r);
		break;
	case CHECK_FORMAT_MARKDOWN:
		check_write_markdown(out, r);
		break;
	}
}
