#ifndef MG_PLAN_PLANNER_INTERNAL_H
#define MG_PLAN_PLANNER_INTERNAL_H

/*
 * What the planner's files share: planner.c (the entry, and the intents on
 * indexes, constraints, NOT NULL, tables and added columns), planner_column.c
 * (renames and type changes of a column); what the planner takes, and which
 * intents of one migration it cannot plan together, are in lint/plannable.c. Each intent is
 * planned in a plan_ctx; the plan_add* helpers append its units.
 */

#include <stdbool.h>

#include "sql/names.h"
#include "target/pg/names_pg.h"
#include "target/target.h"
#include "target/pg/planner.h"
#include "lint/plannable.h"

/* A column with a type change still to contract, and its shadow (planner.c). */
struct shadowed_column {
	const char *col, *shadow;
};

/* One statement's planning. */
struct plan_ctx {
	struct driver *d;
	struct arena *a;
	const struct migration *m;
	const struct sql_stmt *st;
	const struct sql_stmt *earlier; /* the section's statements before st */
	size_t n_earlier;
	struct unit_list *expand;
	struct unit_list *contract;
	struct mg_error *err;
	bool partitioned; /* the statement's table is a partitioned one */
};

/* A column as the catalogue has it now (plan_column_state). */
struct column_state {
	bool exists;
	const char *type; /* format_type */
	bool not_null;
	const char *default_expr;
	bool not_null_check; /* CHECK (col IS NOT NULL), e.g. a SET NOT NULL not contracted yet */
	bool identity_or_generated;
};

/* One query's first value in *ret (NULL: no row, or NULL). */
int plan_q1(struct plan_ctx *p, const char **ret, const char *sql, int n,
	    const char *const *params);

/* A unit of SQL (printf-style) at the end of l, located at the statement planned. */
int plan_add(struct plan_ctx *p, struct unit_list *l, unsigned flags, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Each unit of from, in order, at the end of l. */
int plan_add_all(struct plan_ctx *p, struct unit_list *l, const struct unit_list *from);

/* ALTER TABLE rv <cmd>, as SQL. */
const char *plan_deparse_alter(struct arena *a, const PgQuery__RangeVar *rv,
			       PgQuery__AlterTableCmd *cmd);

/* The text of an expression, through the deparser: SELECT <expr>. */
const char *plan_deparse_expr(struct arena *a, PgQuery__Node *expr);

/* col's NOT NULL constraint's name, on PostgreSQL 18 and later (else *ret NULL). */
int plan_not_null_constraint(struct plan_ctx *p, const char *rel, const char *col,
			     const char **ret);

/* The name of the planner's NOT VALID check standing for NOT NULL on col (planner.c). */
const char *plan_not_null_check_name(struct plan_ctx *p, const char *table, const char *col);

/* What the catalogue says of column col of rel (ret->exists false: no such column). */
int plan_column_state(struct plan_ctx *p, const char *rel, const char *col,
		      struct column_state *ret);

/*
 * The shadow columns of col: a type change expanded and not contracted yet
 * (plan_alter_type's shadow, written by its sync trigger, whose function
 * records its name: names_pg_record). What
 * is planned on col afterwards must hold for them too, since contract swaps
 * one of them in.
 */
int plan_pending_shadows(struct plan_ctx *p, const char *rel, const char *col,
			 struct driver_rows *ret);

/*
 * A change of a column with a type change still to contract that has no plan
 * onto its shadow (a rename, another type change; what is planned onto the
 * shadow is in planner.c): refused, saying what and why, with what to do.
 */
int plan_refuse_if_shadowed(struct plan_ctx *p, const char *rel, const char *table, const char *col,
			    const char *what, const char *why);

/* Renames from to to in a list of String nodes (a foreign key's columns). */
void plan_rename_in_names(PgQuery__Node **names, size_t n, const char *from, const char *to);

/* A keyset-batched UPDATE rel SET set_sql WHERE where_sql, along the table's key. */
int plan_add_backfill(struct plan_ctx *p, const char *rel, const char *label, const char *set_sql,
		      const char *where_sql);

/* A NOT NULL that costs no long lock: a NOT VALID check, validated on its own. */
int plan_add_not_null_check(struct plan_ctx *p, const char *rel, const char *check,
			    const char *col);

/* planner_column.c: RENAME COLUMN and a rewriting ALTER COLUMN TYPE. */
int plan_rename_column(struct plan_ctx *p, const PgQuery__RenameStmt *rs);
int plan_alter_type(struct plan_ctx *p, const PgQuery__RangeVar *rv,
		    const PgQuery__AlterTableCmd *cmd);

#endif
