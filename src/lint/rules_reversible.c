#include "lint/rules.h"
#include "lint/inverse_class.h"

void check_irreversible(struct lint_ctx *ctx, const struct lint_rule *rule,
			const PgQuery__Node *stmt)
{
	enum migration_section s = lint_section(ctx);
	enum migration_section revert =
	    s == SECTION_EXPAND ? SECTION_REVERT_EXPAND : SECTION_REVERT_CONTRACT;
	/* a hand-written revert section (even an empty one) replaces derived undo */
	if (ctx->migration->sections[revert].present)
		return;
	const char *reason;
	if (inverse_classify(stmt, ctx->catalog, ctx->migration->order, s, &reason) ==
	    INVERSE_IRREVERSIBLE)
		lint_report(ctx, rule, -1, "cannot be reverted automatically: %s", reason);
}
