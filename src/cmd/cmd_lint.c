#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/applied.h"
#include "cmd/cmd.h"
#include "cmd/common.h"
#include "lint/lint.h"
#include "report/report.h"
#include "migration/config.h"
#include "migration/migration.h"

enum {
	OPT_FORMAT = 1,
	OPT_RAW,
	OPT_JOBS,
	OPT_LIST_RULES,
	OPT_ALL,
	OPT_PG_VERSION,
};

static void list_rules(void)
{
	for (size_t i = 0; i < lint_rules_count; i++) {
		const struct lint_rule *r = &lint_rules[i];
		printf("%-28s %-8s %-7s %s\n", r->id, lint_kind_name(r->kind),
		       r->enabled ? lint_severity_name(r->severity) : "off", r->summary);
	}
}

const struct option cmd_lint_options[] = {
    {"format", required_argument, NULL, OPT_FORMAT},
    {"raw", no_argument, NULL, OPT_RAW},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"list-rules", no_argument, NULL, OPT_LIST_RULES},
    {"all", no_argument, NULL, OPT_ALL},
    {"pg-version", required_argument, NULL, OPT_PG_VERSION},
    {NULL, 0, NULL, 0},
};

int cmd_lint(int argc, char **argv)
{
	const struct option *opts = cmd_lint_options;
	const struct cmd *self = cmd_find("lint");
	struct arena arena = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	struct lint_options lopts;
	lint_options_init(&lopts, &arena);
	lopts.keep_going = true;
	int format = REPORT_TEXT;
	bool all = false;
	int pg_version = 0;
	int rc = 2;
	int c;
	/* the connection to --db, whose arena holds the history it read */
	struct cmd_env env;
	bool have_env = false;

	while ((c = cmd_getopt(self, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_HELP:
			rc = 0;
			goto out;
		case '?':
			goto out;
		case OPT_FORMAT:
			format = report_format_parse(optarg);
			if (format < 0) {
				rc = cmd_usage_error(self, "unknown format '%s'", optarg);
				goto out;
			}
			break;
		case OPT_RAW:
			lopts.raw = true;
			break;
		case OPT_JOBS: {
			int64_t n;
			if (!cmd_number_arg(self, "--jobs", optarg, 1, 256, &n))
				goto out;
			lopts.jobs = (int)n;
			break;
		}
		case OPT_ALL:
			all = true;
			break;
		case OPT_PG_VERSION: {
			int64_t n;
			if (!cmd_number_arg(self, "--pg-version", optarg, 9, 99, &n))
				goto out;
			pg_version = (int)n;
			break;
		}
		case OPT_LIST_RULES:
			list_rules();
			rc = 0;
			goto out;
		}
	}

	struct config cfg;
	if (config_load(&arena, cli.config ? cli.config : "migrate.conf", &cfg, &err) < 0 ||
	    lint_options_apply_config(&lopts, &cfg, &err) < 0) {
		rc = err.code;
		mg_error_print(&err, "migrate lint");
		goto out;
	}
	/* the release to lint for: --pg-version, else the server of --db, else migrate.conf */
	int server = 0;
	/* a target's database is connected to as --db is */
	const char *db = cli.db = cmd_named_db();
	if (!pg_version && db && cmd_server_pg_version(&arena, db, "lint", &server, &err) < 0) {
		rc = err.code ? err.code : 3;
		mg_error_print(&err, "migrate lint");
		goto out;
	}
	if (pg_version || server)
		lopts.pg_version = pg_version ? pg_version : server;

	struct migration_set set = {0};
	int loaded;
	if (optind < argc) {
		loaded = migration_load_paths(&arena, (const char *const *)argv + optind,
					      (size_t)(argc - optind), &set, &err);
	} else {
		const char *dir = cli.dir ? cli.dir : cfg.dir ? cfg.dir : "migrations";
		loaded = migration_load_paths(&arena, &dir, 1, &set, &err);
	}
	/*
	 * --db names a database: in-flight-conflict compares the pending migrations with the
	 * ones in flight there
	 */
	struct history h;
	bool h_read = false;
	if (loaded == 0 && cli.db) {
		int got = cmd_env_init(&env, false, &err);
		have_env = true;
		if (got == 0)
			got = cmd_env_connect(&env, "lint", &err);
		if (got == 0)
			got = cmd_history_read(&env, &h, &err);
		struct lint_definition *defs = NULL;
		if (got == 0)
			got = lint_definitions_read(&env.driver, &env.arena, &set, &h, &defs,
						    &lopts.n_definitions, &err);
		lopts.definitions = defs;
		if (got < 0) {
			rc = err.code ? err.code : 3;
			mg_error_print(&err, "migrate lint");
			goto out;
		}
		h_read = true;
		lopts.history = &h;
	}
	struct lint_result res;
	if (loaded < 0 || lint_run(&arena, &set, &lopts, &res, &err) < 0) {
		rc = err.code ? err.code : 2;
		mg_error_print(&err, "migrate lint");
		goto out;
	}

	/* a file that cannot be parsed is bad input (exit 2, on stderr, as always) and also a
	 * finding of the report, which still covers every other file */
	for (size_t i = 0; i < res.n_findings && res.n_syntax_errors; i++) {
		const struct lint_finding *f = &res.findings[i];
		if (strcmp(f->rule->id, "syntax-error") != 0)
			continue;
		mg_error_set_at(&err, 2, f->file, f->line, f->column, "%s", f->message);
		mg_error_print(&err, "migrate lint");
	}
	/* --db names a database: the phases it already ran are replayed into the catalogue, not
	 * judged (--all reports them too) */
	if (h_read && !all)
		lint_result_drop_applied(&res, &h);
	bool color = format == REPORT_TEXT && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (format == REPORT_TEXT && cli.quiet && !res.n_findings) {
		/* nothing to say */
	} else {
		report_write(stdout, format, &res, color);
	}
	fflush(stdout);
	rc = res.n_syntax_errors ? 2 : res.n_errors ? 1 : 0;
out:
	if (have_env)
		cmd_env_release(&env);
	arena_release(&arena);
	return rc;
}
