#include "lint/rules.h"
#include "sql/ast.h"

void check_do_block(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_dynamic_sql(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

