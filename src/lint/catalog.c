#include "lint/catalog.h"

#include <string.h>

#include "sql/ast.h"

void catalog_init(struct catalog *cat, struct arena *a)
{
	memset(cat, 0, sizeof(*cat));
	cat->arena = a;
}

static bool schema_matches(const char *want, const char *have)
{
	return !want || !*want || !have || !*have || strcmp(want, have) == 0;
}

struct catalog_table *catalog_table_find(const struct catalog *cat, const char *schema,
					 const char *name)
{
	/* newest first: a table dropped and created again is the new one */
	for (size_t i = cat->n_tables; i-- > 0;) {
		struct catalog_table *t = cat->tables[i];
		if (!t->dropped && strcmp(t->name, name) == 0 && schema_matches(schema, t->schema))
			return t;
	}
	return NULL;
}

struct catalog_table *catalog_table_find_rangevar(const struct catalog *cat,
						  const PgQuery__RangeVar *rv)
{
	if (!rv || !rv->relname)
		return NULL;
	return catalog_table_find(cat, rv->schemaname, rv->relname);
}

struct catalog_column *catalog_column_find(const struct catalog_table *t, const char *name)
{
	if (!t || !name)
		return NULL;
	for (size_t i = 0; i < t->n_columns; i++)
		if (!t->columns[i].dropped && strcmp(t->columns[i].name, name) == 0)
			return &t->columns[i];
	return NULL;
}

struct catalog_index *catalog_index_find(const struct catalog *cat, const char *schema,
					 const char *name)
{
	for (size_t i = cat->n_indexes; i-- > 0;) {
		struct catalog_index *ix = &cat->indexes[i];
		if (!ix->dropped && strcmp(ix->name, name) == 0 && schema_matches(schema, ix->schema))
			return ix;
	}
	return NULL;
}

struct catalog_constraint *catalog_constraint_find(const struct catalog *cat, const char *schema,
						   const char *table, const char *name)
{
	for (size_t i = cat->n_constraints; i-- > 0;) {
		struct catalog_constraint *c = &cat->constraints[i];
		if (!c->dropped && c->name && name && strcmp(c->name, name) == 0 &&
		    (!table || strcmp(c->table, table) == 0) && schema_matches(schema, c->schema))
			return c;
	}
	return NULL;
}

struct catalog_object *catalog_object_find(const struct catalog *cat,
					   enum catalog_object_kind kind, const char *schema,
					   const char *name)
{
	for (size_t i = cat->n_objects; i-- > 0;) {
		struct catalog_object *o = &cat->objects[i];
		if (!o->dropped && o->kind == kind && strcmp(o->name, name) == 0 &&
		    schema_matches(schema, o->schema))
			return o;
	}
	return NULL;
}

bool catalog_table_is_new(const struct catalog *cat, const PgQuery__RangeVar *rv, int order)
{
	const struct catalog_table *t = catalog_table_find_rangevar(cat, rv);
	return t && t->created_in == order;
}

void catalog_type_from_typename(struct arena *a, const PgQuery__TypeName *tn,
				struct catalog_type *t)
{
	memset(t, 0, sizeof(*t));
	if (!tn)
		return;
	const char *name = ast_last_name(tn->names, tn->n_names);
	t->name = name ? arena_strdup(a, name) : "";
	for (size_t i = 0; i < tn->n_typmods && t->n_mods < 2; i++) {
		int64_t v;
		if (ast_const_int(tn->typmods[i], &v))
			t->mods[t->n_mods++] = (int32_t)v;
	}
	t->array_dims = (int)tn->n_array_bounds;
}

const char *catalog_type_format(struct arena *a, const struct catalog_type *t)
{
	const char *s = t->name ? t->name : "?";
	if (t->n_mods == 1)
		s = arena_printf(a, "%s(%d)", s, t->mods[0]);
	else if (t->n_mods == 2)
		s = arena_printf(a, "%s(%d,%d)", s, t->mods[0], t->mods[1]);
	for (int i = 0; i < t->array_dims; i++)
		s = arena_printf(a, "%s[]", s);
	return s;
}

static bool type_is(const struct catalog_type *t, const char *name)
{
	return t->name && strcmp(t->name, name) == 0;
}

static bool type_is_varchar_like(const struct catalog_type *t)
{
	return type_is(t, "varchar") || type_is(t, "text");
}

bool catalog_type_change_is_safe(const struct catalog_type *o, const struct catalog_type *n)
{
	if (!o->name || !n->name || o->array_dims != n->array_dims)
		return false;
	/* the same type, loosened or unchanged modifiers */
	if (strcmp(o->name, n->name) == 0) {
		if (n->n_mods == 0)
			return o->n_mods == 0 || type_is(o, "varchar") || type_is(o, "numeric") ||
			       type_is(o, "varbit");
		if (o->n_mods == 0)
			return false; /* adding a limit checks every row */
		if (type_is(o, "varchar") || type_is(o, "varbit"))
			return n->mods[0] >= o->mods[0];
		if (type_is(o, "numeric")) {
			int32_t os = o->n_mods > 1 ? o->mods[1] : 0;
			int32_t ns = n->n_mods > 1 ? n->mods[1] : 0;
			return os == ns && n->mods[0] >= o->mods[0];
		}
		/* time precision only grows without a rewrite from PG 12 on; be strict */
		return o->n_mods == n->n_mods && memcmp(o->mods, n->mods, sizeof(o->mods)) == 0;
	}
	/* varchar(n) -> text is binary coercible; text -> varchar only without a limit */
	if (type_is(o, "varchar") && type_is(n, "text"))
		return true;
	if (type_is(o, "text") && type_is(n, "varchar"))
		return n->n_mods == 0;
	if (type_is_varchar_like(o) && type_is(n, "citext"))
		return false;
	if (type_is(o, "cidr") && type_is(n, "inet"))
		return true;
	if (type_is(o, "xml") && type_is(n, "text"))
		return true;
	return false;
}

/* ---- replay ---- */

static struct catalog_table *table_add(struct catalog *cat, const PgQuery__RangeVar *rv,
				       int order, int section)
{
	struct catalog_table *t = arena_alloc(cat->arena, sizeof(*t));
	t->schema = arena_strdup(cat->arena, rv->schemaname ? rv->schemaname : "");
	t->name = arena_strdup(cat->arena, rv->relname);
	t->created_in = order;
	t->created_section = section;
	ARENA_GROW(cat->arena, cat->tables, cat->n_tables, cat->alloc_tables, cat->n_tables + 1);
	cat->tables[cat->n_tables++] = t;
	return t;
}

/* A table the catalogue has not seen predates the migrations: remember it as such. */
static struct catalog_table *table_get(struct catalog *cat, const PgQuery__RangeVar *rv)
{
	struct catalog_table *t = catalog_table_find_rangevar(cat, rv);
	if (!t && rv && rv->relname)
		t = table_add(cat, rv, -1, -1);
	return t;
}

static struct catalog_column *column_add(struct catalog *cat, struct catalog_table *t,
					 const PgQuery__ColumnDef *cd, int order)
{
	ARENA_GROW(cat->arena, t->columns, t->n_columns, t->alloc_columns, t->n_columns + 1);
	struct catalog_column *c = &t->columns[t->n_columns++];
	c->name = arena_strdup(cat->arena, cd->colname);
	catalog_type_from_typename(cat->arena, cd->type_name, &c->type);
	c->not_null = cd->is_not_null;
	c->has_default = cd->raw_default != NULL;
	c->created_in = order;
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *k = ast_constraint(cd->constraints[i]);
		if (!k)
			continue;
		switch (k->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
			c->not_null = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
			c->not_null = true;
			t->has_primary_key = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
			c->has_default = true;
			break;
		default:
			break;
		}
	}
	if (c->type.name && (strcmp(c->type.name, "serial") == 0 ||
			     strcmp(c->type.name, "bigserial") == 0 ||
			     strcmp(c->type.name, "smallserial") == 0))
		c->has_default = c->not_null = true;
	return c;
}

static enum catalog_constraint_kind constraint_kind(PgQuery__ConstrType t)
{
	switch (t) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		return CATALOG_CONSTRAINT_CHECK;
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		return CATALOG_CONSTRAINT_FOREIGN;
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		return CATALOG_CONSTRAINT_UNIQUE;
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		return CATALOG_CONSTRAINT_PRIMARY;
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		return CATALOG_CONSTRAINT_EXCLUSION;
	default:
		return CATALOG_CONSTRAINT_OTHER;
	}
}

static void constraint_add(struct catalog *cat, struct catalog_table *t,
			   const PgQuery__Constraint *k, int order, int section)
{
	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		break;
	default:
		return;
	}
	ARENA_GROW(cat->arena, cat->constraints, cat->n_constraints, cat->alloc_constraints,
		   cat->n_constraints + 1);
	struct catalog_constraint *c = &cat->constraints[cat->n_constraints++];
	c->schema = t->schema;
	c->table = t->name;
	c->name = arena_strdup(cat->arena, k->conname && *k->conname ? k->conname : "");
	c->kind = constraint_kind(k->contype);
	c->not_valid = k->skip_validation;
	c->created_in = order;
	c->created_section = section;
	if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY) {
		t->has_primary_key = true;
		for (size_t i = 0; i < k->n_keys; i++) {
			struct catalog_column *col = catalog_column_find(t, ast_string(k->keys[i]));
			if (col)
				col->not_null = true;
		}
	}
}

static void object_add(struct catalog *cat, enum catalog_object_kind kind, const char *schema,
		       const char *name, int order)
{
	if (!name)
		return;
	ARENA_GROW(cat->arena, cat->objects, cat->n_objects, cat->alloc_objects,
		   cat->n_objects + 1);
	struct catalog_object *o = &cat->objects[cat->n_objects++];
	o->kind = kind;
	o->schema = arena_strdup(cat->arena, schema ? schema : "");
	o->name = arena_strdup(cat->arena, name);
	o->created_in = order;
}

static void apply_create(struct catalog *cat, const PgQuery__CreateStmt *cs, int order,
			 int section)
{
	if (!cs->relation)
		return;
	if (cs->if_not_exists && catalog_table_find_rangevar(cat, cs->relation))
		return;
	struct catalog_table *t = table_add(cat, cs->relation, order, section);
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *e = cs->table_elts[i];
		if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			const PgQuery__ColumnDef *cd = e->column_def;
			column_add(cat, t, cd, order);
			for (size_t j = 0; j < cd->n_constraints; j++) {
				const PgQuery__Constraint *k = ast_constraint(cd->constraints[j]);
				if (k)
					constraint_add(cat, t, k, order, section);
			}
		} else if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
			constraint_add(cat, t, e->constraint, order, section);
		}
	}
	for (size_t i = 0; i < cs->n_constraints; i++) {
		const PgQuery__Constraint *k = ast_constraint(cs->constraints[i]);
		if (k)
			constraint_add(cat, t, k, order, section);
	}
}

static void apply_alter_table(struct catalog *cat, const PgQuery__AlterTableStmt *as, int order,
			      int section)
{
	if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return;
	struct catalog_table *t = table_get(cat, as->relation);
	if (!t)
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd)
			continue;
		struct catalog_column *col = catalog_column_find(t, cmd->name);
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
				const PgQuery__ColumnDef *cd = cmd->def->column_def;
				if (cmd->missing_ok && catalog_column_find(t, cd->colname))
					break;
				column_add(cat, t, cd, order);
				for (size_t j = 0; j < cd->n_constraints; j++) {
					const PgQuery__Constraint *k =
						ast_constraint(cd->constraints[j]);
					if (k)
						constraint_add(cat, t, k, order, section);
				}
			}
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			if (col)
				col->dropped = true;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
			if (col)
				col->not_null = true;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
			if (col)
				col->not_null = false;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
			if (col)
				col->has_default = cmd->def != NULL;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			if (col && cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				catalog_type_from_typename(cat->arena,
							   cmd->def->column_def->type_name,
							   &col->type);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint: {
			const PgQuery__Constraint *k = ast_constraint(cmd->def);
			if (k)
				constraint_add(cat, t, k, order, section);
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint: {
			struct catalog_constraint *c =
				catalog_constraint_find(cat, t->schema, t->name, cmd->name);
			if (c)
				c->dropped = true;
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint: {
			struct catalog_constraint *c =
				catalog_constraint_find(cat, t->schema, t->name, cmd->name);
			if (c)
				c->not_valid = false;
			break;
		}
		default:
			break;
		}
	}
}

static void drop_names(struct catalog *cat, const PgQuery__DropStmt *ds)
{
	for (size_t i = 0; i < ds->n_objects; i++) {
		const char *schema = NULL, *name = NULL;
		ast_object_name(ds->objects[i], &schema, &name);
		if (!name)
			continue;
		switch (ds->remove_type) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE: {
			struct catalog_table *t = catalog_table_find(cat, schema, name);
			if (t)
				t->dropped = true;
			for (size_t j = 0; t && j < cat->n_indexes; j++)
				if (strcmp(cat->indexes[j].table, t->name) == 0)
					cat->indexes[j].dropped = true;
			break;
		}
		case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX: {
			struct catalog_index *ix = catalog_index_find(cat, schema, name);
			if (ix)
				ix->dropped = true;
			break;
		}
		case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
		case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE: {
			enum catalog_object_kind k =
				ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE	    ? CATALOG_OBJECT_TYPE
				: ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA   ? CATALOG_OBJECT_SCHEMA
				: ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE ? CATALOG_OBJECT_SEQUENCE
				: ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION ||
						ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE
					? CATALOG_OBJECT_FUNCTION
					: CATALOG_OBJECT_VIEW;
			struct catalog_object *o = catalog_object_find(cat, k, schema, name);
			if (o)
				o->dropped = true;
			break;
		}
		default:
			break;
		}
	}
}

static void apply_rename(struct catalog *cat, const PgQuery__RenameStmt *rs)
{
	switch (rs->rename_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE: {
		struct catalog_table *t = table_get(cat, rs->relation);
		if (t && rs->newname) {
			for (size_t j = 0; j < cat->n_indexes; j++)
				if (strcmp(cat->indexes[j].table, t->name) == 0)
					cat->indexes[j].table = arena_strdup(cat->arena, rs->newname);
			for (size_t j = 0; j < cat->n_constraints; j++)
				if (strcmp(cat->constraints[j].table, t->name) == 0)
					cat->constraints[j].table =
						arena_strdup(cat->arena, rs->newname);
			t->name = arena_strdup(cat->arena, rs->newname);
		}
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN: {
		struct catalog_table *t = table_get(cat, rs->relation);
		struct catalog_column *c = catalog_column_find(t, rs->subname);
		if (c && rs->newname)
			c->name = arena_strdup(cat->arena, rs->newname);
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX: {
		if (!rs->relation)
			break;
		struct catalog_index *ix =
			catalog_index_find(cat, rs->relation->schemaname, rs->relation->relname);
		if (ix && rs->newname)
			ix->name = arena_strdup(cat->arena, rs->newname);
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT: {
		struct catalog_table *t = table_get(cat, rs->relation);
		if (!t)
			break;
		struct catalog_constraint *c =
			catalog_constraint_find(cat, t->schema, t->name, rs->subname);
		if (c && rs->newname)
			c->name = arena_strdup(cat->arena, rs->newname);
		break;
	}
	default:
		break;
	}
}

void catalog_apply(struct catalog *cat, const PgQuery__Node *stmt, int order, int section)
{
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		apply_create(cat, stmt->create_stmt, order, section);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		apply_alter_table(cat, stmt->alter_table_stmt, order, section);
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *is = stmt->index_stmt;
		if (!is->relation)
			break;
		struct catalog_table *t = table_get(cat, is->relation);
		ARENA_GROW(cat->arena, cat->indexes, cat->n_indexes, cat->alloc_indexes,
			   cat->n_indexes + 1);
		struct catalog_index *ix = &cat->indexes[cat->n_indexes++];
		ix->schema = t->schema;
		ix->table = t->name;
		ix->name = arena_strdup(cat->arena, is->idxname && *is->idxname
							    ? is->idxname
							    : arena_printf(cat->arena, "%s_idx", t->name));
		ix->unique = is->unique;
		ix->created_in = order;
		break;
	}
	case PG_QUERY__NODE__NODE_DROP_STMT:
		drop_names(cat, stmt->drop_stmt);
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		apply_rename(cat, stmt->rename_stmt);
		break;
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		if (stmt->view_stmt->view)
			object_add(cat, CATALOG_OBJECT_VIEW, stmt->view_stmt->view->schemaname,
				   stmt->view_stmt->view->relname, order);
		break;
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT: {
		const char *schema = NULL, *name = NULL;
		ast_qualified_name(stmt->create_enum_stmt->type_name,
				   stmt->create_enum_stmt->n_type_name, &schema, &name);
		object_add(cat, CATALOG_OBJECT_TYPE, schema, name, order);
		break;
	}
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		if (stmt->composite_type_stmt->typevar)
			object_add(cat, CATALOG_OBJECT_TYPE,
				   stmt->composite_type_stmt->typevar->schemaname,
				   stmt->composite_type_stmt->typevar->relname, order);
		break;
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT: {
		const char *schema = NULL, *name = NULL;
		ast_qualified_name(stmt->create_function_stmt->funcname,
				   stmt->create_function_stmt->n_funcname, &schema, &name);
		if (!catalog_object_find(cat, CATALOG_OBJECT_FUNCTION, schema, name))
			object_add(cat, CATALOG_OBJECT_FUNCTION, schema, name, order);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		object_add(cat, CATALOG_OBJECT_SCHEMA, NULL, stmt->create_schema_stmt->schemaname,
			   order);
		break;
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		if (stmt->create_seq_stmt->sequence)
			object_add(cat, CATALOG_OBJECT_SEQUENCE,
				   stmt->create_seq_stmt->sequence->schemaname,
				   stmt->create_seq_stmt->sequence->relname, order);
		break;
	default:
		break;
	}
}
