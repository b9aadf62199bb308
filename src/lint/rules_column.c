#include "lint/rules.h"
#include "sql/ast.h"

void check_add_column_not_null(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_set_not_null(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_drop_not_null(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_change_column_type(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_add_unique_constraint(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_add_primary_key(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

