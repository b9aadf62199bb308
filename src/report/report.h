#ifndef MG_LINT_REPORT_H
#define MG_LINT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "lint/lint.h"

enum report_format {
	REPORT_TEXT,
	REPORT_JSON,
	REPORT_GITHUB,
	REPORT_SARIF,
};

/* "text", "json", "github", "sarif"; -1 when unknown. */
int report_format_parse(const char *name);

/* Writes the findings in the given format. color applies to text only. */
void report_write(FILE *out, enum report_format format, const struct lint_result *res, bool color);

/* Appends s escaped for a GitHub workflow command: its message, or (property) a key's value. */
struct strbuf;
void report_github_escape(struct strbuf *sb, const char *s, bool property);

/* SARIF's level for a severity ("planned" is a note). */
const char *report_sarif_level(enum lint_severity s);
/*
 * Appends a file path as a SARIF uri (a JSON string): a relative URI
 * reference, so spaces, '%', '#', '?' and non-ASCII bytes are percent-encoded.
 */
void report_sarif_add_uri(struct strbuf *sb, const char *path);

#endif
