/*
 * Inverse derivation for MongoDB commands, with no server: given a command
 * and what the database held right before it (listCollections' options,
 * listIndexes' specs), the commands that run and the ones that undo them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "target/mongo/mongo_file.h"
#include "target/mongo/inverse_mongo.h"

#define N(rows) (sizeof(rows) / sizeof((rows)[0]))
#define NOW	1700000000000LL /* 2023-11-14T22:13:20Z */

struct inv_case {
	const char *command;
	enum migration_section section;
	bool resuming;
	bool exists;
	bool is_view;
	const char *options;	/* listCollections' options, JSON; NULL for none */
	const char *indexes;	/* {"i": [spec, ...]} as listIndexes gives them; NULL for none */
	const char *forward[4]; /* NULL: the command as written, alone */
	const char *inverse[4];
	const char *error; /* part of the message when the build must fail */
};

static bson_t *json(const char *text)
{
	bson_error_t e;
	bson_t *b = bson_new_from_json((const uint8_t *)text, -1, &e);
	if (!b)
		fail_msg("bad JSON in the test: %s: %s", e.message, text);
	return b;
}

/* Both sides parsed and printed as canonical Extended JSON, so spacing does not matter. */
static char *canonical(const char *text)
{
	bson_t *b = json(text);
	char *s = bson_as_canonical_extended_json(b, NULL);
	bson_destroy(b);
	return s;
}

static void expect_steps(size_t row, const char *what, const struct step_list *got,
			 const char *const *want, unsigned want_flags)
{
	size_t n = 0;
	while (n < 4 && want[n])
		n++;
	if (got->n != n) {
		for (size_t i = 0; i < got->n; i++)
			print_message("  got %s: %s\n", what, got->items[i].sql);
		fail_msg("row %zu: %zu %s steps, expected %zu", row, got->n, what, n);
	}
	for (size_t i = 0; i < n; i++) {
		char *g = canonical(got->items[i].sql), *w = canonical(want[i]);
		if (strcmp(g, w) != 0)
			fail_msg("row %zu: %s step %zu\n  got:  %s\n  want: %s", row, what, i,
				 got->items[i].sql, want[i]);
		bson_free(g);
		bson_free(w);
		const struct step *s = &got->items[i];
		if (!(s->flags & STEP_NO_TRANSACTION) || (s->flags & want_flags) != want_flags)
			fail_msg("row %zu: %s step %zu has flags %u", row, what, i, s->flags);
		if (!s->file || strcmp(s->file, "7_x.json") != 0 || s->line != 3 || s->column != 5)
			fail_msg("row %zu: %s step %zu is not placed at its command", row, what, i);
	}
}

struct built {
	bson_t *cmd, *options, *indexes_doc;
	const bson_t **specs;
	struct mongo_state st;
	bson_t spec_views[8];
};

static int build(struct arena *a, const struct inv_case *c, struct step_list *fwd,
		 struct step_list *inv, struct mg_error *err)
{
	bson_t *cmd = json(c->command);
	bson_t *options = c->options ? json(c->options) : NULL;
	bson_t *idx = c->indexes ? json(c->indexes) : NULL;
	bson_t *specs[8];
	size_t n = 0;
	if (idx) {
		bson_iter_t it, arr;
		assert_true(bson_iter_init_find(&it, idx, "i") && bson_iter_recurse(&it, &arr));
		while (bson_iter_next(&arr) && n < 8) {
			uint32_t len;
			const uint8_t *data;
			bson_iter_document(&arr, &len, &data);
			specs[n++] = bson_new_from_data(data, len);
		}
	}
	struct mongo_state st = {
	    .exists = c->exists,
	    .is_view = c->is_view,
	    .options = options,
	    .indexes = (const bson_t *const *)specs,
	    .n_indexes = n,
	    .now_ms = NOW,
	};
	struct mongo_inverse_input in = {
	    .command = cmd,
	    .section = c->section,
	    .version = 7,
	    .file = "7_x.json",
	    .line = 3,
	    .column = 5,
	    .resuming = c->resuming,
	    .state = &st,
	};
	int rc = mongo_inverse_build(a, &in, fwd, inv, err);
	for (size_t i = 0; i < n; i++)
		bson_destroy(specs[i]);
	bson_destroy(idx);
	bson_destroy(options);
	bson_destroy(cmd);
	return rc;
}

static void run_cases(const struct inv_case *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct inv_case *c = &rows[i];
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		struct step_list fwd, inv;
		int rc = build(&a, c, &fwd, &inv, &err);
		if (c->error) {
			if (rc == 0)
				fail_msg("row %zu: built an inverse for %s", i, c->command);
			if (err.code != 2 || !strstr(err.message, c->error) || err.line != 3 ||
			    strcmp(err.file, "7_x.json") != 0)
				fail_msg("row %zu: exit %d at %s:%d: %s", i, err.code, err.file,
					 err.line, err.message);
			arena_release(&a);
			continue;
		}
		if (rc < 0)
			fail_msg("row %zu: %s", i, err.message);
		const char *as_written[] = {c->command, NULL};
		expect_steps(i, "forward", &fwd, c->forward[0] ? c->forward : as_written, 0);
		expect_steps(i, "inverse", &inv, c->inverse, MONGO_STEP_DONE_OK);
		arena_release(&a);
	}
}

#define USERS_INDEXES                                                                              \
	"{\"i\": [{\"v\": 2, \"key\": {\"_id\": 1}, \"name\": \"_id_\"}, {\"v\": 2, \"key\": "     \
	"{\"email\": 1}, \"name\": \"email_1\", \"unique\": true, \"ns\": \"app.users\"}, "        \
	"{\"v\": 2, \"key\": {\"phone\": 1}, \"name\": \"phone_1\", \"prepareUnique\": true}, "    \
	"{\"v\": 2, \"key\": {\"seen\": 1}, \"name\": \"seen_1\", \"expireAfterSeconds\": 3600}]}"

static void test_indexes(void **state)
{
	static const struct inv_case rows[] = {
	    /* createIndexes drops only what it made */
	    {"{\"createIndexes\": \"users\", \"indexes\": [{\"key\": {\"email\": 1}, \"name\": "
	     "\"email_1\", \"unique\": true}, {\"key\": {\"nick\": 1}}]}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     NULL,
	     USERS_INDEXES,
	     {NULL},
	     {"{\"dropIndexes\": \"users\", \"index\": \"nick_1\"}"},
	     NULL},
	    {"{\"createIndexes\": \"users\", \"indexes\": [{\"key\": {\"a\": 1}}, {\"key\": "
	     "{\"b\": -1, \"c\": \"text\"}, \"name\": \"bc\"}]}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     NULL,
	     USERS_INDEXES,
	     {NULL},
	     {"{\"dropIndexes\": \"users\", \"index\": [\"a_1\", \"bc\"]}"},
	     NULL},
	    {"{\"createIndexes\": \"users\", \"indexes\": [{\"key\": {\"email\": 1}, \"name\": "
	     "\"email_1\", \"unique\": true}]}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     NULL,
	     USERS_INDEXES,
	     {NULL},
	     {NULL},
	     NULL},
	    /* after an interruption the index may be this migration's own */
	    {"{\"createIndexes\": \"users\", \"indexes\": [{\"key\": {\"email\": 1}, \"name\": "
	     "\"email_1\", \"unique\": true}]}",
	     SECTION_EXPAND,
	     true,
	     true,
	     false,
	     NULL,
	     USERS_INDEXES,
	     {NULL},
	     {"{\"dropIndexes\": \"users\", \"index\": \"email_1\"}"},
	     NULL},
	    /* on a collection that did not exist, createIndexes made it */
	    {"{\"createIndexes\": \"audit\", \"indexes\": [{\"key\": {\"at\": 1}}]}",
	     SECTION_EXPAND,
	     false,
	     false,
	     false,
	     NULL,
	     NULL,
	     {NULL},
	     {"{\"drop\": \"audit\"}"},
	     NULL},

	    /* a hidden index is rebuilt visible, then hidden (DocumentDB builds no
	     * hidden index) */
	    {"{\"dropIndexes\": \"users\", \"index\": \"nick_1\"}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     NULL,
	     "{\"i\": [{\"v\": 2, \"key\": {\"_id\": 1}, \"name\": \"_id_\"}, {\"v\": 2, "
	     "\"key\": {\"nick\": 1}, \"name\": \"nick_1\", \"hidden\": true}]}",
	     {NULL},
	     {"{\"createIndexes\": \"users\", \"indexes\": [{\"v\": 2, \"key\": {\"nick\": 1}, "
	      "\"name\": \"nick_1\"}]}",
	      "{\"collMod\": \"users\", \"index\": {\"name\": \"nick_1\", \"hidden\": true}}"},
	     NULL},
	    /* dropIndexes: recreated from the spec listIndexes gave, without "ns" */
	    {"{\"dropIndexes\": \"users\", \"index\": \"email_1\"}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     NULL,
	     USERS_INDEXES,
	     {NULL},
	     {"{\"createIndexes\": \"users\", \"indexes\": [{\"v\": 2, \"key\": {\"email\": 1}, "
	      "\"name\": \"email_1\", \"unique\": true}]}"},
	     NULL},
	    {"{\"dropIndexes\": \"users\", \"index\": {\"phone\": 1.0}}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     NULL,
	     USERS_INDEXES,
	     {NULL},
	     {"{\"createIndexes\": \"users\", \"indexes\": [{\"v\": 2, \"key\": {\"phone\": 1}, "
	      "\"name\": \"phone_1\", \"prepareUnique\": true}]}"},
	     NULL},
	    {"{\"deleteIndexes\": \"users\", \"index\": [\"seen_1\", \"email_1\"]}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     NULL,
	     USERS_INDEXES,
	     {NULL},
	     {"{\"createIndexes\": \"users\", \"indexes\": [{\"v\": 2, \"key\": {\"seen\": 1}, "
	      "\"name\": \"seen_1\", \"expireAfterSeconds\": 3600}, {\"v\": 2, \"key\": "
	      "{\"email\": 1}, \"name\": \"email_1\", \"unique\": true}]}"},
	     NULL},
	    {"{\"dropIndexes\": \"users\", \"index\": \"*\"}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     NULL,
	     USERS_INDEXES,
	     {NULL},
	     {"{\"createIndexes\": \"users\", \"indexes\": [{\"v\": 2, \"key\": {\"email\": 1}, "
	      "\"name\": \"email_1\", \"unique\": true}, {\"v\": 2, \"key\": {\"phone\": 1}, "
	      "\"name\": \"phone_1\", \"prepareUnique\": true}, {\"v\": 2, \"key\": {\"seen\": 1}, "
	      "\"name\": \"seen_1\", \"expireAfterSeconds\": 3600}]}"},
	     NULL},
	    /* an index that is not there: the command fails with the server's word */
	    {"{\"dropIndexes\": \"users\", \"index\": \"gone_1\"}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     NULL,
	     USERS_INDEXES,
	     {NULL},
	     {NULL},
	     NULL},
	    {"{\"dropIndexes\": \"users\", \"index\": \"gone_1\"}",
	     SECTION_CONTRACT,
	     true,
	     true,
	     false,
	     NULL,
	     USERS_INDEXES,
	     {NULL},
	     {NULL},
	     "dropped the index before"},
	};
	(void)state;
	run_cases(rows, N(rows));
}

static void test_collections(void **state)
{
	static const struct inv_case rows[] = {
	    {"{\"create\": \"audit\", \"capped\": true, \"size\": 4096}",
	     SECTION_EXPAND,
	     false,
	     false,
	     false,
	     NULL,
	     NULL,
	     {NULL},
	     {"{\"drop\": \"audit\"}"},
	     NULL},
	    /* MongoDB 7 accepts it when it is there with the same options: not ours to drop */
	    {"{\"create\": \"audit\"}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     "{}",
	     NULL,
	     {NULL},
	     {NULL},
	     NULL},

	    /* a contract drop moves the collection into the trash, and back on revert */
	    {"{\"drop\": \"legacy_sessions\"}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     "{}",
	     NULL,
	     {"{\"renameCollection\": \"legacy_sessions\", \"to\": "
	      "\"_migrate_trash_v7_legacy_sessions\"}",
	      "{\"update\": \"_migrate_trash\", \"updates\": [{\"q\": {\"_id\": "
	      "\"_migrate_trash_v7_legacy_sessions\"}, \"u\": {\"$set\": {\"version\": "
	      "{\"$numberLong\": \"7\"}, \"source\": \"legacy_sessions\", \"created_at\": "
	      "{\"$date\": {\"$numberLong\": \"1700000000000\"}}}}, \"upsert\": true}]}"},
	     {"{\"renameCollection\": \"_migrate_trash_v7_legacy_sessions\", \"to\": "
	      "\"legacy_sessions\"}",
	      "{\"delete\": \"_migrate_trash\", \"deletes\": [{\"q\": {\"_id\": "
	      "\"_migrate_trash_v7_legacy_sessions\"}, \"limit\": 1}]}"},
	     NULL},
	    /* interrupted after the rename: the trash holds it already */
	    {"{\"drop\": \"legacy_sessions\"}",
	     SECTION_CONTRACT,
	     true,
	     false,
	     false,
	     NULL,
	     NULL,
	     {"{\"update\": \"_migrate_trash\", \"updates\": [{\"q\": {\"_id\": "
	      "\"_migrate_trash_v7_legacy_sessions\"}, \"u\": {\"$set\": {\"version\": "
	      "{\"$numberLong\": \"7\"}, \"source\": \"legacy_sessions\", \"created_at\": "
	      "{\"$date\": {\"$numberLong\": \"1700000000000\"}}}}, \"upsert\": true}]}"},
	     {"{\"renameCollection\": \"_migrate_trash_v7_legacy_sessions\", \"to\": "
	      "\"legacy_sessions\"}",
	      "{\"delete\": \"_migrate_trash\", \"deletes\": [{\"q\": {\"_id\": "
	      "\"_migrate_trash_v7_legacy_sessions\"}, \"limit\": 1}]}"},
	     NULL},
	    {"{\"drop\": \"nothing\"}",
	     SECTION_CONTRACT,
	     false,
	     false,
	     false,
	     NULL,
	     NULL,
	     {NULL},
	     {NULL},
	     NULL},
	    /* a view holds no documents: it is recreated from its definition */
	    {"{\"drop\": \"active_users\"}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     true,
	     "{\"viewOn\": \"users\", \"pipeline\": [{\"$match\": {\"active\": true}}]}",
	     NULL,
	     {NULL},
	     {"{\"create\": \"active_users\", \"viewOn\": \"users\", \"pipeline\": [{\"$match\": "
	      "{\"active\": true}}]}"},
	     NULL},
	    {"{\"drop\": \"active_users\"}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     true,
	     "{}",
	     NULL,
	     {NULL},
	     {NULL},
	     "definition could not be read"},

	    {"{\"renameCollection\": \"users\", \"to\": \"people\"}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     NULL,
	     NULL,
	     {NULL},
	     {"{\"renameCollection\": \"people\", \"to\": \"users\"}"},
	     NULL},
	    {"{\"renameCollection\": \"users\", \"to\": \"people\", \"dropTarget\": true}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     NULL,
	     NULL,
	     {NULL},
	     {NULL},
	     "dropTarget"},
	    {"{\"drop\": 1}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     NULL,
	     NULL,
	     {NULL},
	     {NULL},
	     "names no collection"},
	};
	(void)state;
	run_cases(rows, N(rows));
}

#define SCHEMA "{\"$jsonSchema\": {\"required\": [\"email\"]}}"

static void test_collmod(void **state)
{
	static const struct inv_case rows[] = {
	    /* the validator and levels read before the change come back */
	    {"{\"collMod\": \"users\", \"validator\": " SCHEMA ", \"validationAction\": \"warn\"}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     "{\"validator\": {\"age\": {\"$gte\": 0}}, \"validationLevel\": \"moderate\"}",
	     USERS_INDEXES,
	     {NULL},
	     {"{\"collMod\": \"users\", \"validator\": {\"age\": {\"$gte\": 0}}, "
	      "\"validationAction\": \"error\"}"},
	     NULL},
	    {"{\"collMod\": \"users\", \"validator\": " SCHEMA ", \"validationLevel\": "
	     "\"moderate\", \"writeConcern\": {\"w\": \"majority\"}}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     "{}",
	     USERS_INDEXES,
	     {NULL},
	     {"{\"collMod\": \"users\", \"validator\": {}, \"validationLevel\": \"strict\"}"},
	     NULL},
	    {"{\"collMod\": \"users\", \"validationAction\": \"error\"}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     "{\"validator\": " SCHEMA ", \"validationAction\": \"warn\"}",
	     USERS_INDEXES,
	     {NULL},
	     {"{\"collMod\": \"users\", \"validationAction\": \"warn\"}"},
	     NULL},
	    /* index hide/unhide, by name or key pattern */
	    {"{\"collMod\": \"users\", \"index\": {\"name\": \"email_1\", \"hidden\": true}}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     "{}",
	     USERS_INDEXES,
	     {NULL},
	     {"{\"collMod\": \"users\", \"index\": {\"name\": \"email_1\", \"hidden\": false}}"},
	     NULL},
	    {"{\"collMod\": \"users\", \"index\": {\"keyPattern\": {\"seen\": 1}, \"hidden\": "
	     "false}}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     "{}",
	     "{\"i\": [{\"v\": 2, \"key\": {\"seen\": 1}, \"name\": \"seen_1\", \"hidden\": "
	     "true}]}",
	     {NULL},
	     {"{\"collMod\": \"users\", \"index\": {\"name\": \"seen_1\", \"hidden\": true}}"},
	     NULL},
	    /* a changed TTL goes back; prepareUnique likewise */
	    {"{\"collMod\": \"users\", \"index\": {\"name\": \"seen_1\", \"expireAfterSeconds\": "
	     "60}}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     "{}",
	     USERS_INDEXES,
	     {NULL},
	     {"{\"collMod\": \"users\", \"index\": {\"name\": \"seen_1\", "
	      "\"expireAfterSeconds\": 3600}}"},
	     NULL},
	    {"{\"collMod\": \"users\", \"index\": {\"name\": \"email_1\", \"prepareUnique\": "
	     "true}}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     "{}",
	     USERS_INDEXES,
	     {NULL},
	     {"{\"collMod\": \"users\", \"index\": {\"name\": \"email_1\", \"prepareUnique\": "
	      "false}}"},
	     NULL},
	    /* no collMod turns unique back: the index is rebuilt from its recorded spec */
	    {"{\"collMod\": \"users\", \"index\": {\"name\": \"phone_1\", \"unique\": true}}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     "{}",
	     USERS_INDEXES,
	     {NULL},
	     {"{\"dropIndexes\": \"users\", \"index\": \"phone_1\"}",
	      "{\"createIndexes\": \"users\", \"indexes\": [{\"v\": 2, \"key\": {\"phone\": 1}, "
	      "\"name\": \"phone_1\", \"prepareUnique\": true}]}"},
	     NULL},
	    /* views: the previous definition */
	    {"{\"collMod\": \"active_users\", \"viewOn\": \"users\", \"pipeline\": []}",
	     SECTION_EXPAND,
	     false,
	     true,
	     true,
	     "{\"viewOn\": \"people\", \"pipeline\": [{\"$match\": {\"a\": 1}}]}",
	     NULL,
	     {NULL},
	     {"{\"collMod\": \"active_users\", \"viewOn\": \"people\", \"pipeline\": "
	      "[{\"$match\": {\"a\": 1}}]}"},
	     NULL},
	    {"{\"collMod\": \"users\", \"cappedSize\": 100}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     "{}",
	     NULL,
	     {NULL},
	     {NULL},
	     "'cappedSize' has no derived undo"},
	};
	(void)state;
	run_cases(rows, N(rows));
}

static void test_documents(void **state)
{
	static const struct inv_case rows[] = {
	    /* renames are renamed back, the last one first */
	    {"{\"update\": \"users\", \"updates\": [{\"q\": {}, \"u\": {\"$rename\": {\"nick\": "
	     "\"handle\"}}, \"multi\": true}, {\"q\": {}, \"u\": {\"$rename\": {\"handle\": "
	     "\"display_name\", \"tel\": \"phone\"}}, \"multi\": true}]}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     "{}",
	     NULL,
	     {NULL},
	     {"{\"update\": \"users\", \"updates\": [{\"q\": {}, \"u\": {\"$rename\": "
	      "{\"display_name\": \"handle\", \"phone\": \"tel\"}}, \"multi\": true}, {\"q\": {}, "
	      "\"u\": {\"$rename\": {\"handle\": \"nick\"}}, \"multi\": true}]}"},
	     NULL},
	    /* data changes lint refused unless their collection is new: nothing recorded */
	    {"{\"update\": \"users\", \"updates\": [{\"q\": {}, \"u\": {\"$set\": {\"a\": 1}}}]}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     "{}",
	     NULL,
	     {NULL},
	     {NULL},
	     NULL},
	    {"{\"delete\": \"users\", \"deletes\": [{\"q\": {}, \"limit\": 0}]}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     "{}",
	     NULL,
	     {NULL},
	     {NULL},
	     NULL},
	    /* inserts are deleted by _id */
	    {"{\"insert\": \"plans\", \"documents\": [{\"_id\": \"basic\", \"fee\": 0}, {\"_id\": "
	     "{\"$numberLong\": \"2\"}}]}",
	     SECTION_EXPAND,
	     false,
	     true,
	     false,
	     "{}",
	     NULL,
	     {NULL},
	     {"{\"delete\": \"plans\", \"deletes\": [{\"q\": {\"_id\": {\"$in\": [\"basic\", "
	      "{\"$numberLong\": \"2\"}]}}, \"limit\": 0}]}"},
	     NULL},
	    {"{\"insert\": \"plans\", \"documents\": [{\"_id\": 1}], \"ordered\": true}",
	     SECTION_EXPAND,
	     true,
	     true,
	     false,
	     "{}",
	     NULL,
	     {"{\"insert\": \"plans\", \"documents\": [{\"_id\": 1}], \"ordered\": false}"},
	     {"{\"delete\": \"plans\", \"deletes\": [{\"q\": {\"_id\": {\"$in\": [1]}}, "
	      "\"limit\": 0}]}"},
	     NULL},
	    {"{\"ping\": 1}",
	     SECTION_EXPAND,
	     false,
	     false,
	     false,
	     NULL,
	     NULL,
	     {NULL},
	     {NULL},
	     NULL},
	    {"{\"compact\": \"users\"}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     "{}",
	     NULL,
	     {NULL},
	     {NULL},
	     "no derived undo"},
	    {"{\"dropDatabase\": 1}",
	     SECTION_CONTRACT,
	     false,
	     true,
	     false,
	     NULL,
	     NULL,
	     {NULL},
	     {NULL},
	     "not kept aside"},
	};
	(void)state;
	run_cases(rows, N(rows));
}

/* Documents without an _id get one here, so that revert knows what to delete. */
static void test_insert_generates_ids(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	struct step_list fwd, inv;
	(void)state;
	struct inv_case c = {"{\"insert\": \"plans\", \"documents\": [{\"name\": \"basic\"}, "
			     "{\"_id\": 9, \"name\": \"pro\"}]}",
			     SECTION_EXPAND,
			     false,
			     true,
			     false,
			     "{}",
			     NULL,
			     {NULL},
			     {NULL},
			     NULL};
	assert_int_equal(build(&a, &c, &fwd, &inv, &err), 0);
	assert_int_equal(fwd.n, 1);
	assert_int_equal(inv.n, 1);
	bson_t *f = json(fwd.items[0].sql), *i = json(inv.items[0].sql);
	bson_iter_t it, id;
	assert_true(bson_iter_init(&it, f) &&
		    bson_iter_find_descendant(&it, "documents.0._id", &id));
	assert_true(BSON_ITER_HOLDS_OID(&id));
	const bson_oid_t *oid = bson_iter_oid(&id);
	assert_true(bson_iter_init(&it, f) &&
		    bson_iter_find_descendant(&it, "documents.0.name", &id));
	assert_true(bson_iter_init(&it, i) &&
		    bson_iter_find_descendant(&it, "deletes.0.q._id.$in.0", &id));
	assert_true(BSON_ITER_HOLDS_OID(&id));
	assert_true(bson_oid_equal(oid, bson_iter_oid(&id)));
	assert_true(bson_iter_init(&it, i) &&
		    bson_iter_find_descendant(&it, "deletes.0.q._id.$in.1", &id));
	assert_int_equal(bson_iter_as_int64(&id), 9);
	bson_destroy(f);
	bson_destroy(i);
	arena_release(&a);
}

static void test_classify(void **state)
{
	static const struct {
		const char *command;
		bool target_is_new;
		enum inverse_class want;
	} rows[] = {
	    {"{\"createIndexes\": \"u\", \"indexes\": []}", false, INVERSE_DERIVED},
	    {"{\"dropIndexes\": \"u\", \"index\": \"a_1\"}", false, INVERSE_DERIVED},
	    {"{\"create\": \"u\"}", false, INVERSE_DERIVED},
	    {"{\"drop\": \"u\"}", false, INVERSE_DERIVED},
	    {"{\"renameCollection\": \"u\", \"to\": \"v\"}", false, INVERSE_DERIVED},
	    {"{\"renameCollection\": \"u\", \"to\": \"v\", \"dropTarget\": true}", false,
	     INVERSE_IRREVERSIBLE},
	    {"{\"collMod\": \"u\", \"validator\": {}, \"comment\": \"x\"}", false, INVERSE_DERIVED},
	    {"{\"collMod\": \"u\", \"index\": {\"name\": \"a\", \"hidden\": true}}", false,
	     INVERSE_DERIVED},
	    {"{\"collMod\": \"u\", \"timeseries\": {}}", false, INVERSE_IRREVERSIBLE},
	    {"{\"insert\": \"u\", \"documents\": []}", false, INVERSE_DERIVED},
	    {"{\"insert\": \"u\", \"documents\": []}", true, INVERSE_NOTHING},
	    {"{\"update\": \"u\", \"updates\": [{\"q\": {}, \"u\": {\"$set\": {\"a\": 1}}}]}",
	     false, INVERSE_IRREVERSIBLE},
	    {"{\"update\": \"u\", \"updates\": [{\"q\": {\"a\": 1}, \"u\": {\"$rename\": {\"a\": "
	     "\"b\"}}}]}",
	     false, INVERSE_IRREVERSIBLE},
	    {"{\"update\": \"u\", \"updates\": [{\"q\": {}, \"u\": {\"$set\": {\"a\": 1}}}]}", true,
	     INVERSE_NOTHING},
	    {"{\"findAndModify\": \"u\", \"query\": {}, \"remove\": true}", false,
	     INVERSE_IRREVERSIBLE},
	    {"{\"ping\": 1}", false, INVERSE_NOTHING},
	    {"{\"dropDatabase\": 1}", false, INVERSE_IRREVERSIBLE},
	    {"{\"shardCollection\": \"app.u\"}", false, INVERSE_IRREVERSIBLE},
	};
	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		bson_t *cmd = json(rows[i].command);
		const char *reason = NULL;
		enum inverse_class got =
		    mongo_inverse_classify(cmd, rows[i].target_is_new, &reason);
		if (got != rows[i].want)
			fail_msg("row %zu: class %d, expected %d: %s", i, got, rows[i].want,
				 rows[i].command);
		if ((got == INVERSE_IRREVERSIBLE) != (reason != NULL))
			fail_msg("row %zu: a reason goes with irreversible only", i);
		bson_destroy(cmd);
	}
}

static void test_names(void **state)
{
	static const struct {
		const char *key;
		const char *name;
	} rows[] = {
	    {"{\"a\": 1, \"b\": -1}", "a_1_b_-1"},
	    {"{\"title\": \"text\"}", "title_text"},
	    {"{\"x\": 1.0}", "x_1"},
	    {"{\"loc\": \"2dsphere\", \"at\": {\"$numberLong\": \"-1\"}}", "loc_2dsphere_at_-1"},
	    {"{\"h\": \"hashed\"}", "h_hashed"},
	};
	struct arena a = ARENA_INIT;
	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		bson_t *key = json(rows[i].key);
		assert_string_equal(mongo_index_default_name(&a, key), rows[i].name);
		bson_destroy(key);
	}
	assert_string_equal(mongo_trash_name(&a, 20240101120000LL, "legacy_sessions"),
			    "_migrate_trash_v20240101120000_legacy_sessions");
	/* 63-byte collections sharing a 60-byte prefix: two trash names of 63 bytes,
	 * each cut and ended by a hash of the whole (never half a character) */
	char one[64], two[64];
	memset(one, 'c', 60);
	memcpy(one + 60, "_d1", 4);
	memcpy(two, one, 60);
	memcpy(two + 60, "_d2", 4);
	const char *t1 = mongo_trash_name(&a, 20261208000001LL, one);
	const char *t2 = mongo_trash_name(&a, 20261208000001LL, two);
	assert_int_equal(strlen(t1), 63);
	assert_int_equal(strlen(t2), 63);
	assert_string_not_equal(t1, t2);
	assert_memory_equal(t1, "_migrate_trash_v20261208000001_ccc", 34);
	assert_string_equal(t1, mongo_trash_name(&a, 20261208000001LL, one));
	const char *wide = mongo_trash_name(&a, 1,
					    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_true(strlen(wide) <= 63);
	assert_int_equal((unsigned char)wide[strlen(wide) - 10] & 0xC0, 0x80);
	bson_t *x = json("{\"a\": 1, \"b\": -1}"), *y = json("{\"a\": 1.0, \"b\": -1}"),
	       *z = json("{\"b\": -1, \"a\": 1}");
	assert_true(mongo_index_keys_equal(x, y));
	assert_false(mongo_index_keys_equal(x, z));
	bson_destroy(x);
	bson_destroy(y);
	bson_destroy(z);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_indexes),
	    cmocka_unit_test(test_collections),
	    cmocka_unit_test(test_collmod),
	    cmocka_unit_test(test_documents),
	    cmocka_unit_test(test_insert_generates_ids),
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
