/*
 * in-flight-conflict: a pending migration against the migrations in flight on
 * a database, given as its history (another file of the set, expanded; or
 * another branch's, known only by the SQL the history recorded of it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lint_helper.h"

#define N(rows) (sizeof(rows) / sizeof((rows)[0]))

/*
 * other: the in-flight migration's file (1_other.sql, expanded), or NULL;
 * recorded: SQL another branch's migration 7 left in the history, or NULL;
 * undo: whether recorded is its undo (revert_expand) rather than its planned steps.
 */
struct inflight_case {
	const char *other;
	const char *recorded;
	bool undo;
	const char *sql;
	bool fires;
};

static const struct inflight_case cases[] = {
    /* an index of another branch's migration on the column */
    {"CREATE INDEX CONCURRENTLY users_email_idx ON users (email);", NULL, false,
     "ALTER TABLE users RENAME COLUMN email TO mail;", true},
    {"CREATE INDEX CONCURRENTLY users_email_idx ON users (email);", NULL, false,
     "ALTER TABLE users ALTER COLUMN email TYPE varchar(100);", true},
    {"CREATE INDEX CONCURRENTLY users_email_idx ON users (email);", NULL, false,
     "-- migrate:expand\n-- migrate:contract\nALTER TABLE users DROP COLUMN email;", true},
    {"CREATE INDEX CONCURRENTLY users_email_idx ON users (email);", NULL, false,
     "DROP INDEX CONCURRENTLY users_email_idx;", true},
    {"CREATE INDEX CONCURRENTLY users_email_idx ON users (email);", NULL, false,
     "DROP TABLE users;", true},
    {"CREATE INDEX CONCURRENTLY users_email_idx ON users (email);", NULL, false,
     "ALTER TABLE users RENAME COLUMN name TO full_name;", false},
    {"CREATE INDEX CONCURRENTLY users_email_idx ON users (email);", NULL, false,
     "ALTER TABLE users ADD COLUMN age integer;", false},
    {"CREATE INDEX CONCURRENTLY users_email_idx ON users (email);", NULL, false,
     "CREATE INDEX CONCURRENTLY users_email_lower ON users (lower(email));", false},
    {"CREATE INDEX CONCURRENTLY users_email_idx ON accounts (email);", NULL, false,
     "ALTER TABLE users RENAME COLUMN email TO mail;", false},
    /* a column another branch created: constraining it is a change to it */
    {"ALTER TABLE users ADD COLUMN nick text;", NULL, false,
     "ALTER TABLE users ADD CONSTRAINT users_nick_key UNIQUE (nick);", true},
    {"ALTER TABLE users ADD COLUMN nick text;", NULL, false,
     "CREATE UNIQUE INDEX CONCURRENTLY users_nick_key ON users (nick);", true},
    {"ALTER TABLE users ADD COLUMN nick text;", NULL, false,
     "ALTER TABLE users ALTER COLUMN nick SET NOT NULL;", true},
    {"ALTER TABLE users ADD COLUMN nick text;", NULL, false,
     "ALTER TABLE users ADD CONSTRAINT nick_short CHECK (length(nick) < 20) NOT VALID;", true},
    {"ALTER TABLE users ADD COLUMN nick text;", NULL, false,
     "CREATE INDEX CONCURRENTLY users_nick ON users (nick);", false},
    {"ALTER TABLE users ADD COLUMN nick text;", NULL, false,
     "ALTER TABLE users ADD COLUMN nick2 text;", false},
    /* a view reading the column, a foreign key reading the key */
    {"CREATE VIEW active_users AS SELECT id, email FROM users;", NULL, false,
     "ALTER TABLE users RENAME COLUMN email TO mail;", true},
    {"CREATE VIEW active_users AS SELECT id, email FROM users;", NULL, false,
     "ALTER TABLE users RENAME COLUMN name TO full_name;", false},
    {"ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES "
     "users (id) NOT VALID;",
     NULL, false, "ALTER TABLE users ALTER COLUMN id TYPE numeric;", true},
    {"ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES "
     "users (id) NOT VALID;",
     NULL, false, "ALTER TABLE orders DROP CONSTRAINT orders_user_fk;", true},
    /* a type change in flight, and a unique index or a rename of that column */
    {"ALTER TABLE users ALTER COLUMN code TYPE bigint;", NULL, false,
     "CREATE UNIQUE INDEX CONCURRENTLY users_code_key ON users (code);", true},
    {"ALTER TABLE users RENAME COLUMN login TO handle;", NULL, false,
     "ALTER TABLE users ALTER COLUMN handle TYPE varchar(40);", true},
    /* another branch's migration, known by what the history recorded */
    {NULL, "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx", true,
     "DROP INDEX CONCURRENTLY users_email_idx;", true},
    {NULL, "ALTER TABLE users DROP COLUMN nick", true,
     "ALTER TABLE users RENAME COLUMN nick TO nickname;", true},
    {NULL, "ALTER TABLE users DROP COLUMN nick", true,
     "ALTER TABLE users RENAME COLUMN name TO full_name;", false},
    {NULL, "ALTER TABLE users ADD COLUMN email__new varchar(200)", false,
     "ALTER TABLE users DROP COLUMN email__new;", true},
};

/* The history: 1_other.sql expanded (when given), another branch's 7 (when recorded). */
static void history_for(struct arena *a, const struct inflight_case *c, struct history *h)
{
	memset(h, 0, sizeof(*h));
	h->items = arena_alloc(a, sizeof(*h->items) * 3); /* room for one more */
	if (c->other) {
		struct history_entry *e = &h->items[h->n++];
		memset(e, 0, sizeof(*e));
		e->version = 1;
		e->name = "other";
		e->phase = HISTORY_EXPANDED;
	}
	if (c->recorded) {
		struct history_entry *e = &h->items[h->n++];
		memset(e, 0, sizeof(*e));
		e->version = 7;
		e->name = "their_branch";
		e->phase = HISTORY_EXPANDED;
		step_list_add(a, c->undo ? &e->revert_expand : &e->planned_expand, c->recorded, 0,
			      NULL, 0, 0);
	}
}

static struct migration *parse(struct arena *a, const char *path, const char *text)
{
	struct migration *m;
	struct mg_error err = MG_ERROR_INIT;
	if (migration_parse_text(a, path, arena_strdup(a, text), strlen(text), &m, &err) < 0)
		fail_msg("%s: %s", path, err.message);
	return m;
}

static void lint_case_runs(struct arena *a, const struct inflight_case *c, const struct history *h,
			   unsigned runs, struct lint_result *res)
{
	struct migration_set set = {0};
	if (c->other)
		migration_set_add(a, &set, parse(a, "1_other.sql", c->other));
	migration_set_add(a, &set, parse(a, "2_change.sql", c->sql));
	struct lint_options opts;
	lint_options_init(&opts, a);
	opts.history = h;
	opts.runs = runs;
	struct mg_error err = MG_ERROR_INIT;
	if (lint_run(a, &set, &opts, res, &err) < 0)
		fail_msg("lint failed: %s\n%s", err.message, c->sql);
}

static void lint_case(struct arena *a, const struct inflight_case *c, const struct history *h,
		      struct lint_result *res)
{
	lint_case_runs(a, c, h, 0, res);
}

/* Findings of in-flight-conflict on 2_change.sql when up runs `runs` (0: lint). */
static size_t conflicts(struct arena *a, const struct inflight_case *c, const struct history *h,
			unsigned runs)
{
	struct lint_result res;
	lint_case_runs(a, c, h, runs, &res);
	return count_rule(&res, "in-flight-conflict");
}

/* An expanded column of 1_other, SET NOT NULL by 2_change. */
static const struct inflight_case nick_not_null = {
    "ALTER TABLE users ADD COLUMN nick text;", NULL, false,
    "ALTER TABLE users ALTER COLUMN nick SET NOT NULL;", true};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		const struct inflight_case *c = &cases[i];
		struct arena a = ARENA_INIT;
		struct history h;
		history_for(&a, c, &h);
		struct lint_result res;
		lint_case(&a, c, &h, &res);
		size_t got = count_rule(&res, "in-flight-conflict");
		if (c->fires && !got)
			fail_msg("row %zu: should fire on:\n%s", i, c->sql);
		if (!c->fires && got)
			fail_msg("row %zu: should stay quiet on:\n%s\n(%s)", i, c->sql,
				 res.findings[0].message);
		/* without a database, the rule has nothing to compare with */
		lint_case(&a, c, NULL, &res);
		assert_int_equal(count_rule(&res, "in-flight-conflict"), 0);
		arena_release(&a);
	}
}

static const struct lint_finding *only_finding(const struct lint_result *res)
{
	const struct lint_finding *found = NULL;
	for (size_t i = 0; i < res->n_findings; i++)
		if (strcmp(res->findings[i].rule->id, "in-flight-conflict") == 0) {
			assert_null(found);
			found = &res->findings[i];
		}
	assert_non_null(found);
	return found;
}

/* The finding names the other migration, its object and what each does, where the change is. */
static void test_message_and_location(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	const struct inflight_case c = {
	    "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);", NULL, false,
	    "-- migrate:expand\nALTER TABLE users ADD COLUMN age integer;\n"
	    "ALTER TABLE users\n  RENAME COLUMN email TO mail;\n",
	    true};
	struct history h;
	history_for(&a, &c, &h);
	struct lint_result res;
	lint_case(&a, &c, &h, &res);
	const struct lint_finding *f = only_finding(&res);
	assert_int_equal(f->severity, LINT_ERROR);
	assert_string_equal(f->file, "2_change.sql");
	assert_int_equal(f->line, 3);
	assert_int_equal(f->column, 13);
	assert_string_equal(f->message,
			    "this statement renames column users.email, which 1_other (in flight: "
			    "expanded on the database) uses column users.email (index "
			    "users_email_idx): that branch's app version still needs it as it is");
	arena_release(&a);
}

/* A contracted migration of this checkout is no longer in flight; an applied change is not judged.
 */
static void test_quiet_when_not_in_flight(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	const struct inflight_case *c = &nick_not_null;
	struct history h;
	history_for(&a, c, &h);
	assert_int_equal(conflicts(&a, c, &h, 0), 1);
	h.items[0].phase = HISTORY_CONTRACTED;
	assert_int_equal(conflicts(&a, c, &h, 0), 0);

	/* 2_change itself expanded already: replayed, not judged */
	history_for(&a, c, &h);
	struct history_entry *e = &h.items[h.n++];
	memset(e, 0, sizeof(*e));
	e->version = 2;
	e->name = "change";
	e->phase = HISTORY_EXPANDED;
	assert_int_equal(conflicts(&a, c, &h, 0), 0);
	arena_release(&a);
}

/*
 * up judges what it runs: with contract, 1_other (of this checkout) is
 * contracted before 2_change expands; without expand, 2_change's expand
 * does not run. Expand alone leaves 1_other in flight.
 */
static void test_what_up_runs(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	const struct inflight_case *c = &nick_not_null;
	struct history h;
	history_for(&a, c, &h);
	assert_int_equal(conflicts(&a, c, &h, LINT_RUNS_EXPAND), 1);
	assert_int_equal(conflicts(&a, c, &h, LINT_RUNS_EXPAND | LINT_RUNS_CONTRACT), 0);
	assert_int_equal(conflicts(&a, c, &h, LINT_RUNS_CONTRACT), 0);
	/* another branch's migration stays in flight whatever this run contracts */
	const struct inflight_case foreign = {NULL, "ALTER TABLE users DROP COLUMN nick", true,
					      c->sql, true};
	history_for(&a, &foreign, &h);
	assert_int_equal(conflicts(&a, &foreign, &h, LINT_RUNS_EXPAND | LINT_RUNS_CONTRACT), 1);
	arena_release(&a);
}

/* An allow comment covers it, as for every rule; a foreign migration is named as not here. */
static void test_allow_and_foreign(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	const struct inflight_case c = {
	    NULL, "ALTER TABLE users DROP COLUMN nick", true,
	    "-- migrate:allow in-flight-conflict -- agreed with that branch\n"
	    "ALTER TABLE users RENAME COLUMN nick TO nickname;",
	    true};
	struct history h;
	history_for(&a, &c, &h);
	struct lint_result res;
	lint_case(&a, &c, &h, &res);
	assert_int_equal(count_rule(&res, "in-flight-conflict"), 0);
	assert_int_equal(count_rule(&res, "unused-allow"), 0);

	const struct inflight_case bare = {
	    NULL, c.recorded, true, "ALTER TABLE users RENAME COLUMN nick TO nickname;", true};
	lint_case(&a, &bare, &h, &res);
	const struct lint_finding *f = only_finding(&res);
	assert_non_null(strstr(f->message, "7_their_branch (in flight: expanded on the database, "
					   "not in this checkout) creates column users.nick"));
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_message_and_location),
	    cmocka_unit_test(test_quiet_when_not_in_flight),
	    cmocka_unit_test(test_what_up_runs),
	    cmocka_unit_test(test_allow_and_foreign),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
