#ifndef MG_ERROR_H
#define MG_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

/* Exit codes of the command contract (DESIGN.md). */
enum mg_exit {
	MG_EXIT_OK = 0,
	MG_EXIT_FINDINGS = 1,
	MG_EXIT_USAGE = 2,
	MG_EXIT_DATABASE = 3,
	MG_EXIT_LOCKED = 4,
};

/*
 * What the engine fills when something fails; the command reports it once.
 * The engine never prints. code is one of enum mg_exit (which exit the failure
 * calls for); file/line/column locate it where known (line 0 = unknown).
 * sqlstate is the SQLSTATE where known (SQLite's busy stands as 55P03, a lock
 * timeout; MongoDB puts its error code there); sqlstate_shown says it is the
 * server's own, printed with the message. detail and hint are the server's
 * DETAIL and HINT as it sent them; notes are further labelled lines (what
 * became of the phase, who held a lock), each "label: text\n"; help is what
 * migrate advises.
 */
struct mg_error {
	int code;
	char message[1024];
	char file[512];
	int line;
	int column;
	char sqlstate[6];
	bool sqlstate_shown;
	char detail[1024];
	char hint[512];
	char notes[2048];
	char help[512];
};

#define MG_ERROR_INIT                                                                              \
	{                                                                                          \
		0, {0}, {0}, 0, 0, {0}, false, {0}, {0}, {0},                                      \
		{                                                                                  \
			0                                                                          \
		}                                                                                  \
	}

void mg_error_clear(struct mg_error *err);

/* Sets code and message; returns -1 so callers can `return mg_error_set(...)`. */
int mg_error_set(struct mg_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int mg_error_set_at(struct mg_error *err, int code, const char *file, int line, int column,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void mg_error_set_help(struct mg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The server's DETAIL and HINT, as sent. */
void mg_error_set_detail(struct mg_error *err, const char *text);
void mg_error_set_hint(struct mg_error *err, const char *text);
/* Adds a line "label: text" after the detail and hint (dropped when full). */
void mg_error_add_note(struct mg_error *err, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Puts "prefix: " before the message ("cannot write the history: ..."). */
void mg_error_prefix(struct mg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * "file:line:column: " prefix when known, then the message, with
 * "(SQLSTATE xxxxx)" when sqlstate_shown; then indented "detail:", "hint:",
 * the notes and "help:" lines, those that are set.
 */
void mg_error_print(const struct mg_error *err, const char *prog);

#endif
