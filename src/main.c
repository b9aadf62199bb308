#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

const struct cmd commands[] = {
	{"lint", cmd_lint, "Check migrations for changes that break running app versions or block "
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
	{"up", cmd_not_built, "Apply pending migrations, phase by phase.",
	 "migrate up [--phase expand|contract] [--to VERSION] [--dry-run]", "", false},
	{"revert", cmd_not_built, "Undo applied phases, newest first.",
	 "migrate revert [--steps N | --to VERSION] [--dry-run]", "", false},
	{"status", cmd_not_built, "Show each migration's phase and drift.",
	 "migrate status [--format text|json]", "", false},
	{"plan", cmd_not_built, "Show the exact SQL each phase and its revert will run.",
	 "migrate plan [--phase expand|contract] [VERSION]", "", false},
	{"check", cmd_not_built, "The CI gate: lint, replay, round trip, lock trace, drift.",
	 "migrate check [--shadow-db URL] [--format ...]", "", false},
	{"new", cmd_not_built, "Create the next migration file with its section markers.",
	 "migrate new SLUG", "", false},
	{"purge", cmd_not_built, "Empty migrate_trash of what contracts removed.",
	 "migrate purge --older-than DURATION", "", false},
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
			printf("\nnote: 'migrate %s' is not built yet in this version.\n", cmd->name);
			return 0;
		}
	fprintf(stderr, "migrate %s: not built yet in this version (only 'migrate lint' is)\n",
		cmd->name);
	return 2;
}

static void print_main_usage(FILE *out)
{
	fprintf(out, "usage: migrate [--db URL] [--dir DIR] <command> [<args>]\n\n"
		     "Zero-downtime schema migrations for shared databases.\n\ncommands:\n");
	for (const struct cmd *c = commands; c->name; c++)
		fprintf(out, "  %-8s %s%s\n", c->name, c->summary, c->built ? "" : " (not built yet)");
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
		if (strcmp(a, "--quiet") == 0 || strcmp(a, "--verbose") == 0) {
			cli_common_option(a[2] == 'q' ? OPT_QUIET : OPT_VERBOSE, NULL);
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
