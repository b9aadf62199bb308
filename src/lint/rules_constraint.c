#include <string.h>

#include "lint/rules.h"
#include "sql/ast.h"

/*
 * Constraints that check existing rows. Without NOT VALID, PostgreSQL scans
 * the whole table while holding the ALTER TABLE's lock; NOT VALID skips the
 * scan, and a later VALIDATE CONSTRAINT scans under a lock that lets reads
 * and writes through. On a table created in this migration no app version
 * waits on the lock.
 */

/* The ALTER TABLE of a table that existed before this migration, or NULL. */
static const PgQuery__AlterTableStmt *alter_existing_table(const struct lint_ctx *ctx,
							   const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return NULL;
	const PgQuery__AlterTableStmt *as = stmt->alter_table_stmt;
	if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || !as->relation ||
	    lint_table_is_new(ctx, as->relation))
		return NULL;
	return as;
}

/* " 'name'" for a named constraint, "" for an unnamed one. */
static const char *constraint_label(struct lint_ctx *ctx, const PgQuery__Constraint *k)
{
	if (k->conname && *k->conname)
		return arena_printf(ctx->arena, " '%s'", k->conname);
	return "";
}

void check_add_foreign_key(struct lint_ctx *ctx, const struct lint_rule *rule,
			   const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_existing_table(ctx, stmt);
	if (!as)
		return;
	const char *table = lint_rangevar_name(ctx, as->relation);
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd)
			continue;
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint) {
			const PgQuery__Constraint *k = ast_constraint(cmd->def);
			if (!k || k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN ||
			    k->skip_validation)
				continue;
			lint_report(
			    ctx, rule, k->location,
			    "adding foreign key%s on '%s' without NOT VALID checks every row "
			    "while writes to '%s' and '%s' are blocked",
			    constraint_label(ctx, k), table, table,
			    lint_rangevar_name(ctx, k->pktable));
		} else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && cmd->def &&
			   cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			/* the new column is all NULL (or its default), but PostgreSQL still
			 * scans the table to validate, and an inline REFERENCES cannot be
			 * NOT VALID */
			const PgQuery__ColumnDef *cd = cmd->def->column_def;
			for (size_t j = 0; j < cd->n_constraints; j++) {
				const PgQuery__Constraint *k = ast_constraint(cd->constraints[j]);
				if (!k || k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
					continue;
				lint_report(
				    ctx, rule, k->location,
				    "column '%s' added to '%s' with REFERENCES '%s' validates "
				    "every row while writes to both tables are blocked; add the "
				    "column, then the foreign key NOT VALID",
				    cd->colname, table, lint_rangevar_name(ctx, k->pktable));
			}
		}
	}
}

void check_add_check_constraint(struct lint_ctx *ctx, const struct lint_rule *rule,
				const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_existing_table(ctx, stmt);
	if (!as)
		return;
	const char *table = lint_rangevar_name(ctx, as->relation);
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd)
			continue;
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint) {
			const PgQuery__Constraint *k = ast_constraint(cmd->def);
			if (!k || k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK ||
			    k->skip_validation)
				continue;
			lint_report(
			    ctx, rule, k->location,
			    "adding check constraint%s on '%s' without NOT VALID scans every "
			    "row under an ACCESS EXCLUSIVE lock",
			    constraint_label(ctx, k), table);
		} else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && cmd->def &&
			   cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			/* a CHECK on a new column makes PostgreSQL scan the table too */
			const PgQuery__ColumnDef *cd = cmd->def->column_def;
			for (size_t j = 0; j < cd->n_constraints; j++) {
				const PgQuery__Constraint *k = ast_constraint(cd->constraints[j]);
				if (!k || k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
					continue;
				lint_report(
				    ctx, rule, k->location,
				    "column '%s' added to '%s' with a CHECK scans every row "
				    "under an ACCESS EXCLUSIVE lock; add the column, then the "
				    "check NOT VALID",
				    cd->colname, table);
			}
		}
	}
}

static bool same_table(const PgQuery__RangeVar *a, const PgQuery__RangeVar *b)
{
	if (!a || !b || !a->relname || !b->relname || strcmp(a->relname, b->relname) != 0)
		return false;
	const char *sa = a->schemaname ? a->schemaname : "";
	const char *sb = b->schemaname ? b->schemaname : "";
	return !*sa || !*sb || strcmp(sa, sb) == 0;
}

/* True when cmds[0..n) of an ALTER TABLE add constraint `name` NOT VALID. */
static bool cmds_add_not_valid(PgQuery__Node *const *cmds, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(cmds[i]);
		if (!cmd || cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint)
			continue;
		const PgQuery__Constraint *k = ast_constraint(cmd->def);
		if (k && k->skip_validation && k->conname && strcmp(k->conname, name) == 0)
			return true;
	}
	return false;
}

/* True when the statement ends the transaction it runs in. */
static bool ends_transaction(const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
		return false;
	const PgQuery__TransactionStmt *ts = stmt->transaction_stmt;
	switch (ts->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
		return !ts->chain;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
		return true;
	default:
		return false;
	}
}

/*
 * True when constraint `name` of `rel` was added NOT VALID earlier in the
 * transaction of the current statement: earlier in this section (a phase runs
 * in one transaction) with no COMMIT in between, or earlier in this very
 * ALTER TABLE (the first `n_before` commands).
 */
static bool added_not_valid_in_transaction(const struct lint_ctx *ctx,
					   const PgQuery__AlterTableStmt *as, size_t n_before,
					   const char *name)
{
	if (cmds_add_not_valid(as->cmds, n_before, name))
		return true;
	for (size_t k = ctx->stmt_index; k-- > 0;) {
		const PgQuery__Node *prev = ctx->section->stmts[k].node;
		if (ends_transaction(prev))
			return false;
		if (prev->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
			continue;
		const PgQuery__AlterTableStmt *pas = prev->alter_table_stmt;
		if (same_table(pas->relation, as->relation) &&
		    cmds_add_not_valid(pas->cmds, pas->n_cmds, name))
			return true;
	}
	return false;
}

void check_validate_same_transaction(struct lint_ctx *ctx, const struct lint_rule *rule,
				     const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_existing_table(ctx, stmt);
	if (!as)
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd || cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint ||
		    !cmd->name || !*cmd->name)
			continue;
		if (!added_not_valid_in_transaction(ctx, as, i, cmd->name))
			continue;
		lint_report(ctx, rule, -1,
			    "validating constraint '%s' on '%s' in the transaction that added it "
			    "NOT VALID keeps the ACCESS EXCLUSIVE lock through the scan",
			    cmd->name, lint_rangevar_name(ctx, as->relation));
	}
}
