#include "target/mongo/mongo_file.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- where things stand in the text ---- */

/*
 * libbson says whether the text is JSON and what it holds, but not where a
 * value stands. This scan walks the same text (already known to be valid)
 * and records, for each member of the top-level object, where its key stands
 * and where each element of its array begins.
 */
struct json_member {
	size_t key_offset;
	size_t *elements;
	size_t n_elements, alloc_elements;
};

static size_t skip_space(const char *t, size_t len, size_t p)
{
	while (p < len && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' || t[p] == '\r'))
		p++;
	return p;
}

static size_t skip_string(const char *t, size_t len, size_t p)
{
	/* p is at the opening quote */
	for (p++; p < len && t[p] != '"'; p++)
		if (t[p] == '\\')
			p++;
	return p < len ? p + 1 : len;
}

static size_t skip_value(const char *t, size_t len, size_t p)
{
	if (p >= len)
		return len;
	if (t[p] == '"')
		return skip_string(t, len, p);
	if (t[p] == '{' || t[p] == '[') {
		int depth = 0;
		while (p < len) {
			char c = t[p];
			if (c == '"') {
				p = skip_string(t, len, p);
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0)
				return p + 1;
			p++;
		}
		return len;
	}
	while (p < len && !strchr(",}] \t\r\n", t[p]))
		p++;
	return p;
}

static size_t scan_members(struct arena *a, const char *t, size_t len,
			   struct json_member **ret_members)
{
	struct json_member *members = NULL;
	size_t n = 0, alloc = 0;
	size_t p = skip_space(t, len, 0);
	if (p < len && t[p] == '{')
		p++;
	for (;;) {
		p = skip_space(t, len, p);
		if (p >= len || t[p] != '"')
			break;
		ARENA_GROW(a, members, n, alloc, n + 1);
		struct json_member *m = &members[n++];
		memset(m, 0, sizeof(*m));
		m->key_offset = p;
		p = skip_space(t, len, skip_string(t, len, p));
		if (p < len && t[p] == ':')
			p = skip_space(t, len, p + 1);
		if (p < len && t[p] == '[') {
			p++;
			for (;;) {
				p = skip_space(t, len, p);
				if (p >= len || t[p] == ']') {
					p++;
					break;
				}
				ARENA_GROW(a, m->elements, m->n_elements, m->alloc_elements,
					   m->n_elements + 1);
				m->elements[m->n_elements++] = p;
				p = skip_space(t, len, skip_value(t, len, p));
				if (p < len && t[p] == ',')
					p++;
			}
		} else {
			p = skip_value(t, len, p);
		}
		p = skip_space(t, len, p);
		if (p < len && t[p] == ',')
			p++;
	}
	*ret_members = members;
	return n;
}

/* ---- parsing ---- */

/*
 * A strict recursive check of the JSON grammar, for the errors libbson
 * reports without a position ("Incomplete JSON" for a missing comma between
 * two objects): the offset of the first thing that cannot stand where it
 * does, or len when the text is well formed.
 */
static size_t json_check_value(const char *t, size_t len, size_t p, int depth);

static size_t json_check_members(const char *t, size_t len, size_t p, char close, int depth)
{
	p = skip_space(t, len, p + 1);
	if (p < len && t[p] == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			if (p >= len || t[p] != '"')
				return (size_t)-1 - p;
			p = skip_space(t, len, skip_string(t, len, p));
			if (p >= len || t[p] != ':')
				return (size_t)-1 - p;
			p = skip_space(t, len, p + 1);
		}
		p = json_check_value(t, len, p, depth + 1);
		if (p > len)
			return p;
		p = skip_space(t, len, p);
		if (p < len && t[p] == close)
			return p + 1;
		if (p >= len || t[p] != ',')
			return (size_t)-1 - p;
		p = skip_space(t, len, p + 1);
	}
}

/* Returns the offset past the value, or (size_t)-1 - offset of an error. */
static size_t json_check_value(const char *t, size_t len, size_t p, int depth)
{
	if (p >= len || depth > 200)
		return (size_t)-1 - p;
	if (t[p] == '{' || t[p] == '[')
		return json_check_members(t, len, p, t[p] == '{' ? '}' : ']', depth);
	if (t[p] == '"') {
		size_t e = skip_string(t, len, p);
		return e <= len && e > p + 1 && t[e - 1] == '"' ? e : (size_t)-1 - p;
	}
	size_t e = p;
	while (e < len && !strchr(",}] \t\r\n", t[e]))
		e++;
	return e > p ? e : (size_t)-1 - p;
}

static bool json_first_error(const char *t, size_t len, size_t *ret_offset)
{
	size_t p = json_check_value(t, len, skip_space(t, len, 0), 0);
	if (p > len) {
		*ret_offset = (size_t)-1 - p;
		return true;
	}
	p = skip_space(t, len, p);
	*ret_offset = p;
	return p < len;
}

/* libbson's parse errors read 'Got parse error at "x", position 12: "..."'. */
static size_t json_error_offset(const char *text, size_t len, const char *message)
{
	const char *pos = strstr(message, "position ");
	size_t offset;
	if (pos)
		return (size_t)strtoull(pos + 9, NULL, 10);
	if (json_first_error(text, len, &offset))
		return offset;
	/* others quote the value they could not read ("bad" as date): find it */
	const char *q = strchr(message, '"');
	const char *q2 = q ? strchr(q + 1, '"') : NULL;
	if (q && q2 && q2 > q + 1) {
		size_t n = (size_t)(q2 - q) + 1;
		for (size_t i = 0; i + n <= len; i++)
			if (memcmp(text + i, q, n) == 0)
				return i;
	}
	return 0;
}

static int fail_at(struct mg_error *err, const struct migration *m, size_t offset, const char *fmt,
		   ...) __attribute__((format(printf, 4, 5)));

static int fail_at(struct mg_error *err, const struct migration *m, size_t offset, const char *fmt,
		   ...)
{
	char msg[sizeof(err->message)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int line, column;
	text_offset_to_line_column(m->text, m->text_len, offset, &line, &column);
	return mg_error_set_at(err, 2, m->path, line, column, "%s", msg);
}

static int section_from_key(const char *key)
{
	for (int s = 0; s < SECTION__COUNT; s++)
		if (strcmp(key, migration_section_name(s)) == 0)
			return s;
	return -1;
}

const char *mongo_bson_json(struct arena *a, const bson_t *doc)
{
	size_t n;
	char *json = bson_as_canonical_extended_json(doc, &n);
	if (!json)
		return arena_strdup(a, "{}");
	const char *out = arena_strndup(a, json, n);
	bson_free(json);
	return out;
}

const char *mongo_json_display(struct arena *a, const char *json)
{
	bson_error_t berr;
	bson_t *doc = bson_new_from_json((const uint8_t *)json, -1, &berr);
	if (!doc)
		return json;
	size_t n;
	char *relaxed = bson_as_relaxed_extended_json(doc, &n);
	const char *out = relaxed ? arena_strndup(a, relaxed, n) : json;
	bson_free(relaxed);
	bson_destroy(doc);
	return out;
}

void mongo_command_bson(const struct mongo_command *c, bson_t *ret)
{
	if (!bson_init_static(ret, c->data, c->len))
		bson_init(ret);
}

static int parse_command(struct arena *a, const struct migration *m, bson_iter_t *elem,
			 const struct json_member *where, size_t index, struct mongo_command *c,
			 struct mg_error *err)
{
	size_t offset = index < where->n_elements ? where->elements[index] : where->key_offset;
	const char *section = migration_section_name(c->section);
	if (!BSON_ITER_HOLDS_DOCUMENT(elem)) {
		fail_at(err, m, offset, "%s: each element is a database command object", section);
		mg_error_set_help(err, "write {\"createIndexes\": \"users\", \"indexes\": [...]}, "
				       "{\"collMod\": ...}, ...");
		return -1;
	}
	uint32_t len;
	const uint8_t *data;
	bson_iter_document(elem, &len, &data);
	bson_t doc;
	bson_iter_t it;
	if (!bson_init_static(&doc, data, len) || !bson_iter_init(&it, &doc) ||
	    !bson_iter_next(&it))
		return fail_at(err, m, offset, "%s: empty command object", section);
	const char *name = bson_iter_key(&it);
	if (name[0] == '$')
		return fail_at(err, m, offset, "command name '%s' starts with '$'", name);

	uint8_t *copy = arena_alloc(a, len);
	memcpy(copy, data, len);
	c->migration = m;
	c->index = index;
	c->data = copy;
	c->len = len;
	c->name = arena_strdup(a, name);
	c->target = BSON_ITER_HOLDS_UTF8(&it) ? arena_strdup(a, bson_iter_utf8(&it, NULL)) : NULL;
	c->json = mongo_bson_json(a, &doc);
	text_offset_to_line_column(m->text, m->text_len, offset, &c->line, &c->column);
	return 0;
}

int mongo_file_parse(struct arena *a, const struct migration *m, struct mongo_file *ret,
		     struct mg_error *err)
{
	memset(ret, 0, sizeof(*ret));
	ret->migration = m;
	int rc = -1;
	bson_t *doc = NULL;
	size_t start = skip_space(m->text, m->text_len, 0);
	if (start >= m->text_len || m->text[start] != '{') {
		fail_at(err, m, start, "%s", "a MongoDB migration is one JSON object");
		mg_error_set_help(err, "{\"expand\": [...], \"contract\": [...]}: arrays of "
				       "database commands");
		return -1;
	}
	if (memchr(m->text, '\0', m->text_len))
		return fail_at(err, m, 0, "%s", "file holds a NUL byte; not JSON text");

	bson_error_t berr;
	doc = bson_new_from_json((const uint8_t *)m->text, (ssize_t)m->text_len, &berr);
	if (!doc) {
		fail_at(err, m, json_error_offset(m->text, m->text_len, berr.message),
			"invalid JSON: %s", berr.message);
		return -1;
	}

	struct json_member *members;
	size_t n_members = scan_members(a, m->text, m->text_len, &members);
	bson_iter_t it;
	size_t k = 0;
	if (!bson_iter_init(&it, doc))
		goto out;
	for (; bson_iter_next(&it); k++) {
		const char *key = bson_iter_key(&it);
		struct json_member none = {start, NULL, 0, 0};
		const struct json_member *where = k < n_members ? &members[k] : &none;
		int s = section_from_key(key);
		if (s < 0) {
			fail_at(err, m, where->key_offset, "unknown section '%s'", key);
			mg_error_set_help(err, "sections are expand, contract, revert-expand and "
					       "revert-contract");
			goto out;
		}
		struct mongo_section *sec = &ret->sections[s];
		int key_line, key_column;
		text_offset_to_line_column(m->text, m->text_len, where->key_offset, &key_line,
					   &key_column);
		if (sec->present) {
			mg_error_set_at(err, 2, m->path, key_line, key_column,
					"section '%s' appears twice (first at line %d)", key,
					sec->line);
			goto out;
		}
		if (!BSON_ITER_HOLDS_ARRAY(&it)) {
			fail_at(err, m, where->key_offset, "section '%s' is not an array", key);
			mg_error_set_help(err,
					  "write \"%s\": [{...}, ...] (an empty array says "
					  "there is nothing to do)",
					  key);
			goto out;
		}
		sec->present = true;
		sec->line = key_line;
		bson_iter_t elem;
		size_t alloc = 0;
		bson_iter_recurse(&it, &elem);
		for (size_t i = 0; bson_iter_next(&elem); i++) {
			ARENA_GROW(a, sec->commands, sec->n, alloc, sec->n + 1);
			struct mongo_command *c = &sec->commands[sec->n];
			memset(c, 0, sizeof(*c));
			c->section = s;
			if (parse_command(a, m, &elem, where, i, c, err) < 0)
				goto out;
			sec->n++;
		}
	}
	rc = 0;
out:
	bson_destroy(doc);
	return rc;
}
