#include <string.h>
#include <strings.h>

#include "lint/pg_release.h"
#include "lint/rules.h"
#include "lint/plannable.h"
#include "sql/ast.h"

/*
 * Column changes that break running app versions or lock them out. A table
 * or column created earlier in the same migration is free to change: no
 * running code uses it yet, and it holds no rows worth a lock.
 */

static const PgQuery__AlterTableStmt *alter_table(const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return NULL;
	const PgQuery__AlterTableStmt *as = stmt->alter_table_stmt;
	return as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && as->relation &&
		       as->relation->relname
		   ? as
		   : NULL;
}

static const PgQuery__ColumnDef *column_def(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF ? n->column_def : NULL;
}

/* "users.email" for messages. */
static const char *column_name(struct lint_ctx *ctx, const PgQuery__RangeVar *rv,
			       const char *column)
{
	return arena_printf(ctx->arena, "%s.%s", lint_rangevar_name(ctx, rv),
			    column ? column : "?");
}

/* True when an earlier command of the same ALTER TABLE adds the column. */
static bool added_before(const PgQuery__AlterTableStmt *as, size_t upto, const char *name)
{
	for (size_t i = 0; i < upto; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		const PgQuery__ColumnDef *cd = cmd ? column_def(cmd->def) : NULL;
		if (cmd && cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && cd &&
		    cd->colname && name && strcmp(cd->colname, name) == 0)
			return true;
	}
	return false;
}

/* The column of the altered table as the catalogue knows it before this statement, or NULL. */
static const struct catalog_column *
column_before(const struct lint_ctx *ctx, const PgQuery__AlterTableStmt *as, const char *name)
{
	return catalog_column_find(catalog_table_find_rangevar(ctx->catalog, as->relation), name);
}

/* True when the column was created by this migration, earlier or in this very statement. */
static bool column_is_new(const struct lint_ctx *ctx, const PgQuery__AlterTableStmt *as, size_t i,
			  const char *name)
{
	const struct catalog_column *c = column_before(ctx, as, name);
	return (c && c->created_in == ctx->migration->order) || added_before(as, i, name);
}

/* ---- ADD COLUMN ... NOT NULL ---- */

static bool is_null_constant(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->isnull;
}

static bool type_is_serial(const PgQuery__TypeName *tn)
{
	static const char *const serials[] = {"serial",	 "serial4",	"bigserial",
					      "serial8", "smallserial", "serial2"};
	const char *name = tn ? ast_last_name(tn->names, tn->n_names) : NULL;
	if (!name || tn->n_array_bounds)
		return false;
	for (size_t i = 0; i < sizeof(serials) / sizeof(serials[0]); i++)
		if (strcmp(name, serials[i]) == 0)
			return true;
	return false;
}

/* NOT NULL (or PRIMARY KEY, which implies it) and nothing that fills the column for old inserts. */
static bool column_needs_value(const PgQuery__ColumnDef *cd)
{
	bool not_null = cd->is_not_null;
	bool filled = (cd->raw_default && !is_null_constant(cd->raw_default)) ||
		      (cd->identity && *cd->identity) || (cd->generated && *cd->generated) ||
		      type_is_serial(cd->type_name);
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *k = ast_constraint(cd->constraints[i]);
		if (!k)
			continue;
		switch (k->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
			not_null = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
			/* DEFAULT NULL fills nothing */
			if (!is_null_constant(k->raw_expr))
				filled = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
			filled = true;
			break;
		default:
			break;
		}
	}
	return not_null && !filled;
}

void check_add_column_not_null(struct lint_ctx *ctx, const struct lint_rule *rule,
			       const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_table(stmt);
	if (!as || lint_table_is_new(ctx, as->relation))
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		const PgQuery__ColumnDef *cd = cmd ? column_def(cmd->def) : NULL;
		if (!cd || cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn ||
		    !column_needs_value(cd))
			continue;
		/* ADD COLUMN IF NOT EXISTS of a column that is there does nothing */
		if (cmd->missing_ok && column_before(ctx, as, cd->colname))
			continue;
		lint_report(ctx, rule, cd->location,
			    "column '%s' is added NOT NULL without a default: inserts from running "
			    "app versions that do not set it fail, and so does the statement on a "
			    "table with rows",
			    column_name(ctx, as->relation, cd->colname));
	}
}

/* ---- SET NOT NULL / DROP NOT NULL ---- */

/*
 * Release-dependent behaviour, by name, so it can be looked up in one table of
 * PostgreSQL releases later.
 */

/* PostgreSQL 12+: SET NOT NULL skips its scan when a validated CHECK (col IS NOT NULL) proves it.
 */
static bool release_set_not_null_uses_check(int pg_version)
{
	return pg_release_has(pg_version, PG_FEATURE_NOT_NULL_FROM_CHECK);
}

/* PostgreSQL 12+: timestamp -> timestamptz needs no rewrite when the session's TimeZone is UTC. */
static bool release_timestamptz_utc_no_rewrite(int pg_version)
{
	return pg_release_has(pg_version, PG_FEATURE_TIMESTAMPTZ_UTC);
}

/* The statement adds or validates constraint name. */
static bool adds_or_validates(const PgQuery__Node *n, const char *name)
{
	if (n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return false;
	const PgQuery__AlterTableStmt *as = n->alter_table_stmt;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd)
			continue;
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint &&
		    cmd->name && strcmp(cmd->name, name) == 0)
			return true;
		const PgQuery__Constraint *k = ast_constraint(cmd->def);
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && k &&
		    k->conname && strcmp(k->conname, name) == 0)
			return true;
	}
	return false;
}

/*
 * True when the constraint was added and validated in a transaction that has
 * committed before this statement: an earlier migration or section, or before
 * a COMMIT of this section (a file that runs its own transactions).
 */
static bool check_from_earlier_transaction(const struct lint_ctx *ctx,
					   const struct catalog_constraint *k)
{
	if (ctx->nested)
		return k->created_in != ctx->migration->order ||
		       k->created_section != (int)ctx->section->section;
	for (size_t i = ctx->stmt_index; i-- > 0;) {
		const PgQuery__Node *n = ctx->section->stmts[i].node;
		if (lint_commits(n))
			return true;
		if (adds_or_validates(n, k->name))
			return false;
	}
	return true;
}

/*
 * A column added to an existing table earlier in this migration holds a row
 * for every row of the table: SET NOT NULL still scans it under the lock and
 * fails old inserts, and a type change still rewrites it. Only a new table is
 * exempt there.
 */
void check_set_not_null(struct lint_ctx *ctx, const struct lint_rule *rule,
			const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_table(stmt);
	if (!as || lint_table_is_new(ctx, as->relation))
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd || cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull)
			continue;
		/* already NOT NULL: PostgreSQL neither scans nor changes anything */
		const struct catalog_column *c = column_before(ctx, as, cmd->name);
		if (c && c->not_null && !added_before(as, i, cmd->name))
			continue;
		/* a validated CHECK (col IS NOT NULL) from an earlier transaction proves it: no
		 * scan, and old inserts of NULL fail already */
		if (release_set_not_null_uses_check(ctx->opts->pg_version)) {
			const struct catalog_constraint *k = catalog_not_null_check_find(
			    ctx->catalog, catalog_table_find_rangevar(ctx->catalog, as->relation),
			    cmd->name);
			if (k && check_from_earlier_transaction(ctx, k))
				continue;
		}
		/* the command carries no location of its own: point at the statement */
		lint_report(ctx, rule, -1,
			    "setting '%s' NOT NULL scans the table under an ACCESS EXCLUSIVE lock "
			    "and fails inserts of NULL from running app versions",
			    column_name(ctx, as->relation, cmd->name));
	}
}

void check_drop_not_null(struct lint_ctx *ctx, const struct lint_rule *rule,
			 const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_table(stmt);
	if (!as || lint_table_is_new(ctx, as->relation))
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd || cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull ||
		    column_is_new(ctx, as, i, cmd->name))
			continue;
		/* already nullable: nothing changes for readers */
		const struct catalog_column *c = column_before(ctx, as, cmd->name);
		if (c && !c->not_null)
			continue;
		lint_report(ctx, rule, -1,
			    "dropping NOT NULL on '%s' lets in NULLs that running app versions may "
			    "not expect",
			    column_name(ctx, as->relation, cmd->name));
	}
}

/* ---- ALTER COLUMN TYPE ---- */

/* USING col, the column itself (perhaps cast to the new type's name): no expression per row. */
static bool using_is_column(const PgQuery__Node *e, const char *column)
{
	if (e && e->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && column &&
	    e->column_ref->n_fields == 1) {
		const char *name = ast_string(e->column_ref->fields[0]);
		return name && strcmp(name, column) == 0;
	}
	return false;
}

static bool is_timestamp_to_timestamptz(const struct catalog_type *old_type,
					const struct catalog_type *new_type)
{
	return old_type->name && new_type->name && !old_type->array_dims && !new_type->array_dims &&
	       strcmp(old_type->name, "timestamp") == 0 &&
	       strcmp(new_type->name, "timestamptz") == 0;
}

static bool time_zone_is_utc(const char *tz)
{
	static const char *const utc[] = {"utc",       "etc/utc",      "gmt", "etc/gmt",
					  "z",	       "zulu",	       "uct", "etc/uct",
					  "universal", "etc/universal"};
	for (size_t i = 0; tz && i < sizeof(utc) / sizeof(utc[0]); i++)
		if (strcasecmp(tz, utc[i]) == 0)
			return true;
	return false;
}

/* True when the last SET timezone / SET TIME ZONE before this statement, in this section's
 * transaction, names UTC. */
static bool session_time_zone_is_utc(const struct lint_ctx *ctx)
{
	for (size_t k = ctx->stmt_index; k-- > 0;) {
		const PgQuery__Node *n = ctx->section->stmts[k].node;
		if (n->node_case != PG_QUERY__NODE__NODE_VARIABLE_SET_STMT)
			continue;
		const PgQuery__VariableSetStmt *vs = n->variable_set_stmt;
		if (!vs->name || strcmp(vs->name, "timezone") != 0)
			continue;
		if (vs->kind != PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE || vs->n_args != 1 ||
		    vs->args[0]->node_case != PG_QUERY__NODE__NODE_A_CONST ||
		    vs->args[0]->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL)
			return false;
		return time_zone_is_utc(vs->args[0]->a_const->sval->sval);
	}
	return false;
}

void check_change_column_type(struct lint_ctx *ctx, const struct lint_rule *rule,
			      const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_table(stmt);
	if (!as || lint_table_is_new(ctx, as->relation))
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		const PgQuery__ColumnDef *cd = cmd ? column_def(cmd->def) : NULL;
		if (!cd || cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType)
			continue;
		const char *column = column_name(ctx, as->relation, cmd->name);
		struct catalog_type new_type;
		catalog_type_from_typename(ctx->arena, cd->type_name, &new_type);
		const char *new_name = catalog_type_format(ctx->arena, &new_type);
		/* in ALTER COLUMN TYPE the ColumnDef sits at the column name */
		int location = cd->location;

		/* the USING expression is evaluated for every row; USING col itself is the
		 * plain conversion */
		if (cd->raw_default && !using_is_column(cd->raw_default, cmd->name)) {
			lint_report(ctx, rule, location,
				    "changing the type of '%s' to %s with USING rewrites the table "
				    "under an ACCESS EXCLUSIVE lock",
				    column, new_name);
			continue;
		}
		const struct catalog_column *c = column_before(ctx, as, cmd->name);
		if (!c || !c->type.name || !*c->type.name) {
			lint_report(
			    ctx, rule, location,
			    "changing the type of '%s' to %s: its old type is unknown to the "
			    "migrations, so the change may rewrite the table and break "
			    "readers",
			    column, new_name);
			continue;
		}
		const char *old_name = catalog_type_format(ctx->arena, &c->type);
		if (is_timestamp_to_timestamptz(&c->type, &new_type) &&
		    release_timestamptz_utc_no_rewrite(ctx->opts->pg_version) &&
		    session_time_zone_is_utc(ctx))
			continue;
		if (!catalog_type_change_is_safe(&c->type, &new_type)) {
			lint_report(
			    ctx, rule, location,
			    "changing '%s' from %s to %s rewrites the table under an ACCESS "
			    "EXCLUSIVE lock and breaks readers that expect %s",
			    column, old_name, new_name, old_name);
			continue;
		}
		/* same type: a new collation still rebuilds every index on the column */
		if (cd->coll_clause)
			lint_report(ctx, rule, location,
				    "changing the collation of '%s' rebuilds its indexes under an "
				    "ACCESS EXCLUSIVE lock and changes how it sorts",
				    column);
	}
}

/* ---- ADD UNIQUE / ADD PRIMARY KEY ---- */

/* "(a, b)" from a key list; colname for a column constraint. */
static const char *key_list(struct lint_ctx *ctx, const PgQuery__Constraint *k, const char *colname)
{
	if (colname)
		return arena_printf(ctx->arena, "(%s)", colname);
	const char *s = NULL;
	for (size_t i = 0; i < k->n_keys; i++) {
		const char *key = ast_string(k->keys[i]);
		if (!key)
			continue;
		s = s ? arena_printf(ctx->arena, "%s, %s", s, key) : key;
	}
	return arena_printf(ctx->arena, "(%s)", s ? s : "");
}

typedef void (*index_constraint_report_fn)(struct lint_ctx *ctx, const struct lint_rule *rule,
					   const PgQuery__RangeVar *rv,
					   const PgQuery__Constraint *k, const char *colname);

/*
 * Calls report for every constraint of type contype that builds its own index
 * on an existing table: ADD CONSTRAINT, and column constraints of ADD COLUMN.
 * USING INDEX takes over an index built beforehand (CONCURRENTLY) and is safe.
 */
static void index_constraints(struct lint_ctx *ctx, const struct lint_rule *rule,
			      const PgQuery__Node *stmt, PgQuery__ConstrType contype,
			      index_constraint_report_fn report)
{
	const PgQuery__AlterTableStmt *as = alter_table(stmt);
	if (!as || lint_table_is_new(ctx, as->relation))
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd)
			continue;
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint) {
			const PgQuery__Constraint *k = ast_constraint(cmd->def);
			if (k && k->contype == contype && !(k->indexname && *k->indexname))
				report(ctx, rule, as->relation, k, NULL);
		} else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn) {
			const PgQuery__ColumnDef *cd = column_def(cmd->def);
			for (size_t j = 0; cd && j < cd->n_constraints; j++) {
				const PgQuery__Constraint *k = ast_constraint(cd->constraints[j]);
				if (k && k->contype == contype)
					report(ctx, rule, as->relation, k, cd->colname);
			}
		}
	}
}

static const char *constraint_label(struct lint_ctx *ctx, const char *kind,
				    const PgQuery__Constraint *k)
{
	if (k->conname && *k->conname)
		return arena_printf(ctx->arena, "%s '%s'", kind, k->conname);
	return kind;
}

static void report_unique(struct lint_ctx *ctx, const struct lint_rule *rule,
			  const PgQuery__RangeVar *rv, const PgQuery__Constraint *k,
			  const char *colname)
{
	lint_report(ctx, rule, k->location,
		    "adding %s on '%s' %s builds its index under an ACCESS EXCLUSIVE lock that "
		    "blocks reads and writes",
		    constraint_label(ctx, "unique constraint", k), lint_rangevar_name(ctx, rv),
		    key_list(ctx, k, colname));
}

static void report_primary_key(struct lint_ctx *ctx, const struct lint_rule *rule,
			       const PgQuery__RangeVar *rv, const PgQuery__Constraint *k,
			       const char *colname)
{
	lint_report(ctx, rule, k->location,
		    "adding %s on '%s' %s builds its index and checks NOT NULL under an ACCESS "
		    "EXCLUSIVE lock that blocks reads and writes",
		    constraint_label(ctx, "primary key", k), lint_rangevar_name(ctx, rv),
		    key_list(ctx, k, colname));
}

void check_add_unique_constraint(struct lint_ctx *ctx, const struct lint_rule *rule,
				 const PgQuery__Node *stmt)
{
	index_constraints(ctx, rule, stmt, PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE, report_unique);
}

void check_add_primary_key(struct lint_ctx *ctx, const struct lint_rule *rule,
			   const PgQuery__Node *stmt)
{
	index_constraints(ctx, rule, stmt, PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY,
			  report_primary_key);
}

/*
 * The planner plans all of a migration's expand against the table as it was
 * before it runs: a rename or type change of a column and another change of
 * the same column (or a column change after its table's rename) do not see
 * each other, and `migrate up` refuses the pair. Said here first.
 */
void check_planner_conflict(struct lint_ctx *ctx, const struct lint_rule *rule,
			    const PgQuery__Node *stmt)
{
	size_t earlier;
	const char *col;
	const PgQuery__RangeVar *table;
	if (ctx->nested || ctx->opts->raw || ctx->section->section != SECTION_EXPAND ||
	    !planner_handles(stmt) ||
	    !planner_conflict(ctx->section->stmts, ctx->stmt_index, &earlier, &table, &col))
		return;
	const PgQuery__RangeVar *rv = planner_target(stmt);
	if (lint_table_is_new(ctx, rv))
		return;
	int line = ctx->section->stmts[earlier].line;
	if (col)
		lint_report(ctx, rule, -1,
			    "column %s is changed here and at line %d: planned together, one "
			    "would undo or lose the other at contract",
			    column_name(ctx, table, col), line);
	else
		lint_report(ctx, rule, -1,
			    "'%s' is changed after the table's rename at line %d: until contract "
			    "the new name is a view, and contract would run the change against "
			    "the old one",
			    lint_rangevar_name(ctx, rv), line);
}
