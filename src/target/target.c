#include "target/target.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "target/mongo/mongo.h"
#include "util/fileio.h"
#include "util/number.h"

void step_list_add(struct arena *a, struct step_list *l, const char *sql, unsigned flags,
		   const char *file, int line, int column)
{
	ARENA_GROW(a, l->items, l->n, l->alloc, l->n + 1);
	struct step *s = &l->items[l->n++];
	s->backfill = NULL;
	s->sql = sql;
	s->flags = flags;
	s->file = file;
	s->line = line;
	s->column = column;
}

void step_list_append(struct arena *a, struct step_list *l, const struct step_list *from)
{
	ARENA_GROW(a, l->items, l->n, l->alloc, l->n + from->n);
	for (size_t i = 0; i < from->n; i++)
		l->items[l->n++] = from->items[i];
}

bool step_list_needs_no_transaction(const struct step_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].flags & STEP_NO_TRANSACTION)
			return true;
	return false;
}

void step_list_split_notes(struct arena *a, const struct step_list *l, struct step_list *ret_run,
			   struct step_list *ret_notes)
{
	*ret_run = (struct step_list){0};
	*ret_notes = (struct step_list){0};
	for (size_t i = 0; i < l->n; i++) {
		struct step_list *to = l->items[i].flags & STEP_NOTE ? ret_notes : ret_run;
		struct step_list one = {.items = &l->items[i], .n = 1, .alloc = 1};
		step_list_append(a, to, &one);
	}
}

int64_t driver_clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void driver_trace(const struct driver *d, const char *text, int64_t start_ns)
{
	if (d->settings.trace && text)
		d->settings.trace(d->settings.trace_ctx, text,
				  (double)(driver_clock_ns() - start_ns) / 1e6);
}

static const char *const phase_names[] = {
    [HISTORY_PENDING] = "pending",	 [HISTORY_EXPANDING] = "expanding",
    [HISTORY_EXPANDED] = "expanded",	 [HISTORY_CONTRACTING] = "contracting",
    [HISTORY_CONTRACTED] = "contracted",
};

const char *history_phase_name(enum history_phase p)
{
	return p <= HISTORY_CONTRACTED ? phase_names[p] : "?";
}

int history_phase_parse(const char *s)
{
	for (int i = 0; i <= HISTORY_CONTRACTED; i++)
		if (s && strcmp(s, phase_names[i]) == 0)
			return i;
	return -1;
}

static const char *const object_kind_names[OBJECT__COUNT] = {
    [OBJECT_TABLE] = "table",	    [OBJECT_COLUMN] = "column",
    [OBJECT_INDEX] = "index",	    [OBJECT_CONSTRAINT] = "constraint",
    [OBJECT_VIEW] = "view",	    [OBJECT_TYPE] = "type",
    [OBJECT_FUNCTION] = "function", [OBJECT_SEQUENCE] = "sequence",
    [OBJECT_TRIGGER] = "trigger",   [OBJECT_SCHEMA] = "schema",
};

static const char *const object_does_names[OBJECT_DOES__COUNT] = {
    [OBJECT_CREATED] = "created",
    [OBJECT_CHANGED] = "changed",
    [OBJECT_DROPPED] = "dropped",
    [OBJECT_USED] = "used",
};

const char *object_kind_name(enum object_kind k)
{
	return k < OBJECT__COUNT ? object_kind_names[k] : "?";
}

const char *object_does_name(enum object_does d)
{
	return d < OBJECT_DOES__COUNT ? object_does_names[d] : "?";
}

static int name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (s && strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int object_kind_parse(const char *s)
{
	return name_index(object_kind_names, OBJECT__COUNT, s);
}

int object_does_parse(const char *s)
{
	return name_index(object_does_names, OBJECT_DOES__COUNT, s);
}

int64_t history_steps_stored(const struct history_entry *e)
{
	return e->reverting ? -(int64_t)e->steps_done - 1 : e->steps_done;
}

void history_steps_load(struct history_entry *e, int64_t stored)
{
	e->reverting = stored < 0;
	e->steps_done = (int)(stored < 0 ? -stored - 1 : stored);
}

struct history_entry *history_find(const struct history *h, int64_t version)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->items[i].version == version)
			return &h->items[i];
	return NULL;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

const struct driver_ops *driver_ops_for_url(const char *url)
{
	/* sqlite: first: a file name may hold '=', which would read as a conninfo */
	if (starts_with(url, "sqlite3:") || starts_with(url, "sqlite:"))
		return &driver_sqlite_ops;
	/* before the conninfo test: ?option=value would read as one */
	if (starts_with(url, "mongodb://") || starts_with(url, "mongodb+srv://"))
		return &driver_mongo_ops;
	if (starts_with(url, "postgres://") || starts_with(url, "postgresql://") ||
	    strchr(url, '='))
		return &driver_pg_ops;
	return NULL;
}

int replica_lag_throttle(void *ctx, struct driver *d, struct mg_error *err)
{
	struct replica_lag *o = ctx;
	if (!o->max_lag_ms || !d->ops->replica_lag_wait)
		return 0;
	return d->ops->replica_lag_wait(d, o, err);
}

void replica_lag_close(void)
{
	const struct driver_ops *all[] = {&driver_pg_ops, &driver_sqlite_ops, &driver_mongo_ops};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->replica_lag_close)
			all[i]->replica_lag_close();
}

int driver_open(struct driver *d, const char *url, const struct driver_settings *settings,
		struct mg_error *err)
{
	memset(d, 0, sizeof(*d));
	d->settings = *settings;
	d->ops = driver_ops_for_url(url);
	if (d->ops == &driver_sqlite_ops && starts_with(url, "sqlite3:")) {
		/* what sqlx, dbmate and Rails call it; the driver copies the URL it is given */
		size_t n = strlen(url);
		char *same = malloc(n);
		if (!same)
			return mg_error_set(err, 3, "out of memory");
		memcpy(same, "sqlite:", 7);
		memcpy(same + 7, url + 8, n - 7);
		int rc = d->ops->connect(d, same, err);
		free(same);
		return rc;
	}
	if (!d->ops) {
		/* no parser says which part of it is a password: only its scheme is printed */
		struct arena a = ARENA_INIT;
		mg_error_set(err, 2, "unknown database URL scheme in '%s'", url_redact(&a, url));
		arena_release(&a);
		mg_error_set_help(err, "use postgres://..., a libpq conninfo, sqlite:PATH or "
				       "mongodb://...");
		return -1;
	}
	return d->ops->connect(d, url, err);
}

void driver_close(struct driver *d)
{
	if (d->ops && d->impl)
		d->ops->disconnect(d);
	d->impl = NULL;
}

const char *dotenv_get(struct arena *a, const char *path, const char *key)
{
	char *text;
	size_t len;
	struct mg_error ignore = MG_ERROR_INIT;
	if (path_kind(path) != 0 || file_read_all(a, path, &text, &len, &ignore) < 0)
		return NULL;
	size_t klen = strlen(key);
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (starts_with(p, "export "))
			p += 7;
		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, key, klen) == 0) {
			char *v = p + klen;
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == '=') {
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				char *e = v + strlen(v);
				while (e > v && isspace((unsigned char)e[-1]))
					e--;
				if (e - v >= 2 && (*v == '"' || *v == '\'') && e[-1] == *v) {
					v++;
					e--;
				} else {
					/* an unquoted value ends at a comment */
					char *hash = strstr(v, " #");
					if (hash && hash < e)
						e = hash;
				}
				return arena_strndup(a, v, (size_t)(e - v));
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

int url_resolve(struct arena *a, const char *flag_db, const char *dotenv_path,
		const char *config_url, const char **ret_url, const char **ret_source,
		struct mg_error *err)
{
	const char *env = getenv("DATABASE_URL");
	const char *dotenv = NULL;
	if (dotenv_path && path_kind(dotenv_path) != 0)
		return mg_error_set(err, 2, "env file '%s' %s", dotenv_path,
				    path_kind(dotenv_path) < 0 ? "does not exist"
							       : "is a directory");
	if (flag_db && *flag_db) {
		*ret_url = flag_db;
		*ret_source = "--db";
	} else if (env && *env) {
		*ret_url = env;
		*ret_source = "DATABASE_URL";
	} else if ((dotenv = dotenv_get(a, dotenv_path ? dotenv_path : ".env", "DATABASE_URL")) &&
		   *dotenv) {
		*ret_url = dotenv;
		*ret_source = dotenv_path ? dotenv_path : ".env";
	} else if (config_url && *config_url) {
		*ret_url = config_url;
		*ret_source = "migrate.conf";
	} else {
		*ret_url = "sqlite:migrate.db";
		*ret_source = "default";
	}
	return 0;
}

int64_t duration_parse_ms(const char *s)
{
	int64_t v;
	return number_parse_duration_ms(s, INT64_MAX, &v) ? v : -1;
}

const struct target_format *const target_formats[] = {&target_mongo_format};
const size_t target_formats_count = sizeof(target_formats) / sizeof(target_formats[0]);

const struct target_format *target_format_of(const struct migration *m, size_t *ret_index)
{
	for (size_t i = 0; i < target_formats_count; i++)
		if (target_formats[i]->kind == m->kind) {
			if (ret_index)
				*ret_index = i;
			return target_formats[i];
		}
	return NULL;
}
