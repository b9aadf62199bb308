/* migrate status as a table or as JSON. */
#include "report/status.h"

#include <string.h>

#include "util/strbuf.h"

int status_format_parse(const char *name)
{
	if (strcmp(name, "text") == 0)
		return STATUS_FORMAT_TEXT;
	if (strcmp(name, "json") == 0)
		return STATUS_FORMAT_JSON;
	return -1;
}

static void write_json(FILE *out, const struct status_row *rows, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "{\"migrations\": [");
	for (size_t i = 0; i < n; i++) {
		const struct status_row *r = &rows[i];
		strbuf_addf(&sb, "%s\n  {\"version\": %lld, \"name\": ", i ? "," : "",
			    (long long)r->version);
		strbuf_add_json_string(&sb, r->name);
		strbuf_addstr(&sb, ", \"phase\": ");
		strbuf_add_json_string(&sb, r->phase);
		strbuf_addstr(&sb, ", \"expanded_at\": ");
		strbuf_add_json_string(&sb, r->expanded_at);
		strbuf_addstr(&sb, ", \"contracted_at\": ");
		strbuf_add_json_string(&sb, r->contracted_at);
		strbuf_addf(&sb, ", \"drift\": %s", r->drift ? "true" : "false");
		strbuf_addf(&sb, ", \"interrupted\": %s, \"interrupted_command\": %s",
			    r->interrupted ? "true" : "false",
			    !r->interrupted ? "null"
			    : r->reverting  ? "\"revert\""
					    : "\"up\"");
		strbuf_addf(&sb, ", \"missing\": %s, \"in_checkout\": %s",
			    r->missing ? "true" : "false", r->missing ? "false" : "true");
		strbuf_addch(&sb, '}');
	}
	strbuf_addstr(&sb, n ? "\n]}\n" : "]}\n");
	fwrite(sb.buf, 1, sb.len, out);
	strbuf_release(&sb);
}

static void write_text(FILE *out, const struct status_row *rows, size_t n)
{
	int w = 4;
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(rows[i].name) > w)
			w = (int)strlen(rows[i].name);
	fprintf(out, "%-16s %-*s %-11s %-21s %s\n", "VERSION", w, "NAME", "PHASE", "EXPANDED",
		"CONTRACTED");
	for (size_t i = 0; i < n; i++) {
		const struct status_row *r = &rows[i];
		fprintf(out, "%-16lld %-*s %-11s %-21s %s%s%s%s\n", (long long)r->version, w,
			r->name, r->phase, r->expanded_at ? r->expanded_at : "-",
			r->contracted_at ? r->contracted_at : "-",
			r->drift ? "  DRIFT: file changed since applied" : "",
			r->missing ? "  NOT IN CHECKOUT: another branch's, or its file was "
				     "deleted"
				   : "",
			r->reverting	 ? "  (revert interrupted: 'migrate revert' finishes it)"
			: r->interrupted ? "  (interrupted: 'migrate up' resumes it)"
					 : "");
	}
}

void status_write(FILE *out, enum status_format format, const struct status_row *rows, size_t n)
{
	if (format == STATUS_FORMAT_JSON)
		write_json(out, rows, n);
	else
		write_text(out, rows, n);
}
