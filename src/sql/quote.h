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
/* schema.name from a RangeVar, quoted. */
const char *sql_rangevar(struct arena *a, const PgQuery__RangeVar *rv);

#endif
