#include "sql/scan.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

struct name_list {
	struct arena *arena;
	const char **names;
	size_t n, alloc;
};

static void name_add(struct name_list *l, const char *name)
{
	if (!*name)
		return;
	ARENA_GROW(l->arena, l->names, l->n, l->alloc, l->n + 1);
	l->names[l->n++] = name;
}

/* An identifier token as PostgreSQL folds it: "Quoted" as written ("" is "), else lowercase. */
static const char *token_name(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1), *w = out;
	if (n >= 2 && s[0] == '"') {
		for (size_t i = 1; i + 1 < n; i++) {
			*w++ = s[i];
			if (s[i] == '"' && s[i + 1] == '"')
				i++;
		}
	} else {
		for (size_t i = 0; i < n; i++)
			*w++ = (char)tolower((unsigned char)s[i]);
	}
	*w = '\0';
	return out;
}

static bool scan_tokens(struct arena *a, const char *text, size_t len, struct name_list *l)
{
	PgQueryScanResult sr = pg_query_scan(text);
	bool ok = !sr.error;
	PgQuery__ScanResult *scan = NULL;
	if (ok)
		scan =
		    pg_query__scan_result__unpack(NULL, sr.pbuf.len, (const uint8_t *)sr.pbuf.data);
	if (!scan)
		ok = false;
	for (size_t i = 0; ok && i < scan->n_tokens; i++) {
		const PgQuery__ScanToken *t = scan->tokens[i];
		bool name = t->token == PG_QUERY__TOKEN__IDENT ||
			    (t->keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD &&
			     t->keyword_kind != PG_QUERY__KEYWORD_KIND__RESERVED_KEYWORD);
		if (!name || t->start < 0 || t->end <= t->start || (size_t)t->end > len)
			continue;
		name_add(l, token_name(a, text + t->start, (size_t)(t->end - t->start)));
	}
	if (scan)
		pg_query__scan_result__free_unpacked(scan, NULL);
	pg_query_free_scan_result(sr);
	return ok;
}

/* What the scanner cannot read: every run of identifier characters, lowercased. */
static void scan_words(struct arena *a, const char *text, size_t len, struct name_list *l)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)text[i];
		if (!(isalpha(c) || c == '_' || c >= 0x80)) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && (isalnum((unsigned char)text[i]) || text[i] == '_' ||
				   text[i] == '$' || (unsigned char)text[i] >= 0x80))
			i++;
		name_add(l, token_name(a, text + start, i - start));
	}
}

static int compare_names(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

size_t sql_scan_names(struct arena *a, const char *text, size_t len, const char ***ret_names)
{
	struct name_list l = {.arena = a};
	const char *copy = arena_strndup(a, text, len); /* the scanner reads to a NUL */
	if (!scan_tokens(a, copy, len, &l)) {
		l.n = 0;
		scan_words(a, copy, len, &l);
	}
	if (l.n)
		qsort(l.names, l.n, sizeof(*l.names), compare_names);
	size_t n = 0;
	for (size_t i = 0; i < l.n; i++)
		if (!n || strcmp(l.names[n - 1], l.names[i]) != 0)
			l.names[n++] = l.names[i];
	*ret_names = l.names;
	return n;
}
