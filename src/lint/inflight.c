/*
 * What the migrations in flight on a shared database do to which objects,
 * read from their statements: the files of this checkout, the recorded SQL
 * of other branches' migrations.
 */
#include "lint/inflight.h"

#include <string.h>

#include "sql/ast.h"
#include "sql/parse.h"

static void touch_add(struct arena *a, struct inflight_touches *l, enum inflight_object_kind kind,
		      enum inflight_act act, const char *table, const char *name, const char *via,
		      int location)
{
	if (!name)
		return;
	ARENA_GROW(a, l->items, l->n, l->alloc, l->n + 1);
	l->items[l->n++] = (struct inflight_touch){kind, act, table, name, via, location};
}

/* Column names of a list of String nodes (a constraint's keys) or IndexElems. */
static void columns_touch(struct arena *a, struct inflight_touches *l, PgQuery__Node *const *cols,
			  size_t n, enum inflight_act act, const char *table, const char *via)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__Node *c = cols[i];
		if (c->node_case == PG_QUERY__NODE__NODE_STRING)
			touch_add(a, l, INFLIGHT_COLUMN, act, table, ast_string(c), via, -1);
		else if (c->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM && c->index_elem->name)
			touch_add(a, l, INFLIGHT_COLUMN, act, table, c->index_elem->name, via, -1);
	}
}

struct refs {
	struct arena *a;
	const char **columns;
	size_t n_columns, alloc_columns;
	const char **tables;
	size_t n_tables, alloc_tables;
};

static void refs_visit(ProtobufCMessage *msg, void *ctx)
{
	struct refs *r = ctx;
	if (msg->descriptor == &pg_query__column_ref__descriptor) {
		const PgQuery__ColumnRef *cr = (const PgQuery__ColumnRef *)msg;
		const char *name = cr->n_fields ? ast_string(cr->fields[cr->n_fields - 1]) : NULL;
		if (name) {
			ARENA_GROW(r->a, r->columns, r->n_columns, r->alloc_columns,
				   r->n_columns + 1);
			r->columns[r->n_columns++] = name;
		}
	} else if (msg->descriptor == &pg_query__range_var__descriptor) {
		const PgQuery__RangeVar *rv = (const PgQuery__RangeVar *)msg;
		if (rv->relname) {
			ARENA_GROW(r->a, r->tables, r->n_tables, r->alloc_tables, r->n_tables + 1);
			r->tables[r->n_tables++] = rv->relname;
		}
	}
}

/* The columns an expression names, each as one of table's. */
static void expr_columns_touch(struct arena *a, struct inflight_touches *l,
			       const PgQuery__Node *expr, enum inflight_act act, const char *table,
			       const char *via)
{
	struct refs r = {.a = a};
	if (expr)
		ast_visit(&expr->base, refs_visit, &r);
	for (size_t i = 0; i < r.n_columns; i++)
		touch_add(a, l, INFLIGHT_COLUMN, act, table, r.columns[i], via, -1);
}

/* A foreign key reads the referenced columns (the whole table when it names none). */
static void foreign_key_touch(struct arena *a, struct inflight_touches *l,
			      const PgQuery__Constraint *k, const char *table)
{
	if (!k->pktable || !k->pktable->relname)
		return;
	const char *via = k->conname && *k->conname
			      ? arena_printf(a, "foreign key %s", k->conname)
			      : arena_printf(a, "a foreign key of %s", table ? table : "a table");
	if (k->n_pk_attrs)
		columns_touch(a, l, k->pk_attrs, k->n_pk_attrs, INFLIGHT_USES, k->pktable->relname,
			      via);
	else
		touch_add(a, l, INFLIGHT_TABLE, INFLIGHT_USES, NULL, k->pktable->relname, via,
			  k->pktable->location);
}

/* A constraint on table (of a column colname when it is a column's). */
static void constraint_touch(struct arena *a, struct inflight_touches *l,
			     const PgQuery__Constraint *k, const char *table, const char *colname,
			     int location)
{
	bool named = k->conname && *k->conname;
	const char *via = named ? arena_printf(a, "constraint %s", k->conname) : NULL;
	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		foreign_key_touch(a, l, k, table);
		if (colname)
			touch_add(a, l, INFLIGHT_COLUMN, INFLIGHT_CONSTRAINS, table, colname, via,
				  location);
		columns_touch(a, l, k->fk_attrs, k->n_fk_attrs, INFLIGHT_CONSTRAINS, table, via);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		if (colname)
			touch_add(a, l, INFLIGHT_COLUMN, INFLIGHT_CONSTRAINS, table, colname, via,
				  location);
		else
			expr_columns_touch(a, l, k->raw_expr, INFLIGHT_CONSTRAINS, table, via);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		if (colname)
			touch_add(a, l, INFLIGHT_COLUMN, INFLIGHT_CONSTRAINS, table, colname, via,
				  location);
		columns_touch(a, l, k->keys, k->n_keys, INFLIGHT_CONSTRAINS, table, via);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
		if (colname)
			touch_add(a, l, INFLIGHT_COLUMN, INFLIGHT_CONSTRAINS, table, colname,
				  "NOT NULL", location);
		return;
	default:
		return;
	}
	if (named)
		touch_add(a, l, INFLIGHT_CONSTRAINT, INFLIGHT_CREATES, table, k->conname, NULL,
			  location);
}

static void column_def_touch(struct arena *a, struct inflight_touches *l,
			     const PgQuery__ColumnDef *cd, const char *table, int location)
{
	touch_add(a, l, INFLIGHT_COLUMN, INFLIGHT_CREATES, table, cd->colname, NULL, location);
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *k = ast_constraint(cd->constraints[i]);
		/* a new column's own constraints are part of creating it */
		if (k && k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
			foreign_key_touch(a, l, k, table);
	}
}

static void create_table_touch(struct arena *a, struct inflight_touches *l,
			       const PgQuery__CreateStmt *cs)
{
	if (!cs->relation || !cs->relation->relname)
		return;
	const char *table = cs->relation->relname;
	touch_add(a, l, INFLIGHT_TABLE, INFLIGHT_CREATES, NULL, table, NULL,
		  cs->relation->location);
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *e = cs->table_elts[i];
		if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			column_def_touch(a, l, e->column_def, table, e->column_def->location);
		else if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
			 e->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
			foreign_key_touch(a, l, e->constraint, table);
	}
}

static void alter_table_touch(struct arena *a, struct inflight_touches *l,
			      const PgQuery__AlterTableStmt *as)
{
	if (!as->relation || !as->relation->relname)
		return;
	const char *table = as->relation->relname;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *c = ast_alter_cmd(as->cmds[i]);
		if (!c)
			continue;
		int at = as->relation->location;
		switch (c->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			if (c->def && c->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				column_def_touch(a, l, c->def->column_def, table,
						 c->def->column_def->location);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			touch_add(a, l, INFLIGHT_COLUMN, INFLIGHT_DROPS, table, c->name, NULL, at);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType: {
			const PgQuery__ColumnDef *cd =
			    c->def && c->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF
				? c->def->column_def
				: NULL;
			touch_add(a, l, INFLIGHT_COLUMN, INFLIGHT_RETYPES, table, c->name, NULL,
				  cd ? cd->location : at);
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
			touch_add(a, l, INFLIGHT_COLUMN, INFLIGHT_CONSTRAINS, table, c->name,
				  "NOT NULL", at);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
			touch_add(a, l, INFLIGHT_COLUMN, INFLIGHT_CHANGES, table, c->name, NULL,
				  at);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint: {
			const PgQuery__Constraint *k = ast_constraint(c->def);
			if (k)
				constraint_touch(a, l, k, table, NULL, k->location);
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
			touch_add(a, l, INFLIGHT_CONSTRAINT, INFLIGHT_DROPS, table, c->name, NULL,
				  at);
			break;
		default:
			break;
		}
	}
}

/* The kind of a relation a RENAME or DROP names; false for kinds this does not follow. */
static bool relation_kind(PgQuery__ObjectType type, enum inflight_object_kind *ret)
{
	switch (type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		*ret = INFLIGHT_TABLE;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		*ret = INFLIGHT_VIEW;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		*ret = INFLIGHT_INDEX;
		return true;
	default:
		return false;
	}
}

static void rename_touch(struct arena *a, struct inflight_touches *l, const PgQuery__RenameStmt *rs)
{
	const char *table = rs->relation ? rs->relation->relname : NULL;
	int at = rs->relation ? rs->relation->location : -1;
	enum inflight_object_kind kind;
	const char *old = table, *owner = NULL;
	if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN ||
	    rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT) {
		kind = rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN
			   ? INFLIGHT_COLUMN
			   : INFLIGHT_CONSTRAINT;
		old = rs->subname;
		owner = table;
	} else if (!relation_kind(rs->rename_type, &kind)) {
		return;
	}
	touch_add(a, l, kind, INFLIGHT_RENAMES, owner, old, NULL, at);
	/* the new name is made by the rename */
	touch_add(a, l, kind, INFLIGHT_CREATES, owner, rs->newname, NULL, at);
}

static void index_touch(struct arena *a, struct inflight_touches *l, const PgQuery__IndexStmt *is)
{
	if (!is->relation || !is->relation->relname)
		return;
	const char *table = is->relation->relname;
	bool named = is->idxname && *is->idxname;
	const char *via =
	    named ? arena_printf(a, "%sindex %s", is->unique ? "unique " : "", is->idxname)
		  : arena_printf(a, "a %sindex", is->unique ? "unique " : "");
	/* a unique index constrains what may be written; any index is one more use */
	enum inflight_act act = is->unique ? INFLIGHT_CONSTRAINS : INFLIGHT_USES;
	for (size_t i = 0; i < is->n_index_params; i++) {
		const PgQuery__Node *p = is->index_params[i];
		if (p->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM)
			continue;
		if (p->index_elem->name)
			touch_add(a, l, INFLIGHT_COLUMN, act, table, p->index_elem->name, via,
				  is->relation->location);
		else
			expr_columns_touch(a, l, p->index_elem->expr, act, table, via);
	}
	expr_columns_touch(a, l, is->where_clause, INFLIGHT_USES, table, via);
	if (named)
		touch_add(a, l, INFLIGHT_INDEX, INFLIGHT_CREATES, table, is->idxname, NULL,
			  is->relation->location);
}

static void drop_touch(struct arena *a, struct inflight_touches *l, const PgQuery__DropStmt *ds)
{
	enum inflight_object_kind kind;
	if (!relation_kind(ds->remove_type, &kind))
		return;
	for (size_t i = 0; i < ds->n_objects; i++) {
		const char *schema = NULL, *name = NULL;
		ast_object_name(ds->objects[i], &schema, &name);
		touch_add(a, l, kind, INFLIGHT_DROPS, NULL, name, NULL, -1);
	}
}

/* A view reads the columns its query names of the tables it names. */
static void view_touch(struct arena *a, struct inflight_touches *l, const PgQuery__ViewStmt *vs)
{
	if (!vs->view || !vs->view->relname)
		return;
	const char *via = arena_printf(a, "view %s", vs->view->relname);
	struct refs r = {.a = a};
	if (vs->query)
		ast_visit(&vs->query->base, refs_visit, &r);
	for (size_t t = 0; t < r.n_tables; t++) {
		touch_add(a, l, INFLIGHT_TABLE, INFLIGHT_USES, NULL, r.tables[t], via, -1);
		for (size_t c = 0; c < r.n_columns; c++)
			touch_add(a, l, INFLIGHT_COLUMN, INFLIGHT_USES, r.tables[t], r.columns[c],
				  via, -1);
	}
	touch_add(a, l, INFLIGHT_VIEW, vs->replace ? INFLIGHT_CHANGES : INFLIGHT_CREATES, NULL,
		  vs->view->relname, NULL, vs->view->location);
}

void inflight_touches_of(struct arena *a, const PgQuery__Node *stmt, struct inflight_touches *ret)
{
	if (!stmt)
		return;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		create_table_touch(a, ret, stmt->create_stmt);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		alter_table_touch(a, ret, stmt->alter_table_stmt);
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		rename_touch(a, ret, stmt->rename_stmt);
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		index_touch(a, ret, stmt->index_stmt);
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		drop_touch(a, ret, stmt->drop_stmt);
		break;
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		view_touch(a, ret, stmt->view_stmt);
		break;
	default:
		break;
	}
}

static void section_touches(struct arena *a, const struct migration *m, enum migration_section s,
			    struct inflight_touches *ret)
{
	struct sql_section sec;
	struct mg_error ignore = MG_ERROR_INIT;
	if (!m->sections[s].present || sql_parse_section(a, m, s, &sec, &ignore) < 0)
		return;
	for (size_t i = 0; i < sec.n_stmts; i++)
		inflight_touches_of(a, sec.stmts[i].node, ret);
}

/*
 * What the steps say: forward steps as they are; an undo step the other way
 * round (its DROP is what the migration created, its CREATE what it dropped,
 * its rename the migration's rename read backwards).
 */
static void steps_touches(struct arena *a, const struct step_list *steps, bool undo,
			  struct inflight_touches *ret)
{
	for (size_t i = 0; i < steps->n; i++) {
		struct sql_section sec;
		struct mg_error ignore = MG_ERROR_INIT;
		if (!steps->items[i].sql ||
		    sql_parse_string(a, steps->items[i].sql, &sec, &ignore) < 0)
			continue;
		size_t first = ret->n;
		for (size_t k = 0; k < sec.n_stmts; k++)
			inflight_touches_of(a, sec.stmts[k].node, ret);
		for (size_t k = first; undo && k < ret->n; k++) {
			struct inflight_touch *t = &ret->items[k];
			t->location = -1;
			if (t->act == INFLIGHT_DROPS)
				t->act = INFLIGHT_CREATES;
			else if (t->act == INFLIGHT_CREATES && t->kind != INFLIGHT_COLUMN &&
				 t->kind != INFLIGHT_TABLE)
				t->act = INFLIGHT_DROPS;
			else if (t->act == INFLIGHT_RENAMES)
				t->act = INFLIGHT_CREATES;
			else if (t->act == INFLIGHT_CREATES)
				t->act = INFLIGHT_CHANGES;
		}
	}
}

static const struct migration *file_of(const struct migration_set *set, int64_t version)
{
	for (size_t k = 0; k < set->n; k++)
		if (set->items[k]->has_version && set->items[k]->version == version)
			return set->items[k];
	return NULL;
}

static bool in_flight(const struct history_entry *e, const struct migration *m)
{
	if (e->phase == HISTORY_PENDING)
		return false;
	return !m || e->phase != HISTORY_CONTRACTED;
}

const struct lint_inflight_set *lint_inflight_build(struct arena *a,
						    const struct migration_set *set,
						    const struct history *h,
						    const struct lint_options *opts)
{
	struct lint_inflight_set *ret = arena_alloc(a, sizeof(*ret));
	memset(ret, 0, sizeof(*ret));
	ret->items = arena_alloc(a, sizeof(*ret->items) * (h->n + 1));
	for (size_t i = 0; i < h->n; i++) {
		const struct history_entry *e = &h->items[i];
		const struct migration *m = file_of(set, e->version);
		if (!in_flight(e, m) || (m && m->kind != MIGRATION_SQL))
			continue;
		struct inflight_migration *x = &ret->items[ret->n++];
		memset(x, 0, sizeof(*x));
		x->version = e->version;
		x->name = e->name;
		x->phase = e->phase;
		x->in_checkout = m != NULL;
		bool contracting =
		    e->phase == HISTORY_CONTRACTING || e->phase == HISTORY_CONTRACTED;
		if (m) {
			section_touches(a, m, SECTION_EXPAND, &x->touches);
			if (contracting)
				section_touches(a, m, SECTION_CONTRACT, &x->touches);
			continue;
		}
		steps_touches(a, &e->planned_expand, false, &x->touches);
		steps_touches(a, &e->revert_expand, true, &x->touches);
		for (size_t k = 0; k < opts->n_definitions; k++) {
			if (opts->definitions[k].version != e->version)
				continue;
			struct step_list one = {0};
			step_list_add(a, &one, opts->definitions[k].sql, 0, NULL, 0, 0);
			steps_touches(a, &one, false, &x->touches);
		}
		if (contracting) {
			steps_touches(a, &e->planned_contract, false, &x->touches);
			steps_touches(a, &e->revert_contract, true, &x->touches);
		}
	}
	return ret;
}

/* The kind of object a target's object_definition_sql is asked of. */
static const char *definition_kind(enum inflight_object_kind kind)
{
	switch (kind) {
	case INFLIGHT_INDEX:
		return "index";
	case INFLIGHT_CONSTRAINT:
		return "constraint";
	case INFLIGHT_VIEW:
		return "view";
	default:
		return NULL;
	}
}

int lint_definitions_read(struct driver *d, struct arena *a, const struct migration_set *set,
			  const struct history *h, struct lint_definition **ret, size_t *ret_n,
			  struct mg_error *err)
{
	*ret = NULL;
	*ret_n = 0;
	/* a target whose catalogue cannot say how an object was made */
	if (!d->ops->object_definition_sql)
		return 0;
	size_t alloc = 0;
	for (size_t i = 0; i < h->n; i++) {
		const struct history_entry *e = &h->items[i];
		if (file_of(set, e->version) || !in_flight(e, NULL))
			continue;
		struct inflight_touches made = {0};
		steps_touches(a, &e->revert_expand, true, &made);
		for (size_t k = 0; k < made.n; k++) {
			const struct inflight_touch *t = &made.items[k];
			const char *sql_of =
			    t->act == INFLIGHT_CREATES && definition_kind(t->kind)
				? d->ops->object_definition_sql(definition_kind(t->kind))
				: NULL;
			if (!sql_of)
				continue;
			const char *params[] = {t->name, t->table ? t->table : ""};
			struct driver_rows rows;
			if (d->ops->query(d, a, sql_of, 2, params, &rows, err) < 0)
				return -1;
			for (size_t r = 0; r < rows.n_rows; r++) {
				const char *sql = driver_rows_get(&rows, r, 0);
				if (!sql)
					continue;
				ARENA_GROW(a, *ret, *ret_n, alloc, *ret_n + 1);
				(*ret)[(*ret_n)++] = (struct lint_definition){e->version, sql};
			}
		}
	}
	return 0;
}
