/*
 * The zero-downtime planner for PostgreSQL (DESIGN.md, Planner). Each intent
 * becomes units of plain SQL; the runner executes them (statement by
 * statement when they must not share a transaction) and the inverse builder
 * derives their undo like any other statement's.
 */
#include "plan/planner.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lint/rules.h"
#include "plan/inverse.h"
#include "sql/ast.h"

/* ---- what the planner takes ---- */

static const PgQuery__AlterTableCmd *single_cmd(const PgQuery__Node *stmt)
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

static const PgQuery__ColumnDef *cmd_column_def(const PgQuery__AlterTableCmd *cmd)
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
		const PgQuery__AlterTableCmd *cmd = single_cmd(stmt);
		if (!cmd)
			return false;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
			return constraint_planned(ast_constraint(cmd->def));
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
			return true;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			return cmd_column_def(cmd) != NULL;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn: {
			const PgQuery__ColumnDef *cd = cmd_column_def(cmd);
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

/* ---- building units ---- */

int unit_add(struct arena *a, struct unit_list *l, const struct sql_stmt *at, const char *sql,
	     unsigned flags, const struct backfill *bf, struct mg_error *err)
{
	ARENA_GROW(a, l->items, l->n, l->alloc, l->n + 1);
	struct unit *u = &l->items[l->n];
	memset(u, 0, sizeof(*u));
	u->sql = sql;
	u->flags = flags;
	u->backfill = bf;
	u->stmt = *at;
	if (!bf) {
		struct sql_section sec;
		struct mg_error perr = MG_ERROR_INIT;
		if (sql_parse_string(a, sql, &sec, &perr) < 0 || sec.n_stmts != 1) {
			mg_error_set_at(err, 2, at->migration->path, at->line, at->column,
					"the planner wrote SQL it cannot read back: %s", sql);
			return -1;
		}
		u->stmt.node = sec.stmts[0].node;
	}
	l->n++;
	return 0;
}

struct plan_ctx {
	struct driver *d;
	struct arena *a;
	const struct migration *m;
	const struct sql_stmt *st;
	const struct sql_stmt *earlier; /* the section's statements before st */
	size_t n_earlier;
	struct unit_list *expand;
	struct unit_list *contract;
	struct mg_error *err;
};

static int q1(struct plan_ctx *p, const char **ret, const char *sql, int n,
	      const char *const *params)
{
	struct driver_rows rows;
	*ret = NULL;
	if (p->d->ops->query(p->d, p->a, sql, n, params, &rows, p->err) < 0)
		return -1;
	*ret = driver_rows_get(&rows, 0, 0);
	return 0;
}

static int add(struct plan_ctx *p, struct unit_list *l, unsigned flags, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int add(struct plan_ctx *p, struct unit_list *l, unsigned flags, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *sql = arena_vprintf(p->a, fmt, ap);
	va_end(ap);
	return unit_add(p->a, l, p->st, sql, flags, NULL, p->err);
}

/* Each unit of from, in order, at the end of l. */
static int add_all(struct plan_ctx *p, struct unit_list *l, const struct unit_list *from)
{
	for (size_t i = 0; i < from->n; i++)
		if (add(p, l, from->items[i].flags, "%s", from->items[i].sql) < 0)
			return -1;
	return 0;
}

static const char *deparse_alter(struct arena *a, const PgQuery__RangeVar *rv,
				 PgQuery__AlterTableCmd *cmd)
{
	PgQuery__Node cmd_node = PG_QUERY__NODE__INIT;
	cmd_node.node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_CMD;
	cmd_node.alter_table_cmd = cmd;
	PgQuery__Node *cmds[1] = {&cmd_node};
	PgQuery__AlterTableStmt as = PG_QUERY__ALTER_TABLE_STMT__INIT;
	as.relation = (PgQuery__RangeVar *)rv;
	as.n_cmds = 1;
	as.cmds = cmds;
	as.objtype = PG_QUERY__OBJECT_TYPE__OBJECT_TABLE;
	PgQuery__Node n = PG_QUERY__NODE__INIT;
	n.node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_STMT;
	n.alter_table_stmt = &as;
	return sql_deparse_node(a, &n);
}

/* The text of an expression, through the deparser: SELECT <expr>. */
static const char *deparse_expr(struct arena *a, PgQuery__Node *expr)
{
	PgQuery__ResTarget rt = PG_QUERY__RES_TARGET__INIT;
	rt.val = expr;
	PgQuery__Node rtn = PG_QUERY__NODE__INIT;
	rtn.node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	rtn.res_target = &rt;
	PgQuery__Node *tl[1] = {&rtn};
	PgQuery__SelectStmt sel = PG_QUERY__SELECT_STMT__INIT;
	sel.n_target_list = 1;
	sel.target_list = tl;
	sel.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	sel.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	PgQuery__Node n = PG_QUERY__NODE__INIT;
	n.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	n.select_stmt = &sel;
	const char *s = sql_deparse_node(a, &n);
	return s && strncmp(s, "SELECT ", 7) == 0 ? s + 7 : NULL;
}

/* A name PostgreSQL keeps: at most 63 bytes. */
static const char *pg_name(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *pg_name(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = arena_vprintf(a, fmt, ap);
	va_end(ap);
	if (strlen(s) > 63)
		s[63] = '\0';
	return s;
}

static bool table_exists(struct plan_ctx *p, const char *rel, bool *ret)
{
	const char *v;
	const char *params[] = {rel};
	/* a view (e.g. the new name of a RENAME TABLE not contracted yet) has no
	 * rows of its own to build or backfill: the statement runs as written */
	if (q1(p, &v,
	       "SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1) "
	       "AND relkind IN ('r', 'p')",
	       1, params) < 0)
		return false;
	*ret = v != NULL;
	return true;
}

struct column_state {
	bool exists;
	const char *type; /* format_type */
	bool not_null;
	const char *default_expr;
	bool not_null_check; /* CHECK (col IS NOT NULL), e.g. a SET NOT NULL not contracted yet */
	bool identity_or_generated;
};

static int column_state(struct plan_ctx *p, const char *rel, const char *col,
			struct column_state *ret)
{
	struct driver_rows rows;
	const char *params[] = {rel, col};
	memset(ret, 0, sizeof(*ret));
	if (p->d->ops->query(
		p->d, p->a,
		"SELECT format_type(a.atttypid, a.atttypmod), a.attnotnull::text, "
		"pg_get_expr(d.adbin, d.adrelid), EXISTS (SELECT 1 FROM pg_constraint c "
		"WHERE c.conrelid = a.attrelid AND c.contype = 'c' AND position(format("
		"'CHECK ((%s IS NOT NULL))', quote_ident(a.attname)) IN "
		"pg_get_constraintdef(c.oid)) = 1)::text, "
		"(a.attidentity <> '' OR a.attgenerated <> '')::text FROM pg_attribute a "
		"LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
		"WHERE a.attrelid = to_regclass($1) AND a.attname = $2 "
		"AND NOT a.attisdropped",
		2, params, &rows, p->err) < 0)
		return -1;
	if (!rows.n_rows)
		return 0;
	ret->exists = true;
	ret->type = driver_rows_get(&rows, 0, 0);
	ret->not_null = strcmp(driver_rows_get(&rows, 0, 1), "true") == 0;
	ret->default_expr = driver_rows_get(&rows, 0, 2);
	ret->not_null_check = strcmp(driver_rows_get(&rows, 0, 3), "true") == 0;
	ret->identity_or_generated = strcmp(driver_rows_get(&rows, 0, 4), "true") == 0;
	return 0;
}

/*
 * The shadow columns of col: a type change expanded and not contracted yet
 * (plan_alter_type's <col>__v<version>, written by its sync trigger). What
 * is planned on col afterwards must hold for them too, since contract swaps
 * one of them in.
 */
static int pending_shadows(struct plan_ctx *p, const char *rel, const char *col,
			   struct driver_rows *ret)
{
	const char *params[] = {rel, col};
	return p->d->ops->query(
	    p->d, p->a,
	    "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass($1) "
	    "AND NOT a.attisdropped AND left(a.attname, length($2) + 3) = $2 || '__v' "
	    "AND substr(a.attname, length($2) + 4) ~ '^[0-9]+$' AND EXISTS (SELECT 1 "
	    "FROM pg_trigger t WHERE t.tgrelid = a.attrelid AND t.tgname = "
	    "left('migrate_sync_v' || substr(a.attname, length($2) + 4) || '_' || $2, 63)) "
	    "ORDER BY a.attnum",
	    2, params, ret, p->err);
}

/*
 * What is planned on a column with a type change still to contract would be
 * lost with the old column when that contract swaps the shadow in, or would
 * need the shadow's triggers rewritten: refused, with what to do instead.
 */
static int refuse_if_shadowed(struct plan_ctx *p, const char *rel, const char *table,
			      const char *col, const char *what)
{
	struct driver_rows shadows;
	if (!col || pending_shadows(p, rel, col, &shadows) < 0)
		return col ? -1 : 0;
	if (!shadows.n_rows)
		return 0;
	mg_error_set_at(
	    p->err, 2, p->m->path, p->st->line, p->st->column,
	    "column '%s.%s' has a type change that is expanded but not contracted "
	    "(shadow column '%s'): %s it now would be lost when that contract swaps the "
	    "new column in",
	    table, col, driver_rows_get(&shadows, 0, 0), what);
	mg_error_set_help(p->err, "contract the type change first (migrate up --phase contract "
				  "--to <its version>), then apply this migration");
	return -1;
}

/* The column to batch a backfill by: a one-column primary key, else a unique NOT NULL one. */
/*
 * A primary key or exclusion constraint on col would not survive contract's
 * drop of the old column, and the backfill's batches and the trash are keyed
 * by the primary key: refused, with what to do instead.
 */
/*
 * An identity or generated column cannot be copied to a plain one that the
 * sync trigger writes: after contract, inserts would get no value.
 */
static int refuse_if_generated(struct plan_ctx *p, const struct column_state *cs, const char *table,
			       const char *col, const char *what)
{
	if (!cs->identity_or_generated)
		return 0;
	mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
			"column '%s.%s' is an identity or generated column: %s is not planned",
			table, col, what);
	mg_error_set_help(p->err, "write the change under '-- migrate:contract' to run it as "
				  "written (it locks the table while it runs)");
	return -1;
}

/* The views that read col of rel: name, relkind, definition. */
static int views_reading(struct plan_ctx *p, const char *rel, const char *col,
			 struct driver_rows *ret)
{
	const char *params[] = {rel, col};
	return p->d->ops->query(
	    p->d, p->a,
	    "SELECT DISTINCT v.oid::regclass::text, v.relkind::text, pg_get_viewdef(v.oid) "
	    "FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = "
	    "r.ev_class JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = "
	    "d.refobjsubid WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = "
	    "'pg_class'::regclass AND d.refobjid = to_regclass($1) AND a.attname = $2 AND "
	    "v.oid <> d.refobjid ORDER BY 1",
	    2, params, ret, p->err);
}

/*
 * A view that reads col holds its type: PostgreSQL refuses to change it, and
 * contract's drop of the old column would fail. Refused up front.
 */
static int refuse_if_viewed(struct plan_ctx *p, const char *rel, const char *table, const char *col,
			    const char *what)
{
	struct driver_rows views;
	if (views_reading(p, rel, col, &views) < 0)
		return -1;
	if (!views.n_rows)
		return 0;
	mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
			"column '%s.%s' is read by %s: %s is not planned (PostgreSQL keeps the "
			"type of a column a view reads)",
			table, col, driver_rows_get(&views, 0, 0), what);
	mg_error_set_help(p->err, "drop the view in an earlier migration's contract and create it "
				  "again after this one, or write the change under "
				  "'-- migrate:contract' to run it as written");
	return -1;
}

/*
 * Other objects that hold col (a trigger's column list, a policy, a function
 * body, ...) would keep contract from dropping the old column: refused up
 * front, naming them. Indexes, constraints, views, the default and a
 * serial's sequence are carried over or moved by the planner itself.
 */
static int refuse_if_held(struct plan_ctx *p, const char *rel, const char *table, const char *col,
			  const char *what)
{
	const char *held;
	const char *params[] = {rel, col};
	if (q1(p, &held,
	       "SELECT string_agg(pg_describe_object(d.classid, d.objid, d.objsubid), ', ' "
	       "ORDER BY 1) FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid "
	       "AND a.attnum = d.refobjsubid WHERE d.refclassid = 'pg_class'::regclass AND "
	       "d.refobjid = to_regclass($1) AND a.attname = $2 AND d.deptype = 'n' AND "
	       "d.classid NOT IN ('pg_class'::regclass, 'pg_constraint'::regclass, "
	       "'pg_rewrite'::regclass, 'pg_attrdef'::regclass)",
	       2, params) < 0)
		return -1;
	if (!held)
		return 0;
	mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
			"column '%s.%s' is used by %s: %s is not planned (contract could not "
			"drop the old column)",
			table, col, held, what);
	mg_error_set_help(p->err, "move those off the column first, or write the change under "
				  "'-- migrate:contract' to run it as written");
	return -1;
}

static int refuse_if_key(struct plan_ctx *p, const char *rel, const char *table, const char *col,
			 const char *what, bool sole_primary_key_ok)
{
	struct driver_rows rows;
	const char *params[] = {rel, col, sole_primary_key_ok ? "t" : "f"};
	if (p->d->ops->query(p->d, p->a,
			     "SELECT k.conname, k.contype::text FROM pg_constraint k "
			     "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attname = $2 "
			     "WHERE k.conrelid = to_regclass($1) AND k.contype IN ('p', 'x') "
			     "AND a.attnum = ANY (k.conkey) AND NOT ($3::bool AND k.contype = 'p' "
			     "AND cardinality(k.conkey) = 1) ORDER BY k.contype, k.conname",
			     3, params, &rows, p->err) < 0)
		return -1;
	if (!rows.n_rows)
		return 0;
	bool pk = strcmp(driver_rows_get(&rows, 0, 1), "p") == 0;
	mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
			"column '%s.%s' is part of %s '%s': %s is not planned", table, col,
			pk ? "the primary key" : "the exclusion constraint",
			driver_rows_get(&rows, 0, 0), what);
	mg_error_set_help(
	    p->err, "%s",
	    pk ? "the planner changes the type of a primary key of one column; a key of several "
		 "columns or a renamed key column would move under a lock on every table that "
		 "references it: write the change under '-- migrate:contract' to run it as "
		 "written (it locks the table while it runs), or add a new column beside the key "
		 "and move the app over to it"
	       : "drop the exclusion constraint in an earlier migration's contract and add it "
		 "again on the new column afterwards, or write the change under "
		 "'-- migrate:contract' to run it as written");
	return -1;
}

/* ---- intents of one migration on the same column ---- */

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
	const PgQuery__AlterTableCmd *cmd = single_cmd(n);
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

/*
 * The planner reads the catalogue as it is before the migration runs. A
 * rename or type change of a column and another change of the same column in
 * the same migration do not see each other: an index or a NOT NULL made on the
 * old column would go with it at contract, a retype of the new name would run
 * as written. Refused, with the way out: one migration each.
 */
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

static int refuse_if_composed(struct plan_ctx *p, const PgQuery__RangeVar *rv)
{
	size_t i;
	const char *col;
	const PgQuery__RangeVar *table;
	if (!planner_conflict(p->earlier, p->n_earlier, &i, &table, &col))
		return 0;
	if (!col)
		mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
				"this change and the one at line %d (a rename of table '%s' and a "
				"change of one of its columns) are not planned together: contract "
				"would run one against the other's old names",
				p->earlier[i].line, rv->relname);
	else
		mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
				"this change of column '%s.%s' and the one at line %d are not "
				"planned together: the planner reads the table as it is before "
				"the migration, so one would undo or lose the other at contract",
				table->relname, col, p->earlier[i].line);
	mg_error_set_help(p->err, "put this statement in a migration of its own, after this one "
				  "(migrations expanded together compose)");
	return -1;
}

static int backfill_key(struct plan_ctx *p, const char *rel, const char *table_label,
			const char **ret_key, const char **ret_type)
{
	struct driver_rows rows;
	const char *params[] = {rel};
	if (p->d->ops->query(
		p->d, p->a,
		"SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_index i "
		"JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
		"WHERE i.indrelid = to_regclass($1) AND i.indnatts = 1 AND i.indisunique "
		"AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL "
		"AND a.attnotnull ORDER BY i.indisprimary DESC, a.attnum LIMIT 1",
		1, params, &rows, p->err) < 0)
		return -1;
	if (!rows.n_rows) {
		mg_error_set_at(
		    p->err, 2, p->m->path, p->st->line, p->st->column,
		    "table '%s' has no primary key or unique NOT NULL column: this change "
		    "needs one to backfill in batches",
		    table_label);
		mg_error_set_help(p->err,
				  "add a primary key first, or write the steps by hand with "
				  "-- migrate:allow");
		return -1;
	}
	*ret_key = sql_ident(p->a, driver_rows_get(&rows, 0, 0));
	*ret_type = driver_rows_get(&rows, 0, 1);
	return 0;
}

static int add_backfill(struct plan_ctx *p, const char *rel, const char *label, const char *set_sql,
			const char *where_sql)
{
	struct backfill *bf = arena_alloc(p->a, sizeof(*bf));
	bf->table = rel;
	bf->set_sql = set_sql;
	bf->where_sql = where_sql;
	bf->label = label;
	/* the label is "table.column": the error names the table */
	const char *dot = strrchr(label, '.');
	const char *table = dot ? arena_strndup(p->a, label, (size_t)(dot - label)) : label;
	if (backfill_key(p, rel, table, &bf->key, &bf->key_type) < 0)
		return -1;
	return unit_add(p->a, p->expand, p->st,
			arena_printf(p->a, "UPDATE %s SET %s%s%s", rel, set_sql,
				     where_sql ? " WHERE " : "", where_sql ? where_sql : ""),
			UNIT_BACKFILL, bf, p->err);
}

/* A NOT NULL that costs no long lock: a NOT VALID check, validated on its own. */
static int add_not_null_check(struct plan_ctx *p, const char *rel, const char *check,
			      const char *col)
{
	if (add(p, p->expand, 0,
		"ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID", rel,
		sql_ident(p->a, check), sql_ident(p->a, col)) < 0 ||
	    add(p, p->expand, UNIT_OWN_TRANSACTION, "ALTER TABLE %s VALIDATE CONSTRAINT %s", rel,
		sql_ident(p->a, check)) < 0)
		return -1;
	return 0;
}

/* ---- the intents ---- */

/*
 * The partitions of the partitioned table rv (schema, name), which must be
 * plain tables: the planner works one level of partitions deep.
 */
static int leaf_partitions(struct plan_ctx *p, const PgQuery__RangeVar *rv, struct driver_rows *ret)
{
	const char *params[] = {sql_rangevar(p->a, rv)};
	if (p->d->ops->query(
		p->d, p->a,
		"SELECT n.nspname, c.relname, c.relkind::text FROM pg_inherits i "
		"JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = "
		"c.relnamespace WHERE i.inhparent = to_regclass($1) ORDER BY c.relname",
		1, params, ret, p->err) < 0)
		return -1;
	for (size_t i = 0; i < ret->n_rows; i++)
		if (strcmp(driver_rows_get(ret, i, 2), "r") != 0) {
			mg_error_set_at(
			    p->err, 2, p->m->path, p->st->line, p->st->column,
			    "partition '%s' of '%s' is partitioned itself (or foreign): "
			    "the planner works one level of partitions deep",
			    driver_rows_get(ret, i, 1), rv->relname);
			mg_error_set_help(p->err,
					  "write the steps by hand for each level, with a revert "
					  "section, or run the statement as written under "
					  "'-- migrate:contract'");
			return -1;
		}
	return 0;
}

static bool is_partitioned(struct plan_ctx *p, const char *rel, bool *ret)
{
	const char *kind;
	const char *params[] = {rel};
	if (q1(p, &kind, "SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)", 1,
	       params) < 0)
		return false;
	*ret = kind && strcmp(kind, "p") == 0;
	return true;
}

/* is, on table rv, named name, built CONCURRENTLY (alone) or not. */
static int add_index(struct plan_ctx *p, const PgQuery__IndexStmt *is, PgQuery__RangeVar *rv,
		     const char *name, bool concurrently)
{
	PgQuery__IndexStmt copy = *is;
	copy.relation = rv;
	copy.idxname = (char *)name;
	copy.concurrent = concurrently;
	PgQuery__Node n = PG_QUERY__NODE__INIT;
	n.node_case = PG_QUERY__NODE__NODE_INDEX_STMT;
	n.index_stmt = &copy;
	const char *sql = sql_deparse_node(p->a, &n);
	return sql ? add(p, p->expand, concurrently ? UNIT_ALONE : 0, "%s", sql) : -1;
}

/*
 * A partitioned table takes no CREATE INDEX CONCURRENTLY. The index is made
 * on the parent alone (ON ONLY: invalid, and quick), built concurrently on
 * each partition under the name PostgreSQL would give it, and each of those
 * is attached; the last attach makes the parent's valid.
 */
static int plan_partitioned_index(struct plan_ctx *p, const PgQuery__IndexStmt *is)
{
	struct driver_rows parts;
	if (leaf_partitions(p, is->relation, &parts) < 0)
		return -1;
	const char *name = is->idxname && *is->idxname
			       ? is->idxname
			       : pg_choose_index_name(p->d, p->a, is, false, p->err);
	if (!name)
		return -1;
	PgQuery__RangeVar only = *is->relation;
	only.inh = 0;
	if (add_index(p, is, &only, name, false) < 0)
		return -1;
	const char *schema =
	    is->relation->schemaname && *is->relation->schemaname
		? arena_printf(p->a, "%s.", sql_ident(p->a, is->relation->schemaname))
		: "";
	struct unit_list attach = {0};
	for (size_t i = 0; i < parts.n_rows; i++) {
		PgQuery__RangeVar *part = arena_alloc(p->a, sizeof(*part));
		*part = *is->relation;
		part->schemaname = (char *)driver_rows_get(&parts, i, 0);
		part->relname = (char *)driver_rows_get(&parts, i, 1);
		PgQuery__IndexStmt on_part = *is;
		on_part.relation = part;
		on_part.idxname = NULL;
		const char *child = pg_choose_index_name(p->d, p->a, &on_part, false, p->err);
		if (!child || add_index(p, is, part, child, true) < 0 ||
		    add(p, &attach, 0, "ALTER INDEX %s%s ATTACH PARTITION %s.%s", schema,
			sql_ident(p->a, name), sql_ident(p->a, part->schemaname),
			sql_ident(p->a, child)) < 0)
			return -1;
	}
	return add_all(p, p->expand, &attach);
}

static int plan_create_index(struct plan_ctx *p, const PgQuery__IndexStmt *is)
{
	const char *rel = sql_rangevar(p->a, is->relation);
	for (size_t i = 0; i < is->n_index_params; i++) {
		const PgQuery__Node *e = is->index_params[i];
		if (e->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM &&
		    refuse_if_shadowed(p, rel, is->relation->relname, e->index_elem->name,
				       "indexing") < 0)
			return -1;
	}
	bool partitioned;
	if (!is_partitioned(p, rel, &partitioned))
		return -1;
	if (partitioned)
		return plan_partitioned_index(p, is);
	return add_index(p, is, is->relation, is->idxname, true);
}

static const char *key_names(struct arena *a, PgQuery__Node *const *keys, size_t n, const char *sep,
			     bool quote)
{
	const char *out = "";
	for (size_t i = 0; i < n; i++) {
		const char *k = ast_string(keys[i]);
		out = arena_printf(a, "%s%s%s", out, i ? sep : "", quote ? sql_ident(a, k) : k);
	}
	return out;
}

/*
 * A partitioned table takes no NOT VALID foreign key. Each partition gets it
 * NOT VALID, then validated in a transaction of its own; the parent's own ADD
 * then finds them equal and attaches them instead of scanning.
 */
static int plan_partitioned_foreign_key(struct plan_ctx *p, const PgQuery__RangeVar *rv,
					PgQuery__AlterTableCmd *cmd, PgQuery__Constraint *k,
					const char *name)
{
	struct driver_rows parts;
	if (leaf_partitions(p, rv, &parts) < 0)
		return -1;
	for (size_t i = 0; i < parts.n_rows; i++) {
		PgQuery__RangeVar part = *rv;
		part.schemaname = (char *)driver_rows_get(&parts, i, 0);
		part.relname = (char *)driver_rows_get(&parts, i, 1);
		const char *sql = deparse_alter(p->a, &part, cmd);
		if (!sql || add(p, p->expand, 0, "%s", sql) < 0 ||
		    add(p, p->expand, UNIT_OWN_TRANSACTION, "ALTER TABLE %s VALIDATE CONSTRAINT %s",
			sql_rangevar(p->a, &part), sql_ident(p->a, name)) < 0)
			return -1;
	}
	k->skip_validation = 0;
	k->initially_valid = 1;
	const char *sql = deparse_alter(p->a, rv, cmd);
	return sql ? add(p, p->expand, UNIT_OWN_TRANSACTION, "%s", sql) : -1;
}

static int plan_add_constraint(struct plan_ctx *p, const PgQuery__RangeVar *rv,
			       const PgQuery__Constraint *k)
{
	const char *rel = sql_rangevar(p->a, rv);
	const char *table = rv->relname;
	PgQuery__Constraint copy = *k;
	const char *name = k->conname && *k->conname ? k->conname : NULL;
	for (size_t i = 0; i < k->n_keys + k->n_fk_attrs; i++)
		if (refuse_if_shadowed(
			p, rel, table,
			ast_string(i < k->n_keys ? k->keys[i] : k->fk_attrs[i - k->n_keys]),
			"constraining") < 0)
			return -1;

	if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN ||
	    k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) {
		/* name it as PostgreSQL would, so VALIDATE can say which */
		if (!name)
			name =
			    k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN
				? pg_name(p->a, "%s_%s_fkey", table,
					  key_names(p->a, k->fk_attrs, k->n_fk_attrs, "_", false))
				: pg_name(p->a, "%s_check_v%lld", table, (long long)p->m->version);
		copy.conname = (char *)name;
		copy.skip_validation = 1;
		copy.initially_valid = 0;
		PgQuery__Node kn = PG_QUERY__NODE__INIT;
		kn.node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
		kn.constraint = &copy;
		PgQuery__AlterTableCmd cmd = PG_QUERY__ALTER_TABLE_CMD__INIT;
		cmd.subtype = PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint;
		cmd.def = &kn;
		bool partitioned;
		if (!is_partitioned(p, rel, &partitioned))
			return -1;
		if (partitioned && k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
			return plan_partitioned_foreign_key(p, rv, &cmd, &copy, name);
		const char *sql = deparse_alter(p->a, rv, &cmd);
		if (add(p, p->expand, 0, "%s", sql) < 0)
			return -1;
		return add(p, p->expand, UNIT_OWN_TRANSACTION,
			   "ALTER TABLE %s VALIDATE CONSTRAINT %s", rel, sql_ident(p->a, name));
	}

	/* UNIQUE / PRIMARY KEY: the index first, built without blocking writes; a
	 * partitioned table takes no constraint USING INDEX */
	bool partitioned;
	if (!is_partitioned(p, rel, &partitioned))
		return -1;
	if (partitioned) {
		mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
				"'%s' is partitioned: PostgreSQL takes no ADD CONSTRAINT ... USING "
				"INDEX on it, so %s is not planned",
				table,
				k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY
				    ? "ADD PRIMARY KEY"
				    : "ADD UNIQUE");
		mg_error_set_help(
		    p->err, "a CREATE UNIQUE INDEX is planned partition by partition; or write "
			    "the constraint under '-- migrate:contract' to run it as written");
		return -1;
	}
	bool primary = k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
	if (!name)
		name = primary ? pg_name(p->a, "%s_pkey", table)
			       : pg_name(p->a, "%s_%s_key", table,
					 key_names(p->a, k->keys, k->n_keys, "_", false));
	const char *cols = key_names(p->a, k->keys, k->n_keys, ", ", true);
	if (add(p, p->expand, UNIT_ALONE, "CREATE UNIQUE INDEX CONCURRENTLY %s ON %s (%s)",
		sql_ident(p->a, name), rel, cols) < 0)
		return -1;
	/* a primary key needs NOT NULL columns: prove it with a validated check first */
	const char **checks = arena_alloc(p->a, sizeof(*checks) * (k->n_keys + 1));
	size_t n_checks = 0;
	if (primary) {
		for (size_t i = 0; i < k->n_keys; i++) {
			struct column_state cs;
			const char *col = ast_string(k->keys[i]);
			if (column_state(p, rel, col, &cs) < 0)
				return -1;
			if (cs.exists && !cs.not_null) {
				const char *check = pg_name(p->a, "%s_%s_not_null", table, col);
				if (add_not_null_check(p, rel, check, col) < 0)
					return -1;
				/* said apart (no scan with the check in place), so that revert
				 * derives its DROP NOT NULL: the constraint alone would keep it */
				if (add(p, p->expand, 0,
					"ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", rel,
					sql_ident(p->a, col)) < 0)
					return -1;
				checks[n_checks++] = check;
			}
		}
	}
	if (add(p, p->expand, 0, "ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s", rel,
		sql_ident(p->a, name), primary ? "PRIMARY KEY" : "UNIQUE",
		sql_ident(p->a, name)) < 0)
		return -1;
	for (size_t i = 0; i < n_checks; i++)
		if (add(p, p->contract, 0, "ALTER TABLE %s DROP CONSTRAINT %s", rel,
			sql_ident(p->a, checks[i])) < 0)
			return -1;
	return 0;
}

static int plan_set_not_null(struct plan_ctx *p, const PgQuery__RangeVar *rv, const char *col)
{
	const char *rel = sql_rangevar(p->a, rv);
	struct column_state cs;
	if (column_state(p, rel, col, &cs) < 0)
		return -1;
	if (!cs.exists || cs.not_null)
		return add(p, p->expand, 0, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", rel,
			   sql_ident(p->a, col));
	const char *check = pg_name(p->a, "%s_%s_not_null", rv->relname, col);
	if (add_not_null_check(p, rel, check, col) < 0)
		return -1;
	/* a pending type change swaps its shadow in first: it needs the check too */
	struct driver_rows shadows;
	if (pending_shadows(p, rel, col, &shadows) < 0)
		return -1;
	const char **shadow_checks =
	    arena_alloc(p->a, sizeof(*shadow_checks) * (shadows.n_rows + 1));
	for (size_t i = 0; i < shadows.n_rows; i++) {
		const char *shadow = driver_rows_get(&shadows, i, 0);
		shadow_checks[i] = pg_name(p->a, "%s_%s_not_null", rv->relname, shadow);
		if (add_not_null_check(p, rel, shadow_checks[i], shadow) < 0)
			return -1;
	}
	/* with the check validated, SET NOT NULL needs no scan (PostgreSQL 12+); the
	 * check on the old column is gone when a swap dropped that column */
	if (add(p, p->contract, 0, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", rel,
		sql_ident(p->a, col)) < 0 ||
	    add(p, p->contract, 0, "ALTER TABLE %s DROP CONSTRAINT %s%s", rel,
		shadows.n_rows ? "IF EXISTS " : "", sql_ident(p->a, check)) < 0)
		return -1;
	for (size_t i = 0; i < shadows.n_rows; i++)
		if (add(p, p->contract, 0, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", rel,
			sql_ident(p->a, shadow_checks[i])) < 0)
			return -1;
	return 0;
}

/*
 * Indexes on col, rebuilt concurrently on new_col; renames_after_swap gets
 * what gives them their old names back (a UNIQUE constraint's index becomes
 * the constraint again).
 */
static int plan_copy_indexes(struct plan_ctx *p, const char *rel, const char *col,
			     const char *new_col, struct unit_list *renames_after_swap)
{
	struct driver_rows rows;
	const char *params[] = {rel, col};
	if (p->d->ops->query(
		p->d, p->a,
		"SELECT c.relname, pg_get_indexdef(i.indexrelid), k.conname, "
		"k.condeferrable::text, k.condeferred::text, k.contype::text FROM pg_index i "
		"JOIN pg_class c ON c.oid = i.indexrelid "
		"JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = $2 "
		"LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid "
		"AND k.conrelid = i.indrelid AND k.contype IN ('u', 'p') "
		"WHERE i.indrelid = to_regclass($1) AND (a.attnum = ANY (i.indkey) "
		"OR pg_get_expr(i.indexprs, i.indrelid) ~ ('\\m' || a.attname || '\\M') "
		"OR pg_get_expr(i.indpred, i.indrelid) ~ ('\\m' || a.attname || '\\M')) "
		"AND NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = "
		"i.indexrelid AND x.contype = 'x')",
		2, params, &rows, p->err) < 0)
		return -1;
	for (size_t r = 0; r < rows.n_rows; r++) {
		const char *old_name = driver_rows_get(&rows, r, 0);
		struct sql_section sec;
		struct mg_error perr = MG_ERROR_INIT;
		if (sql_parse_string(p->a, driver_rows_get(&rows, r, 1), &sec, &perr) < 0 ||
		    sec.n_stmts != 1 ||
		    sec.stmts[0].node->node_case != PG_QUERY__NODE__NODE_INDEX_STMT)
			continue;
		PgQuery__IndexStmt *is = sec.stmts[0].node->index_stmt;
		/* key columns, expressions and a partial index's WHERE alike */
		ast_rename_column_refs((PgQuery__Node *)sec.stmts[0].node, col, new_col);
		const char *tmp = pg_name(p->a, "%s_v%lld", old_name, (long long)p->m->version);
		is->idxname = (char *)tmp;
		is->concurrent = 1;
		const char *sql = sql_deparse_node(p->a, sec.stmts[0].node);
		if (!sql || add(p, p->expand, UNIT_ALONE, "%s", sql) < 0)
			return -1;
		if (!renames_after_swap)
			continue;
		/* a UNIQUE constraint or the primary key comes back as one (ON CONFLICT
		 * ON CONSTRAINT and foreign keys name it), on the index made concurrently */
		const char *conname = driver_rows_get(&rows, r, 2);
		if (conname) {
			bool deferrable = strcmp(driver_rows_get(&rows, r, 3), "true") == 0;
			bool deferred = strcmp(driver_rows_get(&rows, r, 4), "true") == 0;
			bool primary = strcmp(driver_rows_get(&rows, r, 5), "p") == 0;
			if (add(p, renames_after_swap, 0,
				"ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s%s%s", rel,
				sql_ident(p->a, conname), primary ? "PRIMARY KEY" : "UNIQUE",
				sql_ident(p->a, tmp), deferrable ? " DEFERRABLE" : "",
				deferred ? " INITIALLY DEFERRED" : "") < 0)
				return -1;
		} else if (add(p, renames_after_swap, 0, "ALTER INDEX %s RENAME TO %s",
			       sql_ident(p->a, tmp), sql_ident(p->a, old_name)) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Renames from to to in a list of String nodes (a foreign key's columns). */
static void rename_in_names(PgQuery__Node **names, size_t n, const char *from, const char *to)
{
	for (size_t i = 0; i < n; i++)
		if (names[i]->node_case == PG_QUERY__NODE__NODE_STRING && names[i]->string->sval &&
		    strcmp(names[i]->string->sval, from) == 0)
			names[i]->string->sval = (char *)to;
}

/*
 * The constraints that would go with col when contract drops it: its CHECKs,
 * its foreign keys and those of other tables that reference it. Each is made
 * again on new_col, NOT VALID and then validated (unless it was not valid
 * before), and renamed to the old name at contract. A reference from another
 * table holds the old column's unique index: drops_before gets its removal,
 * which contract runs in a transaction of its own before the column goes (the
 * copy on new_col keeps the rows in check meanwhile).
 */
static int plan_copy_constraints(struct plan_ctx *p, const char *rel, const char *col,
				 const char *new_col, struct unit_list *drops_before,
				 struct unit_list *renames_after)
{
	struct driver_rows rows;
	const char *params[] = {rel, col};
	if (p->d->ops->query(
		p->d, p->a,
		"SELECT k.conname, pg_get_constraintdef(k.oid), k.convalidated::text, "
		"k.conrelid::regclass::text, (k.conrelid = a.attrelid AND a.attnum = "
		"ANY (k.conkey))::text, (k.confrelid = a.attrelid AND a.attnum = ANY "
		"(k.confkey))::text FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = "
		"to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped "
		"WHERE (k.conrelid = a.attrelid AND a.attnum = ANY (k.conkey) AND ((k.contype "
		"= 'c' AND k.conname NOT LIKE '%\\_not\\_null') OR k.contype = 'f')) "
		"OR (k.contype = 'f' AND k.confrelid = a.attrelid AND a.attnum = ANY "
		"(k.confkey)) ORDER BY k.oid",
		2, params, &rows, p->err) < 0)
		return -1;
	for (size_t r = 0; r < rows.n_rows; r++) {
		const char *name = driver_rows_get(&rows, r, 0);
		bool validated = strcmp(driver_rows_get(&rows, r, 2), "true") == 0;
		const char *owner = driver_rows_get(&rows, r, 3);
		bool own = strcmp(driver_rows_get(&rows, r, 4), "true") == 0;
		bool referenced = strcmp(driver_rows_get(&rows, r, 5), "true") == 0;
		const char *tmp = pg_name(p->a, "%s_v%lld", name, (long long)p->m->version);
		struct sql_section sec;
		struct mg_error perr = MG_ERROR_INIT;
		const char *sql = arena_printf(p->a, "ALTER TABLE %s ADD CONSTRAINT %s %s", owner,
					       sql_ident(p->a, tmp), driver_rows_get(&rows, r, 1));
		PgQuery__Node *n = NULL;
		const PgQuery__AlterTableCmd *cmd = NULL;
		PgQuery__Constraint *k = NULL;
		if (sql_parse_string(p->a, sql, &sec, &perr) == 0 && sec.n_stmts == 1) {
			n = (PgQuery__Node *)sec.stmts[0].node;
			cmd = single_cmd(n);
			k = cmd ? (PgQuery__Constraint *)ast_constraint(cmd->def) : NULL;
		}
		if (!k) {
			mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
					"cannot carry constraint '%s' over to column '%s': %s",
					name, new_col, sql);
			return -1;
		}
		if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
			if (own)
				rename_in_names(k->fk_attrs, k->n_fk_attrs, col, new_col);
			if (referenced)
				rename_in_names(k->pk_attrs, k->n_pk_attrs, col, new_col);
		} else {
			ast_rename_column_refs(n, col, new_col);
		}
		k->skip_validation = 1;
		k->initially_valid = 0;
		const char *copy = sql_deparse_node(p->a, n);
		if (!copy || add(p, p->expand, 0, "%s", copy) < 0 ||
		    (validated && add(p, p->expand, UNIT_OWN_TRANSACTION,
				      "ALTER TABLE %s VALIDATE CONSTRAINT %s", owner,
				      sql_ident(p->a, tmp)) < 0) ||
		    (!own && add(p, drops_before, 0, "ALTER TABLE %s DROP CONSTRAINT %s", owner,
				 sql_ident(p->a, name)) < 0) ||
		    add(p, renames_after, 0, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", owner,
			sql_ident(p->a, tmp), sql_ident(p->a, name)) < 0)
			return -1;
	}
	return 0;
}

/*
 * Contract's first transaction: the references of other tables to the old
 * column go (their copies on the new one are validated by then), a serial's
 * sequence passes to the new column (drops holds both), and the
 * trash's write log starts (pg_trash_log_name): a trigger keeps, by primary
 * key, every value of col written from then on, so the rows the app writes
 * while the next transaction copies col to the trash, before its lock, are
 * not restored with stale values by a revert. after_drop gets what ends the
 * log once the column is gone.
 */
static int add_contract_prelude(struct plan_ctx *p, const PgQuery__RangeVar *rv, const char *rel,
				const char *col, const char *new_col, const struct unit_list *drops,
				struct unit_list *after_drop)
{
	struct unit_list first = {0};
	if (add_all(p, &first, drops) < 0)
		return -1;
	struct driver_rows pk;
	const char *params[] = {rel};
	if (p->d->ops->query(p->d, p->a,
			     "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = "
			     "i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = "
			     "to_regclass($1) AND i.indisprimary ORDER BY a.attnum",
			     1, params, &pk, p->err) < 0)
		return -1;
	/* without a primary key there is no trash to log for (contract says so);
	 * the key's own values stay in its new column, the trash keyed by it */
	bool in_key = false;
	for (size_t i = 0; i < pk.n_rows; i++)
		in_key |= strcmp(driver_rows_get(&pk, i, 0), col) == 0;
	if (pk.n_rows && !in_key) {
		const char *keys = "", *values = "";
		for (size_t i = 0; i < pk.n_rows; i++) {
			const char *k = sql_ident(p->a, driver_rows_get(&pk, i, 0));
			keys = arena_printf(p->a, "%s%s%s", keys, i ? ", " : "", k);
			values = arena_printf(p->a, "%s%sNEW.%s", values, i ? ", " : "", k);
		}
		const char *qc = sql_ident(p->a, col);
		const char *log = arena_printf(
		    p->a, PG_TRASH_SCHEMA ".%s",
		    sql_ident(p->a, pg_trash_log_name(p->a, p->m->version, rv->relname, col)));
		const char *trig = sql_ident(
		    p->a, pg_name(p->a, "migrate_log_v%lld_%s", (long long)p->m->version, col));
		if (add(p, &first, UNIT_TRASH_LOG, "CREATE SCHEMA IF NOT EXISTS " PG_TRASH_SCHEMA) <
			0 ||
		    add(p, &first, UNIT_TRASH_LOG,
			"CREATE TABLE %s AS SELECT %s, %s FROM %s WITH NO DATA", log, keys, qc,
			rel) < 0 ||
		    add(p, &first, UNIT_TRASH_LOG, "ALTER TABLE %s ADD PRIMARY KEY (%s)", log,
			keys) < 0 ||
		    /* where a revert finds the value of a row the log never saw */
		    add(p, &first, UNIT_TRASH_LOG, "COMMENT ON TABLE %s IS %s", log,
			sql_literal(p->a, new_col)) < 0 ||
		    /* the app's role writes the table, not the trash: SECURITY DEFINER */
		    add(p, &first, UNIT_TRASH_LOG,
			"CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
			"SET search_path = pg_catalog, pg_temp AS $migrate$\n"
			"BEGIN\n"
			"  /* the last value of %s written before contract drops it */\n"
			"  INSERT INTO %s (%s, %s) VALUES (%s, NEW.%s)\n"
			"    ON CONFLICT (%s) DO UPDATE SET %s = EXCLUDED.%s;\n"
			"  RETURN NULL;\n"
			"END\n"
			"$migrate$",
			log, col, log, keys, qc, values, qc, keys, qc, qc) < 0 ||
		    add(p, &first, UNIT_TRASH_LOG,
			"CREATE TRIGGER %s AFTER INSERT OR UPDATE ON %s FOR EACH ROW "
			"EXECUTE FUNCTION %s()",
			trig, rel, log) < 0 ||
		    add(p, after_drop, UNIT_TRASH_LOG, "DROP TRIGGER %s ON %s", trig, rel) < 0 ||
		    add(p, after_drop, UNIT_TRASH_LOG, "DROP FUNCTION %s()", log) < 0)
			return -1;
	}
	for (size_t i = 0; i < first.n; i++)
		if (add(p, p->contract,
			(first.items[i].flags & UNIT_TRASH_LOG) |
			    (i + 1 == first.n ? UNIT_ENDS_TRANSACTION : 0),
			"%s", first.items[i].sql) < 0)
			return -1;
	return 0;
}

/*
 * The backfill's own UPDATE writes what the sync trigger would (b = a, the
 * shadow from the column): the batch says so in a setting of its transaction
 * and the trigger is not called at all, about a quarter of a batch's time.
 * Keep in step with backfill.c.
 */
#define BACKFILL_SKIPS_TRIGGER                                                                     \
	"WHEN (current_setting('migrate.backfill', true) IS DISTINCT FROM 'on') "

static const char *sync_function_name(struct plan_ctx *p, const PgQuery__RangeVar *rv,
				      const char *col)
{
	const char *name =
	    pg_name(p->a, "migrate_sync_v%lld_%s_%s", (long long)p->m->version, rv->relname, col);
	if (rv->schemaname && *rv->schemaname)
		return arena_printf(p->a, "%s.%s", sql_ident(p->a, rv->schemaname),
				    sql_ident(p->a, name));
	return sql_ident(p->a, name);
}

/*
 * What a rename and a type change share once fn, the sync trigger's function,
 * is made: the trigger, the backfill of new_col (set_sql where where_sql), a
 * validated NOT NULL check on it (*ret_check) when not_null, the indexes and
 * constraints of old_col made again on it, and contract's first steps: the
 * prelude, then the drop of old_col (kept in the trash) and of the triggers.
 * ret_renames gets what gives the copies their old names back, which the
 * caller adds to contract after what it has to do first.
 */
static int plan_move_column(struct plan_ctx *p, const PgQuery__RangeVar *rv, const char *rel,
			    const char *old_col, const char *new_col, const char *trig,
			    const char *fn, const char *label, const char *set_sql,
			    const char *where_sql, bool not_null, struct unit_list *drops,
			    const char **ret_check, struct unit_list *ret_renames)
{
	if (add(p, p->expand, 0,
		"CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s FOR EACH "
		"ROW " BACKFILL_SKIPS_TRIGGER "EXECUTE FUNCTION %s()",
		trig, rel, fn) < 0 ||
	    add_backfill(p, rel, label, set_sql, where_sql) < 0)
		return -1;
	*ret_check = NULL;
	if (not_null) {
		*ret_check = pg_name(p->a, "%s_%s_not_null", rv->relname, new_col);
		if (add_not_null_check(p, rel, *ret_check, new_col) < 0)
			return -1;
	}
	struct unit_list after_drop = {0};
	/* a serial's sequence would go with the old column: the new one owns it */
	const char *seq;
	const char *params[] = {rel, old_col};
	if (q1(p, &seq, "SELECT pg_get_serial_sequence($1, $2)", 2, params) < 0)
		return -1;
	if (seq && add(p, drops, 0, "ALTER SEQUENCE %s OWNED BY %s.%s", seq, rel,
		       sql_ident(p->a, new_col)) < 0)
		return -1;
	if (plan_copy_indexes(p, rel, old_col, new_col, ret_renames) < 0 ||
	    plan_copy_constraints(p, rel, old_col, new_col, drops, ret_renames) < 0 ||
	    add_contract_prelude(p, rv, rel, old_col, new_col, drops, &after_drop) < 0)
		return -1;
	/* the drop comes first in its transaction, so its copy to the trash reads the
	 * table before any statement holds an ACCESS EXCLUSIVE lock on it */
	if (add(p, p->contract, 0, "ALTER TABLE %s DROP COLUMN %s", rel, sql_ident(p->a, old_col)) <
		0 ||
	    add_all(p, p->contract, &after_drop) < 0 ||
	    add(p, p->contract, 0, "DROP TRIGGER %s ON %s", trig, rel) < 0 ||
	    add(p, p->contract, 0, "DROP FUNCTION %s()", fn) < 0)
		return -1;
	return 0;
}

/*
 * The views that read col, made to read new_col instead, as the plain rename
 * would leave them (their output columns keep their names): views holds the
 * CREATE OR REPLACE VIEW of each, for contract's first transaction, before the
 * old column goes. A materialized view, or a view whose query names col
 * without its table, is refused.
 */
static int plan_view_renames(struct plan_ctx *p, const PgQuery__RangeVar *rv, const char *rel,
			     const char *col, const char *new_col, struct unit_list *views)
{
	struct driver_rows rows;
	if (views_reading(p, rel, col, &rows) < 0)
		return -1;
	for (size_t i = 0; i < rows.n_rows; i++) {
		const char *view = driver_rows_get(&rows, i, 0);
		const char *def = driver_rows_get(&rows, i, 2);
		size_t len = strlen(def);
		while (len && (def[len - 1] == ';' || def[len - 1] == ' ' || def[len - 1] == '\n'))
			len--;
		const char *sql =
		    arena_printf(p->a, "CREATE OR REPLACE VIEW %s AS %.*s", view, (int)len, def);
		struct sql_section sec;
		struct mg_error perr = MG_ERROR_INIT;
		bool ok = strcmp(driver_rows_get(&rows, i, 1), "v") == 0 &&
			  sql_parse_string(p->a, sql, &sec, &perr) == 0 && sec.n_stmts == 1 &&
			  ast_rename_view_column((PgQuery__Node *)sec.stmts[0].node, rv->relname,
						 col, new_col);
		const char *copy = ok ? sql_deparse_node(p->a, sec.stmts[0].node) : NULL;
		if (!copy) {
			mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
					"column '%s.%s' is read by %s, which the planner cannot "
					"move to '%s': renaming it is not planned",
					rv->relname, col, view, new_col);
			mg_error_set_help(p->err,
					  "move the view off the column first (CREATE OR "
					  "REPLACE VIEW in an earlier migration), or write "
					  "the rename under '-- migrate:contract' to run it "
					  "as written");
			return -1;
		}
		if (add(p, views, 0, "%s", copy) < 0)
			return -1;
	}
	return 0;
}

static int plan_rename_column(struct plan_ctx *p, const PgQuery__RenameStmt *rs)
{
	const PgQuery__RangeVar *rv = rs->relation;
	const char *rel = sql_rangevar(p->a, rv);
	const char *a_col = rs->subname, *b_col = rs->newname;
	const char *qa = sql_ident(p->a, a_col), *qb = sql_ident(p->a, b_col);
	struct column_state cs;
	if (column_state(p, rel, a_col, &cs) < 0)
		return -1;
	if (!cs.exists)
		return add(
		    p, p->expand, 0, "%s",
		    arena_strndup(p->a, p->m->text + p->st->offset, p->st->end - p->st->offset));
	if (refuse_if_shadowed(p, rel, rv->relname, a_col, "renaming") < 0 ||
	    refuse_if_key(p, rel, rv->relname, a_col, "renaming it", false) < 0 ||
	    refuse_if_held(p, rel, rv->relname, a_col, "renaming it") < 0 ||

	    refuse_if_generated(p, &cs, rv->relname, a_col, "renaming it") < 0)
		return -1;
	struct unit_list views = {0};
	if (plan_view_renames(p, rv, rel, a_col, b_col, &views) < 0)
		return -1;
	const char *fn = sync_function_name(p, rv, a_col);
	const char *trig = sql_ident(
	    p->a, pg_name(p->a, "migrate_sync_v%lld_%s", (long long)p->m->version, a_col));
	const char *label = arena_printf(p->a, "%s.%s", rv->relname, b_col);

	/* both names work from the first moment: column, default and triggers in one go */
	if (add(p, p->expand, UNIT_WITH_NEXT, "ALTER TABLE %s ADD COLUMN %s %s", rel, qb, cs.type) <
	    0)
		return -1;
	if (cs.default_expr && add(p, p->expand, UNIT_WITH_NEXT,
				   "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", rel, qa) < 0)
		return -1;
	const char *on_both_null =
	    cs.default_expr ? arena_printf(p->a,
					   "    IF NEW.%s IS NULL AND NEW.%s IS NULL THEN\n"
					   "      NEW.%s := %s;\n"
					   "    END IF;\n",
					   qa, qb, qa, cs.default_expr)
			    : "";
	if (add(p, p->expand, UNIT_WITH_NEXT,
		"CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $migrate$\n"
		"BEGIN\n"
		"  /* old app versions write %s, new ones %s: keep them equal */\n"
		"  IF TG_OP = 'INSERT' THEN\n"
		"%s"
		"    IF NEW.%s IS NULL THEN\n"
		"      NEW.%s := NEW.%s;\n"
		"    ELSIF NEW.%s IS NULL THEN\n"
		"      NEW.%s := NEW.%s;\n"
		"    END IF;\n"
		"  ELSIF NEW.%s IS DISTINCT FROM OLD.%s THEN\n"
		"    NEW.%s := NEW.%s;\n"
		"  ELSIF NEW.%s IS DISTINCT FROM OLD.%s THEN\n"
		"    NEW.%s := NEW.%s;\n"
		"  END IF;\n"
		"  RETURN NEW;\n"
		"END\n"
		"$migrate$",
		fn, a_col, b_col, on_both_null, qb, qb, qa, qa, qa, qb, qa, qa, qb, qa, qb, qb, qa,
		qb) < 0)
		return -1;
	/* a SET NOT NULL still to contract makes the column NOT NULL: b must be too */
	const char *check = NULL;
	struct unit_list renames = {0};
	if (plan_move_column(p, rv, rel, a_col, b_col, trig, fn, label,
			     arena_printf(p->a, "%s = %s", qb, qa),
			     arena_printf(p->a, "%s IS DISTINCT FROM %s", qb, qa),
			     cs.not_null || cs.not_null_check, &views, &check, &renames) < 0)
		return -1;
	if (add_all(p, p->contract, &renames) < 0)
		return -1;
	if (cs.default_expr &&
	    add(p, p->contract, 0, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", rel, qb,
		cs.default_expr) < 0)
		return -1;
	if (check &&
	    (add(p, p->contract, 0, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", rel, qb) < 0 ||
	     add(p, p->contract, 0, "ALTER TABLE %s DROP CONSTRAINT %s", rel,
		 sql_ident(p->a, check)) < 0))
		return -1;
	return 0;
}

static bool type_change_is_safe(struct plan_ctx *p, const char *old_type,
				const PgQuery__TypeName *new_type)
{
	/* read the current type back as a TypeName: SELECT NULL::<type> */
	struct sql_section sec;
	struct mg_error perr = MG_ERROR_INIT;
	if (sql_parse_string(p->a, arena_printf(p->a, "SELECT NULL::%s", old_type), &sec, &perr) <
		0 ||
	    sec.n_stmts != 1)
		return false;
	const PgQuery__SelectStmt *sel = sec.stmts[0].node->select_stmt;
	if (!sel || sel->n_target_list != 1)
		return false;
	const PgQuery__Node *v = sel->target_list[0]->res_target->val;
	if (!v || v->node_case != PG_QUERY__NODE__NODE_TYPE_CAST)
		return false;
	struct catalog_type o, n;
	catalog_type_from_typename(p->a, v->type_cast->type_name, &o);
	catalog_type_from_typename(p->a, new_type, &n);
	return catalog_type_change_is_safe(&o, &n);
}

static int plan_alter_type(struct plan_ctx *p, const PgQuery__RangeVar *rv,
			   const PgQuery__AlterTableCmd *cmd)
{
	const char *rel = sql_rangevar(p->a, rv);
	const char *col = cmd->name;
	const PgQuery__ColumnDef *cd = cmd_column_def(cmd);
	struct column_state cs;
	if (column_state(p, rel, col, &cs) < 0)
		return -1;
	const char *as_written =
	    arena_strndup(p->a, p->m->text + p->st->offset, p->st->end - p->st->offset);
	if (!cs.exists || (!cd->raw_default && type_change_is_safe(p, cs.type, cd->type_name)))
		return add(p, p->expand, 0, "%s", as_written); /* no rewrite: as written */
	if (refuse_if_key(p, rel, rv->relname, col, "changing its type", true) < 0 ||
	    refuse_if_viewed(p, rel, rv->relname, col, "changing its type") < 0 ||
	    refuse_if_held(p, rel, rv->relname, col, "changing its type") < 0 ||
	    refuse_if_generated(p, &cs, rv->relname, col, "changing its type") < 0)
		return -1;

	const char *shadow = pg_name(p->a, "%s__v%lld", col, (long long)p->m->version);
	const char *qc = sql_ident(p->a, col), *qs = sql_ident(p->a, shadow);
	PgQuery__ColumnDef shadow_def = PG_QUERY__COLUMN_DEF__INIT;
	shadow_def.colname = (char *)shadow;
	shadow_def.type_name = cd->type_name;
	shadow_def.is_local = 1;
	PgQuery__Node def_node = PG_QUERY__NODE__INIT;
	def_node.node_case = PG_QUERY__NODE__NODE_COLUMN_DEF;
	def_node.column_def = &shadow_def;
	PgQuery__AlterTableCmd add_cmd = PG_QUERY__ALTER_TABLE_CMD__INIT;
	add_cmd.subtype = PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn;
	add_cmd.def = &def_node;
	const char *add_sql = deparse_alter(p->a, rv, &add_cmd);
	/* the USING expression reads the row's columns by name */
	const char *using_sql = cd->raw_default ? deparse_expr(p->a, cd->raw_default) : NULL;
	if (!add_sql || (cd->raw_default && !using_sql)) {
		mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
				"cannot plan this type change");
		return -1;
	}
	const char *new_value = using_sql ? arena_printf(p->a, "(%s)", using_sql) : qc;
	const char *in_trigger =
	    using_sql ? arena_printf(p->a, "(SELECT %s FROM (SELECT (NEW).*) AS mg_row)", using_sql)
		      : arena_printf(p->a, "NEW.%s", qc);
	const char *fn = sync_function_name(p, rv, col);
	const char *trig =
	    sql_ident(p->a, pg_name(p->a, "migrate_sync_v%lld_%s", (long long)p->m->version, col));
	if (add(p, p->expand, UNIT_WITH_NEXT, "%s", add_sql) < 0)
		return -1;
	/* the default moves to the shadow now: one the new type cannot take fails
	 * here, as the plain ALTER TYPE would, not in the middle of contract. A
	 * sequence's waits for contract: the trigger overwrites the shadow's value,
	 * and every insert would take two numbers from the sequence. */
	bool sequence_default = cs.default_expr && strstr(cs.default_expr, "nextval(");
	if (cs.default_expr && !sequence_default &&
	    add(p, p->expand, UNIT_WITH_NEXT, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", rel,
		qs, cs.default_expr) < 0)
		return -1;
	if (add(p, p->expand, UNIT_WITH_NEXT,
		"CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $migrate$\n"
		"BEGIN\n"
		"  /* every write of %s also writes its new-type shadow */\n"
		"  NEW.%s := %s;\n"
		"  RETURN NEW;\n"
		"END\n"
		"$migrate$",
		fn, col, qs, in_trigger) < 0)
		return -1;
	const char *label = arena_printf(p->a, "%s.%s", rv->relname, col);
	/* only rows the trigger has not written yet; a resumed backfill checks by it */
	const char *check = NULL;
	struct unit_list first = {0}, renames = {0};
	if (plan_move_column(p, rv, rel, col, shadow, trig, fn, label,
			     arena_printf(p->a, "%s = %s", qs, new_value),
			     arena_printf(p->a, "%s IS DISTINCT FROM %s", qs, new_value),
			     cs.not_null || cs.not_null_check, &first, &check, &renames) < 0 ||
	    add(p, p->contract, 0, "ALTER TABLE %s RENAME COLUMN %s TO %s", rel, qs, qc) < 0 ||
	    (sequence_default &&
	     add(p, p->contract, 0, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", rel, qc,
		 cs.default_expr) < 0))
		return -1;
	if (add_all(p, p->contract, &renames) < 0)
		return -1;
	if (check &&
	    (add(p, p->contract, 0, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", rel, qc) < 0 ||
	     add(p, p->contract, 0, "ALTER TABLE %s DROP CONSTRAINT %s", rel,
		 sql_ident(p->a, check)) < 0))
		return -1;
	return 0;
}

static int plan_rename_table(struct plan_ctx *p, const PgQuery__RenameStmt *rs)
{
	const PgQuery__RangeVar *rv = rs->relation;
	const char *rel = sql_rangevar(p->a, rv);
	const char *view = rv->schemaname && *rv->schemaname
			       ? arena_printf(p->a, "%s.%s", sql_ident(p->a, rv->schemaname),
					      sql_ident(p->a, rs->newname))
			       : sql_ident(p->a, rs->newname);
	/*
	 * The view depends on every column of the table: the contract of a column
	 * change planned in an earlier migration could not drop its old column.
	 */
	const char *pending;
	const char *params[] = {rel};
	if (q1(p, &pending,
	       "SELECT min(tgname) FROM pg_trigger WHERE tgrelid = to_regclass($1) "
	       "AND tgname LIKE 'migrate\\_sync\\_v%'",
	       1, params) < 0)
		return -1;
	if (pending) {
		mg_error_set_at(
		    p->err, 2, p->m->path, p->st->line, p->st->column,
		    "table '%s' has column changes that are expanded but not contracted "
		    "(trigger '%s'): renaming the table now would keep their contract from "
		    "dropping the old columns",
		    rv->relname, pending);
		mg_error_set_help(p->err, "contract those migrations first, then apply this one");
		return -1;
	}
	/* a simple view is updatable: the new name reads and writes the same rows */
	if (add(p, p->expand, 0, "CREATE VIEW %s AS SELECT * FROM %s", view, rel) < 0)
		return -1;
	/*
	 * The view goes first in contract, before the column changes planned
	 * earlier in this migration drop old columns it shows; all of it up to
	 * the rename in one transaction, so the new name never goes missing.
	 */
	/* in one transaction, a write log would only hold its lock through the
	 * copies: the column changes' contracts go without one */
	size_t kept = 0;
	for (size_t i = 0; i < p->contract->n; i++)
		if (!(p->contract->items[i].flags & UNIT_TRASH_LOG))
			p->contract->items[kept++] = p->contract->items[i];
	p->contract->n = kept;
	if (add(p, p->contract, UNIT_WITH_NEXT, "DROP VIEW %s", view) < 0)
		return -1;
	struct unit drop_view = p->contract->items[p->contract->n - 1];
	memmove(&p->contract->items[1], &p->contract->items[0],
		(p->contract->n - 1) * sizeof(*p->contract->items));
	p->contract->items[0] = drop_view;
	for (size_t i = 0; i < p->contract->n; i++)
		p->contract->items[i].flags |= UNIT_WITH_NEXT;
	if (add(p, p->contract, 0, "ALTER TABLE %s RENAME TO %s", rel,
		sql_ident(p->a, rs->newname)) < 0)
		return -1;
	return 0;
}

static int plan_add_column_volatile(struct plan_ctx *p, const PgQuery__RangeVar *rv,
				    const PgQuery__AlterTableCmd *cmd)
{
	const char *rel = sql_rangevar(p->a, rv);
	const PgQuery__ColumnDef *cd = cmd_column_def(cmd);
	const PgQuery__Node *def = lint_column_default(cd);
	const char *def_sql = deparse_expr(p->a, (PgQuery__Node *)def);
	if (!def_sql) {
		mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
				"cannot plan this default");
		return -1;
	}
	bool not_null = cd->is_not_null;
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *k = ast_constraint(cd->constraints[i]);
		if (k && k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL)
			not_null = true;
	}
	/* the column, plain and nullable: no rewrite */
	PgQuery__ColumnDef plain = PG_QUERY__COLUMN_DEF__INIT;
	plain.colname = cd->colname;
	plain.type_name = cd->type_name;
	plain.is_local = 1;
	PgQuery__Node def_node = PG_QUERY__NODE__INIT;
	def_node.node_case = PG_QUERY__NODE__NODE_COLUMN_DEF;
	def_node.column_def = &plain;
	PgQuery__AlterTableCmd add_cmd = PG_QUERY__ALTER_TABLE_CMD__INIT;
	add_cmd.subtype = PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn;
	add_cmd.def = &def_node;
	const char *qc = sql_ident(p->a, cd->colname);
	if (add(p, p->expand, UNIT_WITH_NEXT, "%s", deparse_alter(p->a, rv, &add_cmd)) < 0 ||
	    add(p, p->expand, 0, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", rel, qc,
		def_sql) < 0)
		return -1;
	const char *label = arena_printf(p->a, "%s.%s", rv->relname, cd->colname);
	if (add_backfill(p, rel, label, arena_printf(p->a, "%s = %s", qc, def_sql),
			 arena_printf(p->a, "%s IS NULL", qc)) < 0)
		return -1;
	if (not_null) {
		const char *check = pg_name(p->a, "%s_%s_not_null", rv->relname, cd->colname);
		if (add_not_null_check(p, rel, check, cd->colname) < 0 ||
		    add(p, p->contract, 0, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", rel, qc) <
			0 ||
		    add(p, p->contract, 0, "ALTER TABLE %s DROP CONSTRAINT %s", rel,
			sql_ident(p->a, check)) < 0)
			return -1;
	}
	return 0;
}

static int plan_intent(struct plan_ctx *p, const PgQuery__Node *n, const PgQuery__RangeVar *rv);

int planner_plan(struct driver *d, struct arena *a, const struct migration *m,
		 const struct sql_stmt *stmts, size_t at, bool *ret_planned,
		 struct unit_list *ret_expand, struct unit_list *ret_contract, struct mg_error *err)
{
	const struct sql_stmt *st = &stmts[at];
	*ret_planned = false;
	if (!d->ops->concurrent_ddl || !planner_handles(st->node))
		return 0;
	struct plan_ctx p = {d, a, m, st, stmts, at, ret_expand, ret_contract, err};
	const PgQuery__Node *n = st->node;
	const PgQuery__RangeVar *rv =
	    n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT    ? n->index_stmt->relation
	    : n->node_case == PG_QUERY__NODE__NODE_RENAME_STMT ? n->rename_stmt->relation
							       : n->alter_table_stmt->relation;
	/* a table this phase creates is not in use yet: nothing to plan */
	bool exists = false;
	if (!table_exists(&p, sql_rangevar(a, rv), &exists))
		return -1;
	if (!exists)
		return 0;
	if (refuse_if_composed(&p, rv) < 0)
		return -1;
	*ret_planned = true;
	size_t first_contract = ret_contract->n;
	int rc = plan_intent(&p, n, rv);
	/*
	 * Each intent's contract is a transaction of its own: no lock one intent's
	 * contract takes is held while the next one copies a column to the trash.
	 */
	for (size_t i = first_contract; rc == 0 && i < ret_contract->n; i++) {
		struct unit *u = &ret_contract->items[i];
		if (i == first_contract || (u[-1].flags & UNIT_ENDS_TRANSACTION))
			u->flags |= UNIT_OWN_TRANSACTION;
		if (i + 1 < ret_contract->n && !(u->flags & UNIT_ENDS_TRANSACTION))
			u->flags |= UNIT_WITH_NEXT;
	}
	return rc;
}

static int plan_intent(struct plan_ctx *p, const PgQuery__Node *n, const PgQuery__RangeVar *rv)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return plan_create_index(p, n->index_stmt);
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		return n->rename_stmt->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN
			   ? plan_rename_column(p, n->rename_stmt)
			   : plan_rename_table(p, n->rename_stmt);
	default: {
		const PgQuery__AlterTableCmd *cmd = single_cmd(n);
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
			return plan_add_constraint(p, rv, ast_constraint(cmd->def));
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
			return plan_set_not_null(p, rv, cmd->name);
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			return plan_alter_type(p, rv, cmd);
		default:
			return plan_add_column_volatile(p, rv, cmd);
		}
	}
	}
}
