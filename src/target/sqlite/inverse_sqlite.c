/*
 * The inverse builder for SQLite: translates each statement, reads the live
 * schema right before it runs, and writes the steps that undo it.
 */
#include "target/sqlite/inverse_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/names.h"
#include "sql/ast.h"
#include "target/sqlite/translate_sqlite.h"
#include "util/hash.h"

#define OLD_PREFIX "_migrate_old_"

/* protobuf-c leaves an unset string "", not NULL */
static bool has(const char *s)
{
	return s && *s;
}

const char *sqlite_trash_name(struct arena *a, int64_t version, const char *table,
			      const char *column)
{
	if (column)
		return names_make(a, "_migrate_trash_v%lld_%s_%s", (long long)version, table,
				  column);
	return names_make(a, "_migrate_trash_v%lld_%s", (long long)version, table);
}

/* The statement as written, on one line and short, to name it in a message. */
static const char *stmt_summary(struct arena *a, const struct sql_stmt *st)
{
	const char *text = st->migration->text + st->offset;
	size_t n = st->end - st->offset, k = 0;
	char *out = arena_alloc(a, 72);
	bool space = false;
	for (size_t i = 0; i < n && k < 64; i++) {
		char c = text[i];
		if (c == '\n' || c == '\t' || c == ' ' || c == '\r') {
			space = k > 0;
			continue;
		}
		if (space)
			out[k++] = ' ';
		space = false;
		out[k++] = c;
	}
	if (k >= 64)
		memcpy(out + k, "...", 4);
	return out;
}

static int unsupported(const struct sql_stmt *st, struct arena *a, const char *why,
		       struct mg_error *err)
{
	mg_error_set_at(err, 2, st->migration->path, st->line, st->column,
			"SQLite cannot run '%s': %s", stmt_summary(a, st), why);
	mg_error_set_help(err, "nothing was applied; write a form SQLite has, or run this "
			       "migration on PostgreSQL (--db postgres://...)");
	return -1;
}

int inverse_sqlite_check(struct driver *d, struct arena *a, const struct sql_stmt *st,
			 struct mg_error *err)
{
	(void)d;
	struct sqlite_translation tr;
	const char *why;
	if (translate_sqlite_statement(a, st->node, &tr, &why) == SQLITE_UNSUPPORTED)
		return unsupported(st, a, why, err);
	return 0;
}

/* ---- reading the live schema ---- */

static int qrows(const struct inverse_input *in, struct driver_rows *ret, struct mg_error *err,
		 const char *sql, int n, const char *const *params)
{
	return in->driver->ops->query(in->driver, in->arena, sql, n, params, ret, err);
}

static int q1(const struct inverse_input *in, const char **ret, struct mg_error *err,
	      const char *sql, int n, const char *const *params)
{
	struct driver_rows rows;
	*ret = NULL;
	if (qrows(in, &rows, err, sql, n, params) < 0)
		return -1;
	*ret = driver_rows_get(&rows, 0, 0);
	return 0;
}

/*
 * The trash name for what source ("table[.column]") leaves: name, unless the
 * registry already gives it to something else (table "a_b" column "c" and
 * table "a" column "b_c" of one migration, or table "a_b" and table "a"'s
 * column "b"), whose copy would be overwritten; then name made apart by a hash
 * of source. A resumed or retried copy finds its own row and keeps its name.
 */
static int trash_name_for(const struct inverse_input *in, const char *name, const char *source,
			  const char **ret, struct mg_error *err)
{
	const char *held;
	const char *params[] = {name};
	if (q1(in, &held, err, "SELECT source FROM _migrate_trash WHERE name = ?1", 1, params) < 0)
		return -1;
	*ret = name;
	if (held && strcmp(held, source) != 0)
		*ret = names_make_apart(in->arena, source, "%s", name);
	return 0;
}

/* A table as it stands: what undoing a change to it rebuilds. */
struct table_snapshot {
	bool exists;
	const char *name;
	const char *sql;
	const char **objects; /* CREATE INDEX / CREATE TRIGGER of the table, in creation order */
	const char **object_names;
	size_t n_objects;
	const char **cols;
	size_t n_cols;
	const char **pk; /* primary key columns, in key order */
	size_t n_pk;
	bool has_rowid;
	bool rowid_alias; /* an INTEGER PRIMARY KEY names the rowid */
};

static int table_snapshot(const struct inverse_input *in, const char *table,
			  struct table_snapshot *ret, struct mg_error *err)
{
	struct driver_rows rows;
	const char *p[] = {table};
	memset(ret, 0, sizeof(*ret));
	if (qrows(in, &rows, err,
		  "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name = ?1 "
		  "COLLATE NOCASE",
		  1, p) < 0)
		return -1;
	if (rows.n_rows == 0)
		return 0;
	ret->exists = true;
	ret->name = driver_rows_get(&rows, 0, 0);
	ret->sql = driver_rows_get(&rows, 0, 1);
	const char *pn[] = {ret->name};
	if (qrows(in, &rows, err,
		  "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
		  "AND tbl_name = ?1 COLLATE NOCASE AND sql IS NOT NULL ORDER BY rowid",
		  1, pn) < 0)
		return -1;
	ret->n_objects = rows.n_rows;
	ret->objects = arena_alloc(in->arena, sizeof(char *) * (rows.n_rows + 1));
	ret->object_names = arena_alloc(in->arena, sizeof(char *) * (rows.n_rows + 1));
	for (size_t i = 0; i < rows.n_rows; i++) {
		ret->object_names[i] = driver_rows_get(&rows, i, 0);
		ret->objects[i] = driver_rows_get(&rows, i, 1);
	}
	if (qrows(in, &rows, err,
		  "SELECT name, pk, upper(type) FROM pragma_table_info(?1) ORDER BY cid", 1,
		  pn) < 0)
		return -1;
	ret->n_cols = rows.n_rows;
	ret->cols = arena_alloc(in->arena, sizeof(char *) * (rows.n_rows + 1));
	ret->pk = arena_alloc(in->arena, sizeof(char *) * (rows.n_rows + 1));
	const char *pk_type = NULL;
	for (size_t i = 0; i < rows.n_rows; i++) {
		ret->cols[i] = driver_rows_get(&rows, i, 0);
		int k = atoi(driver_rows_get(&rows, i, 1));
		if (k > 0 && (size_t)k <= rows.n_rows) {
			ret->pk[k - 1] = ret->cols[i];
			if ((size_t)k > ret->n_pk)
				ret->n_pk = (size_t)k;
			pk_type = driver_rows_get(&rows, i, 2);
		}
	}
	const char *wr;
	if (q1(in, &wr, err, "SELECT wr FROM pragma_table_list(?1)", 1, pn) < 0)
		return -1;
	ret->has_rowid = !wr || strcmp(wr, "0") == 0;
	ret->rowid_alias =
	    ret->has_rowid && ret->n_pk == 1 && pk_type && strcmp(pk_type, "INTEGER") == 0;
	return 0;
}

static bool list_has(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] && strcasecmp(list[i], name) == 0)
			return true;
	return false;
}

/* Tables whose foreign keys point at table (at column, when given). */
static int referencing_tables(const struct inverse_input *in, const char *table, const char *column,
			      const char *except, struct driver_rows *ret, struct mg_error *err)
{
	const char *p[] = {table, column, except};
	return qrows(
	    in, ret, err,
	    "SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
	    "WHERE m.type = 'table' AND f.\"table\" = ?1 COLLATE NOCASE "
	    "AND (?2 IS NULL OR f.\"to\" = ?2 COLLATE NOCASE) "
	    "AND m.name <> ?3 COLLATE NOCASE ORDER BY m.name",
	    3, p);
}

/* ---- steps ---- */

static void step(const struct inverse_input *in, struct step_list *l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void step(const struct inverse_input *in, struct step_list *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *sql = arena_vprintf(in->arena, fmt, ap);
	va_end(ap);
	step_list_add(in->arena, l, sql, 0, in->stmt->migration->path, in->stmt->line,
		      in->stmt->column);
}

static int failure(const struct inverse_input *in, struct mg_error *err, int code, const char *why)
{
	mg_error_set_at(err, code, in->stmt->migration->path, in->stmt->line, in->stmt->column,
			"%s", why);
	return -1;
}

static int irreversible(const struct inverse_input *in, struct mg_error *err, const char *why)
{
	mg_error_set_at(err, 2, in->stmt->migration->path, in->stmt->line, in->stmt->column,
			"cannot derive the revert of this statement on SQLite: %s", why);
	mg_error_set_help(err, "write the undo by hand under '-- migrate:revert-%s'",
			  migration_section_name(in->section));
	return -1;
}

/* A step that fails with message when it runs (what PostgreSQL itself would refuse there). */
static void fail_step(const struct inverse_input *in, struct step_list *l, const char *message)
{
	step(in, l, "SELECT migrate_fail(%s)", sqlite_literal(in->arena, message));
}

/* One table rebuild, the documented twelve steps inside the open transaction. */
struct rebuild {
	const char *table;
	const char *create_sql; /* the new definition, under the table's own name */
	const char **cols;	/* columns of the new table to fill ... */
	const char **exprs;	/* ... from these expressions over the old rows (alias o) */
	size_t n_cols;
	bool copy_rowid;
	const char *const *objects; /* indexes and triggers to make again */
	size_t n_objects;
	bool ignore_checks;    /* a CHECK ... NOT VALID: the old rows are not checked */
	bool check_own_fks;    /* keys of the table may now point nowhere */
	const char **children; /* tables whose keys point at it, to check */
	size_t n_children;
};

static void fk_check_step(const struct inverse_input *in, struct step_list *l, const char *table)
{
	struct arena *a = in->arena;
	step(in, l,
	     "SELECT migrate_fail('foreign key violated after rebuilding ' || %s || ': row ' || "
	     "rowid || ' of ' || \"table\" || ' has no parent in ' || parent) "
	     "FROM pragma_foreign_key_check(%s) LIMIT 1",
	     sqlite_literal(a, table), sqlite_literal(a, table));
}

static void rebuild_steps(const struct inverse_input *in, struct step_list *l,
			  const struct rebuild *rb)
{
	struct arena *a = in->arena;
	const char *t = sqlite_ident(a, rb->table);
	const char *old = sqlite_ident(a, arena_printf(a, OLD_PREFIX "%s", rb->table));
	/*
	 * Foreign keys off, so that dropping the old table neither deletes nor
	 * checks the rows that point at it; legacy renames, so that renaming it
	 * rewrites no view, trigger or foreign key that names it.
	 */
	step(in, l, "PRAGMA foreign_keys = OFF");
	step(in, l, "PRAGMA legacy_alter_table = ON");
	step(in, l, "ALTER TABLE %s RENAME TO %s", t, old);
	step(in, l, "%s", rb->create_sql);
	const char *cols = rb->copy_rowid ? "rowid" : "", *vals = rb->copy_rowid ? "o.rowid" : "";
	for (size_t i = 0; i < rb->n_cols; i++) {
		bool first = i == 0 && !rb->copy_rowid;
		cols = arena_printf(a, "%s%s%s", cols, first ? "" : ", ",
				    sqlite_ident(a, rb->cols[i]));
		vals = arena_printf(a, "%s%s%s", vals, first ? "" : ", ", rb->exprs[i]);
	}
	if (rb->ignore_checks)
		step(in, l, "PRAGMA ignore_check_constraints = ON");
	if (*cols)
		step(in, l, "INSERT INTO %s (%s) SELECT %s FROM %s AS o", t, cols, vals, old);
	if (rb->ignore_checks)
		step(in, l, "PRAGMA ignore_check_constraints = OFF");
	step(in, l, "DROP TABLE %s", old);
	for (size_t i = 0; i < rb->n_objects; i++)
		step(in, l, "%s", rb->objects[i]);
	step(in, l, "PRAGMA legacy_alter_table = OFF");
	step(in, l, "PRAGMA foreign_keys = ON");
	if (rb->check_own_fks)
		fk_check_step(in, l, rb->table);
	for (size_t i = 0; i < rb->n_children; i++)
		fk_check_step(in, l, rb->children[i]);
}

/*
 * The undo of a change to a table: the table rebuilt to the snapshot taken
 * before it, its columns copied back where they still exist and taken from
 * restore[] (an expression, or NULL) where they do not.
 */
static void undo_rebuild(const struct inverse_input *in, struct step_list *l,
			 const struct table_snapshot *s, const char *const *gone,
			 const char *const *restore, size_t n_gone)
{
	struct arena *a = in->arena;
	struct rebuild rb = {.table = s->name, .create_sql = s->sql};
	rb.cols = arena_alloc(a, sizeof(char *) * (s->n_cols + 1));
	rb.exprs = arena_alloc(a, sizeof(char *) * (s->n_cols + 1));
	for (size_t i = 0; i < s->n_cols; i++) {
		const char *expr = arena_printf(a, "o.%s", sqlite_ident(a, s->cols[i]));
		for (size_t k = 0; k < n_gone; k++)
			if (strcasecmp(gone[k], s->cols[i]) == 0)
				expr = restore[k];
		if (!expr)
			continue;
		rb.cols[rb.n_cols] = s->cols[i];
		rb.exprs[rb.n_cols++] = expr;
	}
	rb.copy_rowid = s->has_rowid && !s->rowid_alias;
	rb.objects = s->objects;
	rb.n_objects = s->n_objects;
	rebuild_steps(in, l, &rb);
}

/* ---- the table model: a CREATE TABLE tree to change ---- */

static PgQuery__Node *node_of(struct arena *a, PgQuery__Node__NodeCase kind, void *msg)
{
	PgQuery__Node *n = arena_alloc(a, sizeof(*n));
	*n = (PgQuery__Node)PG_QUERY__NODE__INIT;
	n->node_case = kind;
	switch (kind) {
	case PG_QUERY__NODE__NODE_CONSTRAINT:
		n->constraint = msg;
		break;
	case PG_QUERY__NODE__NODE_COLUMN_DEF:
		n->column_def = msg;
		break;
	default:
		break;
	}
	return n;
}

static void nodes_append(struct arena *a, PgQuery__Node ***items, size_t *n, PgQuery__Node *node)
{
	PgQuery__Node **grown = arena_alloc(a, sizeof(*grown) * (*n + 1));
	if (*n)
		memcpy(grown, *items, sizeof(*grown) * *n);
	grown[(*n)++] = node;
	*items = grown;
}

static void nodes_remove(PgQuery__Node **items, size_t *n, size_t i)
{
	memmove(items + i, items + i + 1, sizeof(*items) * (*n - i - 1));
	(*n)--;
}

static PgQuery__ColumnDef *model_column(PgQuery__CreateStmt *cs, const char *name)
{
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		PgQuery__Node *e = cs->table_elts[i];
		if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF && e->column_def->colname &&
		    strcasecmp(e->column_def->colname, name) == 0)
			return e->column_def;
	}
	return NULL;
}

static void column_drop_constraints(PgQuery__ColumnDef *cd, PgQuery__ConstrType kind)
{
	for (size_t i = 0; i < cd->n_constraints;) {
		const PgQuery__Constraint *c = ast_constraint(cd->constraints[i]);
		if (c && c->contype == kind)
			nodes_remove(cd->constraints, &cd->n_constraints, i);
		else
			i++;
	}
}

static bool column_has(const PgQuery__ColumnDef *cd, PgQuery__ConstrType kind)
{
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *c = ast_constraint(cd->constraints[i]);
		if (c && c->contype == kind)
			return true;
	}
	return false;
}

/* SQLite text parsed back into a table element (a column or a constraint). */
static PgQuery__Node *parse_element(struct arena *a, const char *text)
{
	PgQuery__CreateStmt *cs =
	    sqlite_table_parse(a, arena_printf(a, "CREATE TABLE x (%s)", text));
	return cs && cs->n_table_elts == 1 ? cs->table_elts[0] : NULL;
}

/* Does a constraint read the column (keys, foreign key columns, or its expression)? */
static bool constraint_uses(struct arena *a, const PgQuery__Constraint *c, const char *col)
{
	for (size_t i = 0; i < c->n_keys; i++)
		if (ast_string(c->keys[i]) && strcasecmp(ast_string(c->keys[i]), col) == 0)
			return true;
	for (size_t i = 0; i < c->n_fk_attrs; i++)
		if (ast_string(c->fk_attrs[i]) && strcasecmp(ast_string(c->fk_attrs[i]), col) == 0)
			return true;
	if (c->raw_expr) {
		const char **refs;
		size_t n;
		sqlite_column_refs(a, c->raw_expr, &refs, &n);
		return list_has(refs, n, col);
	}
	return false;
}

/* Does an index (its CREATE INDEX text) read the column? Unreadable ones are kept. */
static bool index_uses(struct arena *a, const char *sql, const char *col)
{
	PgQuery__IndexStmt *is = sqlite_index_parse(a, sql);
	if (!is)
		return false;
	for (size_t i = 0; i < is->n_index_params; i++) {
		const PgQuery__Node *n = is->index_params[i];
		if (n->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM)
			continue;
		if (has(n->index_elem->name) && strcasecmp(n->index_elem->name, col) == 0)
			return true;
		const char **refs;
		size_t k;
		sqlite_column_refs(a, n->index_elem->expr, &refs, &k);
		if (list_has(refs, k, col))
			return true;
	}
	const char **refs;
	size_t k;
	sqlite_column_refs(a, is->where_clause, &refs, &k);
	return list_has(refs, k, col);
}

/* Finds a named constraint: in the table's elements or on a column. */
static PgQuery__Constraint *model_constraint(PgQuery__CreateStmt *cs, const char *name,
					     PgQuery__Node ****ret_items, size_t **ret_n,
					     size_t *ret_i)
{
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		PgQuery__Node *e = cs->table_elts[i];
		if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    has(e->constraint->conname) && strcasecmp(e->constraint->conname, name) == 0) {
			*ret_items = &cs->table_elts;
			*ret_n = &cs->n_table_elts;
			*ret_i = i;
			return e->constraint;
		}
		if (e->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			continue;
		PgQuery__ColumnDef *cd = e->column_def;
		for (size_t k = 0; k < cd->n_constraints; k++) {
			PgQuery__Constraint *c =
			    cd->constraints[k]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT
				? cd->constraints[k]->constraint
				: NULL;
			if (c && has(c->conname) && strcasecmp(c->conname, name) == 0) {
				*ret_items = &cd->constraints;
				*ret_n = &cd->n_constraints;
				*ret_i = k;
				return c;
			}
		}
	}
	return NULL;
}

/* The column a column-level constraint is declared on, or NULL for a table constraint. */
static const char *constraint_column(PgQuery__CreateStmt *cs, const PgQuery__Constraint *c)
{
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *e = cs->table_elts[i];
		if (e->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			continue;
		for (size_t k = 0; k < e->column_def->n_constraints; k++)
			if (e->column_def->constraints[k]->constraint == c &&
			    e->column_def->constraints[k]->node_case ==
				PG_QUERY__NODE__NODE_CONSTRAINT)
				return e->column_def->colname;
	}
	return NULL;
}

static bool model_has_rowid_alias(PgQuery__CreateStmt *cs)
{
	const char *pk_col = NULL;
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *e = cs->table_elts[i];
		if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    e->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
			pk_col =
			    e->constraint->n_keys == 1 ? ast_string(e->constraint->keys[0]) : NULL;
	}
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *e = cs->table_elts[i];
		if (e->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			continue;
		const PgQuery__ColumnDef *cd = e->column_def;
		const char *type = cd->type_name
				       ? ast_last_name(cd->type_name->names, cd->type_name->n_names)
				       : NULL;
		bool pk = column_has(cd, PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY) ||
			  (pk_col && strcasecmp(pk_col, cd->colname) == 0);
		if (pk && type && strcmp(type, "int4") == 0)
			return true;
	}
	return false;
}

static const char *emit_model(struct arena *a, PgQuery__CreateStmt *cs, const char **ret_why)
{
	struct sqlite_tr t;
	sqlite_tr_init(&t, a, true);
	struct strbuf sb = STRBUF_INIT;
	const char *out = NULL;
	PgQuery__CreateStmt copy = *cs;
	copy.if_not_exists = 0;
	if (sqlite_tr_create_table(&t, &sb, &copy))
		out = arena_strdup(a, sb.buf);
	else
		*ret_why = t.why;
	strbuf_release(&sb);
	return out;
}

/* Translates one PostgreSQL piece with the table's constraint names taken. */
static const char *translate_piece(const struct inverse_input *in, PgQuery__CreateStmt *model,
				   const char *table, const PgQuery__ColumnDef *cd,
				   PgQuery__Constraint *c, const char **ret_why)
{
	struct sqlite_tr t;
	sqlite_tr_init(&t, in->arena, false);
	t.table = table;
	if (model)
		sqlite_tr_take_table_names(&t, model);
	struct strbuf sb = STRBUF_INIT;
	bool ok =
	    cd ? sqlite_tr_column_def(&t, &sb, cd, NULL) : sqlite_tr_table_constraint(&t, &sb, c);
	const char *out = ok ? arena_strdup(in->arena, sb.buf) : NULL;
	strbuf_release(&sb);
	if (!ok)
		*ret_why = t.why;
	return out;
}

/* Can SQLite's own ADD COLUMN take this (already translated) column? */
static bool native_add_column(const PgQuery__ColumnDef *cd)
{
	bool not_null = false, fk = false, has_default = false, constant_default = true;
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *c = ast_constraint(cd->constraints[i]);
		if (!c)
			return false;
		switch (c->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_NULL:
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
			not_null = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT: {
			const PgQuery__Node *d = c->raw_expr;
			bool is_null =
			    d && d->node_case == PG_QUERY__NODE__NODE_A_CONST && d->a_const->isnull;
			has_default = !is_null;
			constant_default = d && d->node_case == PG_QUERY__NODE__NODE_A_CONST;
			break;
		}
		case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_DEFERRABLE:
		case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_NOT_DEFERRABLE:
		case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_DEFERRED:
		case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_IMMEDIATE:
			fk = true;
			break;
		default:
			return false; /* CHECK, UNIQUE, PRIMARY KEY: the rebuild checks the rows */
		}
	}
	/* SQLite's rules for ADD COLUMN */
	if (!constant_default)
		return false;
	if (not_null && !has_default)
		return false;
	if (fk && has_default)
		return false;
	return true;
}

/* What an ALTER TABLE needs: the live table, its model, and what changes. */
struct alter {
	const struct inverse_input *in;
	struct table_snapshot snap;
	PgQuery__CreateStmt *model;
	const char *model_why; /* why the table's definition cannot be read back */
	bool rebuild;
	bool changed; /* the table's definition changes: undo by rebuilding to the snapshot */
	const char **live_cols; /* columns of the live table when the rebuild runs */
	size_t n_live, alloc_live;
	const char **gone; /* columns dropped, with the expression that restores them on undo */
	const char **restore;
	size_t n_gone, alloc_gone, alloc_restore;
	const char **retyped; /* columns of a new type: copied through this expression */
	const char **retype_expr;
	size_t n_retyped, alloc_retyped, alloc_retype_expr;
	const char **objects; /* indexes and triggers to make again after the rebuild */
	const char **object_names;
	size_t n_objects;
	bool ignore_checks, check_own_fks, check_children;
	struct step_list pre;	      /* runs before: trash copies */
	struct step_list forward;     /* the statement's own steps */
	struct step_list undo_tail;   /* after the undo rebuild: trash cleanup */
	struct step_list object_undo; /* undo of index-only changes (no rebuild) */
};

static int need_model(struct alter *al, struct mg_error *err)
{
	if (al->model)
		return 0;
	const struct inverse_input *in = al->in;
	mg_error_set_at(err, 3, in->stmt->migration->path, in->stmt->line, in->stmt->column,
			"cannot rebuild table '%s': its CREATE TABLE is not in a form migrate "
			"reads back%s%s",
			al->snap.name, al->model_why ? ": " : "",
			al->model_why ? al->model_why : "");
	mg_error_set_help(err, "SQLite's ALTER TABLE cannot make this change in place; tables "
			       "created through migrate can be rebuilt");
	return -1;
}

static void grow_push(struct arena *a, const char ***items, size_t *n, size_t *alloc, const char *v)
{
	ARENA_GROW(a, *items, *n, *alloc, *n + 1);
	(*items)[(*n)++] = v;
}

static int alter_add_column(struct alter *al, const PgQuery__AlterTableCmd *cmd,
			    struct mg_error *err)
{
	const struct inverse_input *in = al->in;
	struct arena *a = in->arena;
	const PgQuery__ColumnDef *cd = cmd->def->column_def;
	if (list_has(al->live_cols, al->n_live, cd->colname) ||
	    (al->model && model_column(al->model, cd->colname))) {
		if (cmd->missing_ok)
			return 0;
		fail_step(in, &al->forward,
			  arena_printf(a, "column \"%s\" of relation \"%s\" already exists",
				       cd->colname, al->snap.name));
		return 0;
	}
	const char *why = NULL;
	const char *text = translate_piece(in, al->model, al->snap.name, cd, NULL, &why);
	if (!text)
		return unsupported(in->stmt, a, why, err);
	PgQuery__Node *el = parse_element(a, text);
	if (!el || el->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return failure(in, err, 3, "cannot read back the translated column");
	al->changed = true;
	if (al->model)
		nodes_append(a, &al->model->table_elts, &al->model->n_table_elts, el);
	if (!al->rebuild && native_add_column(el->column_def)) {
		step(in, &al->forward, "ALTER TABLE %s ADD COLUMN %s",
		     sqlite_ident(a, al->snap.name), text);
		grow_push(a, &al->live_cols, &al->n_live, &al->alloc_live, cd->colname);
		return 0;
	}
	al->rebuild = true;
	return need_model(al, err);
}

static int alter_drop_column(struct alter *al, const PgQuery__AlterTableCmd *cmd, bool want_undo,
			     struct mg_error *err)
{
	const struct inverse_input *in = al->in;
	struct arena *a = in->arena;
	const char *col = cmd->name;
	if (!list_has(al->live_cols, al->n_live, col)) {
		if (!cmd->missing_ok)
			fail_step(in, &al->forward,
				  arena_printf(a, "column \"%s\" of relation \"%s\" does not exist",
					       col, al->snap.name));
		return 0;
	}
	if (list_has(al->snap.pk, al->snap.n_pk, col))
		return failure(in, err, 3,
			       arena_printf(a,
					    "cannot drop column \"%s\": it is part of the "
					    "primary key of \"%s\"",
					    col, al->snap.name));
	struct driver_rows refs;
	if (referencing_tables(in, al->snap.name, col, al->snap.name, &refs, err) < 0)
		return -1;
	if (refs.n_rows)
		return failure(in, err, 3,
			       arena_printf(a,
					    "cannot drop column \"%s\" of \"%s\": the foreign "
					    "key of table \"%s\" references it",
					    col, al->snap.name, driver_rows_get(&refs, 0, 0)));
	if (need_model(al, err) < 0)
		return -1;
	/* the column and, as PostgreSQL does, the constraints and indexes that read it */
	PgQuery__CreateStmt *cs = al->model;
	for (size_t i = 0; i < cs->n_table_elts;) {
		PgQuery__Node *e = cs->table_elts[i];
		bool drop = false;
		if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			PgQuery__ColumnDef *cd = e->column_def;
			drop = strcasecmp(cd->colname, col) == 0;
			for (size_t k = 0; !drop && k < cd->n_constraints;) {
				const PgQuery__Constraint *c = ast_constraint(cd->constraints[k]);
				if (c && c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK &&
				    constraint_uses(a, c, col))
					nodes_remove(cd->constraints, &cd->n_constraints, k);
				else
					k++;
			}
		} else if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
			drop = constraint_uses(a, e->constraint, col);
		}
		if (drop)
			nodes_remove(cs->table_elts, &cs->n_table_elts, i);
		else
			i++;
	}
	for (size_t i = 0; i < al->n_objects;) {
		if (strncasecmp(al->objects[i], "CREATE INDEX", 12) == 0 ||
			    strncasecmp(al->objects[i], "CREATE UNIQUE INDEX", 19) == 0
			? index_uses(a, al->objects[i], col)
			: false) {
			memmove(al->objects + i, al->objects + i + 1,
				sizeof(char *) * (al->n_objects - i - 1));
			memmove(al->object_names + i, al->object_names + i + 1,
				sizeof(char *) * (al->n_objects - i - 1));
			al->n_objects--;
		} else {
			i++;
		}
	}
	for (size_t i = 0; i < al->n_live; i++)
		if (strcasecmp(al->live_cols[i], col) == 0) {
			memmove(al->live_cols + i, al->live_cols + i + 1,
				sizeof(char *) * (al->n_live - i - 1));
			al->n_live--;
			break;
		}
	al->rebuild = al->changed = true;

	/* contract never destroys data: the values go aside, keyed by primary key or rowid */
	const char *restore = NULL;
	if (want_undo) {
		const char *keys = "", *match = "";
		if (al->snap.n_pk) {
			for (size_t i = 0; i < al->snap.n_pk; i++) {
				const char *k = sqlite_ident(a, al->snap.pk[i]);
				keys = arena_printf(a, "%s%s%s", keys, i ? ", " : "", k);
				match = arena_printf(a, "%s%sx.%s = o.%s", match, i ? " AND " : "",
						     k, k);
			}
		} else if (al->snap.has_rowid) {
			keys = "rowid AS \"_migrate_rowid\"";
			match = "x.\"_migrate_rowid\" = o.rowid";
		} else {
			return irreversible(in, err,
					    "the table has neither a primary key nor a rowid to "
					    "keep the column's values by");
		}
		const char *source = arena_printf(a, "%s.%s", al->snap.name, col);
		const char *tname;
		if (trash_name_for(in,
				   sqlite_trash_name(a, in->migration->version, al->snap.name, col),
				   source, &tname, err) < 0)
			return -1;
		const char *trash = sqlite_ident(a, tname);
		step(in, &al->pre, "DROP TABLE IF EXISTS %s", trash);
		step(in, &al->pre, "CREATE TABLE %s AS SELECT %s, %s FROM %s", trash, keys,
		     sqlite_ident(a, col), sqlite_ident(a, al->snap.name));
		step(in, &al->pre,
		     "INSERT INTO _migrate_trash (name, version, kind, source) VALUES (%s, %lld, "
		     "'column', %s) ON CONFLICT (name) DO UPDATE SET created_at = "
		     "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now')",
		     sqlite_literal(a, tname), (long long)in->migration->version,
		     sqlite_literal(a, source));
		restore = arena_printf(a, "(SELECT x.%s FROM %s AS x WHERE %s)",
				       sqlite_ident(a, col), trash, match);
		step(in, &al->undo_tail, "DROP TABLE %s", trash);
		step(in, &al->undo_tail, "DELETE FROM _migrate_trash WHERE name = %s",
		     sqlite_literal(a, tname));
	}
	ARENA_GROW(a, al->gone, al->n_gone, al->alloc_gone, al->n_gone + 1);
	ARENA_GROW(a, al->restore, al->n_gone, al->alloc_restore, al->n_gone + 1);
	al->gone[al->n_gone] = col;
	al->restore[al->n_gone++] = restore;
	return 0;
}

static int alter_type(struct alter *al, const PgQuery__AlterTableCmd *cmd, struct mg_error *err)
{
	const struct inverse_input *in = al->in;
	struct arena *a = in->arena;
	const PgQuery__ColumnDef *def = cmd->def->column_def;
	if (need_model(al, err) < 0)
		return -1;
	PgQuery__ColumnDef *cd = model_column(al->model, cmd->name);
	if (!cd) {
		fail_step(in, &al->forward,
			  arena_printf(a, "column \"%s\" of relation \"%s\" does not exist",
				       cmd->name, al->snap.name));
		return 0;
	}
	struct sqlite_tr t;
	sqlite_tr_init(&t, a, false);
	struct sqlite_type ty;
	if (!sqlite_tr_type(&t, def->type_name, &ty))
		return unsupported(in->stmt, a, t.why, err);
	PgQuery__Node *el = parse_element(a, arena_printf(a, "c %s", ty.name));
	if (!el || el->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return failure(in, err, 3, "cannot read back the translated type");
	struct sqlite_tr nt;
	sqlite_tr_init(&nt, a, true);
	struct sqlite_type old_ty;
	bool same =
	    sqlite_tr_type(&nt, cd->type_name, &old_ty) && strcmp(old_ty.name, ty.name) == 0;
	if (same && !def->raw_default)
		return 0; /* varchar(50) to text: one SQLite type, nothing to do */
	cd->type_name = el->column_def->type_name;
	const char *expr = arena_printf(a, "o.%s", sqlite_ident(a, cd->colname));
	if (def->raw_default) {
		struct strbuf sb = STRBUF_INIT;
		bool ok = sqlite_tr_expr(&t, &sb, def->raw_default);
		expr = arena_printf(a, "(%s)", sb.buf);
		strbuf_release(&sb);
		if (!ok)
			return unsupported(in->stmt, a, t.why, err);
	}
	ARENA_GROW(a, al->retyped, al->n_retyped, al->alloc_retyped, al->n_retyped + 1);
	ARENA_GROW(a, al->retype_expr, al->n_retyped, al->alloc_retype_expr, al->n_retyped + 1);
	al->retyped[al->n_retyped] = cd->colname;
	al->retype_expr[al->n_retyped++] = expr;
	al->rebuild = al->changed = al->check_own_fks = al->check_children = true;
	return 0;
}

static int alter_column_attr(struct alter *al, const PgQuery__AlterTableCmd *cmd,
			     struct mg_error *err)
{
	const struct inverse_input *in = al->in;
	struct arena *a = in->arena;
	if (need_model(al, err) < 0)
		return -1;
	PgQuery__ColumnDef *cd = model_column(al->model, cmd->name);
	if (!cd) {
		fail_step(in, &al->forward,
			  arena_printf(a, "column \"%s\" of relation \"%s\" does not exist",
				       cmd->name, al->snap.name));
		return 0;
	}
	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
		column_drop_constraints(cd, PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT);
		if (cmd->def) {
			PgQuery__ColumnDef col = PG_QUERY__COLUMN_DEF__INIT;
			PgQuery__TypeName tn = PG_QUERY__TYPE_NAME__INIT;
			PgQuery__Node *names[1];
			PgQuery__String s = PG_QUERY__STRING__INIT;
			PgQuery__Node name = PG_QUERY__NODE__INIT;
			PgQuery__Constraint c = PG_QUERY__CONSTRAINT__INIT;
			PgQuery__Node cn = PG_QUERY__NODE__INIT;
			PgQuery__Node *cons[1] = {&cn};
			s.sval = "text";
			name.node_case = PG_QUERY__NODE__NODE_STRING;
			name.string = &s;
			names[0] = &name;
			tn.names = names;
			tn.n_names = 1;
			c.contype = PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT;
			c.raw_expr = cmd->def;
			cn.node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
			cn.constraint = &c;
			col.colname = "c";
			col.type_name = &tn;
			col.constraints = cons;
			col.n_constraints = 1;
			const char *why = NULL;
			const char *text =
			    translate_piece(in, NULL, al->snap.name, &col, NULL, &why);
			if (!text)
				return unsupported(in->stmt, a, why, err);
			PgQuery__Node *el = parse_element(a, text);
			if (!el || el->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF ||
			    !el->column_def->n_constraints)
				return failure(in, err, 3,
					       "cannot read back the translated default");
			nodes_append(a, &cd->constraints, &cd->n_constraints,
				     el->column_def->constraints[0]);
		}
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		if (column_has(cd, PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL))
			return 0;
		column_drop_constraints(cd, PG_QUERY__CONSTR_TYPE__CONSTR_NULL);
		{
			PgQuery__Constraint *c = arena_alloc(a, sizeof(*c));
			*c = (PgQuery__Constraint)PG_QUERY__CONSTRAINT__INIT;
			c->contype = PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL;
			nodes_append(a, &cd->constraints, &cd->n_constraints,
				     node_of(a, PG_QUERY__NODE__NODE_CONSTRAINT, c));
		}
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		if (!column_has(cd, PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL))
			return 0;
		if (list_has(al->snap.pk, al->snap.n_pk, cd->colname))
			return failure(
			    in, err, 3,
			    arena_printf(a, "column \"%s\" is in a primary key", cd->colname));
		column_drop_constraints(cd, PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL);
		break;
	default:
		break;
	}
	al->rebuild = al->changed = true;
	return 0;
}

/* Undo steps of an index-only change go first: later changes are undone first. */
static void object_undo_prepend(struct alter *al, const struct step_list *undo)
{
	struct step_list merged = {0};
	step_list_append(al->in->arena, &merged, undo);
	step_list_append(al->in->arena, &merged, &al->object_undo);
	al->object_undo = merged;
}

static int alter_add_constraint(struct alter *al, const PgQuery__AlterTableCmd *cmd,
				struct mg_error *err)
{
	const struct inverse_input *in = al->in;
	struct arena *a = in->arena;
	PgQuery__Constraint *c = cmd->def->constraint;
	if (has(c->indexname)) {
		/* UNIQUE USING INDEX: the unique index is the constraint; it takes its name */
		const char *name = has(c->conname) ? c->conname : c->indexname;
		if (strcasecmp(name, c->indexname) == 0)
			return 0;
		size_t i = 0;
		while (i < al->n_objects && strcasecmp(al->object_names[i], c->indexname) != 0)
			i++;
		if (i == al->n_objects) {
			fail_step(in, &al->forward,
				  arena_printf(a, "index \"%s\" does not exist", c->indexname));
			return 0;
		}
		PgQuery__IndexStmt *is = sqlite_index_parse(a, al->objects[i]);
		if (!is)
			return failure(in, err, 3, "cannot read back the index");
		is->idxname = (char *)name;
		struct sqlite_tr t;
		sqlite_tr_init(&t, a, true);
		struct strbuf sb = STRBUF_INIT;
		bool ok = sqlite_tr_create_index(&t, &sb, is, name);
		const char *sql = arena_strdup(a, sb.buf);
		strbuf_release(&sb);
		if (!ok)
			return failure(in, err, 3, t.why);
		struct step_list undo = {0};
		step(in, &al->forward, "DROP INDEX %s", sqlite_ident(a, c->indexname));
		step(in, &al->forward, "%s", sql);
		step(in, &undo, "DROP INDEX %s", sqlite_ident(a, name));
		step(in, &undo, "%s", al->objects[i]);
		object_undo_prepend(al, &undo);
		al->objects[i] = sql;
		al->object_names[i] = name;
		return 0;
	}
	if (need_model(al, err) < 0)
		return -1;
	const char *why = NULL;
	PgQuery__Constraint copy = *c;
	const char *text = translate_piece(in, al->model, al->snap.name, NULL, &copy, &why);
	if (!text)
		return unsupported(in->stmt, a, why, err);
	PgQuery__Node *el = parse_element(a, text);
	if (!el || el->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
		return failure(in, err, 3, "cannot read back the translated constraint");
	nodes_append(a, &al->model->table_elts, &al->model->n_table_elts, el);
	if (c->skip_validation && c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
		al->ignore_checks = true;
	if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN && !c->skip_validation)
		al->check_own_fks = true;
	al->rebuild = al->changed = true;
	return 0;
}

static int alter_drop_constraint(struct alter *al, const PgQuery__AlterTableCmd *cmd,
				 struct mg_error *err)
{
	const struct inverse_input *in = al->in;
	struct arena *a = in->arena;
	if (al->model) {
		PgQuery__Node ***items;
		size_t *n, i;
		if (model_constraint(al->model, cmd->name, &items, &n, &i)) {
			nodes_remove(*items, n, i);
			al->rebuild = al->changed = true;
			return 0;
		}
	}
	/* a UNIQUE made from an index (ADD CONSTRAINT ... USING INDEX) is that index */
	for (size_t k = 0; k < al->n_objects; k++) {
		if (strcasecmp(al->object_names[k], cmd->name) != 0 ||
		    strncasecmp(al->objects[k], "CREATE UNIQUE INDEX", 19) != 0)
			continue;
		struct step_list undo = {0};
		step(in, &al->forward, "DROP INDEX %s", sqlite_ident(a, cmd->name));
		step(in, &undo, "%s", al->objects[k]);
		object_undo_prepend(al, &undo);
		memmove(al->objects + k, al->objects + k + 1,
			sizeof(char *) * (al->n_objects - k - 1));
		memmove(al->object_names + k, al->object_names + k + 1,
			sizeof(char *) * (al->n_objects - k - 1));
		al->n_objects--;
		return 0;
	}
	if (!al->model)
		return need_model(al, err);
	if (!cmd->missing_ok)
		fail_step(in, &al->forward,
			  arena_printf(a, "constraint \"%s\" of relation \"%s\" does not exist",
				       cmd->name, al->snap.name));
	return 0;
}

static int alter_validate(struct alter *al, const PgQuery__AlterTableCmd *cmd, struct mg_error *err)
{
	const struct inverse_input *in = al->in;
	struct arena *a = in->arena;
	if (need_model(al, err) < 0)
		return -1;
	PgQuery__Node ***items;
	size_t *n, i;
	PgQuery__Constraint *c = model_constraint(al->model, cmd->name, &items, &n, &i);
	if (!c) {
		fail_step(in, &al->forward,
			  arena_printf(a, "constraint \"%s\" of relation \"%s\" does not exist",
				       cmd->name, al->snap.name));
		return 0;
	}
	const char *t = sqlite_ident(a, al->snap.name);
	const char *msg = arena_printf(a,
				       "check constraint \"%s\" of relation \"%s\" is violated "
				       "by some row",
				       cmd->name, al->snap.name);
	if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) {
		struct sqlite_tr tr;
		sqlite_tr_init(&tr, a, true);
		struct strbuf sb = STRBUF_INIT;
		bool ok = sqlite_tr_expr(&tr, &sb, c->raw_expr);
		const char *e = arena_strdup(a, sb.buf);
		strbuf_release(&sb);
		if (!ok)
			return failure(in, err, 3, tr.why);
		step(in, &al->forward, "SELECT migrate_fail(%s) FROM %s WHERE NOT (%s) LIMIT 1",
		     sqlite_literal(a, msg), t, e);
		return 0;
	}
	if (c->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
		return 0; /* other constraints are always valid */
	/* which of pragma_foreign_key_list's keys this is: same parent, same columns */
	const char *cols = "";
	PgQuery__Node *const *attrs = c->fk_attrs;
	size_t n_attrs = c->n_fk_attrs;
	const char *column = constraint_column(al->model, c);
	if (!n_attrs && column)
		cols = column;
	for (size_t k = 0; k < n_attrs; k++)
		cols = arena_printf(a, "%s%s%s", cols, k ? "," : "", ast_string(attrs[k]));
	const char *p[] = {al->snap.name, c->pktable ? c->pktable->relname : "", cols};
	const char *id;
	if (q1(in, &id, err,
	       "SELECT id FROM (SELECT id, \"table\" AS parent, group_concat(\"from\", ',') AS "
	       "cols "
	       "FROM (SELECT * FROM pragma_foreign_key_list(?1) ORDER BY id, seq) GROUP BY id) "
	       "WHERE parent = ?2 COLLATE NOCASE AND cols = ?3 COLLATE NOCASE",
	       3, p) < 0)
		return -1;
	const char *fmsg = arena_printf(a,
					"foreign key constraint \"%s\" of relation \"%s\" is "
					"violated by some row",
					cmd->name, al->snap.name);
	step(in, &al->forward,
	     "SELECT migrate_fail(%s || ': row ' || rowid || ' has no parent in ' || parent) FROM "
	     "pragma_foreign_key_check(%s)%s%s LIMIT 1",
	     sqlite_literal(a, fmsg), sqlite_literal(a, al->snap.name), id ? " WHERE fkid = " : "",
	     id ? id : "");
	return 0;
}

static void finish_rebuild(struct alter *al, struct mg_error *err, int *rc)
{
	const struct inverse_input *in = al->in;
	struct arena *a = in->arena;
	const char *why = NULL;
	const char *sql = emit_model(a, al->model, &why);
	if (!sql) {
		*rc = failure(in, err, 3,
			      arena_printf(a, "cannot write the rebuilt table \"%s\": %s",
					   al->snap.name, why ? why : "unknown"));
		return;
	}
	struct rebuild rb = {.table = al->snap.name, .create_sql = sql};
	rb.cols = arena_alloc(a, sizeof(char *) * (al->model->n_table_elts + 1));
	rb.exprs = arena_alloc(a, sizeof(char *) * (al->model->n_table_elts + 1));
	for (size_t i = 0; i < al->model->n_table_elts; i++) {
		const PgQuery__Node *e = al->model->table_elts[i];
		if (e->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			continue;
		const char *col = e->column_def->colname;
		if (!list_has(al->live_cols, al->n_live, col))
			continue; /* new: its default fills it */
		const char *expr = arena_printf(a, "o.%s", sqlite_ident(a, col));
		for (size_t k = 0; k < al->n_retyped; k++)
			if (strcasecmp(al->retyped[k], col) == 0)
				expr = al->retype_expr[k];
		rb.cols[rb.n_cols] = col;
		rb.exprs[rb.n_cols++] = expr;
	}
	rb.copy_rowid =
	    al->snap.has_rowid && !al->snap.rowid_alias && !model_has_rowid_alias(al->model);
	rb.objects = al->objects;
	rb.n_objects = al->n_objects;
	rb.ignore_checks = al->ignore_checks;
	rb.check_own_fks = al->check_own_fks;
	if (al->check_children) {
		struct driver_rows rows;
		if (referencing_tables(in, al->snap.name, NULL, al->snap.name, &rows, err) < 0) {
			*rc = -1;
			return;
		}
		rb.children = arena_alloc(a, sizeof(char *) * (rows.n_rows + 1));
		for (size_t i = 0; i < rows.n_rows; i++)
			rb.children[rb.n_children++] = driver_rows_get(&rows, i, 0);
	}
	rebuild_steps(in, &al->forward, &rb);
}

static int alter_table(const struct inverse_input *in, const PgQuery__AlterTableStmt *as,
		       bool want_undo, struct inverse_result *ret, struct mg_error *err)
{
	struct arena *a = in->arena;
	struct alter al = {.in = in};
	const char *table = as->relation ? as->relation->relname : "";
	if (table_snapshot(in, table, &al.snap, err) < 0)
		return -1;
	if (!al.snap.exists) {
		if (!as->missing_ok)
			fail_step(in, &ret->forward,
				  arena_printf(a, "relation \"%s\" does not exist", table));
		return 0;
	}
	al.model = sqlite_table_parse(a, al.snap.sql);
	if (!al.model)
		al.model_why = "its CREATE TABLE does not parse";
	for (size_t i = 0; i < al.snap.n_cols; i++)
		grow_push(a, &al.live_cols, &al.n_live, &al.alloc_live, al.snap.cols[i]);
	al.objects = arena_alloc(a, sizeof(char *) * (al.snap.n_objects + 1));
	al.object_names = arena_alloc(a, sizeof(char *) * (al.snap.n_objects + 1));
	for (size_t i = 0; i < al.snap.n_objects; i++) {
		al.objects[i] = al.snap.objects[i];
		al.object_names[i] = al.snap.object_names[i];
	}
	al.n_objects = al.snap.n_objects;

	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		int rc = 0;
		if (!cmd)
			continue;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			rc = alter_add_column(&al, cmd, err);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			rc = alter_drop_column(&al, cmd, want_undo, err);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			rc = alter_type(&al, cmd, err);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
			rc = alter_column_attr(&al, cmd, err);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
			rc = alter_add_constraint(&al, cmd, err);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
			rc = alter_drop_constraint(&al, cmd, err);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
			rc = alter_validate(&al, cmd, err);
			break;
		default:
			rc = unsupported(in->stmt, a,
					 "SQLite's ALTER TABLE has no counterpart of this action",
					 err);
			break;
		}
		if (rc < 0)
			return -1;
	}
	int rc = 0;
	if (al.rebuild)
		finish_rebuild(&al, err, &rc);
	if (rc < 0)
		return -1;
	step_list_append(a, &ret->forward, &al.pre);
	step_list_append(a, &ret->forward, &al.forward);
	if (!want_undo)
		return 0;
	if (al.changed) {
		undo_rebuild(in, &ret->inverse, &al.snap, al.gone, al.restore, al.n_gone);
		step_list_append(a, &ret->inverse, &al.undo_tail);
	} else {
		step_list_append(a, &ret->inverse, &al.object_undo);
	}
	return 0;
}

/* ---- other statements ---- */

static const char *object_sql(const struct inverse_input *in, const char *type, const char *name,
			      struct mg_error *err, int *rc)
{
	const char *sql = NULL;
	const char *p[] = {type, name};
	*rc =
	    q1(in, &sql, err,
	       "SELECT sql FROM sqlite_master WHERE type = ?1 AND name = ?2 COLLATE NOCASE", 2, p);
	return sql;
}

static int drop_table(const struct inverse_input *in, const PgQuery__DropStmt *ds, const char *name,
		      bool want_undo, struct inverse_result *ret, struct mg_error *err)
{
	struct arena *a = in->arena;
	struct table_snapshot s;
	if (table_snapshot(in, name, &s, err) < 0)
		return -1;
	if (!s.exists || !want_undo) {
		step(in, &ret->forward, "DROP TABLE %s%s", ds->missing_ok ? "IF EXISTS " : "",
		     sqlite_ident(a, name));
		return 0;
	}
	struct driver_rows refs;
	if (referencing_tables(in, s.name, NULL, s.name, &refs, err) < 0)
		return -1;
	if (refs.n_rows)
		return failure(in, err, 3,
			       arena_printf(a,
					    "cannot drop table \"%s\": the foreign key of table "
					    "\"%s\" references it",
					    s.name, driver_rows_get(&refs, 0, 0)));
	/* contract never destroys data: the table moves aside, revert moves it back */
	const char *tname;
	if (trash_name_for(in, sqlite_trash_name(a, in->migration->version, s.name, NULL), s.name,
			   &tname, err) < 0)
		return -1;
	step(in, &ret->forward, "DROP TABLE IF EXISTS %s", sqlite_ident(a, tname));
	step(in, &ret->forward, "ALTER TABLE %s RENAME TO %s", sqlite_ident(a, s.name),
	     sqlite_ident(a, tname));
	step(in, &ret->forward,
	     "INSERT INTO _migrate_trash (name, version, kind, source) VALUES (%s, %lld, 'table', "
	     "%s) ON CONFLICT (name) DO UPDATE SET created_at = "
	     "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now')",
	     sqlite_literal(a, tname), (long long)in->migration->version,
	     sqlite_literal(a, s.name));
	struct step_list undo = {0};
	step(in, &undo, "ALTER TABLE %s RENAME TO %s", sqlite_ident(a, tname),
	     sqlite_ident(a, s.name));
	step(in, &undo, "DELETE FROM _migrate_trash WHERE name = %s", sqlite_literal(a, tname));
	struct step_list merged = {0};
	step_list_append(a, &merged, &undo);
	step_list_append(a, &merged, &ret->inverse);
	ret->inverse = merged;
	return 0;
}

static int drop_stmt(const struct inverse_input *in, const PgQuery__DropStmt *ds, bool want_undo,
		     struct inverse_result *ret, struct mg_error *err)
{
	struct arena *a = in->arena;
	for (size_t i = 0; i < ds->n_objects; i++) {
		const char *schema, *name;
		ast_object_name(ds->objects[i], &schema, &name);
		if (ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
			if (drop_table(in, ds, name, want_undo, ret, err) < 0)
				return -1;
			continue;
		}
		bool index = ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX;
		int rc;
		const char *sql = object_sql(in, index ? "index" : "view", name, err, &rc);
		if (rc < 0)
			return -1;
		step(in, &ret->forward, "DROP %s %s%s", index ? "INDEX" : "VIEW",
		     ds->missing_ok ? "IF EXISTS " : "", sqlite_ident(a, name));
		if (sql && want_undo) {
			/* later objects are undone first */
			struct step_list merged = {0};
			step(in, &merged, "%s", sql);
			step_list_append(a, &merged, &ret->inverse);
			ret->inverse = merged;
		}
	}
	return 0;
}

static int rename_index(const struct inverse_input *in, const PgQuery__RenameStmt *rs,
			struct inverse_result *ret, struct mg_error *err)
{
	struct arena *a = in->arena;
	const char *name = rs->relation ? rs->relation->relname : "";
	int rc;
	const char *sql = object_sql(in, "index", name, err, &rc);
	if (rc < 0)
		return -1;
	if (!sql) {
		if (!rs->missing_ok)
			fail_step(in, &ret->forward,
				  arena_printf(a, "relation \"%s\" does not exist", name));
		return 0;
	}
	PgQuery__IndexStmt *is = sqlite_index_parse(a, sql);
	if (!is)
		return failure(in, err, 3, "cannot read back the index to rename it");
	struct sqlite_tr t;
	sqlite_tr_init(&t, a, true);
	struct strbuf sb = STRBUF_INIT;
	bool ok = sqlite_tr_create_index(&t, &sb, is, rs->newname);
	const char *renamed = arena_strdup(a, sb.buf);
	strbuf_release(&sb);
	if (!ok)
		return failure(in, err, 3, t.why);
	/* SQLite renames no index: it is made again under the new name */
	step(in, &ret->forward, "DROP INDEX %s", sqlite_ident(a, name));
	step(in, &ret->forward, "%s", renamed);
	step(in, &ret->inverse, "DROP INDEX %s", sqlite_ident(a, rs->newname));
	step(in, &ret->inverse, "%s", sql);
	return 0;
}

static int rename_constraint(const struct inverse_input *in, const PgQuery__RenameStmt *rs,
			     bool want_undo, struct inverse_result *ret, struct mg_error *err)
{
	struct arena *a = in->arena;
	struct alter al = {.in = in};
	const char *table = rs->relation ? rs->relation->relname : "";
	if (table_snapshot(in, table, &al.snap, err) < 0)
		return -1;
	if (!al.snap.exists) {
		fail_step(in, &ret->forward,
			  arena_printf(a, "relation \"%s\" does not exist", table));
		return 0;
	}
	al.model = sqlite_table_parse(a, al.snap.sql);
	if (need_model(&al, err) < 0)
		return -1;
	PgQuery__Node ***items;
	size_t *n, i;
	PgQuery__Constraint *c = model_constraint(al.model, rs->subname, &items, &n, &i);
	if (!c) {
		fail_step(in, &ret->forward,
			  arena_printf(a, "constraint \"%s\" for table \"%s\" does not exist",
				       rs->subname, al.snap.name));
		return 0;
	}
	c->conname = rs->newname;
	for (size_t k = 0; k < al.snap.n_cols; k++)
		grow_push(a, &al.live_cols, &al.n_live, &al.alloc_live, al.snap.cols[k]);
	al.objects = (const char **)al.snap.objects;
	al.n_objects = al.snap.n_objects;
	al.object_names = (const char **)al.snap.object_names;
	int rc = 0;
	finish_rebuild(&al, err, &rc);
	if (rc < 0)
		return -1;
	step_list_append(a, &ret->forward, &al.forward);
	if (want_undo)
		undo_rebuild(in, &ret->inverse, &al.snap, NULL, NULL, 0);
	return 0;
}

static int build(const struct inverse_input *in, struct inverse_result *ret, bool want_undo,
		 struct mg_error *err)
{
	struct arena *a = in->arena;
	const PgQuery__Node *stmt = in->stmt->node;
	memset(ret, 0, sizeof(*ret));
	struct sqlite_translation tr;
	const char *why;
	enum sqlite_translate_result r = translate_sqlite_statement(a, stmt, &tr, &why);
	if (r == SQLITE_UNSUPPORTED)
		return unsupported(in->stmt, a, why, err);
	ret->note = tr.note;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT: {
		const PgQuery__CreateStmt *cs = stmt->create_stmt;
		struct table_snapshot s;
		if (table_snapshot(in, cs->relation->relname, &s, err) < 0)
			return -1;
		step(in, &ret->forward, "%s", tr.sql[0]);
		if (!(s.exists && cs->if_not_exists))
			step(in, &ret->inverse, "DROP TABLE %s",
			     sqlite_ident(a, cs->relation->relname));
		return 0;
	}
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *is = stmt->index_stmt;
		const char *name = is->idxname;
		int rc;
		if (!name || !*name) {
			/* PostgreSQL's name for it, with a number when taken */
			const char *base = sqlite_index_default_name(a, is);
			name = base;
			for (int k = 1;; k++) {
				const char *taken;
				const char *p[] = {name};
				if (q1(in, &taken, err,
				       "SELECT name FROM sqlite_master WHERE name = ?1 COLLATE "
				       "NOCASE",
				       1, p) < 0)
					return -1;
				if (!taken)
					break;
				name = arena_printf(a, "%s%d", base, k);
			}
			struct sqlite_tr t;
			sqlite_tr_init(&t, a, false);
			struct strbuf sb = STRBUF_INIT;
			bool ok = sqlite_tr_create_index(&t, &sb, is, name);
			step(in, &ret->forward, "%s", sb.buf);
			strbuf_release(&sb);
			if (!ok)
				return unsupported(in->stmt, a, t.why, err);
		} else {
			step(in, &ret->forward, "%s", tr.sql[0]);
		}
		const char *existing = object_sql(in, "index", name, err, &rc);
		if (rc < 0)
			return -1;
		if (!(existing && is->if_not_exists))
			step(in, &ret->inverse, "DROP INDEX IF EXISTS %s", sqlite_ident(a, name));
		return 0;
	}
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return drop_stmt(in, stmt->drop_stmt, want_undo, ret, err);
	case PG_QUERY__NODE__NODE_VIEW_STMT: {
		const PgQuery__ViewStmt *vs = stmt->view_stmt;
		int rc;
		const char *old = object_sql(in, "view", vs->view->relname, err, &rc);
		if (rc < 0)
			return -1;
		for (size_t i = 0; i < tr.n; i++)
			step(in, &ret->forward, "%s", tr.sql[i]);
		step(in, &ret->inverse, "DROP VIEW IF EXISTS %s",
		     sqlite_ident(a, vs->view->relname));
		if (old && vs->replace)
			step(in, &ret->inverse, "%s", old);
		return 0;
	}
	case PG_QUERY__NODE__NODE_RENAME_STMT: {
		const PgQuery__RenameStmt *rs = stmt->rename_stmt;
		if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX)
			return rename_index(in, rs, ret, err);
		if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT)
			return rename_constraint(in, rs, want_undo, ret, err);
		step(in, &ret->forward, "%s", tr.sql[0]);
		if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
			step(in, &ret->inverse, "ALTER TABLE %s RENAME TO %s",
			     sqlite_ident(a, rs->newname), sqlite_ident(a, rs->relation->relname));
		else
			step(in, &ret->inverse, "ALTER TABLE %s RENAME COLUMN %s TO %s",
			     sqlite_ident(a, rs->relation->relname), sqlite_ident(a, rs->newname),
			     sqlite_ident(a, rs->subname));
		return 0;
	}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return alter_table(in, stmt->alter_table_stmt, want_undo, ret, err);
	default:
		/* data changes, queries, and what is skipped: lint refused what cannot be undone */
		for (size_t i = 0; i < tr.n; i++)
			step(in, &ret->forward, "%s", tr.sql[i]);
		return 0;
	}
}

int inverse_sqlite_before(const struct inverse_input *in, struct inverse_result *ret,
			  struct mg_error *err)
{
	return build(in, ret, true, err);
}

int inverse_sqlite_after(const struct inverse_input *in, struct inverse_result *ret,
			 struct mg_error *err)
{
	/* SQLite names nothing behind the statement's back: before() saw it all */
	(void)in;
	(void)ret;
	(void)err;
	return 0;
}

int inverse_sqlite_translate(const struct inverse_input *in, struct inverse_result *ret,
			     struct mg_error *err)
{
	int rc = build(in, ret, false, err);
	ret->inverse = (struct step_list){0};
	return rc;
}
