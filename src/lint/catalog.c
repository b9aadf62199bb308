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

static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void by_name_insert(struct catalog *cat, struct catalog_table *t)
{
	size_t b = name_hash(t->name) & (cat->n_buckets - 1);
	t->next_by_name = cat->by_name[b];
	cat->by_name[b] = t;
}

static void by_name_remove(struct catalog *cat, struct catalog_table *t)
{
	struct catalog_table **p = &cat->by_name[name_hash(t->name) & (cat->n_buckets - 1)];
	while (*p && *p != t)
		p = &(*p)->next_by_name;
	if (*p)
		*p = t->next_by_name;
}

/* Keeps at most two tables a bucket on average; rebuilt in creation order, so
 * each chain stays newest first. */
static void by_name_grow(struct catalog *cat)
{
	if (cat->n_tables <= cat->n_buckets * 2)
		return;
	size_t n = cat->n_buckets ? cat->n_buckets * 4 : 256;
	cat->by_name = arena_alloc(cat->arena, sizeof(*cat->by_name) * n);
	cat->n_buckets = n;
	for (size_t i = 0; i < cat->n_tables; i++)
		by_name_insert(cat, cat->tables[i]);
}

struct catalog_table *catalog_table_find(const struct catalog *cat, const char *schema,
					 const char *name)
{
	if (!cat->n_buckets || !name)
		return NULL;
	/* newest first: a table dropped and created again is the new one */
	for (struct catalog_table *t = cat->by_name[name_hash(name) & (cat->n_buckets - 1)]; t;
	     t = t->next_by_name)
		if (!t->dropped && strcmp(t->name, name) == 0 && schema_matches(schema, t->schema))
			return t;
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

/*
 * A cache from names to positions in the constraints or indexes array, so a
 * long history is not walked for every lookup. Additions are picked up
 * incrementally; a rename bumps cat->renames and the cache is rebuilt.
 * Chains run newest first, as the plain scans did.
 */
struct catalog_name_map {
	size_t *head; /* per bucket, a position + 1 (0 ends the chain) */
	size_t *next; /* per position */
	size_t n_buckets;
	size_t built;
	unsigned renames;
};

typedef const char *(*name_at_fn)(const struct catalog *cat, size_t i);

static const char *constraint_name_at(const struct catalog *cat, size_t i)
{
	return cat->constraints[i].name;
}

static const char *index_name_at(const struct catalog *cat, size_t i)
{
	return cat->indexes[i].name;
}

static struct catalog_name_map *name_map_update(const struct catalog *c,
						struct catalog_name_map **slot, size_t n,
						name_at_fn name_at)
{
	struct catalog *cat = (struct catalog *)c; /* the cache is not part of the value */
	struct catalog_name_map *m = *slot;
	if (!m)
		m = *slot = arena_alloc(cat->arena, sizeof(*m));
	if (!m->head || m->renames != cat->renames || n > m->n_buckets * 2) {
		size_t buckets = m->n_buckets ? m->n_buckets : 256;
		while (n > buckets * 2)
			buckets *= 4;
		m->n_buckets = buckets;
		m->head = arena_alloc(cat->arena, sizeof(*m->head) * buckets);
		m->next = arena_alloc(cat->arena, sizeof(*m->next) * (buckets * 2 + 1));
		m->built = 0;
		m->renames = cat->renames;
	}
	for (; m->built < n; m->built++) {
		const char *name = name_at(cat, m->built);
		size_t b = name_hash(name ? name : "") & (m->n_buckets - 1);
		m->next[m->built] = m->head[b];
		m->head[b] = m->built + 1;
	}
	return m;
}

struct catalog_index *catalog_index_find(const struct catalog *cat, const char *schema,
					 const char *name)
{
	if (!name)
		return NULL;
	struct catalog_name_map *m = name_map_update(
	    cat, (struct catalog_name_map **)&cat->index_names, cat->n_indexes, index_name_at);
	for (size_t p = m->head[name_hash(name) & (m->n_buckets - 1)]; p; p = m->next[p - 1]) {
		struct catalog_index *ix = &cat->indexes[p - 1];
		if (!ix->dropped && strcmp(ix->name, name) == 0 &&
		    schema_matches(schema, ix->schema))
			return ix;
	}
	return NULL;
}

struct catalog_constraint *catalog_constraint_find(const struct catalog *cat, const char *schema,
						   const char *table, const char *name)
{
	if (!name)
		return NULL;
	struct catalog_name_map *m =
	    name_map_update(cat, (struct catalog_name_map **)&cat->constraint_names,
			    cat->n_constraints, constraint_name_at);
	for (size_t p = m->head[name_hash(name) & (m->n_buckets - 1)]; p; p = m->next[p - 1]) {
		struct catalog_constraint *c = &cat->constraints[p - 1];
		if (!c->dropped && c->name && strcmp(c->name, name) == 0 &&
		    (!table || strcmp(c->table, table) == 0) && schema_matches(schema, c->schema))
			return c;
	}
	return NULL;
}

struct catalog_object *catalog_object_find(const struct catalog *cat, enum catalog_object_kind kind,
					   const char *schema, const char *name)
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

/*
 * The type a name stands for. The parser already turns SQL's spellings
 * (integer, bigint, character varying, ...) into catalogue names; serial
 * types stay as written and are plain integers with a sequence default.
 */
static const char *type_canonical_name(const char *name)
{
	static const char *const aliases[][2] = {
	    {"serial", "int4"},	 {"serial4", "int4"},	  {"bigserial", "int8"},
	    {"serial8", "int8"}, {"smallserial", "int2"}, {"serial2", "int2"},
	};
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(name, aliases[i][0]) == 0)
			return aliases[i][1];
	return name;
}

/* Types whose length or precision modifier PostgreSQL relaxes without touching rows. */
static bool type_is_varlen_limited(const char *name)
{
	return strcmp(name, "varchar") == 0 || strcmp(name, "varbit") == 0;
}

static bool type_is_temporal(const char *name)
{
	return strcmp(name, "timestamp") == 0 || strcmp(name, "timestamptz") == 0 ||
	       strcmp(name, "time") == 0 || strcmp(name, "timetz") == 0;
}

/* The largest fractional-seconds precision; asking for it is the same as no limit. */
#define CATALOG_TEMPORAL_MAX_PRECISION 6

static bool same_modifiers(const struct catalog_type *o, const struct catalog_type *n)
{
	if (o->n_mods != n->n_mods)
		return false;
	for (int i = 0; i < o->n_mods; i++)
		if (o->mods[i] != n->mods[i])
			return false;
	return true;
}

/*
 * The same type with other modifiers. This mirrors the support functions
 * PostgreSQL consults before it rewrites a column (varchar_support,
 * numeric_support, TemporalSimplify): they relabel, and touch no row, only
 * when the new modifier admits every value the old one did.
 */
static bool modifier_change_is_safe(const char *name, const struct catalog_type *o,
				    const struct catalog_type *n)
{
	if (same_modifiers(o, n))
		return true;
	if (type_is_varlen_limited(name)) {
		if (n->n_mods == 0)
			return true;
		return o->n_mods > 0 && n->mods[0] >= o->mods[0];
	}
	if (strcmp(name, "numeric") == 0) {
		if (n->n_mods == 0)
			return true;
		if (o->n_mods == 0)
			return false; /* a limit on unconstrained numbers checks every row */
		int32_t old_scale = o->n_mods > 1 ? o->mods[1] : 0;
		int32_t new_scale = n->n_mods > 1 ? n->mods[1] : 0;
		return old_scale == new_scale && n->mods[0] >= o->mods[0];
	}
	if (type_is_temporal(name)) {
		if (n->n_mods == 0 || n->mods[0] >= CATALOG_TEMPORAL_MAX_PRECISION)
			return true;
		return o->n_mods > 0 && n->mods[0] >= o->mods[0];
	}
	if (strcmp(name, "interval") == 0)
		return n->n_mods == 0; /* field masks make anything finer a guess */
	return false;
}

bool catalog_type_change_is_safe(const struct catalog_type *o, const struct catalog_type *n)
{
	if (!o || !n || !o->name || !n->name || !*o->name || !*n->name)
		return false;
	const char *old_name = type_canonical_name(o->name);
	const char *new_name = type_canonical_name(n->name);
	if (o->array_dims != n->array_dims)
		return false;
	/*
	 * An array is coerced element by element (ArrayCoerceExpr), which
	 * PostgreSQL always treats as a rewrite: only an unchanged type is safe.
	 */
	if (o->array_dims > 0)
		return strcmp(old_name, new_name) == 0 && same_modifiers(o, n);
	if (strcmp(old_name, new_name) == 0)
		return modifier_change_is_safe(old_name, o, n);

	/* binary-coercible casts (pg_cast castmethod 'b') that keep every index usable */
	if (strcmp(old_name, "varchar") == 0 && strcmp(new_name, "text") == 0)
		return true;
	if (strcmp(old_name, "text") == 0 && strcmp(new_name, "varchar") == 0)
		return n->n_mods == 0; /* a limit checks every row */
	if (strcmp(old_name, "bit") == 0 && strcmp(new_name, "varbit") == 0)
		return n->n_mods == 0 || (o->n_mods > 0 && n->mods[0] >= o->mods[0]);
	if (strcmp(old_name, "cidr") == 0 && strcmp(new_name, "inet") == 0)
		return true;
	if (strcmp(old_name, "xml") == 0 && strcmp(new_name, "text") == 0)
		return true;
	/*
	 * Everything else rewrites or rebuilds: int4 -> int8, text -> citext
	 * (no rewrite, but every index changes operator class), timestamp ->
	 * timestamptz (no rewrite only when the session time zone is UTC).
	 */
	return false;
}

/* ---- replay ---- */

static struct catalog_table *table_add(struct catalog *cat, const PgQuery__RangeVar *rv, int order,
				       int section)
{
	struct catalog_table *t = arena_alloc(cat->arena, sizeof(*t));
	t->schema = arena_strdup(cat->arena, rv->schemaname ? rv->schemaname : "");
	t->name = arena_strdup(cat->arena, rv->relname);
	t->created_in = order;
	t->created_section = section;
	ARENA_GROW(cat->arena, cat->tables, cat->n_tables, cat->alloc_tables, cat->n_tables + 1);
	cat->tables[cat->n_tables++] = t;
	if (cat->n_tables > cat->n_buckets * 2)
		by_name_grow(cat);
	else
		by_name_insert(cat, t);
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
	if (c->type.name &&
	    (strcmp(c->type.name, "serial") == 0 || strcmp(c->type.name, "bigserial") == 0 ||
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

/* PostgreSQL's identifier limit (NAMEDATALEN - 1): longer generated names are cut. */
#define CATALOG_NAME_MAX 63

/*
 * The name PostgreSQL gives an unnamed index or constraint (makeObjectName):
 * "users_pkey", "users_email_key", "orders_user_id_fkey". name2 holds the
 * column names joined by '_' and may be NULL. The longer part is cut first
 * so that the whole fits in CATALOG_NAME_MAX.
 */
static const char *object_name_make(struct arena *a, const char *name1, const char *name2,
				    const char *label)
{
	size_t len1 = strlen(name1), len2 = name2 ? strlen(name2) : 0;
	size_t overhead = strlen(label) + 1 + (name2 ? 1 : 0);
	size_t avail = CATALOG_NAME_MAX > overhead ? CATALOG_NAME_MAX - overhead : 0;
	while (len1 + len2 > avail) {
		if (len1 > len2)
			len1--;
		else
			len2--;
	}
	if (name2)
		return arena_printf(a, "%.*s_%.*s_%s", (int)len1, name1, (int)len2, name2, label);
	return arena_printf(a, "%.*s_%s", (int)len1, name1, label);
}

/* Appends one column name to the '_'-joined list (ChooseIndexNameAddition). */
static const char *name_list_append(struct arena *a, const char *list, const char *name)
{
	if (!name)
		return list;
	if (!list)
		return arena_strdup(a, name);
	if (strlen(list) >= CATALOG_NAME_MAX)
		return list;
	return arena_printf(a, "%s_%s", list, name);
}

static const char *name_list_from_strings(struct arena *a, PgQuery__Node *const *names, size_t n)
{
	const char *list = NULL;
	for (size_t i = 0; i < n; i++)
		list = name_list_append(a, list, ast_string(names[i]));
	return list;
}

/* The name PostgreSQL reads off an index expression (FigureIndexColname), or NULL. */
static const char *expression_name(const PgQuery__Node *n)
{
	if (!n)
		return NULL;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		return ast_last_name(n->column_ref->fields, n->column_ref->n_fields);
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		return ast_last_name(n->func_call->funcname, n->func_call->n_funcname);
	case PG_QUERY__NODE__NODE_TYPE_CAST: {
		const char *name = expression_name(n->type_cast->arg);
		if (!name && n->type_cast->type_name)
			name = ast_last_name(n->type_cast->type_name->names,
					     n->type_cast->type_name->n_names);
		return name;
	}
	default:
		return NULL;
	}
}

/* The column part of an index name: a column's name, else what the expression is called. */
static const char *index_elem_name(const PgQuery__Node *n)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM)
		return NULL;
	const PgQuery__IndexElem *e = n->index_elem;
	if (e->indexcolname && *e->indexcolname)
		return e->indexcolname;
	if (e->name && *e->name)
		return e->name;
	const char *name = expression_name(e->expr);
	return name ? name : "expr";
}

static const char *name_list_from_index_elems(struct arena *a, PgQuery__Node *const *elems,
					      size_t n)
{
	const char *list = NULL;
	for (size_t i = 0; i < n; i++)
		list = name_list_append(a, list, index_elem_name(elems[i]));
	return list;
}

/*
 * The name of an unnamed constraint; colname is the column of a column
 * constraint (NULL for a table constraint). NULL when PostgreSQL would derive
 * it from the expression (a table CHECK), which the catalogue does not read.
 */
static const char *constraint_default_name(struct arena *a, const struct catalog_table *t,
					   const PgQuery__Constraint *k, const char *colname)
{
	const char *cols;
	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		return object_name_make(a, t->name, NULL, "pkey");
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		cols = colname ? colname : name_list_from_strings(a, k->keys, k->n_keys);
		return object_name_make(a, t->name, cols, "key");
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		cols = colname ? colname : name_list_from_strings(a, k->fk_attrs, k->n_fk_attrs);
		return object_name_make(a, t->name, cols, "fkey");
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION: {
		const char *list = NULL;
		for (size_t i = 0; i < k->n_exclusions; i++) {
			const PgQuery__Node *pair = k->exclusions[i];
			if (pair && pair->node_case == PG_QUERY__NODE__NODE_LIST &&
			    pair->list->n_items > 0)
				list = name_list_append(a, list,
							index_elem_name(pair->list->items[0]));
		}
		return object_name_make(a, t->name, list, "excl");
	}
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		return colname ? object_name_make(a, t->name, colname, "check") : NULL;
	default:
		return NULL;
	}
}

static struct catalog_index *index_add(struct catalog *cat, const struct catalog_table *t,
				       const char *name, bool unique, int order)
{
	ARENA_GROW(cat->arena, cat->indexes, cat->n_indexes, cat->alloc_indexes,
		   cat->n_indexes + 1);
	struct catalog_index *ix = &cat->indexes[cat->n_indexes++];
	ix->schema = t->schema;
	ix->table = t->name;
	ix->name = arena_strdup(cat->arena, name);
	ix->unique = unique;
	ix->created_in = order;
	return ix;
}

static bool constraint_has_index(enum catalog_constraint_kind kind)
{
	return kind == CATALOG_CONSTRAINT_UNIQUE || kind == CATALOG_CONSTRAINT_PRIMARY ||
	       kind == CATALOG_CONSTRAINT_EXCLUSION;
}

/* The column of a CHECK expression `col IS NOT NULL`, folded as stored; NULL otherwise. */
static const char *check_not_null_column(struct arena *a, const PgQuery__Node *e)
{
	if (!e || e->node_case != PG_QUERY__NODE__NODE_NULL_TEST)
		return NULL;
	const PgQuery__NullTest *nt = e->null_test;
	if (nt->nulltesttype != PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL || nt->argisrow || !nt->arg ||
	    nt->arg->node_case != PG_QUERY__NODE__NODE_COLUMN_REF ||
	    nt->arg->column_ref->n_fields != 1)
		return NULL;
	const char *col = ast_string(nt->arg->column_ref->fields[0]);
	return col ? arena_strdup(a, col) : NULL;
}

const struct catalog_constraint *catalog_not_null_check_find(const struct catalog *cat,
							     const struct catalog_table *t,
							     const char *column)
{
	if (!t || !column)
		return NULL;
	for (size_t i = cat->n_constraints; i-- > 0;) {
		const struct catalog_constraint *c = &cat->constraints[i];
		if (!c->dropped && !c->not_valid && c->not_null_column &&
		    strcmp(c->not_null_column, column) == 0 && strcmp(c->table, t->name) == 0 &&
		    schema_matches(c->schema, t->schema))
			return c;
	}
	return NULL;
}

static void constraint_add(struct catalog *cat, struct catalog_table *t,
			   const PgQuery__Constraint *k, const char *colname, int order,
			   int section)
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
	const char *name = k->conname && *k->conname ? k->conname : NULL;
	/* ADD CONSTRAINT ... USING INDEX takes the index over and renames it */
	struct catalog_index *used =
	    k->indexname && *k->indexname ? catalog_index_find(cat, t->schema, k->indexname) : NULL;
	if (!name && k->indexname && *k->indexname)
		name = k->indexname;
	if (!name)
		name = constraint_default_name(cat->arena, t, k, colname);

	ARENA_GROW(cat->arena, cat->constraints, cat->n_constraints, cat->alloc_constraints,
		   cat->n_constraints + 1);
	struct catalog_constraint *c = &cat->constraints[cat->n_constraints++];
	c->schema = t->schema;
	c->table = t->name;
	c->name = arena_strdup(cat->arena, name ? name : "");
	c->kind = constraint_kind(k->contype);
	c->not_valid = k->skip_validation;
	if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
		c->not_null_column = check_not_null_column(cat->arena, k->raw_expr);
	c->created_in = order;
	c->created_section = section;
	if (constraint_has_index(c->kind) && *c->name) {
		if (used) {
			used->name = c->name;
			cat->renames++;
		} else
			index_add(cat, t, c->name, c->kind != CATALOG_CONSTRAINT_EXCLUSION, order);
	}
	if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY) {
		t->has_primary_key = true;
		struct catalog_column *col = catalog_column_find(t, colname);
		if (col)
			col->not_null = true;
		for (size_t i = 0; i < k->n_keys; i++) {
			col = catalog_column_find(t, ast_string(k->keys[i]));
			if (col)
				col->not_null = true;
		}
	}
}

static void column_add_with_constraints(struct catalog *cat, struct catalog_table *t,
					const PgQuery__ColumnDef *cd, int order, int section)
{
	column_add(cat, t, cd, order);
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *k = ast_constraint(cd->constraints[i]);
		if (k)
			constraint_add(cat, t, k, cd->colname, order, section);
	}
}

/*
 * CREATE OR REPLACE and IF NOT EXISTS keep the object that is there: it still
 * belongs to the migration that first created it.
 */
static void object_add(struct catalog *cat, enum catalog_object_kind kind, const char *schema,
		       const char *name, int order)
{
	if (!name || catalog_object_find(cat, kind, schema, name))
		return;
	ARENA_GROW(cat->arena, cat->objects, cat->n_objects, cat->alloc_objects,
		   cat->n_objects + 1);
	struct catalog_object *o = &cat->objects[cat->n_objects++];
	o->kind = kind;
	o->schema = arena_strdup(cat->arena, schema ? schema : "");
	o->name = arena_strdup(cat->arena, name);
	o->created_in = order;
}

static void apply_create(struct catalog *cat, const PgQuery__CreateStmt *cs, int order, int section)
{
	if (!cs->relation || !cs->relation->relname)
		return;
	if (cs->if_not_exists && catalog_table_find_rangevar(cat, cs->relation))
		return;
	struct catalog_table *t = table_add(cat, cs->relation, order, section);
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *e = cs->table_elts[i];
		if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			column_add_with_constraints(cat, t, e->column_def, order, section);
	}
	/* table constraints after the columns: a PRIMARY KEY (id) marks id NOT NULL */
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Constraint *k = ast_constraint(cs->table_elts[i]);
		if (k)
			constraint_add(cat, t, k, NULL, order, section);
	}
	for (size_t i = 0; i < cs->n_constraints; i++) {
		const PgQuery__Constraint *k = ast_constraint(cs->constraints[i]);
		if (k)
			constraint_add(cat, t, k, NULL, order, section);
	}
}

/* Dropping a constraint that owns an index drops the index with it. */
static void constraint_drop(struct catalog *cat, struct catalog_table *t,
			    struct catalog_constraint *c)
{
	c->dropped = true;
	if (c->kind == CATALOG_CONSTRAINT_PRIMARY)
		t->has_primary_key = false;
	if (!constraint_has_index(c->kind))
		return;
	struct catalog_index *ix = catalog_index_find(cat, t->schema, c->name);
	if (ix && strcmp(ix->table, t->name) == 0)
		ix->dropped = true;
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
				column_add_with_constraints(cat, t, cd, order, section);
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
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity:
			if (col)
				col->has_default = true;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropIdentity:
			if (col)
				col->has_default = false;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			if (col && cmd->def &&
			    cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				catalog_type_from_typename(
				    cat->arena, cmd->def->column_def->type_name, &col->type);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint: {
			const PgQuery__Constraint *k = ast_constraint(cmd->def);
			if (k)
				constraint_add(cat, t, k, NULL, order, section);
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint: {
			struct catalog_constraint *c =
			    catalog_constraint_find(cat, t->schema, t->name, cmd->name);
			if (c)
				constraint_drop(cat, t, c);
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

static void apply_index(struct catalog *cat, const PgQuery__IndexStmt *is, int order)
{
	if (!is->relation || !is->relation->relname)
		return;
	struct catalog_table *t = table_get(cat, is->relation);
	const char *name = is->idxname && *is->idxname ? is->idxname : NULL;
	if (name && is->if_not_exists && catalog_index_find(cat, t->schema, name))
		return;
	if (!name)
		name = object_name_make(
		    cat->arena, t->name,
		    name_list_from_index_elems(cat->arena, is->index_params, is->n_index_params),
		    "idx");
	index_add(cat, t, name, is->unique, order);
}

/* Same schema for objects of one table: "" (unqualified) matches any. */
static bool same_table(const char *schema, const char *table, const struct catalog_table *t)
{
	return strcmp(table, t->name) == 0 && schema_matches(schema, t->schema);
}

static void table_drop(struct catalog *cat, struct catalog_table *t)
{
	t->dropped = true;
	for (size_t j = 0; j < cat->n_indexes; j++)
		if (same_table(cat->indexes[j].schema, cat->indexes[j].table, t))
			cat->indexes[j].dropped = true;
	for (size_t j = 0; j < cat->n_constraints; j++)
		if (same_table(cat->constraints[j].schema, cat->constraints[j].table, t))
			cat->constraints[j].dropped = true;
}

void catalog_forget(struct catalog *cat, const char *name)
{
	/* a forgotten object is one that was dropped: lookups no longer see it */
	for (struct catalog_table *t; (t = catalog_table_find(cat, NULL, name));)
		table_drop(cat, t);
	for (size_t j = 0; j < cat->n_indexes; j++)
		if (cat->indexes[j].name && strcmp(cat->indexes[j].name, name) == 0)
			cat->indexes[j].dropped = true;
	for (size_t j = 0; j < cat->n_constraints; j++)
		if (cat->constraints[j].name && strcmp(cat->constraints[j].name, name) == 0)
			cat->constraints[j].dropped = true;
	for (size_t j = 0; j < cat->n_objects; j++)
		if (cat->objects[j].name && strcmp(cat->objects[j].name, name) == 0)
			cat->objects[j].dropped = true;
}

/* DROP SCHEMA takes everything qualified with it along. */
static void schema_drop_contents(struct catalog *cat, const char *schema)
{
	for (size_t j = 0; j < cat->n_tables; j++)
		if (strcmp(cat->tables[j]->schema, schema) == 0)
			table_drop(cat, cat->tables[j]);
	for (size_t j = 0; j < cat->n_objects; j++)
		if (strcmp(cat->objects[j].schema, schema) == 0)
			cat->objects[j].dropped = true;
}

static enum catalog_object_kind object_kind_of(PgQuery__ObjectType t, bool *ret_known)
{
	*ret_known = true;
	switch (t) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		return CATALOG_OBJECT_VIEW;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
		return CATALOG_OBJECT_TYPE;
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE:
		return CATALOG_OBJECT_FUNCTION;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		return CATALOG_OBJECT_SCHEMA;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		return CATALOG_OBJECT_SEQUENCE;
	default:
		*ret_known = false;
		return CATALOG_OBJECT_VIEW;
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
				table_drop(cat, t);
			break;
		}
		case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX: {
			struct catalog_index *ix = catalog_index_find(cat, schema, name);
			if (ix)
				ix->dropped = true;
			break;
		}
		default: {
			bool known;
			enum catalog_object_kind k = object_kind_of(ds->remove_type, &known);
			if (!known)
				break;
			struct catalog_object *o = catalog_object_find(cat, k, schema, name);
			if (o)
				o->dropped = true;
			if (k == CATALOG_OBJECT_SCHEMA)
				schema_drop_contents(cat, name);
			break;
		}
		}
	}
}

static void table_rename(struct catalog *cat, struct catalog_table *t, const char *newname)
{
	const char *name = arena_strdup(cat->arena, newname);
	for (size_t j = 0; j < cat->n_indexes; j++)
		if (!cat->indexes[j].dropped &&
		    same_table(cat->indexes[j].schema, cat->indexes[j].table, t))
			cat->indexes[j].table = name;
	for (size_t j = 0; j < cat->n_constraints; j++)
		if (!cat->constraints[j].dropped &&
		    same_table(cat->constraints[j].schema, cat->constraints[j].table, t))
			cat->constraints[j].table = name;
	by_name_remove(cat, t);
	t->name = name;
	by_name_insert(cat, t);
}

static void schema_rename(struct catalog *cat, const char *oldname, const char *newname)
{
	const char *name = arena_strdup(cat->arena, newname);
	for (size_t j = 0; j < cat->n_tables; j++)
		if (strcmp(cat->tables[j]->schema, oldname) == 0)
			cat->tables[j]->schema = name;
	for (size_t j = 0; j < cat->n_indexes; j++)
		if (strcmp(cat->indexes[j].schema, oldname) == 0)
			cat->indexes[j].schema = name;
	for (size_t j = 0; j < cat->n_constraints; j++)
		if (strcmp(cat->constraints[j].schema, oldname) == 0)
			cat->constraints[j].schema = name;
	for (size_t j = 0; j < cat->n_objects; j++) {
		struct catalog_object *o = &cat->objects[j];
		if (o->kind == CATALOG_OBJECT_SCHEMA ? strcmp(o->name, oldname) == 0
						     : strcmp(o->schema, oldname) == 0) {
			if (o->kind == CATALOG_OBJECT_SCHEMA)
				o->name = name;
			else
				o->schema = name;
		}
	}
}

static void object_rename(struct catalog *cat, enum catalog_object_kind kind, const char *schema,
			  const char *name, const char *newname)
{
	struct catalog_object *o = catalog_object_find(cat, kind, schema, name);
	if (o)
		o->name = arena_strdup(cat->arena, newname);
}

static void apply_rename(struct catalog *cat, const PgQuery__RenameStmt *rs)
{
	if (!rs->newname)
		return;
	const PgQuery__RangeVar *rv = rs->relation;
	switch (rs->rename_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE: {
		if (!rv || !rv->relname)
			break;
		/* ALTER TABLE ... RENAME also renames views */
		if (!catalog_table_find_rangevar(cat, rv) &&
		    catalog_object_find(cat, CATALOG_OBJECT_VIEW, rv->schemaname, rv->relname)) {
			object_rename(cat, CATALOG_OBJECT_VIEW, rv->schemaname, rv->relname,
				      rs->newname);
			break;
		}
		table_rename(cat, table_get(cat, rv), rs->newname);
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		if (rv && rv->relname)
			object_rename(cat,
				      rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE
					  ? CATALOG_OBJECT_SEQUENCE
					  : CATALOG_OBJECT_VIEW,
				      rv->schemaname, rv->relname, rs->newname);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN: {
		/* view columns are not tracked; a view must not turn into a table here */
		if (rs->relation_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
			break;
		struct catalog_column *c = catalog_column_find(table_get(cat, rv), rs->subname);
		if (c)
			c->name = arena_strdup(cat->arena, rs->newname);
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX: {
		if (!rv || !rv->relname)
			break;
		struct catalog_index *ix = catalog_index_find(cat, rv->schemaname, rv->relname);
		if (ix) {
			ix->name = arena_strdup(cat->arena, rs->newname);
			cat->renames++;
		}
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT: {
		struct catalog_table *t = table_get(cat, rv);
		if (!t)
			break;
		struct catalog_constraint *c =
		    catalog_constraint_find(cat, t->schema, t->name, rs->subname);
		if (!c)
			break;
		/* the index behind a UNIQUE or PRIMARY KEY constraint is renamed with it */
		struct catalog_index *ix = constraint_has_index(c->kind)
					       ? catalog_index_find(cat, t->schema, c->name)
					       : NULL;
		c->name = arena_strdup(cat->arena, rs->newname);
		if (ix)
			ix->name = c->name;
		cat->renames++;
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		if (rs->subname)
			schema_rename(cat, rs->subname, rs->newname);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE: {
		const char *schema = NULL, *name = NULL;
		bool known;
		enum catalog_object_kind k = object_kind_of(rs->rename_type, &known);
		ast_object_name(rs->object, &schema, &name);
		if (name)
			object_rename(cat, k, schema, name, rs->newname);
		break;
	}
	default:
		break;
	}
}

static void apply_create_table_as(struct catalog *cat, const PgQuery__CreateTableAsStmt *cs,
				  int order, int section)
{
	const PgQuery__RangeVar *rv = cs->into ? cs->into->rel : NULL;
	if (!rv || !rv->relname)
		return;
	if (cs->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW) {
		object_add(cat, CATALOG_OBJECT_VIEW, rv->schemaname, rv->relname, order);
		return;
	}
	if (cs->if_not_exists && catalog_table_find_rangevar(cat, rv))
		return;
	/* the columns come from a query the catalogue does not evaluate */
	table_add(cat, rv, order, section);
}

void catalog_apply(struct catalog *cat, const PgQuery__Node *stmt, int order, int section)
{
	const char *schema = NULL, *name = NULL;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		apply_create(cat, stmt->create_stmt, order, section);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		apply_create_table_as(cat, stmt->create_table_as_stmt, order, section);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		apply_alter_table(cat, stmt->alter_table_stmt, order, section);
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		apply_index(cat, stmt->index_stmt, order);
		break;
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
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
		ast_qualified_name(stmt->create_enum_stmt->type_name,
				   stmt->create_enum_stmt->n_type_name, &schema, &name);
		object_add(cat, CATALOG_OBJECT_TYPE, schema, name, order);
		break;
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		ast_qualified_name(stmt->create_domain_stmt->domainname,
				   stmt->create_domain_stmt->n_domainname, &schema, &name);
		object_add(cat, CATALOG_OBJECT_TYPE, schema, name, order);
		break;
	case PG_QUERY__NODE__NODE_CREATE_RANGE_STMT:
		ast_qualified_name(stmt->create_range_stmt->type_name,
				   stmt->create_range_stmt->n_type_name, &schema, &name);
		object_add(cat, CATALOG_OBJECT_TYPE, schema, name, order);
		break;
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		if (stmt->composite_type_stmt->typevar)
			object_add(cat, CATALOG_OBJECT_TYPE,
				   stmt->composite_type_stmt->typevar->schemaname,
				   stmt->composite_type_stmt->typevar->relname, order);
		break;
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT: {
		const PgQuery__CreateFunctionStmt *fs = stmt->create_function_stmt;
		ast_qualified_name(fs->funcname, fs->n_funcname, &schema, &name);
		object_add(cat, CATALOG_OBJECT_FUNCTION, schema, name, order);
		struct catalog_object *fn =
		    catalog_object_find(cat, CATALOG_OBJECT_FUNCTION, schema, name);
		const char *ret = fs->return_type ? ast_last_name(fs->return_type->names,
								  fs->return_type->n_names)
						  : NULL;
		if (fn)
			fn->returns_trigger = ret && strcmp(ret, "trigger") == 0;
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
		if (stmt->create_policy_stmt->table)
			object_add(cat, CATALOG_OBJECT_POLICY,
				   stmt->create_policy_stmt->table->schemaname,
				   stmt->create_policy_stmt->table->relname, order);
		break;
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
