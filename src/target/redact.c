/*
 * Secrets never printed: connection strings are read the way their library
 * reads them (libpq's PQconninfoParse for PostgreSQL) instead of searched
 * for a substring, so no order, case, quoting or encoding of a keyword lets
 * a password through.
 */
#include "target/redact.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strbuf.h"

#define MASK "***"
/* shorter secrets would match ordinary words of a message */
#define SCRUB_MIN_LEN 3

struct secrets {
	struct arena *a;
	const char **items;
	size_t n, alloc;
};

static void secrets_add(struct secrets *s, const char *v, size_t n)
{
	if (!v || !n)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->items[i]) == n && memcmp(s->items[i], v, n) == 0)
			return;
	ARENA_GROW(s->a, s->items, s->n, s->alloc, s->n + 1);
	s->items[s->n++] = arena_strndup(s->a, v, n);
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool secret_keyword(const char *keyword)
{
	static const char *const words[] = {"password", "secret", "token",
					    "authmechanismproperties"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(keyword, words[i]))
			return true;
	return false;
}

static bool is_pg_url(const char *url)
{
	return starts_with(url, "postgres://") || starts_with(url, "postgresql://");
}

static bool is_mongo_url(const char *url)
{
	return starts_with(url, "mongodb://") || starts_with(url, "mongodb+srv://");
}

/* The length of "scheme://" at the start of url, 0 when there is none. */
static size_t scheme_len(const char *url)
{
	size_t n = 0;
	while (isalnum((unsigned char)url[n]) || url[n] == '+' || url[n] == '-' || url[n] == '.')
		n++;
	return n && strncmp(url + n, "://", 3) == 0 ? n + 3 : 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* %XX decoded; a '%' that starts no valid escape stays as it is. */
static char *percent_decode(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hex_value(s[i + 1])) >= 0 &&
		    (lo = hex_value(s[i + 2])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

static void secrets_add_url_form(struct secrets *s, const char *raw, size_t n)
{
	secrets_add(s, raw, n);
	const char *decoded = percent_decode(s->a, raw, n);
	secrets_add(s, decoded, strlen(decoded));
}

/*
 * The parts of scheme://[userinfo@]rest: where userinfo's password starts
 * and ends (NULL without one) and where the query starts (NULL without one).
 * libpq ends userinfo at the first '@' before any '/'; mongo_rule ends it at
 * the last '@' (a password with an unescaped '/' or '?' still ends there).
 */
struct url_parts {
	const char *user, *user_end; /* user_end: the ':' or the '@' */
	const char *password, *password_end;
	const char *after_userinfo;
	const char *query;
};

static void url_split(const char *url, bool mongo_rule, struct url_parts *ret)
{
	memset(ret, 0, sizeof(*ret));
	const char *auth = url + scheme_len(url);
	const char *at = NULL;
	if (mongo_rule) {
		at = strrchr(auth, '@');
	} else {
		const char *p = auth + strcspn(auth, "@/");
		at = *p == '@' ? p : NULL;
	}
	ret->after_userinfo = auth;
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		ret->user = auth;
		ret->user_end = colon ? colon : at;
		if (colon) {
			ret->password = colon + 1;
			ret->password_end = at;
		}
		ret->after_userinfo = at + 1;
	}
	ret->query = strchr(ret->after_userinfo, '?');
}

/*
 * Every query parameter: fn(key decoded, raw value, its length). Both '&'
 * and ';' (which MongoDB URLs may use) separate parameters.
 */
static void url_query_each(struct arena *a, const char *query,
			   void (*fn)(void *ctx, const char *key, const char *value, size_t n),
			   void *ctx)
{
	for (const char *p = query; p && *p;) {
		size_t len = strcspn(p, "&;");
		const char *eq = memchr(p, '=', len);
		if (eq) {
			const char *key = percent_decode(a, p, (size_t)(eq - p));
			fn(ctx, key, eq + 1, len - (size_t)(eq + 1 - p));
		}
		p += len;
		if (*p)
			p++;
	}
}

static void collect_query_value(void *ctx, const char *key, const char *value, size_t n)
{
	struct secrets *s = ctx;
	if (!secret_keyword(key))
		return;
	secrets_add_url_form(s, value, n);
	/* authMechanismProperties=NAME:VALUE,NAME:VALUE: each VALUE on its own */
	const char *decoded = percent_decode(s->a, value, n);
	for (const char *p = decoded; *p;) {
		size_t len = strcspn(p, ",");
		const char *colon = memchr(p, ':', len);
		if (colon)
			secrets_add(s, colon + 1, len - (size_t)(colon + 1 - p));
		p += len;
		if (*p)
			p++;
	}
}

static void collect(struct secrets *s, const char *url, int depth);

static void collect_url(struct secrets *s, const char *url)
{
	/* both rules: a secret found by either is hidden in messages */
	for (int mongo_rule = 0; mongo_rule <= 1; mongo_rule++) {
		struct url_parts u;
		url_split(url, mongo_rule, &u);
		if (u.password)
			secrets_add_url_form(s, u.password, (size_t)(u.password_end - u.password));
		if (u.query)
			url_query_each(s->a, u.query + 1, collect_query_value, s);
	}
}

/* One key=value of a conninfo: the key, the value as written and unescaped. */
struct conninfo_pair {
	const char *key;
	const char *raw;
	size_t raw_len;
	size_t run_len; /* raw_len and the words after it up to the next key=value */
	const char *value;
};

/*
 * A conninfo read the way libpq's conninfo_parse reads it (key, '=', a
 * value quoted with '...' or ending at white space, backslash escapes in
 * both), but without stopping at what libpq refuses: a word without '='
 * is skipped, an unterminated quote runs to the end.
 */
static void conninfo_each(struct arena *a, const char *conninfo,
			  void (*fn)(void *ctx, const struct conninfo_pair *pair), void *ctx)
{
	const char *p = conninfo;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *key = p;
		while (*p && *p != '=' && !isspace((unsigned char)*p))
			p++;
		struct conninfo_pair pair = {.key = arena_strndup(a, key, (size_t)(p - key))};
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=')
			continue;
		p++;
		while (isspace((unsigned char)*p))
			p++;
		bool quoted = *p == '\'';
		if (quoted)
			p++;
		pair.raw = p;
		struct strbuf v = STRBUF_INIT;
		while (*p && (quoted ? *p != '\'' : !isspace((unsigned char)*p))) {
			if (*p == '\\' && p[1])
				p++;
			strbuf_addch(&v, *p++);
		}
		pair.raw_len = (size_t)(p - pair.raw);
		pair.value = arena_strdup(a, v.len ? v.buf : "");
		strbuf_release(&v);
		/* a password with a space, not quoted, runs to the next key=value */
		const char *more = p;
		while (!quoted && *more) {
			const char *w = more + strspn(more, " \t\n\r\f\v");
			size_t wn = strcspn(w, " \t\n\r\f\v");
			if (!wn || memchr(w, '=', wn))
				break;
			more = w + wn;
		}
		pair.run_len = (size_t)(more - pair.raw);
		fn(ctx, &pair);
		if (quoted && *p)
			p++;
	}
}

static void collect_conninfo_pair(void *ctx, const struct conninfo_pair *pair)
{
	struct secrets *s = ctx;
	if (!secret_keyword(pair->key))
		return;
	secrets_add(s, pair->raw, pair->raw_len);
	secrets_add(s, pair->value, strlen(pair->value));
	secrets_add(s, pair->raw, pair->run_len);
}

static bool option_is_secret(const PQconninfoOption *o)
{
	/* dispchar "*": libpq's own mark for a value to hide */
	return (o->dispchar && strchr(o->dispchar, '*')) || secret_keyword(o->keyword);
}

/* Every secret of url, the authoritative ones (libpq's parse) and the lenient ones. */
static void collect(struct secrets *s, const char *url, int depth)
{
	if (starts_with(url, "sqlite:") || depth > 2)
		return;
	/* user:password@host without a scheme is still taken as a URL */
	if (scheme_len(url) || strchr(url, '@'))
		collect_url(s, url);
	if (!scheme_len(url))
		conninfo_each(s->a, url, collect_conninfo_pair, s);
	if (is_mongo_url(url))
		return;
	PQconninfoOption *opts = PQconninfoParse(url, NULL);
	for (const PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (!o->val)
			continue;
		if (option_is_secret(o))
			secrets_add(s, o->val, strlen(o->val));
		else if (strstr(o->val, "://"))
			/* a URL inside a conninfo value (dbname) is taken as a name,
			 * and printed back by the server */
			collect(s, o->val, depth + 1);
	}
	PQconninfoFree(opts);
}

/* Replaces every secret (SCRUB_MIN_LEN or longer) in text by MASK; longest first. */
static char *mask_all(struct arena *a, const char *text, const struct secrets *s)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = text; *p;) {
		size_t best = 0;
		for (size_t i = 0; i < s->n; i++) {
			size_t n = strlen(s->items[i]);
			if (n >= SCRUB_MIN_LEN && n > best && strncmp(p, s->items[i], n) == 0)
				best = n;
		}
		if (best) {
			strbuf_addstr(&sb, MASK);
			p += best;
		} else {
			strbuf_addch(&sb, *p++);
		}
	}
	char *ret = arena_strdup(a, sb.len ? sb.buf : "");
	strbuf_release(&sb);
	return ret;
}

static void add_env_secrets(struct secrets *s)
{
	const char *pw = getenv("PGPASSWORD");
	if (pw)
		secrets_add(s, pw, strlen(pw));
}

/* ---- printable forms ---- */

static const char *fallback(struct arena *a, const char *url)
{
	size_t n = scheme_len(url);
	return n ? arena_printf(a, "%.*s" MASK, (int)n, url) : MASK;
}

/*
 * scheme://[user[:***]@]rest, the values of secret query parameters
 * replaced; the query is copied piece by piece so that its separators stay.
 */
static const char *redact_url_text(struct arena *a, const char *url, bool mongo_rule)
{
	struct url_parts u;
	url_split(url, mongo_rule, &u);
	struct strbuf sb = STRBUF_INIT;
	strbuf_add(&sb, url, scheme_len(url));
	if (u.user) {
		strbuf_add(&sb, u.user, (size_t)(u.user_end - u.user));
		if (u.password)
			strbuf_addstr(&sb, ":" MASK);
		strbuf_addch(&sb, '@');
	}
	const char *end = u.query ? u.query : u.after_userinfo + strlen(u.after_userinfo);
	strbuf_add(&sb, u.after_userinfo, (size_t)(end - u.after_userinfo));
	if (u.query) {
		strbuf_addch(&sb, '?');
		for (const char *p = u.query + 1; *p;) {
			size_t len = strcspn(p, "&;");
			const char *eq = memchr(p, '=', len);
			if (eq && secret_keyword(percent_decode(a, p, (size_t)(eq - p)))) {
				strbuf_add(&sb, p, (size_t)(eq + 1 - p));
				strbuf_addstr(&sb, MASK);
			} else {
				strbuf_add(&sb, p, len);
			}
			p += len;
			if (*p)
				strbuf_addch(&sb, *p++);
		}
	}
	const char *ret = arena_strdup(a, sb.buf);
	strbuf_release(&sb);
	return ret;
}

static const PQconninfoOption *option_find(const PQconninfoOption *opts, const char *keyword)
{
	for (const PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, keyword) == 0)
			return o;
	return NULL;
}

/*
 * Whether libpq reads the redacted URL as the original with its secrets
 * "***" and everything else the same: the proof that the text was cut
 * where libpq cuts it.
 */
static bool same_but_secrets(const PQconninfoOption *orig, const char *redacted)
{
	PQconninfoOption *red = PQconninfoParse(redacted, NULL);
	if (!red)
		return false;
	bool same = true;
	for (const PQconninfoOption *o = orig; o->keyword && same; o++) {
		const PQconninfoOption *r = option_find(red, o->keyword);
		if (!r)
			same = false;
		else if (option_is_secret(o))
			same = !o->val || !*o->val || (r->val && strcmp(r->val, MASK) == 0);
		else
			same =
			    (!o->val && !r->val) || (o->val && r->val && !strcmp(o->val, r->val));
	}
	PQconninfoFree(red);
	return same;
}

static void conninfo_add_value(struct strbuf *sb, const char *v)
{
	bool plain = *v != '\0';
	for (const char *p = v; *p && plain; p++)
		if (isspace((unsigned char)*p) || *p == '\'' || *p == '\\')
			plain = false;
	if (plain) {
		strbuf_addstr(sb, v);
		return;
	}
	strbuf_addch(sb, '\'');
	for (const char *p = v; *p; p++) {
		if (*p == '\'' || *p == '\\')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '\'');
}

struct key_order {
	struct arena *a;
	const char **keys;
	size_t n, alloc;
};

static void key_order_add(void *ctx, const struct conninfo_pair *pair)
{
	struct key_order *k = ctx;
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->keys[i], pair->key) == 0)
			return;
	ARENA_GROW(k->a, k->keys, k->n, k->alloc, k->n + 1);
	k->keys[k->n++] = pair->key;
}

/*
 * key=value for every keyword libpq found, secrets "***": in the order the
 * string gave them when its keys are exactly libpq's, else in libpq's order.
 */
static const char *redact_conninfo(struct arena *a, const PQconninfoOption *opts, const char *url)
{
	struct key_order order = {.a = a};
	conninfo_each(a, url, key_order_add, &order);
	size_t n_set = 0;
	bool same = true;
	for (const PQconninfoOption *o = opts; o->keyword; o++)
		n_set += o->val != NULL;
	for (size_t i = 0; i < order.n && same; i++) {
		const PQconninfoOption *o = option_find(opts, order.keys[i]);
		same = o && o->val;
	}
	if (!same || order.n != n_set) {
		order.n = 0;
		for (const PQconninfoOption *o = opts; o->keyword; o++)
			if (o->val) {
				ARENA_GROW(a, order.keys, order.n, order.alloc, order.n + 1);
				order.keys[order.n++] = o->keyword;
			}
	}
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < order.n; i++) {
		const PQconninfoOption *o = option_find(opts, order.keys[i]);
		strbuf_addf(&sb, "%s%s=", sb.len ? " " : "", o->keyword);
		if (option_is_secret(o))
			strbuf_addstr(&sb, MASK);
		else if (strstr(o->val, "://"))
			conninfo_add_value(&sb, url_redact(a, o->val));
		else
			conninfo_add_value(&sb, o->val);
	}
	const char *ret = arena_strdup(a, sb.len ? sb.buf : "");
	strbuf_release(&sb);
	return ret;
}

const char *url_redact(struct arena *a, const char *url)
{
	if (!url)
		return "";
	if (starts_with(url, "sqlite:"))
		return arena_strdup(a, url);
	const char *out = NULL;
	if (is_mongo_url(url)) {
		out = redact_url_text(a, url, true);
	} else {
		PQconninfoOption *opts = PQconninfoParse(url, NULL);
		if (!opts)
			return fallback(a, url);
		if (!is_pg_url(url))
			out = redact_conninfo(a, opts, url);
		else if (same_but_secrets(opts, (out = redact_url_text(a, url, false))) == false)
			out = fallback(a, url);
		PQconninfoFree(opts);
	}
	/* a secret that is also another value (user=password) goes there too */
	struct secrets s = {.a = a};
	collect(&s, url, 0);
	add_env_secrets(&s);
	return mask_all(a, out, &s);
}

/* ---- messages ---- */

static bool is_libpq_keyword(const char *s, size_t n)
{
	PQconninfoOption *defs = PQconndefaults();
	bool found = false;
	for (const PQconninfoOption *o = defs; o && o->keyword && !found; o++)
		found = strlen(o->keyword) == n && strncmp(o->keyword, s, n) == 0;
	PQconninfoFree(defs);
	return found;
}

/*
 * Whether url holds the n bytes at s where a key stands (at the start or
 * after white space, '?' or '&', and followed by '='), before anything that
 * names a secret: what libpq names there is an option's name, not a part of
 * a password with a space in it.
 */
static bool is_key_of(const char *url, const char *s, size_t n)
{
	const char *limit = url + strlen(url);
	static const char *const words[] = {"password", "secret", "token"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		const char *w = strcasestr(url, words[i]);
		if (w && w < limit)
			limit = w;
	}
	for (const char *p = url; (p = strchr(p, '=')) && p <= limit; p++) {
		const char *k = p - n;
		if (k < url || strncmp(k, s, n) != 0)
			continue;
		if (k == url || isspace((unsigned char)k[-1]) || k[-1] == '?' || k[-1] == '&')
			return true;
	}
	return false;
}

/* "..." in text becomes "***" unless it holds one character, a keyword or a key of url. */
static char *mask_quoted(struct arena *a, const char *text, const char *url)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = text; *p;) {
		const char *close = *p == '"' ? strchr(p + 1, '"') : NULL;
		if (!close) {
			strbuf_addch(&sb, *p++);
			continue;
		}
		size_t n = (size_t)(close - p - 1);
		if (n <= 1 || is_libpq_keyword(p + 1, n) || is_key_of(url, p + 1, n))
			strbuf_add(&sb, p, n + 2);
		else
			strbuf_addstr(&sb, "\"" MASK "\"");
		p = close + 1;
	}
	char *ret = arena_strdup(a, sb.len ? sb.buf : "");
	strbuf_release(&sb);
	return ret;
}

static void scrub(char *msg, size_t size, const char *url, bool unparsed)
{
	if (!msg || !size || !url)
		return;
	struct arena a = ARENA_INIT;
	struct secrets s = {.a = &a};
	collect(&s, url, 0);
	add_env_secrets(&s);
	char *clean = mask_all(&a, msg, &s);
	if (!unparsed && !starts_with(url, "sqlite:") && !is_mongo_url(url)) {
		PQconninfoOption *opts = PQconninfoParse(url, NULL);
		unparsed = !opts;
		PQconninfoFree(opts);
	}
	if (unparsed)
		clean = mask_quoted(&a, clean, url);
	size_t n = strlen(clean);
	if (n >= size)
		n = size - 1;
	memcpy(msg, clean, n);
	msg[n] = '\0';
	arena_release(&a);
}

void secret_scrub(char *msg, size_t size, const char *url)
{
	scrub(msg, size, url, false);
}

void secret_scrub_unparsed(char *msg, size_t size, const char *url)
{
	scrub(msg, size, url, true);
}
