#ifndef MG_CMD_H
#define MG_CMD_H

#include <getopt.h>
#include <stdbool.h>

/* Flags every verb accepts, before or after the verb (DESIGN.md, Commands). */
struct cli_common {
	const char *db;
	const char *dir;
	const char *lock_timeout;
	const char *config;
	int quiet;
	int verbose;
};

extern struct cli_common cli;

enum {
	OPT_DB = 1000,
	OPT_DIR,
	OPT_LOCK_TIMEOUT,
	OPT_CONFIG,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_COMMON_END,
};

#define CLI_COMMON_OPTIONS                                                                         \
	{"db", required_argument, NULL, OPT_DB}, {"dir", required_argument, NULL, OPT_DIR},        \
	    {"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},                           \
	    {"config", required_argument, NULL, OPT_CONFIG},                                       \
	    {"quiet", no_argument, NULL, OPT_QUIET}, {"verbose", no_argument, NULL, OPT_VERBOSE},  \
	{                                                                                          \
		"help", no_argument, NULL, OPT_HELP                                                \
	}

#define CLI_COMMON_HELP                                                                            \
	"common options:\n"                                                                        \
	"  --db URL             target database (else DATABASE_URL, .env, migrate.conf,\n"         \
	"                       else sqlite:migrate.db)\n"                                         \
	"  --dir DIR            migrations directory (default: migrations)\n"                      \
	"  --lock-timeout DUR   lock_timeout for each statement (default: 2s)\n"                   \
	"  --config FILE        configuration file (default: migrate.conf)\n"                      \
	"  -q, --quiet          only errors; --verbose: more\n"                                    \
	"  --help               this help\n"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage; /* the line after "usage: " */
	const char *help;  /* options and details, printed by --help */
	bool built;
};

extern const struct cmd commands[];
const struct cmd *cmd_find(const char *name);

/* Prints "usage: ..." for cmd to stderr and returns exit 2. */
int cmd_usage_error(const struct cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints the full help of cmd to stdout and returns 0. */
int cmd_print_help(const struct cmd *cmd);

/*
 * Parses argv[1..] for cmd with its own options plus the common ones.
 * Returns the getopt value for the caller's own options, -1 at the end,
 * OPT_HELP when help was printed (return 0), '?' after a usage error was
 * reported (return 2). Common options are stored in `cli` and skipped.
 */
int cmd_getopt(const struct cmd *cmd, int argc, char **argv, const struct option *opts);

/* Handles one common option; false when c is not one. */
bool cli_common_option(int c, const char *arg);

int cmd_lint(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_revert(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_new(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_purge(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_not_built(int argc, char **argv);

#endif
