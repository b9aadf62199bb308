#include "report/report.h"

#include <ctype.h>
#include <string.h>

#include "util/strbuf.h"

int report_format_parse(const char *name)
{
	static const char *const names[] = {"text", "json", "github", "sarif"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

static const char *severity_color(enum lint_severity s)
{
	switch (s) {
	case LINT_ERROR:
		return "\033[1;31m";
	case LINT_WARNING:
		return "\033[1;33m";
	default:
		return "\033[1;36m";
	}
}

static void write_text(FILE *out, const struct lint_result *res, bool color)
{
	for (size_t i = 0; i < res->n_findings; i++) {
		const struct lint_finding *f = &res->findings[i];
		if (color)
			fprintf(out, "\033[1m%s:%d:%d:\033[0m %s%s\033[0m[%s]: %s\n", f->file,
				f->line, f->column, severity_color(f->severity),
				lint_severity_name(f->severity), f->rule->id, f->message);
		else
			fprintf(out, "%s:%d:%d: %s[%s]: %s\n", f->file, f->line, f->column,
				lint_severity_name(f->severity), f->rule->id, f->message);
		fprintf(out, "  help: %s\n", f->help);
	}
	fprintf(out, "%zu file%s, %zu statement%s: %zu error%s, %zu warning%s", res->n_files,
		res->n_files == 1 ? "" : "s", res->n_statements, res->n_statements == 1 ? "" : "s",
		res->n_errors, res->n_errors == 1 ? "" : "s", res->n_warnings,
		res->n_warnings == 1 ? "" : "s");
	if (res->n_planned)
		fprintf(out, ", %zu planned", res->n_planned);
	if (res->n_syntax_errors)
		fprintf(out, "; %zu file%s could not be parsed", res->n_syntax_errors,
			res->n_syntax_errors == 1 ? "" : "s");
	fputc('\n', out);
}

/*
 * strbuf_add_json_string() with the same escapes, copying the runs between
 * them at once: a report of many findings spends its time here.
 */
static void json_add_string(struct strbuf *sb, const char *s)
{
	if (!s) {
		strbuf_addstr(sb, "null");
		return;
	}
	strbuf_addch(sb, '"');
	const unsigned char *run = (const unsigned char *)s, *p = run;
	for (;; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		strbuf_add(sb, run, (size_t)(p - run));
		if (!*p)
			break;
		switch (*p) {
		case '"':
			strbuf_addstr(sb, "\\\"");
			break;
		case '\\':
			strbuf_addstr(sb, "\\\\");
			break;
		case '\n':
			strbuf_addstr(sb, "\\n");
			break;
		case '\r':
			strbuf_addstr(sb, "\\r");
			break;
		case '\t':
			strbuf_addstr(sb, "\\t");
			break;
		default:
			strbuf_addf(sb, "\\u%04x", *p);
		}
		run = p + 1;
	}
	strbuf_addch(sb, '"');
}

static void write_json(FILE *out, const struct lint_result *res)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "{\"findings\": [");
	for (size_t i = 0; i < res->n_findings; i++) {
		const struct lint_finding *f = &res->findings[i];
		strbuf_addstr(&sb, i ? ",\n  {" : "\n  {");
		strbuf_addstr(&sb, "\"file\": ");
		json_add_string(&sb, f->file);
		strbuf_addf(&sb, ", \"line\": %d, \"column\": %d, \"rule\": ", f->line, f->column);
		json_add_string(&sb, f->rule->id);
		strbuf_addstr(&sb, ", \"severity\": ");
		json_add_string(&sb, lint_severity_name(f->severity));
		strbuf_addstr(&sb, ", \"message\": ");
		json_add_string(&sb, f->message);
		strbuf_addstr(&sb, ", \"help\": ");
		json_add_string(&sb, f->help);
		strbuf_addch(&sb, '}');
	}
	strbuf_addf(&sb, "%s], \"files\": %zu, \"statements\": %zu}\n", res->n_findings ? "\n" : "",
		    res->n_files, res->n_statements);
	fwrite(sb.buf, 1, sb.len, out);
	strbuf_release(&sb);
}

/* GitHub workflow commands: data and properties have their own escapes. */
void report_github_escape(struct strbuf *sb, const char *s, bool property)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '%':
			strbuf_addstr(sb, "%25");
			break;
		case '\r':
			strbuf_addstr(sb, "%0D");
			break;
		case '\n':
			strbuf_addstr(sb, "%0A");
			break;
		case ':':
			strbuf_addstr(sb, property ? "%3A" : ":");
			break;
		case ',':
			strbuf_addstr(sb, property ? "%2C" : ",");
			break;
		default:
			strbuf_addch(sb, *s);
		}
	}
}

static void write_github(FILE *out, const struct lint_result *res)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < res->n_findings; i++) {
		const struct lint_finding *f = &res->findings[i];
		strbuf_addf(&sb, "::%s file=",
			    f->severity == LINT_ERROR	  ? "error"
			    : f->severity == LINT_WARNING ? "warning"
							  : "notice");
		report_github_escape(&sb, f->file, true);
		strbuf_addf(&sb, ",line=%d,col=%d,title=", f->line, f->column);
		report_github_escape(&sb, f->rule->id, true);
		strbuf_addstr(&sb, "::");
		report_github_escape(&sb, f->message, false);
		strbuf_addstr(&sb, "%0Ahelp: ");
		report_github_escape(&sb, f->help, false);
		strbuf_addch(&sb, '\n');
	}
	fwrite(sb.buf, 1, sb.len, out);
	strbuf_release(&sb);
}

const char *report_sarif_level(enum lint_severity s)
{
	return s == LINT_ERROR ? "error" : s == LINT_WARNING ? "warning" : "note";
}

void report_sarif_add_uri(struct strbuf *sb, const char *path)
{
	static const char keep[] = "-._~/!$&'()*+,;=:@";
	struct strbuf uri = STRBUF_INIT;
	if (path[0] == '.' && path[1] == '/')
		path += 2;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p < 0x80 && isalnum(*p)) || strchr(keep, *p))
			strbuf_addch(&uri, (char)*p);
		else
			strbuf_addf(&uri, "%%%02X", *p);
	}
	strbuf_add_json_string(sb, uri.buf);
	strbuf_release(&uri);
}

static void write_sarif(FILE *out, const struct lint_result *res)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
			   "  \"version\": \"2.1.0\",\n  \"runs\": [{\n    \"tool\": {\"driver\": {"
			   "\"name\": \"migrate\", \"version\": ");
	strbuf_add_json_string(&sb, MIGRATE_VERSION);
	strbuf_addstr(&sb, ", "
			   "\"rules\": [");
	for (size_t i = 0; i < lint_rules_count; i++) {
		const struct lint_rule *r = &lint_rules[i];
		strbuf_addstr(&sb, i ? ",\n      {" : "\n      {");
		strbuf_addstr(&sb, "\"id\": ");
		strbuf_add_json_string(&sb, r->id);
		strbuf_addstr(&sb, ", \"shortDescription\": {\"text\": ");
		strbuf_add_json_string(&sb, r->summary);
		strbuf_addstr(&sb, "}, \"help\": {\"text\": ");
		strbuf_add_json_string(&sb, r->help);
		strbuf_addstr(&sb, "}, \"defaultConfiguration\": {\"level\": ");
		strbuf_add_json_string(&sb, report_sarif_level(r->severity));
		strbuf_addstr(&sb, ", \"enabled\": ");
		strbuf_addstr(&sb, r->enabled ? "true" : "false");
		strbuf_addstr(&sb, "}, \"properties\": {\"tags\": [");
		strbuf_add_json_string(&sb, lint_kind_name(r->kind));
		strbuf_addstr(&sb, "]}}");
	}
	strbuf_addstr(&sb, "]}},\n    \"results\": [");
	for (size_t i = 0; i < res->n_findings; i++) {
		const struct lint_finding *f = &res->findings[i];
		strbuf_addstr(&sb, i ? ",\n      {" : "\n      {");
		strbuf_addstr(&sb, "\"ruleId\": ");
		strbuf_add_json_string(&sb, f->rule->id);
		strbuf_addf(&sb, ", \"ruleIndex\": %td, \"level\": ", f->rule - lint_rules);
		strbuf_add_json_string(&sb, report_sarif_level(f->severity));
		strbuf_addstr(&sb, ", \"message\": {\"text\": ");
		struct strbuf text = STRBUF_INIT;
		strbuf_addf(&text, "%s (help: %s)", f->message, f->help);
		strbuf_add_json_string(&sb, text.buf);
		strbuf_release(&text);
		strbuf_addstr(&sb,
			      "}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": "
			      "{\"uri\": ");
		report_sarif_add_uri(&sb, f->file);
		strbuf_addf(&sb, "}, \"region\": {\"startLine\": %d, \"startColumn\": %d}}}]}",
			    f->line > 0 ? f->line : 1, f->column > 0 ? f->column : 1);
	}
	strbuf_addstr(&sb, "\n    ]\n  }]\n}\n");
	fwrite(sb.buf, 1, sb.len, out);
	strbuf_release(&sb);
}

void report_write(FILE *out, enum report_format format, const struct lint_result *res, bool color)
{
	switch (format) {
	case REPORT_TEXT:
		write_text(out, res, color);
		break;
	case REPORT_JSON:
		write_json(out, res);
		break;
	case REPORT_GITHUB:
		write_github(out, res);
		break;
	case REPORT_SARIF:
		write_sarif(out, res);
		break;
	}
}
