#include <string.h>

#include "lint/pg_release.h"
#include "lint/rules.h"
#include "sql/ast.h"

/*
 * Statements that scan, rewrite or rebuild an existing object while holding
 * a lock the app's queries queue behind, and two that fail or hide rows at
 * run time. Objects created earlier in the same migration are exempt, as
 * everywhere: no running app uses them yet.
 */

static const PgQuery__AlterTableStmt *alter_stmt(const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return NULL;
	const PgQuery__AlterTableStmt *as = stmt->alter_table_stmt;
	return as->relation && as->relation->relname ? as : NULL;
}

static const PgQuery__PartitionCmd *partition_cmd(const PgQuery__AlterTableCmd *cmd)
{
	return cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD
		   ? cmd->def->partition_cmd
		   : NULL;
}

void check_detach_partition(struct lint_ctx *ctx, const struct lint_rule *rule,
			    const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_stmt(stmt);
	if (!as || lint_table_is_new(ctx, as->relation))
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd || cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition)
			continue;
		const PgQuery__PartitionCmd *pc = partition_cmd(cmd);
		if (!pc || pc->concurrent || !pc->name)
			continue;
		/* before PostgreSQL 14 there is no CONCURRENTLY to suggest */
		lint_report_help(
		    ctx, rule,
		    pg_release_has(ctx->opts->pg_version, PG_FEATURE_DETACH_CONCURRENTLY)
			? NULL
			: "this release has no DETACH PARTITION CONCURRENTLY (PostgreSQL 14+): "
			  "detach it in a quiet moment, outside migrations",
		    pc->name->location,
		    "detaching partition '%s' without CONCURRENTLY takes an ACCESS EXCLUSIVE "
		    "lock on '%s' and stalls every query of it",
		    lint_rangevar_name(ctx, pc->name), lint_rangevar_name(ctx, as->relation));
	}
}

/* True when the table has a validated CHECK constraint from an earlier transaction. */
static bool has_validated_check(const struct lint_ctx *ctx, const struct catalog_table *t)
{
	for (size_t i = 0; t && i < ctx->catalog->n_constraints; i++) {
		const struct catalog_constraint *c = &ctx->catalog->constraints[i];
		if (c->dropped || c->kind != CATALOG_CONSTRAINT_CHECK || c->not_valid ||
		    strcmp(c->table, t->name) != 0 || (*c->schema && strcmp(c->schema, t->schema)))
			continue;
		if (c->created_in != ctx->migration->order ||
		    c->created_section != (int)lint_section(ctx))
			return true;
	}
	return false;
}

void check_attach_partition(struct lint_ctx *ctx, const struct lint_rule *rule,
			    const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_stmt(stmt);
	if (!as || lint_table_is_new(ctx, as->relation))
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd || cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition)
			continue;
		const PgQuery__PartitionCmd *pc = partition_cmd(cmd);
		if (!pc || !pc->name || lint_table_is_new(ctx, pc->name))
			continue;
		/* a validated CHECK that implies the bound lets PostgreSQL skip the scan; the
		 * catalogue cannot prove the implication, so any validated CHECK counts */
		if (has_validated_check(ctx, catalog_table_find_rangevar(ctx->catalog, pc->name)))
			continue;
		lint_report(ctx, rule, pc->name->location,
			    "attaching '%s' to '%s' scans every row of it to check the partition "
			    "bound, under an ACCESS EXCLUSIVE lock on it",
			    lint_rangevar_name(ctx, pc->name),
			    lint_rangevar_name(ctx, as->relation));
	}
}

void check_add_exclusion_constraint(struct lint_ctx *ctx, const struct lint_rule *rule,
				    const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_stmt(stmt);
	if (!as || as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
	    lint_table_is_new(ctx, as->relation))
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		const PgQuery__Constraint *k = cmd ? ast_constraint(cmd->def) : NULL;
		if (!k || cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint ||
		    k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION)
			continue;
		lint_report(ctx, rule, k->location,
			    "adding exclusion constraint%s%s%s on '%s' builds its index under an "
			    "ACCESS EXCLUSIVE lock that blocks reads and writes",
			    k->conname && *k->conname ? " '" : "",
			    k->conname && *k->conname ? k->conname : "",
			    k->conname && *k->conname ? "'" : "",
			    lint_rangevar_name(ctx, as->relation));
	}
}

void check_set_tablespace(struct lint_ctx *ctx, const struct lint_rule *rule,
			  const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_stmt(stmt);
	if (!as)
		return;
	bool is_index = as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd || cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace)
			continue;
		if (is_index) {
			const struct catalog_index *ix = catalog_index_find(
			    ctx->catalog, as->relation->schemaname, as->relation->relname);
			if (ix && ix->created_in == ctx->migration->order)
				return;
		} else if (lint_table_is_new(ctx, as->relation)) {
			return;
		}
		lint_report(
		    ctx, rule, as->relation->location,
		    "moving '%s' to tablespace '%s' copies every page of it under an ACCESS "
		    "EXCLUSIVE lock",
		    lint_rangevar_name(ctx, as->relation), cmd->name ? cmd->name : "?");
		return;
	}
}

void check_refresh_materialized_view(struct lint_ctx *ctx, const struct lint_rule *rule,
				     const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT)
		return;
	const PgQuery__RefreshMatViewStmt *rs = stmt->refresh_mat_view_stmt;
	if (rs->concurrent || !rs->relation || !rs->relation->relname)
		return;
	const struct catalog_object *v = catalog_object_find(
	    ctx->catalog, CATALOG_OBJECT_VIEW, rs->relation->schemaname, rs->relation->relname);
	if (v && v->created_in == ctx->migration->order)
		return;
	lint_report(ctx, rule, rs->relation->location,
		    "refreshing materialized view '%s' without CONCURRENTLY locks out every "
		    "query of it until the refresh ends",
		    lint_rangevar_name(ctx, rs->relation));
}

void check_alter_domain_constraint(struct lint_ctx *ctx, const struct lint_rule *rule,
				   const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT)
		return;
	const PgQuery__AlterDomainStmt *ds = stmt->alter_domain_stmt;
	if (!ds->subtype)
		return;
	/* 'C': ADD CONSTRAINT, 'O': SET NOT NULL (as gram.y names them) */
	bool add = strcmp(ds->subtype, "C") == 0, not_null = strcmp(ds->subtype, "O") == 0;
	if (!add && !not_null)
		return;
	const PgQuery__Constraint *k = add ? ast_constraint(ds->def) : NULL;
	if (add && (!k || k->skip_validation))
		return;
	const char *schema, *name;
	ast_qualified_name(ds->type_name, ds->n_type_name, &schema, &name);
	if (!name)
		return;
	const struct catalog_object *o =
	    catalog_object_find(ctx->catalog, CATALOG_OBJECT_TYPE, schema, name);
	if (o && o->created_in == ctx->migration->order)
		return;
	lint_report(ctx, rule, -1,
		    "%s on domain '%s%s%s' checks every column of every table that uses it, "
		    "under locks that block their writes",
		    add ? "adding a constraint" : "setting NOT NULL", schema ? schema : "",
		    schema ? "." : "", name);
}

/* ---- ENABLE ROW LEVEL SECURITY without a policy ---- */

static bool policy_in_section(const struct lint_ctx *ctx, const PgQuery__RangeVar *rv)
{
	for (size_t k = 0; k < ctx->section->n_stmts; k++) {
		const PgQuery__Node *n = ctx->section->stmts[k].node;
		if (n->node_case != PG_QUERY__NODE__NODE_CREATE_POLICY_STMT)
			continue;
		const PgQuery__RangeVar *t = n->create_policy_stmt->table;
		if (t && t->relname && strcmp(t->relname, rv->relname) == 0 &&
		    (!t->schemaname || !*t->schemaname || !rv->schemaname || !*rv->schemaname ||
		     strcmp(t->schemaname, rv->schemaname) == 0))
			return true;
	}
	return false;
}

void check_enable_rls_without_policy(struct lint_ctx *ctx, const struct lint_rule *rule,
				     const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_stmt(stmt);
	if (!as || as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd || cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_EnableRowSecurity)
			continue;
		if (catalog_object_find(ctx->catalog, CATALOG_OBJECT_POLICY,
					as->relation->schemaname, as->relation->relname) ||
		    (!ctx->nested && policy_in_section(ctx, as->relation)))
			return;
		lint_report(ctx, rule, as->relation->location,
			    "row level security on '%s' with no policy hides every row from "
			    "roles that do not own the table: the app's queries return nothing",
			    lint_rangevar_name(ctx, as->relation));
		return;
	}
}

/* ---- an enum value used in the transaction that added it ---- */

struct literal_search {
	const char *value;
	bool found;
};

static void literal_visit(ProtobufCMessage *msg, void *arg)
{
	struct literal_search *ls = arg;
	if (ls->found || msg->descriptor != &pg_query__a__const__descriptor)
		return;
	const PgQuery__AConst *c = (const PgQuery__AConst *)msg;
	if (c->val_case == PG_QUERY__A__CONST__VAL_SVAL && c->sval && c->sval->sval &&
	    strcmp(c->sval->sval, ls->value) == 0)
		ls->found = true;
}

void check_enum_value_same_transaction(struct lint_ctx *ctx, const struct lint_rule *rule,
				       const PgQuery__Node *stmt)
{
	if (ctx->nested || stmt->node_case == PG_QUERY__NODE__NODE_ALTER_ENUM_STMT)
		return;
	/* the ADD VALUEs of this transaction: after the last COMMIT of the section */
	size_t first = 0;
	for (size_t k = 0; k < ctx->stmt_index; k++)
		if (lint_commits(ctx->section->stmts[k].node))
			first = k + 1;
	for (size_t k = first; k < ctx->stmt_index; k++) {
		const PgQuery__Node *n = ctx->section->stmts[k].node;
		if (n->node_case != PG_QUERY__NODE__NODE_ALTER_ENUM_STMT)
			continue;
		const PgQuery__AlterEnumStmt *es = n->alter_enum_stmt;
		if ((es->old_val && *es->old_val) || !es->new_val || !*es->new_val)
			continue;
		const char *schema, *name;
		ast_qualified_name(es->type_name, es->n_type_name, &schema, &name);
		/* a type created in the same transaction may use its new values */
		const struct catalog_object *o =
		    name ? catalog_object_find(ctx->catalog, CATALOG_OBJECT_TYPE, schema, name)
			 : NULL;
		if (o && o->created_in == ctx->migration->order)
			continue;
		struct literal_search ls = {es->new_val, false};
		ast_visit(&stmt->base, literal_visit, &ls);
		if (!ls.found)
			continue;
		lint_report(
		    ctx, rule, -1,
		    "enum value '%s' of '%s' is used in the transaction that added it at line "
		    "%d: PostgreSQL refuses it until that transaction commits",
		    es->new_val, name ? name : "?", ctx->section->stmts[k].line);
		return;
	}
}
