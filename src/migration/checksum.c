/*
 * The checksum that tells whether an applied migration changed: it covers
 * what runs, not how the file is laid out. Each section present, in file
 * order, counts with its marker; its text counts with comments left out and
 * each run of whitespace outside literals, quoted names and dollar-quoted
 * bodies read as one space, so that a comment or an allow comment added to
 * an applied file is no change, while a changed statement is.
 */
#include <stdlib.h>
#include <string.h>

#include "migration/migration.h"
#include "util/strbuf.h"

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || (unsigned char)c >= 0x80;
}

static bool space_char(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The length of a dollar-quote tag ($$ or $name$) at p, 0 when there is none. */
static size_t dollar_tag(const char *t, size_t p, size_t end)
{
	if (t[p] != '$' || (p > 0 && ident_char(t[p - 1])))
		return 0;
	size_t q = p + 1;
	if (q < end && t[q] >= '0' && t[q] <= '9')
		return 0; /* $1: a parameter */
	while (q < end && ident_char(t[q]) && t[q] != '$')
		q++;
	return q < end && t[q] == '$' ? q - p + 1 : 0;
}

/* Appends text[start, end) without comments, whitespace runs as one space. */
static void normalise(struct strbuf *sb, const char *t, size_t start, size_t end)
{
	bool gap = false;
	size_t base = sb->len;
	for (size_t p = start; p < end;) {
		char c = t[p];
		if (space_char(c)) {
			gap = true;
			p++;
			continue;
		}
		if (c == '-' && p + 1 < end && t[p + 1] == '-') {
			while (p < end && t[p] != '\n' && t[p] != '\r')
				p++;
			gap = true;
			continue;
		}
		if (c == '/' && p + 1 < end && t[p + 1] == '*') {
			/* block comments nest in PostgreSQL */
			int depth = 0;
			size_t q = p;
			while (q < end) {
				if (t[q] == '/' && q + 1 < end && t[q + 1] == '*') {
					depth++;
					q += 2;
				} else if (t[q] == '*' && q + 1 < end && t[q + 1] == '/') {
					q += 2;
					if (--depth == 0)
						break;
				} else {
					q++;
				}
			}
			p = q;
			gap = true;
			continue;
		}
		/* a gap between two words is one space; none before ';' or a line's start */
		if (gap && c != ';' && sb->len > base && sb->buf[sb->len - 1] != '\n')
			strbuf_addch(sb, ' ');
		gap = false;
		size_t tag = dollar_tag(t, p, end);
		if (tag) {
			const char *close = NULL;
			for (size_t q = p + tag; q + tag <= end; q++)
				if (memcmp(t + q, t + p, tag) == 0) {
					close = t + q;
					break;
				}
			size_t stop = close ? (size_t)(close - t) + tag : end;
			strbuf_add(sb, t + p, stop - p);
			p = stop;
			continue;
		}
		if (c == '\'' || c == '"') {
			/* E'...' strings take backslash escapes */
			bool esc = c == '\'' && p > start && (t[p - 1] == 'e' || t[p - 1] == 'E') &&
				   (p - 1 == start || !ident_char(t[p - 2]));
			size_t q = p + 1;
			while (q < end) {
				if (esc && t[q] == '\\' && q + 1 < end) {
					q += 2;
					continue;
				}
				if (t[q] == c) {
					if (q + 1 < end && t[q + 1] == c) {
						q += 2;
						continue;
					}
					q++;
					break;
				}
				q++;
			}
			strbuf_add(sb, t + p, q - p);
			p = q;
			continue;
		}
		strbuf_addch(sb, c);
		if (c == ';')
			strbuf_addch(sb, '\n');
		p++;
	}
	while (sb->len > base && (sb->buf[sb->len - 1] == ' ' || sb->buf[sb->len - 1] == '\n'))
		sb->buf[--sb->len] = '\0';
}

void migration_statement_checksum(const struct migration *m, char ret_hex[SHA256_HEX_LEN + 1])
{
	struct strbuf sb = STRBUF_INIT;
	int order[SECTION__COUNT];
	int n = 0;
	for (int s = 0; s < SECTION__COUNT; s++)
		if (m->sections[s].present)
			order[n++] = s;
	/* in the order the file has them */
	for (int i = 1; i < n; i++)
		for (int k = i;
		     k > 0 && m->sections[order[k]].start < m->sections[order[k - 1]].start; k--) {
			int x = order[k];
			order[k] = order[k - 1];
			order[k - 1] = x;
		}
	strbuf_addstr(&sb, "migrate checksum 2\n");
	for (int i = 0; i < n; i++) {
		const struct migration_section_range *r = &m->sections[order[i]];
		strbuf_addf(&sb, "-- migrate:%s\n", migration_section_name(order[i]));
		size_t before = sb.len;
		normalise(&sb, m->text, r->start, r->end);
		if (sb.len > before)
			strbuf_addch(&sb, '\n');
	}
	hash_sha256_hex(sb.buf ? sb.buf : "", sb.len, ret_hex);
	strbuf_release(&sb);
}

bool migration_checksum_matches(const struct migration *m, const char *stored)
{
	return stored &&
	       (strcmp(m->checksum, stored) == 0 || strcmp(m->file_checksum, stored) == 0);
}
