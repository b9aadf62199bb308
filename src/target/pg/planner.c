/*
 * The zero-downtime planner for PostgreSQL (DESIGN.md, Planner). Each intent
 * becomes units of plain SQL; the runner executes them (statement by
 * statement when they must not share a transaction) and the inverse builder
 * derives their undo like any other statement's. Here: the entry, the
 * helpers the planner's files share, and the intents on indexes,
 * constraints, NOT NULL, table renames and added columns; renames and type
 * changes of a column are in planner_column.c.
 */
#include "target/pg/planner_internal.h"

#include <stdio.h>
#include <string.h>

#include "lint/rules.h"
#include "target/pg/inverse_pg.h"
#include "sql/ast.h"

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

int plan_q1(struct plan_ctx *p, const char **ret, const char *sql, int n, const char *const *params)
{
	struct driver_rows rows;
	*ret = NULL;
	if (p->d->ops->query(p->d, p->a, sql, n, params, &rows, p->err) < 0)
		return -1;
	*ret = driver_rows_get(&rows, 0, 0);
	return 0;
}

int plan_add(struct plan_ctx *p, struct unit_list *l, unsigned flags, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *sql = arena_vprintf(p->a, fmt, ap);
	va_end(ap);
	return unit_add(p->a, l, p->st, sql, flags, NULL, p->err);
}

/* Each unit of from, in order, at the end of l. */
int plan_add_all(struct plan_ctx *p, struct unit_list *l, const struct unit_list *from)
{
	for (size_t i = 0; i < from->n; i++)
		if (plan_add(p, l, from->items[i].flags, "%s", from->items[i].sql) < 0)
			return -1;
	return 0;
}

const char *plan_deparse_alter(struct arena *a, const PgQuery__RangeVar *rv,
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
const char *plan_deparse_expr(struct arena *a, PgQuery__Node *expr)
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

/*
 * The name of col's NOT NULL constraint (*ret NULL when it has none): since
 * PostgreSQL 18 a NOT NULL is a constraint of its own, with a name, in
 * pg_constraint (contype 'n'); before, there is none to find.
 */
int plan_not_null_constraint(struct plan_ctx *p, const char *rel, const char *col, const char **ret)
{
	const char *params[] = {rel, col};
	return plan_q1(p, ret,
		       "SELECT k.conname FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = "
		       "k.conrelid AND a.attnum = k.conkey[1] WHERE k.conrelid = to_regclass($1) "
		       "AND k.contype = 'n' AND a.attname = $2",
		       2, params);
}

/* Is rel a table (p->partitioned: a partitioned one)? */
static bool table_exists(struct plan_ctx *p, const char *rel, bool *ret)
{
	const char *v;
	const char *params[] = {rel};
	/* a view (e.g. the new name of a RENAME TABLE not contracted yet) has no
	 * rows of its own to build or backfill: the statement runs as written */
	if (plan_q1(p, &v,
		    "SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1) "
		    "AND relkind IN ('r', 'p')",
		    1, params) < 0)
		return false;
	*ret = v != NULL;
	p->partitioned = v && strcmp(v, "p") == 0;
	return true;
}

int plan_column_state(struct plan_ctx *p, const char *rel, const char *col,
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
 * The shadow columns of col: a type change expanded and not contracted yet,
 * as its sync trigger's function records them (names_pg_record). A type
 * change expanded before names were recorded has no record: its shadow is
 * found the way it was named then, <col>__v<version> beside a trigger
 * migrate_sync_v<version>_<col> (both cut at 63 bytes), for those alone.
 */
int plan_pending_shadows(struct plan_ctx *p, const char *rel, const char *col,
			 struct driver_rows *ret)
{
	const char *params[] = {rel, col};
	return p->d->ops->query(
	    p->d, p->a,
	    arena_printf(
		p->a,
		"SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass($1) "
		"AND NOT a.attisdropped AND (a.attname IN (SELECT x.name FROM (%s) AS x WHERE "
		"x.kind = '" NAMES_KIND_SHADOW "' AND x.col = $2) OR (left(a.attname, "
		"length($2) + 3) = $2 || '__v' AND substr(a.attname, length($2) + 4) ~ "
		"'^[0-9]+$' AND EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = "
		"a.attrelid AND NOT " NAMES_PG_IS_RECORD(
		    "obj_description(t.tgfoid, 'pg_proc')") " AND t.tgname = left('migrate_sync_v' "
							    "|| substr(a.attname, length($2) + 4) "
							    "|| '_' || $2, 63)))) ORDER BY "
							    "a.attnum",
		names_pg_recorded_sql(p->a, "to_regclass($1)")),
	    2, params, ret, p->err);
}

/*
 * A change of a column with a type change still to contract that has no plan
 * onto its shadow (a rename, another type change): refused, saying why, with
 * what to do.
 */
int plan_refuse_if_shadowed(struct plan_ctx *p, const char *rel, const char *table, const char *col,
			    const char *what, const char *why)
{
	struct driver_rows shadows;
	if (!col || plan_pending_shadows(p, rel, col, &shadows) < 0)
		return col ? -1 : 0;
	if (!shadows.n_rows)
		return 0;
	mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
			"column '%s.%s' has a type change that is expanded but not contracted "
			"(shadow column '%s'): %s is not planned (%s)",
			table, col, driver_rows_get(&shadows, 0, 0), what, why);
	mg_error_set_help(p->err, "contract the type change first (migrate up --phase contract "
				  "--to <its version>), then apply this migration");
	return -1;
}

/*
 * The columns of rel that the statement planned names (a key, an expression,
 * a foreign key's own columns) and that have a type change expanded and not
 * contracted yet, each with its one shadow. What is planned on such a column
 * goes onto the shadow under its own name, so that the type change's
 * contract, whenever it runs, swaps it in with the shadow; the old column
 * gets a copy under a name of its own, which that contract drops with it. A
 * column with two type changes in flight has no such plan: which shadow
 * becomes the column depends on which contract runs last.
 */
static int shadowed_columns(struct plan_ctx *p, const char *rel, const char *table,
			    const char *what, struct shadowed_column **ret, size_t *ret_n)
{
	struct driver_rows cols;
	const char *params[] = {rel};
	*ret_n = 0;
	if (p->d->ops->query(p->d, p->a,
			     "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) "
			     "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
			     1, params, &cols, p->err) < 0)
		return -1;
	*ret = arena_alloc(p->a, sizeof(**ret) * (cols.n_rows + 1));
	for (size_t i = 0; i < cols.n_rows; i++) {
		const char *col = driver_rows_get(&cols, i, 0);
		struct driver_rows shadows;
		if (!ast_mentions_column(p->st->node, col))
			continue;
		if (plan_pending_shadows(p, rel, col, &shadows) < 0)
			return -1;
		if (!shadows.n_rows)
			continue;
		if (shadows.n_rows > 1) {
			mg_error_set_at(
			    p->err, 2, p->m->path, p->st->line, p->st->column,
			    "column '%s.%s' has two type changes that are expanded but "
			    "not contracted (shadow columns '%s' and '%s'): %s it is not "
			    "planned, since which shadow becomes the column depends on "
			    "which contract runs last",
			    table, col, driver_rows_get(&shadows, 0, 0),
			    driver_rows_get(&shadows, 1, 0), what);
			mg_error_set_help(p->err, "contract one of the type changes first (migrate "
						  "up --phase contract --to <its version>), then "
						  "apply this migration");
			return -1;
		}
		if (p->partitioned) {
			mg_error_set_at(
			    p->err, 2, p->m->path, p->st->line, p->st->column,
			    "column '%s.%s' of partitioned table '%s' has a type change "
			    "that is expanded but not contracted: %s it is not planned",
			    table, col, table, what);
			mg_error_set_help(p->err,
					  "contract the type change first (migrate up "
					  "--phase contract --to <its version>), then apply "
					  "this migration");
			return -1;
		}
		(*ret)[*ret_n].col = col;
		(*ret)[*ret_n].shadow = driver_rows_get(&shadows, 0, 0);
		++*ret_n;
	}
	return 0;
}

/*
 * The statement planned, read again from the file (a tree of its own to
 * change), with each shadowed column renamed to its shadow: in expressions,
 * index keys, and the keys of the constraint it adds.
 */
static PgQuery__Node *on_shadows(struct plan_ctx *p, const struct shadowed_column *sh, size_t n)
{
	struct sql_section sec;
	struct mg_error perr = MG_ERROR_INIT;
	const char *text =
	    arena_strndup(p->a, p->m->text + p->st->offset, p->st->end - p->st->offset);
	if (sql_parse_string(p->a, text, &sec, &perr) < 0 || sec.n_stmts != 1) {
		mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
				"cannot plan this change onto the shadow column");
		return NULL;
	}
	PgQuery__Node *node = (PgQuery__Node *)sec.stmts[0].node;
	const PgQuery__AlterTableCmd *cmd = plan_single_cmd(node);
	PgQuery__Constraint *k = cmd ? (PgQuery__Constraint *)ast_constraint(cmd->def) : NULL;
	for (size_t i = 0; i < n; i++) {
		ast_rename_column_refs(node, sh[i].col, sh[i].shadow);
		if (k) {
			plan_rename_in_names(k->keys, k->n_keys, sh[i].col, sh[i].shadow);
			plan_rename_in_names(k->fk_attrs, k->n_fk_attrs, sh[i].col, sh[i].shadow);
		}
	}
	return node;
}

/* The name of the old column's copy of what is planned onto a shadow (shadowed_columns). */
static const char *old_column_copy_name(struct plan_ctx *p, const char *name)
{
	return names_make(p->a, "%s_v%lld", name, (long long)p->m->version);
}

/*
 * The planner reads the catalogue as it is before the migration runs: two
 * intents of one migration that would not see each other (planner_conflict)
 * are refused, with the way out: one migration each.
 */
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

/* The column to batch a backfill by: a one-column primary key, else a unique NOT NULL one. */
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

int plan_add_backfill(struct plan_ctx *p, const char *rel, const char *label, const char *set_sql,
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

/*
 * The name of the check that stands for NOT NULL on col until contract:
 * <table>_<col>_not_null_v<version>. Never <table>_<col>_not_null, the name
 * PostgreSQL 18 gives the NOT NULL constraint itself: SET NOT NULL would then
 * have to call that one ..._not_null1, and dropping the check by its name
 * after a swap had taken the old one away would drop the NOT NULL instead.
 */
const char *plan_not_null_check_name(struct plan_ctx *p, const char *table, const char *col)
{
	return names_make(p->a, "%s_%s_not_null_v%lld", table, col, (long long)p->m->version);
}

/* A NOT NULL that costs no long lock: a NOT VALID check, validated on its own. */
int plan_add_not_null_check(struct plan_ctx *p, const char *rel, const char *check, const char *col)
{
	if (plan_add(p, p->expand, 0,
		     "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID", rel,
		     sql_ident(p->a, check), sql_ident(p->a, col)) < 0 ||
	    plan_add(p, p->expand, UNIT_OWN_TRANSACTION, "ALTER TABLE %s VALIDATE CONSTRAINT %s",
		     rel, sql_ident(p->a, check)) < 0)
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
	return sql ? plan_add(p, p->expand, concurrently ? UNIT_ALONE : 0, "%s", sql) : -1;
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
		    plan_add(p, &attach, 0, "ALTER INDEX %s%s ATTACH PARTITION %s.%s", schema,
			     sql_ident(p->a, name), sql_ident(p->a, part->schemaname),
			     sql_ident(p->a, child)) < 0)
			return -1;
	}
	return plan_add_all(p, p->expand, &attach);
}

/*
 * An index of columns with a type change still to contract (shadowed_columns):
 * built on the shadows under the index's own name (PostgreSQL's, when the
 * statement names none), so the type change's contract leaves it on the
 * column, as the plain statements would; and on the old columns under a name
 * of its own, for the app until then (that contract drops it with them). An
 * index whose expressions or predicate read a shadowed column has no copy on
 * the old one: the type change's revert could not build it again.
 */
static int plan_index_on_shadows(struct plan_ctx *p, const PgQuery__IndexStmt *is,
				 const struct shadowed_column *sh, size_t n_sh)
{
	const char *name = is->idxname && *is->idxname
			       ? is->idxname
			       : pg_choose_index_name(p->d, p->a, is, false, p->err);
	PgQuery__Node *copy = name ? on_shadows(p, sh, n_sh) : NULL;
	if (!copy || add_index(p, copy->index_stmt, is->relation, name, true) < 0)
		return -1;
	bool plain_keys = !is->where_clause;
	for (size_t i = 0; i < is->n_index_params; i++) {
		const PgQuery__Node *e = is->index_params[i];
		plain_keys &=
		    e->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM && !e->index_elem->expr;
	}
	if (!plain_keys)
		return 0;
	return add_index(p, is, is->relation, old_column_copy_name(p, name), true);
}

static int plan_create_index(struct plan_ctx *p, const PgQuery__IndexStmt *is)
{
	const char *rel = sql_rangevar(p->a, is->relation);
	struct shadowed_column *sh;
	size_t n_sh;
	if (shadowed_columns(p, rel, is->relation->relname, "indexing", &sh, &n_sh) < 0)
		return -1;
	if (n_sh)
		return plan_index_on_shadows(p, is, sh, n_sh);
	if (p->partitioned)
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
		const char *sql = plan_deparse_alter(p->a, &part, cmd);
		if (!sql || plan_add(p, p->expand, 0, "%s", sql) < 0 ||
		    plan_add(p, p->expand, UNIT_OWN_TRANSACTION,
			     "ALTER TABLE %s VALIDATE CONSTRAINT %s", sql_rangevar(p->a, &part),
			     sql_ident(p->a, name)) < 0)
			return -1;
	}
	k->skip_validation = 0;
	k->initially_valid = 1;
	const char *sql = plan_deparse_alter(p->a, rv, cmd);
	return sql ? plan_add(p, p->expand, UNIT_OWN_TRANSACTION, "%s", sql) : -1;
}

/*
 * A CHECK or foreign key k named name on rv, NOT VALID, then validated on its
 * own (a foreign key on a partitioned table: plan_partitioned_foreign_key).
 */
static int add_validated_constraint(struct plan_ctx *p, const PgQuery__RangeVar *rv,
				    const PgQuery__Constraint *k, const char *name)
{
	PgQuery__Constraint copy = *k;
	copy.conname = (char *)name;
	copy.skip_validation = 1;
	copy.initially_valid = 0;
	PgQuery__Node kn = PG_QUERY__NODE__INIT;
	kn.node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
	kn.constraint = &copy;
	PgQuery__AlterTableCmd cmd = PG_QUERY__ALTER_TABLE_CMD__INIT;
	cmd.subtype = PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint;
	cmd.def = &kn;
	if (p->partitioned && k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
		return plan_partitioned_foreign_key(p, rv, &cmd, &copy, name);
	const char *sql = plan_deparse_alter(p->a, rv, &cmd);
	if (!sql || plan_add(p, p->expand, 0, "%s", sql) < 0)
		return -1;
	return plan_add(p, p->expand, UNIT_OWN_TRANSACTION, "ALTER TABLE %s VALIDATE CONSTRAINT %s",
			sql_rangevar(p->a, rv), sql_ident(p->a, name));
}

/*
 * A foreign key to a column with a type change still to contract: that
 * contract could not drop the old column the key would hold. Refused.
 */
static int refuse_if_references_shadowed(struct plan_ctx *p, const PgQuery__Constraint *k)
{
	if (k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN || !k->pktable)
		return 0;
	const char *ref = sql_rangevar(p->a, k->pktable);
	struct driver_rows cols = {0};
	/* no column list: the referenced table's primary key */
	if (k->n_pk_attrs == 0 && pg_primary_key_columns(p->d, p->a, ref, &cols, p->err) < 0)
		return -1;
	size_t n = k->n_pk_attrs ? k->n_pk_attrs : cols.n_rows;
	for (size_t i = 0; i < n; i++) {
		const char *col =
		    k->n_pk_attrs ? ast_string(k->pk_attrs[i]) : driver_rows_get(&cols, i, 0);
		struct driver_rows shadows;
		if (!col || plan_pending_shadows(p, ref, col, &shadows) < 0)
			return col ? -1 : 0;
		if (!shadows.n_rows)
			continue;
		mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
				"column '%s.%s', which this foreign key references, has a type "
				"change that is expanded but not contracted (shadow column '%s'): "
				"the key is not planned (that contract could not drop the old "
				"column the key would hold)",
				k->pktable->relname, col, driver_rows_get(&shadows, 0, 0));
		mg_error_set_help(p->err,
				  "contract the type change first (migrate up --phase "
				  "contract --to <its version>), then apply this migration");
		return -1;
	}
	return 0;
}

/* A foreign key on a shadowed column whose action writes the key (see plan_add_constraint). */
static int refuse_if_writing_action(struct plan_ctx *p, const PgQuery__Constraint *k,
				    const struct shadowed_column *sh)
{
	if (k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
		return 0;
	char del = k->fk_del_action && *k->fk_del_action ? *k->fk_del_action : 'a';
	char upd = k->fk_upd_action && *k->fk_upd_action ? *k->fk_upd_action : 'a';
	const char *action = del == 'n'	  ? "ON DELETE SET NULL"
			     : del == 'd' ? "ON DELETE SET DEFAULT"
			     : upd == 'n' ? "ON UPDATE SET NULL"
			     : upd == 'd' ? "ON UPDATE SET DEFAULT"
			     : upd == 'c' ? "ON UPDATE CASCADE"
					  : NULL;
	if (!action)
		return 0;
	mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
			"column '%s' has a type change that is expanded but not contracted "
			"(shadow column '%s'): a foreign key %s on it is not planned (the key "
			"goes on the shadow, and its action would write the shadow without the "
			"column)",
			sh->col, sh->shadow, action);
	mg_error_set_help(p->err, "contract the type change first (migrate up --phase contract "
				  "--to <its version>), then apply this migration");
	return -1;
}

static int plan_add_constraint(struct plan_ctx *p, const PgQuery__RangeVar *rv,
			       const PgQuery__Constraint *k)
{
	const char *rel = sql_rangevar(p->a, rv);
	const char *table = rv->relname;
	const char *name = k->conname && *k->conname ? k->conname : NULL;
	struct shadowed_column *sh;
	size_t n_sh;
	if (refuse_if_references_shadowed(p, k) < 0 ||
	    shadowed_columns(p, rel, table, "constraining", &sh, &n_sh) < 0)
		return -1;

	if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN ||
	    k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) {
		/* name it as PostgreSQL would, so VALIDATE can say which */
		if (!name)
			name = k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN
				   ? names_pg_object(
					 p->a, table,
					 key_names(p->a, k->fk_attrs, k->n_fk_attrs, "_", false),
					 "fkey")
				   : names_make(p->a, "%s_check_v%lld", table,
						(long long)p->m->version);
		/*
		 * On the shadows alone, under its name (shadowed_columns): every write
		 * of the old column writes its shadow too, so the check holds the
		 * app's writes from now on, and an expression written for the new
		 * type would not take the old one. A foreign key action that writes
		 * the key (SET NULL, SET DEFAULT, ON UPDATE CASCADE) would write the
		 * shadow behind the sync trigger's back: refused.
		 */
		if (n_sh) {
			if (refuse_if_writing_action(p, k, &sh[0]) < 0)
				return -1;
			PgQuery__Node *on = on_shadows(p, sh, n_sh);
			return on ? add_validated_constraint(
					p, rv, ast_constraint(plan_single_cmd(on)->def), name)
				  : -1;
		}
		return add_validated_constraint(p, rv, k, name);
	}
	if (n_sh) {
		mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
				"column '%s.%s' has a type change that is expanded but not "
				"contracted (shadow column '%s'): ADD %s on it is not planned (the "
				"constraint's index would have to move to the shadow under a lock)",
				table, sh[0].col, sh[0].shadow,
				k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ? "PRIMARY KEY"
										    : "UNIQUE");
		mg_error_set_help(p->err,
				  "write CREATE UNIQUE INDEX instead (planned onto the shadow), or "
				  "contract the type change first (migrate up --phase contract "
				  "--to <its version>), then apply this migration");
		return -1;
	}

	/* UNIQUE / PRIMARY KEY: the index first, built without blocking writes; a
	 * partitioned table takes no constraint USING INDEX */
	if (p->partitioned) {
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
		name = primary ? names_pg_object(p->a, table, NULL, "pkey")
			       : names_pg_object(p->a, table,
						 key_names(p->a, k->keys, k->n_keys, "_", false),
						 "key");
	const char *cols = key_names(p->a, k->keys, k->n_keys, ", ", true);
	if (plan_add(p, p->expand, UNIT_ALONE, "CREATE UNIQUE INDEX CONCURRENTLY %s ON %s (%s)",
		     sql_ident(p->a, name), rel, cols) < 0)
		return -1;
	/* a primary key needs NOT NULL columns: prove it with a validated check first */
	const char **checks = arena_alloc(p->a, sizeof(*checks) * (k->n_keys + 1));
	size_t n_checks = 0;
	if (primary) {
		for (size_t i = 0; i < k->n_keys; i++) {
			struct column_state cs;
			const char *col = ast_string(k->keys[i]);
			if (plan_column_state(p, rel, col, &cs) < 0)
				return -1;
			if (cs.exists && !cs.not_null) {
				const char *check = plan_not_null_check_name(p, table, col);
				if (plan_add_not_null_check(p, rel, check, col) < 0)
					return -1;
				/* said apart (no scan with the check in place), so that revert
				 * derives its DROP NOT NULL: the constraint alone would keep it */
				if (plan_add(p, p->expand, 0,
					     "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", rel,
					     sql_ident(p->a, col)) < 0)
					return -1;
				checks[n_checks++] = check;
			}
		}
	}
	if (plan_add(p, p->expand, 0, "ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s", rel,
		     sql_ident(p->a, name), primary ? "PRIMARY KEY" : "UNIQUE",
		     sql_ident(p->a, name)) < 0)
		return -1;
	for (size_t i = 0; i < n_checks; i++)
		if (plan_add(p, p->contract, 0, "ALTER TABLE %s DROP CONSTRAINT %s", rel,
			     sql_ident(p->a, checks[i])) < 0)
			return -1;
	return 0;
}

static int plan_set_not_null(struct plan_ctx *p, const PgQuery__RangeVar *rv, const char *col)
{
	const char *rel = sql_rangevar(p->a, rv);
	struct column_state cs;
	if (plan_column_state(p, rel, col, &cs) < 0)
		return -1;
	if (!cs.exists || cs.not_null)
		return plan_add(p, p->expand, 0, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", rel,
				sql_ident(p->a, col));
	const char *check = plan_not_null_check_name(p, rv->relname, col);
	if (plan_add_not_null_check(p, rel, check, col) < 0)
		return -1;
	/*
	 * A type change still to contract swaps its shadow in, before or after this
	 * contract: the shadow is made NOT NULL now (no scan, with its check
	 * validated), so either order ends NOT NULL. The app never writes the
	 * shadow itself; the sync trigger copies the column, which the check on it
	 * keeps from NULL.
	 */
	struct driver_rows shadows;
	if (plan_pending_shadows(p, rel, col, &shadows) < 0)
		return -1;
	for (size_t i = 0; i < shadows.n_rows; i++) {
		const char *shadow = driver_rows_get(&shadows, i, 0);
		const char *shadow_check = plan_not_null_check_name(p, rv->relname, shadow);
		if (plan_add_not_null_check(p, rel, shadow_check, shadow) < 0 ||
		    plan_add(p, p->expand, 0, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", rel,
			     sql_ident(p->a, shadow)) < 0 ||
		    plan_add(p, p->expand, 0, "ALTER TABLE %s DROP CONSTRAINT %s", rel,
			     sql_ident(p->a, shadow_check)) < 0)
			return -1;
		/* PostgreSQL 18 names the NOT NULL after the shadow; the swap keeps that
		 * name, so it takes the one the plain statement gives col's (the same
		 * already when both are cut to one prefix: nothing to rename) */
		const char *shadow_nn = names_pg_object(p->a, rv->relname, shadow, "not_null");
		const char *col_nn = names_pg_object(p->a, rv->relname, col, "not_null");
		if (p->d->server_version_num >= 180000 && strcmp(shadow_nn, col_nn) != 0 &&
		    plan_add(p, p->expand, 0, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", rel,
			     sql_ident(p->a, shadow_nn), sql_ident(p->a, col_nn)) < 0)
			return -1;
	}
	/* with the check validated, SET NOT NULL needs no scan (PostgreSQL 12+); the
	 * check on the old column is gone when a swap dropped that column */
	if (plan_add(p, p->contract, 0, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", rel,
		     sql_ident(p->a, col)) < 0 ||
	    plan_add(p, p->contract, 0, "ALTER TABLE %s DROP CONSTRAINT %s%s", rel,
		     shadows.n_rows ? "IF EXISTS " : "", sql_ident(p->a, check)) < 0)
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
	/* the sync triggers, by their functions' records; one made before names were
	 * recorded, by the name it was given then */
	if (plan_q1(
		p, &pending,
		arena_printf(p->a,
			     "SELECT min(t.tgname) FROM pg_trigger t WHERE t.tgrelid = "
			     "to_regclass($1) AND (t.tgname IN (SELECT x.tgname FROM (%s) AS x "
			     "WHERE x.kind IN ('" NAMES_KIND_SHADOW "', '" NAMES_KIND_RENAME
			     "')) OR (NOT " NAMES_PG_IS_RECORD(
				 "obj_description(t.tgfoid, 'pg_proc')") " AND t.tgname LIKE "
									 "'migrate\\_sync\\_v%%'))",
			     names_pg_recorded_sql(p->a, "to_regclass($1)")),
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
	if (plan_add(p, p->expand, 0, "CREATE VIEW %s AS SELECT * FROM %s", view, rel) < 0)
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
	if (plan_add(p, p->contract, UNIT_WITH_NEXT, "DROP VIEW %s", view) < 0)
		return -1;
	struct unit drop_view = p->contract->items[p->contract->n - 1];
	memmove(&p->contract->items[1], &p->contract->items[0],
		(p->contract->n - 1) * sizeof(*p->contract->items));
	p->contract->items[0] = drop_view;
	for (size_t i = 0; i < p->contract->n; i++)
		p->contract->items[i].flags |= UNIT_WITH_NEXT;
	if (plan_add(p, p->contract, 0, "ALTER TABLE %s RENAME TO %s", rel,
		     sql_ident(p->a, rs->newname)) < 0)
		return -1;
	return 0;
}

static int plan_add_column_volatile(struct plan_ctx *p, const PgQuery__RangeVar *rv,
				    const PgQuery__AlterTableCmd *cmd)
{
	const char *rel = sql_rangevar(p->a, rv);
	const PgQuery__ColumnDef *cd = plan_cmd_column_def(cmd);
	const PgQuery__Node *def = lint_column_default(cd);
	const char *def_sql = plan_deparse_expr(p->a, (PgQuery__Node *)def);
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
	if (plan_add(p, p->expand, UNIT_WITH_NEXT, "%s", plan_deparse_alter(p->a, rv, &add_cmd)) <
		0 ||
	    plan_add(p, p->expand, 0, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", rel, qc,
		     def_sql) < 0)
		return -1;
	const char *label = arena_printf(p->a, "%s.%s", rv->relname, cd->colname);
	if (plan_add_backfill(p, rel, label, arena_printf(p->a, "%s = %s", qc, def_sql),
			      arena_printf(p->a, "%s IS NULL", qc)) < 0)
		return -1;
	if (not_null) {
		const char *check = plan_not_null_check_name(p, rv->relname, cd->colname);
		if (plan_add_not_null_check(p, rel, check, cd->colname) < 0 ||
		    plan_add(p, p->contract, 0, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", rel,
			     qc) < 0 ||
		    plan_add(p, p->contract, 0, "ALTER TABLE %s DROP CONSTRAINT %s", rel,
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
	struct plan_ctx p = {.d = d,
			     .a = a,
			     .m = m,
			     .st = st,
			     .earlier = stmts,
			     .n_earlier = at,
			     .expand = ret_expand,
			     .contract = ret_contract,
			     .err = err};
	const PgQuery__Node *n = st->node;
	const PgQuery__RangeVar *rv = planner_target(n);
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
		const PgQuery__AlterTableCmd *cmd = plan_single_cmd(n);
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
