#include "target/mongo/inverse_mongo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sql/names.h"
#include "target/mongo/mongo_file.h"

/* Options any command may carry; they change nothing to undo. */
static bool is_generic_option(const char *key)
{
	static const char *const generic[] = {"writeConcern", "comment", "maxTimeMS", "$comment"};
	for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
		if (strcmp(key, generic[i]) == 0)
			return true;
	return false;
}

/* Commands that read and change nothing. */
static bool is_read_only(const char *name)
{
	static const char *const names[] = {
	    "ping", "validate",	   "dbStats",	"collStats", "count",	       "distinct",
	    "find", "listIndexes", "buildInfo", "hello",     "listCollections"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* collMod options whose previous value listCollections reports, with their defaults. */
static bool is_collmod_option(const char *key)
{
	static const char *const keys[] = {"validator",		"validationLevel",
					   "validationAction",	"viewOn",
					   "pipeline",		"changeStreamPreAndPostImages",
					   "expireAfterSeconds"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

static bool is_collmod_index_option(const char *key)
{
	return strcmp(key, "name") == 0 || strcmp(key, "keyPattern") == 0 ||
	       strcmp(key, "hidden") == 0 || strcmp(key, "prepareUnique") == 0 ||
	       strcmp(key, "unique") == 0 || strcmp(key, "expireAfterSeconds") == 0;
}

/* The first key of a command and its value when a string. */
static const char *command_name(const bson_t *cmd, const char **ret_target)
{
	bson_iter_t it;
	*ret_target = NULL;
	if (!bson_iter_init(&it, cmd) || !bson_iter_next(&it))
		return "";
	if (BSON_ITER_HOLDS_UTF8(&it))
		*ret_target = bson_iter_utf8(&it, NULL);
	return bson_iter_key(&it);
}

/* A collMod option or index option with no derived undo; NULL when all have one. */
static const char *collmod_unsupported(const bson_t *cmd)
{
	bson_iter_t it;
	if (!bson_iter_init(&it, cmd) || !bson_iter_next(&it))
		return NULL;
	while (bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		if (is_generic_option(key) || is_collmod_option(key))
			continue;
		if (strcmp(key, "index") != 0 || !BSON_ITER_HOLDS_DOCUMENT(&it))
			return key;
		bson_iter_t ix;
		bson_iter_recurse(&it, &ix);
		while (bson_iter_next(&ix))
			if (!is_collmod_index_option(bson_iter_key(&ix)))
				return bson_iter_key(&ix);
	}
	return NULL;
}

static bool is_empty_document(const bson_iter_t *it)
{
	if (!BSON_ITER_HOLDS_DOCUMENT(it))
		return false;
	uint32_t len;
	const uint8_t *data;
	bson_iter_document(it, &len, &data);
	return len <= 5;
}

/* A read-only view of the document or array under it. */
static bool iter_document(const bson_iter_t *it, bson_t *ret)
{
	uint32_t len;
	const uint8_t *data;
	if (BSON_ITER_HOLDS_DOCUMENT(it))
		bson_iter_document(it, &len, &data);
	else if (BSON_ITER_HOLDS_ARRAY(it))
		bson_iter_array(it, &len, &data);
	else
		return false;
	return bson_init_static(ret, data, len);
}

/*
 * An update whose every statement renames fields of every document
 * ({"q": {}, "u": {"$rename": {"old": "new"}}}) is undone by renaming them back.
 */
static bool update_is_plain_rename(const bson_t *cmd)
{
	bson_iter_t it, up;
	if (!bson_iter_init_find(&it, cmd, "updates") || !BSON_ITER_HOLDS_ARRAY(&it) ||
	    !bson_iter_recurse(&it, &up))
		return false;
	size_t n = 0;
	while (bson_iter_next(&up)) {
		bson_t st;
		bson_iter_t q, u, op, field;
		if (!iter_document(&up, &st))
			return false;
		if (!bson_iter_init_find(&q, &st, "q") || !is_empty_document(&q))
			return false;
		if (!bson_iter_init_find(&u, &st, "u") || !BSON_ITER_HOLDS_DOCUMENT(&u) ||
		    !bson_iter_recurse(&u, &op))
			return false;
		size_t ops = 0;
		while (bson_iter_next(&op)) {
			if (strcmp(bson_iter_key(&op), "$rename") != 0 ||
			    !BSON_ITER_HOLDS_DOCUMENT(&op) || !bson_iter_recurse(&op, &field))
				return false;
			while (bson_iter_next(&field))
				if (!BSON_ITER_HOLDS_UTF8(&field))
					return false;
			ops++;
		}
		if (ops != 1)
			return false;
		n++;
	}
	return n > 0;
}

enum inverse_class mongo_inverse_classify(const bson_t *command, bool target_is_new,
					  const char **ret_reason)
{
	const char *target;
	const char *name = command_name(command, &target);
	static const char changes_documents[] = "it changes documents that existed before this "
						"migration";
	*ret_reason = NULL;
	if (strcmp(name, "createIndexes") == 0 || strcmp(name, "create") == 0 ||
	    strcmp(name, "drop") == 0 || strcmp(name, "dropIndexes") == 0 ||
	    strcmp(name, "deleteIndexes") == 0)
		return INVERSE_DERIVED;
	if (strcmp(name, "renameCollection") == 0) {
		bson_iter_t it;
		if (bson_iter_init_find(&it, command, "dropTarget") && bson_iter_as_bool(&it)) {
			*ret_reason = "dropTarget drops the target collection, which is not kept";
			return INVERSE_IRREVERSIBLE;
		}
		return INVERSE_DERIVED;
	}
	if (strcmp(name, "collMod") == 0) {
		if (collmod_unsupported(command)) {
			*ret_reason = "this collMod option has no derived undo";
			return INVERSE_IRREVERSIBLE;
		}
		return INVERSE_DERIVED;
	}
	if (strcmp(name, "insert") == 0)
		return target_is_new ? INVERSE_NOTHING : INVERSE_DERIVED;
	if (strcmp(name, "update") == 0 || strcmp(name, "delete") == 0 ||
	    strcmp(name, "findAndModify") == 0) {
		if (target_is_new)
			return INVERSE_NOTHING;
		if (strcmp(name, "update") == 0 && update_is_plain_rename(command))
			return INVERSE_DERIVED;
		*ret_reason = changes_documents;
		return INVERSE_IRREVERSIBLE;
	}
	if (is_read_only(name))
		return INVERSE_NOTHING;
	if (strcmp(name, "dropDatabase") == 0) {
		*ret_reason = "a dropped database is not kept aside";
		return INVERSE_IRREVERSIBLE;
	}
	*ret_reason = "this command has no derived undo";
	return INVERSE_IRREVERSIBLE;
}

/* ---- names ---- */

const char *mongo_trash_name(struct arena *a, int64_t version, const char *collection)
{
	return names_make(a, "_migrate_trash_v%lld_%s", (long long)version, collection);
}

const char *mongo_index_default_name(struct arena *a, const bson_t *key)
{
	char *out = arena_strdup(a, "");
	bson_iter_t it;
	if (!bson_iter_init(&it, key))
		return out;
	bool first = true;
	while (bson_iter_next(&it)) {
		char value[64];
		if (BSON_ITER_HOLDS_UTF8(&it)) {
			snprintf(value, sizeof(value), "%s", bson_iter_utf8(&it, NULL));
		} else if (BSON_ITER_HOLDS_NUMBER(&it)) {
			double d = bson_iter_as_double(&it);
			if (d == floor(d) && fabs(d) < 1e15)
				snprintf(value, sizeof(value), "%lld", (long long)d);
			else
				snprintf(value, sizeof(value), "%g", d);
		} else {
			snprintf(value, sizeof(value), "1");
		}
		out =
		    arena_printf(a, "%s%s%s_%s", out, first ? "" : "_", bson_iter_key(&it), value);
		first = false;
	}
	return out;
}

bool mongo_index_keys_equal(const bson_t *x, const bson_t *y)
{
	bson_iter_t a, b;
	if (!bson_iter_init(&a, x) || !bson_iter_init(&b, y))
		return false;
	for (;;) {
		bool na = bson_iter_next(&a), nb = bson_iter_next(&b);
		if (!na || !nb)
			return na == nb;
		if (strcmp(bson_iter_key(&a), bson_iter_key(&b)) != 0)
			return false;
		if (BSON_ITER_HOLDS_NUMBER(&a) && BSON_ITER_HOLDS_NUMBER(&b)) {
			if (bson_iter_as_double(&a) != bson_iter_as_double(&b))
				return false;
		} else if (BSON_ITER_HOLDS_UTF8(&a) && BSON_ITER_HOLDS_UTF8(&b)) {
			if (strcmp(bson_iter_utf8(&a, NULL), bson_iter_utf8(&b, NULL)) != 0)
				return false;
		} else {
			return false;
		}
	}
}

/* ---- the builder ---- */

struct build {
	struct arena *a;
	const struct mongo_inverse_input *in;
	struct step_list *forward;
	struct step_list *inverse;
	const char *target;
};

static void add(struct build *b, struct step_list *l, const bson_t *doc, unsigned flags)
{
	step_list_add(b->a, l, mongo_bson_json(b->a, doc), flags | STEP_NO_TRANSACTION, b->in->file,
		      b->in->line, b->in->column);
}

static int irreversible(struct build *b, struct mg_error *err, const char *why)
{
	mg_error_set_at(err, 2, b->in->file, b->in->line, b->in->column,
			"cannot derive the revert of this command: %s", why);
	mg_error_set_help(err, "write the undo by hand under \"revert-%s\"",
			  migration_section_name(b->in->section));
	return -1;
}

static const char *spec_name(struct arena *a, const bson_t *spec)
{
	bson_iter_t it;
	if (bson_iter_init_find(&it, spec, "name") && BSON_ITER_HOLDS_UTF8(&it))
		return bson_iter_utf8(&it, NULL);
	bson_t key;
	if (bson_iter_init_find(&it, spec, "key") && iter_document(&it, &key))
		return mongo_index_default_name(a, &key);
	return "";
}

/* The recorded spec of an index named name, or with key pattern key. */
static const bson_t *state_index(struct build *b, const char *name, const bson_t *key)
{
	const struct mongo_state *st = b->in->state;
	for (size_t i = 0; i < st->n_indexes; i++) {
		const bson_t *spec = st->indexes[i];
		if (name && strcmp(spec_name(b->a, spec), name) == 0)
			return spec;
		bson_iter_t it;
		bson_t k;
		if (key && bson_iter_init_find(&it, spec, "key") && iter_document(&it, &k) &&
		    mongo_index_keys_equal(&k, key))
			return spec;
	}
	return NULL;
}

/* The spec's name when OPTION (hidden) is true in it, else NULL. */
static const char *name_if(const bson_t *spec, const char *option)
{
	bson_iter_t it;
	if (!bson_iter_init_find(&it, spec, option) || !bson_iter_as_bool(&it))
		return NULL;
	if (bson_iter_init_find(&it, spec, "name") && BSON_ITER_HOLDS_UTF8(&it))
		return bson_iter_utf8(&it, NULL);
	return NULL;
}

/*
 * Appends an index spec as createIndexes takes it: as listed, without "ns",
 * and without hidden when it has a name (hidden again by a collMod after it:
 * DocumentDB refuses to build a hidden index).
 */
static void append_spec(bson_t *array, const char *key, const bson_t *spec)
{
	bson_t out;
	bson_iter_t it;
	bool unhide = name_if(spec, "hidden") != NULL;
	bson_append_document_begin(array, key, -1, &out);
	if (bson_iter_init(&it, spec))
		while (bson_iter_next(&it)) {
			const char *k = bson_iter_key(&it);
			if (strcmp(k, "ns") == 0 || (unhide && strcmp(k, "hidden") == 0))
				continue;
			bson_append_iter(&out, NULL, 0, &it);
		}
	bson_append_document_end(array, &out);
}

static void add_index_collmod(struct build *b, const char *name, const char *option)
{
	bson_t doc = BSON_INITIALIZER, index;
	BSON_APPEND_UTF8(&doc, "collMod", b->target);
	bson_append_document_begin(&doc, "index", -1, &index);
	BSON_APPEND_UTF8(&index, "name", name);
	BSON_APPEND_BOOL(&index, option, true);
	bson_append_document_end(&doc, &index);
	add(b, b->inverse, &doc, MONGO_STEP_DONE_OK);
	bson_destroy(&doc);
}

static void add_create_indexes(struct build *b, const bson_t *const *specs, size_t n)
{
	bson_t doc = BSON_INITIALIZER, arr;
	BSON_APPEND_UTF8(&doc, "createIndexes", b->target);
	bson_append_array_begin(&doc, "indexes", -1, &arr);
	for (size_t i = 0; i < n; i++) {
		char k[24];
		snprintf(k, sizeof(k), "%zu", i);
		append_spec(&arr, k, specs[i]);
	}
	bson_append_array_end(&doc, &arr);
	add(b, b->inverse, &doc, MONGO_STEP_DONE_OK);
	bson_destroy(&doc);
	for (size_t i = 0; i < n; i++) {
		const char *name = name_if(specs[i], "hidden");
		if (name)
			add_index_collmod(b, name, "hidden");
	}
}

static void add_drop_indexes(struct build *b, struct step_list *l, const char *const *names,
			     size_t n)
{
	bson_t doc = BSON_INITIALIZER, arr;
	BSON_APPEND_UTF8(&doc, "dropIndexes", b->target);
	if (n == 1) {
		BSON_APPEND_UTF8(&doc, "index", names[0]);
	} else {
		bson_append_array_begin(&doc, "index", -1, &arr);
		for (size_t i = 0; i < n; i++) {
			char k[24];
			snprintf(k, sizeof(k), "%zu", i);
			BSON_APPEND_UTF8(&arr, k, names[i]);
		}
		bson_append_array_end(&doc, &arr);
	}
	add(b, l, &doc, MONGO_STEP_DONE_OK);
	bson_destroy(&doc);
}

static void add_drop_collection(struct build *b, const char *name)
{
	bson_t doc = BSON_INITIALIZER;
	BSON_APPEND_UTF8(&doc, "drop", name);
	add(b, b->inverse, &doc, MONGO_STEP_DONE_OK);
	bson_destroy(&doc);
}

static void add_rename(struct build *b, struct step_list *l, const char *from, const char *to,
		       unsigned flags)
{
	bson_t doc = BSON_INITIALIZER;
	BSON_APPEND_UTF8(&doc, "renameCollection", from);
	BSON_APPEND_UTF8(&doc, "to", to);
	add(b, l, &doc, flags);
	bson_destroy(&doc);
}

static void forward_as_written(struct build *b)
{
	add(b, b->forward, b->in->command, b->in->resuming ? MONGO_STEP_DONE_OK : 0);
}

static int build_create_indexes(struct build *b)
{
	const struct mongo_state *st = b->in->state;
	forward_as_written(b);
	if (!st->exists) {
		/* createIndexes made the collection too */
		add_drop_collection(b, b->target);
		return 0;
	}
	bson_iter_t it, ix;
	const char **names = NULL;
	size_t n = 0, alloc = 0;
	if (!bson_iter_init_find(&it, b->in->command, "indexes") || !BSON_ITER_HOLDS_ARRAY(&it))
		return 0; /* the server refuses it */
	bson_iter_recurse(&it, &ix);
	while (bson_iter_next(&ix)) {
		bson_t spec;
		if (!iter_document(&ix, &spec))
			continue;
		const char *name = spec_name(b->a, &spec);
		/* an index that was there before stays on revert; after an interruption
		 * there is no telling, and the index is this migration's */
		if (!b->in->resuming && state_index(b, name, NULL))
			continue;
		ARENA_GROW(b->a, names, n, alloc, n + 1);
		names[n++] = arena_strdup(b->a, name);
	}
	if (n)
		add_drop_indexes(b, b->inverse, names, n);
	return 0;
}

static int build_drop_indexes(struct build *b, struct mg_error *err)
{
	const struct mongo_state *st = b->in->state;
	forward_as_written(b);
	const bson_t **specs = NULL;
	size_t n = 0, alloc = 0;
	bson_iter_t it;
	if (!bson_iter_init_find(&it, b->in->command, "index"))
		return 0;
	if (BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), "*") == 0) {
		for (size_t i = 0; i < st->n_indexes; i++) {
			if (strcmp(spec_name(b->a, st->indexes[i]), "_id_") == 0)
				continue;
			ARENA_GROW(b->a, specs, n, alloc, n + 1);
			specs[n++] = st->indexes[i];
		}
	} else if (BSON_ITER_HOLDS_UTF8(&it) || BSON_ITER_HOLDS_DOCUMENT(&it)) {
		bson_t key;
		const bson_t *spec = BSON_ITER_HOLDS_UTF8(&it)
					 ? state_index(b, bson_iter_utf8(&it, NULL), NULL)
				     : iter_document(&it, &key) ? state_index(b, NULL, &key)
								: NULL;
		if (spec) {
			ARENA_GROW(b->a, specs, n, alloc, n + 1);
			specs[n++] = spec;
		}
	} else if (BSON_ITER_HOLDS_ARRAY(&it)) {
		bson_iter_t names;
		bson_iter_recurse(&it, &names);
		while (bson_iter_next(&names)) {
			if (!BSON_ITER_HOLDS_UTF8(&names))
				continue;
			const bson_t *spec = state_index(b, bson_iter_utf8(&names, NULL), NULL);
			if (spec) {
				ARENA_GROW(b->a, specs, n, alloc, n + 1);
				specs[n++] = spec;
			}
		}
	}
	if (n == 0 && b->in->resuming && st->exists)
		return irreversible(b, err,
				    "the run that was interrupted dropped the index before its "
				    "definition was recorded");
	/* an index that is not there fails the command itself, with the server's word */
	if (n)
		add_create_indexes(b, specs, n);
	return 0;
}

static int build_create(struct build *b)
{
	forward_as_written(b);
	/* MongoDB 7 accepts creating an existing collection with the same options:
	 * then there is nothing of this migration's to drop */
	if (!b->in->state->exists || b->in->resuming)
		add_drop_collection(b, b->target);
	return 0;
}

static void add_trash_registry(struct build *b, const char *trash)
{
	bson_t doc = BSON_INITIALIZER, ups, up, q, u, set;
	BSON_APPEND_UTF8(&doc, "update", MONGO_TRASH_REGISTRY);
	bson_append_array_begin(&doc, "updates", -1, &ups);
	bson_append_document_begin(&ups, "0", -1, &up);
	bson_append_document_begin(&up, "q", -1, &q);
	BSON_APPEND_UTF8(&q, "_id", trash);
	bson_append_document_end(&up, &q);
	bson_append_document_begin(&up, "u", -1, &u);
	bson_append_document_begin(&u, "$set", -1, &set);
	BSON_APPEND_INT64(&set, "version", b->in->version);
	BSON_APPEND_UTF8(&set, "source", b->target);
	BSON_APPEND_DATE_TIME(&set, "created_at", b->in->state->now_ms);
	bson_append_document_end(&u, &set);
	bson_append_document_end(&up, &u);
	BSON_APPEND_BOOL(&up, "upsert", true);
	bson_append_document_end(&ups, &up);
	bson_append_array_end(&doc, &ups);
	add(b, b->forward, &doc, MONGO_STEP_DONE_OK);
	bson_destroy(&doc);

	bson_t del = BSON_INITIALIZER, dels, d0, dq;
	BSON_APPEND_UTF8(&del, "delete", MONGO_TRASH_REGISTRY);
	bson_append_array_begin(&del, "deletes", -1, &dels);
	bson_append_document_begin(&dels, "0", -1, &d0);
	bson_append_document_begin(&d0, "q", -1, &dq);
	BSON_APPEND_UTF8(&dq, "_id", trash);
	bson_append_document_end(&d0, &dq);
	BSON_APPEND_INT32(&d0, "limit", 1);
	bson_append_document_end(&dels, &d0);
	bson_append_array_end(&del, &dels);
	add(b, b->inverse, &del, MONGO_STEP_DONE_OK);
	bson_destroy(&del);
}

static int build_drop(struct build *b, struct mg_error *err)
{
	const struct mongo_state *st = b->in->state;
	if (st->exists && st->is_view) {
		/* a view holds no documents: recreate it from its definition */
		bson_iter_t it;
		if (!st->options || !bson_iter_init_find(&it, st->options, "viewOn"))
			return irreversible(b, err, "the view's definition could not be read");
		forward_as_written(b);
		bson_t doc = BSON_INITIALIZER;
		BSON_APPEND_UTF8(&doc, "create", b->target);
		bson_append_iter(&doc, "viewOn", -1, &it);
		if (bson_iter_init_find(&it, st->options, "pipeline"))
			bson_append_iter(&doc, "pipeline", -1, &it);
		if (bson_iter_init_find(&it, st->options, "collation"))
			bson_append_iter(&doc, "collation", -1, &it);
		add(b, b->inverse, &doc, MONGO_STEP_DONE_OK);
		bson_destroy(&doc);
		return 0;
	}
	if (!st->exists && !b->in->resuming) {
		forward_as_written(b); /* drops nothing */
		return 0;
	}
	/* the collection keeps its documents, indexes and validator in the trash;
	 * revert renames it back. After an interruption it may be there already. */
	const char *trash = mongo_trash_name(b->a, b->in->version, b->target);
	if (st->exists)
		add_rename(b, b->forward, b->target, trash,
			   b->in->resuming ? MONGO_STEP_DONE_OK : 0);
	add_rename(b, b->inverse, trash, b->target, MONGO_STEP_DONE_OK);
	add_trash_registry(b, trash);
	return 0;
}

static int build_rename(struct build *b, struct mg_error *err)
{
	bson_iter_t it;
	if (bson_iter_init_find(&it, b->in->command, "dropTarget") && bson_iter_as_bool(&it))
		return irreversible(b, err,
				    "dropTarget drops the target collection, which is not kept");
	forward_as_written(b);
	if (bson_iter_init_find(&it, b->in->command, "to") && BSON_ITER_HOLDS_UTF8(&it))
		add_rename(b, b->inverse, bson_iter_utf8(&it, NULL), b->target, MONGO_STEP_DONE_OK);
	return 0;
}

/* Appends to inv the value key had in the collection's options, or its default. */
static void append_previous_option(struct build *b, bson_t *inv, const char *key)
{
	const bson_t *opts = b->in->state->options;
	bson_iter_t it;
	if (opts && bson_iter_init_find(&it, opts, key)) {
		bson_append_iter(inv, key, -1, &it);
	} else if (strcmp(key, "validator") == 0) {
		bson_t empty = BSON_INITIALIZER;
		BSON_APPEND_DOCUMENT(inv, key, &empty);
		bson_destroy(&empty);
	} else if (strcmp(key, "validationLevel") == 0) {
		BSON_APPEND_UTF8(inv, key, "strict");
	} else if (strcmp(key, "validationAction") == 0) {
		BSON_APPEND_UTF8(inv, key, "error");
	} else if (strcmp(key, "changeStreamPreAndPostImages") == 0) {
		bson_t off = BSON_INITIALIZER;
		BSON_APPEND_BOOL(&off, "enabled", false);
		BSON_APPEND_DOCUMENT(inv, key, &off);
		bson_destroy(&off);
	} else if (strcmp(key, "expireAfterSeconds") == 0) {
		BSON_APPEND_UTF8(inv, key, "off");
	}
}

/*
 * collMod's index part: hidden, prepareUnique and a changed TTL go back to
 * their recorded values; converting to unique (or adding a TTL) has no
 * collMod that undoes it, so the index is rebuilt from its recorded spec.
 */
static int collmod_index(struct build *b, const bson_iter_t *index_it, bson_t *inv,
			 bool *ret_has_index, struct mg_error *err)
{
	bson_iter_t ix;
	const char *name = NULL;
	bson_t key;
	bool has_key = false;
	bson_iter_recurse(index_it, &ix);
	while (bson_iter_next(&ix)) {
		if (strcmp(bson_iter_key(&ix), "name") == 0 && BSON_ITER_HOLDS_UTF8(&ix))
			name = bson_iter_utf8(&ix, NULL);
		else if (strcmp(bson_iter_key(&ix), "keyPattern") == 0)
			has_key = iter_document(&ix, &key);
	}
	const bson_t *spec = state_index(b, name, has_key ? &key : NULL);
	if (!spec)
		return 0; /* the server refuses a collMod of an index that is not there */
	bson_t idx = BSON_INITIALIZER;
	BSON_APPEND_UTF8(&idx, "name", spec_name(b->a, spec));
	bool rebuild = false, changes = false;
	bson_iter_recurse(index_it, &ix);
	while (bson_iter_next(&ix)) {
		const char *k = bson_iter_key(&ix);
		bson_iter_t prev;
		bool had = bson_iter_init_find(&prev, spec, k);
		if (strcmp(k, "hidden") == 0 || strcmp(k, "prepareUnique") == 0) {
			BSON_APPEND_BOOL(&idx, k, had && bson_iter_as_bool(&prev));
			changes = true;
		} else if (strcmp(k, "expireAfterSeconds") == 0) {
			if (had) {
				bson_append_iter(&idx, k, -1, &prev);
				changes = true;
			} else {
				rebuild = true;
			}
		} else if (strcmp(k, "unique") == 0) {
			if (!(had && bson_iter_as_bool(&prev)) && bson_iter_as_bool(&ix))
				rebuild = true;
		}
	}
	if (rebuild) {
		const char *n = spec_name(b->a, spec);
		add_drop_indexes(b, b->inverse, &n, 1);
		add_create_indexes(b, &spec, 1);
	} else if (changes) {
		BSON_APPEND_DOCUMENT(inv, "index", &idx);
		*ret_has_index = true;
	}
	bson_destroy(&idx);
	return 0;
}

static int build_collmod(struct build *b, struct mg_error *err)
{
	const char *bad = collmod_unsupported(b->in->command);
	if (bad)
		return irreversible(
		    b, err, arena_printf(b->a, "collMod option '%s' has no derived undo", bad));
	forward_as_written(b);
	bson_t inv = BSON_INITIALIZER;
	BSON_APPEND_UTF8(&inv, "collMod", b->target);
	bool any = false;
	bson_iter_t it;
	/* the inverse collMod goes first, the rebuilt index after it */
	struct step_list *later = b->inverse;
	struct step_list rebuilt = {0};
	b->inverse = &rebuilt;
	int rc = 0;
	bson_iter_init(&it, b->in->command);
	bson_iter_next(&it);
	while (rc == 0 && bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		if (is_generic_option(key))
			continue;
		if (strcmp(key, "index") == 0) {
			rc = collmod_index(b, &it, &inv, &any, err);
			continue;
		}
		if ((strcmp(key, "viewOn") == 0 || strcmp(key, "pipeline") == 0) &&
		    !(b->in->state->options && bson_has_field(b->in->state->options, key))) {
			rc = irreversible(b, err, "the view's definition could not be read");
			break;
		}
		append_previous_option(b, &inv, key);
		any = true;
	}
	b->inverse = later;
	if (rc == 0 && any)
		add(b, b->inverse, &inv, MONGO_STEP_DONE_OK);
	for (size_t i = 0; rc == 0 && i < rebuilt.n; i++)
		step_list_add(b->a, b->inverse, rebuilt.items[i].sql, rebuilt.items[i].flags,
			      rebuilt.items[i].file, rebuilt.items[i].line,
			      rebuilt.items[i].column);
	bson_destroy(&inv);
	return rc;
}

static void build_update(struct build *b)
{
	forward_as_written(b);
	if (!update_is_plain_rename(b->in->command))
		return; /* lint refused data changes it cannot undo */
	struct view {
		const uint8_t *data;
		uint32_t len;
	} *stmts = NULL;
	size_t n = 0, alloc = 0;
	bson_iter_t it, up;
	bson_iter_init_find(&it, b->in->command, "updates");
	bson_iter_recurse(&it, &up);
	while (bson_iter_next(&up)) {
		ARENA_GROW(b->a, stmts, n, alloc, n + 1);
		bson_iter_document(&up, &stmts[n].len, &stmts[n].data);
		n++;
	}
	bson_t doc = BSON_INITIALIZER, ups;
	BSON_APPEND_UTF8(&doc, "update", b->target);
	bson_append_array_begin(&doc, "updates", -1, &ups);
	/* last statement first: a later rename may move a field an earlier one made */
	for (size_t k = 0; k < n; k++) {
		bson_t st;
		bson_iter_t u, ren, multi;
		bson_init_static(&st, stmts[n - 1 - k].data, stmts[n - 1 - k].len);
		bson_iter_init_find(&u, &st, "u");
		bson_iter_recurse(&u, &ren);
		bson_iter_next(&ren);
		char key[24];
		snprintf(key, sizeof(key), "%zu", k);
		bson_t out, q, uo, r;
		bson_iter_t field;
		bson_append_document_begin(&ups, key, -1, &out);
		bson_append_document_begin(&out, "q", -1, &q);
		bson_append_document_end(&out, &q);
		bson_append_document_begin(&out, "u", -1, &uo);
		bson_append_document_begin(&uo, "$rename", -1, &r);
		bson_iter_recurse(&ren, &field);
		while (bson_iter_next(&field))
			BSON_APPEND_UTF8(&r, bson_iter_utf8(&field, NULL), bson_iter_key(&field));
		bson_append_document_end(&uo, &r);
		bson_append_document_end(&out, &uo);
		if (bson_iter_init_find(&multi, &st, "multi"))
			BSON_APPEND_BOOL(&out, "multi", bson_iter_as_bool(&multi));
		bson_append_document_end(&ups, &out);
	}
	bson_append_array_end(&doc, &ups);
	add(b, b->inverse, &doc, MONGO_STEP_DONE_OK);
	bson_destroy(&doc);
}

/* Inserts get their _ids here, not on the server, so revert knows what to delete. */
static void build_insert(struct build *b)
{
	bson_t fwd = BSON_INITIALIZER, ids = BSON_INITIALIZER;
	bson_iter_t it;
	size_t n_ids = 0;
	bson_iter_init(&it, b->in->command);
	while (bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		if (strcmp(key, "ordered") == 0 && b->in->resuming)
			continue;
		if (strcmp(key, "documents") != 0 || !BSON_ITER_HOLDS_ARRAY(&it)) {
			bson_append_iter(&fwd, key, -1, &it);
			continue;
		}
		bson_t docs;
		bson_iter_t d;
		size_t pos = 0;
		bson_append_array_begin(&fwd, "documents", -1, &docs);
		bson_iter_recurse(&it, &d);
		for (; bson_iter_next(&d); pos++) {
			bson_t src, out;
			bson_iter_t id, f;
			char k[24], ik[24];
			snprintf(k, sizeof(k), "%zu", pos);
			if (!BSON_ITER_HOLDS_DOCUMENT(&d) || !iter_document(&d, &src)) {
				bson_append_iter(&docs, k, -1, &d); /* the server refuses it */
				continue;
			}
			snprintf(ik, sizeof(ik), "%zu", n_ids++);
			bson_append_document_begin(&docs, k, -1, &out);
			if (bson_iter_init_find(&id, &src, "_id")) {
				bson_append_iter(&ids, ik, -1, &id);
			} else {
				bson_oid_t oid;
				bson_oid_init(&oid, NULL);
				BSON_APPEND_OID(&out, "_id", &oid);
				BSON_APPEND_OID(&ids, ik, &oid);
			}
			bson_iter_init(&f, &src);
			while (bson_iter_next(&f))
				bson_append_iter(&out, NULL, 0, &f);
			bson_append_document_end(&docs, &out);
		}
		bson_append_array_end(&fwd, &docs);
	}
	/* an interrupted run may have inserted some: the rest go in, duplicates are done */
	if (b->in->resuming)
		BSON_APPEND_BOOL(&fwd, "ordered", false);
	add(b, b->forward, &fwd, b->in->resuming ? MONGO_STEP_DONE_OK : 0);

	if (n_ids) {
		bson_t del = BSON_INITIALIZER, dels, d0, q, idq;
		BSON_APPEND_UTF8(&del, "delete", b->target);
		bson_append_array_begin(&del, "deletes", -1, &dels);
		bson_append_document_begin(&dels, "0", -1, &d0);
		bson_append_document_begin(&d0, "q", -1, &q);
		bson_append_document_begin(&q, "_id", -1, &idq);
		BSON_APPEND_ARRAY(&idq, "$in", &ids);
		bson_append_document_end(&q, &idq);
		bson_append_document_end(&d0, &q);
		BSON_APPEND_INT32(&d0, "limit", 0);
		bson_append_document_end(&dels, &d0);
		bson_append_array_end(&del, &dels);
		add(b, b->inverse, &del, MONGO_STEP_DONE_OK);
		bson_destroy(&del);
	}
	bson_destroy(&ids);
	bson_destroy(&fwd);
}

int mongo_inverse_build(struct arena *a, const struct mongo_inverse_input *in,
			struct step_list *ret_forward, struct step_list *ret_inverse,
			struct mg_error *err)
{
	memset(ret_forward, 0, sizeof(*ret_forward));
	memset(ret_inverse, 0, sizeof(*ret_inverse));
	struct build b = {a, in, ret_forward, ret_inverse, NULL};
	const char *name = command_name(in->command, &b.target);
	bool needs_target = strcmp(name, "createIndexes") == 0 || strcmp(name, "create") == 0 ||
			    strcmp(name, "drop") == 0 || strcmp(name, "dropIndexes") == 0 ||
			    strcmp(name, "deleteIndexes") == 0 ||
			    strcmp(name, "renameCollection") == 0 || strcmp(name, "collMod") == 0 ||
			    strcmp(name, "update") == 0 || strcmp(name, "insert") == 0;
	if (needs_target && (!b.target || !*b.target))
		return irreversible(&b, err,
				    arena_printf(a, "'%s' names no collection (a string)", name));

	if (strcmp(name, "createIndexes") == 0)
		return build_create_indexes(&b);
	if (strcmp(name, "dropIndexes") == 0 || strcmp(name, "deleteIndexes") == 0)
		return build_drop_indexes(&b, err);
	if (strcmp(name, "create") == 0)
		return build_create(&b);
	if (strcmp(name, "drop") == 0)
		return build_drop(&b, err);
	if (strcmp(name, "renameCollection") == 0)
		return build_rename(&b, err);
	if (strcmp(name, "collMod") == 0)
		return build_collmod(&b, err);
	if (strcmp(name, "update") == 0) {
		build_update(&b);
		return 0;
	}
	if (strcmp(name, "insert") == 0) {
		build_insert(&b);
		return 0;
	}
	if (strcmp(name, "delete") == 0 || strcmp(name, "findAndModify") == 0 ||
	    is_read_only(name)) {
		/* lint refused data changes it cannot undo */
		forward_as_written(&b);
		return 0;
	}
	const char *reason;
	mongo_inverse_classify(in->command, false, &reason);
	return irreversible(&b, err, reason);
}
