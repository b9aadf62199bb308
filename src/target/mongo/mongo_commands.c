#include "target/mongo/mongo_commands.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Values inside an update pipeline are expressions: "$x" would read a field. */
static void append_literal_utf8(bson_t *doc, const char *key, const char *value)
{
	bson_t lit;
	bson_append_document_begin(doc, key, -1, &lit);
	if (value)
		BSON_APPEND_UTF8(&lit, "$literal", value);
	else
		BSON_APPEND_NULL(&lit, "$literal");
	bson_append_document_end(doc, &lit);
}

static void append_majority(bson_t *cmd)
{
	/* the lock and the history must survive a failover to another member */
	bson_t wc;
	bson_append_document_begin(cmd, "writeConcern", -1, &wc);
	BSON_APPEND_UTF8(&wc, "w", "majority");
	bson_append_document_end(cmd, &wc);
}

/* {"$add": ["$$NOW", ttl_ms]} */
static void append_now_plus(bson_t *doc, const char *key, int64_t ttl_ms)
{
	bson_t add, args;
	bson_append_document_begin(doc, key, -1, &add);
	bson_append_array_begin(&add, "$add", -1, &args);
	BSON_APPEND_UTF8(&args, "0", "$$NOW");
	BSON_APPEND_INT64(&args, "1", ttl_ms);
	bson_append_array_end(&add, &args);
	bson_append_document_end(doc, &add);
}

/* {"$cond": [{"$lt": ["$expires_at", "$$NOW"]}, NEW, "$FIELD"]}: NEW once the
 * holder's lease ended (or there is no holder: a missing field is less than
 * any date), else the field as it is. NEW is appended by the caller. */
static void cond_begin(bson_t *set, const char *key, bson_t *cond, bson_t *args)
{
	bson_t test, lt;
	bson_append_document_begin(set, key, -1, cond);
	bson_append_array_begin(cond, "$cond", -1, args);
	bson_append_document_begin(args, "0", -1, &test);
	bson_append_array_begin(&test, "$lt", -1, &lt);
	BSON_APPEND_UTF8(&lt, "0", "$expires_at");
	BSON_APPEND_UTF8(&lt, "1", "$$NOW");
	bson_append_array_end(&test, &lt);
	bson_append_document_end(args, &test);
}

static void cond_end(bson_t *set, const char *key, bson_t *cond, bson_t *args)
{
	char old[64];
	snprintf(old, sizeof(old), "$%s", key);
	BSON_APPEND_UTF8(args, "2", old);
	bson_append_array_end(cond, args);
	bson_append_document_end(set, cond);
}

static void cond_literal(bson_t *set, const char *key, const char *value)
{
	bson_t cond, args;
	cond_begin(set, key, &cond, &args);
	append_literal_utf8(&args, "1", value);
	cond_end(set, key, &cond, &args);
}

/*
 * The filter is the lock's _id alone: MongoDB refuses $expr in the query of
 * an upsert (error 224). Each field changes only when the holder's lease
 * ended, so a held lock matches but is not modified; the lock is taken when
 * the reply says upserted or nModified >= 1 (mongo_reply_lock_taken). Two
 * first runs at once: one upserts, the other gets a duplicate key (held).
 */
bson_t *mongo_cmd_lock_acquire(const char *owner, const char *who, const char *command,
			       int64_t ttl_ms)
{
	bson_t *cmd = bson_new();
	bson_t ups, up, q, u, stage, set, cond, args;
	BSON_APPEND_UTF8(cmd, "update", MONGO_LOCK_COLLECTION);
	bson_append_array_begin(cmd, "updates", -1, &ups);
	bson_append_document_begin(&ups, "0", -1, &up);
	bson_append_document_begin(&up, "q", -1, &q);
	BSON_APPEND_UTF8(&q, "_id", "lock");
	bson_append_document_end(&up, &q);
	bson_append_array_begin(&up, "u", -1, &u);
	bson_append_document_begin(&u, "0", -1, &stage);
	bson_append_document_begin(&stage, "$set", -1, &set);
	cond_literal(&set, "owner", owner);
	cond_literal(&set, "who", who);
	cond_literal(&set, "command", command);
	cond_begin(&set, "acquired_at", &cond, &args);
	BSON_APPEND_UTF8(&args, "1", "$$NOW");
	cond_end(&set, "acquired_at", &cond, &args);
	/* expires_at last: every $cond of the stage reads the document as it was */
	cond_begin(&set, "expires_at", &cond, &args);
	append_now_plus(&args, "1", ttl_ms);
	cond_end(&set, "expires_at", &cond, &args);
	bson_append_document_end(&stage, &set);
	bson_append_document_end(&u, &stage);
	bson_append_array_end(&up, &u);
	BSON_APPEND_BOOL(&up, "upsert", true);
	bson_append_document_end(&ups, &up);
	bson_append_array_end(cmd, &ups);
	append_majority(cmd);
	return cmd;
}

bool mongo_reply_lock_taken(const bson_t *reply)
{
	bson_iter_t it;
	if (!reply)
		return false;
	if (bson_iter_init_find(&it, reply, "upserted") && BSON_ITER_HOLDS_ARRAY(&it)) {
		bson_iter_t child;
		if (bson_iter_recurse(&it, &child) && bson_iter_next(&child))
			return true;
	}
	return bson_iter_init_find(&it, reply, "nModified") && bson_iter_as_int64(&it) >= 1;
}

bson_t *mongo_cmd_lock_refresh(const char *owner, int64_t ttl_ms)
{
	bson_t *cmd = bson_new();
	bson_t ups, up, q, u, stage, set;
	BSON_APPEND_UTF8(cmd, "update", MONGO_LOCK_COLLECTION);
	bson_append_array_begin(cmd, "updates", -1, &ups);
	bson_append_document_begin(&ups, "0", -1, &up);
	bson_append_document_begin(&up, "q", -1, &q);
	BSON_APPEND_UTF8(&q, "_id", "lock");
	BSON_APPEND_UTF8(&q, "owner", owner);
	bson_append_document_end(&up, &q);
	bson_append_array_begin(&up, "u", -1, &u);
	bson_append_document_begin(&u, "0", -1, &stage);
	bson_append_document_begin(&stage, "$set", -1, &set);
	append_now_plus(&set, "expires_at", ttl_ms);
	bson_append_document_end(&stage, &set);
	bson_append_document_end(&u, &stage);
	bson_append_array_end(&up, &u);
	bson_append_document_end(&ups, &up);
	bson_append_array_end(cmd, &ups);
	append_majority(cmd);
	return cmd;
}

bson_t *mongo_cmd_lock_release(const char *owner)
{
	bson_t *cmd = bson_new();
	bson_t dels, d, q;
	BSON_APPEND_UTF8(cmd, "delete", MONGO_LOCK_COLLECTION);
	bson_append_array_begin(cmd, "deletes", -1, &dels);
	bson_append_document_begin(&dels, "0", -1, &d);
	bson_append_document_begin(&d, "q", -1, &q);
	BSON_APPEND_UTF8(&q, "_id", "lock");
	BSON_APPEND_UTF8(&q, "owner", owner);
	bson_append_document_end(&d, &q);
	BSON_APPEND_INT32(&d, "limit", 1);
	bson_append_document_end(&dels, &d);
	bson_append_array_end(cmd, &dels);
	append_majority(cmd);
	return cmd;
}

/* ---- history ---- */

/*
 * Revert steps as {command, flags, file, line, column}. The command stays the
 * JSON text it was built as: revert runs exactly that text, and documents
 * with "$" field names ($jsonSchema, $in, $rename) are not stored nested.
 */
static void append_steps(bson_t *doc, const char *key, const struct step_list *l)
{
	bson_t lit, arr;
	bson_append_document_begin(doc, key, -1, &lit);
	bson_append_array_begin(&lit, "$literal", -1, &arr);
	for (size_t i = 0; i < l->n; i++) {
		const struct step *s = &l->items[i];
		char k[24];
		bson_t st;
		snprintf(k, sizeof(k), "%zu", i);
		bson_append_document_begin(&arr, k, -1, &st);
		BSON_APPEND_UTF8(&st, "command", s->sql);
		BSON_APPEND_INT32(&st, "flags", (int32_t)s->flags);
		if (s->file) {
			BSON_APPEND_UTF8(&st, "file", s->file);
			BSON_APPEND_INT32(&st, "line", s->line);
			BSON_APPEND_INT32(&st, "column", s->column);
		}
		bson_append_document_end(&arr, &st);
	}
	bson_append_array_end(&lit, &arr);
	bson_append_document_end(doc, &lit);
}

/* {"$ifNull": ["$field", "$$NOW"]}: set once, when the phase is first reached */
static void append_first_time(bson_t *doc, const char *key, bool reached)
{
	if (!reached) {
		append_literal_utf8(doc, key, NULL);
		return;
	}
	bson_t ifnull, args;
	char field[64];
	snprintf(field, sizeof(field), "$%s", key);
	bson_append_document_begin(doc, key, -1, &ifnull);
	bson_append_array_begin(&ifnull, "$ifNull", -1, &args);
	BSON_APPEND_UTF8(&args, "0", field);
	BSON_APPEND_UTF8(&args, "1", "$$NOW");
	bson_append_array_end(&ifnull, &args);
	bson_append_document_end(doc, &ifnull);
}

static void append_literal_int64(bson_t *doc, const char *key, int64_t v)
{
	bson_t lit;
	bson_append_document_begin(doc, key, -1, &lit);
	BSON_APPEND_INT64(&lit, "$literal", v);
	bson_append_document_end(doc, &lit);
}

bson_t *mongo_cmd_history_save(const struct history_entry *e)
{
	bson_t *cmd = bson_new();
	bson_t ups, up, q, u, stage, set;
	bool expanded = e->phase == HISTORY_EXPANDED || e->phase == HISTORY_CONTRACTING ||
			e->phase == HISTORY_CONTRACTED;
	BSON_APPEND_UTF8(cmd, "update", MONGO_HISTORY_COLLECTION);
	bson_append_array_begin(cmd, "updates", -1, &ups);
	bson_append_document_begin(&ups, "0", -1, &up);
	bson_append_document_begin(&up, "q", -1, &q);
	BSON_APPEND_INT64(&q, "_id", e->version);
	bson_append_document_end(&up, &q);
	bson_append_array_begin(&up, "u", -1, &u);
	bson_append_document_begin(&u, "0", -1, &stage);
	bson_append_document_begin(&stage, "$set", -1, &set);
	append_literal_int64(&set, "schema_version", MONGO_HISTORY_SCHEMA_VERSION);
	append_literal_utf8(&set, "name", e->name);
	append_literal_utf8(&set, "checksum", e->checksum);
	append_literal_utf8(&set, "phase", history_phase_name(e->phase));
	append_literal_utf8(&set, "applied_by", e->applied_by ? e->applied_by : "unknown");
	append_literal_int64(&set, "expand_seq", e->expand_seq);
	append_literal_int64(&set, "contract_seq", e->contract_seq);
	append_literal_int64(&set, "steps_done", history_steps_stored(e));
	append_literal_int64(&set, "expand_ms", e->expand_ms);
	append_literal_int64(&set, "contract_ms", e->contract_ms);
	append_steps(&set, "revert_expand", &e->revert_expand);
	append_steps(&set, "revert_contract", &e->revert_contract);
	append_first_time(&set, "expanded_at", expanded);
	append_first_time(&set, "contracted_at", e->phase == HISTORY_CONTRACTED);
	bson_append_document_end(&stage, &set);
	bson_append_document_end(&u, &stage);
	bson_append_array_end(&up, &u);
	BSON_APPEND_BOOL(&up, "upsert", true);
	bson_append_document_end(&ups, &up);
	bson_append_array_end(cmd, &ups);
	append_majority(cmd);
	return cmd;
}

bson_t *mongo_cmd_history_delete(int64_t version)
{
	bson_t *cmd = bson_new();
	bson_t dels, d, q;
	BSON_APPEND_UTF8(cmd, "delete", MONGO_HISTORY_COLLECTION);
	bson_append_array_begin(cmd, "deletes", -1, &dels);
	bson_append_document_begin(&dels, "0", -1, &d);
	bson_append_document_begin(&d, "q", -1, &q);
	BSON_APPEND_INT64(&q, "_id", version);
	bson_append_document_end(&d, &q);
	BSON_APPEND_INT32(&d, "limit", 1);
	bson_append_document_end(&dels, &d);
	bson_append_array_end(cmd, &dels);
	append_majority(cmd);
	return cmd;
}

const char *mongo_time_text(struct arena *a, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return arena_strdup(a, buf);
}

static const char *iter_text(struct arena *a, const bson_iter_t *it)
{
	return BSON_ITER_HOLDS_UTF8(it) ? arena_strdup(a, bson_iter_utf8(it, NULL)) : NULL;
}

static int read_steps(struct arena *a, const bson_iter_t *it, struct step_list *ret,
		      struct mg_error *err)
{
	bson_iter_t arr;
	memset(ret, 0, sizeof(*ret));
	if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &arr))
		return 0;
	while (bson_iter_next(&arr)) {
		bson_iter_t f;
		if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &f))
			return mg_error_set(err, 2, "history holds an unreadable revert step");
		const char *text = NULL, *file = NULL;
		unsigned flags = 0;
		int line = 0, column = 0;
		while (bson_iter_next(&f)) {
			const char *k = bson_iter_key(&f);
			if (strcmp(k, "command") == 0) {
				text = iter_text(a, &f);
			} else if (strcmp(k, "flags") == 0) {
				flags = (unsigned)bson_iter_as_int64(&f);
			} else if (strcmp(k, "file") == 0) {
				file = iter_text(a, &f);
			} else if (strcmp(k, "line") == 0) {
				line = (int)bson_iter_as_int64(&f);
			} else if (strcmp(k, "column") == 0) {
				column = (int)bson_iter_as_int64(&f);
			}
		}
		if (!text)
			return mg_error_set(err, 2,
					    "history holds a revert step without a command");
		step_list_add(a, ret, text, flags, file, line, column);
	}
	return 0;
}

int mongo_history_entry_read(struct arena *a, const bson_t *doc, struct history_entry *ret,
			     struct mg_error *err)
{
	bson_iter_t it;
	memset(ret, 0, sizeof(*ret));
	if (!bson_iter_init(&it, doc))
		return mg_error_set(err, 2, "history holds an unreadable document");
	while (bson_iter_next(&it)) {
		const char *k = bson_iter_key(&it);
		if (strcmp(k, "_id") == 0) {
			ret->version = bson_iter_as_int64(&it);
		} else if (strcmp(k, "schema_version") == 0) {
			if (bson_iter_as_int64(&it) > MONGO_HISTORY_SCHEMA_VERSION) {
				mg_error_set(err, 2,
					     "the history in %s was written by a newer migrate "
					     "(schema version %lld)",
					     MONGO_HISTORY_COLLECTION,
					     (long long)bson_iter_as_int64(&it));
				mg_error_set_help(err, "upgrade migrate");
				return -1;
			}
		} else if (strcmp(k, "name") == 0) {
			ret->name = iter_text(a, &it);
		} else if (strcmp(k, "checksum") == 0) {
			ret->checksum = iter_text(a, &it);
		} else if (strcmp(k, "phase") == 0) {
			int p = history_phase_parse(
			    BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : NULL);
			if (p < 0)
				return mg_error_set(err, 2, "history holds an unknown phase");
			ret->phase = p;
		} else if (strcmp(k, "applied_by") == 0) {
			ret->applied_by = iter_text(a, &it);
		} else if (strcmp(k, "expanded_at") == 0 && BSON_ITER_HOLDS_DATE_TIME(&it)) {
			ret->expanded_at = mongo_time_text(a, bson_iter_date_time(&it));
		} else if (strcmp(k, "contracted_at") == 0 && BSON_ITER_HOLDS_DATE_TIME(&it)) {
			ret->contracted_at = mongo_time_text(a, bson_iter_date_time(&it));
		} else if (strcmp(k, "expand_seq") == 0) {
			ret->expand_seq = bson_iter_as_int64(&it);
		} else if (strcmp(k, "contract_seq") == 0) {
			ret->contract_seq = bson_iter_as_int64(&it);
		} else if (strcmp(k, "steps_done") == 0) {
			history_steps_load(ret, bson_iter_as_int64(&it));
		} else if (strcmp(k, "expand_ms") == 0) {
			ret->expand_ms = bson_iter_as_int64(&it);
		} else if (strcmp(k, "contract_ms") == 0) {
			ret->contract_ms = bson_iter_as_int64(&it);
		} else if (strcmp(k, "revert_expand") == 0) {
			if (read_steps(a, &it, &ret->revert_expand, err) < 0)
				return -1;
		} else if (strcmp(k, "revert_contract") == 0) {
			if (read_steps(a, &it, &ret->revert_contract, err) < 0)
				return -1;
		}
	}
	if (!ret->name)
		ret->name = "";
	if (!ret->checksum)
		ret->checksum = "";
	return 0;
}

bson_t *mongo_cmd_event(const struct event *ev, const char *who, int64_t now_ms)
{
	bson_t *cmd = bson_new();
	bson_t docs, d;
	BSON_APPEND_UTF8(cmd, "insert", MONGO_EVENTS_COLLECTION);
	bson_append_array_begin(cmd, "documents", -1, &docs);
	bson_append_document_begin(&docs, "0", -1, &d);
	BSON_APPEND_DATE_TIME(&d, "at", now_ms);
	BSON_APPEND_UTF8(&d, "who", who ? who : "unknown");
	BSON_APPEND_UTF8(&d, "command", ev->command ? ev->command : "");
	if (ev->version)
		BSON_APPEND_INT64(&d, "version", ev->version);
	else
		BSON_APPEND_NULL(&d, "version");
	if (ev->phase)
		BSON_APPEND_UTF8(&d, "phase", ev->phase);
	else
		BSON_APPEND_NULL(&d, "phase");
	BSON_APPEND_UTF8(&d, "outcome", ev->outcome ? ev->outcome : "");
	if (ev->detail)
		BSON_APPEND_UTF8(&d, "detail", ev->detail);
	else
		BSON_APPEND_NULL(&d, "detail");
	bson_append_document_end(&docs, &d);
	bson_append_array_end(cmd, &docs);
	return cmd;
}

/* ---- steps and replies ---- */

static char *qualified(const char *name, const char *database)
{
	size_t n = strlen(database);
	if (strncmp(name, database, n) == 0 && name[n] == '.')
		return bson_strdup(name);
	return bson_strdup_printf("%s.%s", database, name);
}

int mongo_step_command(const struct step *s, const char *database, bson_t **ret_command,
		       const char **ret_database, struct mg_error *err)
{
	bson_error_t berr;
	*ret_command = NULL;
	*ret_database = database;
	bson_t *cmd = bson_new_from_json((const uint8_t *)s->sql, -1, &berr);
	if (!cmd) {
		if (s->file)
			mg_error_set_at(err, 2, s->file, s->line, s->column,
					"step is not a MongoDB command: %s", berr.message);
		else
			mg_error_set(err, 2, "step is not a MongoDB command: %s", berr.message);
		return -1;
	}
	bson_iter_t it;
	if (!bson_iter_init(&it, cmd) || !bson_iter_next(&it) ||
	    strcmp(bson_iter_key(&it), "renameCollection") != 0) {
		*ret_command = cmd;
		return 0;
	}
	/* renameCollection is an admin command that names full namespaces */
	bson_t *out = bson_new();
	bson_iter_init(&it, cmd);
	while (bson_iter_next(&it)) {
		const char *k = bson_iter_key(&it);
		if ((strcmp(k, "renameCollection") == 0 || strcmp(k, "to") == 0) &&
		    BSON_ITER_HOLDS_UTF8(&it)) {
			char *ns = qualified(bson_iter_utf8(&it, NULL), database);
			BSON_APPEND_UTF8(out, k, ns);
			bson_free(ns);
		} else {
			bson_append_iter(out, NULL, 0, &it);
		}
	}
	bson_destroy(cmd);
	*ret_command = out;
	*ret_database = "admin";
	return 0;
}

bool mongo_reply_error(const bson_t *reply, int32_t *ret_code, const char **ret_message)
{
	bson_iter_t it, arr, e;
	*ret_code = 0;
	*ret_message = NULL;
	if (!reply)
		return false;
	if (bson_iter_init_find(&it, reply, "writeErrors") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &arr) && bson_iter_next(&arr) &&
	    BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &e)) {
		while (bson_iter_next(&e)) {
			if (strcmp(bson_iter_key(&e), "code") == 0)
				*ret_code = (int32_t)bson_iter_as_int64(&e);
			else if (strcmp(bson_iter_key(&e), "errmsg") == 0 &&
				 BSON_ITER_HOLDS_UTF8(&e))
				*ret_message = bson_iter_utf8(&e, NULL);
		}
		if (!*ret_message)
			*ret_message = "write error";
		return true;
	}
	if (bson_iter_init_find(&it, reply, "writeConcernError") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
	    bson_iter_recurse(&it, &e)) {
		while (bson_iter_next(&e)) {
			if (strcmp(bson_iter_key(&e), "code") == 0)
				*ret_code = (int32_t)bson_iter_as_int64(&e);
			else if (strcmp(bson_iter_key(&e), "errmsg") == 0 &&
				 BSON_ITER_HOLDS_UTF8(&e))
				*ret_message = bson_iter_utf8(&e, NULL);
		}
		if (!*ret_message)
			*ret_message = "write concern error";
		return true;
	}
	return false;
}

bool mongo_code_means_done(int32_t code)
{
	return code == MONGO_NAMESPACE_NOT_FOUND || code == MONGO_INDEX_NOT_FOUND ||
	       code == MONGO_NAMESPACE_EXISTS || code == MONGO_DUPLICATE_KEY;
}

int64_t mongo_reply_n(const bson_t *reply)
{
	bson_iter_t it;
	if (reply && bson_iter_init_find(&it, reply, "n"))
		return bson_iter_as_int64(&it);
	return 0;
}
