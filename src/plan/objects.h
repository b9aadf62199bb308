#ifndef MG_PLAN_OBJECTS_H
#define MG_PLAN_OBJECTS_H

#include <stdbool.h>

#include "target/target.h"
#include "migration/migration.h"
#include "sql/parse.h"
#include "util/arena.h"
#include "util/error.h"

/*
 * What a phase does to the schema, read off its statements: the tables,
 * columns, indexes, constraints, views, types, functions, sequences and
 * triggers it creates, changes and drops, and what it uses without changing
 * (the table and columns an index, a CHECK or a view reads, the table a
 * foreign key references, the function a trigger runs). Names are as
 * PostgreSQL folds them; an unnamed index or constraint gets the name
 * PostgreSQL would give it. Where a statement is not understood, the tables
 * it names count as used, so a comparison errs towards "depends".
 */

/* The object set of one parsed section (recorded: true). */
void objects_of_section(struct arena *a, const struct sql_section *sec, struct object_set *ret);

/* The object set of one phase (SECTION_EXPAND or SECTION_CONTRACT) of m, parsed from its file. */
int objects_of_phase(struct arena *a, const struct migration *m, enum migration_section s,
		     struct object_set *ret, struct mg_error *err);

/* The same object: kind (a table and a view are one), schema ("" matches any), table, name. */
bool objects_same(const struct object_ref *x, const struct object_ref *y);

/* "column users.nick", "index users_nick_idx", "table public.users": for messages. */
const char *objects_describe(struct arena *a, const struct object_ref *o);

#endif
