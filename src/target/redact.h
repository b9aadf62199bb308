/* Connection strings as they may be printed, and messages cleaned of their secrets. */
#ifndef MG_DRIVER_REDACT_H
#define MG_DRIVER_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"

/*
 * The URL as it may be printed, every secret in it replaced by "***".
 * PostgreSQL URLs and conninfo strings are read by libpq's own parser
 * (PQconninfoParse), whatever the order and quoting of their keywords:
 * password, sslpassword and any keyword whose name holds "password",
 * "secret" or "token" are hidden, whether they come as conninfo keywords,
 * URL userinfo or URL query parameters (percent-encoded or not). A conninfo
 * comes back rebuilt from libpq's values, in the order it gave its keywords.
 * mongodb:// URLs lose their
 * userinfo password and secret options. A string libpq cannot parse is
 * printed as its scheme and "***" ("***" alone without a scheme); sqlite:
 * paths are printed as they are.
 */
const char *url_redact(struct arena *a, const char *url);

/*
 * Replaces in msg (NUL-terminated, in a buffer of size bytes) every secret
 * of url, in every form it may be printed (as written, percent-decoded,
 * unquoted), and the value of PGPASSWORD, by "***": for text a server or
 * library wrote (libpq and mongo-c-driver messages) before it goes into an
 * mg_error. When libpq cannot parse a PostgreSQL url, its message may quote
 * back any part of it, so every double-quoted part of msg is replaced too,
 * unless it is a libpq keyword or stands in url as a key before any secret
 * (followed by '='). Secrets shorter than 3 bytes are left alone: they
 * would match ordinary words.
 */
void secret_scrub(char *msg, size_t size, const char *url);

/* secret_scrub() for the message of a library that could not parse url (mongo-c-driver's). */
void secret_scrub_unparsed(char *msg, size_t size, const char *url);

/* Whether a connection keyword or URL option names a secret (case-insensitive). */
bool secret_keyword(const char *keyword);

#endif
