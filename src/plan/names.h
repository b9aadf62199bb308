#ifndef MG_PLAN_NAMES_H
#define MG_PLAN_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "driver/driver.h"
#include "util/arena.h"

/*
 * The names the engine makes for its own objects: trash tables and
 * collections, shadow columns, sync and write-log triggers and their
 * functions, NOT NULL checks, temporary copies of indexes and constraints.
 *
 * Every one is made here, once, from its parts, and written into the
 * statements that create it (and, where a later command has to find it, into
 * the object itself: planner_column.c); nothing takes a generated name apart
 * or builds it again to find the object.
 *
 * A name fits NAMES_MAX_BYTES, PostgreSQL's NAMEDATALEN - 1: PostgreSQL would
 * cut a longer one silently, and two long names sharing their first 63 bytes
 * would then be one. SQLite and MongoDB have no such bound on a table or
 * collection name, but their trash names keep the same one, so that a name
 * reads the same on every target (and a MongoDB namespace, database name
 * included, stays far below its 255 bytes).
 */
#define NAMES_MAX_BYTES	  63
#define NAMES_HASH_DIGITS 8

/*
 * name as it is kept: name itself when it fits max bytes; else its first
 * bytes, cut at a character boundary (never half a UTF-8 sequence), then '_'
 * and the first NAMES_HASH_DIGITS hex digits of the SHA-256 of the whole
 * name, so that two long names sharing a prefix stay apart (the way
 * PostgreSQL's ChooseRelationName keeps generated names unique). The same
 * name always gives the same result. max is at least NAMES_HASH_DIGITS + 2
 * (the hash and '_' alone would not fit a smaller one).
 */
const char *names_fit(struct arena *a, size_t max, const char *name);

/* names_fit(NAMES_MAX_BYTES) of the name made from fmt and its parts. */
const char *names_make(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * names_make() of fmt's name ended with '_' and NAMES_HASH_DIGITS hex digits
 * of the SHA-256 of source, the object the name is for written so that no
 * two objects have the same ("schema"."table"."column", quoted): for names
 * of one namespace made from parts that can join to the same text (table
 * "a_b" column "c" and table "a" column "b_c"; one table name in two
 * schemas).
 */
const char *names_make_apart(struct arena *a, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * PostgreSQL: a name a later command must find again is recorded where it is
 * made, on the function of the planner's trigger that lives exactly as long
 * as the name matters (a type change's sync trigger for its shadow column, a
 * contract's write-log trigger for its log table): a comment
 * {"migrate": kind, "column": column, "name": name, "version": version},
 * set in the transaction that creates the function and gone with it. The
 * history's planned steps hold the same statement.
 *
 * names_pg_record() is that COMMENT statement (function: its qualified,
 * quoted name); names_pg_recorded() reads back, into ret (one column:
 * name), what the triggers of rel record for kind and column (version 0:
 * of any migration), in the order of the triggers' names.
 */
#define NAMES_KIND_SHADOW "shadow" /* a type change's new-type column */
#define NAMES_KIND_RENAME "rename" /* a rename's new column (written by the user) */
#define NAMES_KIND_LOG	  "log"	   /* a contract's write log, in migrate_trash */

const char *names_pg_record(struct arena *a, const char *function, const char *kind,
			    const char *column, const char *name, int64_t version);
int names_pg_recorded(struct driver *d, struct arena *a, const char *rel, const char *kind,
		      const char *column, int64_t version, struct driver_rows *ret,
		      struct mg_error *err);

/*
 * The same, as SQL text to splice into a catalogue query: the recorded names,
 * rows (name, kind, column, version, trigger), of the triggers of the
 * relation whose oid is the SQL expression rel_oid. A function with no
 * record (one made before names were recorded) gives no row.
 */
const char *names_pg_recorded_sql(struct arena *a, const char *rel_oid);

/* In a printf format: does this comment of a function hold a record (names_pg_record)? */
#define NAMES_PG_IS_RECORD(comment_sql) "coalesce(" comment_sql " LIKE '{\"migrate\": %%', false)"

/*
 * The name PostgreSQL gives name1_name2_label itself (its makeObjectName):
 * the longer of the two names cut until the whole fits 63 bytes.
 */
const char *names_pg_object(struct arena *a, const char *name1, const char *name2,
			    const char *label);

#endif
