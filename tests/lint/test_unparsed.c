/*
 * A file the parser cannot read, linted with keep_going (as migrate lint
 * does): one syntax-error finding, and the objects it names are unknown to
 * the later files (sql_scan_names, catalog_forget).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lint_helper.h"
#include "sql/scan.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_scan_names(void **state)
{
	(void)state;
	static const struct {
		const char *sql;
		const char *names; /* sorted, comma-separated */
	} rows[] = {
	    {"ALTER TABLE Orders ADD COLUMN x int GENERATED ALWAYS AS (y) VIRTUAL;",
	     "add,alter,always,generated,int,orders,virtual,x,y"},
	    /* quoted names as written, "" inside them one quote; strings and comments are not names
	     */
	    {"ALTER TABLE \"Ac\"\"counts\" RENAME TO s -- users\n; SELECT 'orders';",
	     "Ac\"counts,alter,rename,s"},
	    {"CREATE TABEL public.junk (id int);", "id,int,junk,public,tabel"},
	    /* the scanner fails on an unterminated quote: every word counts */
	    {"COMMENT ON TABLE t IS 'never closed;", "closed,comment,is,never,on,t,table"},
	    {"", ""},
	};
	for (size_t i = 0; i < N(rows); i++) {
		struct arena a = ARENA_INIT;
		const char **names;
		size_t n = sql_scan_names(&a, rows[i].sql, strlen(rows[i].sql), &names);
		char got[512] = "";
		for (size_t k = 0; k < n; k++) {
			if (k)
				strcat(got, ",");
			strcat(got, names[k]);
		}
		if (strcmp(got, rows[i].names) != 0)
			fail_msg("row %zu: names of\n%s\nare '%s', not '%s'", i, rows[i].sql, got,
				 rows[i].names);
		arena_release(&a);
	}
}

static struct migration *must_parse(struct arena *a, const char *path, const char *text)
{
	struct mg_error err = MG_ERROR_INIT;
	struct migration *m = NULL;
	if (migration_parse_text(a, path, arena_strdup(a, text), strlen(text), &m, &err) < 0)
		fail_msg("%s: %s (line %d)", path, err.message, err.line);
	return m;
}

#define SCHEMA                                                                                     \
	"CREATE TABLE orders (id bigint PRIMARY KEY, note varchar(50), total numeric NOT NULL);\n" \
	"CREATE TABLE \"Accounts\" (id bigint PRIMARY KEY, email text NOT NULL);\n"

/*
 * 1_setup.sql, then `broken` (2_broken.sql, which does not parse), then `later`
 * (3_later.sql): whether `rule` fires on the later file.
 */
static void test_later_files(void **state)
{
	(void)state;
	static const struct {
		const char *broken;
		const char *later;
		const char *rule;
		bool fires;
	} rows[] = {
	    /* the catalogue knew note as varchar(50): a widening is safe ... */
	    {"SELEC 1;", "ALTER TABLE orders ALTER COLUMN note TYPE varchar(100);",
	     "change-column-type", false},
	    /* ... unless a file it could not read may have changed it */
	    {"ALTER TABLE orders ALTER COLUMN note TYPE int; SELEC 1;",
	     "ALTER TABLE orders ALTER COLUMN note TYPE varchar(100);", "change-column-type", true},
	    {"ALTER TABLE orders ALTER COLUMN total DROP NOT NULL; SELEC 1;",
	     "ALTER TABLE orders ALTER COLUMN total SET NOT NULL;", "set-not-null", true},
	    {"SELEC 1;", "ALTER TABLE orders ALTER COLUMN total SET NOT NULL;", "set-not-null",
	     false},
	    /* names are folded as PostgreSQL folds them */
	    {"ALTER TABLE \"Accounts\" ALTER email DROP NOT NULL; SELEC 1;",
	     "ALTER TABLE \"Accounts\" ALTER COLUMN email SET NOT NULL;", "set-not-null", true},
	    {"ALTER TABLE Accounts ALTER email DROP NOT NULL; SELEC 1;",
	     "ALTER TABLE \"Accounts\" ALTER COLUMN email SET NOT NULL;", "set-not-null", false},
	    /* an unterminated string: the scanner gives up, every word counts */
	    {"ALTER TABLE orders ALTER total DROP NOT NULL; COMMENT ON TABLE orders IS 'x;",
	     "ALTER TABLE orders ALTER COLUMN total SET NOT NULL;", "set-not-null", true},
	};
	for (size_t i = 0; i < N(rows); i++) {
		struct arena a = ARENA_INIT;
		struct lint_options opts;
		lint_options_init(&opts, &a);
		opts.keep_going = true;
		struct migration_set set = {0};
		migration_set_add(&a, &set, must_parse(&a, "1_setup.sql", SCHEMA));
		migration_set_add(&a, &set, must_parse(&a, "2_broken.sql", rows[i].broken));
		migration_set_add(&a, &set, must_parse(&a, "3_later.sql", rows[i].later));
		struct lint_result res;
		struct mg_error err = MG_ERROR_INIT;
		if (lint_run(&a, &set, &opts, &res, &err) < 0)
			fail_msg("row %zu: lint failed: %s", i, err.message);
		assert_int_equal(res.n_syntax_errors, 1);
		assert_int_equal(res.n_files, 3);
		size_t syntax = 0, got = 0;
		for (size_t k = 0; k < res.n_findings; k++) {
			const struct lint_finding *f = &res.findings[k];
			if (strcmp(f->rule->id, "syntax-error") == 0) {
				assert_string_equal(f->file, "2_broken.sql");
				assert_int_equal(f->severity, LINT_ERROR);
				syntax++;
			}
			if (strcmp(f->rule->id, rows[i].rule) == 0 &&
			    strcmp(f->file, "3_later.sql") == 0)
				got++;
		}
		assert_int_equal(syntax, 1);
		if ((got > 0) != rows[i].fires)
			fail_msg("row %zu: %s should %s on\n%s\nafter\n%s", i, rows[i].rule,
				 rows[i].fires ? "fire" : "stay quiet", rows[i].later,
				 rows[i].broken);
		/* without keep_going the first such file fails the run, as up needs */
		opts.keep_going = false;
		assert_int_equal(lint_run(&a, &set, &opts, &res, &err), -1);
		assert_int_equal(err.code, 2);
		assert_string_equal(err.file, "2_broken.sql");
		arena_release(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scan_names),
	    cmocka_unit_test(test_later_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
