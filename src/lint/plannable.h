#ifndef MG_LINT_PLANNABLE_H
#define MG_LINT_PLANNABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "sql/parse.h"

/*
 * What the zero-downtime planner (plan/) takes, asked statically: lint
 * reports a statement `planned` and checks planner-conflict with these, the
 * planner plans what they accept. They live in lint/, which plan/ may include,
 * so that lint never includes plan/.
 */

/* Statically: does the planner take this expand statement (lint reports it `planned`)? */
bool planner_handles(const PgQuery__Node *stmt);

/*
 * Statically: would stmts[at] and an earlier statement of the same section
 * (*ret_earlier) not see each other when planned together? *ret_column names
 * the column (of *ret_table) both change or one changes and the other makes a
 * foreign key to; NULL: a column change after its table's rename.
 */
bool planner_conflict(const struct sql_stmt *stmts, size_t at, size_t *ret_earlier,
		      const PgQuery__RangeVar **ret_table, const char **ret_column);

/* The table an index, ALTER TABLE or rename statement works on, or NULL. */
const PgQuery__RangeVar *planner_target(const PgQuery__Node *stmt);

/* The one action of an ALTER TABLE of one action, or NULL. */
const PgQuery__AlterTableCmd *plan_single_cmd(const PgQuery__Node *stmt);

/* The column an ALTER TABLE action defines (ADD COLUMN, ALTER TYPE), or NULL. */
const PgQuery__ColumnDef *plan_cmd_column_def(const PgQuery__AlterTableCmd *cmd);

#endif
