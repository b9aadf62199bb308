#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "run/runner.h"

enum { P_PHASE = 1 };

const struct option cmd_plan_options[] = {
    {"phase", required_argument, NULL, P_PHASE},
    {NULL, 0, NULL, 0},
};

static void plan_print(void *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void plan_print(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int cmd_plan(int argc, char **argv)
{
	const struct option *opts = cmd_plan_options;
	const struct cmd *self = cmd_find("plan");
	struct mg_error err = MG_ERROR_INIT;
	struct cmd_env env;
	unsigned phases = RUN_EXPAND | RUN_CONTRACT;
	int c;
	while ((c = cmd_getopt(self, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_HELP:
			return 0;
		case '?':
			return 2;
		case P_PHASE:
			if (strcmp(optarg, "expand") == 0)
				phases = RUN_EXPAND;
			else if (strcmp(optarg, "contract") == 0)
				phases = RUN_CONTRACT;
			else
				return cmd_usage_error(
				    self, "--phase is expand or contract, not '%s'", optarg);
			break;
		}
	}
	int64_t version = 0;
	bool has_version = false;
	if (optind < argc) {
		if (!cmd_version_arg(self, NULL, argv[optind], &version))
			return 2;
		has_version = true;
		if (optind + 1 < argc)
			return cmd_usage_error(self, "one VERSION at most");
	}
	int rc;
	if (cmd_env_init(&env, true, &err) < 0)
		goto fail;
	/* before connecting: a version no file has is a typo, whatever the database holds */
	if (has_version && !cmd_set_has_version(&env.set, version)) {
		mg_error_set(&err, 2, "no migration with version %lld", (long long)version);
		goto fail;
	}
	if (cmd_env_connect(&env, "plan", &err) < 0 ||
	    runner_plan(&env.driver, &env.arena, &env.set, phases, has_version, version,
			env.history_schema, plan_print, NULL, &err) < 0)
		goto fail;
	cmd_note_missing_database(&env);
	cmd_env_release(&env);
	return 0;
fail:
	rc = cmd_fail("plan", &err);
	cmd_env_release(&env);
	return rc;
}
