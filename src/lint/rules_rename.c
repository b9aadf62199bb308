#include "lint/rules.h"
#include "sql/ast.h"

void check_rename_table(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_rename_column(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_rename_view(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_rename_schema(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_rename_enum_value(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_rename_constraint(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

