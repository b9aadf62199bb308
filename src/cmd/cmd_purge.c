#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/common.h"

enum { P_OLDER = 1 };

const struct option cmd_purge_options[] = {
    {"older-than", required_argument, NULL, P_OLDER},
    {NULL, 0, NULL, 0},
};

/* A hundred years: more is a typo, and past it the milliseconds would not fit. */
#define MAX_OLDER_THAN_MS (36500 * 86400000LL)

int cmd_purge(int argc, char **argv)
{
	const struct option *opts = cmd_purge_options;
	const struct cmd *self = cmd_find("purge");
	struct mg_error err = MG_ERROR_INIT;
	struct cmd_env env;
	int64_t older = -1;
	int c;
	while ((c = cmd_getopt(self, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_HELP:
			return 0;
		case '?':
			return 2;
		case P_OLDER:
			if (!cmd_duration_arg(self, "--older-than", optarg, 0, MAX_OLDER_THAN_MS,
					      &older))
				return 2;
			break;
		}
	}
	if (older < 0)
		return cmd_usage_error(self, "--older-than DURATION is required");
	if (optind < argc) {
		char shown[256];
		return cmd_usage_error(self, "unexpected argument '%s'",
				       cmd_shown_arg(argv[optind], shown, sizeof(shown)));
	}
	int rc;
	bool exists = false;
	const char **names = NULL;
	size_t n = 0;
	if (cmd_env_init(&env, false, &err) < 0 || cmd_env_connect(&env, "purge", &err) < 0)
		goto fail;
	struct driver *d = &env.driver;
	if (d->ops->lock(d, &err) < 0)
		goto fail;
	if (d->ops->history_exists(d, &exists, &err) < 0 ||
	    (exists && d->ops->trash_purge(d, &env.arena, older, &names, &n, &err) < 0)) {
		d->ops->unlock(d);
		goto fail;
	}
	if (n) {
		struct event ev = {
		    "purge", 0, NULL, "ok",
		    arena_printf(&env.arena, "%zu trash object%s", n, n == 1 ? "" : "s")};
		d->ops->event_log(d, &ev, &err);
	}
	d->ops->unlock(d);
	for (size_t i = 0; i < n; i++)
		cmd_say(NULL, "purged %s", names[i]);
	cmd_say(NULL, "%zu trash object%s purged%s", n, n == 1 ? "" : "s",
		n ? "; the contracts they came from can no longer be reverted" : "");
	cmd_env_release(&env);
	return 0;
fail:
	rc = cmd_fail("purge", &err);
	cmd_env_release(&env);
	return rc;
}
