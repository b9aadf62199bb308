/*
 * Style rules: column types a team may rather not have (off by default,
 * enabled in migrate.conf). They look at every column type a statement
 * declares: CREATE TABLE columns, ADD COLUMN and ALTER COLUMN ... TYPE.
 */
#include <stdint.h>
#include <string.h>

#include "lint/rules.h"
#include "sql/ast.h"

/*
 * Answers how to name the type in a message when it is one the rule objects
 * to, NULL otherwise. name is the built-in type name (grammar keywords such as
 * `integer` arrive as their catalogue names, "int4").
 */
typedef const char *(*style_type_match_fn)(struct arena *a, const char *name,
					   const PgQuery__TypeName *tn);

/* The name of a built-in type: unqualified or in pg_catalog; NULL for user types. */
static const char *style_builtin_name(const PgQuery__TypeName *tn)
{
	if (!tn || tn->n_names == 0 || tn->n_names > 2)
		return NULL;
	const char *schema = tn->n_names == 2 ? ast_string(tn->names[0]) : NULL;
	if (tn->n_names == 2 && (!schema || strcmp(schema, "pg_catalog") != 0))
		return NULL;
	return ast_last_name(tn->names, tn->n_names);
}

static void style_column(struct lint_ctx *ctx, const struct lint_rule *rule,
			 const PgQuery__TypeName *tn, const char *column, const char *table,
			 style_type_match_fn match, const char *why)
{
	const char *name = style_builtin_name(tn);
	if (!name)
		return;
	const char *what = match(ctx->arena, name, tn);
	if (!what)
		return;
	lint_report(ctx, rule, tn->location, "column '%s' of '%s' is %s%s", column ? column : "?",
		    table, what, why);
}

/* Runs match over every column type the statement declares. */
static void style_check_types(struct lint_ctx *ctx, const struct lint_rule *rule,
			      const PgQuery__Node *stmt, style_type_match_fn match, const char *why)
{
	if (stmt->node_case == PG_QUERY__NODE__NODE_CREATE_STMT) {
		const PgQuery__CreateStmt *cs = stmt->create_stmt;
		const char *table = lint_rangevar_name(ctx, cs->relation);
		for (size_t i = 0; i < cs->n_table_elts; i++) {
			const PgQuery__Node *e = cs->table_elts[i];
			if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				style_column(ctx, rule, e->column_def->type_name,
					     e->column_def->colname, table, match, why);
		}
		return;
	}
	if (stmt->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return;
	const PgQuery__AlterTableStmt *as = stmt->alter_table_stmt;
	const char *table = lint_rangevar_name(ctx, as->relation);
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd || !cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			continue;
		const PgQuery__ColumnDef *cd = cmd->def->column_def;
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn)
			style_column(ctx, rule, cd->type_name, cd->colname, table, match, why);
		else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType)
			style_column(ctx, rule, cd->type_name, cmd->name, table, match, why);
	}
}

static bool name_is_one_of(const char *name, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(name, *names) == 0)
			return true;
	return false;
}

/* "(n)" of a type with one integer modifier, "" without one. */
static const char *style_typmod(struct arena *a, const PgQuery__TypeName *tn)
{
	int64_t n;
	if (tn->n_typmods == 1 && ast_const_int(tn->typmods[0], &n))
		return arena_printf(a, "(%lld)", (long long)n);
	return "";
}

static const char *match_small_integer(struct arena *a, const char *name,
				       const PgQuery__TypeName *tn)
{
	(void)a;
	(void)tn;
	if (strcmp(name, "int4") == 0 || strcmp(name, "integer") == 0)
		return "integer";
	if (strcmp(name, "int2") == 0 || strcmp(name, "smallint") == 0)
		return "smallint";
	if (strcmp(name, "serial") == 0 || strcmp(name, "serial4") == 0)
		return "serial";
	if (strcmp(name, "smallserial") == 0 || strcmp(name, "serial2") == 0)
		return "smallserial";
	return NULL;
}

static const char *match_bounded_varchar(struct arena *a, const char *name,
					 const PgQuery__TypeName *tn)
{
	if (strcmp(name, "varchar") != 0 || tn->n_typmods == 0)
		return NULL;
	return arena_printf(a, "varchar%s", style_typmod(a, tn));
}

static const char *match_timestamp(struct arena *a, const char *name, const PgQuery__TypeName *tn)
{
	(void)a;
	(void)tn;
	return strcmp(name, "timestamp") == 0 ? "timestamp without time zone" : NULL;
}

static const char *match_serial(struct arena *a, const char *name, const PgQuery__TypeName *tn)
{
	static const char *const serials[] = {"serial",	     "serial4", "bigserial", "serial8",
					      "smallserial", "serial2", NULL};
	(void)a;
	(void)tn;
	return name_is_one_of(name, serials) ? name : NULL;
}

static const char *match_json(struct arena *a, const char *name, const PgQuery__TypeName *tn)
{
	(void)a;
	(void)tn;
	return strcmp(name, "json") == 0 ? "json" : NULL;
}

/* bpchar is char(n) and character(n); the quoted one-byte "char" is another type */
static const char *match_char(struct arena *a, const char *name, const PgQuery__TypeName *tn)
{
	if (strcmp(name, "bpchar") != 0)
		return NULL;
	return arena_printf(a, "char%s", style_typmod(a, tn));
}

void check_prefer_bigint(struct lint_ctx *ctx, const struct lint_rule *rule,
			 const PgQuery__Node *stmt)
{
	style_check_types(ctx, rule, stmt, match_small_integer, ": it can run out of values");
}

void check_prefer_text(struct lint_ctx *ctx, const struct lint_rule *rule,
		       const PgQuery__Node *stmt)
{
	style_check_types(ctx, rule, stmt, match_bounded_varchar,
			  ": changing the limit later takes a migration");
}

void check_prefer_timestamptz(struct lint_ctx *ctx, const struct lint_rule *rule,
			      const PgQuery__Node *stmt)
{
	style_check_types(ctx, rule, stmt, match_timestamp, ": it does not keep the offset");
}

void check_prefer_identity(struct lint_ctx *ctx, const struct lint_rule *rule,
			   const PgQuery__Node *stmt)
{
	style_check_types(ctx, rule, stmt, match_serial,
			  ": its sequence has ownership and permission quirks");
}

void check_prefer_jsonb(struct lint_ctx *ctx, const struct lint_rule *rule,
			const PgQuery__Node *stmt)
{
	style_check_types(ctx, rule, stmt, match_json,
			  ": it keeps the text as written and indexes poorly");
}

void check_no_char(struct lint_ctx *ctx, const struct lint_rule *rule, const PgQuery__Node *stmt)
{
	style_check_types(ctx, rule, stmt, match_char, ": it pads values with spaces");
}
