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

enum { N_SEQUENTIAL = 1, N_TIMESTAMP };

const struct option cmd_new_options[] = {
    {"sequential", no_argument, NULL, N_SEQUENTIAL},
    {"timestamp", no_argument, NULL, N_TIMESTAMP},
    {NULL, 0, NULL, 0},
};

/* mkdir -p: every missing directory of path, as 0777 less the umask. */
static int make_dirs(struct arena *a, const char *path, struct mg_error *err)
{
	char *p = arena_strdup(a, path);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST)
			return mg_error_set(err, 2, "cannot create '%s': %s", p, strerror(errno));
		*s = c;
		if (!c)
			return 0;
	}
}

/* The file of the set whose slug is slug (whatever its version), or NULL. */
static const char *file_with_slug(const struct migration_set *set, const char *slug)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct migration *m = set->items[i];
		if (m->has_version && m->name && strcmp(m->name, slug) == 0)
			return m->path;
	}
	return NULL;
}

/* Now in UTC as YYYYMMDDHHMMSS. */
static int64_t timestamp_now(void)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	return ((((tm.tm_year + 1900LL) * 100 + tm.tm_mon + 1) * 100 + tm.tm_mday) * 100 +
		tm.tm_hour) *
		   10000 +
	       tm.tm_min * 100 + tm.tm_sec;
}

int cmd_new(int argc, char **argv)
{
	const struct cmd *self = cmd_find("new");
	struct mg_error err = MG_ERROR_INIT;
	struct cmd_env env;
	enum config_versions versions = CONFIG_VERSIONS_UNSET;
	int c;
	while ((c = cmd_getopt(self, argc, argv, cmd_new_options)) != -1) {
		switch (c) {
		case OPT_HELP:
			return 0;
		case N_SEQUENTIAL:
		case N_TIMESTAMP:
			if (versions != CONFIG_VERSIONS_UNSET)
				return cmd_usage_error(self,
						       "--sequential and --timestamp go alone");
			versions = c == N_SEQUENTIAL ? CONFIG_VERSIONS_SEQUENTIAL
						     : CONFIG_VERSIONS_TIMESTAMP;
			break;
		default:
			return 2;
		}
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
	if (cmd_env_init(&env, false, &err) < 0 || make_dirs(&env.arena, env.dir, &err) < 0 ||
	    migration_load_paths(&env.arena, &env.dir, 1, &env.set, &err) < 0)
		goto fail;
	const char *taken = file_with_slug(&env.set, slug);
	if (taken) {
		mg_error_set(&err, 2, "a migration named '%s' exists: '%s'", slug, taken);
		mg_error_set_help(&err, "choose another slug, or edit that file");
		goto fail;
	}
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
	/*
	 * --sequential or --timestamp, else [migrations] versions, else what the
	 * directory already holds. A new project gets timestamps: branches that
	 * each add a migration then never pick the same number.
	 */
	if (versions == CONFIG_VERSIONS_UNSET)
		versions = env.config.versions;
	if (versions == CONFIG_VERSIONS_UNSET)
		versions = max && max < TIMESTAMP_VERSION_MIN ? CONFIG_VERSIONS_SEQUENTIAL
							      : CONFIG_VERSIONS_TIMESTAMP;
	const char *name;
	if (versions == CONFIG_VERSIONS_TIMESTAMP) {
		int64_t v = timestamp_now();
		if (v <= max)
			v = max + 1;
		name = arena_printf(&env.arena, "%s/%lld_%s.sql", env.dir, (long long)v, slug);
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
