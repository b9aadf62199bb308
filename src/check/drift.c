/*
 * Drift: the migration files of this branch against the history of the
 * shared database, which check only reads (its session is read only).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/stages.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct migration *file_of(const struct migration_set *set, int64_t version)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->items[i]->has_version && set->items[i]->version == version)
			return set->items[i];
	return NULL;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Digits of the version prefix the files use (0007_ -> 4), for names check suggests. */
static int version_width(const struct migration_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		const char *b = base_name(set->items[i]->path);
		int n = (int)strspn(b, "0123456789");
		if (n)
			return n;
	}
	return 4;
}

static const char *file_ext(const char *path)
{
	const char *dot = strrchr(base_name(path), '.');
	return dot ? dot : "";
}

/* The file name a migration would have: 0007_name.sql. */
static const char *file_name(struct arena *a, int width, int64_t version, const char *name,
			     const char *ext)
{
	return arena_printf(a, "%0*lld_%s%s", width, (long long)version, name, ext);
}

/* The next free version: above everything applied and every file; a timestamp when they are. */
static int64_t next_version(const struct migration_set *set, const struct history *h, int width)
{
	int64_t max = 0;
	for (size_t i = 0; i < h->n; i++)
		if (h->items[i].version > max)
			max = h->items[i].version;
	for (size_t i = 0; i < set->n; i++)
		if (set->items[i]->has_version && set->items[i]->version > max)
			max = set->items[i]->version;
	if (width == 14) {
		char buf[32];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(buf, sizeof(buf), "%Y%m%d%H%M%S", &tm);
		int64_t ts = strtoll(buf, NULL, 10);
		if (ts > max)
			return ts;
	}
	return max + 1;
}

int check_shared_open(struct arena *a, const struct check_options *o, struct driver *d,
		      struct history *ret, bool *ret_exists, struct mg_error *err)
{
	struct driver_settings settings = {
	    .history_schema = o->history_schema,
	    .lock_timeout_ms = o->lock_timeout_ms > 0 ? o->lock_timeout_ms : 2000,
	    .lock_wait_ms = 0,
	    .who = o->who ? o->who : "migrate check",
	    .command = "migrate check (drift, read only)",
	};
	memset(d, 0, sizeof(*d));
	memset(ret, 0, sizeof(*ret));
	*ret_exists = false;
	/* opening a database file that is not there would create it */
	const struct driver_ops *ops = driver_ops_for_url(o->db_url);
	const char *missing =
	    ops && ops->url_missing_file ? ops->url_missing_file(o->db_url) : NULL;
	if (missing)
		return mg_error_set(err, 3, "no database file %s", missing);
	if (driver_open(d, o->db_url, &settings, err) < 0)
		return -1;
	/* a guard, not only a promise: whatever runs in this session cannot write */
	if ((d->ops->session_read_only && d->ops->session_read_only(d, err) < 0) ||
	    d->ops->history_exists(d, ret_exists, err) < 0 ||
	    (*ret_exists && d->ops->history_load(d, a, ret, err) < 0)) {
		struct mg_error read = *err;
		mg_error_set(err, 3, "reading the history of %s failed: %s", d->url_redacted,
			     read.message);
		if (read.help[0])
			mg_error_set_help(err, "%s", read.help);
		return -1;
	}
	return 0;
}

void check_drift(struct arena *a, const struct check_options *o, struct check_report *r)
{
	struct check_stage_result *st = &r->stages[CHECK_DRIFT];
	int64_t t0 = now_ms();
	if (!o->db_url) {
		st->status = CHECK_SKIPPED;
		st->summary = "no --db: the files were not compared with a shared database";
		return;
	}
	struct driver d;
	struct mg_error err = MG_ERROR_INIT;
	struct history h;
	bool exists;
	if (check_shared_open(a, o, &d, &h, &exists, &err) < 0) {
		check_report_add(a, r, CHECK_DRIFT, "drift-unreachable", LINT_ERROR, NULL, NULL, 0,
				 0, err.help[0] ? err.help : NULL, "%s", err.message);
		st->summary = "the shared database could not be read";
		goto out;
	}

	const struct migration_set *set = o->set;
	int width = version_width(set);
	int64_t max_applied = 0;
	const struct history_entry *newest = NULL;
	size_t matching = 0, foreign = 0;
	for (size_t i = 0; i < h.n; i++) {
		const struct history_entry *e = &h.items[i];
		if (e->version > max_applied) {
			max_applied = e->version;
			newest = e;
		}
		const struct migration *m = file_of(set, e->version);
		const char *applied_name = file_name(a, width, e->version, e->name, "");
		if (!m) {
			/* another branch's migration, in flight there: reported, not failed */
			check_report_add(a, r, CHECK_DRIFT, "drift-unknown", LINT_WARNING, NULL,
					 NULL, 0, 0, NULL,
					 "migration %s is %s in the shared database (%s, by %s) "
					 "but has no file here: it comes from another branch, or "
					 "its file was deleted",
					 applied_name, history_phase_name(e->phase), d.url_redacted,
					 e->applied_by ? e->applied_by : "?");
			foreign++;
			continue;
		}
		if (strcmp(m->name, e->name) != 0) {
			check_report_add(
			    a, r, CHECK_DRIFT, "drift-version-taken", LINT_ERROR, m, m->path, 1, 1,
			    arena_printf(a, "rename it to %s",
					 file_name(a, width, next_version(set, &h, width), m->name,
						   file_ext(m->path))),
			    "version %lld is already applied in the shared database as "
			    "%s (%s), another migration than this one",
			    (long long)e->version, applied_name, history_phase_name(e->phase));
			continue;
		}
		if (!migration_checksum_matches(m, e->checksum)) {
			check_report_add(
			    a, r, CHECK_DRIFT, "drift-changed", LINT_ERROR, m, m->path, 1, 1, NULL,
			    "file changed since it was applied to the shared database "
			    "(%s %s by %s): its checksum no longer matches the history",
			    history_phase_name(e->phase),
			    e->contracted_at ? e->contracted_at
			    : e->expanded_at ? e->expanded_at
					     : "",
			    e->applied_by ? e->applied_by : "?");
			continue;
		}
		matching++;
	}
	size_t renumber = 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct migration *m = set->items[i];
		if (!m->has_version || history_find(&h, m->version) || m->version >= max_applied)
			continue;
		renumber++;
		const char *above = file_name(a, width, newest->version, newest->name, "");
		if (o->strict_order)
			check_report_add(
			    a, r, CHECK_DRIFT, "drift-renumber", LINT_ERROR, m, m->path, 1, 1,
			    arena_printf(a, "rename it to %s",
					 file_name(a, width, next_version(set, &h, width), m->name,
						   file_ext(m->path))),
			    "new migration numbered below %s, already applied in the "
			    "shared database: strict order refuses it; it needs "
			    "renumbering",
			    above);
		else
			check_report_add(
			    a, r, CHECK_DRIFT, "drift-renumber", LINT_WARNING, m, m->path, 1, 1,
			    arena_printf(a, "to keep the order, rename it to %s",
					 file_name(a, width, next_version(set, &h, width), m->name,
						   file_ext(m->path))),
			    "new migration numbered below %s, already applied in the "
			    "shared database: up applies it out of order",
			    above);
	}
	for (size_t i = 0; i < r->n_migrations; i++)
		r->migrations[i].ran[CHECK_DRIFT] = true;
	size_t pending = 0;
	for (size_t i = 0; i < set->n; i++)
		if (set->items[i]->has_version && !history_find(&h, set->items[i]->version))
			pending++;
	st->summary = exists ? arena_printf(a,
					    "%s: %zu of %zu applied migration%s match their files, "
					    "%zu of other branches, %zu new (%zu out of order)",
					    d.url_redacted, matching, h.n, h.n == 1 ? "" : "s",
					    foreign, pending, renumber)
			     : arena_printf(a, "%s: no migration applied yet, %zu new",
					    d.url_redacted, pending);
out:
	driver_close(&d);
	st->duration_ms = now_ms() - t0;
}
