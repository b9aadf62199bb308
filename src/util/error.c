#include "util/error.h"

#include <stdio.h>
#include <string.h>

void mg_error_clear(struct mg_error *err)
{
	memset(err, 0, sizeof(*err));
}

static void error_vset(struct mg_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void error_vset(struct mg_error *err, int code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
}

int mg_error_set(struct mg_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int mg_error_set_at(struct mg_error *err, int code, const char *file, int line, int column,
		    const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, code, fmt, ap);
	va_end(ap);
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	err->column = column;
	return -1;
}

void mg_error_set_help(struct mg_error *err, const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->help, sizeof(err->help), fmt, ap);
	va_end(ap);
}

void mg_error_set_detail(struct mg_error *err, const char *text)
{
	if (err)
		snprintf(err->detail, sizeof(err->detail), "%s", text ? text : "");
}

void mg_error_set_hint(struct mg_error *err, const char *text)
{
	if (err)
		snprintf(err->hint, sizeof(err->hint), "%s", text ? text : "");
}

void mg_error_add_note(struct mg_error *err, const char *label, const char *fmt, ...)
{
	if (!err)
		return;
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	size_t used = strlen(err->notes);
	size_t need = strlen(label) + 2 + strlen(text) + 1;
	if (used + need < sizeof(err->notes))
		snprintf(err->notes + used, sizeof(err->notes) - used, "%s: %s\n", label, text);
}

void mg_error_prefix(struct mg_error *err, const char *fmt, ...)
{
	if (!err)
		return;
	char message[sizeof(err->message)];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= sizeof(message))
		return;
	size_t used = (size_t)n;
	memcpy(message + used, ": ", 2);
	used += 2;
	size_t rest = strnlen(err->message, sizeof(err->message) - 1);
	if (used + rest >= sizeof(message))
		rest = sizeof(message) - used - 1;
	memcpy(message + used, err->message, rest);
	message[used + rest] = '\0';
	memcpy(err->message, message, sizeof(message));
}

/* A server's text as indented lines: its own line breaks kept, each indented further. */
static void print_labelled(const char *label, const char *text)
{
	fprintf(stderr, "  %s: ", label);
	for (const char *p = text; *p; p++) {
		if (*p == '\n' && !p[1])
			break;
		fputc(*p, stderr);
		if (*p == '\n')
			fputs("    ", stderr);
	}
	fputc('\n', stderr);
}

void mg_error_print(const struct mg_error *err, const char *prog)
{
	char state[24] = "";
	if (err->sqlstate_shown && err->sqlstate[0])
		snprintf(state, sizeof(state), " (SQLSTATE %s)", err->sqlstate);
	if (err->file[0] && err->line > 0)
		fprintf(stderr, "%s:%d:%d: error: %s%s\n", err->file, err->line,
			err->column > 0 ? err->column : 1, err->message, state);
	else if (err->file[0])
		fprintf(stderr, "%s: error: %s%s\n", err->file, err->message, state);
	else
		fprintf(stderr, "%s: error: %s%s\n", prog, err->message, state);
	if (err->detail[0])
		print_labelled("detail", err->detail);
	if (err->hint[0])
		print_labelled("hint", err->hint);
	for (const char *line = err->notes; *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		fprintf(stderr, "  %.*s\n", (int)n, line);
		line += n + (nl ? 1 : 0);
	}
	if (err->help[0])
		fprintf(stderr, "  help: %s\n", err->help);
}
