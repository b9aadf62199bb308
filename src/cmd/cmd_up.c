#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	OPT_BATCH_SIZE,
	OPT_BATCH_DELAY,
};

/*
 * A backfill's progress: a bar redrawn in place on a terminal, a log line
 * every few seconds otherwise (CI logs, pipes).
 */
static void up_progress(void *ctx, const char *label, long long rows, long long total, double rate,
			bool done)
{
	static int64_t last_line;
	(void)ctx;
	if (cli.quiet)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	double frac = total > 0 ? (double)rows / (double)total : 0;
	if (frac > 1)
		frac = 1;
	long long eta = rate > 0 && total > rows ? (long long)((double)(total - rows) / rate) : 0;
	if (isatty(STDOUT_FILENO)) {
		char bar[31];
		int filled = (int)(frac * 30);
		for (int i = 0; i < 30; i++)
			bar[i] = i < filled ? '#' : '.';
		bar[30] = '\0';
		printf("\r  backfill %s [%s] %lld/%lld rows, %.0f rows/s, ETA %llds%s", label, bar,
		       rows, total, rate, eta, done ? "\n" : "");
		fflush(stdout);
	} else if (done || now - last_line >= 5000) {
		printf("  backfill %s: %lld of ~%lld rows (%.0f rows/s%s)\n", label, rows, total,
		       rate, done ? ", done" : "");
		fflush(stdout);
		last_line = now;
	}
}

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
	    {"batch-size", required_argument, NULL, OPT_BATCH_SIZE},
	    {"batch-delay", required_argument, NULL, OPT_BATCH_DELAY},
	    {NULL, 0, NULL, 0},
	};
	const struct cmd *self = cmd_find("up");
	struct runner_options o = {.phases = RUN_EXPAND | RUN_CONTRACT,
				   .say = cmd_say,
				   .progress = up_progress,
				   .batch_size = 1000};
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
				return cmd_usage_error(
				    self, "--phase is expand or contract, not '%s'", optarg);
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
				return cmd_usage_error(self,
						       "--lock-wait takes a duration such as 60s");
			break;
		case OPT_BATCH_SIZE:
			o.batch_size = atoi(optarg);
			if (o.batch_size < 1 || o.batch_size > 1000000)
				return cmd_usage_error(self,
						       "--batch-size takes 1 to 1000000 rows");
			break;
		case OPT_BATCH_DELAY:
			o.batch_delay_ms = cmd_parse_ms(optarg);
			if (o.batch_delay_ms < 0)
				return cmd_usage_error(
				    self, "--batch-delay takes a duration such as 50ms");
			break;
		}
	}
	if (optind < argc)
		return cmd_usage_error(self, "unexpected argument '%s'", argv[optind]);

	/* the test suite's stand-in for kill -9 in the middle of a phase */
	const char *crash = getenv("MIGRATE_TEST_CRASH_AFTER");
	if (crash)
		o.crash_after = atoi(crash);
	const char *crash_batches = getenv("MIGRATE_TEST_CRASH_AFTER_BATCHES");
	if (crash_batches)
		o.crash_after_batches = atoi(crash_batches);
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
	cmd_note_missing_database(&env); /* --dry-run: nothing created it */
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
				return cmd_usage_error(self,
						       "--steps takes a number of phases >= 1");
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
				return cmd_usage_error(self,
						       "--lock-wait takes a duration such as 60s");
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
	if (!reverted && env.driver.missing_file)
		cmd_say(NULL, "nothing to revert: '%s' does not exist", env.driver.missing_file);
	else if (!reverted)
		cmd_say(NULL, "nothing to revert");
	cmd_env_release(&env);
	return 0;
fail:
	rc = cmd_fail("revert", &err);
	cmd_env_release(&env);
	return rc;
}
