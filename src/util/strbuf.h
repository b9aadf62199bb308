#ifndef MG_STRBUF_H
#define MG_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

/* A growable, always NUL-terminated string owned by its holder (after git's strbuf). */
struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char strbuf_empty[];
#define STRBUF_INIT                                                                                \
	{                                                                                          \
		0, 0, strbuf_empty                                                                 \
	}

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb, size_t *ret_len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Appends s as the body of a JSON string (quotes not included). */
void strbuf_add_json_escaped(struct strbuf *sb, const char *s);
/*
 * Appends text on one line, as a message quotes a statement: every run of
 * white space one blank, none in front; past max bytes it stops and appends
 * ellipsis.
 */
void strbuf_add_one_line(struct strbuf *sb, const char *text, size_t max, const char *ellipsis);
/* Appends "s" as a JSON string, or null when s is NULL. */
void strbuf_add_json_string(struct strbuf *sb, const char *s);
/* Appends s with &, <, >, " and ' escaped for XML. */
void strbuf_add_xml_escaped(struct strbuf *sb, const char *s);

#endif
