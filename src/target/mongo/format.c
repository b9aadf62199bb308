/* MongoDB's migration files (JSON commands) behind struct target_format. */
#include "target/mongo/rules_mongo.h"
#include "target/mongo/runner_mongo.h"

static int mongo_lint(struct lint_ctx *ctx, const struct migration *m, void **state,
		      struct mg_error *err)
{
	struct lint_mongo_state *st = *state;
	int rc = lint_mongo_migration(ctx, m, &st, err);
	*state = st;
	return rc;
}

const struct target_format target_mongo_format = {
    .kind = MIGRATION_JSON,
    .lint = mongo_lint,
    .check = runner_mongo_check,
    .up = runner_mongo_up,
    .plan = runner_mongo_plan,
};
