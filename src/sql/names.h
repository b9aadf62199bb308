#ifndef MG_SQL_NAMES_H
#define MG_SQL_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

/*
 * The names the engine makes for its own objects: trash tables and
 * collections, shadow columns, sync and write-log triggers and their
 * functions, NOT NULL checks, temporary copies of indexes and constraints.
 *
 * Every one is made here, once, from its parts, and written into the
 * statements that create it (and, where a later command has to find it, into
 * the object itself: planner_column.c); nothing takes a generated name apart
 * or builds it again to find the object (PostgreSQL records the names a later
 * command must find: target/pg/names_pg.h).
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

#endif
