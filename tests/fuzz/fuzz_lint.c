/*
 * libFuzzer target over the loader and the linter: the input is one
 * migration file (markers, allow comments, SQL), linted after a fixed setup
 * migration so that schema-aware paths run too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lint/lint.h"
#include "report/report.h"
#include "migration/migration.h"

static const char setup_sql[] =
    "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(50) NOT NULL, n int);\n"
    "CREATE INDEX users_email_idx ON users (email);\n"
    "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric(10,2));\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	struct migration_set set = {0};
	struct migration *m;
	char *text = arena_strndup(&a, (const char *)data, size);

	if (migration_parse_text(&a, "1_setup.sql", arena_strdup(&a, setup_sql), strlen(setup_sql),
				 &m, &err) < 0)
		__builtin_trap();
	migration_set_add(&a, &set, m);
	if (migration_parse_text(&a, "2_fuzz.sql", text, size, &m, &err) == 0) {
		migration_set_add(&a, &set, m);
		struct lint_options opts;
		lint_options_init(&opts, &a);
		for (size_t i = 0; i < lint_rules_count; i++)
			opts.severity[i] = lint_rules[i].severity; /* style rules too */
		opts.jobs = 1;
		/* as migrate lint runs: a file that does not parse is scanned for names */
		opts.keep_going = true;
		struct lint_result res;
		if (lint_run(&a, &set, &opts, &res, &err) == 0) {
			FILE *devnull = fopen("/dev/null", "w");
			if (devnull) {
				for (int f = REPORT_TEXT; f <= REPORT_SARIF; f++)
					report_write(devnull, f, &res, false);
				fclose(devnull);
			}
		}
	}
	arena_release(&a);
	return 0;
}
