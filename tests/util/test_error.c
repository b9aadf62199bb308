/* struct mg_error as the commands print it: location, SQLSTATE, detail, hint, notes, help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/error.h"

/* What mg_error_print writes to stderr, caught in a temporary file. */
static char *printed(const struct mg_error *err)
{
	static char buf[8192];
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	mg_error_print(err, "migrate up");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	size_t n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return buf;
}

static void server_error(struct mg_error *err)
{
	mg_error_set_at(err, 3, "m/2_x.sql", 3, 12,
			"duplicate key value violates unique constraint");
	snprintf(err->sqlstate, sizeof(err->sqlstate), "23505");
	err->sqlstate_shown = true;
	mg_error_set_detail(err, "Key (a)=(x) already exists.\nand a second line\n");
	mg_error_set_hint(err, "Drop the duplicates.");
	mg_error_add_note(err, "note", "expand of %s was rolled back", "2_x");
	mg_error_set_help(err, "run again");
}

static void state_not_shown(struct mg_error *err)
{
	mg_error_set_at(err, 3, "m/2_x.sql", 4, 0, "UNIQUE constraint failed: t.a");
	snprintf(err->sqlstate, sizeof(err->sqlstate), "23000");
	mg_error_add_note(err, "note", "rolled back");
}

static void prefixed(struct mg_error *err)
{
	mg_error_set(err, 3, "permission denied for database app");
	snprintf(err->sqlstate, sizeof(err->sqlstate), "42501");
	err->sqlstate_shown = true;
	mg_error_prefix(err, "cannot create its history schema \"%s\"", "migrate");
}

static void notes_in_order(struct mg_error *err)
{
	mg_error_set_at(err, 3, "m/2_x.sql", 0, 0, "canceling statement due to lock timeout");
	mg_error_add_note(err, "blocked by", "pid %d 'a'", 1);
	mg_error_add_note(err, "blocked by", "pid %d 'b'", 2);
	mg_error_add_note(err, "note", "stopped at step %d of %d", 2, 3);
}

/* a note that no longer fits is left out whole, never cut */
static void notes_full(struct mg_error *err)
{
	char long_text[900];
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	mg_error_set(err, 3, "m");
	mg_error_add_note(err, "a", "%s", long_text);
	mg_error_add_note(err, "b", "%s", long_text);
	mg_error_add_note(err, "c", "%s", long_text);
	mg_error_add_note(err, "d", "short");
	/* the notes hold what fits: two long ones and the short one */
	assert_int_equal(strlen(err->notes), 2 * (3 + 899 + 1) + strlen("d: short\n"));
	mg_error_clear(err);
	mg_error_set(err, 3, "m");
	mg_error_add_note(err, "d", "short");
}

static const struct {
	const char *name;
	void (*fill)(struct mg_error *err);
	const char *want;
} cases[] = {
    {"server error", server_error,
     "m/2_x.sql:3:12: error: duplicate key value violates unique constraint (SQLSTATE 23505)\n"
     "  detail: Key (a)=(x) already exists.\n"
     "    and a second line\n"
     "  hint: Drop the duplicates.\n"
     "  note: expand of 2_x was rolled back\n"
     "  help: run again\n"},
    {"state not shown", state_not_shown,
     "m/2_x.sql:4:1: error: UNIQUE constraint failed: t.a\n"
     "  note: rolled back\n"},
    {"prefixed", prefixed,
     "migrate up: error: cannot create its history schema \"migrate\": permission denied for "
     "database app (SQLSTATE 42501)\n"},
    {"notes in order", notes_in_order,
     "m/2_x.sql: error: canceling statement due to lock timeout\n"
     "  blocked by: pid 1 'a'\n"
     "  blocked by: pid 2 'b'\n"
     "  note: stopped at step 2 of 3\n"},
    {"notes full", notes_full, "migrate up: error: m\n  d: short\n"},
};

static void test_print(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_error err = MG_ERROR_INIT;
		cases[i].fill(&err);
		const char *got = printed(&err);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: printed\n%s\nexpected\n%s", cases[i].name, got,
				 cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_print),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
