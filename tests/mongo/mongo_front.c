/*
 * mongo_front: a MongoDB wire-protocol front on DocumentDB, for the tests.
 *
 *   mongo_front CONNINFO PORTFILE
 *
 * Listens on 127.0.0.1 (a free port, written to PORTFILE once it listens),
 * answers the handshake (hello, isMaster, buildInfo, ping) itself and hands
 * every other OP_MSG command to DocumentDB's SQL function of the same name
 * (documentdb_api.insert, find_cursor_first_page, ...), on a PostgreSQL
 * connection of its own per client connection (one process each). DocumentDB's
 * SQLSTATEs and write error codes are mapped back to MongoDB's error codes.
 * Built only for the tests (scripts/mongo-tmp runs it): no TLS, no
 * authentication, no sessions, no transactions.
 */
#include <arpa/inet.h>
#include <bson/bson.h>
#include <errno.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { OP_REPLY = 1, OP_QUERY = 2004, OP_MSG = 2013 };
#define MAX_MESSAGE (48 * 1000 * 1000)

static PGconn *pg;
static int32_t next_request = 1;
static int connection_id;

/* ---- errors: DocumentDB's SQLSTATEs to MongoDB's codes ---- */

struct code_map {
	const char *sqlstate;
	int32_t code;
	const char *name;
};

/* measured on DocumentDB 1.0: the state each failure the tests meet raises */
static const struct code_map codes[] = {
    {"M0001", 2, "BadValue"},
    {"M0008", 26, "NamespaceNotFound"},
    {"M0009", 27, "IndexNotFound"},
    {"M000F", 48, "NamespaceExists"},
    {"M001C", 11000, "DuplicateKey"},
    {"M00CO", 121, "DocumentValidationFailure"},
    {"M0016", 263, "OperationNotSupportedInTransaction"},
    {"23505", 11000, "DuplicateKey"},
    {"42P01", 26, "NamespaceNotFound"},
};

static const struct code_map *code_of(const char *sqlstate, const char *message)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (sqlstate && strcmp(codes[i].sqlstate, sqlstate) == 0)
			return &codes[i];
	static const struct code_map expr_upsert = {"", 224, "QueryFeatureNotAllowed"};
	static const struct code_map other = {"", 1, "InternalError"};
	if (message && strstr(message, "$expr") && strstr(message, "upsert"))
		return &expr_upsert;
	return &other;
}

/* PostgreSQL's MAKE_SQLSTATE, undone: the int DocumentDB puts in writeErrors */
static void sqlstate_of_int(int32_t v, char out[6])
{
	for (int i = 0; i < 5; i++)
		out[i] = (char)(((v >> (6 * i)) & 0x3F) + '0');
	out[5] = 0;
}

static void error_reply(bson_t *reply, const char *sqlstate, const char *message)
{
	const struct code_map *c = code_of(sqlstate, message);
	int32_t code = c->code;
	/* an upsert's $expr comes back from DocumentDB as a plain bad value */
	if (message && strstr(message, "$expr") && strstr(message, "upsert"))
		code = 224;
	BSON_APPEND_DOUBLE(reply, "ok", 0);
	BSON_APPEND_UTF8(reply, "errmsg", message ? message : "error");
	BSON_APPEND_INT32(reply, "code", code);
	BSON_APPEND_UTF8(reply, "codeName", code == 224 ? "QueryFeatureNotAllowed" : c->name);
}

/* A copy of src with writeErrors[].code (and a top-level code) mapped. */
static void map_write_errors(const bson_t *src, bson_t *dst)
{
	bson_iter_t it;
	bson_iter_init(&it, src);
	while (bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		if (strcmp(key, "writeErrors") == 0 && BSON_ITER_HOLDS_ARRAY(&it)) {
			bson_t arr, in;
			uint32_t len;
			const uint8_t *data;
			bson_iter_array(&it, &len, &data);
			bson_init_static(&in, data, len);
			bson_append_array_begin(dst, key, -1, &arr);
			bson_iter_t e;
			bson_iter_init(&e, &in);
			while (bson_iter_next(&e)) {
				bson_t one, doc;
				const uint8_t *d2;
				uint32_t l2;
				bson_iter_document(&e, &l2, &d2);
				bson_init_static(&doc, d2, l2);
				bson_append_document_begin(&arr, bson_iter_key(&e), -1, &one);
				bson_iter_t f;
				bson_iter_init(&f, &doc);
				const char *msg = NULL;
				bson_iter_t m;
				if (bson_iter_init_find(&m, &doc, "errmsg") &&
				    BSON_ITER_HOLDS_UTF8(&m))
					msg = bson_iter_utf8(&m, NULL);
				while (bson_iter_next(&f)) {
					if (strcmp(bson_iter_key(&f), "code") == 0) {
						char st[6];
						sqlstate_of_int(bson_iter_int32(&f), st);
						const struct code_map *c = code_of(st, msg);
						int32_t code = c->code;
						if (msg && strstr(msg, "$expr") &&
						    strstr(msg, "upsert"))
							code = 224;
						BSON_APPEND_INT32(&one, "code", code);
					} else {
						bson_append_iter(&one, NULL, 0, &f);
					}
				}
				bson_append_document_end(&arr, &one);
			}
			bson_append_array_end(dst, &arr);
		} else {
			bson_append_iter(dst, NULL, 0, &it);
		}
	}
}

/* ---- SQL ---- */

/*
 * Runs sql with $1 the database name (text) and $2..$n the BSON arguments,
 * reading column 0 of the one row as BSON (bytea) into reply, and column
 * extra (if >= 0) as raw bytes into *extra_out (a copy; free it). Fills an
 * error reply on failure and returns false.
 */
static bool sql_bson(const char *sql, const char *db, const bson_t *a1, const bson_t *a2,
		     bson_t *reply, int extra, bson_t **extra_out)
{
	const char *values[3] = {db, a1 ? (const char *)bson_get_data(a1) : NULL,
				 a2 ? (const char *)bson_get_data(a2) : NULL};
	int lengths[3] = {0, a1 ? (int)a1->len : 0, a2 ? (int)a2->len : 0};
	int formats[3] = {0, 1, 1};
	Oid types[3] = {25, 17, 17};
	int n = a2 ? 3 : a1 ? 2 : 1;
	PGresult *r = PQexecParams(pg, sql, n, types, values, lengths, formats, 1);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		error_reply(reply, state, msg ? msg : PQerrorMessage(pg));
		PQclear(r);
		return false;
	}
	if (PQntuples(r) >= 1 && !PQgetisnull(r, 0, 0)) {
		bson_t got;
		if (bson_init_static(&got, (const uint8_t *)PQgetvalue(r, 0, 0),
				     (size_t)PQgetlength(r, 0, 0)))
			map_write_errors(&got, reply);
	}
	if (extra >= 0 && extra_out) {
		*extra_out = NULL;
		if (PQntuples(r) >= 1 && !PQgetisnull(r, 0, extra))
			*extra_out = bson_new_from_data((const uint8_t *)PQgetvalue(r, 0, extra),
							(size_t)PQgetlength(r, 0, extra));
	}
	PQclear(r);
	return true;
}

/* ---- cursors: DocumentDB's continuation, kept per cursor id ---- */

struct cursor {
	int64_t id;
	bson_t *continuation;
};
static struct cursor cursors[64];

static int64_t cursor_id_of(const bson_t *page)
{
	bson_iter_t it;
	if (bson_iter_init(&it, page) && bson_iter_find_descendant(&it, "cursor.id", &it))
		return bson_iter_as_int64(&it);
	return 0;
}

static void cursor_keep(const bson_t *page, bson_t *continuation)
{
	int64_t id = cursor_id_of(page);
	if (id == 0 || !continuation) {
		if (continuation)
			bson_destroy(continuation);
		return;
	}
	for (size_t i = 0; i < 64; i++)
		if (cursors[i].id == 0 || cursors[i].id == id) {
			if (cursors[i].continuation)
				bson_destroy(cursors[i].continuation);
			cursors[i].id = id;
			cursors[i].continuation = continuation;
			return;
		}
	bson_destroy(continuation);
}

static bson_t *cursor_find(int64_t id)
{
	for (size_t i = 0; i < 64; i++)
		if (cursors[i].id == id && id != 0)
			return cursors[i].continuation;
	return NULL;
}

static void cursor_drop(int64_t id)
{
	for (size_t i = 0; i < 64; i++)
		if (cursors[i].id == id && id != 0) {
			bson_destroy(cursors[i].continuation);
			cursors[i].id = 0;
			cursors[i].continuation = NULL;
		}
}

static bool first_page(const char *fn, const char *db, const bson_t *cmd, bson_t *reply)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "SELECT cursorpage::bytea, continuation::bytea FROM documentdb_api.%s($1, "
		 "$2::bytea::documentdb_core.bson)",
		 fn);
	bson_t *cont = NULL;
	if (!sql_bson(sql, db, cmd, NULL, reply, 1, &cont))
		return false;
	cursor_keep(reply, cont);
	return true;
}

/*
 * createIndexes returns once the indexes are built, as MongoDB's does:
 * DocumentDB queues the build for a pg_cron job (every 2 s); the front runs
 * the job itself and waits for the request to be complete.
 */
static void create_indexes(const char *db, const bson_t *cmd, bson_t *reply)
{
	bson_t first = BSON_INITIALIZER;
	bson_t *requests = NULL;
	if (!sql_bson(
		"SELECT retval::bytea, requests::bytea FROM "
		"documentdb_api.create_indexes_background($1, $2::bytea::documentdb_core.bson)",
		db, cmd, NULL, &first, 1, &requests)) {
		bson_concat(reply, &first);
		bson_destroy(&first);
		return;
	}
	/* a build done inline (a hidden index) leaves no request to wait for */
	bson_iter_t rq, rt;
	if (requests && !(bson_iter_init(&rq, requests) &&
			  bson_iter_find_descendant(&rq, "indexRequest.cmdType", &rt))) {
		bson_destroy(requests);
		requests = NULL;
	}
	for (int i = 0; requests && i < 3000; i++) {
		PQclear(PQexec(pg, "CALL documentdb_api_internal.build_index_concurrently(1)"));
		const char *values[1] = {(const char *)bson_get_data(requests)};
		int lengths[1] = {(int)requests->len};
		int formats[1] = {1};
		Oid types[1] = {17};
		PGresult *r = PQexecParams(pg,
					   "SELECT complete, retval::bytea FROM "
					   "documentdb_api_internal.check_build_index_status("
					   "$1::bytea::documentdb_core.bson)",
					   1, types, values, lengths, formats, 1);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			error_reply(reply, PQresultErrorField(r, PG_DIAG_SQLSTATE),
				    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
			PQclear(r);
			bson_destroy(requests);
			bson_destroy(&first);
			return;
		}
		bool complete = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] != 0;
		if (complete) {
			bson_t status;
			bson_iter_t it;
			if (!PQgetisnull(r, 0, 1) &&
			    bson_init_static(&status, (const uint8_t *)PQgetvalue(r, 0, 1),
					     (size_t)PQgetlength(r, 0, 1)) &&
			    bson_iter_init_find(&it, &status, "ok") && !bson_iter_as_bool(&it)) {
				/* the build failed (duplicates for a unique index) */
				const char *msg = "index build failed";
				bson_iter_t m, f;
				if (bson_iter_init(&m, &status) &&
				    bson_iter_find_descendant(&m, "raw.defaultShard.errmsg", &f) &&
				    BSON_ITER_HOLDS_UTF8(&f))
					msg = bson_iter_utf8(&f, NULL);
				char st[6] = "";
				if (bson_iter_init(&m, &status) &&
				    bson_iter_find_descendant(&m, "raw.defaultShard.code", &f) &&
				    BSON_ITER_HOLDS_INT32(&f))
					sqlstate_of_int(bson_iter_int32(&f), st);
				error_reply(reply, st, msg);
				PQclear(r);
				bson_destroy(requests);
				bson_destroy(&first);
				return;
			}
			PQclear(r);
			break;
		}
		PQclear(r);
		usleep(20 * 1000);
	}
	if (requests)
		bson_destroy(requests);
	/* a refusal comes back as {raw: {defaultShard: {ok: 0, errmsg, code}}, ok: 1} */
	bson_iter_t fi, ff;
	if (bson_iter_init(&fi, &first) &&
	    bson_iter_find_descendant(&fi, "raw.defaultShard.ok", &ff) && !bson_iter_as_bool(&ff)) {
		const char *msg = "createIndexes failed";
		char st[6] = "";
		if (bson_iter_init(&fi, &first) &&
		    bson_iter_find_descendant(&fi, "raw.defaultShard.errmsg", &ff) &&
		    BSON_ITER_HOLDS_UTF8(&ff))
			msg = bson_iter_utf8(&ff, NULL);
		if (bson_iter_init(&fi, &first) &&
		    bson_iter_find_descendant(&fi, "raw.defaultShard.code", &ff) &&
		    BSON_ITER_HOLDS_INT32(&ff))
			sqlstate_of_int(bson_iter_int32(&ff), st);
		error_reply(reply, st, msg);
		bson_destroy(&first);
		return;
	}
	bson_concat(reply, &first);
	bson_destroy(&first);
}

/* ---- the handshake ---- */

static void hello(bson_t *reply, bool legacy_name)
{
	if (legacy_name)
		BSON_APPEND_BOOL(reply, "ismaster", true);
	else
		BSON_APPEND_BOOL(reply, "isWritablePrimary", true);
	BSON_APPEND_BOOL(reply, "helloOk", true);
	BSON_APPEND_INT32(reply, "maxBsonObjectSize", 16 * 1024 * 1024);
	BSON_APPEND_INT32(reply, "maxMessageSizeBytes", MAX_MESSAGE);
	BSON_APPEND_INT32(reply, "maxWriteBatchSize", 100000);
	BSON_APPEND_DATE_TIME(reply, "localTime", (int64_t)time(NULL) * 1000);
	BSON_APPEND_INT32(reply, "connectionId", connection_id);
	BSON_APPEND_INT32(reply, "minWireVersion", 0);
	BSON_APPEND_INT32(reply, "maxWireVersion", 17);
	BSON_APPEND_BOOL(reply, "readOnly", false);
	BSON_APPEND_DOUBLE(reply, "ok", 1);
}

static void build_info(bson_t *reply)
{
	bson_t arr, engine;
	BSON_APPEND_UTF8(reply, "version", "6.0.0");
	bson_append_array_begin(reply, "versionArray", -1, &arr);
	BSON_APPEND_INT32(&arr, "0", 6);
	BSON_APPEND_INT32(&arr, "1", 0);
	BSON_APPEND_INT32(&arr, "2", 0);
	BSON_APPEND_INT32(&arr, "3", 0);
	bson_append_array_end(reply, &arr);
	/* the engine behind the front, as FerretDB and DocumentDB's own gateway
	 * name it */
	PGresult *r =
	    PQexec(pg, "SELECT extversion FROM pg_extension WHERE extname = 'documentdb'");
	bson_append_document_begin(reply, "documentdb", -1, &engine);
	BSON_APPEND_UTF8(
	    &engine, "version",
	    PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "?");
	bson_append_document_end(reply, &engine);
	PQclear(r);
	BSON_APPEND_INT32(reply, "maxBsonObjectSize", 16 * 1024 * 1024);
	BSON_APPEND_DOUBLE(reply, "ok", 1);
}

/* ---- commands ---- */

static const char *str_field(const bson_t *doc, const char *key)
{
	bson_iter_t it;
	if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it))
		return bson_iter_utf8(&it, NULL);
	return NULL;
}

/* The command without what the driver adds and DocumentDB has no use for. */
static void strip(const bson_t *in, bson_t *out)
{
	static const char *const drop[] = {"$db",
					   "lsid",
					   "$clusterTime",
					   "$readPreference",
					   "txnNumber",
					   "autocommit",
					   "startTransaction",
					   "apiVersion",
					   "apiStrict",
					   "apiDeprecationErrors"};
	bson_iter_t it;
	bson_iter_init(&it, in);
	while (bson_iter_next(&it)) {
		bool skip = false;
		for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
			if (strcmp(bson_iter_key(&it), drop[i]) == 0)
				skip = true;
		if (!skip)
			bson_append_iter(out, NULL, 0, &it);
	}
}

static void run(const bson_t *body, bson_t *reply)
{
	bson_iter_t it;
	if (!bson_iter_init(&it, body) || !bson_iter_next(&it)) {
		error_reply(reply, "M0001", "empty command");
		return;
	}
	char name[64];
	snprintf(name, sizeof(name), "%s", bson_iter_key(&it));
	const char *coll = BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : NULL;
	const char *db = str_field(body, "$db");
	if (!db)
		db = "admin";
	bson_t cmd = BSON_INITIALIZER;
	strip(body, &cmd);

	if (!strcasecmp(name, "hello") || !strcasecmp(name, "isMaster"))
		hello(reply, strcasecmp(name, "hello") != 0);
	else if (!strcasecmp(name, "buildInfo"))
		build_info(reply);
	else if (!strcmp(name, "ping") || !strcmp(name, "endSessions") ||
		 !strcmp(name, "getParameter"))
		BSON_APPEND_DOUBLE(reply, "ok", 1);
	else if (!strcmp(name, "insert") || !strcmp(name, "update") || !strcmp(name, "delete")) {
		char sql[256];
		snprintf(sql, sizeof(sql),
			 "SELECT p_result::bytea FROM documentdb_api.%s($1, "
			 "$2::bytea::documentdb_core.bson)",
			 name);
		sql_bson(sql, db, &cmd, NULL, reply, -1, NULL);
	} else if (!strcmp(name, "find"))
		first_page("find_cursor_first_page", db, &cmd, reply);
	else if (!strcmp(name, "aggregate"))
		first_page("aggregate_cursor_first_page", db, &cmd, reply);
	else if (!strcmp(name, "listCollections"))
		first_page("list_collections_cursor_first_page", db, &cmd, reply);
	else if (!strcmp(name, "listIndexes"))
		first_page("list_indexes_cursor_first_page", db, &cmd, reply);
	else if (!strcmp(name, "getMore")) {
		int64_t id = bson_iter_as_int64(&it);
		bson_t *cont = cursor_find(id);
		if (!cont) {
			BSON_APPEND_DOUBLE(reply, "ok", 0);
			BSON_APPEND_UTF8(reply, "errmsg", "cursor not found");
			BSON_APPEND_INT32(reply, "code", 43);
			BSON_APPEND_UTF8(reply, "codeName", "CursorNotFound");
		} else {
			bson_t *next = NULL;
			if (sql_bson(
				"SELECT cursorpage::bytea, continuation::bytea FROM "
				"documentdb_api.cursor_get_more($1, "
				"$2::bytea::documentdb_core.bson, $3::bytea::documentdb_core.bson)",
				db, &cmd, cont, reply, 1, &next)) {
				cursor_drop(id);
				cursor_keep(reply, next);
			}
		}
	} else if (!strcmp(name, "killCursors")) {
		bson_iter_t c;
		if (bson_iter_init_find(&c, body, "cursors") && BSON_ITER_HOLDS_ARRAY(&c)) {
			bson_iter_t e;
			bson_iter_recurse(&c, &e);
			while (bson_iter_next(&e))
				cursor_drop(bson_iter_as_int64(&e));
		}
		BSON_APPEND_DOUBLE(reply, "ok", 1);
	} else if (!strcmp(name, "count"))
		sql_bson("SELECT document::bytea FROM documentdb_api.count_query($1, "
			 "$2::bytea::documentdb_core.bson)",
			 db, &cmd, NULL, reply, -1, NULL);
	else if (!strcmp(name, "distinct"))
		sql_bson("SELECT document::bytea FROM documentdb_api.distinct_query($1, "
			 "$2::bytea::documentdb_core.bson)",
			 db, &cmd, NULL, reply, -1, NULL);
	else if (!strcasecmp(name, "findAndModify"))
		sql_bson("SELECT p_result::bytea FROM documentdb_api.find_and_modify($1, "
			 "$2::bytea::documentdb_core.bson)",
			 db, &cmd, NULL, reply, -1, NULL);
	else if (!strcmp(name, "create"))
		sql_bson("SELECT documentdb_api.create_collection_view($1, "
			 "$2::bytea::documentdb_core.bson)::bytea",
			 db, &cmd, NULL, reply, -1, NULL);
	else if (!strcmp(name, "createIndexes"))
		create_indexes(db, &cmd, reply);
	else if (!strcmp(name, "dropIndexes"))
		sql_bson(
		    "CALL documentdb_api.drop_indexes($1, $2::bytea::documentdb_core.bson, NULL)",
		    db, &cmd, NULL, reply, -1, NULL);
	else if (!strcmp(name, "collMod") && coll) {
		/* coll_mod(db, collection, spec): the collection as a second text */
		bson_t withname = BSON_INITIALIZER;
		const char *values[3] = {db, coll, (const char *)bson_get_data(&cmd)};
		int lengths[3] = {0, 0, (int)cmd.len};
		int formats[3] = {0, 0, 1};
		Oid types[3] = {25, 25, 17};
		PGresult *r = PQexecParams(pg,
					   "SELECT documentdb_api.coll_mod($1, $2, "
					   "$3::bytea::documentdb_core.bson)::bytea",
					   3, types, values, lengths, formats, 1);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			error_reply(reply, PQresultErrorField(r, PG_DIAG_SQLSTATE),
				    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
		else {
			bson_t got;
			if (bson_init_static(&got, (const uint8_t *)PQgetvalue(r, 0, 0),
					     (size_t)PQgetlength(r, 0, 0)))
				bson_copy_to_excluding_noinit(&got, reply, "", NULL);
		}
		PQclear(r);
		bson_destroy(&withname);
	} else if (!strcmp(name, "renameCollection"))
		sql_bson(
		    "SELECT documentdb_api.rename_collection($2::bytea::documentdb_core.bson)::"
		    "bytea",
		    db, &cmd, NULL, reply, -1, NULL);
	else if (!strcmp(name, "drop") && coll) {
		const char *values[2] = {db, coll};
		PGresult *r = PQexecParams(pg, "SELECT documentdb_api.drop_collection($1, $2)", 2,
					   NULL, values, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			error_reply(reply, PQresultErrorField(r, PG_DIAG_SQLSTATE),
				    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
		else if (strcmp(PQgetvalue(r, 0, 0), "t") != 0)
			error_reply(reply, "M0008", "ns not found");
		else
			BSON_APPEND_DOUBLE(reply, "ok", 1);
		PQclear(r);
	} else if (!strcmp(name, "dropDatabase")) {
		const char *values[1] = {db};
		PGresult *r = PQexecParams(pg, "SELECT documentdb_api.drop_database($1)", 1, NULL,
					   values, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			error_reply(reply, PQresultErrorField(r, PG_DIAG_SQLSTATE),
				    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
		else
			BSON_APPEND_DOUBLE(reply, "ok", 1);
		PQclear(r);
	} else {
		BSON_APPEND_DOUBLE(reply, "ok", 0);
		char msg[128];
		snprintf(msg, sizeof(msg), "no such command: '%s'", name);
		BSON_APPEND_UTF8(reply, "errmsg", msg);
		BSON_APPEND_INT32(reply, "code", 59);
		BSON_APPEND_UTF8(reply, "codeName", "CommandNotFound");
	}
	bson_destroy(&cmd);
}

/* ---- the wire ---- */

static bool read_all(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n > 0) {
		ssize_t got = read(fd, p, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		p += got;
		n -= (size_t)got;
	}
	return true;
}

static bool write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n > 0) {
		ssize_t put = write(fd, p, n);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return false;
		p += put;
		n -= (size_t)put;
	}
	return true;
}

static int32_t le32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[3] << 24);
}

static void put32(uint8_t *p, int32_t v)
{
	uint32_t u = (uint32_t)v;
	p[0] = (uint8_t)u;
	p[1] = (uint8_t)(u >> 8);
	p[2] = (uint8_t)(u >> 16);
	p[3] = (uint8_t)(u >> 24);
}

static bool send_msg(int fd, int32_t response_to, const bson_t *reply)
{
	size_t n = 16 + 4 + 1 + reply->len;
	uint8_t *out = malloc(n);
	if (!out)
		return false;
	put32(out, (int32_t)n);
	put32(out + 4, next_request++);
	put32(out + 8, response_to);
	put32(out + 12, OP_MSG);
	put32(out + 16, 0);
	out[20] = 0;
	memcpy(out + 21, bson_get_data(reply), reply->len);
	bool ok = write_all(fd, out, n);
	free(out);
	return ok;
}

static bool send_reply(int fd, int32_t response_to, const bson_t *reply)
{
	size_t n = 16 + 20 + reply->len;
	uint8_t *out = calloc(1, n);
	if (!out)
		return false;
	put32(out, (int32_t)n);
	put32(out + 4, next_request++);
	put32(out + 8, response_to);
	put32(out + 12, OP_REPLY);
	put32(out + 32, 1); /* numberReturned; flags, cursor id, startingFrom 0 */
	memcpy(out + 36, bson_get_data(reply), reply->len);
	bool ok = write_all(fd, out, n);
	free(out);
	return ok;
}

/* OP_MSG: the body, with each document sequence (kind 1) as an array in it. */
static bool parse_msg(const uint8_t *p, size_t n, bson_t *body)
{
	if (n < 5)
		return false;
	uint32_t flags = (uint32_t)le32(p);
	if (flags & 1) /* checksumPresent */
		n -= 4;
	size_t at = 4;
	bool have_body = false;
	bson_t seqs = BSON_INITIALIZER;
	while (at < n) {
		uint8_t kind = p[at++];
		if (kind == 0) {
			if (at + 4 > n)
				return false;
			int32_t len = le32(p + at);
			bson_t b;
			if (len < 5 || at + (size_t)len > n ||
			    !bson_init_static(&b, p + at, (size_t)len))
				return false;
			bson_concat(body, &b);
			have_body = true;
			at += (size_t)len;
		} else if (kind == 1) {
			int32_t size = le32(p + at);
			size_t end = at + (size_t)size;
			if (size < 5 || end > n)
				return false;
			const char *id = (const char *)p + at + 4;
			size_t idlen = strnlen(id, end - at - 4);
			size_t d = at + 4 + idlen + 1;
			bson_t arr;
			bson_append_array_begin(&seqs, id, (int)idlen, &arr);
			int i = 0;
			while (d + 4 <= end) {
				int32_t len = le32(p + d);
				bson_t doc;
				if (len < 5 || d + (size_t)len > end ||
				    !bson_init_static(&doc, p + d, (size_t)len))
					return false;
				char key[16];
				snprintf(key, sizeof(key), "%d", i++);
				bson_append_document(&arr, key, -1, &doc);
				d += (size_t)len;
			}
			bson_append_array_end(&seqs, &arr);
			at = end;
		} else {
			return false;
		}
	}
	if (!have_body)
		return false;
	bson_concat(body, &seqs);
	bson_destroy(&seqs);
	return true;
}

static void serve(int fd)
{
	uint8_t header[16];
	while (read_all(fd, header, sizeof(header))) {
		int32_t len = le32(header);
		int32_t request = le32(header + 4);
		int32_t op = le32(header + 12);
		if (len < 16 || len > MAX_MESSAGE)
			return;
		uint8_t *p = malloc((size_t)len - 16);
		if (!p || !read_all(fd, p, (size_t)len - 16)) {
			free(p);
			return;
		}
		size_t n = (size_t)len - 16;
		bson_t reply = BSON_INITIALIZER;
		bool ok = true;
		if (op == OP_MSG) {
			bson_t *body = bson_new();
			if (parse_msg(p, n, body)) {
				run(body, &reply);
				ok = send_msg(fd, request, &reply);
			} else {
				ok = false;
			}
			bson_destroy(body);
		} else if (op == OP_QUERY && n > 4) {
			/* the legacy handshake: flags, "db.$cmd", skip, return, query */
			const char *ns = (const char *)p + 4;
			size_t nslen = strnlen(ns, n - 4);
			size_t at = 4 + nslen + 1 + 8;
			bson_t q;
			if (at + 4 <= n && bson_init_static(&q, p + at, (size_t)le32(p + at))) {
				bson_t *body = bson_new();
				bson_iter_t it;
				/* {$query: {...}} or the command itself */
				if (bson_iter_init_find(&it, &q, "$query") &&
				    BSON_ITER_HOLDS_DOCUMENT(&it)) {
					const uint8_t *d;
					uint32_t l;
					bson_iter_document(&it, &l, &d);
					bson_t inner;
					bson_init_static(&inner, d, l);
					bson_copy_to_excluding_noinit(&inner, body, "", NULL);
				} else {
					bson_copy_to_excluding_noinit(&q, body, "", NULL);
				}
				char db[128];
				snprintf(db, sizeof(db), "%.*s", (int)strcspn(ns, "."), ns);
				BSON_APPEND_UTF8(body, "$db", db);
				run(body, &reply);
				ok = send_reply(fd, request, &reply);
				bson_destroy(body);
			} else {
				ok = false;
			}
		} else {
			ok = false;
		}
		bson_destroy(&reply);
		free(p);
		if (!ok)
			return;
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mongo_front CONNINFO PORTFILE\n");
		return 2;
	}
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(s, 64) < 0) {
		perror("mongo_front: listen");
		return 1;
	}
	socklen_t alen = sizeof(addr);
	getsockname(s, (struct sockaddr *)&addr, &alen);
	/* the port file appears whole, once the socket listens */
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", ntohs(addr.sin_port)) < 0 || fclose(f) != 0 ||
	    rename(tmp, argv[2]) != 0) {
		perror("mongo_front: port file");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("mongo_front: accept");
			return 1;
		}
		connection_id++;
		pid_t pid = fork();
		if (pid == 0) {
			close(s);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			pg = PQconnectdb(argv[1]);
			if (PQstatus(pg) != CONNECTION_OK) {
				fprintf(stderr, "mongo_front: %s", PQerrorMessage(pg));
				_exit(1);
			}
			PQclear(PQexec(pg, "SET client_min_messages = warning"));
			serve(c);
			PQfinish(pg);
			_exit(0);
		}
		close(c);
	}
}
