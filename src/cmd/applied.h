#ifndef MG_CMD_APPLIED_H
#define MG_CMD_APPLIED_H

#include "cmd/common.h"

/* The history of the connected database; empty when there is none yet. Writes nothing. */
int cmd_history_read(struct cmd_env *env, struct history *ret, struct mg_error *err);

/* Whether the database already ran section s of m (expand and its revert, or contract and its). */
bool cmd_section_applied(const struct history *h, const struct migration *m,
			 enum migration_section s);

/*
 * Leaves out the findings in sections the database already ran (applied
 * migrations are replayed into lint's catalogue, not judged) and recounts;
 * returns how many were left out.
 */
size_t cmd_lint_drop_applied(struct lint_result *res, const struct history *h);

#endif
