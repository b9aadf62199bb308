#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check.h"
#include "cmd/cmd.h"
#include "cmd/common.h"
#include "report/check_report.h"

enum {
	OPT_SHADOW_DB = 1,
	OPT_FORMAT,
	OPT_REPORT,
	OPT_PG_VERSION,
	OPT_STRICT_ORDER,
};

#define MAX_REPORTS 8

struct report_file {
	enum check_format format;
	const char *path;
};

static void say_progress(void *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say_progress(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *who_am_i(struct arena *a)
{
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	const struct passwd *pw = getpwuid(getuid());
	return arena_printf(a, "%s@%s (migrate check)", pw ? pw->pw_name : "unknown", host);
}

static int write_report_file(const struct report_file *rf, const struct check_report *r)
{
	FILE *f = fopen(rf->path, "w");
	if (!f) {
		fprintf(stderr, "migrate check: cannot write '%s': %s\n", rf->path,
			strerror(errno));
		return -1;
	}
	check_write(f, rf->format, r, false);
	if (fclose(f) != 0) {
		fprintf(stderr, "migrate check: cannot write '%s': %s\n", rf->path,
			strerror(errno));
		return -1;
	}
	return 0;
}

const struct option cmd_check_options[] = {
    {"shadow-db", required_argument, NULL, OPT_SHADOW_DB},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"report", required_argument, NULL, OPT_REPORT},
    {"pg-version", required_argument, NULL, OPT_PG_VERSION},
    {"strict-order", no_argument, NULL, OPT_STRICT_ORDER},
    {NULL, 0, NULL, 0},
};

int cmd_check(int argc, char **argv)
{
	const struct option *opts = cmd_check_options;
	const struct cmd *self = cmd_find("check");
	struct mg_error err = MG_ERROR_INIT;
	struct report_file reports[MAX_REPORTS];
	size_t n_reports = 0;
	const char *shadow = NULL, *shadow_source = NULL;
	enum check_format format = CHECK_FORMAT_TEXT;
	int pg_version = 0;
	bool strict_order = false;
	int c;
	while ((c = cmd_getopt(self, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_HELP:
			return 0;
		case '?':
			return 2;
		case OPT_SHADOW_DB:
			shadow = optarg;
			shadow_source = "--shadow-db";
			break;
		case OPT_FORMAT: {
			int f = check_format_parse(optarg);
			if (f < 0)
				return cmd_usage_error(self, "unknown format '%s'", optarg);
			format = (enum check_format)f;
			break;
		}
		case OPT_STRICT_ORDER:
			strict_order = true;
			break;
		case OPT_PG_VERSION: {
			int64_t n;
			if (!cmd_number_arg(self, "--pg-version", optarg, 9, 99, &n))
				return 2;
			pg_version = (int)n;
			break;
		}
		case OPT_REPORT: {
			const char *eq = strchr(optarg, '=');
			char name[16];
			size_t n = eq ? (size_t)(eq - optarg) : 0;
			int f = -1;
			if (eq && n < sizeof(name) && eq[1]) {
				memcpy(name, optarg, n);
				name[n] = '\0';
				f = check_format_parse(name);
			}
			if (f < 0)
				return cmd_usage_error(
				    self,
				    "--report takes FORMAT=FILE (formats: text, "
				    "json, github, sarif, junit, markdown), not '%s'",
				    optarg);
			if (n_reports == MAX_REPORTS)
				return cmd_usage_error(self, "at most %d --report files",
						       MAX_REPORTS);
			reports[n_reports++] = (struct report_file){(enum check_format)f, eq + 1};
			break;
		}
		}
	}
	if (optind < argc) {
		char shown[256];
		return cmd_usage_error(self, "unexpected argument '%s'",
				       cmd_shown_arg(argv[optind], shown, sizeof(shown)));
	}
	if (!shadow && getenv("MIGRATE_SHADOW_DB") && *getenv("MIGRATE_SHADOW_DB")) {
		shadow = getenv("MIGRATE_SHADOW_DB");
		shadow_source = "MIGRATE_SHADOW_DB";
	}
	if (shadow && cmd_named_db() && strcmp(shadow, cmd_named_db()) == 0)
		return cmd_usage_error(self,
				       "the shadow database must not be the shared database "
				       "(--db, or the target's db): check destroys what is in it");

	struct cmd_env env;
	int rc;
	if (cmd_env_init(&env, true, &err) < 0)
		goto fail;
	struct check_options o = {
	    .set = &env.set,
	    .dir = env.dir,
	    .shadow_url = shadow,
	    .shadow_source = shadow_source,
	    /* a target's database under --target (cmd/targets.c), kept off the command line */
	    .db_url = cmd_named_db(),
	    .history_schema = env.history_schema,
	    .strict_order = strict_order || env.config.strict_order,
	    .lock_timeout_ms = env.lock_timeout_ms,
	    .who = who_am_i(&env.arena),
	    .say = cli.verbose ? say_progress : NULL,
	};
	lint_options_init(&o.lint, &env.arena);
	if (lint_options_apply_config(&o.lint, &env.config, &err) < 0)
		goto fail;
	/* the release to lint for: --pg-version, else the shared database's (--db), else
	 * migrate.conf; an unreachable --db is the drift stage's to report */
	int server = 0;
	if (!pg_version && o.db_url) {
		struct mg_error ignored = MG_ERROR_INIT;
		cmd_server_pg_version(&env.arena, o.db_url, "check", &server, &ignored);
	}
	if (pg_version || server)
		o.lint.pg_version = pg_version ? pg_version : server;
	struct check_report report;
	if (check_run(&env.arena, &o, &report, &err) < 0)
		goto fail;

	bool color = format == CHECK_FORMAT_TEXT && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	check_write(stdout, format, &report, color);
	fflush(stdout);
	rc = report.passed ? 0 : 1;
	for (size_t i = 0; i < n_reports; i++)
		if (write_report_file(&reports[i], &report) < 0)
			rc = 2;
	const char *summary = getenv("GITHUB_STEP_SUMMARY");
	if (summary && *summary) {
		FILE *f = fopen(summary, "a");
		if (f) {
			check_write_step_summary(f, &report);
			fclose(f);
		} else {
			fprintf(stderr,
				"migrate check: cannot append to GITHUB_STEP_SUMMARY '%s': %s\n",
				summary, strerror(errno));
		}
	}
	cmd_env_release(&env);
	return rc;
fail:
	rc = cmd_fail("check", &err);
	cmd_env_release(&env);
	return rc;
}
