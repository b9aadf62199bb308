#ifndef MG_LINT_INFLIGHT_H
#define MG_LINT_INFLIGHT_H

#include "lint/lint.h"

/*
 * Migrations in flight on a shared database: expanded and not contracted, or
 * not in this checkout at all (another branch's). The app version of each
 * still runs against what it made, so a pending migration that renames,
 * retypes, drops or constrains one of its objects breaks that branch.
 */

enum inflight_object_kind {
	INFLIGHT_TABLE,
	INFLIGHT_COLUMN,
	INFLIGHT_INDEX,
	INFLIGHT_CONSTRAINT,
	INFLIGHT_VIEW,
};

enum inflight_act {
	INFLIGHT_CREATES,
	INFLIGHT_CHANGES,
	INFLIGHT_USES,
	INFLIGHT_RENAMES,
	INFLIGHT_RETYPES,
	INFLIGHT_DROPS,
	INFLIGHT_CONSTRAINS,
};

/* What one statement does to one object. */
struct inflight_touch {
	enum inflight_object_kind kind;
	enum inflight_act act;
	const char
	    *table; /* the table of a column (or of an index or constraint); NULL for others */
	const char *name; /* the column's, index's, constraint's, view's or table's name */
	const char *via;  /* how a column is used: "index users_email_idx"; NULL when directly */
	int location;	  /* node location in the statement's text, -1 when unknown */
};

struct inflight_touches {
	struct inflight_touch *items;
	size_t n, alloc;
};

/* Appends what stmt does to the objects it names (nothing for statements it does not know). */
void inflight_touches_of(struct arena *a, const PgQuery__Node *stmt, struct inflight_touches *ret);

struct inflight_migration {
	int64_t version;
	const char *name;
	enum history_phase phase;
	bool in_checkout;
	struct inflight_touches touches;
};

struct lint_inflight_set {
	struct inflight_migration *items;
	size_t n;
};

/*
 * The migrations in flight on the database of h, with what each does: a file
 * of this checkout is parsed (its expand section, and its contract section
 * once that runs); another branch's migration is read from what the history
 * recorded of it: the planner's steps as they ran, and its undo (the undo of
 * a DROP says the migration created the object), with the definitions the
 * database gave of those objects (opts->definitions). Statements that do not
 * parse are skipped: they name nothing this can compare.
 */
const struct lint_inflight_set *lint_inflight_build(struct arena *a,
						    const struct migration_set *set,
						    const struct history *h,
						    const struct lint_options *opts);

#endif
