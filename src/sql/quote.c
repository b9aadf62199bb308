/* Quoting for SQL text (sql/quote.h). */
#include "sql/quote.h"

#include <string.h>

const char *sql_ident(struct arena *a, const char *name)
{
	size_t n = strlen(name), q = 0;
	for (size_t i = 0; i < n; i++)
		q += name[i] == '"';
	char *out = arena_alloc(a, n + q + 3);
	char *p = out;
	*p++ = '"';
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '"')
			*p++ = '"';
		*p++ = name[i];
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

const char *sql_literal(struct arena *a, const char *text)
{
	size_t n = strlen(text);
	char *out = arena_alloc(a, 2 * n + 4);
	char *p = out;
	if (strchr(text, '\\'))
		*p++ = 'E';
	*p++ = '\'';
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\'' || text[i] == '\\')
			*p++ = text[i];
		*p++ = text[i];
	}
	*p++ = '\'';
	*p = '\0';
	return out;
}

const char *sql_rangevar(struct arena *a, const PgQuery__RangeVar *rv)
{
	if (rv->schemaname && *rv->schemaname)
		return arena_printf(a, "%s.%s", sql_ident(a, rv->schemaname),
				    sql_ident(a, rv->relname));
	return sql_ident(a, rv->relname);
}
