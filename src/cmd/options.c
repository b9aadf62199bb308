#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "target/redact.h"
#include "util/fileio.h"
#include "util/number.h"

struct cli_common cli;

static const struct option common_options[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};

bool cli_common_option(int c, const char *arg)
{
	switch (c) {
	case OPT_DB:
		cli.db = arg;
		return true;
	case OPT_DIR:
		cli.dir = arg;
		return true;
	case OPT_LOCK_TIMEOUT:
		cli.lock_timeout = arg;
		return true;
	case OPT_CONFIG:
		cli.config = arg;
		return true;
	case OPT_ENV_FILE:
		cli.env_file = arg;
		return true;
	case OPT_QUIET:
		cli.quiet = 1;
		return true;
	case OPT_VERBOSE:
		cli.verbose = 1;
		return true;
	case OPT_TARGET:
		if (cli.n_targets < sizeof(cli.targets) / sizeof(cli.targets[0]))
			cli.targets[cli.n_targets++] = arg;
		return true;
	case OPT_ALL_TARGETS:
		cli.all_targets = 1;
		return true;
	case OPT_PARALLEL:
		cli.parallel = arg;
		return true;
	case OPT_CANARY:
		cli.canary = arg;
		return true;
	case OPT_CONTINUE_ON_ERROR:
		cli.continue_on_error = 1;
		return true;
	default:
		return false;
	}
}

/* A file the user named must be there: only the default migrate.conf and .env may be absent. */
static bool named_file_exists(const struct cmd *cmd, const char *flag, const char *what,
			      const char *path)
{
	int kind = path_kind(path);
	if (kind == 0)
		return true;
	fprintf(stderr, "migrate %s: %s '%s' (%s) %s\n", cmd->name, what, path, flag,
		kind < 0 ? "does not exist" : "is a directory");
	return false;
}

bool cli_common_check(const struct cmd *cmd)
{
	if (cli.lock_timeout && !cmd_duration_arg(cmd, "--lock-timeout", cli.lock_timeout, 1,
						  24 * 3600 * 1000LL, &cli.lock_timeout_ms))
		return false;
	if (cli.config && !named_file_exists(cmd, "--config", "config file", cli.config))
		return false;
	if (cli.env_file && !named_file_exists(cmd, "--env-file", "env file", cli.env_file))
		return false;
	return true;
}

bool cmd_number_arg(const struct cmd *cmd, const char *flag, const char *arg, int64_t min,
		    int64_t max, int64_t *ret)
{
	if (number_parse(arg, min, max, ret))
		return true;
	cmd_usage_error(cmd, "%s takes a whole number from %lld to %lld, not '%s'", flag,
			(long long)min, (long long)max, arg);
	return false;
}

/* 90000 -> "90s", 86400000 -> "24h": a limit as the user would type it. */
static const char *duration_text(char *buf, size_t size, int64_t ms)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ms % units[i].ms == 0 && (ms || units[i].ms == 1000) &&
		    (units[i].ms != 86400000 || ms > 86400000)) {
			snprintf(buf, size, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
			return buf;
		}
	snprintf(buf, size, "%lldms", (long long)ms);
	return buf;
}

bool cmd_duration_arg(const struct cmd *cmd, const char *flag, const char *arg, int64_t min_ms,
		      int64_t max_ms, int64_t *ret)
{
	int64_t v;
	if (number_parse_duration_ms(arg, max_ms, &v) && v >= min_ms) {
		*ret = v;
		return true;
	}
	char lo[32], hi[32];
	cmd_usage_error(
	    cmd, "%s takes a duration from %s to %s such as 500ms, 2s, 5m or 1h, not '%s'", flag,
	    duration_text(lo, sizeof(lo), min_ms), duration_text(hi, sizeof(hi), max_ms), arg);
	return false;
}

bool cmd_version_arg(const struct cmd *cmd, const char *flag, const char *arg, int64_t *ret)
{
	if (number_parse(arg, 0, INT64_MAX, ret))
		return true;
	if (!flag) {
		cmd_usage_error(cmd, "'%s' is not a version (the digits a file name starts with)",
				arg);
		return false;
	}
	cmd_usage_error(cmd,
			"%s takes a version number (the digits a file name starts with), not '%s'",
			flag, arg);
	return false;
}

/* Edits from a to b: insertions, deletions, substitutions and swaps of neighbours ("lnit"). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return (size_t)-1;
	static size_t d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

const char *cmd_suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; candidates[i]; i++) {
		size_t d = edit_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	/* near means a slip of the fingers, not another word: up to 2 edits, and fewer than half */
	size_t len = strlen(word);
	return best && best_d <= 2 && best_d * 2 < len ? best : NULL;
}

const char *cmd_suggest_option(const struct cmd *cmd, const char *arg)
{
	static char buf[64];
	const char *names[128];
	size_t n = 0;
	if (strncmp(arg, "--", 2) != 0)
		return NULL;
	char word[64];
	snprintf(word, sizeof(word), "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
	for (const struct option *o = cmd ? cmd->options : NULL; o && o->name && n < 100; o++)
		names[n++] = o->name;
	for (const struct option *o = common_options; o->name; o++)
		names[n++] = o->name;
	names[n] = NULL;
	const char *s = cmd_suggest(word, names);
	if (!s)
		return NULL;
	snprintf(buf, sizeof(buf), "--%s", s);
	return buf;
}

int cmd_usage_error(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "migrate %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", cmd->usage);
	fprintf(stderr, "try 'migrate %s --help' for more\n", cmd->name);
	return 2;
}

int cmd_print_help(const struct cmd *cmd)
{
	printf("usage: %s\n\n%s\n", cmd->usage, cmd->summary);
	if (cmd->aliases[0]) {
		printf("\n'migrate %s' is also", cmd->name);
		for (size_t i = 0;
		     i < sizeof(cmd->aliases) / sizeof(cmd->aliases[0]) && cmd->aliases[i]; i++)
			printf("%s'migrate %s'", i ? " and " : " ", cmd->aliases[i]);
		printf(".\n");
	}
	if (cmd->help && *cmd->help)
		printf("\n%s", cmd->help);
	printf("\n" CLI_COMMON_HELP);
	return 0;
}

int cmd_getopt(const struct cmd *cmd, int argc, char **argv, const struct option *opts)
{
	static struct option merged[64];
	size_t n = 0;
	for (; opts && opts[n].name && n < 40; n++)
		merged[n] = opts[n];
	for (size_t i = 0; common_options[i].name; i++)
		merged[n++] = common_options[i];
	memset(&merged[n], 0, sizeof(merged[n]));

	/* a new argv starts a new scan (GNU getopt reinitialises at optind 0) */
	static char **scanning;
	if (argv != scanning) {
		scanning = argv;
		optind = 0;
	}
	opterr = 0;
	for (;;) {
		int prev = optind ? optind : 1;
		int c = getopt_long(argc, argv, ":qhu:", merged, NULL);
		if (c == 'q')
			c = OPT_QUIET;
		else if (c == 'h')
			c = OPT_HELP;
		else if (c == 'u')
			c = OPT_DB;
		if (c == -1) {
			if (!cli_common_check(cmd))
				return '?';
			int rc = cmd_targets_run(cmd, argc, argv);
			if (rc >= 0) {
				fflush(stdout);
				exit(rc);
			}
			return -1;
		}
		if (c == OPT_HELP) {
			cmd_print_help(cmd);
			return OPT_HELP;
		}
		if (c >= OPT_TARGET && c <= OPT_CONTINUE_ON_ERROR) {
			/* remember the strings taken, to leave them out of each target's run */
			bool separate = optarg && optind >= 2 && argv[optind - 1] == optarg;
			if (cli.n_fanout_args + 2 <=
			    sizeof(cli.fanout_args) / sizeof(cli.fanout_args[0])) {
				if (separate) {
					cli.fanout_args[cli.n_fanout_args++] = argv[optind - 2];
					cli.fanout_args[cli.n_fanout_args++] = argv[optind - 1];
				} else {
					cli.fanout_args[cli.n_fanout_args++] = argv[optind - 1];
				}
			}
		}
		if (cli_common_option(c, optarg))
			continue;
		if (c == '?' || c == ':') {
			char shown[256];
			const char *arg =
			    cmd_shown_arg(prev < argc ? argv[prev] : "", shown, sizeof(shown));
			if (c == ':') {
				cmd_usage_error(cmd, "option '%s' needs a value", arg);
			} else {
				const char *near = cmd_suggest_option(cmd, arg);
				if (near)
					cmd_usage_error(cmd,
							"unknown option '%s'\ndid you mean '%s'?",
							arg, near);
				else
					cmd_usage_error(cmd, "unknown option '%s'", arg);
			}
			return '?';
		}
		return c;
	}
}

const char *cmd_shown_arg(const char *arg, char *buf, size_t size)
{
	const char *eq = strchr(arg, '=');
	if (arg[0] == '-' && eq) {
		snprintf(buf, size, "%.*s=...", (int)(eq - arg), arg);
	} else if (eq || strstr(arg, "://")) {
		struct arena a = ARENA_INIT;
		snprintf(buf, size, "%s", url_redact(&a, arg));
		arena_release(&a);
	} else {
		snprintf(buf, size, "%s", arg);
	}
	return buf;
}
