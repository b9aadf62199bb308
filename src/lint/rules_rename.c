#include "lint/rules.h"
#include "sql/ast.h"

/*
 * A rename takes the old name away at once, while app versions that still
 * use it keep running. Objects created earlier in the same migration are
 * free to rename: no running code knows them yet.
 */

static const PgQuery__RenameStmt *rename_stmt(const PgQuery__Node *stmt)
{
	return stmt->node_case == PG_QUERY__NODE__NODE_RENAME_STMT ? stmt->rename_stmt : NULL;
}

static bool created_here(const struct lint_ctx *ctx, int created_in)
{
	return created_in == ctx->migration->order;
}

static bool object_is_new(const struct lint_ctx *ctx, enum catalog_object_kind kind,
			  const char *schema, const char *name)
{
	const struct catalog_object *o = catalog_object_find(ctx->catalog, kind, schema, name);
	return o && created_here(ctx, o->created_in);
}

/* ALTER TABLE ... RENAME TO also renames a view; the catalogue knows which it is. */
static bool rangevar_is_view(const struct lint_ctx *ctx, const PgQuery__RangeVar *rv)
{
	return rv && rv->relname && !catalog_table_find_rangevar(ctx->catalog, rv) &&
	       catalog_object_find(ctx->catalog, CATALOG_OBJECT_VIEW, rv->schemaname, rv->relname);
}

static const char *qualified(struct lint_ctx *ctx, const char *schema, const char *name)
{
	if (schema && *schema)
		return arena_printf(ctx->arena, "%s.%s", schema, name);
	return name;
}

void check_rename_table(struct lint_ctx *ctx, const struct lint_rule *rule,
			const PgQuery__Node *stmt)
{
	const PgQuery__RenameStmt *rs = rename_stmt(stmt);
	if (!rs || rs->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || !rs->relation ||
	    rangevar_is_view(ctx, rs->relation) || lint_table_is_new(ctx, rs->relation))
		return;
	lint_report(ctx, rule, rs->relation->location,
		    "renaming table '%s' to '%s' breaks every query of running app versions "
		    "that uses the old name",
		    lint_rangevar_name(ctx, rs->relation), rs->newname);
}

void check_rename_view(struct lint_ctx *ctx, const struct lint_rule *rule,
		       const PgQuery__Node *stmt)
{
	const PgQuery__RenameStmt *rs = rename_stmt(stmt);
	if (!rs || !rs->relation || !rs->relation->relname)
		return;
	const char *what;
	switch (rs->rename_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		what = "view";
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		what = "materialized view";
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		if (!rangevar_is_view(ctx, rs->relation))
			return;
		what = "view";
		break;
	default:
		return;
	}
	if (object_is_new(ctx, CATALOG_OBJECT_VIEW, rs->relation->schemaname,
			  rs->relation->relname))
		return;
	lint_report(ctx, rule, rs->relation->location,
		    "renaming %s '%s' to '%s' breaks every query of running app versions that "
		    "uses the old name",
		    what, lint_rangevar_name(ctx, rs->relation), rs->newname);
}

void check_rename_column(struct lint_ctx *ctx, const struct lint_rule *rule,
			 const PgQuery__Node *stmt)
{
	const PgQuery__RenameStmt *rs = rename_stmt(stmt);
	if (!rs || rs->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN || !rs->relation ||
	    !rs->relation->relname || !rs->subname)
		return;
	const PgQuery__RangeVar *rv = rs->relation;
	if (rs->relation_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		if (lint_table_is_new(ctx, rv))
			return;
		const struct catalog_column *c =
		    catalog_column_find(catalog_table_find_rangevar(ctx->catalog, rv), rs->subname);
		if (c && created_here(ctx, c->created_in))
			return;
	} else if (object_is_new(ctx, CATALOG_OBJECT_VIEW, rv->schemaname, rv->relname)) {
		return;
	}
	/* the statement names no column node: point at the statement */
	lint_report(ctx, rule, -1,
		    "renaming column '%s.%s' to '%s' breaks every query of running app versions "
		    "that uses the old name",
		    lint_rangevar_name(ctx, rv), rs->subname, rs->newname);
}

void check_rename_schema(struct lint_ctx *ctx, const struct lint_rule *rule,
			 const PgQuery__Node *stmt)
{
	const PgQuery__RenameStmt *rs = rename_stmt(stmt);
	if (!rs || rs->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA || !rs->subname ||
	    object_is_new(ctx, CATALOG_OBJECT_SCHEMA, NULL, rs->subname))
		return;
	lint_report(ctx, rule, -1,
		    "renaming schema '%s' to '%s' breaks every name qualified with it in running "
		    "app versions",
		    rs->subname, rs->newname);
}

void check_rename_enum_value(struct lint_ctx *ctx, const struct lint_rule *rule,
			     const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_ALTER_ENUM_STMT)
		return;
	const PgQuery__AlterEnumStmt *es = stmt->alter_enum_stmt;
	if (!es->old_val || !*es->old_val)
		return; /* ADD VALUE: only adds */
	const char *schema, *name;
	ast_qualified_name(es->type_name, es->n_type_name, &schema, &name);
	if (!name || object_is_new(ctx, CATALOG_OBJECT_TYPE, schema, name))
		return;
	lint_report(ctx, rule, -1,
		    "renaming value '%s' of enum '%s' to '%s' breaks running app versions and "
		    "queries that still use the old label",
		    es->old_val, qualified(ctx, schema, name), es->new_val ? es->new_val : "");
}

void check_rename_constraint(struct lint_ctx *ctx, const struct lint_rule *rule,
			     const PgQuery__Node *stmt)
{
	const PgQuery__RenameStmt *rs = rename_stmt(stmt);
	if (!rs || !rs->subname)
		return;
	if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT) {
		const PgQuery__RangeVar *rv = rs->relation;
		if (!rv || !rv->relname || lint_table_is_new(ctx, rv))
			return;
		const struct catalog_table *t = catalog_table_find_rangevar(ctx->catalog, rv);
		const struct catalog_constraint *c =
		    t ? catalog_constraint_find(ctx->catalog, t->schema, t->name, rs->subname)
		      : NULL;
		if (c && created_here(ctx, c->created_in))
			return;
		/* only ON CONFLICT ON CONSTRAINT names a constraint in a query, and it takes
		 * no foreign key (nor a check) */
		if (c &&
		    (c->kind == CATALOG_CONSTRAINT_FOREIGN || c->kind == CATALOG_CONSTRAINT_CHECK))
			return;
		lint_report(ctx, rule, -1,
			    "renaming constraint '%s' of '%s' to '%s' breaks code of running app "
			    "versions that names it",
			    rs->subname, lint_rangevar_name(ctx, rv), rs->newname);
	} else if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_DOMCONSTRAINT) {
		const char *schema, *name;
		ast_object_name(rs->object, &schema, &name);
		if (!name || object_is_new(ctx, CATALOG_OBJECT_TYPE, schema, name))
			return;
		lint_report(
		    ctx, rule, -1,
		    "renaming constraint '%s' of domain '%s' to '%s' breaks code of running "
		    "app versions that names it",
		    rs->subname, qualified(ctx, schema, name), rs->newname);
	}
}

void check_rename_type(struct lint_ctx *ctx, const struct lint_rule *rule,
		       const PgQuery__Node *stmt)
{
	const PgQuery__RenameStmt *rs = rename_stmt(stmt);
	if (!rs || (rs->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_TYPE &&
		    rs->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN))
		return;
	const char *schema, *name;
	ast_object_name(rs->object, &schema, &name);
	if (!name || object_is_new(ctx, CATALOG_OBJECT_TYPE, schema, name))
		return;
	lint_report(ctx, rule, -1,
		    "renaming %s '%s' to '%s' breaks every cast and declaration of running app "
		    "versions that names it",
		    rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN ? "domain" : "type",
		    qualified(ctx, schema, name), rs->newname);
}

void check_set_schema(struct lint_ctx *ctx, const struct lint_rule *rule, const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT)
		return;
	const PgQuery__AlterObjectSchemaStmt *os = stmt->alter_object_schema_stmt;
	const char *what = NULL, *schema = NULL, *name = NULL;
	bool is_new = false;
	switch (os->object_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		if (!os->relation || !os->relation->relname)
			return;
		what = os->object_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE	   ? "table"
		       : os->object_type == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE ? "sequence"
										   : "view";
		schema = os->relation->schemaname;
		name = os->relation->relname;
		is_new = lint_table_is_new(ctx, os->relation) ||
			 object_is_new(ctx, CATALOG_OBJECT_VIEW, schema, name) ||
			 object_is_new(ctx, CATALOG_OBJECT_SEQUENCE, schema, name);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
		what = "type";
		ast_object_name(os->object, &schema, &name);
		is_new = name && object_is_new(ctx, CATALOG_OBJECT_TYPE, schema, name);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
		what = "function";
		ast_object_name(os->object, &schema, &name);
		is_new = name && object_is_new(ctx, CATALOG_OBJECT_FUNCTION, schema, name);
		break;
	default:
		return;
	}
	if (!name || is_new)
		return;
	lint_report(ctx, rule, -1,
		    "moving %s '%s' to schema '%s' breaks every name of running app versions that "
		    "qualifies it with the old schema",
		    what, qualified(ctx, schema, name), os->newschema ? os->newschema : "?");
}
