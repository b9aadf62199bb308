#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "plan/runner.h"

enum {
	OPT_PHASE = 1,
	OPT_TO,
	OPT_DRY_RUN,
	OPT_ALLOW_DRIFT,
	OPT_RETRIES,
	OPT_LOCK_WAIT,
};

/* A version number; false when s is not one. */
bool parse_version(const char *s, int64_t *ret);

bool parse_version(const char *s, int64_t *ret)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v < 0)
		return false;
	*ret = v;
	return true;
}

int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {
		{"phase", required_argument, NULL, OPT_PHASE},
		{"to", required_argument, NULL, OPT_TO},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"allow-drift", no_argument, NULL, OPT_ALLOW_DRIFT},
		{"retries", required_argument, NULL, OPT_RETRIES},
		{"lock-wait", required_argument, NULL, OPT_LOCK_WAIT},
		{NULL, 0, NULL, 0},
	};
	const struct cmd *self = cmd_find("up");
	struct runner_options o = {.phases = RUN_EXPAND | RUN_CONTRACT, .say = cmd_say};
	struct mg_error err = MG_ERROR_INIT;
	struct cmd_env env;
	int retries = -1, lock_wait = -1;
	int c;
	while ((c = cmd_getopt(self, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_HELP:
			return 0;
		case '?':
			return 2;
		case OPT_PHASE:
			if (strcmp(optarg, "expand") == 0)
				o.phases = RUN_EXPAND;
			else if (strcmp(optarg, "contract") == 0)
				o.phases = RUN_CONTRACT;
			else
				return cmd_usage_error(self, "--phase is expand or contract, not '%s'",
						       optarg);
			break;
		case OPT_TO:
			if (!parse_version(optarg, &o.to))
				return cmd_usage_error(self, "--to takes a version number");
			o.has_to = true;
			break;
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_ALLOW_DRIFT:
			o.allow_drift = true;
			break;
		case OPT_RETRIES:
			retries = atoi(optarg);
			if (retries < 0 || retries > 100)
				return cmd_usage_error(self, "--retries takes 0 to 100");
			break;
		case OPT_LOCK_WAIT:
			lock_wait = cmd_parse_ms(optarg);
			if (lock_wait < 0)
				return cmd_usage_error(self, "--lock-wait takes a duration such as 60s");
			break;
		}
	}
	if (optind < argc)
		return cmd_usage_error(self, "unexpected argument '%s'", argv[optind]);

	/* the test suite's stand-in for kill -9 in the middle of a phase */
	const char *crash = getenv("MIGRATE_TEST_CRASH_AFTER");
	if (crash)
		o.crash_after = atoi(crash);
	int rc;
	if (cmd_env_init(&env, true, &err) < 0 || cmd_lint_before_apply(&env, &err) < 0)
		goto fail;
	if (retries >= 0)
		env.retries = retries;
	if (lock_wait >= 0)
		env.lock_wait_ms = lock_wait;
	o.retries = env.retries;
	o.history_schema = env.history_schema;
	if (cmd_env_connect(&env, "up", &err) < 0)
		goto fail;
	int applied;
	if (runner_up(&env.driver, &env.arena, &env.set, &o, &applied, &err) < 0)
		goto fail;
	if (!applied)
		cmd_say(NULL, "nothing to %s: the database is up to date",
			o.phases == RUN_EXPAND	   ? "expand"
			: o.phases == RUN_CONTRACT ? "contract"
						   : "apply");
	cmd_env_release(&env);
	return 0;
fail:
	rc = cmd_fail("up", &err);
	cmd_env_release(&env);
	return rc;
}

int cmd_revert(int argc, char **argv)
{
	enum { R_STEPS = 1, R_TO, R_DRY_RUN, R_RETRIES, R_LOCK_WAIT };
	static const struct option opts[] = {
		{"steps", required_argument, NULL, R_STEPS},
		{"to", required_argument, NULL, R_TO},
		{"dry-run", no_argument, NULL, R_DRY_RUN},
		{"retries", required_argument, NULL, R_RETRIES},
		{"lock-wait", required_argument, NULL, R_LOCK_WAIT},
		{NULL, 0, NULL, 0},
	};
	const struct cmd *self = cmd_find("revert");
	struct revert_options o = {.steps = 1, .say = cmd_say};
	struct mg_error err = MG_ERROR_INIT;
	struct cmd_env env;
	bool has_steps = false;
	int retries = -1, lock_wait = -1;
	int c;
	while ((c = cmd_getopt(self, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_HELP:
			return 0;
		case '?':
			return 2;
		case R_STEPS:
			o.steps = atoi(optarg);
			if (o.steps < 1)
				return cmd_usage_error(self, "--steps takes a number of phases >= 1");
			has_steps = true;
			break;
		case R_TO:
			if (!parse_version(optarg, &o.to))
				return cmd_usage_error(self, "--to takes a version number");
			o.has_to = true;
			break;
		case R_DRY_RUN:
			o.dry_run = true;
			break;
		case R_RETRIES:
			retries = atoi(optarg);
			break;
		case R_LOCK_WAIT:
			lock_wait = cmd_parse_ms(optarg);
			if (lock_wait < 0)
				return cmd_usage_error(self, "--lock-wait takes a duration such as 60s");
			break;
		}
	}
	if (optind < argc)
		return cmd_usage_error(self, "unexpected argument '%s'", argv[optind]);
	if (has_steps && o.has_to)
		return cmd_usage_error(self, "--steps and --to go alone");
	int rc;
	if (cmd_env_init(&env, false, &err) < 0)
		goto fail;
	if (retries >= 0)
		env.retries = retries;
	if (lock_wait >= 0)
		env.lock_wait_ms = lock_wait;
	o.retries = env.retries;
	o.history_schema = env.history_schema;
	if (cmd_env_connect(&env, "revert", &err) < 0)
		goto fail;
	int reverted;
	if (runner_revert(&env.driver, &env.arena, &o, &reverted, &err) < 0)
		goto fail;
	if (!reverted)
		cmd_say(NULL, "nothing to revert");
	cmd_env_release(&env);
	return 0;
fail:
	rc = cmd_fail("revert", &err);
	cmd_env_release(&env);
	return rc;
}
