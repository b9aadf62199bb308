#ifndef MG_CHECK_SNAPSHOT_H
#define MG_CHECK_SNAPSHOT_H

#include <stddef.h>

#include "target/target.h"
#include "util/arena.h"
#include "util/error.h"

/*
 * The schema of a PostgreSQL database as sorted (object, definition) pairs:
 * schemas, tables, columns (keyed by name: a column a revert adds back goes
 * to the end, which changes nothing an app sees), their types, nullability
 * and defaults, indexes, constraints, views, functions, triggers, types and
 * extensions. The history schema and migrate_trash are left out.
 */
struct check_snapshot {
	size_t n;
	const char **keys;   /* "column public.orders.status", sorted */
	const char **values; /* "text not null default 'new'::text" */
};

int snapshot_take(struct driver *d, struct arena *a, const char *history_schema,
		  struct check_snapshot *ret, struct mg_error *err);

/*
 * How got differs from want, one line per object ("  left behind: index
 * public.t_b_idx (CREATE INDEX ...)"), with extra/missing as the words for an
 * object only in got / only in want. NULL when they are equal.
 */
const char *snapshot_diff(struct arena *a, const struct check_snapshot *want,
			  const struct check_snapshot *got, const char *extra, const char *missing,
			  size_t *ret_n_differences);

/*
 * What the schema must be after a revert of the phase that turned before
 * into after: before, except that an enum type the phase gave new values
 * (ALTER TYPE ... ADD VALUE) may keep them, as it has in now: PostgreSQL
 * cannot drop an enum value, and revert leaves it in place (saying so).
 */
struct check_snapshot snapshot_after_revert(struct arena *a, const struct check_snapshot *before,
					    const struct check_snapshot *after,
					    const struct check_snapshot *now);

/*
 * Gives each user table fewer than three rows a few more, generated from its
 * column types (foreign keys point at rows that exist, enum and CHECK ... IN
 * values are respected), so the statements that follow scan real rows. A table
 * where no row can be made stays as it is.
 */
int seed_tables(struct driver *d, struct arena *a, const char *history_schema,
		struct mg_error *err);

#endif
