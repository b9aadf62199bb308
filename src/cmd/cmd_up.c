#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "run/runner.h"
#include "util/interrupt.h"
#include "util/fileio.h"
#include "util/number.h"

enum {
	OPT_PHASE = 1,
	OPT_TO,
	OPT_DRY_RUN,
	OPT_ALLOW_DRIFT,
	OPT_STRICT_ORDER,
	OPT_RETRIES,
	OPT_LOCK_WAIT,
	OPT_BATCH_SIZE,
	OPT_BATCH_DELAY,
	OPT_MAX_REPLICA_LAG,
	OPT_REPLICA,
};

/*
 * --max-replica-lag: why a backfill batch or a step waits, on stdout, the
 * first time and then every few seconds while it waits.
 */
static void up_replica_waiting(void *ctx, const char *why, int64_t waited_ms)
{
	static int64_t last_said = -1;
	(void)ctx;
	if (cli.quiet)
		return;
	if (waited_ms == 0 || last_said < 0 || waited_ms < last_said ||
	    waited_ms - last_said >= 5000) {
		if (isatty(STDOUT_FILENO))
			putchar('\n');
		printf("  waiting for replicas: %s, waited %.1f s\n", why,
		       (double)waited_ms / 1000);
		fflush(stdout);
		last_said = waited_ms;
	}
}

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
	bool tty = isatty(STDOUT_FILENO);
	if (tty && total > 0) {
		char bar[31];
		int filled = (int)(frac * 30);
		for (int i = 0; i < 30; i++)
			bar[i] = i < filled ? '#' : '.';
		bar[30] = '\0';
		printf("\r  backfill %s [%s] %lld/%lld rows, %.0f rows/s, ETA %llds%s", label, bar,
		       rows, total, rate, eta, done ? "\n" : "");
		fflush(stdout);
	} else if (tty || done || now - last_line >= 5000) {
		/* a log line; on a terminal, redrawn in place: a table the server has no
		 * estimate of yet (never analysed) has no total, no bar, no ETA */
		char of[32] = "";
		if (total > 0)
			snprintf(of, sizeof(of), " of ~%lld", total);
		printf("%s  backfill %s: %lld%s rows (%.0f rows/s%s)%s", tty ? "\r" : "", label,
		       rows, of, rate, done ? ", done" : "", tty && !done ? "" : "\n");
		fflush(stdout);
		last_line = now;
	}
}

/* The most a --lock-wait or --batch-delay may ask for. */
#define MAX_WAIT_MS (24 * 3600 * 1000LL)

/* --max-replica-lag (else [database] max_replica_lag) and --replica into lag. */
static int replica_setup(const struct cmd_env *env, int64_t max_lag, struct replica_lag *lag,
			 struct mg_error *err)
{
	if (max_lag < 0 && env->config.max_replica_lag &&
	    !number_parse_duration_ms(env->config.max_replica_lag, MAX_WAIT_MS, &max_lag))
		return mg_error_set_at(
		    err, 2, env->config.path, env->config.max_replica_lag_line, 1,
		    "max_replica_lag is a duration such as 500ms, 2s or 1m, not '%s'",
		    env->config.max_replica_lag);
	if (lag->replica_url && max_lag <= 0)
		return mg_error_set(err, 2,
				    "--replica names a standby to wait for: it needs "
				    "--max-replica-lag (or max_replica_lag in migrate.conf)");
	lag->max_lag_ms = max_lag > 0 ? max_lag : 0;
	return 0;
}

const struct option cmd_up_options[] = {
    {"phase", required_argument, NULL, OPT_PHASE},
    {"to", required_argument, NULL, OPT_TO},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"allow-drift", no_argument, NULL, OPT_ALLOW_DRIFT},
    {"strict-order", no_argument, NULL, OPT_STRICT_ORDER},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"lock-wait", required_argument, NULL, OPT_LOCK_WAIT},
    {"batch-size", required_argument, NULL, OPT_BATCH_SIZE},
    {"batch-delay", required_argument, NULL, OPT_BATCH_DELAY},
    {"max-replica-lag", required_argument, NULL, OPT_MAX_REPLICA_LAG},
    {"replica", required_argument, NULL, OPT_REPLICA},
    {NULL, 0, NULL, 0},
};

/* A number the test suite passes through the environment; 0 when unset or malformed. */
static int test_env_number(const char *name)
{
	int64_t v;
	const char *s = getenv(name);
	return s && number_parse(s, 0, 1000000, &v) ? (int)v : 0;
}

int cmd_up(int argc, char **argv)
{
	const struct option *opts = cmd_up_options;
	const struct cmd *self = cmd_find("up");
	struct runner_options o = {.phases = RUN_EXPAND | RUN_CONTRACT,
				   .say = cmd_say,
				   .progress = up_progress,
				   .batch_size = 1000};
	struct mg_error err = MG_ERROR_INIT;
	struct cmd_env env;
	int64_t retries = -1, lock_wait = -1, v, max_lag = -1;
	struct replica_lag lag = {.waiting = up_replica_waiting};
	int c;
	while ((c = cmd_getopt(self, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_HELP:
			return 0;
		case '?':
			return 2;
		case OPT_MAX_REPLICA_LAG:
			if (!cmd_duration_arg(self, "--max-replica-lag", optarg, 1, MAX_WAIT_MS,
					      &max_lag))
				return 2;
			break;
		case OPT_REPLICA:
			lag.replica_url = optarg;
			break;
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
			if (!cmd_version_arg(self, "--to", optarg, &o.to))
				return 2;
			o.has_to = true;
			break;
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_ALLOW_DRIFT:
			o.allow_drift = true;
			break;
		case OPT_STRICT_ORDER:
			o.strict_order = true;
			break;
		case OPT_RETRIES:
			if (!cmd_number_arg(self, "--retries", optarg, 0, 100, &retries))
				return 2;
			break;
		case OPT_LOCK_WAIT:
			if (!cmd_duration_arg(self, "--lock-wait", optarg, 0, MAX_WAIT_MS,
					      &lock_wait))
				return 2;
			break;
		case OPT_BATCH_SIZE:
			if (!cmd_number_arg(self, "--batch-size", optarg, 1, 1000000, &v))
				return 2;
			o.batch_size = (int)v;
			break;
		case OPT_BATCH_DELAY:
			if (!cmd_duration_arg(self, "--batch-delay", optarg, 0, MAX_WAIT_MS, &v))
				return 2;
			o.batch_delay_ms = (int)v;
			break;
		}
	}
	if (optind < argc) {
		char shown[256];
		return cmd_usage_error(self, "unexpected argument '%s'",
				       cmd_shown_arg(argv[optind], shown, sizeof(shown)));
	}

	/* the test suite's stand-in for kill -9 in the middle of a phase */
	o.crash_after = test_env_number("MIGRATE_TEST_CRASH_AFTER");
	o.crash_after_batches = test_env_number("MIGRATE_TEST_CRASH_AFTER_BATCHES");
	int rc;
	if (cmd_env_init(&env, true, &err) < 0)
		goto fail;
	if (o.has_to && !cmd_set_has_version(&env.set, o.to)) {
		mg_error_set(&err, 2, "no migration with version %lld", (long long)o.to);
		goto fail;
	}
	if (replica_setup(&env, max_lag, &lag, &err) < 0)
		goto fail;
	if (lag.max_lag_ms > 0) {
		o.throttle = replica_lag_throttle;
		o.throttle_ctx = &lag;
	}
	if (retries >= 0)
		env.retries = (int)retries;
	if (lock_wait >= 0)
		env.lock_wait_ms = (int)lock_wait;
	/* lint judges for the server's release: connect to PostgreSQL first (connecting
	 * writes nothing); a SQLite file is created by the run, so lint comes before it */
	bool connect_first = cmd_env_url_is_postgres(&env);
	if (connect_first && cmd_env_connect(&env, "up", &err) < 0)
		goto fail;
	o.retries = env.retries;
	o.history_schema = env.history_schema;
	o.strict_order = o.strict_order || env.config.strict_order;
	/* SIGINT/SIGTERM cancel the running statement and stop the run cleanly */
	interrupt_install();
	unsigned runs = ((o.phases & RUN_EXPAND) ? LINT_RUNS_EXPAND : 0) |
			((o.phases & RUN_CONTRACT) ? LINT_RUNS_CONTRACT : 0);
	if (cmd_lint_before_apply(&env, "up", runs, &err) < 0)
		goto fail;
	if (!env.connected && cmd_env_connect(&env, "up", &err) < 0)
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
	replica_lag_close();
	cmd_env_release(&env);
	return 0;
fail:
	rc = cmd_fail("up", &err);
	replica_lag_close();
	cmd_env_release(&env);
	return rc;
}

enum {
	R_STEPS = 1,
	R_TO,
	R_DRY_RUN,
	R_RETRIES,
	R_LOCK_WAIT,
	R_BATCH_SIZE,
	R_BATCH_DELAY,
	R_MAX_REPLICA_LAG,
	R_REPLICA
};

const struct option cmd_revert_options[] = {
    {"steps", required_argument, NULL, R_STEPS},
    {"to", required_argument, NULL, R_TO},
    {"dry-run", no_argument, NULL, R_DRY_RUN},
    {"retries", required_argument, NULL, R_RETRIES},
    {"lock-wait", required_argument, NULL, R_LOCK_WAIT},
    {"batch-size", required_argument, NULL, R_BATCH_SIZE},
    {"batch-delay", required_argument, NULL, R_BATCH_DELAY},
    {"max-replica-lag", required_argument, NULL, R_MAX_REPLICA_LAG},
    {"replica", required_argument, NULL, R_REPLICA},
    {NULL, 0, NULL, 0},
};

/*
 * revert --to V names a migration: one in the files or in the history (a
 * file may be gone: revert needs none). V 0 means all. The files are asked
 * first, so that a typo is refused before anything connects.
 */
static bool revert_to_in_files(struct cmd_env *env, int64_t to)
{
	const char *dir = env->dir;
	struct mg_error ignore = MG_ERROR_INIT;
	return to == 0 || (path_kind(dir) == 1 &&
			   migration_load_paths(&env->arena, &dir, 1, &env->set, &ignore) == 0 &&
			   cmd_set_has_version(&env->set, to));
}

static int revert_to_in_history(struct cmd_env *env, int64_t to, struct mg_error *err)
{
	struct history h = {0};
	bool exists = false;
	if (env->driver.ops->history_exists(&env->driver, &exists, err) < 0 ||
	    (exists && env->driver.ops->history_load(&env->driver, &env->arena, &h, err) < 0))
		return -1;
	if (history_find(&h, to))
		return 0;
	return mg_error_set(err, 2, "no migration with version %lld", (long long)to);
}

int cmd_revert(int argc, char **argv)
{
	const struct option *opts = cmd_revert_options;
	const struct cmd *self = cmd_find("revert");
	struct revert_options o = {
	    .steps = 1, .say = cmd_say, .progress = up_progress, .batch_size = 1000};
	struct mg_error err = MG_ERROR_INIT;
	struct cmd_env env;
	bool has_steps = false;
	int64_t retries = -1, lock_wait = -1, v, max_lag = -1;
	struct replica_lag lag = {.waiting = up_replica_waiting};
	int c;
	while ((c = cmd_getopt(self, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_HELP:
			return 0;
		case '?':
			return 2;
		case R_MAX_REPLICA_LAG:
			if (!cmd_duration_arg(self, "--max-replica-lag", optarg, 1, MAX_WAIT_MS,
					      &max_lag))
				return 2;
			break;
		case R_REPLICA:
			lag.replica_url = optarg;
			break;
		case R_STEPS:
			if (!cmd_number_arg(self, "--steps", optarg, 1, 1000000, &v))
				return 2;
			o.steps = (int)v;
			has_steps = true;
			break;
		case R_TO:
			if (!cmd_version_arg(self, "--to", optarg, &o.to))
				return 2;
			o.has_to = true;
			break;
		case R_DRY_RUN:
			o.dry_run = true;
			break;
		case R_RETRIES:
			if (!cmd_number_arg(self, "--retries", optarg, 0, 100, &retries))
				return 2;
			break;
		case R_LOCK_WAIT:
			if (!cmd_duration_arg(self, "--lock-wait", optarg, 0, MAX_WAIT_MS,
					      &lock_wait))
				return 2;
			break;
		case R_BATCH_SIZE:
			if (!cmd_number_arg(self, "--batch-size", optarg, 1, 1000000, &v))
				return 2;
			o.batch_size = (int)v;
			break;
		case R_BATCH_DELAY:
			if (!cmd_duration_arg(self, "--batch-delay", optarg, 0, MAX_WAIT_MS, &v))
				return 2;
			o.batch_delay_ms = (int)v;
			break;
		}
	}
	/* revert VERSION: that one migration, the newer ones staying */
	if (optind < argc) {
		char shown[256];
		/* shown, not echoed: a URL given here by mistake may hold a password */
		if (!number_parse(argv[optind], 0, INT64_MAX, &o.version))
			return cmd_usage_error(
			    self,
			    "unexpected argument '%s': revert takes a VERSION (the digits a file "
			    "name starts with)",
			    cmd_shown_arg(argv[optind], shown, sizeof(shown)));
		if (o.version == 0)
			return cmd_usage_error(self, "'0' is not a migration: 'migrate revert "
						     "--to 0' reverts everything");
		o.has_version = true;
		optind++;
	}
	if (optind < argc) {
		char shown[256];
		return cmd_usage_error(self, "unexpected argument '%s'",
				       cmd_shown_arg(argv[optind], shown, sizeof(shown)));
	}
	/* kill -9 between two batches of a restore, for the test suite */
	o.crash_after_batches = test_env_number("MIGRATE_TEST_CRASH_AFTER_BATCHES");
	if (has_steps + o.has_to + o.has_version > 1)
		return cmd_usage_error(self, "VERSION, --steps and --to go alone");
	int rc;
	if (cmd_env_init(&env, false, &err) < 0 || replica_setup(&env, max_lag, &lag, &err) < 0)
		goto fail;
	if (lag.max_lag_ms > 0) {
		o.throttle = replica_lag_throttle;
		o.throttle_ctx = &lag;
	}
	if (retries >= 0)
		env.retries = (int)retries;
	if (lock_wait >= 0)
		env.lock_wait_ms = (int)lock_wait;
	o.retries = env.retries;
	o.history_schema = env.history_schema;
	/* the files also stand in for what an older history did not record */
	bool to_known = !o.has_to || revert_to_in_files(&env, o.to);
	if (o.has_version) {
		to_known = revert_to_in_files(&env, o.version);
		o.set = &env.set;
	}
	interrupt_install();
	if (cmd_env_connect(&env, "revert", &err) < 0 ||
	    (!to_known && revert_to_in_history(&env, o.has_version ? o.version : o.to, &err) < 0))
		goto fail;
	int reverted;
	if (runner_revert(&env.driver, &env.arena, &o, &reverted, &err) < 0)
		goto fail;
	if (!reverted && env.driver.missing_file)
		cmd_say(NULL, "nothing to revert: '%s' does not exist", env.driver.missing_file);
	else if (!reverted)
		cmd_say(NULL, "nothing to revert");
	replica_lag_close();
	cmd_env_release(&env);
	return 0;
fail:
	rc = cmd_fail("revert", &err);
	replica_lag_close();
	cmd_env_release(&env);
	return rc;
}
