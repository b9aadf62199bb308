#ifndef MG_LINT_CATALOG_H
#define MG_LINT_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "util/arena.h"

/*
 * The schema as the migrations build it, replayed statement by statement in
 * version order. Every object remembers the migration (its position in the
 * set) and section that created it, so rules can tell "new in this migration"
 * (safe to change) from "existing" (in use by running app versions). Objects
 * the catalogue has never seen are existing: they predate the migrations.
 *
 * Names are stored as PostgreSQL folds them (unquoted identifiers lowercase);
 * schema "" means unqualified, which matches any schema on lookup.
 */

/* A column type as written: the last name component ("int4", "varchar",
 * "timestamptz"), up to two integer type modifiers, and array dimensions. */
struct catalog_type {
	const char *name;
	int n_mods;
	int32_t mods[2];
	int array_dims;
};

struct catalog_column {
	const char *name;
	struct catalog_type type;
	bool not_null;
	bool has_default;
	int created_in; /* migration order, -1 when unknown (pre-existing) */
	bool dropped;
};

struct catalog_table {
	const char *schema;
	const char *name;
	struct catalog_column *columns;
	size_t n_columns, alloc_columns;
	bool has_primary_key;
	int created_in;
	int created_section;
	bool dropped;
	struct catalog_table *next_by_name;
};

enum catalog_constraint_kind {
	CATALOG_CONSTRAINT_CHECK,
	CATALOG_CONSTRAINT_FOREIGN,
	CATALOG_CONSTRAINT_UNIQUE,
	CATALOG_CONSTRAINT_PRIMARY,
	CATALOG_CONSTRAINT_EXCLUSION,
	CATALOG_CONSTRAINT_OTHER,
};

struct catalog_constraint {
	const char *schema;
	const char *table;
	const char *name;
	enum catalog_constraint_kind kind;
	bool not_valid;
	/* a CHECK (col IS NOT NULL): the column it proves NOT NULL, else NULL */
	const char *not_null_column;
	int created_in;
	int created_section;
	bool dropped;
};

struct catalog_index {
	const char *schema;
	const char *name;
	const char *table;
	bool unique;
	int created_in;
	bool dropped;
};

/* Views, types, functions, schemas: only their existence and origin matter. */
enum catalog_object_kind {
	CATALOG_OBJECT_VIEW,
	CATALOG_OBJECT_TYPE,
	CATALOG_OBJECT_FUNCTION,
	CATALOG_OBJECT_SCHEMA,
	CATALOG_OBJECT_SEQUENCE,
	CATALOG_OBJECT_POLICY, /* named by its table: some policy exists on that table */
};

struct catalog_object {
	enum catalog_object_kind kind;
	const char *schema;
	const char *name;
	int created_in;
	bool returns_trigger; /* a function: RETURNS trigger (only triggers call it) */
	bool dropped;
};

struct catalog_name_map;

struct catalog {
	struct arena *arena;
	struct catalog_table **tables;
	size_t n_tables, alloc_tables;
	/* tables by name: buckets of chains through catalog_table.next_by_name,
	 * newest first, so a long history is not walked for every lookup */
	struct catalog_table **by_name;
	size_t n_buckets;
	struct catalog_constraint *constraints;
	size_t n_constraints, alloc_constraints;
	struct catalog_index *indexes;
	size_t n_indexes, alloc_indexes;
	struct catalog_object *objects;
	size_t n_objects, alloc_objects;
	/* lookup caches by name for constraints and indexes (see catalog.c) */
	struct catalog_name_map *constraint_names;
	struct catalog_name_map *index_names;
	unsigned renames; /* bumped by every rename: the caches are rebuilt */
};

void catalog_init(struct catalog *cat, struct arena *a);

/* Replays one statement (from migration `order`, section `section`) into the catalogue. */
void catalog_apply(struct catalog *cat, const PgQuery__Node *stmt, int order, int section);

/*
 * Forgets every table, index, constraint and other object called `name` (in
 * any schema): what a file the parser could not read may have done to it is
 * unknown, so later migrations see it as an object that predates them (in
 * use, never new), as they see anything the catalogue has not met.
 */
void catalog_forget(struct catalog *cat, const char *name);

/* Lookups ignore dropped objects. schema NULL or "" matches any schema. */
struct catalog_table *catalog_table_find(const struct catalog *cat, const char *schema,
					 const char *name);
struct catalog_table *catalog_table_find_rangevar(const struct catalog *cat,
						  const PgQuery__RangeVar *rv);
struct catalog_column *catalog_column_find(const struct catalog_table *t, const char *name);
struct catalog_index *catalog_index_find(const struct catalog *cat, const char *schema,
					 const char *name);
struct catalog_constraint *catalog_constraint_find(const struct catalog *cat, const char *schema,
						   const char *table, const char *name);
struct catalog_object *catalog_object_find(const struct catalog *cat, enum catalog_object_kind kind,
					   const char *schema, const char *name);

/* The validated CHECK (col IS NOT NULL) of the table's column, or NULL. */
const struct catalog_constraint *catalog_not_null_check_find(const struct catalog *cat,
							     const struct catalog_table *t,
							     const char *column);

/*
 * True when a table (named by a RangeVar) was created by migration `order`:
 * changing it cannot break a running app. Unknown tables are existing.
 */
bool catalog_table_is_new(const struct catalog *cat, const PgQuery__RangeVar *rv, int order);

/* Fills t from a TypeName node. */
void catalog_type_from_typename(struct arena *a, const PgQuery__TypeName *tn,
				struct catalog_type *t);

/*
 * True when changing a column from old to new needs neither a table rewrite
 * nor an index rebuild in PostgreSQL (binary-coercible widening such as
 * varchar(50) -> varchar(100) or text, numeric(10,2) -> numeric(12,2)).
 */
bool catalog_type_change_is_safe(const struct catalog_type *old_type,
				 const struct catalog_type *new_type);

/* "varchar(50)", "numeric(10,2)", "int4[]": for messages. */
const char *catalog_type_format(struct arena *a, const struct catalog_type *t);

#endif
