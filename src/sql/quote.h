#ifndef MG_SQL_QUOTE_H
#define MG_SQL_QUOTE_H

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "util/arena.h"

/*
 * Names and strings made safe to splice into SQL text. PostgreSQL and SQLite
 * quote identifiers the same way (double quotes, a quote inside doubled).
 */

/* "name" quoted as an identifier, always. */
const char *sql_ident(struct arena *a, const char *name);
/* 'text' as a PostgreSQL string literal (E'' when it holds a backslash). */
const char *sql_literal(struct arena *a, const char *text);
/*
 * A name the engine makes, as PostgreSQL will keep it (NAMEDATALEN: at most 63
 * bytes): name itself when it fits; else its first bytes, cut at a character
 * boundary, then '_' and the first 8 hex digits of the SHA-256 of the whole
 * name, so that two long names sharing a 63-byte prefix stay apart (the way
 * PostgreSQL's ChooseRelationName keeps generated names unique). The same name
 * always gives the same result, so every place that makes it agrees.
 */
const char *sql_name_fit(struct arena *a, const char *name);
/* schema.name from a RangeVar, quoted. */
const char *sql_rangevar(struct arena *a, const PgQuery__RangeVar *rv);

#endif
