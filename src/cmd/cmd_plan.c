#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "plan/runner.h"

bool parse_version(const char *s, int64_t *ret);

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
	enum { P_PHASE = 1 };
	static const struct option opts[] = {
	    {"phase", required_argument, NULL, P_PHASE},
	    {NULL, 0, NULL, 0},
	};
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
		if (!parse_version(argv[optind], &version))
			return cmd_usage_error(self, "'%s' is not a version", argv[optind]);
		has_version = true;
		if (optind + 1 < argc)
			return cmd_usage_error(self, "one VERSION at most");
	}
	int rc;
	if (cmd_env_init(&env, true, &err) < 0 || cmd_env_connect(&env, "plan", &err) < 0 ||
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
