/*
 * Applied migrations are replayed, not judged: lint findings in a phase the
 * database already ran do not stop the commands that apply what is pending.
 */
#include "lint/lint.h"

bool lint_section_applied(const struct history *h, const struct migration *m,
			  enum migration_section s)
{
	if (!h || !m || !m->has_version)
		return false;
	const struct history_entry *e = history_find(h, m->version);
	if (!e)
		return false;
	bool contract = s == SECTION_CONTRACT || s == SECTION_REVERT_CONTRACT;
	if (contract)
		return e->phase == HISTORY_CONTRACTED;
	return e->phase == HISTORY_EXPANDED || e->phase == HISTORY_CONTRACTING ||
	       e->phase == HISTORY_CONTRACTED;
}

size_t lint_result_drop_applied(struct lint_result *res, const struct history *h)
{
	size_t kept = 0, dropped = 0;
	res->n_errors = res->n_warnings = res->n_planned = 0;
	for (size_t i = 0; i < res->n_findings; i++) {
		const struct lint_finding *f = &res->findings[i];
		if (lint_section_applied(h, f->migration, f->section)) {
			dropped++;
			continue;
		}
		if (f->severity == LINT_ERROR)
			res->n_errors++;
		else if (f->severity == LINT_WARNING)
			res->n_warnings++;
		else if (f->severity == LINT_PLANNED)
			res->n_planned++;
		res->findings[kept++] = *f;
	}
	res->n_findings = kept;
	return dropped;
}
