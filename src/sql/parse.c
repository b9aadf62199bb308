#include "sql/parse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sql/ast.h"
#include "sql/quote.h"

/*
 * Maps offsets that only grow to line:column, counting each line end once:
 * from the start of the file for every statement would be quadratic in the
 * length of a long migration. Lines end as text_line_end() says ("\n",
 * "\r\n", a lone "\r").
 */
struct line_cursor {
	const char *text;
	size_t len;
	int line;	   /* the line the last offset was on */
	size_t line_start; /* offset where that line starts */
	size_t line_end;   /* where it ends (its line end, or len) */
	size_t next;	   /* where the line after it starts */
};

static void line_cursor_init(struct line_cursor *c, const char *text, size_t len)
{
	c->text = text;
	c->len = len;
	c->line = 1;
	c->line_start = 0;
	c->line_end = text_line_end(text, 0, len, &c->next);
}

static void line_cursor_at(struct line_cursor *c, size_t offset, int *ret_line, int *ret_column)
{
	if (offset > c->len)
		offset = c->len;
	if (offset < c->line_start) /* never with statements in order; stay exact anyway */
		line_cursor_init(c, c->text, c->len);
	while (c->line_end < offset && c->next <= offset) {
		c->line++;
		c->line_start = c->next;
		c->line_end = text_line_end(c->text, c->next, c->len, &c->next);
	}
	*ret_line = c->line;
	*ret_column = (int)(offset - c->line_start) + 1;
	if (c->line == 1 && offset >= text_bom_len(c->text, c->len))
		*ret_column -= (int)text_bom_len(c->text, c->len);
}

/*
 * The byte offset of the n-th character of UTF-8 text: the parser's error
 * position counts characters, as PostgreSQL's does (the loader let only
 * valid UTF-8 through); node and statement locations count bytes.
 */
static size_t utf8_byte_offset(const char *text, size_t n)
{
	size_t i = 0;
	for (; text[i] && n; i++)
		if (((unsigned char)text[i + 1] & 0xC0) != 0x80)
			n--;
	return i;
}

static void *arena_pb_alloc(void *data, size_t size)
{
	return arena_alloc(data, size);
}

static void arena_pb_free(void *data, void *p)
{
	/* released with the arena */
	(void)data;
	(void)p;
}

int sql_parse_section(struct arena *a, const struct migration *m, enum migration_section s,
		      struct sql_section *ret, struct mg_error *err)
{
	const struct migration_section_range *r = &m->sections[s];
	memset(ret, 0, sizeof(*ret));
	ret->migration = m;
	ret->section = s;
	if (!r->present)
		return 0;
	ret->base = r->start;
	ret->text = arena_strndup(a, m->text + r->start, r->end - r->start);

	int rc = 0;
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(ret->text);
	if (pr.error) {
		int line, col;
		size_t off = r->start;
		if (pr.error->cursorpos > 0)
			off += utf8_byte_offset(ret->text, (size_t)pr.error->cursorpos - 1);
		text_offset_to_line_column(m->text, m->text_len, off, &line, &col);
		rc = mg_error_set_at(err, 2, m->path, line, col, "syntax error in %s section: %s",
				     migration_section_name(s), pr.error->message);
		goto out;
	}

	ProtobufCAllocator alloc = {arena_pb_alloc, arena_pb_free, a};
	PgQuery__ParseResult *tree = pg_query__parse_result__unpack(
	    &alloc, pr.parse_tree.len, (const uint8_t *)pr.parse_tree.data);
	if (!tree) {
		rc = mg_error_set_at(err, 2, m->path, r->marker_line, 1,
				     "cannot read the parse tree of the %s section",
				     migration_section_name(s));
		goto out;
	}
	ret->stmts = arena_alloc(a, sizeof(*ret->stmts) * (tree->n_stmts ? tree->n_stmts : 1));
	struct line_cursor lines;
	line_cursor_init(&lines, m->text, m->text_len);
	for (size_t i = 0; i < tree->n_stmts; i++) {
		const PgQuery__RawStmt *raw = tree->stmts[i];
		if (!raw->stmt)
			continue;
		struct sql_stmt *st = &ret->stmts[ret->n_stmts++];
		size_t begin = (size_t)raw->stmt_location;
		size_t section_len = r->end - r->start;
		size_t end = raw->stmt_len ? begin + (size_t)raw->stmt_len : section_len;
		/* stmt_location points just past the previous ';', comments included */
		begin = text_skip_blank(ret->text, begin, end);
		st->node = raw->stmt;
		st->migration = m;
		st->section = s;
		st->offset = r->start + begin;
		st->end = r->start + end;
		line_cursor_at(&lines, st->offset, &st->line, &st->column);
	}
out:
	pg_query_free_protobuf_parse_result(pr);
	return rc;
}

int sql_parse_string(struct arena *a, const char *sql, struct sql_section *ret,
		     struct mg_error *err)
{
	struct migration *m;
	if (migration_parse_text(a, "<sql>", arena_strdup(a, sql), strlen(sql), &m, err) < 0)
		return -1;
	return sql_parse_section(a, m, SECTION_EXPAND, ret, err);
}

void sql_section_line_column(const struct sql_section *sec, int location, int *ret_line,
			     int *ret_column)
{
	const struct migration *m = sec->migration;
	size_t off = sec->base + (location > 0 ? (size_t)location : 0);
	text_offset_to_line_column(m->text, m->text_len, off, ret_line, ret_column);
}

/*
 * libpg_query's deparser writes an index's and a constraint's own name as
 * is, unquoted, so "Users Idx" or "FooKey" would come back broken or folded
 * to lower case. Such names go through the deparser as placeholders and are
 * put back quoted.
 */
#define QUOTED_MAX 64

struct quoted_names {
	char **fields[QUOTED_MAX];
	char *names[QUOTED_MAX];
	size_t n;
};

/* Would PostgreSQL read name back unchanged without quotes? */
static bool plain_name(const char *name)
{
	if (!*name || !(islower((unsigned char)*name) || *name == '_') || strlen(name) > 63)
		return false;
	for (const char *c = name; *c; c++)
		if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_' ||
		      *c == '$'))
			return false;
	/* a keyword the grammar takes for no name here ("order", "check") */
	char sql[96];
	snprintf(sql, sizeof(sql), "CREATE INDEX %s ON t (a)", name);
	PgQueryParseResult r = pg_query_parse(sql);
	bool ok = r.error == NULL;
	pg_query_free_parse_result(r);
	return ok;
}

static void collect_name(struct quoted_names *q, char **field)
{
	if (*field && **field && !plain_name(*field) && q->n < QUOTED_MAX)
		q->fields[q->n++] = field;
}

static void find_names(ProtobufCMessage *msg, void *ctx)
{
	if (msg->descriptor == &pg_query__index_stmt__descriptor)
		collect_name(ctx, &((PgQuery__IndexStmt *)msg)->idxname);
	else if (msg->descriptor == &pg_query__constraint__descriptor)
		collect_name(ctx, &((PgQuery__Constraint *)msg)->conname);
}

static char *deparse_raw(struct arena *a, const PgQuery__Node *stmt);

char *sql_deparse_node(struct arena *a, const PgQuery__Node *stmt)
{
	struct quoted_names q = {.n = 0};
	ast_visit((const ProtobufCMessage *)&stmt->base, find_names, &q);
	for (size_t i = 0; i < q.n; i++) {
		q.names[i] = *q.fields[i];
		*q.fields[i] = arena_printf(a, "migrate_quoted_name_%zu_", i);
	}
	char *out = deparse_raw(a, stmt);
	for (size_t i = 0; i < q.n; i++) {
		const char *placeholder = *q.fields[i];
		*q.fields[i] = q.names[i];
		char *at = out ? strstr(out, placeholder) : NULL;
		if (!at)
			continue;
		out = arena_printf(a, "%.*s%s%s", (int)(at - out), out, sql_ident(a, q.names[i]),
				   at + strlen(placeholder));
	}
	return out;
}

static char *deparse_raw(struct arena *a, const PgQuery__Node *stmt)
{
	PgQuery__RawStmt raw = PG_QUERY__RAW_STMT__INIT;
	PgQuery__RawStmt *raws[1] = {&raw};
	PgQuery__ParseResult res = PG_QUERY__PARSE_RESULT__INIT;
	raw.stmt = (PgQuery__Node *)stmt;
	res.version = PG_VERSION_NUM;
	res.n_stmts = 1;
	res.stmts = raws;

	size_t len = pg_query__parse_result__get_packed_size(&res);
	uint8_t *buf = arena_alloc(a, len ? len : 1);
	pg_query__parse_result__pack(&res, buf);
	PgQueryProtobuf pb = {len, (char *)buf};
	PgQueryDeparseResult dr = pg_query_deparse_protobuf(pb);
	char *out = NULL;
	if (!dr.error && dr.query)
		out = arena_strdup(a, dr.query);
	pg_query_free_deparse_result(dr);
	return out;
}
