/* The commands the MongoDB driver builds for its own state, and how it reads replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "target/mongo/mongo_commands.h"
#include "target/mongo/inverse_mongo.h"

static bson_t *json(const char *text)
{
	bson_error_t e;
	bson_t *b = bson_new_from_json((const uint8_t *)text, -1, &e);
	if (!b)
		fail_msg("bad JSON in the test: %s: %s", e.message, text);
	return b;
}

static const char *str_at(const bson_t *doc, const char *path)
{
	bson_iter_t it, found;
	if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &found) ||
	    !BSON_ITER_HOLDS_UTF8(&found))
		fail_msg("no string at %s", path);
	return bson_iter_utf8(&found, NULL);
}

static int64_t int_at(const bson_t *doc, const char *path)
{
	bson_iter_t it, found;
	if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &found) ||
	    !BSON_ITER_HOLDS_NUMBER(&found))
		fail_msg("no number at %s", path);
	return bson_iter_as_int64(&found);
}

static bool has(const bson_t *doc, const char *path)
{
	bson_iter_t it, found;
	return bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, path, &found);
}

static void test_lock(void **state)
{
	(void)state;
	bson_t *c =
	    mongo_cmd_lock_acquire("65a0f0f0f0f0f0f0f0f0f0f0", "ann@ci", "migrate up", 600000);
	assert_string_equal(str_at(c, "update"), "_migrate_lock");
	assert_string_equal(str_at(c, "updates.0.q._id"), "lock");
	/* the filter is _id alone: MongoDB refuses $expr in an upsert's query */
	assert_false(has(c, "updates.0.q.$expr"));
	/* each field taken over only once the holder's lease ended, by the server's clock */
	static const char *const fields[] = {"owner", "who", "command", "acquired_at",
					     "expires_at"};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char path[128], old[64];
		snprintf(path, sizeof(path), "updates.0.u.0.$set.%s.$cond.0.$lt.0", fields[i]);
		assert_string_equal(str_at(c, path), "$expires_at");
		snprintf(path, sizeof(path), "updates.0.u.0.$set.%s.$cond.0.$lt.1", fields[i]);
		assert_string_equal(str_at(c, path), "$$NOW");
		snprintf(path, sizeof(path), "updates.0.u.0.$set.%s.$cond.2", fields[i]);
		snprintf(old, sizeof(old), "$%s", fields[i]);
		assert_string_equal(str_at(c, path), old);
	}
	assert_string_equal(str_at(c, "updates.0.u.0.$set.owner.$cond.1.$literal"),
			    "65a0f0f0f0f0f0f0f0f0f0f0");
	assert_string_equal(str_at(c, "updates.0.u.0.$set.who.$cond.1.$literal"), "ann@ci");
	assert_string_equal(str_at(c, "updates.0.u.0.$set.command.$cond.1.$literal"), "migrate up");
	assert_string_equal(str_at(c, "updates.0.u.0.$set.acquired_at.$cond.1"), "$$NOW");
	assert_string_equal(str_at(c, "updates.0.u.0.$set.expires_at.$cond.1.$add.0"), "$$NOW");
	assert_int_equal(int_at(c, "updates.0.u.0.$set.expires_at.$cond.1.$add.1"), 600000);
	assert_true(has(c, "updates.0.upsert"));
	assert_string_equal(str_at(c, "writeConcern.w"), "majority");
	bson_destroy(c);

	/* taken: upserted, or modified (a lease that ended); held: matched, not modified */
	bson_t *r = BCON_NEW("n", BCON_INT32(1), "upserted", "[", "{", "index", BCON_INT32(0),
			     "_id", BCON_UTF8("lock"), "}", "]", "nModified", BCON_INT32(0));
	assert_true(mongo_reply_lock_taken(r));
	bson_destroy(r);
	r = BCON_NEW("n", BCON_INT32(1), "nModified", BCON_INT32(1));
	assert_true(mongo_reply_lock_taken(r));
	bson_destroy(r);
	r = BCON_NEW("n", BCON_INT32(1), "nModified", BCON_INT32(0));
	assert_false(mongo_reply_lock_taken(r));
	bson_destroy(r);
	assert_false(mongo_reply_lock_taken(NULL));

	c = mongo_cmd_lock_refresh("owner1", 1000);
	assert_string_equal(str_at(c, "updates.0.q._id"), "lock");
	assert_string_equal(str_at(c, "updates.0.q.owner"), "owner1");
	assert_false(has(c, "updates.0.upsert"));
	assert_int_equal(int_at(c, "updates.0.u.0.$set.expires_at.$add.1"), 1000);
	bson_destroy(c);

	c = mongo_cmd_lock_release("owner1");
	assert_string_equal(str_at(c, "delete"), "_migrate_lock");
	assert_string_equal(str_at(c, "deletes.0.q.owner"), "owner1");
	assert_int_equal(int_at(c, "deletes.0.limit"), 1);
	bson_destroy(c);
}

/* What history_save sets is what history_load reads back. */
static void test_history_round_trip(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	(void)state;
	struct history_entry e = {
	    .version = 20240101120000LL,
	    .name = "retire_sessions",
	    .checksum = "abc123",
	    .phase = HISTORY_CONTRACTING,
	    .applied_by = "ann@ci",
	    .expand_seq = 4,
	    .contract_seq = 9,
	    .steps_done = 2,
	    .expand_ms = 15,
	};
	step_list_add(&a, &e.revert_expand, "{\"dropIndexes\": \"users\", \"index\": \"a_1\"}",
		      STEP_NO_TRANSACTION | MONGO_STEP_DONE_OK, "m/1.json", 3, 5);
	step_list_add(&a, &e.revert_contract,
		      "{\"update\": \"u\", \"updates\": [{\"q\": {}, \"u\": {\"$rename\": {\"b\": "
		      "\"a\"}}}]}",
		      STEP_NO_TRANSACTION, NULL, 0, 0);
	bson_t *c = mongo_cmd_history_save(&e);
	assert_string_equal(str_at(c, "update"), "_migrate_history");
	assert_int_equal(int_at(c, "updates.0.q._id"), 20240101120000LL);
	assert_true(has(c, "updates.0.upsert"));
	assert_string_equal(str_at(c, "writeConcern.w"), "majority");
	/* expanded_at is set once, on the server's clock; contracted_at not yet */
	assert_string_equal(str_at(c, "updates.0.u.0.$set.expanded_at.$ifNull.0"), "$expanded_at");
	assert_string_equal(str_at(c, "updates.0.u.0.$set.expanded_at.$ifNull.1"), "$$NOW");
	assert_true(has(c, "updates.0.u.0.$set.contracted_at.$literal"));

	/* the stored document: every $literal's value under its field */
	bson_t stored = BSON_INITIALIZER;
	bson_iter_t it, set;
	assert_true(bson_iter_init(&it, c) &&
		    bson_iter_find_descendant(&it, "updates.0.u.0.$set", &set));
	bson_iter_recurse(&set, &it);
	BSON_APPEND_INT64(&stored, "_id", e.version);
	while (bson_iter_next(&it)) {
		bson_iter_t lit;
		if (bson_iter_recurse(&it, &lit) && bson_iter_find(&lit, "$literal"))
			bson_append_iter(&stored, bson_iter_key(&it), -1, &lit);
	}
	BSON_APPEND_DATE_TIME(&stored, "expanded_at", 1700000000000LL);
	struct history_entry r;
	assert_int_equal(mongo_history_entry_read(&a, &stored, &r, &err), 0);
	assert_int_equal(r.version, e.version);
	assert_string_equal(r.name, e.name);
	assert_string_equal(r.checksum, e.checksum);
	assert_int_equal(r.phase, HISTORY_CONTRACTING);
	assert_string_equal(r.applied_by, "ann@ci");
	assert_string_equal(r.expanded_at, "2023-11-14T22:13:20Z");
	assert_null(r.contracted_at);
	assert_int_equal(r.expand_seq, 4);
	assert_int_equal(r.contract_seq, 9);
	assert_int_equal(r.steps_done, 2);
	assert_int_equal(r.expand_ms, 15);
	assert_int_equal(r.revert_expand.n, 1);
	assert_string_equal(r.revert_expand.items[0].sql, e.revert_expand.items[0].sql);
	assert_int_equal(r.revert_expand.items[0].flags, STEP_NO_TRANSACTION | MONGO_STEP_DONE_OK);
	assert_string_equal(r.revert_expand.items[0].file, "m/1.json");
	assert_int_equal(r.revert_expand.items[0].line, 3);
	assert_int_equal(r.revert_expand.items[0].column, 5);
	assert_int_equal(r.revert_contract.n, 1);
	assert_string_equal(r.revert_contract.items[0].sql, e.revert_contract.items[0].sql);
	assert_null(r.revert_contract.items[0].file);
	bson_destroy(&stored);
	bson_destroy(c);

	c = mongo_cmd_history_delete(7);
	assert_int_equal(int_at(c, "deletes.0.q._id"), 7);
	bson_destroy(c);
	arena_release(&a);
}

static void test_history_refusals(void **state)
{
	static const char *const docs[] = {
	    "{\"_id\": 1, \"schema_version\": 2, \"phase\": \"expanded\"}",
	    "{\"_id\": 1, \"phase\": \"half-done\"}",
	    "{\"_id\": 1, \"phase\": \"expanded\", \"revert_expand\": [{\"flags\": 1}]}",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		struct history_entry e;
		bson_t *d = json(docs[i]);
		assert_int_equal(mongo_history_entry_read(&a, d, &e, &err), -1);
		assert_int_equal(err.code, 2);
		bson_destroy(d);
		arena_release(&a);
	}
}

static void test_event(void **state)
{
	(void)state;
	struct event ev = {"up", 3, "contract", "failed", "E11000 duplicate key"};
	bson_t *c = mongo_cmd_event(&ev, "ann@ci", 1700000000000LL);
	assert_string_equal(str_at(c, "insert"), "_migrate_events");
	assert_string_equal(str_at(c, "documents.0.who"), "ann@ci");
	assert_string_equal(str_at(c, "documents.0.command"), "up");
	assert_int_equal(int_at(c, "documents.0.version"), 3);
	assert_string_equal(str_at(c, "documents.0.phase"), "contract");
	assert_string_equal(str_at(c, "documents.0.outcome"), "failed");
	assert_string_equal(str_at(c, "documents.0.detail"), "E11000 duplicate key");
	bson_destroy(c);
}

static void test_step_command(void **state)
{
	static const struct {
		const char *sql;
		const char *database; /* where it is sent */
		const char *from, *to;
	} rows[] = {
	    {"{\"renameCollection\": \"users\", \"to\": \"people\"}", "admin", "app.users",
	     "app.people"},
	    {"{\"renameCollection\": \"app.users\", \"to\": \"_migrate_trash_v3_users\"}", "admin",
	     "app.users", "app._migrate_trash_v3_users"},
	    /* a collection whose own name has a dot */
	    {"{\"renameCollection\": \"apps.users\", \"to\": \"x\"}", "admin", "app.apps.users",
	     "app.x"},
	    {"{\"createIndexes\": \"users\", \"indexes\": []}", "app", NULL, NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mg_error err = MG_ERROR_INIT;
		struct step s = {.sql = rows[i].sql, .flags = STEP_NO_TRANSACTION};
		bson_t *cmd;
		const char *db;
		assert_int_equal(mongo_step_command(&s, "app", &cmd, &db, &err), 0);
		assert_string_equal(db, rows[i].database);
		if (rows[i].from) {
			assert_string_equal(str_at(cmd, "renameCollection"), rows[i].from);
			assert_string_equal(str_at(cmd, "to"), rows[i].to);
		}
		bson_destroy(cmd);
	}
	struct mg_error err = MG_ERROR_INIT;
	struct step bad = {.sql = "{\"drop\": ",
			   .flags = STEP_NO_TRANSACTION,
			   .file = "m/4_x.json",
			   .line = 6,
			   .column = 3};
	bson_t *cmd;
	const char *db;
	assert_int_equal(mongo_step_command(&bad, "app", &cmd, &db, &err), -1);
	assert_int_equal(err.code, 2);
	assert_string_equal(err.file, "m/4_x.json");
	assert_int_equal(err.line, 6);
}

static void test_replies(void **state)
{
	static const struct {
		const char *reply;
		bool error;
		int32_t code;
		const char *message;
		int64_t n;
	} rows[] = {
	    {"{\"ok\": 1, \"n\": 1, \"nModified\": 1}", false, 0, NULL, 1},
	    {"{\"ok\": 1, \"n\": 0, \"writeErrors\": [{\"index\": 0, \"code\": 11000, "
	     "\"errmsg\": \"E11000 duplicate key error\"}]}",
	     true, 11000, "E11000 duplicate key error", 0},
	    {"{\"ok\": 1, \"n\": 1, \"writeConcernError\": {\"code\": 64, \"errmsg\": "
	     "\"waiting for replication timed out\"}}",
	     true, 64, "waiting for replication timed out", 1},
	    {"{\"ok\": 1, \"writeErrors\": []}", false, 0, NULL, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bson_t *r = json(rows[i].reply);
		int32_t code;
		const char *message;
		assert_int_equal(mongo_reply_error(r, &code, &message), rows[i].error);
		assert_int_equal(code, rows[i].code);
		if (rows[i].message)
			assert_string_equal(message, rows[i].message);
		assert_int_equal(mongo_reply_n(r), rows[i].n);
		bson_destroy(r);
	}
	assert_true(mongo_code_means_done(26));
	assert_true(mongo_code_means_done(27));
	assert_true(mongo_code_means_done(48));
	assert_true(mongo_code_means_done(11000));
	assert_false(mongo_code_means_done(64));
	assert_false(mongo_code_means_done(0));
}

static void test_time_text(void **state)
{
	struct arena a = ARENA_INIT;
	(void)state;
	assert_string_equal(mongo_time_text(&a, 1700000000000LL), "2023-11-14T22:13:20Z");
	assert_string_equal(mongo_time_text(&a, 0), "1970-01-01T00:00:00Z");
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lock),
	    cmocka_unit_test(test_history_round_trip),
	    cmocka_unit_test(test_history_refusals),
	    cmocka_unit_test(test_event),
	    cmocka_unit_test(test_step_command),
	    cmocka_unit_test(test_replies),
	    cmocka_unit_test(test_time_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
