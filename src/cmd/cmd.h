#ifndef MG_CMD_H
#define MG_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

/* Flags every verb accepts, before or after the verb (DESIGN.md, Commands). */
struct cli_common {
	const char *db;
	const char *dir;
	const char *lock_timeout;
	const char *config;
	const char *env_file;
	int quiet;
	int verbose;
	int64_t lock_timeout_ms; /* --lock-timeout parsed; 0 when not given */
	/* many databases (cmd/targets.c): --target NAME..., --all-targets and their company */
	const char *targets[64];
	size_t n_targets;
	int all_targets;
	const char *parallel;
	const char *canary;
	int continue_on_error;
	/* the argv strings those flags took, left out of what each target's run is given */
	const char *fanout_args[160];
	size_t n_fanout_args;
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
	OPT_ENV_FILE,
	OPT_TARGET,
	OPT_ALL_TARGETS,
	OPT_PARALLEL,
	OPT_CANARY,
	OPT_CONTINUE_ON_ERROR,
	OPT_COMMON_END,
};

#define CLI_COMMON_OPTIONS                                                                         \
	{"db", required_argument, NULL, OPT_DB}, {"url", required_argument, NULL, OPT_DB},         \
	    {"env-file", required_argument, NULL, OPT_ENV_FILE},                                   \
	    {"dir", required_argument, NULL, OPT_DIR},                                             \
	    {"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},                           \
	    {"config", required_argument, NULL, OPT_CONFIG},                                       \
	    {"quiet", no_argument, NULL, OPT_QUIET}, {"verbose", no_argument, NULL, OPT_VERBOSE},  \
	    {"target", required_argument, NULL, OPT_TARGET},                                       \
	    {"all-targets", no_argument, NULL, OPT_ALL_TARGETS},                                   \
	    {"parallel", required_argument, NULL, OPT_PARALLEL},                                   \
	    {"canary", required_argument, NULL, OPT_CANARY},                                       \
	    {"continue-on-error", no_argument, NULL, OPT_CONTINUE_ON_ERROR},                       \
	{                                                                                          \
		"help", no_argument, NULL, OPT_HELP                                                \
	}

#define CLI_COMMON_HELP                                                                            \
	"common options:\n"                                                                        \
	"  --db URL             target database (else DATABASE_URL, .env, migrate.conf,\n"         \
	"                       else sqlite:migrate.db); -u URL and --url URL are the same\n"      \
	"  --env-file FILE      read DATABASE_URL from FILE instead of .env\n"                     \
	"  --dir DIR            migrations directory (default: migrations)\n"                      \
	"  --lock-timeout DUR   lock_timeout for each statement (default: 2s)\n"                   \
	"  --config FILE        configuration file (default: migrate.conf)\n"                      \
	"  -q, --quiet          only errors; --verbose: more\n"                                    \
	"  --target NAME        run on the [target \"NAME\"] of migrate.conf (repeatable)\n"       \
	"  --all-targets        run on every target of migrate.conf, one run each\n"               \
	"  --parallel N         targets run at once (default: 1)\n"                                \
	"  --canary NAME        run on that target first; stop when it fails\n"                    \
	"  --continue-on-error  go on with the other targets after one failed\n"                   \
	"  --help               this help\n"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage; /* after "usage: "; more lines are indented or start "   or: " */
	const char *help;  /* options and details, printed by --help */
	bool built;
	/* the verb's own long options (the common ones come on top); every one is in help */
	const struct option *options;
	const char *aliases[3]; /* other names the verb answers to */
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

/*
 * Checks the common options once they are all read (the value of
 * --lock-timeout, that --config and --env-file name files); prints the
 * error for cmd and returns false on a bad one (exit 2).
 */
bool cli_common_check(const struct cmd *cmd);

/*
 * The value of a flag as a whole number from min to max, a duration in
 * milliseconds from min_ms to max_ms, or a version number (flag NULL: an
 * argument); false after a usage error naming the flag and the value was
 * printed (exit 2).
 */
bool cmd_number_arg(const struct cmd *cmd, const char *flag, const char *arg, int64_t min,
		    int64_t max, int64_t *ret);
bool cmd_duration_arg(const struct cmd *cmd, const char *flag, const char *arg, int64_t min_ms,
		      int64_t max_ms, int64_t *ret);
bool cmd_version_arg(const struct cmd *cmd, const char *flag, const char *arg, int64_t *ret);

/* The name among candidates (NULL-terminated) nearest to word by edit distance, if near. */
const char *cmd_suggest(const char *word, const char *const *candidates);
/* The long option of cmd (or a common one) nearest to the unknown option arg, as "--name". */
const char *cmd_suggest_option(const struct cmd *cmd, const char *arg);

/*
 * An argument as a message may quote it: a misspelt --flag=VALUE only up to
 * its '=' (the value may be a URL), a stray connection string with its
 * secrets replaced by ***. The result lives in buf.
 */
const char *cmd_shown_arg(const char *arg, char *buf, size_t size);

/*
 * When --target or --all-targets was given: runs the verb once per target
 * (cmd/targets.c) and returns the worst exit status; -1 when not asked to.
 */
int cmd_targets_run(const struct cmd *cmd, int argc, char **argv);

int cmd_lint(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_revert(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_new(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_purge(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_not_built(int argc, char **argv);

extern const struct option cmd_lint_options[];
extern const struct option cmd_up_options[];
extern const struct option cmd_revert_options[];
extern const struct option cmd_status_options[];
extern const struct option cmd_new_options[];
extern const struct option cmd_plan_options[];
extern const struct option cmd_purge_options[];
extern const struct option cmd_check_options[];

#endif
