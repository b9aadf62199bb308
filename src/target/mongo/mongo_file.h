#ifndef MG_MONGO_FILE_H
#define MG_MONGO_FILE_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>

#include "migration/migration.h"
#include "util/arena.h"
#include "util/error.h"

/*
 * A MongoDB migration: one JSON object whose keys are the sections
 * ("expand", "contract", "revert-expand", "revert-contract"), each an array
 * of database commands in relaxed Extended JSON:
 *
 *   {"expand": [{"createIndexes": "users", "indexes": [...]}],
 *    "contract": [{"drop": "legacy_users"}]}
 *
 * The text is parsed with libbson; a small scan of the same text finds where
 * each command starts, so findings and errors point at file:line.
 */

/* One database command of a section. */
struct mongo_command {
	const struct migration *migration;
	enum migration_section section;
	size_t index; /* 0-based position in its section's array */
	int line;     /* where the command's '{' stands in the file */
	int column;
	const uint8_t *data; /* the command as BSON, arena-owned */
	size_t len;
	const char *name; /* its first key: "createIndexes", "collMod", ... */
	const char
	    *target; /* the first key's value when it is a string (a collection), else NULL */
	/* the command in canonical Extended JSON, on one line: what runs and what the
	 * history keeps, every type as written ({"$numberLong": "5"} stays an int64) */
	const char *json;
};

struct mongo_section {
	bool present;
	int line; /* of the section's key */
	struct mongo_command *commands;
	size_t n;
};

struct mongo_file {
	const struct migration *migration;
	struct mongo_section sections[SECTION__COUNT];
};

/*
 * Parses a migration of kind MIGRATION_JSON. Bad JSON, an unknown or repeated
 * section, a section that is not an array, or an element that is not a
 * command document fail at file:line:column (exit 2). Everything lives in a.
 */
int mongo_file_parse(struct arena *a, const struct migration *m, struct mongo_file *ret,
		     struct mg_error *err);

/* A read-only bson_t over the command's bytes (no copy, nothing to destroy). */
void mongo_command_bson(const struct mongo_command *c, bson_t *ret);

/*
 * Canonical Extended JSON of a document, on one line, in a: read back, it is
 * the same document (relaxed JSON turns a small int64 into an int32).
 */
const char *mongo_bson_json(struct arena *a, const bson_t *doc);

/* The same command as relaxed Extended JSON, for people to read; text itself when not JSON. */
const char *mongo_json_display(struct arena *a, const char *json);

#endif
