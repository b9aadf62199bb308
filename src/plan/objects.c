/*
 * The objects a phase creates, changes, drops and uses, read off its
 * statements (plan/objects.h).
 */
#include "plan/objects.h"

#include <string.h>

#include "sql/ast.h"

/* What one statement is being read into. */
struct reader {
	struct arena *a;
	struct object_set *set;
	const char *via; /* the statement's own object, for what it uses */
};

static const char *dup_or_empty(struct arena *a, const char *s)
{
	return arena_strdup(a, s ? s : "");
}

static void add(struct reader *r, enum object_kind kind, enum object_does does, const char *schema,
		const char *table, const char *name)
{
	if (!name || !*name)
		return;
	struct object_set *set = r->set;
	struct object_ref o = {.kind = kind,
			       .does = does,
			       .schema = dup_or_empty(r->a, schema),
			       .table = table ? arena_strdup(r->a, table) : NULL,
			       .name = arena_strdup(r->a, name),
			       .via = does == OBJECT_USED && r->via ? r->via : NULL};
	for (size_t i = 0; i < set->n; i++)
		if (set->items[i].does == does && objects_same(&set->items[i], &o))
			return;
	ARENA_GROW(r->a, set->items, set->n, set->alloc, set->n + 1);
	set->items[set->n++] = o;
}

static void add_table(struct reader *r, enum object_does does, const PgQuery__RangeVar *rv)
{
	if (rv && rv->relname)
		add(r, OBJECT_TABLE, does, rv->schemaname, NULL, rv->relname);
}

static void add_column(struct reader *r, enum object_does does, const PgQuery__RangeVar *rv,
		       const char *column)
{
	if (rv && rv->relname)
		add(r, OBJECT_COLUMN, does, rv->schemaname, rv->relname, column);
}

static void set_via(struct reader *r, const char *kind, const char *name)
{
	r->via = name ? arena_printf(r->a, "%s %s", kind, name) : NULL;
}

/* ---- what expressions read ---- */

/* The tables of a query (with their aliases) and the column references in it. */
struct reads {
	struct arena *a;
	const PgQuery__RangeVar **tables;
	size_t n_tables, alloc_tables;
	const PgQuery__ColumnRef **columns;
	size_t n_columns, alloc_columns;
};

static void reads_visit(ProtobufCMessage *msg, void *ctx)
{
	struct reads *rd = ctx;
	if (msg->descriptor == &pg_query__range_var__descriptor) {
		ARENA_GROW(rd->a, rd->tables, rd->n_tables, rd->alloc_tables, rd->n_tables + 1);
		rd->tables[rd->n_tables++] = (const PgQuery__RangeVar *)msg;
	} else if (msg->descriptor == &pg_query__column_ref__descriptor) {
		ARENA_GROW(rd->a, rd->columns, rd->n_columns, rd->alloc_columns, rd->n_columns + 1);
		rd->columns[rd->n_columns++] = (const PgQuery__ColumnRef *)msg;
	}
}

static bool table_answers_to(const PgQuery__RangeVar *rv, const char *qualifier)
{
	if (rv->alias && rv->alias->aliasname)
		return strcmp(rv->alias->aliasname, qualifier) == 0;
	return rv->relname && strcmp(rv->relname, qualifier) == 0;
}

/*
 * Every table tree reads is used; every column reference is a used column of
 * the table its qualifier names, or, unqualified or unresolved, of each
 * table (SELECT *: every column, "*"). own is the table an expression of a
 * CREATE INDEX or CHECK is on (NULL for a query).
 */
static void add_reads(struct reader *r, const PgQuery__Node *tree, const PgQuery__RangeVar *own)
{
	if (!tree)
		return;
	struct reads rd = {.a = r->a};
	if (own) {
		ARENA_GROW(rd.a, rd.tables, rd.n_tables, rd.alloc_tables, 1);
		rd.tables[rd.n_tables++] = own;
	}
	ast_visit(&tree->base, reads_visit, &rd);
	for (size_t i = 0; i < rd.n_tables; i++)
		add_table(r, OBJECT_USED, rd.tables[i]);
	for (size_t i = 0; i < rd.n_columns; i++) {
		const PgQuery__ColumnRef *cr = rd.columns[i];
		if (!cr->n_fields)
			continue;
		const PgQuery__Node *last = cr->fields[cr->n_fields - 1];
		const char *column =
		    last->node_case == PG_QUERY__NODE__NODE_A_STAR ? "*" : ast_string(last);
		const char *qualifier =
		    cr->n_fields >= 2 ? ast_string(cr->fields[cr->n_fields - 2]) : NULL;
		bool resolved = false;
		for (size_t t = 0; qualifier && t < rd.n_tables; t++)
			if (table_answers_to(rd.tables[t], qualifier)) {
				add_column(r, OBJECT_USED, rd.tables[t], column);
				resolved = true;
			}
		for (size_t t = 0; !resolved && t < rd.n_tables; t++)
			add_column(r, OBJECT_USED, rd.tables[t], column);
	}
}

static void add_column_list(struct reader *r, const PgQuery__RangeVar *rv,
			    PgQuery__Node *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		add_column(r, OBJECT_USED, rv, ast_string(names[i]));
}

/* ---- names PostgreSQL gives what is left unnamed ---- */

static const char *joined_names(struct arena *a, PgQuery__Node *const *names, size_t n)
{
	const char *s = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *name = ast_string(names[i]);
		if (name)
			s = s ? arena_printf(a, "%s_%s", s, name) : name;
	}
	return s;
}

static const char *default_name(struct arena *a, const char *table, const char *columns,
				const char *label)
{
	const char *name = columns ? arena_printf(a, "%s_%s_%s", table, columns, label)
				   : arena_printf(a, "%s_%s", table, label);
	return strlen(name) > 63 ? arena_strndup(a, name, 63) : name;
}

static const char *constraint_name(struct arena *a, const PgQuery__Constraint *k, const char *table,
				   const char *column)
{
	if (k->conname && *k->conname)
		return k->conname;
	const char *cols = column;
	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		return default_name(a, table, NULL, "pkey");
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		return default_name(a, table, cols ? cols : joined_names(a, k->keys, k->n_keys),
				    "key");
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		return default_name(
		    a, table, cols ? cols : joined_names(a, k->fk_attrs, k->n_fk_attrs), "fkey");
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		return default_name(a, table, cols, "check");
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		return default_name(a, table, cols, "excl");
	default:
		return NULL; /* NOT NULL, DEFAULT, GENERATED: part of the column */
	}
}

/* A constraint of table rv (of its column `column` when a column constraint). */
static void add_constraint(struct reader *r, const PgQuery__RangeVar *rv,
			   const PgQuery__Constraint *k, const char *column)
{
	const char *name = constraint_name(r->a, k, rv->relname, column);
	const char *saved = r->via;
	if (name) {
		add(r, OBJECT_CONSTRAINT, OBJECT_CREATED, rv->schemaname, rv->relname, name);
		set_via(r, "constraint", name);
	}
	add_column_list(r, rv, k->keys, k->n_keys);
	add_column_list(r, rv, k->fk_attrs, k->n_fk_attrs);
	if (k->raw_expr)
		add_reads(r, k->raw_expr, rv);
	if (k->pktable) {
		add_table(r, OBJECT_USED, k->pktable);
		add_column_list(r, k->pktable, k->pk_attrs, k->n_pk_attrs);
		/* REFERENCES t without columns: its primary key */
		if (!k->n_pk_attrs)
			add(r, OBJECT_CONSTRAINT, OBJECT_USED, k->pktable->schemaname,
			    k->pktable->relname,
			    default_name(r->a, k->pktable->relname, NULL, "pkey"));
	}
	r->via = saved;
}

/* A user type a column is of (names qualified with pg_catalog are built in). */
static void add_type_use(struct reader *r, const PgQuery__TypeName *tn)
{
	if (!tn || !tn->n_names)
		return;
	const char *schema, *name;
	ast_qualified_name(tn->names, tn->n_names, &schema, &name);
	/* the parser qualifies most built-in types; these few it leaves bare */
	static const char *const builtin[] = {
	    "text", "uuid",  "jsonb",  "json",	 "bytea",     "date",	     "inet",
	    "cidr", "money", "citext", "serial", "bigserial", "smallserial", "xml"};
	if (schema && strcmp(schema, "pg_catalog") == 0)
		return;
	for (size_t i = 0; !schema && i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (strcmp(name, builtin[i]) == 0)
			return;
	add(r, OBJECT_TYPE, OBJECT_USED, schema, NULL, name);
}

static void add_column_def(struct reader *r, const PgQuery__RangeVar *rv,
			   const PgQuery__ColumnDef *cd)
{
	add_column(r, OBJECT_CREATED, rv, cd->colname);
	const char *saved = r->via;
	set_via(r, "column", arena_printf(r->a, "%s.%s", rv->relname, cd->colname));
	add_type_use(r, cd->type_name);
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *k = ast_constraint(cd->constraints[i]);
		if (k)
			add_constraint(r, rv, k, cd->colname);
	}
	r->via = saved;
}

/* ---- statements ---- */

static void read_create(struct reader *r, const PgQuery__CreateStmt *cs)
{
	const PgQuery__RangeVar *rv = cs->relation;
	if (!rv || !rv->relname)
		return;
	add_table(r, OBJECT_CREATED, rv);
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *n = cs->table_elts[i];
		if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			add_column_def(r, rv, n->column_def);
		else if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			add_constraint(r, rv, n->constraint, NULL);
	}
	for (size_t i = 0; i < cs->n_inh_relations; i++)
		if (cs->inh_relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			add_table(r, OBJECT_USED, cs->inh_relations[i]->range_var);
}

static void read_alter_table(struct reader *r, const PgQuery__AlterTableStmt *as)
{
	const PgQuery__RangeVar *rv = as->relation;
	if (!rv || !rv->relname)
		return;
	add_table(r, OBJECT_USED, rv);
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd)
			continue;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				add_column_def(r, rv, cmd->def->column_def);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			add_column(r, OBJECT_DROPPED, rv, cmd->name);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			add_column(r, OBJECT_CHANGED, rv, cmd->name);
			if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				add_type_use(r, cmd->def->column_def->type_name);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint: {
			const PgQuery__Constraint *k = ast_constraint(cmd->def);
			if (k)
				add_constraint(r, rv, k, NULL);
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
			add(r, OBJECT_CONSTRAINT, OBJECT_DROPPED, rv->schemaname, rv->relname,
			    cmd->name);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
			add(r, OBJECT_CONSTRAINT, OBJECT_CHANGED, rv->schemaname, rv->relname,
			    cmd->name);
			break;
		default:
			/* SET NOT NULL, DEFAULT, identity, statistics, ... of a column; else the
			 * table */
			if (cmd->name && *cmd->name)
				add_column(r, OBJECT_CHANGED, rv, cmd->name);
			else
				add_table(r, OBJECT_CHANGED, rv);
			break;
		}
	}
}

static void read_index(struct reader *r, const PgQuery__IndexStmt *is)
{
	const PgQuery__RangeVar *rv = is->relation;
	if (!rv || !rv->relname)
		return;
	const char *name = is->idxname;
	if (!name || !*name) {
		const char *cols = NULL;
		for (size_t i = 0; i < is->n_index_params; i++) {
			const PgQuery__Node *n = is->index_params[i];
			const PgQuery__IndexElem *e =
			    n->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM ? n->index_elem : NULL;
			const PgQuery__Node *x = e ? e->expr : NULL;
			/* a column's name, a function's (lower(email): "lower"), else "expr" */
			const char *c =
			    e && e->name && *e->name ? e->name
			    : x && x->node_case == PG_QUERY__NODE__NODE_FUNC_CALL
				? ast_last_name(x->func_call->funcname, x->func_call->n_funcname)
				: NULL;
			c = c ? c : "expr";
			cols = cols ? arena_printf(r->a, "%s_%s", cols, c) : c;
		}
		name = default_name(r->a, rv->relname, cols, "idx");
	}
	add(r, OBJECT_INDEX, OBJECT_CREATED, rv->schemaname, rv->relname, name);
	set_via(r, "index", name);
	add_table(r, OBJECT_USED, rv);
	for (size_t i = 0; i < is->n_index_params; i++) {
		const PgQuery__Node *n = is->index_params[i];
		if (n->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM)
			continue;
		if (n->index_elem->name && *n->index_elem->name) /* "" for an expression */
			add_column(r, OBJECT_USED, rv, n->index_elem->name);
		else
			add_reads(r, n->index_elem->expr, rv);
	}
	for (size_t i = 0; i < is->n_index_including_params; i++) {
		const PgQuery__Node *n = is->index_including_params[i];
		if (n->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM && n->index_elem->name)
			add_column(r, OBJECT_USED, rv, n->index_elem->name);
	}
	add_reads(r, is->where_clause, rv);
}

static bool kind_of(PgQuery__ObjectType t, enum object_kind *ret)
{
	switch (t) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
		*ret = OBJECT_TABLE;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		*ret = OBJECT_VIEW;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		*ret = OBJECT_INDEX;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
		*ret = OBJECT_TYPE;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE:
		*ret = OBJECT_FUNCTION;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		*ret = OBJECT_SEQUENCE;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		*ret = OBJECT_SCHEMA;
		return true;
	default:
		return false;
	}
}

static void read_drop(struct reader *r, const PgQuery__DropStmt *ds)
{
	enum object_kind kind;
	if (!kind_of(ds->remove_type, &kind)) {
		/* DROP TRIGGER t ON table, DROP POLICY ...: the table's name comes last but one */
		for (size_t i = 0; i < ds->n_objects; i++) {
			const PgQuery__Node *o = ds->objects[i];
			if (o->node_case == PG_QUERY__NODE__NODE_LIST && o->list->n_items >= 2) {
				const char *table =
				    ast_string(o->list->items[o->list->n_items - 2]);
				const char *name = ast_string(o->list->items[o->list->n_items - 1]);
				if (ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER)
					add(r, OBJECT_TRIGGER, OBJECT_DROPPED, NULL, table, name);
				else
					add(r, OBJECT_TABLE, OBJECT_CHANGED, NULL, NULL, table);
			}
		}
		return;
	}
	for (size_t i = 0; i < ds->n_objects; i++) {
		const char *schema = NULL, *name = NULL;
		ast_object_name(ds->objects[i], &schema, &name);
		add(r, kind, OBJECT_DROPPED, schema, NULL, name);
	}
}

/* A rename: the old name is changed (it goes), the new one created. */
static void read_rename(struct reader *r, const PgQuery__RenameStmt *rs)
{
	const PgQuery__RangeVar *rv = rs->relation;
	enum object_kind kind;
	switch (rs->rename_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
		add_column(r, OBJECT_CHANGED, rv, rs->subname);
		add_column(r, OBJECT_CREATED, rv, rs->newname);
		return;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
		if (rv && rv->relname) {
			add(r, OBJECT_CONSTRAINT, OBJECT_CHANGED, rv->schemaname, rv->relname,
			    rs->subname);
			add(r, OBJECT_CONSTRAINT, OBJECT_CREATED, rv->schemaname, rv->relname,
			    rs->newname);
		}
		return;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		add(r, OBJECT_SCHEMA, OBJECT_CHANGED, NULL, NULL, rs->subname);
		add(r, OBJECT_SCHEMA, OBJECT_CREATED, NULL, NULL, rs->newname);
		return;
	default:
		break;
	}
	if (!kind_of(rs->rename_type, &kind))
		return;
	if (rv && rv->relname) {
		add(r, kind, OBJECT_CHANGED, rv->schemaname, NULL, rv->relname);
		add(r, kind, OBJECT_CREATED, rv->schemaname, NULL, rs->newname);
		return;
	}
	const char *schema = NULL, *name = NULL;
	ast_object_name(rs->object, &schema, &name);
	add(r, kind, OBJECT_CHANGED, schema, NULL, name);
	add(r, kind, OBJECT_CREATED, schema, NULL, rs->newname);
}

static void read_named(struct reader *r, enum object_kind kind, bool replace,
		       PgQuery__Node *const *names, size_t n)
{
	const char *schema, *name;
	ast_qualified_name(names, n, &schema, &name);
	add(r, kind, replace ? OBJECT_CHANGED : OBJECT_CREATED, schema, NULL, name);
}

/* Anything else: the tables it names are used (an UPDATE, a COMMENT ON, a GRANT). */
static void read_other(struct reader *r, const PgQuery__Node *stmt)
{
	struct reads rd = {.a = r->a};
	ast_visit(&stmt->base, reads_visit, &rd);
	for (size_t i = 0; i < rd.n_tables; i++)
		add_table(r, OBJECT_USED, rd.tables[i]);
}

static void read_statement(struct reader *r, const PgQuery__Node *stmt)
{
	r->via = NULL;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		read_create(r, stmt->create_stmt);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		read_alter_table(r, stmt->alter_table_stmt);
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		read_index(r, stmt->index_stmt);
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		read_drop(r, stmt->drop_stmt);
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		read_rename(r, stmt->rename_stmt);
		break;
	case PG_QUERY__NODE__NODE_VIEW_STMT: {
		const PgQuery__ViewStmt *vs = stmt->view_stmt;
		if (!vs->view || !vs->view->relname)
			break;
		add(r, OBJECT_VIEW, vs->replace ? OBJECT_CHANGED : OBJECT_CREATED,
		    vs->view->schemaname, NULL, vs->view->relname);
		set_via(r, "view", vs->view->relname);
		add_reads(r, vs->query, NULL);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
		const PgQuery__CreateTableAsStmt *cs = stmt->create_table_as_stmt;
		const PgQuery__RangeVar *rv = cs->into ? cs->into->rel : NULL;
		if (!rv || !rv->relname)
			break;
		bool view = cs->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW;
		add(r, view ? OBJECT_VIEW : OBJECT_TABLE, OBJECT_CREATED, rv->schemaname, NULL,
		    rv->relname);
		set_via(r, view ? "view" : "table", rv->relname);
		add_reads(r, cs->query, NULL);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
		read_named(r, OBJECT_TYPE, false, stmt->create_enum_stmt->type_name,
			   stmt->create_enum_stmt->n_type_name);
		break;
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
		read_named(r, OBJECT_TYPE, true, stmt->alter_enum_stmt->type_name,
			   stmt->alter_enum_stmt->n_type_name);
		break;
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		read_named(r, OBJECT_TYPE, false, stmt->create_domain_stmt->domainname,
			   stmt->create_domain_stmt->n_domainname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_RANGE_STMT:
		read_named(r, OBJECT_TYPE, false, stmt->create_range_stmt->type_name,
			   stmt->create_range_stmt->n_type_name);
		break;
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		if (stmt->composite_type_stmt->typevar)
			add(r, OBJECT_TYPE, OBJECT_CREATED,
			    stmt->composite_type_stmt->typevar->schemaname, NULL,
			    stmt->composite_type_stmt->typevar->relname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
		read_named(r, OBJECT_FUNCTION, stmt->create_function_stmt->replace,
			   stmt->create_function_stmt->funcname,
			   stmt->create_function_stmt->n_funcname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT: {
		const PgQuery__CreateTrigStmt *ts = stmt->create_trig_stmt;
		if (!ts->relation || !ts->relation->relname)
			break;
		add(r, OBJECT_TRIGGER, ts->replace ? OBJECT_CHANGED : OBJECT_CREATED,
		    ts->relation->schemaname, ts->relation->relname, ts->trigname);
		set_via(r, "trigger", ts->trigname);
		add_table(r, OBJECT_USED, ts->relation);
		const char *schema, *name;
		ast_qualified_name(ts->funcname, ts->n_funcname, &schema, &name);
		add(r, OBJECT_FUNCTION, OBJECT_USED, schema, NULL, name);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		if (stmt->create_seq_stmt->sequence)
			add(r, OBJECT_SEQUENCE, OBJECT_CREATED,
			    stmt->create_seq_stmt->sequence->schemaname, NULL,
			    stmt->create_seq_stmt->sequence->relname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		add(r, OBJECT_SCHEMA, OBJECT_CREATED, NULL, NULL,
		    stmt->create_schema_stmt->schemaname);
		break;
	default:
		read_other(r, stmt);
		break;
	}
}

void objects_of_section(struct arena *a, const struct sql_section *sec, struct object_set *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->recorded = true;
	struct reader r = {.a = a, .set = ret};
	for (size_t i = 0; sec && i < sec->n_stmts; i++)
		if (sec->stmts[i].node)
			read_statement(&r, sec->stmts[i].node);
}

int objects_of_phase(struct arena *a, const struct migration *m, enum migration_section s,
		     struct object_set *ret, struct mg_error *err)
{
	struct sql_section sec;
	memset(ret, 0, sizeof(*ret));
	if (m->kind != MIGRATION_SQL)
		return 0; /* not recorded */
	if (!m->sections[s].present) {
		ret->recorded = true;
		return 0;
	}
	if (sql_parse_section(a, m, s, &sec, err) < 0)
		return -1;
	objects_of_section(a, &sec, ret);
	return 0;
}

static bool same_name(const char *x, const char *y)
{
	return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

static bool same_schema(const char *x, const char *y)
{
	return !x || !*x || !y || !*y || strcmp(x, y) == 0;
}

bool objects_same(const struct object_ref *x, const struct object_ref *y)
{
	bool relation_x = x->kind == OBJECT_TABLE || x->kind == OBJECT_VIEW;
	bool relation_y = y->kind == OBJECT_TABLE || y->kind == OBJECT_VIEW;
	if (x->kind != y->kind && !(relation_x && relation_y))
		return false;
	/* an index's name is its schema's: its table is only for messages */
	if (x->kind != OBJECT_INDEX && !same_name(x->table, y->table))
		return false;
	return same_schema(x->schema, y->schema) && same_name(x->name, y->name);
}

const char *objects_describe(struct arena *a, const struct object_ref *o)
{
	const char *schema = o->schema && *o->schema ? arena_printf(a, "%s.", o->schema) : "";
	if (o->kind == OBJECT_COLUMN && strcmp(o->name, "*") == 0)
		return arena_printf(a, "every column of %s%s", schema, o->table);
	if (o->table && o->kind != OBJECT_INDEX)
		return arena_printf(a, "%s %s%s.%s", object_kind_name(o->kind), schema, o->table,
				    o->name);
	return arena_printf(a, "%s %s%s", object_kind_name(o->kind), schema, o->name);
}
