/* Quoting for SQL text (sql/quote.h). */
#include "sql/quote.h"

#include <string.h>

#include "util/hash.h"

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

const char *sql_name_fit(struct arena *a, const char *name)
{
	enum { NAME_MAX_BYTES = 63, HASH_DIGITS = 8 };
	size_t len = strlen(name);
	if (len <= NAME_MAX_BYTES)
		return arena_strdup(a, name);
	char hex[SHA256_HEX_LEN + 1];
	hash_sha256_hex(name, len, hex);
	size_t keep = NAME_MAX_BYTES - 1 - HASH_DIGITS;
	/* never half a UTF-8 character: back off over continuation bytes */
	while (keep && ((unsigned char)name[keep] & 0xC0) == 0x80)
		keep--;
	return arena_printf(a, "%.*s_%.*s", (int)keep, name, HASH_DIGITS, hex);
}
