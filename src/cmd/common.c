#include "cmd/common.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/applied.h"
#include "cmd/cmd.h"
#include "lint/pg_release.h"
#include "report/report.h"
#include "util/crash.h"
#include "util/fileio.h"
#include "util/number.h"

int cmd_env_init(struct cmd_env *env, bool load_migrations, struct mg_error *err)
{
	memset(env, 0, sizeof(*env));
	arena_init(&env->arena);
	if (config_load(&env->arena, cli.config ? cli.config : "migrate.conf", &env->config, err) <
	    0)
		return -1;
	env->dir = cli.dir ? cli.dir : env->config.dir ? env->config.dir : "migrations";
	env->history_schema = env->config.history_schema ? env->config.history_schema : "migrate";
	/* short, as pgroll's 500 ms: while a DDL statement waits for its lock,
	 * the app's queries on the table queue behind it for this long at most */
	env->lock_timeout_ms = 500;
	env->retries = 10;
	env->lock_wait_ms = 60000;
	if (cli.lock_timeout_ms) /* checked by cli_common_check: 1ms to 24h */
		env->lock_timeout_ms = (int)cli.lock_timeout_ms;
	if (load_migrations) {
		const char *dir = env->dir;
		if (path_kind(dir) != 1)
			return mg_error_set(err, 2, "no migrations directory '%s'", dir);
		if (migration_load_paths(&env->arena, &dir, 1, &env->set, err) < 0)
			return -1;
	}
	return 0;
}

static const char *who_am_i(struct arena *a)
{
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	const struct passwd *pw = getpwuid(getuid());
	return arena_printf(a, "%s@%s", pw ? pw->pw_name : "unknown", host);
}

/*
 * --verbose: each statement the driver sent, on stderr, as an SQL comment
 * with its duration and the statement ("-- 12.3 ms  ALTER TABLE ..."); the
 * lines after a statement's first are indented by four spaces.
 */
static void cmd_trace(void *ctx, const char *text, double ms)
{
	(void)ctx;
	while (*text == ' ' || *text == '\n' || *text == '\t' || *text == '\r')
		text++;
	size_t n = strlen(text);
	while (n && (text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\t' ||
		     text[n - 1] == '\r' || text[n - 1] == ';'))
		n--;
	fprintf(stderr, "-- %.1f ms  ", ms);
	for (size_t i = 0; i < n; i++) {
		fputc(text[i], stderr);
		if (text[i] == '\n')
			fputs("    ", stderr);
	}
	fputc('\n', stderr);
}

/*
 * MIGRATE_TEST_CRASH_AFTER_CALLS=N: the test suite's kill -9 right after the
 * driver's N-th call to the database returned (the run lock, the history,
 * every statement), whatever the command; with --verbose each call is still
 * printed first.
 */
static int64_t crash_after_calls, calls_done;

static void cmd_trace_crash(void *ctx, const char *text, double ms)
{
	if (ctx)
		cmd_trace(NULL, text, ms);
	if (++calls_done >= crash_after_calls) {
		fflush(stdout);
		test_crash_now();
	}
}

int cmd_env_connect(struct cmd_env *env, const char *command, struct mg_error *err)
{
	const char *url, *source;
	if (url_resolve(&env->arena, cli.db, cli.env_file, env->config.db_url, &url, &source, err) <
	    0)
		return -1;
	if (strcmp(source, "default") == 0 && !cli.quiet)
		fprintf(stderr,
			"migrate: no database named (--db, DATABASE_URL, .env, "
			"migrate.conf): using the embedded default %s\n",
			url);
	struct driver_settings s = {
	    .history_schema = env->history_schema,
	    .lock_timeout_ms = env->lock_timeout_ms,
	    .retries = env->retries,
	    .lock_wait_ms = env->lock_wait_ms,
	    .who = who_am_i(&env->arena),
	    .command = arena_printf(&env->arena, "migrate %s", command),
	    .trace = cli.verbose ? cmd_trace : NULL,
	};
	const char *crash = getenv("MIGRATE_TEST_CRASH_AFTER_CALLS");
	if (crash && number_parse(crash, 0, 1000000, &crash_after_calls) && crash_after_calls) {
		s.trace = cmd_trace_crash;
		s.trace_ctx = cli.verbose ? env : NULL;
	}
	if (driver_open(&env->driver, url, &s, err) < 0) {
		driver_close(&env->driver);
		return -1;
	}
	env->connected = true;
	return 0;
}

void cmd_env_release(struct cmd_env *env)
{
	if (env->connected)
		driver_close(&env->driver);
	arena_release(&env->arena);
}

int cmd_lint_before_apply(struct cmd_env *env, const char *command, unsigned runs,
			  struct mg_error *err)
{
	struct lint_options opts;
	struct lint_result res;
	lint_options_init(&opts, &env->arena);
	if (lint_options_apply_config(&opts, &env->config, err) < 0)
		return -1;
	int server = env->connected ? pg_release_major(env->driver.server_version_num) : 0;
	if (server)
		opts.pg_version = server;
	/*
	 * The history of a database already connected to: in-flight-conflict
	 * compares what is pending with what is in flight there.
	 */
	struct mg_error ignore = MG_ERROR_INIT;
	struct history h;
	bool h_read = env->connected && cmd_history_read(env, &h, &ignore) == 0;
	struct lint_definition *defs = NULL;
	if (h_read && lint_definitions_read(&env->driver, &env->arena, &env->set, &h, &defs,
					    &opts.n_definitions, err) < 0)
		return -1;
	if (h_read) {
		opts.history = &h;
		opts.definitions = defs;
	}
	opts.runs = runs;
	if (lint_run(&env->arena, &env->set, &opts, &res, err) < 0)
		return -1;
	/*
	 * Applied phases are replayed, not judged: with errors, the history says
	 * which are applied (a database that cannot be read leaves them all).
	 */
	if (res.n_errors && !h_read &&
	    (env->connected || cmd_env_connect(env, command, &ignore) == 0))
		h_read = cmd_history_read(env, &h, &ignore) == 0;
	if (res.n_errors && h_read)
		lint_result_drop_applied(&res, &h);
	if (res.n_errors) {
		struct lint_result errors = res;
		report_write(stderr, REPORT_TEXT, &errors, false);
		return mg_error_set(err, 1, "lint found %zu error%s: nothing was applied",
				    res.n_errors, res.n_errors == 1 ? "" : "s");
	}
	return 0;
}

bool cmd_env_url_is_postgres(struct cmd_env *env)
{
	const char *url, *source;
	struct mg_error ignored = MG_ERROR_INIT;
	if (url_resolve(&env->arena, cli.db, cli.env_file, env->config.db_url, &url, &source,
			&ignored) < 0)
		return false;
	/* an unknown scheme connects first too, and fails there */
	const struct driver_ops *ops = driver_ops_for_url(url);
	return !ops || ops->server_release;
}

const char *cmd_named_db(void)
{
	const char *target = getenv("MIGRATE_TARGET_DB");
	return cli.db ? cli.db : target && *target ? target : NULL;
}

int cmd_server_pg_version(struct arena *a, const char *url, const char *command, int *ret_major,
			  struct mg_error *err)
{
	*ret_major = 0;
	const struct driver_ops *ops = url ? driver_ops_for_url(url) : NULL;
	if (!url || (ops && !ops->server_release))
		return 0;
	struct driver d;
	struct driver_settings s = {
	    .history_schema = "migrate",
	    .lock_timeout_ms = 2000,
	    .who = who_am_i(a),
	    .command = arena_printf(a, "migrate %s", command),
	    .trace = cli.verbose ? cmd_trace : NULL,
	};
	int rc = driver_open(&d, url, &s, err);
	if (rc == 0)
		*ret_major = pg_release_major(d.server_version_num);
	driver_close(&d);
	return rc;
}

bool cmd_set_has_version(const struct migration_set *set, int64_t version)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->items[i]->has_version && set->items[i]->version == version)
			return true;
	return false;
}

void cmd_note_missing_database(const struct cmd_env *env)
{
	if (env->connected && env->driver.missing_file && !cli.quiet)
		fprintf(stderr,
			"migrate: note: '%s' does not exist yet: every migration is pending "
			"(it was not created)\n",
			env->driver.missing_file);
}

int cmd_fail(const char *verb, const struct mg_error *err)
{
	char prog[64];
	snprintf(prog, sizeof(prog), "migrate %s", verb);
	mg_error_print(err, prog);
	return err->code ? err->code : 2;
}

void cmd_say(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	if (cli.quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}
