#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "report/status.h"

static const char *settled_phase(enum history_phase p, bool *ret_interrupted)
{
	*ret_interrupted = p == HISTORY_EXPANDING || p == HISTORY_CONTRACTING;
	switch (p) {
	case HISTORY_EXPANDED:
	case HISTORY_CONTRACTING:
		return "expanded";
	case HISTORY_CONTRACTED:
		return "contracted";
	default:
		return "pending";
	}
}

static int status_row_cmp(const void *x, const void *y)
{
	const struct status_row *a = x, *b = y;
	return (a->version > b->version) - (a->version < b->version);
}

enum { S_FORMAT = 1, S_EXIT_CODE };

const struct option cmd_status_options[] = {
    {"format", required_argument, NULL, S_FORMAT},
    {"exit-code", no_argument, NULL, S_EXIT_CODE},
    {NULL, 0, NULL, 0},
};

int cmd_status(int argc, char **argv)
{
	const struct option *opts = cmd_status_options;
	const struct cmd *self = cmd_find("status");
	struct mg_error err = MG_ERROR_INIT;
	struct cmd_env env;
	enum status_format format = STATUS_FORMAT_TEXT;
	bool exit_code = false;
	int c;
	while ((c = cmd_getopt(self, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_HELP:
			return 0;
		case '?':
			return 2;
		case S_FORMAT: {
			int f = status_format_parse(optarg);
			if (f < 0)
				return cmd_usage_error(self, "unknown format '%s'", optarg);
			format = (enum status_format)f;
			break;
		}
		case S_EXIT_CODE:
			exit_code = true;
			break;
		}
	}
	if (optind < argc) {
		char shown[256];
		return cmd_usage_error(self, "unexpected argument '%s'",
				       cmd_shown_arg(argv[optind], shown, sizeof(shown)));
	}

	int rc;
	struct history h = {0};
	bool exists = false;
	if (cmd_env_init(&env, true, &err) < 0 || cmd_env_connect(&env, "status", &err) < 0 ||
	    env.driver.ops->history_exists(&env.driver, &exists, &err) < 0 ||
	    (exists && env.driver.ops->history_load(&env.driver, &env.arena, &h, &err) < 0))
		goto fail;

	struct status_row *rows = arena_alloc(&env.arena, sizeof(*rows) * (env.set.n + h.n + 1));
	size_t n = 0;
	for (size_t i = 0; i < env.set.n; i++) {
		const struct migration *m = env.set.items[i];
		if (!m->has_version)
			continue;
		struct status_row *r = &rows[n++];
		const struct history_entry *e = history_find(&h, m->version);
		r->version = m->version;
		r->name = m->name;
		r->phase = settled_phase(e ? e->phase : HISTORY_PENDING, &r->interrupted);
		if (e && e->reverting) {
			r->interrupted = true;
			r->reverting = true;
		}
		if (e) {
			r->expanded_at = e->expanded_at;
			r->contracted_at = e->contracted_at;
			r->drift = !migration_checksum_matches(m, e->checksum);
		}
	}
	for (size_t i = 0; i < h.n; i++) {
		const struct history_entry *e = &h.items[i];
		bool found = false;
		for (size_t k = 0; k < env.set.n; k++)
			found |= env.set.items[k]->has_version &&
				 env.set.items[k]->version == e->version;
		if (found)
			continue;
		struct status_row *r = &rows[n++];
		r->version = e->version;
		r->name = e->name;
		r->phase = settled_phase(e->phase, &r->interrupted);
		r->reverting = e->reverting;
		r->interrupted |= e->reverting;
		r->expanded_at = e->expanded_at;
		r->contracted_at = e->contracted_at;
		r->missing = true; /* not drift: another branch's, in flight on this database */
	}
	/* a migration whose file is gone is listed where its version puts it */
	qsort(rows, n, sizeof(*rows), status_row_cmp);

	status_write(stdout, format, rows, n);
	cmd_note_missing_database(&env);
	/*
	 * --exit-code: 1 when a migration of this checkout waits to be applied (or
	 * resumed), or its file changed, as git diff --exit-code. An expanded
	 * migration waits for its deploy, not for migrate: that is 0; so is another
	 * branch's migration (no file here), which this checkout leaves alone.
	 */
	rc = 0;
	for (size_t i = 0; exit_code && i < n; i++)
		if (strcmp(rows[i].phase, "pending") == 0 || rows[i].drift ||
		    (rows[i].interrupted && !rows[i].missing))
			rc = 1;
	cmd_env_release(&env);
	return rc;
fail:
	rc = cmd_fail("status", &err);
	cmd_env_release(&env);
	return rc;
}
