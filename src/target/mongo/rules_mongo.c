#include "target/mongo/rules_mongo.h"

#include <stdarg.h>
#include <string.h>

#include "target/mongo/mongo_file.h"
#include "target/mongo/inverse_mongo.h"

/* ---- what the set made so far ---- */

struct mongo_collection {
	const char *name;
	int created_in;	    /* order of the migration that created it */
	const char *action; /* validationAction the set gave it; NULL: the server's default */
	const char *level;  /* validationLevel likewise */
};

struct mongo_index {
	const char *collection;
	const char *name;
	int created_in; /* -1: made before the set (only known because it was prepared) */
	bool prepared;	/* collMod prepareUnique: true ran on it */
};

struct lint_mongo_state {
	struct mongo_collection *collections;
	size_t n_collections, alloc_collections;
	struct mongo_index *indexes;
	size_t n_indexes, alloc_indexes;
};

struct mongo_lint {
	struct lint_ctx *ctx;
	struct lint_mongo_state *st;
	const struct mongo_file *file;
	const struct mongo_command *command;
	bson_t cmd; /* the command, read-only */
};

/* "db.users" and "users" name the same collection in a migration of that database. */
static const char *bare_name(const char *name)
{
	const char *dot = name ? strchr(name, '.') : NULL;
	return dot ? dot + 1 : name;
}

static struct mongo_collection *collection_find(struct lint_mongo_state *st, const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = st->n_collections; i-- > 0;)
		if (strcmp(st->collections[i].name, name) == 0)
			return &st->collections[i];
	return NULL;
}

static void collection_forget(struct lint_mongo_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_collections; i++)
		if (strcmp(st->collections[i].name, name) == 0)
			st->collections[i].name = "";
	for (size_t i = 0; i < st->n_indexes; i++)
		if (strcmp(st->indexes[i].collection, name) == 0)
			st->indexes[i].name = "";
}

static struct mongo_index *index_find(struct lint_mongo_state *st, const char *collection,
				      const char *name)
{
	for (size_t i = st->n_indexes; i-- > 0;)
		if (strcmp(st->indexes[i].collection, collection) == 0 &&
		    strcmp(st->indexes[i].name, name) == 0)
			return &st->indexes[i];
	return NULL;
}

static struct mongo_index *index_add(struct arena *a, struct lint_mongo_state *st,
				     const char *collection, const char *name, int created_in)
{
	ARENA_GROW(a, st->indexes, st->n_indexes, st->alloc_indexes, st->n_indexes + 1);
	struct mongo_index *ix = &st->indexes[st->n_indexes++];
	memset(ix, 0, sizeof(*ix));
	ix->collection = arena_strdup(a, collection);
	ix->name = arena_strdup(a, name);
	ix->created_in = created_in;
	return ix;
}

/* True when the command's collection was created earlier in this same migration. */
static bool target_is_new(const struct mongo_lint *l, const char *name)
{
	const struct mongo_collection *c = collection_find(l->st, bare_name(name));
	return c && c->created_in == l->ctx->migration->order;
}

/* ---- reading commands ---- */

static bool document_is_empty(const bson_iter_t *it)
{
	uint32_t len = 0;
	const uint8_t *data;
	if (BSON_ITER_HOLDS_DOCUMENT(it))
		bson_iter_document(it, &len, &data);
	return len <= 5;
}

static bool view_of(const bson_iter_t *it, bson_t *ret)
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

static const char *string_field(const bson_t *doc, const char *key)
{
	bson_iter_t it;
	if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it))
		return bson_iter_utf8(&it, NULL);
	return NULL;
}

/* The name of an index spec ({"key": ..., "name": ...}) or of a collMod index reference. */
static const char *index_ref_name(struct arena *a, const bson_t *ref, const char *key_field)
{
	const char *name = string_field(ref, "name");
	bson_iter_t it;
	bson_t key;
	if (name)
		return name;
	if (bson_iter_init_find(&it, ref, key_field) && view_of(&it, &key))
		return mongo_index_default_name(a, &key);
	return "";
}

/*
 * Calls fn for each update document of an update or findAndModify command:
 * {"update": c, "updates": [{"q": ..., "u": U}]} and {"findAndModify": c,
 * "update": U}. U is a document of operators or an aggregation pipeline.
 */
static bool any_update(const struct mongo_lint *l, bool (*fn)(const bson_iter_t *u, const char *op),
		       const char *op)
{
	const char *name = l->command->name;
	bson_iter_t it;
	if (strcmp(name, "findAndModify") == 0 || strcmp(name, "findandmodify") == 0)
		return bson_iter_init_find(&it, &l->cmd, "update") && fn(&it, op);
	if (strcmp(name, "update") != 0)
		return false;
	bson_iter_t ups;
	if (!bson_iter_init_find(&it, &l->cmd, "updates") || !BSON_ITER_HOLDS_ARRAY(&it) ||
	    !bson_iter_recurse(&it, &ups))
		return false;
	while (bson_iter_next(&ups)) {
		bson_t st;
		bson_iter_t u;
		if (view_of(&ups, &st) && bson_iter_init_find(&u, &st, "u") && fn(&u, op))
			return true;
	}
	return false;
}

/* U holds the operator op, or (a pipeline) a stage op. */
static bool update_uses(const bson_iter_t *u, const char *op)
{
	bson_t doc;
	bson_iter_t it;
	if (!view_of(u, &doc))
		return false;
	if (BSON_ITER_HOLDS_DOCUMENT(u))
		return bson_iter_init_find(&it, &doc, op);
	bson_iter_t stage;
	if (!bson_iter_init(&it, &doc))
		return false;
	while (bson_iter_next(&it)) {
		bson_t s;
		if (view_of(&it, &s) && bson_iter_init_find(&stage, &s, op))
			return true;
	}
	return false;
}

/* ---- findings ---- */

static enum lint_severity severity_of(const struct mongo_lint *l, const struct lint_rule *rule)
{
	enum lint_severity sev = l->ctx->opts->severity[rule - lint_rules];
	if (l->ctx->opts->raw && sev == LINT_PLANNED)
		sev = LINT_ERROR;
	return sev;
}

static void report(struct mongo_lint *l, const struct lint_rule *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(struct mongo_lint *l, const struct lint_rule *rule, const char *fmt, ...)
{
	struct lint_ctx *ctx = l->ctx;
	enum lint_severity sev = severity_of(l, rule);
	if (sev == LINT_OFF)
		return;
	const struct mongo_command *c = l->command;
	va_list ap;
	va_start(ap, fmt);
	char *msg = arena_vprintf(ctx->arena, fmt, ap);
	va_end(ap);
	struct lint_result *res = ctx->result;
	ARENA_GROW(ctx->arena, res->findings, res->n_findings, res->alloc_findings,
		   res->n_findings + 1);
	struct lint_finding *f = &res->findings[res->n_findings++];
	memset(f, 0, sizeof(*f));
	f->file = ctx->migration->path;
	f->line = c->line;
	f->column = c->column;
	f->rule = rule;
	f->severity = sev;
	/* the command's place in its section: line numbers alone do not say it for
	 * a file written on one line */
	f->message = arena_printf(ctx->arena, "%s[%zu] %s: %s", migration_section_name(c->section),
				  c->index, c->name, msg);
	f->help = rule->help;
	f->migration = ctx->migration;
	f->section = c->section;
	if (sev == LINT_ERROR)
		res->n_errors++;
	else if (sev == LINT_WARNING)
		res->n_warnings++;
	else if (sev == LINT_PLANNED)
		res->n_planned++;
}

/* ---- the rules ---- */

typedef void (*mongo_check_fn)(struct mongo_lint *l, const struct lint_rule *rule);

static bool is(const struct mongo_lint *l, const char *name)
{
	return strcmp(l->command->name, name) == 0;
}

static void check_drop_collection(struct mongo_lint *l, const struct lint_rule *rule)
{
	if (is(l, "drop") && !target_is_new(l, l->command->target))
		report(l, rule, "dropping collection '%s' breaks app versions that still use it",
		       l->command->target ? l->command->target : "?");
}

static void check_drop_database(struct mongo_lint *l, const struct lint_rule *rule)
{
	if (is(l, "dropDatabase"))
		report(l, rule, "dropping the database removes every collection in it");
}

static void check_rename_collection(struct mongo_lint *l, const struct lint_rule *rule)
{
	if (is(l, "renameCollection") && !target_is_new(l, l->command->target))
		report(l, rule, "renaming '%s' breaks every app version that uses the old name",
		       l->command->target ? l->command->target : "?");
}

static void check_drop_index(struct mongo_lint *l, const struct lint_rule *rule)
{
	if (!is(l, "dropIndexes") && !is(l, "deleteIndexes"))
		return;
	const char *coll = bare_name(l->command->target);
	if (!coll || target_is_new(l, coll))
		return;
	bson_iter_t it;
	/* indexes this migration made itself may go again */
	if (bson_iter_init_find(&it, &l->cmd, "index") && BSON_ITER_HOLDS_UTF8(&it)) {
		const struct mongo_index *ix = index_find(l->st, coll, bson_iter_utf8(&it, NULL));
		if (ix && ix->created_in == l->ctx->migration->order)
			return;
	}
	report(l, rule, "dropping indexes of '%s' slows or breaks queries of running app versions",
	       coll);
}

static void check_rename_field(struct mongo_lint *l, const struct lint_rule *rule)
{
	if (!target_is_new(l, l->command->target) && any_update(l, update_uses, "$rename"))
		report(
		    l, rule,
		    "$rename moves fields that running app versions still read under the old name");
}

static void check_unset_field(struct mongo_lint *l, const struct lint_rule *rule)
{
	if (!target_is_new(l, l->command->target) && any_update(l, update_uses, "$unset"))
		report(l, rule, "$unset removes fields that running app versions still read");
}

static void check_validator_strict(struct mongo_lint *l, const struct lint_rule *rule)
{
	if (!is(l, "collMod") || target_is_new(l, l->command->target))
		return;
	bson_iter_t it;
	bool has_validator =
	    bson_iter_init_find(&it, &l->cmd, "validator") && !document_is_empty(&it);
	const char *action = string_field(&l->cmd, "validationAction");
	const char *level = string_field(&l->cmd, "validationLevel");
	bool tightens = has_validator || (action && strcmp(action, "error") == 0) ||
			(level && strcmp(level, "strict") == 0);
	if (!tightens)
		return;
	const struct mongo_collection *c = collection_find(l->st, bare_name(l->command->target));
	if (!action)
		action = c && c->action ? c->action : "error";
	if (!level)
		level = c && c->level ? c->level : "strict";
	if (strcmp(action, "error") == 0 && strcmp(level, "strict") == 0)
		report(l, rule,
		       "the validator on '%s' rejects writes (validationAction \"error\", "
		       "validationLevel \"strict\") that running app versions may still make",
		       l->command->target);
}

/* True when the index was prepared (collMod prepareUnique: true) earlier in the set. */
static bool index_prepared(const struct mongo_lint *l, const char *coll, const char *name)
{
	const struct mongo_index *ix = index_find(l->st, coll, name);
	return ix && ix->prepared;
}

static void check_unique_index(struct mongo_lint *l, const struct lint_rule *rule)
{
	const char *coll = bare_name(l->command->target);
	if (!coll || target_is_new(l, coll))
		return;
	struct arena *a = l->ctx->arena;
	bson_iter_t it, specs;
	if (is(l, "createIndexes") && bson_iter_init_find(&it, &l->cmd, "indexes") &&
	    BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &specs)) {
		while (bson_iter_next(&specs)) {
			bson_t spec;
			bson_iter_t u;
			if (!view_of(&specs, &spec) || !bson_iter_init_find(&u, &spec, "unique") ||
			    !bson_iter_as_bool(&u))
				continue;
			const char *name = index_ref_name(a, &spec, "key");
			if (!index_prepared(l, coll, name))
				report(l, rule,
				       "unique index '%s' on existing collection '%s': the build "
				       "fails on duplicates and old app versions' duplicate writes "
				       "start failing",
				       name, coll);
		}
	}
	bson_t ref;
	bson_iter_t u;
	if (is(l, "collMod") && bson_iter_init_find(&it, &l->cmd, "index") && view_of(&it, &ref) &&
	    bson_iter_init_find(&u, &ref, "unique") && bson_iter_as_bool(&u)) {
		const char *name = index_ref_name(a, &ref, "keyPattern");
		if (!index_prepared(l, coll, name))
			report(l, rule,
			       "index '%s' of '%s' becomes unique without prepareUnique first",
			       name, coll);
	}
}

static void check_ttl_index(struct mongo_lint *l, const struct lint_rule *rule)
{
	const char *coll = bare_name(l->command->target);
	if (!coll || target_is_new(l, coll))
		return;
	bson_iter_t it, specs;
	bool ttl = false;
	if (is(l, "createIndexes") && bson_iter_init_find(&it, &l->cmd, "indexes") &&
	    BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &specs)) {
		while (bson_iter_next(&specs)) {
			bson_t spec;
			if (view_of(&specs, &spec) && bson_has_field(&spec, "expireAfterSeconds"))
				ttl = true;
		}
	}
	bson_t ref;
	if (is(l, "collMod") &&
	    ((bson_iter_init_find(&it, &l->cmd, "index") && view_of(&it, &ref) &&
	      bson_has_field(&ref, "expireAfterSeconds")) ||
	     bson_has_field(&l->cmd, "expireAfterSeconds")))
		ttl = true;
	if (ttl)
		report(
		    l, rule,
		    "TTL change on '%s': the server starts deleting expired documents as soon as "
		    "it applies",
		    coll);
}

static void check_irreversible(struct mongo_lint *l, const struct lint_rule *rule)
{
	enum migration_section s = l->command->section;
	enum migration_section revert =
	    s == SECTION_EXPAND ? SECTION_REVERT_EXPAND : SECTION_REVERT_CONTRACT;
	/* a hand-written revert section (even an empty one) replaces derived undo */
	if (l->file->sections[revert].present)
		return;
	const char *reason;
	if (mongo_inverse_classify(&l->cmd, target_is_new(l, l->command->target), &reason) ==
	    INVERSE_IRREVERSIBLE)
		report(l, rule, "cannot be reverted automatically: %s", reason);
}

static const struct {
	const char *id;
	mongo_check_fn check;
} mongo_checks[] = {
    {"mongo-drop-collection", check_drop_collection},
    {"mongo-drop-database", check_drop_database},
    {"mongo-rename-collection", check_rename_collection},
    {"mongo-drop-index", check_drop_index},
    {"mongo-rename-field", check_rename_field},
    {"mongo-unset-field", check_unset_field},
    {"mongo-validator-strict", check_validator_strict},
    {"mongo-unique-index", check_unique_index},
    {"mongo-ttl-index", check_ttl_index},
    {"mongo-irreversible", check_irreversible},
};

/* Where a rule applies, as for SQL: breaking ones in expand only. */
static bool rule_applies(const struct lint_rule *rule, enum migration_section s, bool raw)
{
	switch (rule->kind) {
	case LINT_KIND_BREAKING:
		return s == SECTION_EXPAND;
	case LINT_KIND_REVERSIBLE:
		return !raw && (s == SECTION_EXPAND || s == SECTION_CONTRACT);
	case LINT_KIND_META:
		return false;
	default:
		return true;
	}
}

/* ---- replay ---- */

static void replay(struct mongo_lint *l)
{
	struct arena *a = l->ctx->arena;
	struct lint_mongo_state *st = l->st;
	const char *coll = bare_name(l->command->target);
	int order = l->ctx->migration->order;
	bson_iter_t it, specs;
	if (!coll)
		return;
	if (is(l, "create")) {
		ARENA_GROW(a, st->collections, st->n_collections, st->alloc_collections,
			   st->n_collections + 1);
		struct mongo_collection *c = &st->collections[st->n_collections++];
		memset(c, 0, sizeof(*c));
		c->name = arena_strdup(a, coll);
		c->created_in = order;
		const char *action = string_field(&l->cmd, "validationAction");
		const char *level = string_field(&l->cmd, "validationLevel");
		c->action = action ? arena_strdup(a, action) : NULL;
		c->level = level ? arena_strdup(a, level) : NULL;
	} else if (is(l, "drop")) {
		collection_forget(st, coll);
	} else if (is(l, "renameCollection")) {
		const char *to = bare_name(string_field(&l->cmd, "to"));
		if (!to)
			return;
		struct mongo_collection *c = collection_find(st, coll);
		if (c)
			c->name = arena_strdup(a, to);
		for (size_t i = 0; i < st->n_indexes; i++)
			if (strcmp(st->indexes[i].collection, coll) == 0)
				st->indexes[i].collection = arena_strdup(a, to);
	} else if (is(l, "createIndexes")) {
		if (!bson_iter_init_find(&it, &l->cmd, "indexes") || !BSON_ITER_HOLDS_ARRAY(&it) ||
		    !bson_iter_recurse(&it, &specs))
			return;
		while (bson_iter_next(&specs)) {
			bson_t spec;
			if (view_of(&specs, &spec))
				index_add(a, st, coll, index_ref_name(a, &spec, "key"), order);
		}
	} else if (is(l, "dropIndexes") || is(l, "deleteIndexes")) {
		if (bson_iter_init_find(&it, &l->cmd, "index") && BSON_ITER_HOLDS_UTF8(&it)) {
			struct mongo_index *ix = index_find(st, coll, bson_iter_utf8(&it, NULL));
			if (ix)
				ix->name = "";
		}
	} else if (is(l, "collMod")) {
		struct mongo_collection *c = collection_find(st, coll);
		const char *action = string_field(&l->cmd, "validationAction");
		const char *level = string_field(&l->cmd, "validationLevel");
		if (!c && (action || level)) {
			ARENA_GROW(a, st->collections, st->n_collections, st->alloc_collections,
				   st->n_collections + 1);
			c = &st->collections[st->n_collections++];
			memset(c, 0, sizeof(*c));
			c->name = arena_strdup(a, coll);
			c->created_in = -1;
		}
		if (c && action)
			c->action = arena_strdup(a, action);
		if (c && level)
			c->level = arena_strdup(a, level);
		bson_t ref;
		bson_iter_t p;
		if (bson_iter_init_find(&it, &l->cmd, "index") && view_of(&it, &ref) &&
		    bson_iter_init_find(&p, &ref, "prepareUnique")) {
			const char *name = index_ref_name(a, &ref, "keyPattern");
			struct mongo_index *ix = index_find(st, coll, name);
			if (!ix)
				ix = index_add(a, st, coll, name, -1);
			ix->prepared = bson_iter_as_bool(&p);
		}
	}
}

int lint_mongo_migration(struct lint_ctx *ctx, const struct migration *m,
			 struct lint_mongo_state **state, struct mg_error *err)
{
	struct mongo_file file;
	if (mongo_file_parse(ctx->arena, m, &file, err) < 0)
		return -1;
	if (!*state)
		*state = arena_alloc(ctx->arena, sizeof(**state));
	ctx->migration = m;
	ctx->stmt = NULL;
	struct mongo_lint l = {.ctx = ctx, .st = *state, .file = &file};
	for (int s = 0; s < SECTION__COUNT; s++) {
		const struct mongo_section *sec = &file.sections[s];
		for (size_t k = 0; k < sec->n; k++) {
			l.command = &sec->commands[k];
			mongo_command_bson(l.command, &l.cmd);
			ctx->result->n_statements++;
			for (size_t r = 0; r < sizeof(mongo_checks) / sizeof(mongo_checks[0]);
			     r++) {
				const struct lint_rule *rule = lint_rule_find(mongo_checks[r].id);
				if (!rule || !rule_applies(rule, s, ctx->opts->raw) ||
				    severity_of(&l, rule) == LINT_OFF)
					continue;
				mongo_checks[r].check(&l, rule);
			}
			/* the revert sections are undone by design; only the forward
			 * phases build what later migrations see */
			if (s == SECTION_EXPAND || s == SECTION_CONTRACT)
				replay(&l);
		}
	}
	return 0;
}
