#include <stdio.h>
#include <string.h>

#include <pg_query.h>

#include "cmd/cmd.h"

const struct cmd commands[] = {
    {"lint",
     cmd_lint,
     "Check migrations for changes that break running app versions or block "
     "their traffic.",
     "migrate lint [PATH...] [--format text|json|github|sarif] [--raw] [--jobs N]\n"
     "                  [--db URL [--all]] [--pg-version N]\n"
     "   or: migrate lint --list-rules",
     "Lints every migration of --dir (default: migrations), or the files and directories\n"
     "named. Each directory is one migration set; files are linted in version order.\n"
     "\n"
     "options:\n"
     "  --format FORMAT    text (default), json, github (workflow commands), sarif (2.1.0)\n"
     "  --raw              files are plain SQL for other runners: every hazard is an error\n"
     "  --jobs N           parser threads, 1 to 256 (default: one per core)\n"
     "  --pg-version N     the PostgreSQL major release the migrations run on (9 to 99;\n"
     "                     else the server of --db, else [lint] postgres_version, else 15)\n"
     "  --list-rules       print the rule catalogue and exit\n"
     "  --db URL           leave out findings in phases that database already ran (they\n"
     "                     are replayed into the catalogue, not judged), and compare the\n"
     "                     pending ones with its migrations in flight (in-flight-conflict)\n"
     "  --all              with --db, report those too\n"
     "\n"
     "A file the grammar cannot parse is a syntax-error finding; the others are still\n"
     "linted; the version (migrate -v) names the grammar.\n"
     "\n"
     "exit status: 0 clean or warnings only, 1 any error, 2 bad input (a file that\n"
     "cannot be parsed too), 3 the --db database failed\n",
     true,
     cmd_lint_options,
     {NULL}},
    {"up",
     cmd_up,
     "Apply pending migrations, phase by phase.",
     "migrate up [--phase expand|contract] [--to VERSION] [--dry-run] [--allow-drift]\n"
     "                  [--strict-order] [--retries N] [--lock-wait DUR] [--batch-size N]\n"
     "                  [--batch-delay DUR] [--max-replica-lag DUR] [--replica URL]",
     "Lints first (errors stop the run: nothing is applied), takes the run lock, then\n"
     "applies each phase of each migration in one transaction (statement by statement\n"
     "when it holds CONCURRENTLY), recording how to undo every statement.\n"
     "\n"
     "options:\n"
     "  --phase expand     expand every pending migration (old and new app keep working)\n"
     "  --phase contract   contract every expanded migration, in version order\n"
     "                     (without --phase: both, migration by migration)\n"
     "  --to VERSION       stop after VERSION (a version of one of the files)\n"
     "  --dry-run          show what would run; change nothing\n"
     "  --allow-drift      apply although an applied file changed since\n"
     "  --strict-order     refuse a pending migration numbered below an applied one\n"
     "                     (default: apply it out of order; [migrations] strict_order)\n"
     "  --retries N        retries of a phase after a lock timeout (default: 10)\n"
     "  --lock-wait DUR    how long to wait for another migrate's run lock (default: 60s)\n"
     "  --batch-size N     rows per backfill batch, each its own transaction (default: 1000)\n"
     "  --batch-delay DUR  pause between backfill batches (default: none)\n"
     "  --max-replica-lag DUR  before each backfill batch and each step that takes locks,\n"
     "                     wait while a standby in pg_stat_replication lags more than DUR\n"
     "                     (default: off; [database] max_replica_lag in migrate.conf)\n"
     "  --replica URL      wait for this standby instead (with --max-replica-lag)\n"
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
     "A migration in the history without a file here is another branch's: noted, left\n"
     "alone. A pending one numbered below an applied one is applied out of order.\n"
     "\n"
     "exit status: 0 done, 1 lint errors (in phases not applied yet), 2 bad input (syntax,\n"
     "drift, --strict-order refusing, a change the planner cannot make safe), 3 the\n"
     "database failed (the phase was rolled back, or one run step by step stopped where\n"
     "'migrate up' resumes it), 4 another migrate holds the lock, 130 / 143 stopped by\n"
     "SIGINT / SIGTERM (the running statement cancelled, rolled back or stopped between\n"
     "steps; 'migrate up' resumes)\n",
     true,
     cmd_up_options,
     {NULL}},
    {"revert",
     cmd_revert,
     "Undo applied phases, newest first, or one migration alone.",
     "migrate revert [VERSION | --steps N | --to VERSION] [--dry-run] [--retries N]\n"
     "                  [--lock-wait DUR] [--batch-size N] [--batch-delay DUR]\n"
     "                  [--max-replica-lag DUR] [--replica URL]",
     "Undoes the newest applied phase (contracted -> expanded -> pending) from the SQL the\n"
     "history recorded when it was applied; the migration files are not needed.\n"
     "'migrate revert VERSION' undoes that one migration's applied phases (contract, then\n"
     "expand) while newer ones stay: an abandoned branch's migration on a shared database.\n"
     "It is refused (exit 2, nothing run) when a migration applied after it uses, changes\n"
     "or drops what it created or changed (an index on its column, a view reading it, a\n"
     "foreign key to its table), naming that migration and the object. A column\n"
     "a contract dropped comes back in a short transaction, its values in keyset batches\n"
     "(from the column that took over, else from schema migrate_trash), never over a\n"
     "value the app wrote since; an interrupted revert goes on where it stopped.\n"
     "\n"
     "options:\n"
     "  VERSION            undo that migration alone, newer ones staying\n"
     "  --steps N          undo the N newest phases (default: 1)\n"
     "  --to VERSION       undo every migration newer than VERSION, a version in the\n"
     "                     files or the history (--to 0: all)\n"
     "  --dry-run          show what would run; change nothing\n"
     "  --retries N        retries after a lock timeout, 0 to 100 (default: 10)\n"
     "  --lock-wait DUR    how long to wait for the run lock (default: 60s)\n"
     "  --batch-size N     rows per restore batch, each its own transaction (default: 1000)\n"
     "  --batch-delay DUR  pause between restore batches (default: none)\n"
     "  --max-replica-lag DUR  before each phase (each step of one run step by step, each\n"
     "                     restore batch), wait while a standby lags more than DUR\n"
     "                     (default: off)\n"
     "  --replica URL      wait for this standby instead (with --max-replica-lag)\n"
     "  --verbose          print each statement sent, with its duration, on stderr\n"
     "\n"
     "exit status: 0 done, 2 bad input, 3 the database failed, 4 another migrate holds\n"
     "the lock, 130 / 143 stopped by SIGINT / SIGTERM ('migrate revert' goes on)\n",
     true,
     cmd_revert_options,
     {"rollback", "down", NULL}},
    {"status",
     cmd_status,
     "Show each migration's phase and drift.",
     "migrate status [--format text|json] [--exit-code]",
     "options:\n"
     "  --format FORMAT    text (default) or json:\n"
     "                     {\"migrations\": [{\"version\": number, \"name\": string,\n"
     "                       \"phase\": \"pending\"|\"expanded\"|\"contracted\",\n"
     "                       \"expanded_at\": string|null, \"contracted_at\": string|null,\n"
     "                       \"drift\": bool (the file's statements changed),\n"
     "                       \"interrupted\": bool (a phase stopped midway: up resumes it),\n"
     "                       \"missing\": bool (applied, but no file in this checkout),\n"
     "                       \"in_checkout\": bool (false: another branch's migration)}]}\n"
     "  --exit-code        exit 1 when a migration of this checkout is pending or\n"
     "                     interrupted, or drifted (an expanded one waiting for its\n"
     "                     contract is 0, another branch's migration too)\n"
     "  --verbose          print each statement sent, with its duration, on stderr\n"
     "\n"
     "exit status: 0 done, 1 (with --exit-code only) something is pending, interrupted\n"
     "or drifted, 2 bad input, 3 the database failed\n",
     true,
     cmd_status_options,
     {NULL}},
    {"plan",
     cmd_plan,
     "Show the exact SQL each phase and its revert will run.",
     "migrate plan [--phase expand|contract] [VERSION]",
     "For each migration not yet contracted (or the VERSION named): the statements of\n"
     "each phase as they will run, and the SQL that undoes them: as recorded for applied\n"
     "phases, the hand-written revert section, or derived from the database as it is\n"
     "now (the exact undo is recorded when the phase is applied). Changes nothing.\n"
     "\n"
     "options:\n"
     "  --phase PHASE      expand or contract only\n"
     "  VERSION            only the migration of that version (one of the files)\n"
     "  --verbose          print each statement sent, with its duration, on stderr\n",
     true,
     cmd_plan_options,
     {NULL}},
    {"check",
     cmd_check,
     "The CI gate: lint, replay, round trip, lock trace, drift.",
     "migrate check [--shadow-db URL] [--db URL]\n"
     "                     [--format text|json|github|sarif|junit|markdown]\n"
     "                     [--report FORMAT=FILE]... [--pg-version N] [--strict-order]",
     "Runs every migration of --dir through the stages a pull request must pass, each\n"
     "reported by name with its findings and time:\n"
     "  lint         migrate lint over the whole set; with --db, phases that database ran\n"
     "               are replayed, not judged, and pending ones are compared with its\n"
     "               migrations in flight (in-flight-conflict)\n"
     "  replay       expand and contract of each migration, in order, on a shadow database\n"
     "  round-trip   expand, revert, expand, contract, revert, contract per migration: the\n"
     "               catalogue (tables, columns, indexes, constraints, views, functions,\n"
     "               triggers, types) after each step must equal the one it undoes or redoes\n"
     "  lock-trace   the locks each replayed statement took on tables that existed before,\n"
     "               on seeded rows: an ACCESS EXCLUSIVE lock held across a table rewrite or\n"
     "               a full scan fails, also when a DO block or a function hides it\n"
     "  drift        with --db, the shared database's history, read only: applied files\n"
     "               whose statements changed (fail); other branches' migrations and new\n"
     "               ones numbered below applied ones (warnings; errors with --strict-order\n"
     "               or strict_order)\n"
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
     "                     junit (XML: a testsuite per stage, a testcase per migration),\n"
     "                     markdown (a pull-request comment: the lock trace, each\n"
     "                     migration's plan as it ran and its revert proof)\n"
     "  --report FORMAT=FILE  also write the report in FORMAT to FILE (repeatable)\n"
     "  --pg-version N     the PostgreSQL major release lint judges for (9 to 99; else\n"
     "                     the server of --db, else [lint] postgres_version, else 15)\n"
     "  --strict-order     a new migration numbered below one applied on --db fails drift\n"
     "                     (as up --strict-order refuses it; [migrations] strict_order)\n"
     "\n"
     "When GITHUB_STEP_SUMMARY is set, a Markdown job summary is appended to it.\n"
     "\n"
     "exit status: 0 every stage passed (or was skipped), 1 a stage failed,\n"
     "2 bad usage or bad input (unknown flag, missing directory, unparseable SQL)\n",
     true,
     cmd_check_options,
     {NULL}},
    {"new",
     cmd_new,
     "Create the next migration file with its section markers.",
     "migrate new [--sequential | --timestamp] SLUG",
     "Writes <dir>/<next version>_SLUG.sql with expand and contract sections, creating\n"
     "the directory (and its parents) when missing. SLUG takes a-z, 0-9 and _ only\n"
     "(add_users_email); a slug that a file of the directory already has is refused.\n"
     "\n"
     "Versions are UTC timestamps (20261126093000) in a new project, so that branches\n"
     "that each add a migration to one shared database never pick the same number; a\n"
     "directory of numbered files (0001, 0002, ...) keeps being numbered.\n"
     "\n"
     "options:\n"
     "  --sequential       the next number after the highest version (0001, 0002, ...)\n"
     "  --timestamp        the current UTC time as YYYYMMDDHHMMSS\n"
     "                     (without either: [migrations] versions = sequential|timestamp\n"
     "                     in migrate.conf, else as the directory does, else timestamp)\n",
     true,
     cmd_new_options,
     {"create", NULL}},
    {"purge",
     cmd_purge,
     "Empty migrate_trash of what contracts removed.",
     "migrate purge --older-than DURATION",
     "Drops the tables and column copies that contracts moved to schema migrate_trash\n"
     "longer than DURATION ago (14d, 12h, 30m, 0s). Those contracts can no longer be\n"
     "reverted with their data: their recorded undo then fails with a clear message.\n"
     "\n"
     "options:\n"
     "  --older-than DUR   trash older than DUR: 0s to 36500d (a number and ms, s, m, h,\n"
     "                     d or w)\n",
     true,
     cmd_purge_options,
     {NULL}},
    {NULL, NULL, NULL, NULL, NULL, false, NULL, {NULL}},
};

const struct cmd *cmd_find(const char *name)
{
	for (const struct cmd *c = commands; c->name; c++) {
		if (strcmp(c->name, name) == 0)
			return c;
		for (size_t i = 0; i < sizeof(c->aliases) / sizeof(c->aliases[0]) && c->aliases[i];
		     i++)
			if (strcmp(c->aliases[i], name) == 0)
				return c;
	}
	return NULL;
}

/* The verb nearest to an unknown one ("stauts" -> "status"), or NULL. */
static const char *suggest_verb(const char *word)
{
	const char *names[64];
	size_t n = 0;
	for (const struct cmd *c = commands; c->name && n < 50; c++) {
		names[n++] = c->name;
		for (size_t i = 0; i < sizeof(c->aliases) / sizeof(c->aliases[0]) && c->aliases[i];
		     i++)
			names[n++] = c->aliases[i];
	}
	names[n++] = "help";
	names[n++] = "version";
	names[n] = NULL;
	return cmd_suggest(word, names);
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

#define MAIN_USAGE "usage: migrate [--db URL] [--dir DIR] <command> [<args>]\n"

static void print_main_usage(FILE *out)
{
	fprintf(out, MAIN_USAGE "\nZero-downtime schema migrations for shared databases.\n\n"
				"commands:\n");
	for (const struct cmd *c = commands; c->name; c++) {
		/* the aliases go inside the summary's full stop */
		size_t len = strlen(c->summary);
		bool stop = c->aliases[0] && len && c->summary[len - 1] == '.';
		fprintf(out, "  %-8s %.*s", c->name, (int)(len - stop), c->summary);
		for (size_t i = 0; i < sizeof(c->aliases) / sizeof(c->aliases[0]) && c->aliases[i];
		     i++)
			fprintf(out, "%s%s", i ? ", " : " (also: ", c->aliases[i]);
		fprintf(out, "%s%s%s\n", c->aliases[0] ? ")" : "", stop ? "." : "",
			c->built ? "" : " (not built yet)");
	}
	fprintf(out, "\n" CLI_COMMON_HELP
		     "  -v, --version        print the version (also: migrate version)\n"
		     "\n'migrate <command> --help' (or 'migrate help <command>') tells more about\n"
		     "each command.\n");
}

/* Common flags with a value that may come before the verb. */
static int common_flag_with_value(const char *arg)
{
	static const struct {
		const char *name;
		int id;
	} flags[] = {{"--db", OPT_DB},	      {"--url", OPT_DB},
		     {"-u", OPT_DB},	      {"--env-file", OPT_ENV_FILE},
		     {"--dir", OPT_DIR},      {"--lock-timeout", OPT_LOCK_TIMEOUT},
		     {"--config", OPT_CONFIG}};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(arg, flags[i].name) == 0)
			return flags[i].id;
	return 0;
}

/* "--dirr" before the verb: the nearest common flag, or NULL. */
static const char *suggest_common_flag(const char *arg)
{
	static const char *const names[] = {"db",	    "url",     "env-file", "dir",
					    "lock-timeout", "config",  "quiet",	   "verbose",
					    "help",	    "version", NULL};
	static char buf[64];
	char word[64];
	if (strncmp(arg, "--", 2) != 0)
		return NULL;
	snprintf(word, sizeof(word), "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
	const char *s = cmd_suggest(word, names);
	if (!s)
		return NULL;
	snprintf(buf, sizeof(buf), "--%s", s);
	return buf;
}

/*
 * Lint reads SQL with the grammar of the PostgreSQL release libpg_query was
 * cut from: syntax newer than that is a syntax error, so the version says
 * which one it is. libpg_query 15 and 17 both define these in pg_query.h.
 */
static int print_version(void)
{
#if defined(PG_MAJORVERSION) && defined(PG_VERSION)
	printf("migrate %s (PostgreSQL %s grammar, libpg_query from PostgreSQL %s)\n",
	       MIGRATE_VERSION, PG_MAJORVERSION, PG_VERSION);
#else
	printf("migrate %s\n", MIGRATE_VERSION);
#endif
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0)
			return print_version();
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
		} else if (strncmp(a, "-u", 2) == 0) {
			cli_common_option(OPT_DB,
					  a + 2); /* -uURL, as getopt reads it after the verb */
			continue;
		}
		char shown[256];
		fprintf(stderr, "migrate: unknown option '%s'\n",
			cmd_shown_arg(a, shown, sizeof(shown)));
		const char *near = suggest_common_flag(a);
		if (near)
			fprintf(stderr, "did you mean '%s'?\n", near);
		fprintf(stderr, MAIN_USAGE);
		return 2;
	}
	if (i >= argc) {
		print_main_usage(stderr);
		return 2;
	}
	if (strcmp(argv[i], "version") == 0)
		return print_version();
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 >= argc) {
			print_main_usage(stdout);
			return 0;
		}
		const struct cmd *c = cmd_find(argv[i + 1]);
		if (c)
			return cmd_print_help(c);
		fprintf(stderr, "migrate help: '%s' is not a migrate command\n", argv[i + 1]);
		const char *near = suggest_verb(argv[i + 1]);
		if (near)
			fprintf(stderr, "did you mean '%s'?\n", near);
		fprintf(stderr, "try 'migrate --help' for the list of commands\n");
		return 2;
	}
	const struct cmd *cmd = cmd_find(argv[i]);
	if (!cmd) {
		fprintf(stderr, "migrate: '%s' is not a migrate command\n", argv[i]);
		const char *near = suggest_verb(argv[i]);
		if (near)
			fprintf(stderr, "did you mean '%s'?\n", near);
		fprintf(stderr, MAIN_USAGE "try 'migrate --help' for the list of commands\n");
		return 2;
	}
	return cmd->fn(argc - i, argv + i);
}
