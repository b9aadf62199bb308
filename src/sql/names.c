/* The engine's generated names (sql/names.h). */
#include "sql/names.h"

#include <stdarg.h>
#include <string.h>

#include "util/hash.h"

const char *names_fit(struct arena *a, size_t max, const char *name)
{
	size_t len = strlen(name);
	if (len <= max)
		return arena_strdup(a, name);
	char hex[SHA256_HEX_LEN + 1];
	hash_sha256_hex(name, len, hex);
	size_t keep = max > NAMES_HASH_DIGITS + 1 ? max - 1 - NAMES_HASH_DIGITS : 0;
	/* never half a UTF-8 character: back off over continuation bytes */
	while (keep && ((unsigned char)name[keep] & 0xC0) == 0x80)
		keep--;
	return arena_printf(a, "%.*s_%.*s", (int)keep, name, NAMES_HASH_DIGITS, hex);
}

const char *names_make(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *name = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return names_fit(a, NAMES_MAX_BYTES, name);
}

const char *names_make_apart(struct arena *a, const char *source, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *name = arena_vprintf(a, fmt, ap);
	va_end(ap);
	char hex[SHA256_HEX_LEN + 1];
	hash_sha256_hex(source, strlen(source), hex);
	return names_make(a, "%s_%.*s", name, NAMES_HASH_DIGITS, hex);
}
