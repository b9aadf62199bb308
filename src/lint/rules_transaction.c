#include "lint/rules.h"
#include "sql/ast.h"

void check_concurrently_in_transaction(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_explicit_transaction(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

