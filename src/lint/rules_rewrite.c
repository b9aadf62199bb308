#include "lint/rules.h"
#include "sql/ast.h"

void check_add_column_volatile_default(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_add_column_generated(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_add_column_serial(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_add_column_identity(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_vacuum_full(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_cluster(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_set_logged(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

void check_lock_table(struct lint_ctx *ctx, const struct lint_rule *rule,
		const PgQuery__Node *stmt)
{
	(void)ctx;
	(void)rule;
	(void)stmt;
}

