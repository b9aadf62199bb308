/*
 * The check report in Markdown: the GitHub job summary, and the fuller report
 * a workflow posts as a pull-request comment (the lock trace table, each
 * migration's plan as it ran and its revert proof).
 */
#include <string.h>

#include "report/check_report.h"

/* Text for a table cell or a list item: no line breaks, no cell separators. */
static void md_inline(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', out);
		else if (*s == '<')
			fputs("&lt;", out);
		else
			fputc(*s, out);
	}
}

static size_t longest_backtick_run(const char *s)
{
	size_t best = 0, run = 0;
	for (; s && *s; s++) {
		run = *s == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

/* s as inline code that no backtick, pipe or line break in it can end early */
static void md_code(FILE *out, const char *s)
{
	size_t ticks = longest_backtick_run(s) + 1;
	for (size_t i = 0; i < ticks; i++)
		fputc('`', out);
	fputc(' ', out);
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
	fputc(' ', out);
	for (size_t i = 0; i < ticks; i++)
		fputc('`', out);
}

/* A fenced block of lines, indented by indent; its fence outlasts any backticks in it. */
static void md_block(FILE *out, const char *indent, const char *lang, const char *text)
{
	size_t ticks = longest_backtick_run(text) + 1;
	if (ticks < 3)
		ticks = 3;
	fputs(indent, out);
	for (size_t i = 0; i < ticks; i++)
		fputc('`', out);
	fprintf(out, "%s\n", lang);
	for (const char *p = text; p && *p;) {
		size_t n = strcspn(p, "\n");
		fprintf(out, "%s%.*s\n", indent, (int)n, p);
		p += n + (p[n] == '\n');
	}
	fputs(indent, out);
	for (size_t i = 0; i < ticks; i++)
		fputc('`', out);
	fputc('\n', out);
}

static void write_stages(FILE *out, const struct check_report *r)
{
	char buf[32];
	fprintf(out, "## migrate check: %s\n\n", r->passed ? "passed" : "**failed**");
	fprintf(out, "| stage | result | time | |\n|---|---|---|---|\n");
	for (int s = 0; s < CHECK_STAGE__COUNT; s++) {
		const struct check_stage_result *st = &r->stages[s];
		fprintf(out, "| %s | %s | %s | ", check_stage_name(s),
			st->status == CHECK_FAILED ? "**failed**" : check_status_name(st->status),
			check_duration(buf, sizeof(buf), st->duration_ms));
		md_inline(out, st->summary);
		fputs(" |\n", out);
	}
}

static void write_findings(FILE *out, const struct check_report *r)
{
	bool any = false;
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct check_finding *f = &r->findings[i];
		if (f->severity < LINT_WARNING)
			continue;
		if (!any)
			fputs("\n### Findings\n\n", out);
		any = true;
		fprintf(out, "- **%s** `%s` (%s)", lint_severity_name(f->severity), f->rule,
			check_stage_name(f->stage));
		if (f->file)
			fprintf(out, " `%s:%d`", f->file, f->line);
		fputs(": ", out);
		md_inline(out, f->message);
		fputc('\n', out);
		if (f->detail)
			md_block(out, "  ", "", f->detail);
		if (f->help) {
			fputs("  help: ", out);
			md_inline(out, f->help);
			fputc('\n', out);
		}
	}
}

static void write_footer(FILE *out, const struct check_report *r)
{
	char buf[32];
	fprintf(out, "\n%zu migration%s in `%s`, %s in all.\n", r->n_migrations,
		r->n_migrations == 1 ? "" : "s", r->dir ? r->dir : "",
		check_duration(buf, sizeof(buf), r->duration_ms));
}

void check_write_step_summary(FILE *out, const struct check_report *r)
{
	write_stages(out, r);
	write_findings(out, r);
	write_footer(out, r);
}

static void write_lock_trace(FILE *out, const struct check_report *r)
{
	char buf[32];
	fputs("\n### Lock trace\n\n", out);
	size_t rows = 0;
	for (size_t i = 0; i < r->n_trace; i++) {
		const struct check_traced_stmt *ts = &r->trace[i];
		for (size_t k = 0; k < ts->n_locks; k++) {
			const struct check_lock *l = &ts->locks[k];
			if (!rows++)
				fputs("| statement | phase | table | lock | held | rewrote | full "
				      "scan "
				      "|\n|---|---|---|---|---|---|---|\n",
				      out);
			fprintf(out, "| `%s:%d` ", ts->migration->path, ts->line);
			md_code(out, ts->sql);
			fprintf(out, " | %s | ", migration_section_name(ts->section));
			md_code(out, l->table);
			fprintf(out, " | %s%s | %s | %s | %s |\n",
				l->strength == 8 ? "**ACCESS EXCLUSIVE**" : l->mode,
				l->observed ? "" : " (documented, not seen)",
				check_duration(buf, sizeof(buf), l->held_ms),
				l->rewritten ? "**yes**" : "no", l->scanned ? "**yes**" : "no");
		}
	}
	if (!rows)
		fprintf(out, "%s\n",
			r->n_trace ? "No traced statement locked a table that existed before its "
				     "migration."
				   : "Nothing was traced.");
}

static const char *proof_text(enum check_status s)
{
	return s == CHECK_PASSED   ? "the catalogue came back as it was, and again as after it"
	       : s == CHECK_FAILED ? "**failed** (see the findings)"
				   : "not run";
}

static void write_migration(FILE *out, const struct check_report *r,
			    const struct check_migration_result *mr)
{
	const struct migration *m = mr->migration;
	fprintf(out, "\n#### `%s`\n\n", m->path);
	if (!mr->ran[CHECK_REPLAY]) {
		fputs("Not replayed.\n", out);
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < r->n_trace; i++) {
		const struct check_traced_stmt *ts = &r->trace[i];
		if (ts->migration != m)
			continue;
		if (!n++)
			fputs("| phase | line | statement | runs |\n|---|---|---|---|\n", out);
		fprintf(out, "| %s | %d | ", migration_section_name(ts->section), ts->line);
		md_code(out, ts->sql);
		fprintf(out, " | %s |\n",
			ts->in_transaction ? "in a transaction" : "alone, outside a transaction");
	}
	if (!n)
		fputs("No statement ran.\n", out);
	fputs("\nRevert proof:\n\n", out);
	static const enum migration_section phases[2] = {SECTION_EXPAND, SECTION_CONTRACT};
	for (int p = 0; p < 2; p++) {
		const char *name = migration_section_name(phases[p]);
		fprintf(out, "- %s, revert, %s: %s\n", name, name,
			p == 1 && mr->contract_unchanged
			    ? "nothing to undo: the contract changed nothing"
			    : proof_text(mr->round_trip[p]));
		const struct step_list *steps = &mr->revert[p];
		if (!steps->n)
			continue;
		fprintf(out, "  <details><summary>the revert of %s: %zu step%s</summary>\n\n", name,
			steps->n, steps->n == 1 ? "" : "s");
		for (size_t i = 0; i < steps->n; i++)
			md_block(out, "  ", "sql", steps->items[i].sql);
		fputs("\n  </details>\n", out);
	}
}

void check_write_markdown(FILE *out, const struct check_report *r)
{
	fprintf(out, "%s\n", CHECK_MARKDOWN_MARKER);
	write_stages(out, r);
	write_lock_trace(out, r);
	if (r->n_migrations)
		fputs("\n### Migrations\n", out);
	for (size_t i = 0; i < r->n_migrations; i++)
		write_migration(out, r, &r->migrations[i]);
	write_findings(out, r);
	write_footer(out, r);
}
