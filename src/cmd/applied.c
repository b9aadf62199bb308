/*
 * Applied migrations are replayed, not judged: lint findings in a phase the
 * database already ran do not stop the commands that apply what is pending.
 */
#include "cmd/applied.h"

#include <string.h>

int cmd_history_read(struct cmd_env *env, struct history *ret, struct mg_error *err)
{
	bool exists = false;
	memset(ret, 0, sizeof(*ret));
	if (env->driver.ops->history_exists(&env->driver, &exists, err) < 0 ||
	    (exists && env->driver.ops->history_load(&env->driver, &env->arena, ret, err) < 0))
		return -1;
	return 0;
}

bool cmd_section_applied(const struct history *h, const struct migration *m,
			 enum migration_section s)
{
	if (!m || !m->has_version)
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

size_t cmd_lint_drop_applied(struct lint_result *res, const struct history *h)
{
	size_t kept = 0, dropped = 0;
	res->n_errors = res->n_warnings = res->n_planned = 0;
	for (size_t i = 0; i < res->n_findings; i++) {
		const struct lint_finding *f = &res->findings[i];
		if (cmd_section_applied(h, f->migration, f->section)) {
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
