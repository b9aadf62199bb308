#ifndef MG_REPORT_STATUS_H
#define MG_REPORT_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* `migrate status`: one row per migration, of this checkout or only applied. */
struct status_row {
	int64_t version;
	const char *name;
	const char *phase; /* pending, expanded, contracted */
	bool interrupted;
	bool reverting; /* it was a revert that stopped midway */
	const char *expanded_at;
	const char *contracted_at;
	bool drift;
	bool missing; /* applied, but no file in this checkout: another branch's (in_checkout false)
		       */
};

enum status_format {
	STATUS_FORMAT_TEXT,
	STATUS_FORMAT_JSON,
};

/* "text", "json"; -1 when unknown. */
int status_format_parse(const char *name);

/* The rows, in order, as a table or as JSON. */
void status_write(FILE *out, enum status_format format, const struct status_row *rows, size_t n);

#endif
