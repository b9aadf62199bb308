#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/common.h"

/* Timestamps as versions (20261126093000) keep being timestamps. */
#define TIMESTAMP_VERSION_MIN 10000000000000LL

int cmd_new(int argc, char **argv)
{
	const struct cmd *self = cmd_find("new");
	struct mg_error err = MG_ERROR_INIT;
	struct cmd_env env;
	int c;
	while ((c = cmd_getopt(self, argc, argv, NULL)) != -1) {
		if (c == OPT_HELP)
			return 0;
		return 2;
	}
	if (optind + 1 != argc)
		return cmd_usage_error(self, "name one SLUG, such as add_users_email");
	const char *slug = argv[optind];
	for (const char *p = slug; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
			return cmd_usage_error(self, "the slug takes a-z, 0-9 and _ only, not '%s'",
					       slug);
	if (!*slug)
		return cmd_usage_error(self, "the slug is empty");

	int rc = 0;
	if (cmd_env_init(&env, false, &err) < 0)
		goto fail;
	if (mkdir(env.dir, 0777) < 0 && errno != EEXIST) {
		mg_error_set(&err, 2, "cannot create '%s': %s", env.dir, strerror(errno));
		goto fail;
	}
	if (migration_load_paths(&env.arena, &env.dir, 1, &env.set, &err) < 0)
		goto fail;
	int64_t max = 0;
	int width = 4;
	for (size_t i = 0; i < env.set.n; i++) {
		const struct migration *m = env.set.items[i];
		if (m->has_version && m->version > max)
			max = m->version;
		const char *base = strrchr(m->path, '/');
		base = base ? base + 1 : m->path;
		int w = (int)strspn(base, "0123456789");
		if (w > width)
			width = w;
	}
	const char *name;
	if (max >= TIMESTAMP_VERSION_MIN) {
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		char ts[32];
		strftime(ts, sizeof(ts), "%Y%m%d%H%M%S", &tm);
		long long v = atoll(ts);
		if (v <= max)
			v = max + 1;
		name = arena_printf(&env.arena, "%s/%lld_%s.sql", env.dir, v, slug);
	} else {
		name = arena_printf(&env.arena, "%s/%0*lld_%s.sql", env.dir,
				    width > 20 ? 20 : width, (long long)max + 1, slug);
	}
	FILE *f = fopen(name, "wx");
	if (!f) {
		mg_error_set(&err, 2, "cannot create '%s': %s", name, strerror(errno));
		goto fail;
	}
	fputs("-- migrate:expand\n"
	      "-- What old and new app versions can both live with: add, never remove.\n"
	      "\n"
	      "\n"
	      "-- migrate:contract\n"
	      "-- What only the old app version needed, removed once no running code uses it.\n"
	      "\n",
	      f);
	fclose(f);
	printf("%s\n", name);
	cmd_env_release(&env);
	return 0;
fail:
	rc = cmd_fail("new", &err);
	cmd_env_release(&env);
	return rc;
}
