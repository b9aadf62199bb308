#include <string.h>

#include "lint/rules.h"
#include "sql/ast.h"

/* The name a later statement creates, for a DROP of kind: view, function or index; NULL else. */
static const char *created_name(const PgQuery__Node *n, PgQuery__ObjectType kind,
				const char **ret_schema)
{
	*ret_schema = NULL;
	const char *name = NULL;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		if (kind == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW && n->view_stmt->view) {
			*ret_schema = n->view_stmt->view->schemaname;
			name = n->view_stmt->view->relname;
		}
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
		const PgQuery__CreateTableAsStmt *cs = n->create_table_as_stmt;
		if (kind == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW &&
		    cs->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW && cs->into &&
		    cs->into->rel) {
			*ret_schema = cs->into->rel->schemaname;
			name = cs->into->rel->relname;
		}
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT: {
		const PgQuery__CreateFunctionStmt *fs = n->create_function_stmt;
		if ((kind == PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION && !fs->is_procedure) ||
		    (kind == PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE && fs->is_procedure))
			ast_qualified_name(fs->funcname, fs->n_funcname, ret_schema, &name);
		break;
	}
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		if (kind == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX) {
			name = n->index_stmt->idxname;
			if (n->index_stmt->relation)
				*ret_schema = n->index_stmt->relation->schemaname;
		}
		break;
	default:
		break;
	}
	return name && *name ? name : NULL;
}

static bool same_schema(const char *a, const char *b)
{
	return !a || !*a || !b || !*b || strcmp(a, b) == 0;
}

/*
 * DROP and CREATE of the same name later in the same section (one
 * transaction) replace the object: no running query sees it missing.
 */
static bool recreated_later(const struct lint_ctx *ctx, PgQuery__ObjectType kind,
			    const char *schema, const char *name)
{
	if (ctx->nested)
		return false;
	for (size_t k = ctx->stmt_index + 1; k < ctx->section->n_stmts; k++) {
		const char *s2;
		const char *n2 = created_name(ctx->section->stmts[k].node, kind, &s2);
		if (n2 && strcmp(n2, name) == 0 && same_schema(schema, s2))
			return true;
	}
	return false;
}

/*
 * For a function the catalogue has not seen (it predates the migrations):
 * dropped in the same section after a DROP TRIGGER, it is taken for that
 * trigger's function. The catalogue keeps no triggers to tell for sure.
 */
static bool trigger_dropped_before(const struct lint_ctx *ctx)
{
	bool dropped_trigger = false;
	for (size_t k = 0; k < ctx->stmt_index && k < ctx->section->n_stmts; k++) {
		const PgQuery__Node *n = ctx->section->stmts[k].node;
		if (n->node_case == PG_QUERY__NODE__NODE_DROP_STMT &&
		    n->drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER)
			dropped_trigger = true;
	}
	return dropped_trigger;
}

/* Reports every object of a DROP of the given kind that existed before this migration. */
static void drop_of_kind(struct lint_ctx *ctx, const struct lint_rule *rule,
			 const PgQuery__Node *stmt, PgQuery__ObjectType kind, const char *what,
			 enum catalog_object_kind object_kind, bool is_object)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_DROP_STMT)
		return;
	const PgQuery__DropStmt *ds = stmt->drop_stmt;
	if (ds->remove_type != kind)
		return;
	for (size_t i = 0; i < ds->n_objects; i++) {
		const char *schema, *name;
		ast_object_name(ds->objects[i], &schema, &name);
		if (!name)
			continue;
		int created_in = -1;
		if (kind == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
			const struct catalog_table *t =
			    catalog_table_find(ctx->catalog, schema, name);
			created_in = t ? t->created_in : -1;
		} else if (kind == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX) {
			const struct catalog_index *ix =
			    catalog_index_find(ctx->catalog, schema, name);
			created_in = ix ? ix->created_in : -1;
		} else if (is_object) {
			const struct catalog_object *o =
			    catalog_object_find(ctx->catalog, object_kind, schema, name);
			created_in = o ? o->created_in : -1;
		}
		if (created_in == ctx->migration->order)
			continue;
		if ((kind == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW ||
		     kind == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW ||
		     kind == PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION ||
		     kind == PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE ||
		     kind == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX) &&
		    recreated_later(ctx, kind, schema, name))
			continue;
		/* only triggers call a trigger function, and PostgreSQL refuses to drop it
		 * while one does (without CASCADE): no app query can break */
		if (kind == PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION &&
		    ds->behavior != PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
			const struct catalog_object *fn = catalog_object_find(
			    ctx->catalog, CATALOG_OBJECT_FUNCTION, schema, name);
			if ((fn && fn->returns_trigger) || (!fn && trigger_dropped_before(ctx)))
				continue;
		}
		lint_report(ctx, rule, -1,
			    "dropping %s '%s%s%s' breaks app versions still using it", what,
			    schema ? schema : "", schema ? "." : "", name);
	}
}

void check_drop_table(struct lint_ctx *ctx, const struct lint_rule *rule, const PgQuery__Node *stmt)
{
	drop_of_kind(ctx, rule, stmt, PG_QUERY__OBJECT_TYPE__OBJECT_TABLE, "table", 0, false);
}

void check_drop_schema(struct lint_ctx *ctx, const struct lint_rule *rule,
		       const PgQuery__Node *stmt)
{
	drop_of_kind(ctx, rule, stmt, PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA, "schema",
		     CATALOG_OBJECT_SCHEMA, true);
}

void check_drop_view(struct lint_ctx *ctx, const struct lint_rule *rule, const PgQuery__Node *stmt)
{
	drop_of_kind(ctx, rule, stmt, PG_QUERY__OBJECT_TYPE__OBJECT_VIEW, "view",
		     CATALOG_OBJECT_VIEW, true);
	drop_of_kind(ctx, rule, stmt, PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW, "materialized view",
		     CATALOG_OBJECT_VIEW, true);
}

void check_drop_function(struct lint_ctx *ctx, const struct lint_rule *rule,
			 const PgQuery__Node *stmt)
{
	drop_of_kind(ctx, rule, stmt, PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION, "function",
		     CATALOG_OBJECT_FUNCTION, true);
	drop_of_kind(ctx, rule, stmt, PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE, "procedure",
		     CATALOG_OBJECT_FUNCTION, true);
}

void check_drop_type(struct lint_ctx *ctx, const struct lint_rule *rule, const PgQuery__Node *stmt)
{
	drop_of_kind(ctx, rule, stmt, PG_QUERY__OBJECT_TYPE__OBJECT_TYPE, "type",
		     CATALOG_OBJECT_TYPE, true);
	/* a domain is a type to the columns that use it */
	drop_of_kind(ctx, rule, stmt, PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN, "domain",
		     CATALOG_OBJECT_TYPE, true);
}

void check_drop_index(struct lint_ctx *ctx, const struct lint_rule *rule, const PgQuery__Node *stmt)
{
	drop_of_kind(ctx, rule, stmt, PG_QUERY__OBJECT_TYPE__OBJECT_INDEX, "index", 0, false);
}

void check_drop_database(struct lint_ctx *ctx, const struct lint_rule *rule,
			 const PgQuery__Node *stmt)
{
	if (stmt->node_case == PG_QUERY__NODE__NODE_DROPDB_STMT)
		lint_report(ctx, rule, -1, "dropping database '%s' in a migration",
			    stmt->dropdb_stmt->dbname);
}

void check_drop_column(struct lint_ctx *ctx, const struct lint_rule *rule,
		       const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return;
	const PgQuery__AlterTableStmt *as = stmt->alter_table_stmt;
	const struct catalog_table *t = NULL;
	bool looked_up = false;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd || cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn)
			continue;
		/* the table only matters once a column is dropped: most ALTERs drop none */
		if (!looked_up) {
			if (lint_table_is_new(ctx, as->relation))
				return;
			t = catalog_table_find_rangevar(ctx->catalog, as->relation);
			looked_up = true;
		}
		const struct catalog_column *c = catalog_column_find(t, cmd->name);
		if (c && c->created_in == ctx->migration->order)
			continue;
		lint_report(ctx, rule, -1,
			    "dropping column '%s' of '%s' breaks app versions still reading it",
			    cmd->name, lint_rangevar_name(ctx, as->relation));
	}
}

void check_truncate(struct lint_ctx *ctx, const struct lint_rule *rule, const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_TRUNCATE_STMT)
		return;
	const PgQuery__TruncateStmt *ts = stmt->truncate_stmt;
	for (size_t i = 0; i < ts->n_relations; i++) {
		const PgQuery__Node *r = ts->relations[i];
		if (r->node_case != PG_QUERY__NODE__NODE_RANGE_VAR ||
		    lint_table_is_new(ctx, r->range_var))
			continue;
		lint_report(ctx, rule, r->range_var->location, "truncating '%s' deletes every row",
			    lint_rangevar_name(ctx, r->range_var));
	}
}
