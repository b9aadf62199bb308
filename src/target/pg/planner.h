#ifndef MG_TARGET_PG_PLANNER_H
#define MG_TARGET_PG_PLANNER_H

#include <stdbool.h>

#include "target/plan.h"

/*
 * PostgreSQL's zero-downtime planner (its driver_ops.plan). At apply time,
 * reading the live catalogue: the units expand runs for stmts[at] (the
 * statements before it are those of the same section), and the units
 * contract runs later to finish it. A statement the planner does not take
 * yields no units (false in *ret_planned). A change that cannot be made
 * safe here (no key to backfill by) fails with exit 2.
 */
int planner_plan(struct driver *d, struct arena *a, const struct migration *m,
		 const struct sql_stmt *stmts, size_t at, bool *ret_planned,
		 struct unit_list *ret_expand, struct unit_list *ret_contract,
		 struct mg_error *err);

#endif
