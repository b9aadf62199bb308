#include "migration/migration.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"

static const char *const section_names[SECTION__COUNT] = {
    [SECTION_EXPAND] = "expand",
    [SECTION_CONTRACT] = "contract",
    [SECTION_REVERT_EXPAND] = "revert-expand",
    [SECTION_REVERT_CONTRACT] = "revert-contract",
};

const char *migration_section_name(enum migration_section s)
{
	return s < SECTION__COUNT ? section_names[s] : "?";
}

size_t text_bom_len(const char *text, size_t len)
{
	return len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

size_t text_line_end(const char *text, size_t pos, size_t len, size_t *ret_next)
{
	size_t e = pos;
	while (e < len && text[e] != '\n' && text[e] != '\r')
		e++;
	if (ret_next) {
		*ret_next = e;
		if (e < len) /* "\r\n" is one line end */
			*ret_next += text[e] == '\r' && e + 1 < len && text[e + 1] == '\n' ? 2 : 1;
	}
	return e;
}

void text_offset_to_line_column(const char *text, size_t len, size_t offset, int *ret_line,
				int *ret_column)
{
	int line = 1;
	size_t line_start = 0;
	if (offset > len)
		offset = len;
	for (size_t next, e = text_line_end(text, 0, len, &next); e < offset;
	     e = text_line_end(text, next, len, &next)) {
		/* a "\r\n" is one line end; offset may stand between its two bytes */
		if (next > offset)
			break;
		line++;
		line_start = next;
	}
	*ret_line = line;
	*ret_column = (int)(offset - line_start) + 1;
	/* columns count from after a byte-order mark, as editors show them */
	if (line == 1 && offset >= text_bom_len(text, len))
		*ret_column -= (int)text_bom_len(text, len);
}

size_t text_invalid_utf8(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		unsigned lo = 0x80, hi = 0xBF; /* the range of the second byte */
		if (c >= 0xC2 && c <= 0xDF) {
			n = 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 3;
			if (c == 0xE0)
				lo = 0xA0; /* overlong */
			else if (c == 0xED)
				hi = 0x9F; /* UTF-16 surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 4;
			if (c == 0xF0)
				lo = 0x90; /* overlong */
			else if (c == 0xF4)
				hi = 0x8F; /* past U+10FFFF */
		} else {
			return i;
		}
		if (i + n > len || s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k < n; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xBF)
				return i;
		i += n;
	}
	return len;
}

bool migration_version_from_name(const char *basename, int64_t *ret_version,
				 const char **ret_slug_start)
{
	const char *p = basename;
	int64_t v = 0;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p)) {
		int d = *p - '0';
		if (v > (INT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		p++;
	}
	if (*p == '_' || *p == '-')
		p++;
	*ret_version = v;
	if (ret_slug_start)
		*ret_slug_start = p;
	return true;
}

static const char *path_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A marker line: optional blanks, "--", optional blanks, "migrate:" then a word. */
static bool line_marker(const char *line, const char *end, const char **ret_word,
			size_t *ret_word_len, const char **ret_rest)
{
	const char *p = line;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p < 2 || p[0] != '-' || p[1] != '-')
		return false;
	p += 2;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < 8 || strncmp(p, "migrate:", 8) != 0)
		return false;
	p += 8;
	const char *w = p;
	while (p < end && (isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
		p++;
	*ret_word = w;
	*ret_word_len = (size_t)(p - w);
	*ret_rest = p;
	return true;
}

static bool word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && strncmp(w, s, n) == 0;
}

static char *trim_dup(struct arena *a, const char *s, const char *e)
{
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	return arena_strndup(a, s, (size_t)(e - s));
}

/* Adds one allow per comma-separated rule in [s, e); a " -- " starts the reason. */
static void parse_allow_rules(struct arena *a, struct migration *m, size_t *alloc, const char *s,
			      const char *e, int line, int column, size_t offset, bool file_wide)
{
	const char *reason = NULL;
	for (const char *p = s; p + 1 < e; p++) {
		if (p[0] == '-' && p[1] == '-') {
			reason = p + 2;
			e = p;
			break;
		}
	}
	const char *line_end = reason ? reason + strcspn(reason, "\r\n") : NULL;
	while (s < e) {
		const char *comma = memchr(s, ',', (size_t)(e - s));
		const char *item_end = comma ? comma : e;
		char *rule = trim_dup(a, s, item_end);
		if (*rule) {
			ARENA_GROW(a, m->allows, m->n_allows, *alloc, m->n_allows + 1);
			struct migration_allow *al = &m->allows[m->n_allows++];
			al->rule = rule;
			al->reason = reason ? trim_dup(a, reason, line_end) : NULL;
			al->line = line;
			al->column = column;
			al->offset = offset;
			al->file_wide = file_wide;
		}
		s = comma ? comma + 1 : e;
	}
}

static int section_from_word(const char *w, size_t n)
{
	for (int s = 0; s < SECTION__COUNT; s++)
		if (word_is(w, n, section_names[s]))
			return s;
	/* dbmate's markers, so that files written for it lint with --raw */
	if (word_is(w, n, "up"))
		return SECTION_EXPAND;
	if (word_is(w, n, "down"))
		return SECTION_REVERT_EXPAND;
	return -1;
}

int migration_parse_text(struct arena *a, const char *path, const char *text, size_t len,
			 struct migration **ret, struct mg_error *err)
{
	struct migration *m = arena_alloc(a, sizeof(*m));
	m->path = arena_strdup(a, path);
	m->text = text;
	m->text_len = len;
	hash_sha256_hex(text, len, m->file_checksum);
	memcpy(m->checksum, m->file_checksum, sizeof(m->checksum));

	const char *base = path_basename(path);
	const char *slug = base;
	m->has_version = migration_version_from_name(base, &m->version, &slug);
	const char *dot = strrchr(slug, '.');
	m->name = dot ? arena_strndup(a, slug, (size_t)(dot - slug)) : arena_strdup(a, slug);
	m->kind = has_suffix(base, ".json") ? MIGRATION_JSON : MIGRATION_SQL;
	/* Refused here, before anything runs: PostgreSQL would fail on the first
	 * statement that holds the bad byte, after the ones before it had run. */
	size_t bad = text_invalid_utf8(text, len);
	if (bad < len) {
		int l, c;
		text_offset_to_line_column(text, len, bad, &l, &c);
		mg_error_set_at(err, 2, path, l, c, "invalid UTF-8 (byte 0x%02x)",
				(unsigned char)text[bad]);
		mg_error_set_help(err,
				  "save the file as UTF-8 (iconv -f LATIN1 -t UTF-8, for one)");
		return -1;
	}
	if (!migration_is_sql(m)) {
		*ret = m;
		return 0;
	}
	if (memchr(text, '\0', len))
		return mg_error_set_at(err, 2, path, 0, 0, "file holds a NUL byte; not SQL text");

	/* A byte-order mark is no text (psql skips it too); the checksum still covers it. */
	size_t body = text_bom_len(text, len);
	size_t allow_alloc = 0;
	int current = -1;
	size_t first_marker = len;
	int line_no = 0;
	/* Lines end at "\n", "\r\n" or a lone "\r", as in PostgreSQL's lexer: a
	 * file saved with old Mac line ends has its markers on lines of their own. */
	for (size_t pos = body; pos < len;) {
		const char *line = text + pos;
		size_t next;
		const char *end = text + text_line_end(text, pos, len, &next);
		const char *w, *rest;
		size_t wn;
		line_no++;
		if (line_marker(line, end, &w, &wn, &rest)) {
			int column = (int)(strstr(line, "--") - line) + 1;
			if (word_is(w, wn, "allow") || word_is(w, wn, "allow-file")) {
				bool file_wide = word_is(w, wn, "allow-file");
				if (rest == end || !isspace((unsigned char)*rest))
					return mg_error_set_at(err, 2, path, line_no, column,
							       "'-- migrate:%.*s' names no rule",
							       (int)wn, w);
				parse_allow_rules(a, m, &allow_alloc, rest, end, line_no, column,
						  pos, file_wide);
			} else {
				int s = section_from_word(w, wn);
				if (s < 0) {
					mg_error_set_at(err, 2, path, line_no, column,
							"unknown section marker '-- migrate:%.*s'",
							(int)wn, w);
					mg_error_set_help(err, "markers are expand, contract, "
							       "revert-expand, revert-contract, "
							       "allow and allow-file");
					return -1;
				}
				if (m->sections[s].present)
					return mg_error_set_at(
					    err, 2, path, line_no, column,
					    "section '%s' appears twice (first at line %d)",
					    section_names[s], m->sections[s].marker_line);
				if (current >= 0)
					m->sections[current].end = pos;
				if (first_marker == len)
					first_marker = pos;
				m->sections[s].present = true;
				m->sections[s].start = next;
				m->sections[s].end = len;
				m->sections[s].marker_line = line_no;
				current = s;
			}
		}
		pos = next;
	}

	/* Text before the first marker: a file without markers is all expand;
	 * otherwise it may only hold comments, or it belongs to no phase. */
	if (current < 0) {
		m->sections[SECTION_EXPAND].present = true;
		m->sections[SECTION_EXPAND].start = body;
		m->sections[SECTION_EXPAND].end = len;
	} else {
		size_t p = text_skip_blank(text, body, first_marker);
		if (p < first_marker) {
			int l, c;
			text_offset_to_line_column(text, len, p, &l, &c);
			mg_error_set_at(err, 2, path, l, c,
					"statement before the first section marker belongs to no "
					"phase");
			mg_error_set_help(err, "put it under '-- migrate:expand'");
			return -1;
		}
	}
	migration_statement_checksum(m, m->checksum);
	*ret = m;
	return 0;
}

size_t text_skip_blank(const char *text, size_t pos, size_t end)
{
	while (pos < end) {
		char c = text[pos];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			pos++;
		} else if (c == '-' && pos + 1 < end && text[pos + 1] == '-') {
			while (pos < end && text[pos] != '\n' && text[pos] != '\r')
				pos++;
		} else if (c == '/' && pos + 1 < end && text[pos + 1] == '*') {
			/* block comments nest in PostgreSQL */
			int depth = 0;
			while (pos < end) {
				if (text[pos] == '/' && pos + 1 < end && text[pos + 1] == '*') {
					depth++;
					pos += 2;
				} else if (text[pos] == '*' && pos + 1 < end &&
					   text[pos + 1] == '/') {
					pos += 2;
					if (--depth == 0)
						break;
				} else {
					pos++;
				}
			}
		} else {
			break;
		}
	}
	return pos;
}

int migration_load_file(struct arena *a, const char *path, struct migration **ret,
			struct mg_error *err)
{
	char *text;
	size_t len;
	int64_t v;
	/* history has no row 0: 'revert --to 0' reverts every migration, this one too */
	if (migration_version_from_name(path_basename(path), &v, NULL) && v == 0) {
		mg_error_set_at(err, 2, path, 0, 0,
				"version 0 is reserved ('revert --to 0' means every migration)");
		mg_error_set_help(err, "number migrations from 1");
		return -1;
	}
	if (file_read_all(a, path, &text, &len, err) < 0)
		return -1;
	return migration_parse_text(a, path, text, len, ret, err);
}

void migration_set_add(struct arena *a, struct migration_set *set, struct migration *m)
{
	ARENA_GROW(a, set->items, set->n, set->alloc, set->n + 1);
	m->order = (int)set->n;
	set->items[set->n++] = m;
}

static int migration_cmp(const void *pa, const void *pb)
{
	const struct migration *x = *(const struct migration *const *)pa;
	const struct migration *y = *(const struct migration *const *)pb;
	if (x->has_version != y->has_version)
		return x->has_version ? -1 : 1; /* versioned files first */
	if (x->has_version && x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return x->order - y->order;
}

void migration_set_sort(struct migration_set *set)
{
	/* Versioned files by version, then the others in the order given; ties
	 * keep their original order, which makes qsort stable here. */
	if (set->n > 1) /* an empty set has no array: qsort must not see NULL */
		qsort(set->items, set->n, sizeof(*set->items), migration_cmp);
	for (size_t i = 0; i < set->n; i++)
		set->items[i]->order = (int)i;
}

static int name_cmp(const void *pa, const void *pb)
{
	return strcmp(*(char *const *)pa, *(char *const *)pb);
}

int migration_load_dir(struct arena *a, const char *dir, struct migration_set *set,
		       struct mg_error *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return mg_error_set(err, 2, "cannot open migrations directory '%s': %s", dir,
				    strerror(errno));
	char **names = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (!has_suffix(de->d_name, ".sql") && !has_suffix(de->d_name, ".json"))
			continue;
		ARENA_GROW(a, names, n, alloc, n + 1);
		names[n++] = arena_strdup(a, de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);

	size_t first = set->n;
	for (size_t i = 0; i < n; i++) {
		/* "dir/" and "dir" name the same files: no "dir//0001_x.sql" in reports */
		size_t dl = strlen(dir);
		while (dl > 1 && dir[dl - 1] == '/')
			dl--;
		const char *path = arena_printf(a, "%.*s/%s", (int)dl, dir, names[i]);
		int64_t v;
		if (!migration_version_from_name(names[i], &v, NULL)) {
			mg_error_set_at(err, 2, path, 0, 0, "migration file name has no version");
			mg_error_set_help(err, "name it <version>_<slug>.sql, e.g. 0001_%s",
					  names[i]);
			return -1;
		}
		struct migration *m;
		if (migration_load_file(a, path, &m, err) < 0)
			return -1;
		migration_set_add(a, set, m);
	}
	/* sort only this directory's files, then look for twins */
	struct migration_set part = {set->items + first, set->n - first, 0};
	migration_set_sort(&part);
	for (size_t i = first; i < set->n; i++)
		set->items[i]->order = (int)i;
	for (size_t i = first + 1; i < set->n; i++) {
		if (set->items[i]->version == set->items[i - 1]->version) {
			mg_error_set_at(err, 2, set->items[i]->path, 0, 0,
					"duplicate version %lld: also used by '%s'",
					(long long)set->items[i]->version, set->items[i - 1]->path);
			mg_error_set_help(err, "give one of them the next free version");
			return -1;
		}
	}
	return 0;
}

int migration_load_paths(struct arena *a, const char *const *paths, size_t n_paths,
			 struct migration_set *set, struct mg_error *err)
{
	for (size_t i = 0; i < n_paths; i++) {
		int kind = path_kind(paths[i]);
		if (kind < 0)
			return mg_error_set(err, 2, "no such file or directory: '%s'", paths[i]);
		if (kind == 1) {
			if (migration_load_dir(a, paths[i], set, err) < 0)
				return -1;
			continue;
		}
		struct migration *m;
		if (migration_load_file(a, paths[i], &m, err) < 0)
			return -1;
		migration_set_add(a, set, m);
	}
	migration_set_sort(set);
	return 0;
}
