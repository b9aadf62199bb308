#ifndef MG_LINT_RULES_MONGO_H
#define MG_LINT_RULES_MONGO_H

#include "lint/lint.h"

/*
 * The MongoDB rules (ids prefixed "mongo-"): a pass of their own over the
 * commands of a JSON migration, called by lint_run in version order beside
 * the SQL rules. Their rows in lint_rules have no check function: the SQL
 * pass never runs them.
 */

/* What earlier MongoDB migrations of the set made: collections, indexes, validator levels. */
struct lint_mongo_state;

/*
 * Lints one migration of kind MIGRATION_JSON and replays its expand and
 * contract commands into *state (allocated in ctx->arena on first use).
 * A file that does not parse fails (exit 2, file:line); findings are not
 * failures.
 */
int lint_mongo_migration(struct lint_ctx *ctx, const struct migration *m,
			 struct lint_mongo_state **state, struct mg_error *err);

#endif
