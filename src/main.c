#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

const struct cmd commands[] = {
    {"lint", cmd_lint,
     "Check migrations for changes that break running app versions or block "
     "their traffic.",
     "migrate lint [PATH...] [--format text|json|github|sarif] [--raw]",
     "Lints every migration of --dir (default: migrations), or the files and directories\n"
     "named. Each directory is one migration set; files are linted in version order.\n"
     "\n"
     "options:\n"
     "  --format FORMAT    text (default), json, github (workflow commands), sarif (2.1.0)\n"
     "  --raw              files are plain SQL for other runners: every hazard is an error\n"
     "  --jobs N           parser threads (default: one per core)\n"
     "  --list-rules       print the rule catalogue and exit\n"
     "\n"
     "exit status: 0 clean or warnings only, 1 any error, 2 bad input\n",
     true},
    {"up", cmd_up, "Apply pending migrations, phase by phase.",
     "migrate up [--phase expand|contract] [--to VERSION] [--dry-run]",
     "Lints first (errors stop the run: nothing is applied), takes the run lock, then\n"
     "applies each phase of each migration in one transaction (statement by statement\n"
     "when it holds CONCURRENTLY), recording how to undo every statement.\n"
     "\n"
     "options:\n"
     "  --phase expand     expand every pending migration (old and new app keep working)\n"
     "  --phase contract   contract every expanded migration, in version order\n"
     "                     (without --phase: both, migration by migration)\n"
     "  --to VERSION       stop after VERSION\n"
     "  --dry-run          show what would run; change nothing\n"
     "  --allow-drift      apply although an applied file changed since\n"
     "  --retries N        retries of a phase after a lock timeout (default: 10)\n"
     "  --lock-wait DUR    how long to wait for another migrate's run lock (default: 60s)\n"
     "  --batch-size N     rows per backfill batch, each its own transaction (default: 1000)\n"
     "  --batch-delay DUR  pause between backfill batches (default: none)\n"
     "  --verbose          print each statement sent, with its duration, on stderr\n"
     "\n"
     "Planned changes (see 'migrate plan'): CREATE INDEX, ADD FOREIGN KEY/CHECK/UNIQUE/\n"
     "PRIMARY KEY, SET NOT NULL, RENAME COLUMN/TABLE, a rewriting ALTER COLUMN TYPE and\n"
     "ADD COLUMN with a volatile default are applied the zero-downtime way: expand runs\n"
     "the safe steps (with triggers and batched backfills), contract finishes them.\n"
     "\n"
     "A failed statement is reported at its file:line:column with its SQLSTATE, the\n"
     "server's detail: and hint: lines, and what became of the phase.\n"
     "\n"
     "exit status: 0 done, 1 lint errors, 2 bad input (syntax, drift, missing file, a\n"
     "change the planner cannot make safe), 3 the database failed (the phase was rolled\n"
     "back, or one run step by step stopped where 'migrate up' resumes it), 4 another\n"
     "migrate holds the lock\n",
     true},
    {"revert", cmd_revert, "Undo applied phases, newest first.",
     "migrate revert [--steps N | --to VERSION] [--dry-run]",
     "Undoes the newest applied phase (contracted -> expanded -> pending) from the SQL the\n"
     "history recorded when it was applied; the migration files are not needed. Data a\n"
     "contract removed comes back from schema migrate_trash.\n"
     "\n"
     "options:\n"
     "  --steps N          undo the N newest phases (default: 1)\n"
     "  --to VERSION       undo every migration newer than VERSION (--to 0: all)\n"
     "  --dry-run          show what would run; change nothing\n"
     "  --retries N        retries after a lock timeout (default: 10)\n"
     "  --lock-wait DUR    how long to wait for the run lock (default: 60s)\n"
     "  --verbose          print each statement sent, with its duration, on stderr\n",
     true},
    {"status", cmd_status, "Show each migration's phase and drift.",
     "migrate status [--format text|json]",
     "options:\n"
     "  --format FORMAT    text (default) or json:\n"
     "                     {\"migrations\": [{\"version\", \"name\", \"phase\", \"expanded_at\",\n"
     "                      \"contracted_at\", \"drift\"}]}\n"
     "  --verbose          print each statement sent, with its duration, on stderr\n",
     true},
    {"plan", cmd_plan, "Show the exact SQL each phase and its revert will run.",
     "migrate plan [--phase expand|contract] [VERSION]",
     "For each migration not yet contracted (or the VERSION named): the statements of\n"
     "each phase as they will run, and the SQL that undoes them: as recorded for applied\n"
     "phases, the hand-written revert section, or derived from the database as it is\n"
     "now (the exact undo is recorded when the phase is applied). Changes nothing.\n"
     "\n"
     "options:\n"
     "  --phase PHASE      expand or contract only\n"
     "  --verbose          print each statement sent, with its duration, on stderr\n",
     true},
    {"check", cmd_check, "The CI gate: lint, replay, round trip, lock trace, drift.",
     "migrate check [--shadow-db URL] [--db URL] [--format text|json|github|sarif|junit]",
     "Runs every migration of --dir through the stages a pull request must pass, each\n"
     "reported by name with its findings and time:\n"
     "  lint         migrate lint over the whole set\n"
     "  replay       expand and contract of each migration, in order, on a shadow database\n"
     "  round-trip   expand, revert, expand, contract, revert, contract per migration: the\n"
     "               catalogue (tables, columns, indexes, constraints, views, functions,\n"
     "               triggers, types) after each step must equal the one it undoes or redoes\n"
     "  lock-trace   the locks each replayed statement took on tables that existed before,\n"
     "               on seeded rows: an ACCESS EXCLUSIVE lock held across a table rewrite or\n"
     "               a full scan fails, also when a DO block or a function hides it\n"
     "  drift        with --db, the shared database's history, read only: applied files\n"
     "               that changed or vanished, and new migrations numbered below applied ones\n"
     "\n"
     "The shadow database is an empty PostgreSQL database check may destroy: it creates a\n"
     "database of its own there when it may, else it drops and recreates the schemas.\n"
     "Without one, check starts a temporary PostgreSQL server (initdb, as the postgres\n"
     "user when run as root) and stops it at the end.\n"
     "\n"
     "options:\n"
     "  --shadow-db URL    the shadow database (else MIGRATE_SHADOW_DB, else a temporary\n"
     "                     server; MIGRATE_PG_BINDIR names the directory of initdb)\n"
     "  --db URL           the shared database to compare for drift (never written to)\n"
     "  --format FORMAT    text (default), json, github (annotations), sarif (2.1.0),\n"
     "                     junit (XML: a testsuite per stage, a testcase per migration)\n"
     "  --report FORMAT=FILE  also write the report in FORMAT to FILE (repeatable)\n"
     "\n"
     "When GITHUB_STEP_SUMMARY is set, a Markdown job summary is appended to it.\n"
     "\n"
     "exit status: 0 every stage passed (or was skipped), 1 a stage failed,\n"
     "2 bad usage or bad input (unknown flag, missing directory, unparseable SQL)\n",
     true},
    {"new", cmd_new, "Create the next migration file with its section markers.", "migrate new SLUG",
     "Writes <dir>/<next version>_SLUG.sql with expand and contract sections. Versions\n"
     "follow the directory: numbers (0001, 0002, ...) or UTC timestamps.\n",
     true},
    {"purge", cmd_purge, "Empty migrate_trash of what contracts removed.",
     "migrate purge --older-than DURATION",
     "Drops the tables and column copies that contracts moved to schema migrate_trash\n"
     "longer than DURATION ago (14d, 12h, 30m, 0s). Those contracts can no longer be\n"
     "reverted with their data: their recorded undo then fails with a clear message.\n",
     true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

const struct cmd *cmd_find(const char *name)
{
	for (const struct cmd *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int cmd_not_built(int argc, char **argv)
{
	const struct cmd *cmd = cmd_find(argv[0]);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cmd_print_help(cmd);
			printf("\nnote: 'migrate %s' is not built yet in this version.\n",
			       cmd->name);
			return 0;
		}
	fprintf(stderr, "migrate %s: not built yet in this version\n", cmd->name);
	return 2;
}

static void print_main_usage(FILE *out)
{
	fprintf(out, "usage: migrate [--db URL] [--dir DIR] <command> [<args>]\n\n"
		     "Zero-downtime schema migrations for shared databases.\n\ncommands:\n");
	for (const struct cmd *c = commands; c->name; c++)
		fprintf(out, "  %-8s %s%s\n", c->name, c->summary,
			c->built ? "" : " (not built yet)");
	fprintf(out, "\n" CLI_COMMON_HELP "  --version            print the version\n"
		     "\n'migrate <command> --help' tells more about each command.\n");
}

/* Common flags with a value that may come before the verb. */
static int common_flag_with_value(const char *arg)
{
	static const struct {
		const char *name;
		int id;
	} flags[] = {{"--db", OPT_DB},
		     {"--dir", OPT_DIR},
		     {"--lock-timeout", OPT_LOCK_TIMEOUT},
		     {"--config", OPT_CONFIG}};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(arg, flags[i].name) == 0)
			return flags[i].id;
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		if (strcmp(a, "--version") == 0) {
			printf("migrate %s\n", MIGRATE_VERSION);
			return 0;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_main_usage(stdout);
			return 0;
		}
		if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0 ||
		    strcmp(a, "--verbose") == 0) {
			cli_common_option(a[1] == 'q' || a[2] == 'q' ? OPT_QUIET : OPT_VERBOSE,
					  NULL);
			continue;
		}
		if (eq) {
			char name[32];
			size_t n = (size_t)(eq - a);
			if (n < sizeof(name)) {
				memcpy(name, a, n);
				name[n] = '\0';
				int id = common_flag_with_value(name);
				if (id) {
					cli_common_option(id, eq + 1);
					continue;
				}
			}
		} else if (common_flag_with_value(a)) {
			if (i + 1 >= argc) {
				fprintf(stderr, "migrate: option '%s' needs a value\n", a);
				return 2;
			}
			cli_common_option(common_flag_with_value(a), argv[i + 1]);
			i++;
			continue;
		}
		fprintf(stderr, "migrate: unknown option '%s'\n", a);
		fprintf(stderr, "usage: migrate [--db URL] [--dir DIR] <command> [<args>]\n");
		return 2;
	}
	if (i >= argc) {
		print_main_usage(stderr);
		return 2;
	}
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 < argc) {
			const struct cmd *c = cmd_find(argv[i + 1]);
			if (c)
				return cmd_print_help(c);
		}
		print_main_usage(stdout);
		return 0;
	}
	const struct cmd *cmd = cmd_find(argv[i]);
	if (!cmd) {
		fprintf(stderr, "migrate: '%s' is not a migrate command\n", argv[i]);
		fprintf(stderr, "usage: migrate [--db URL] [--dir DIR] <command> [<args>]\n"
				"try 'migrate --help' for the list of commands\n");
		return 2;
	}
	return cmd->fn(argc - i, argv + i);
}
