/*
 * Which intents of one migration the planner cannot plan together: it plans
 * all of them against the catalogue as it is before the migration runs, so
 * two changes of one column (or a foreign key to a column next to the
 * column's change, or a change of a table under its new name) would not see
 * each other. And which statements the planner takes at all. Static: lint
 * asks the same questions (planned, planner-conflict), so they live in lint/,
 * which plan/ includes (lint/plannable.h).
 */
#include "lint/plannable.h"

#include <string.h>

#include "lint/rules.h"
#include "sql/ast.h"

const PgQuery__AlterTableCmd *plan_single_cmd(const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return NULL;
	const PgQuery__AlterTableStmt *as = stmt->alter_table_stmt;
	if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || as->n_cmds != 1 || !as->relation)
		return NULL;
	return ast_alter_cmd(as->cmds[0]);
}

static bool constraint_planned(const PgQuery__Constraint *k)
{
	if (!k)
		return false;
	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		return !k->skip_validation;
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		/* USING INDEX is already the safe form; expressions/INCLUDE are kept simple */
		return !(k->indexname && *k->indexname) && k->n_keys > 0 && !k->n_including &&
		       !k->where_clause;
	default:
		return false;
	}
}

const PgQuery__ColumnDef *plan_cmd_column_def(const PgQuery__AlterTableCmd *cmd)
{
	return cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF
		   ? cmd->def->column_def
		   : NULL;
}

bool planner_handles(const PgQuery__Node *stmt)
{
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return !stmt->index_stmt->concurrent && stmt->index_stmt->relation;
	case PG_QUERY__NODE__NODE_RENAME_STMT: {
		const PgQuery__RenameStmt *rs = stmt->rename_stmt;
		if (!rs->relation || rs->missing_ok)
			return false;
		if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN)
			return rs->relation_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE;
		return rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE;
	}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
		const PgQuery__AlterTableCmd *cmd = plan_single_cmd(stmt);
		if (!cmd)
			return false;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
			return constraint_planned(ast_constraint(cmd->def));
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
			return true;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			return plan_cmd_column_def(cmd) != NULL;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn: {
			const PgQuery__ColumnDef *cd = plan_cmd_column_def(cmd);
			return cd && !cmd->missing_ok && lint_column_default_is_volatile(cd);
		}
		default:
			return false;
		}
	}
	default:
		return false;
	}
}

const PgQuery__RangeVar *planner_target(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return n->index_stmt->relation;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return n->alter_table_stmt->relation;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		return n->rename_stmt->relation;
	default:
		return NULL;
	}
}

/* An unqualified name is taken to be in public, the schema migrations work in. */
static const char *schema_of(const PgQuery__RangeVar *rv)
{
	return rv->schemaname && *rv->schemaname ? rv->schemaname : "public";
}

static bool same_relation(const PgQuery__RangeVar *x, const PgQuery__RangeVar *y)
{
	return x && y && x->relname && y->relname && strcmp(x->relname, y->relname) == 0 &&
	       strcmp(schema_of(x), schema_of(y)) == 0;
}

/* The column a statement renames (*ret_new: its new name) or retypes, or NULL. */
static const char *changed_column(const PgQuery__Node *n, const char **ret_new)
{
	*ret_new = NULL;
	if (n->node_case == PG_QUERY__NODE__NODE_RENAME_STMT &&
	    n->rename_stmt->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN) {
		*ret_new = n->rename_stmt->newname;
		return n->rename_stmt->subname;
	}
	const PgQuery__AlterTableCmd *cmd = plan_single_cmd(n);
	if (cmd && cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType)
		return cmd->name;
	return NULL;
}

/* Does the statement name column col: in an expression, a key, an action or a rename? */
static bool touches_column(const PgQuery__Node *n, const char *col)
{
	if (!col)
		return false;
	if (ast_mentions_column(n, col))
		return true;
	if (n->node_case == PG_QUERY__NODE__NODE_RENAME_STMT)
		return n->rename_stmt->subname && strcmp(n->rename_stmt->subname, col) == 0;
	if (n->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		for (size_t i = 0; i < n->alter_table_stmt->n_cmds; i++) {
			const PgQuery__AlterTableCmd *cmd =
			    ast_alter_cmd(n->alter_table_stmt->cmds[i]);
			if (cmd && cmd->name && strcmp(cmd->name, col) == 0)
				return true;
		}
	return false;
}

static bool renames_table(const PgQuery__Node *n)
{
	return n->node_case == PG_QUERY__NODE__NODE_RENAME_STMT &&
	       n->rename_stmt->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE;
}

struct fk_search {
	const PgQuery__RangeVar *table;
	const char *col;
	bool found;
};

static void find_reference(ProtobufCMessage *msg, void *ctx)
{
	struct fk_search *fs = ctx;
	if (msg->descriptor != &pg_query__constraint__descriptor)
		return;
	const PgQuery__Constraint *k = (PgQuery__Constraint *)msg;
	if (k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN ||
	    !same_relation(k->pktable, fs->table))
		return;
	/* no column list: the referenced table's primary key, which may be col */
	bool names = k->n_pk_attrs == 0;
	for (size_t i = 0; i < k->n_pk_attrs; i++)
		names |=
		    ast_string(k->pk_attrs[i]) && strcmp(ast_string(k->pk_attrs[i]), fs->col) == 0;
	fs->found |= names;
}

/* Does the statement make a foreign key that references col of table? */
static bool references_column(const PgQuery__Node *n, const PgQuery__RangeVar *table,
			      const char *col)
{
	struct fk_search fs = {table, col, false};
	ast_visit((const ProtobufCMessage *)&n->base, find_reference, &fs);
	return fs.found;
}

bool planner_conflict(const struct sql_stmt *stmts, size_t at, size_t *ret_earlier,
		      const PgQuery__RangeVar **ret_table, const char **ret_column)
{
	const PgQuery__Node *st = stmts[at].node;
	const PgQuery__RangeVar *rv = planner_target(st);
	*ret_table = rv;
	const char *st_new, *st_col = changed_column(st, &st_new);
	for (size_t i = 0; rv && i < at; i++) {
		const PgQuery__Node *e = stmts[i].node;
		*ret_earlier = i;
		*ret_column = NULL;
		/* the table under its new name is a view until contract */
		if (renames_table(e) && e->rename_stmt->newname &&
		    strcmp(e->rename_stmt->newname, rv->relname) == 0 &&
		    strcmp(schema_of(e->rename_stmt->relation), schema_of(rv)) == 0)
			return true;
		/* a foreign key of another table to the changed column: the change's
		 * contract does not know it, and could not drop the old column */
		const char *e_new, *e_col = changed_column(e, &e_new);
		const PgQuery__RangeVar *e_rv = planner_target(e);
		if (st_col && references_column(e, rv, st_col)) {
			*ret_column = st_col;
			return true;
		}
		if (e_col && e_rv && references_column(st, e_rv, e_col)) {
			*ret_column = e_col;
			*ret_table = e_rv;
			return true;
		}
		if (!same_relation(e_rv, rv))
			continue;
		/* after a table rename's contract, a later column change's would run
		 * against the old table name */
		if (renames_table(e) && st_col)
			return true;
		*ret_column = touches_column(st, e_col)			  ? e_col
			      : e_new && st_col && !strcmp(st_col, e_new) ? e_new
			      : touches_column(e, st_col)		  ? st_col
									  : NULL;
		if (*ret_column)
			return true;
	}
	return false;
}
