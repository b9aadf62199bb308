/* The MongoDB driver, through mongo-c-driver. */
#include "target/mongo/mongo.h"

#include <mongoc/mongoc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "target/mongo/mongo_commands.h"
#include "target/mongo/mongo_file.h"
#include "target/mongo/inverse_mongo.h"

#define DEFAULT_LOCK_TTL_MS (10 * 60 * 1000)
#define LOCK_POLL_MS	    250

struct mongo {
	mongoc_uri_t *uri;
	mongoc_client_t *client;
	mongoc_database_t *db;
	const char *db_name;
	const char *url;    /* to scrub its secrets from the driver's messages */
	struct arena arena; /* lives as long as the connection */
	char owner[25];	    /* this run's token in the lock document */
	bool locked;
	bool engine_known;
	const char *engine; /* mongo_engine */
	bool lock_lost;	    /* another run took the lock over: this one writes nothing more */
	int64_t lock_ttl_ms;
	int64_t refreshed_ms; /* monotonic: when the lease was last renewed */
};

static struct mongo *mongo_of(struct driver *d)
{
	return d->impl;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void mongo_log_silent(mongoc_log_level_t level, const char *domain, const char *message,
			     void *data)
{
	/* the engine never prints: mongo-c-driver's warnings would go to stderr */
	(void)level;
	(void)domain;
	(void)message;
	(void)data;
}

/*
 * mongo-c-driver keeps counters in shared memory (/dev/shm/mongoc-<pid>): a
 * killed process leaves the file behind, and a later one that gets the same
 * pid warns about it on stderr. MONGOC_DISABLE_SHM turns them off before
 * mongoc_init, which runs only when a MongoDB target is used
 * (mongo_connect). mongo-c-driver 1.23 as Debian builds it (automatic init)
 * also calls mongoc_init from its own initialiser, before main, in every
 * process that links it, and makes the file then: this constructor runs right
 * after that one and removes its name (the counters stay mapped; the
 * driver's cleanup at exit finds nothing to remove).
 */
__attribute__((constructor)) static void mongo_no_shm(void)
{
	setenv("MONGOC_DISABLE_SHM", "1", 0);
	char name[64];
	snprintf(name, sizeof(name), "/mongoc-%d", (int)getpid());
	shm_unlink(name);
}

static pthread_once_t mongo_once = PTHREAD_ONCE_INIT;

static void mongo_global_init(void)
{
	mongoc_init();
	mongoc_log_set_handler(mongo_log_silent, NULL);
	atexit(mongoc_cleanup);
}

/* ---- errors ---- */

static bool error_is_connection(const bson_error_t *e)
{
	return e->domain == MONGOC_ERROR_STREAM || e->domain == MONGOC_ERROR_SERVER_SELECTION ||
	       e->domain == MONGOC_ERROR_CLIENT;
}

/* Fills err (exit 3) from a failure, at the step's place in its file when known. */
static int fail(struct driver *d, const struct step *s, int32_t code, const char *text,
		bool connection, struct mg_error *err)
{
	char message[sizeof(err->message)];
	snprintf(message, sizeof(message), "%s", text);
	secret_scrub(message, sizeof(message), mongo_of(d)->url);
	if (connection)
		mg_error_set(err, 3, "lost %s: %s", d->url_redacted, message);
	else if (s && s->file)
		mg_error_set_at(err, 3, s->file, s->line, s->column, "%s", message);
	else
		mg_error_set(err, 3, "%s", message);
	if (code) {
		/* the server's error code stands where SQL drivers put the SQLSTATE */
		char buf[16];
		snprintf(buf, sizeof(buf), "%d", code);
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%.5s", buf);
	}
	if (code == MONGO_DUPLICATE_KEY)
		mg_error_set_help(err, "the collection holds duplicates of the unique key: remove "
				       "them, then run again");
	return -1;
}

/* --verbose: a command as relaxed Extended JSON, with the time it took. */
static void trace_command(struct driver *d, const bson_t *cmd, int64_t start_ns)
{
	if (!d->settings.trace)
		return;
	char *json = bson_as_relaxed_extended_json(cmd, NULL);
	driver_trace(d, json, start_ns);
	bson_free(json);
}

/*
 * Sends a command that writes. A reply may report writeErrors (or a write
 * concern error) although the command ran: those fail it too, unless the step
 * says such an error means the work is done. ret_reply (may be NULL) gets the
 * reply on success; destroy it.
 */
static int run_command(struct driver *d, const char *database, const bson_t *cmd,
		       const struct step *s, unsigned flags, bson_t *ret_reply, int32_t *ret_code,
		       struct mg_error *err)
{
	struct mongo *mg = mongo_of(d);
	bson_t reply;
	bson_error_t e;
	int64_t t0 = driver_clock_ns();
	bool ok = strcmp(database, mg->db_name) == 0
		      ? mongoc_database_write_command_with_opts(mg->db, cmd, NULL, &reply, &e)
		      : mongoc_client_write_command_with_opts(mg->client, database, cmd, NULL,
							      &reply, &e);
	trace_command(d, cmd, t0);
	int32_t code = 0;
	const char *message = NULL;
	char buf[sizeof(e.message)];
	bool connection = false;
	if (ok && mongo_reply_error(&reply, &code, &message)) {
		snprintf(buf, sizeof(buf), "%s", message);
		ok = false;
	} else if (!ok) {
		code = (int32_t)e.code;
		connection = error_is_connection(&e);
		snprintf(buf, sizeof(buf), "%s", e.message);
	}
	if (ret_code)
		*ret_code = code;
	if (!ok && (flags & MONGO_STEP_DONE_OK) && mongo_code_means_done(code))
		ok = true;
	if (ok && ret_reply)
		bson_copy_to(&reply, ret_reply);
	bson_destroy(&reply);
	if (!ok)
		return fail(d, s, code, buf, connection, err);
	return 0;
}

/*
 * Runs a read command (find, listCollections...) and calls fn on each
 * document. verb and collection (NULL for listCollections) and filter (may be
 * NULL) say what it reads, for the trace.
 */
static int each_document(struct driver *d, mongoc_cursor_t *cursor, const char *verb,
			 const char *collection, const bson_t *filter,
			 int (*fn)(void *ctx, const bson_t *doc, struct mg_error *err), void *ctx,
			 struct mg_error *err)
{
	const bson_t *doc;
	int rc = 0;
	int64_t t0 = driver_clock_ns();
	while (rc == 0 && mongoc_cursor_next(cursor, &doc))
		rc = fn(ctx, doc, err);
	if (d->settings.trace) {
		bson_t what = BSON_INITIALIZER;
		if (collection)
			BSON_APPEND_UTF8(&what, verb, collection);
		else
			BSON_APPEND_INT32(&what, verb, 1);
		if (filter)
			BSON_APPEND_DOCUMENT(&what, "filter", filter);
		trace_command(d, &what, t0);
		bson_destroy(&what);
	}
	bson_error_t e;
	if (rc == 0 && mongoc_cursor_error(cursor, &e))
		rc = fail(d, NULL, (int32_t)e.code, e.message, error_is_connection(&e), err);
	mongoc_cursor_destroy(cursor);
	return rc;
}

/* ---- connection ---- */

static int mongo_connect(struct driver *d, const char *url, struct mg_error *err)
{
	pthread_once(&mongo_once, mongo_global_init);
	struct mongo *mg = calloc(1, sizeof(*mg));
	if (!mg)
		return mg_error_set(err, 3, "out of memory");
	d->impl = mg;
	arena_init(&mg->arena);
	d->url_redacted = url_redact(&mg->arena, url);
	mg->url = arena_strdup(&mg->arena, url);

	mg->lock_ttl_ms = DEFAULT_LOCK_TTL_MS;
	const char *ttl = getenv("MIGRATE_MONGODB_LOCK_TTL");
	if (ttl && *ttl) {
		mg->lock_ttl_ms = duration_parse_ms(ttl);
		if (mg->lock_ttl_ms < 1000)
			return mg_error_set(
			    err, 2,
			    "MIGRATE_MONGODB_LOCK_TTL takes a duration of 1s or more "
			    "such as 10m, not '%s'",
			    ttl);
	}

	bson_error_t e = {0};
	mg->uri = mongoc_uri_new_with_error(url, &e);
	if (!mg->uri) {
		/* mongo-c-driver's message may quote back any part of the URL */
		secret_scrub_unparsed(e.message, sizeof(e.message), url);
		mg_error_set(err, 2, "bad MongoDB URL %s: %s", d->url_redacted, e.message);
		mg_error_set_help(err, "mongodb://[user:password@]host[:port]/database[?options]");
		return -1;
	}
	const char *db = mongoc_uri_get_database(mg->uri);
	if (!db || !*db) {
		mg_error_set(err, 2, "the MongoDB URL %s names no database", d->url_redacted);
		mg_error_set_help(err, "name it after the host: mongodb://host:27017/app");
		return -1;
	}
	mg->db_name = arena_strdup(&mg->arena, db);
	/* an unreachable server fails in seconds, not after mongo-c-driver's 30 */
	if (!mongoc_uri_has_option(mg->uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS))
		mongoc_uri_set_option_as_int32(mg->uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 10000);
	if (!mongoc_uri_get_appname(mg->uri))
		mongoc_uri_set_appname(mg->uri, "migrate");
	mg->client = mongoc_client_new_from_uri_with_error(mg->uri, &e);
	if (!mg->client) {
		secret_scrub_unparsed(e.message, sizeof(e.message), url);
		mg_error_set(err, 2, "bad MongoDB URL %s: %s", d->url_redacted, e.message);
		return -1;
	}
	mongoc_client_set_error_api(mg->client, MONGOC_ERROR_API_VERSION_2);
	mg->db = mongoc_client_get_database(mg->client, mg->db_name);

	bson_t ping = BSON_INITIALIZER, reply;
	BSON_APPEND_INT32(&ping, "ping", 1);
	bool ok = mongoc_client_command_simple(mg->client, "admin", &ping, NULL, &reply, &e);
	bson_destroy(&ping);
	bson_destroy(&reply);
	secret_scrub(e.message, sizeof(e.message), url);
	if (!ok) {
		mg_error_set(err, 3, "cannot connect to %s: %s", d->url_redacted, e.message);
		mg_error_set_help(err, "check --db / DATABASE_URL and that the server is up");
		return -1;
	}
	return 0;
}

static void mongo_disconnect(struct driver *d)
{
	struct mongo *mg = mongo_of(d);
	if (!mg)
		return;
	if (mg->db)
		mongoc_database_destroy(mg->db);
	if (mg->client)
		mongoc_client_destroy(mg->client);
	if (mg->uri)
		mongoc_uri_destroy(mg->uri);
	arena_release(&mg->arena);
	free(mg);
	d->impl = NULL;
}

/* ---- the engine ---- */

const char *mongo_engine(struct driver *d)
{
	struct mongo *mg = mongo_of(d);
	if (mg->engine_known)
		return mg->engine;
	mg->engine_known = true;
	bson_t *cmd = BCON_NEW("buildInfo", BCON_INT32(1));
	bson_t reply;
	bson_error_t e;
	if (mongoc_client_command_simple(mg->client, "admin", cmd, NULL, &reply, &e)) {
		bson_iter_t it;
		if (bson_iter_init_find(&it, &reply, "documentdb") ||
		    bson_iter_init_find(&it, &reply, "ferretdb"))
			mg->engine = "DocumentDB";
	}
	bson_destroy(&reply);
	bson_destroy(cmd);
	return mg->engine;
}

/* ---- the run lock ---- */

struct holder {
	struct arena *a;
	const char *who, *command, *expires;
};

static int read_holder(void *ctx, const bson_t *doc, struct mg_error *err)
{
	struct holder *h = ctx;
	bson_iter_t it;
	(void)err;
	if (bson_iter_init_find(&it, doc, "who") && BSON_ITER_HOLDS_UTF8(&it))
		h->who = arena_strdup(h->a, bson_iter_utf8(&it, NULL));
	if (bson_iter_init_find(&it, doc, "command") && BSON_ITER_HOLDS_UTF8(&it))
		h->command = arena_strdup(h->a, bson_iter_utf8(&it, NULL));
	if (bson_iter_init_find(&it, doc, "expires_at") && BSON_ITER_HOLDS_DATE_TIME(&it))
		h->expires = mongo_time_text(h->a, bson_iter_date_time(&it));
	return 0;
}

static int mongo_lock(struct driver *d, struct mg_error *err)
{
	struct mongo *mg = mongo_of(d);
	bson_oid_t oid;
	bson_oid_init(&oid, NULL);
	bson_oid_to_string(&oid, mg->owner);
	int64_t start = monotonic_ms();
	for (;;) {
		bson_t *cmd = mongo_cmd_lock_acquire(mg->owner, d->settings.who,
						     d->settings.command, mg->lock_ttl_ms);
		bson_t reply;
		int32_t code = 0;
		int rc = run_command(d, mg->db_name, cmd, NULL, 0, &reply, &code, err);
		bson_destroy(cmd);
		if (rc == 0) {
			bool taken = mongo_reply_lock_taken(&reply);
			bson_destroy(&reply);
			if (taken) {
				mg->locked = true;
				mg->refreshed_ms = monotonic_ms();
				return 0;
			}
		} else if (code != MONGO_DUPLICATE_KEY) {
			return -1; /* not "held": the database failed */
		}
		if (monotonic_ms() - start >= d->settings.lock_wait_ms)
			break;
		usleep(LOCK_POLL_MS * 1000);
	}
	struct holder h = {.a = &mg->arena};
	bson_t filter = BSON_INITIALIZER;
	struct mg_error ignore = MG_ERROR_INIT;
	BSON_APPEND_UTF8(&filter, "_id", "lock");
	mongoc_collection_t *coll = mongoc_database_get_collection(mg->db, MONGO_LOCK_COLLECTION);
	each_document(d, mongoc_collection_find_with_opts(coll, &filter, NULL, NULL), "find",
		      MONGO_LOCK_COLLECTION, &filter, read_holder, &h, &ignore);
	mongoc_collection_destroy(coll);
	bson_destroy(&filter);
	mg_error_clear(err);
	if (h.who)
		mg_error_set(err, 4,
			     "another migrate holds the lock on %s: '%s' by %s (its lease ends at "
			     "%s unless renewed)",
			     d->url_redacted, h.command ? h.command : "?", h.who,
			     h.expires ? h.expires : "?");
	else
		mg_error_set(err, 4, "another migrate holds the lock on %s", d->url_redacted);
	mg_error_set_help(err, "wait for it to finish, or raise --lock-wait; a run that died "
			       "holds the lock until its lease ends");
	return -1;
}

/*
 * Renews the lease before each step. When another run took the lock over
 * (this run's lease had ended), this one stops before doing anything more.
 */
static int lock_refresh(struct driver *d, struct mg_error *err)
{
	struct mongo *mg = mongo_of(d);
	if (!mg->lock_lost) {
		/* at most a few times per lease: a step of a few milliseconds needs no
		 * round trip of its own */
		int64_t every = mg->lock_ttl_ms / 4 < 1000 ? mg->lock_ttl_ms / 4 : 1000;
		if (!mg->locked || monotonic_ms() - mg->refreshed_ms < every)
			return 0;
		bson_t *cmd = mongo_cmd_lock_refresh(mg->owner, mg->lock_ttl_ms);
		bson_t reply;
		int rc = run_command(d, mg->db_name, cmd, NULL, 0, &reply, NULL, err);
		bson_destroy(cmd);
		if (rc < 0)
			return -1;
		int64_t n = mongo_reply_n(&reply);
		bson_destroy(&reply);
		if (n == 1) {
			mg->refreshed_ms = monotonic_ms();
			return 0;
		}
		mg->locked = false;
		mg->lock_lost = true;
	}
	mg_error_set(err, 4,
		     "the lock on %s was taken over by another run after this run's lease "
		     "expired; stopped before the next step",
		     d->url_redacted);
	mg_error_set_help(err, "raise MIGRATE_MONGODB_LOCK_TTL above the longest step (an index "
			       "build), then check 'migrate status'");
	return -1;
}

static void mongo_unlock(struct driver *d)
{
	struct mongo *mg = mongo_of(d);
	if (!mg->locked)
		return;
	struct mg_error ignore = MG_ERROR_INIT;
	bson_t *cmd = mongo_cmd_lock_release(mg->owner);
	run_command(d, mg->db_name, cmd, NULL, 0, NULL, NULL, &ignore);
	bson_destroy(cmd);
	mg->locked = false;
}

/* ---- steps ---- */

static int mongo_begin(struct driver *d, struct mg_error *err)
{
	(void)d;
	(void)err;
	return 0;
}

static int mongo_commit(struct driver *d, struct mg_error *err)
{
	(void)d;
	(void)err;
	return 0;
}

static void mongo_rollback(struct driver *d)
{
	(void)d;
}

static int mongo_exec(struct driver *d, const struct step *s, struct mg_error *err)
{
	struct mongo *mg = mongo_of(d);
	if (lock_refresh(d, err) < 0)
		return -1;
	bson_t *cmd;
	const char *database;
	if (mongo_step_command(s, mg->db_name, &cmd, &database, err) < 0)
		return -1;
	bson_iter_t it;
	int rc;
	/* what purge leaves where the undo of a contract used to be */
	if (bson_iter_init_find(&it, cmd, "migrateRefuse") && BSON_ITER_HOLDS_UTF8(&it)) {
		rc = fail(d, s, 0, bson_iter_utf8(&it, NULL), false, err);
		mg_error_set_help(err, "write the revert by hand");
	} else {
		rc = run_command(d, database, cmd, s, s->flags, NULL, NULL, err);
	}
	bson_destroy(cmd);
	return rc;
}

static int mongo_query(struct driver *d, struct arena *a, const char *sql, int n_params,
		       const char *const *params, struct driver_rows *ret, struct mg_error *err)
{
	(void)d;
	(void)a;
	(void)sql;
	(void)n_params;
	(void)params;
	memset(ret, 0, sizeof(*ret));
	return mg_error_set(err, 2, "a MongoDB database answers no SQL");
}

/* ---- history ---- */

static int mongo_history_exists(struct driver *d, bool *ret, struct mg_error *err)
{
	struct mongo *mg = mongo_of(d);
	bson_error_t e;
	memset(&e, 0, sizeof(e));
	*ret = mongoc_database_has_collection(mg->db, MONGO_HISTORY_COLLECTION, &e);
	if (!*ret && e.code)
		return fail(d, NULL, (int32_t)e.code, e.message, error_is_connection(&e), err);
	return 0;
}

static int mongo_history_ensure(struct driver *d, struct mg_error *err)
{
	struct mongo *mg = mongo_of(d);
	static const char *const names[] = {MONGO_HISTORY_COLLECTION, MONGO_EVENTS_COLLECTION,
					    MONGO_TRASH_REGISTRY};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		bson_t cmd = BSON_INITIALIZER;
		BSON_APPEND_UTF8(&cmd, "create", names[i]);
		/* NamespaceExists: made by an earlier run */
		int rc =
		    run_command(d, mg->db_name, &cmd, NULL, MONGO_STEP_DONE_OK, NULL, NULL, err);
		bson_destroy(&cmd);
		if (rc < 0)
			return -1;
	}
	return 0;
}

struct history_reader {
	struct arena *a;
	struct history *h;
};

static int read_history_doc(void *ctx, const bson_t *doc, struct mg_error *err)
{
	struct history_reader *r = ctx;
	bson_iter_t it;
	if (!bson_iter_init_find(&it, doc, "_id") || !BSON_ITER_HOLDS_NUMBER(&it))
		return 0; /* not a migration's document */
	struct history_entry e;
	if (mongo_history_entry_read(r->a, doc, &e, err) < 0)
		return -1;
	ARENA_GROW(r->a, r->h->items, r->h->n, r->h->alloc, r->h->n + 1);
	r->h->items[r->h->n++] = e;
	return 0;
}

static int mongo_history_load(struct driver *d, struct arena *a, struct history *ret,
			      struct mg_error *err)
{
	struct mongo *mg = mongo_of(d);
	memset(ret, 0, sizeof(*ret));
	bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sort;
	bson_append_document_begin(&opts, "sort", -1, &sort);
	BSON_APPEND_INT32(&sort, "_id", 1);
	bson_append_document_end(&opts, &sort);
	mongoc_collection_t *coll =
	    mongoc_database_get_collection(mg->db, MONGO_HISTORY_COLLECTION);
	struct history_reader r = {a, ret};
	int rc =
	    each_document(d, mongoc_collection_find_with_opts(coll, &filter, &opts, NULL), "find",
			  MONGO_HISTORY_COLLECTION, &filter, read_history_doc, &r, err);
	mongoc_collection_destroy(coll);
	bson_destroy(&filter);
	bson_destroy(&opts);
	return rc;
}

static int mongo_history_save(struct driver *d, const struct history_entry *e, struct mg_error *err)
{
	if (lock_refresh(d, err) < 0)
		return -1;
	bson_t *cmd = mongo_cmd_history_save(e);
	int rc = run_command(d, mongo_of(d)->db_name, cmd, NULL, 0, NULL, NULL, err);
	bson_destroy(cmd);
	return rc;
}

static int mongo_history_delete(struct driver *d, int64_t version, struct mg_error *err)
{
	if (lock_refresh(d, err) < 0)
		return -1;
	bson_t *cmd = mongo_cmd_history_delete(version);
	int rc = run_command(d, mongo_of(d)->db_name, cmd, NULL, 0, NULL, NULL, err);
	bson_destroy(cmd);
	return rc;
}

static int mongo_event_log(struct driver *d, const struct event *ev, struct mg_error *err)
{
	bson_t *cmd = mongo_cmd_event(ev, d->settings.who, wall_ms());
	int rc = run_command(d, mongo_of(d)->db_name, cmd, NULL, 0, NULL, NULL, err);
	bson_destroy(cmd);
	return rc;
}

/* ---- trash ---- */

struct trash_item {
	const char *name;
	int64_t version;
};

struct trash_reader {
	struct arena *a;
	struct trash_item *items;
	size_t n, alloc;
};

static int read_trash_doc(void *ctx, const bson_t *doc, struct mg_error *err)
{
	struct trash_reader *r = ctx;
	bson_iter_t it;
	(void)err;
	if (!bson_iter_init_find(&it, doc, "_id") || !BSON_ITER_HOLDS_UTF8(&it))
		return 0;
	ARENA_GROW(r->a, r->items, r->n, r->alloc, r->n + 1);
	struct trash_item *t = &r->items[r->n++];
	t->name = arena_strdup(r->a, bson_iter_utf8(&it, NULL));
	t->version = bson_iter_init_find(&it, doc, "version") ? bson_iter_as_int64(&it) : 0;
	return 0;
}

/* The contract's recorded undo now fails with a clear word, not a missing collection. */
static bson_t *cmd_refuse_revert(struct arena *a, const struct trash_item *t, int64_t now_ms)
{
	bson_t refuse = BSON_INITIALIZER;
	BSON_APPEND_UTF8(&refuse, "migrateRefuse",
			 arena_printf(a,
				      "the documents this contract removed (%s) were purged on "
				      "%.10s: write the revert by hand",
				      t->name, mongo_time_text(a, now_ms)));
	const char *json = mongo_bson_json(a, &refuse);
	bson_destroy(&refuse);

	bson_t *cmd = bson_new();
	bson_t ups, up, q, u, set, arr, st;
	BSON_APPEND_UTF8(cmd, "update", MONGO_HISTORY_COLLECTION);
	bson_append_array_begin(cmd, "updates", -1, &ups);
	bson_append_document_begin(&ups, "0", -1, &up);
	bson_append_document_begin(&up, "q", -1, &q);
	BSON_APPEND_INT64(&q, "_id", t->version);
	bson_append_document_end(&up, &q);
	bson_append_document_begin(&up, "u", -1, &u);
	bson_append_document_begin(&u, "$set", -1, &set);
	bson_append_array_begin(&set, "revert_contract", -1, &arr);
	bson_append_document_begin(&arr, "0", -1, &st);
	BSON_APPEND_UTF8(&st, "command", json);
	BSON_APPEND_INT32(&st, "flags", STEP_NO_TRANSACTION);
	bson_append_document_end(&arr, &st);
	bson_append_array_end(&set, &arr);
	bson_append_document_end(&u, &set);
	bson_append_document_end(&up, &u);
	bson_append_document_end(&ups, &up);
	bson_append_array_end(cmd, &ups);
	return cmd;
}

static int mongo_trash_purge(struct driver *d, struct arena *a, int64_t older_than_ms,
			     const char ***ret_names, size_t *ret_n, struct mg_error *err)
{
	struct mongo *mg = mongo_of(d);
	int64_t now = wall_ms();
	*ret_n = 0;
	*ret_names = NULL;
	bson_t filter = BSON_INITIALIZER, lt;
	bson_append_document_begin(&filter, "created_at", -1, &lt);
	BSON_APPEND_DATE_TIME(&lt, "$lt", now - older_than_ms);
	bson_append_document_end(&filter, &lt);
	mongoc_collection_t *coll = mongoc_database_get_collection(mg->db, MONGO_TRASH_REGISTRY);
	struct trash_reader r = {.a = a};
	int rc = each_document(d, mongoc_collection_find_with_opts(coll, &filter, NULL, NULL),
			       "find", MONGO_TRASH_REGISTRY, &filter, read_trash_doc, &r, err);
	mongoc_collection_destroy(coll);
	bson_destroy(&filter);
	if (rc < 0)
		return -1;
	*ret_names = arena_alloc(a, sizeof(**ret_names) * (r.n + 1));
	for (size_t i = 0; i < r.n; i++) {
		const struct trash_item *t = &r.items[i];
		bson_t drop = BSON_INITIALIZER, del = BSON_INITIALIZER, dels, d0, q;
		BSON_APPEND_UTF8(&drop, "drop", t->name);
		BSON_APPEND_UTF8(&del, "delete", MONGO_TRASH_REGISTRY);
		bson_append_array_begin(&del, "deletes", -1, &dels);
		bson_append_document_begin(&dels, "0", -1, &d0);
		bson_append_document_begin(&d0, "q", -1, &q);
		BSON_APPEND_UTF8(&q, "_id", t->name);
		bson_append_document_end(&d0, &q);
		BSON_APPEND_INT32(&d0, "limit", 1);
		bson_append_document_end(&dels, &d0);
		bson_append_array_end(&del, &dels);
		bson_t *refuse = cmd_refuse_revert(a, t, now);
		rc = lock_refresh(d, err);
		if (rc == 0)
			rc = run_command(d, mg->db_name, &drop, NULL, MONGO_STEP_DONE_OK, NULL,
					 NULL, err);
		if (rc == 0)
			rc = run_command(d, mg->db_name, refuse, NULL, 0, NULL, NULL, err);
		if (rc == 0)
			rc = run_command(d, mg->db_name, &del, NULL, 0, NULL, NULL, err);
		bson_destroy(&drop);
		bson_destroy(&del);
		bson_destroy(refuse);
		if (rc < 0)
			return -1;
		(*ret_names)[(*ret_n)++] = t->name;
	}
	return 0;
}

/* ---- inverses ---- */

struct state_reader {
	struct mongo_state *st;
	bson_t **owned; /* what to destroy after the build */
	size_t n_owned, alloc_owned;
	struct arena *a;
};

static void keep(struct state_reader *r, bson_t *doc)
{
	ARENA_GROW(r->a, r->owned, r->n_owned, r->alloc_owned, r->n_owned + 1);
	r->owned[r->n_owned++] = doc;
}

static int read_collection_doc(void *ctx, const bson_t *doc, struct mg_error *err)
{
	struct state_reader *r = ctx;
	bson_iter_t it;
	(void)err;
	r->st->exists = true;
	r->st->is_view = bson_iter_init_find(&it, doc, "type") && BSON_ITER_HOLDS_UTF8(&it) &&
			 strcmp(bson_iter_utf8(&it, NULL), "view") == 0;
	if (bson_iter_init_find(&it, doc, "options") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
		uint32_t len;
		const uint8_t *data;
		bson_iter_document(&it, &len, &data);
		bson_t *opts = bson_new_from_data(data, len);
		if (opts) {
			keep(r, opts);
			r->st->options = opts;
		}
	}
	return 0;
}

static int read_index_doc(void *ctx, const bson_t *doc, struct mg_error *err)
{
	struct state_reader *r = ctx;
	(void)err;
	bson_t *copy = bson_copy(doc);
	keep(r, copy);
	size_t n = r->st->n_indexes;
	const bson_t **list = arena_alloc(r->a, sizeof(*list) * (n + 1));
	if (n)
		memcpy(list, r->st->indexes, sizeof(*list) * n);
	list[n] = copy;
	r->st->indexes = list;
	r->st->n_indexes = n + 1;
	return 0;
}

/* What the database holds about one collection right now: listCollections, listIndexes. */
static int read_state(struct driver *d, struct state_reader *r, const char *collection,
		      struct mg_error *err)
{
	struct mongo *mg = mongo_of(d);
	bson_t opts = BSON_INITIALIZER, filter;
	bson_append_document_begin(&opts, "filter", -1, &filter);
	BSON_APPEND_UTF8(&filter, "name", collection);
	bson_append_document_end(&opts, &filter);
	bson_t named = BSON_INITIALIZER; /* the filter again, for the trace */
	BSON_APPEND_UTF8(&named, "name", collection);
	int rc = each_document(d, mongoc_database_find_collections_with_opts(mg->db, &opts),
			       "listCollections", NULL, &named, read_collection_doc, r, err);
	bson_destroy(&named);
	bson_destroy(&opts);
	if (rc < 0 || !r->st->exists || r->st->is_view)
		return rc;
	mongoc_collection_t *coll = mongoc_database_get_collection(mg->db, collection);
	rc = each_document(d, mongoc_collection_find_indexes_with_opts(coll, NULL), "listIndexes",
			   collection, NULL, read_index_doc, r, err);
	mongoc_collection_destroy(coll);
	return rc;
}

static int mongo_inverse_before(const struct inverse_input *in, struct inverse_result *ret,
				struct mg_error *err)
{
	memset(ret, 0, sizeof(*ret));
	const struct sql_stmt *where = in->stmt;
	if (where && where->node) {
		mg_error_set_at(err, 2, in->migration->path, where->line, where->column,
				"SQL statement for a MongoDB database");
		mg_error_set_help(err, "MongoDB migrations are .json files of database commands");
		return -1;
	}
	bson_error_t berr;
	bson_t *cmd = bson_new_from_json((const uint8_t *)in->sql, -1, &berr);
	if (!cmd)
		return mg_error_set_at(err, 2, in->migration->path, where ? where->line : 0,
				       where ? where->column : 0, "not a MongoDB command: %s",
				       berr.message);
	struct mongo_state st = {.now_ms = wall_ms()};
	struct state_reader r = {.st = &st, .a = in->arena};
	bson_iter_t it;
	int rc = 0;
	if (bson_iter_init(&it, cmd) && bson_iter_next(&it) && BSON_ITER_HOLDS_UTF8(&it) &&
	    strcmp(bson_iter_key(&it), "renameCollection") != 0)
		rc = read_state(in->driver, &r, bson_iter_utf8(&it, NULL), err);
	if (rc == 0) {
		struct mongo_inverse_input mi = {
		    .command = cmd,
		    .section = in->section,
		    .version = in->migration->version,
		    .file = in->migration->path,
		    .line = where ? where->line : 0,
		    .column = where ? where->column : 0,
		    .resuming = in->resuming,
		    .state = &st,
		};
		rc = mongo_inverse_build(in->arena, &mi, &ret->forward, &ret->inverse, err);
	}
	for (size_t i = 0; i < r.n_owned; i++)
		bson_destroy(r.owned[i]);
	bson_destroy(cmd);
	return rc;
}

/* Before anything runs: a SQL migration in the set cannot run here at all. */
static int mongo_check_statement(struct driver *d, struct arena *a, const struct sql_stmt *st,
				 struct mg_error *err)
{
	(void)d;
	(void)a;
	mg_error_set_at(err, 2, st->migration->path, st->line, st->column,
			"SQL statement for a MongoDB database");
	mg_error_set_help(err, "MongoDB migrations are .json files of database commands; keep SQL "
			       "migrations in a directory of their own");
	return -1;
}

static int mongo_inverse_after(const struct inverse_input *in, struct inverse_result *ret,
			       struct mg_error *err)
{
	/* everything the undo needs was read before the command ran */
	(void)in;
	(void)ret;
	(void)err;
	return 0;
}

const struct driver_ops driver_mongo_ops = {
    .name = "mongodb",
    .concurrent_ddl = false,
    .connect = mongo_connect,
    .disconnect = mongo_disconnect,
    .lock = mongo_lock,
    .unlock = mongo_unlock,
    .begin = mongo_begin,
    .commit = mongo_commit,
    .rollback = mongo_rollback,
    .exec = mongo_exec,
    .query = mongo_query,
    .history_ensure = mongo_history_ensure,
    .history_exists = mongo_history_exists,
    .history_load = mongo_history_load,
    .history_save = mongo_history_save,
    .history_delete = mongo_history_delete,
    .event_log = mongo_event_log,
    .trash_purge = mongo_trash_purge,
    .inverse_before = mongo_inverse_before,
    .inverse_after = mongo_inverse_after,
    .statement_failed = NULL,
    .check_statement = mongo_check_statement,
};
