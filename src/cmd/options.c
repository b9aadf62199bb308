#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

struct cli_common cli;

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
	case OPT_QUIET:
		cli.quiet = 1;
		return true;
	case OPT_VERBOSE:
		cli.verbose = 1;
		return true;
	default:
		return false;
	}
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
	if (cmd->help && *cmd->help)
		printf("\n%s", cmd->help);
	printf("\n" CLI_COMMON_HELP);
	return 0;
}

int cmd_getopt(const struct cmd *cmd, int argc, char **argv, const struct option *opts)
{
	static struct option merged[64];
	static const struct option common[] = {CLI_COMMON_OPTIONS};
	size_t n = 0;
	for (; opts && opts[n].name && n < 40; n++)
		merged[n] = opts[n];
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		merged[n++] = common[i];
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
		int c = getopt_long(argc, argv, ":qh", merged, NULL);
		if (c == 'q')
			c = OPT_QUIET;
		else if (c == 'h')
			c = OPT_HELP;
		if (c == -1)
			return -1;
		if (c == OPT_HELP) {
			cmd_print_help(cmd);
			return OPT_HELP;
		}
		if (cli_common_option(c, optarg))
			continue;
		if (c == '?' || c == ':') {
			const char *arg = prev < argc ? argv[prev] : "";
			if (c == ':')
				cmd_usage_error(cmd, "option '%s' needs a value", arg);
			else
				cmd_usage_error(cmd, "unknown option '%s'", arg);
			return '?';
		}
		return c;
	}
}
