#ifndef MG_REPORT_CHECK_REPORT_H
#define MG_REPORT_CHECK_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "check/check.h"

/* The check report in each format a pipeline reads. */

enum check_format {
	CHECK_FORMAT_TEXT,
	CHECK_FORMAT_JSON,
	CHECK_FORMAT_GITHUB,
	CHECK_FORMAT_SARIF,
	CHECK_FORMAT_JUNIT,
	CHECK_FORMAT_MARKDOWN,
};

/* "text", "json", "github", "sarif", "junit", "markdown"; -1 when unknown. */
int check_format_parse(const char *name);

/* Writes the report; color applies to text only. */
void check_write(FILE *out, enum check_format format, const struct check_report *r, bool color);
/* The GitHub job summary (Markdown), for $GITHUB_STEP_SUMMARY. */
void check_write_step_summary(FILE *out, const struct check_report *r);

/* The formats with a file of their own (check_sarif.c, check_junit.c, check_markdown.c). */
void check_write_sarif(FILE *out, const struct check_report *r);
void check_write_junit(FILE *out, const struct check_report *r);
/*
 * A pull-request comment: the stages, the lock trace table, each migration's
 * plan as it ran and its revert proof, the findings. It starts with the line
 * CHECK_MARKDOWN_MARKER, so that a workflow finds its earlier comment and
 * updates it.
 */
void check_write_markdown(FILE *out, const struct check_report *r);
#define CHECK_MARKDOWN_MARKER "<!-- migrate-check -->"

/* "250 ms", "1.2 s" */
const char *check_duration(char *buf, size_t size, int64_t ms);

#endif
