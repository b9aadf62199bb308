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

void mg_error_print(const struct mg_error *err, const char *prog)
{
	if (err->file[0] && err->line > 0)
		fprintf(stderr, "%s:%d:%d: error: %s\n", err->file, err->line,
			err->column > 0 ? err->column : 1, err->message);
	else if (err->file[0])
		fprintf(stderr, "%s: error: %s\n", err->file, err->message);
	else
		fprintf(stderr, "%s: error: %s\n", prog, err->message);
	if (err->help[0])
		fprintf(stderr, "  help: %s\n", err->help);
}
