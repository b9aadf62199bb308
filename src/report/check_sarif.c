/* The check report as SARIF 2.1.0, for code scanning. */
#include <string.h>

#include "report/check_report.h"
#include "report/report.h"
#include "util/strbuf.h"

static void add_rule(struct strbuf *sb, bool first, const char *id, const char *summary,
		     const char *help, const char *level, const char *tag)
{
	strbuf_addstr(sb, first ? "\n      {\"id\": " : ",\n      {\"id\": ");
	strbuf_add_json_string(sb, id);
	strbuf_addstr(sb, ", \"shortDescription\": {\"text\": ");
	strbuf_add_json_string(sb, summary);
	strbuf_addstr(sb, "}, \"help\": {\"text\": ");
	strbuf_add_json_string(sb, help);
	strbuf_addstr(sb, "}, \"defaultConfiguration\": {\"level\": ");
	strbuf_add_json_string(sb, level);
	strbuf_addstr(sb, "}, \"properties\": {\"tags\": [");
	strbuf_add_json_string(sb, tag);
	strbuf_addstr(sb, "]}}");
}

/* Check's own rules come first, then the lint catalogue: ruleIndex follows. */
static long rule_index(const char *id)
{
	const struct check_rule *cr = check_rule_find(id);
	if (cr)
		return cr - check_rules;
	const struct lint_rule *lr = lint_rule_find(id);
	return lr ? (long)check_rules_count + (lr - lint_rules) : -1;
}

void check_write_sarif(FILE *out, const struct check_report *r)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
			   "  \"version\": \"2.1.0\",\n  \"runs\": [{\n    \"tool\": {\"driver\": {"
			   "\"name\": \"migrate\", \"version\": ");
	strbuf_add_json_string(&sb, MIGRATE_VERSION);
	strbuf_addstr(&sb, ", \"rules\": [");
	for (size_t i = 0; i < check_rules_count; i++) {
		const struct check_rule *cr = &check_rules[i];
		add_rule(&sb, i == 0, cr->id, cr->summary, cr->help,
			 strcmp(cr->id, "drift-unknown") == 0 ||
				 strcmp(cr->id, "lock-scan-blocks-writes") == 0
			     ? "warning"
			     : "error",
			 check_stage_name(cr->stage));
	}
	for (size_t i = 0; i < lint_rules_count; i++) {
		const struct lint_rule *lr = &lint_rules[i];
		add_rule(&sb, false, lr->id, lr->summary, lr->help,
			 report_sarif_level(lr->severity), "lint");
	}
	strbuf_addstr(&sb, "]}},\n    \"automationDetails\": {\"id\": \"migrate-check/\"},\n"
			   "    \"invocations\": [{\"executionSuccessful\": true}],\n"
			   "    \"results\": [");
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct check_finding *f = &r->findings[i];
		strbuf_addstr(&sb, i ? ",\n      {" : "\n      {");
		strbuf_addstr(&sb, "\"ruleId\": ");
		strbuf_add_json_string(&sb, f->rule);
		long idx = rule_index(f->rule);
		if (idx >= 0)
			strbuf_addf(&sb, ", \"ruleIndex\": %ld", idx);
		strbuf_addstr(&sb, ", \"level\": ");
		strbuf_add_json_string(&sb, report_sarif_level(f->severity));
		struct strbuf text = STRBUF_INIT;
		strbuf_addstr(&text, f->message);
		if (f->detail)
			strbuf_addf(&text, "\n%s", f->detail);
		if (f->help)
			strbuf_addf(&text, "\nhelp: %s", f->help);
		strbuf_addstr(&sb, ", \"message\": {\"text\": ");
		strbuf_add_json_string(&sb, text.buf);
		strbuf_release(&text);
		strbuf_addstr(&sb, "}");
		if (f->file) {
			strbuf_addstr(&sb, ", \"locations\": [{\"physicalLocation\": "
					   "{\"artifactLocation\": {\"uri\": ");
			report_sarif_add_uri(&sb, f->file);
			strbuf_addf(&sb,
				    "}, \"region\": {\"startLine\": %d, \"startColumn\": %d}}}]",
				    f->line, f->column);
		}
		strbuf_addstr(&sb, ", \"properties\": {\"stage\": ");
		strbuf_add_json_string(&sb, check_stage_name(f->stage));
		strbuf_addstr(&sb, "}}");
	}
	strbuf_addstr(&sb, "\n    ]\n  }]\n}\n");
	fwrite(sb.buf, 1, sb.len, out);
	strbuf_release(&sb);
}
