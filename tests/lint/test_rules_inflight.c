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
 * other: the SQL of migration 1, expanded on the database: another branch's
 * (its planned steps in the history) or, in_checkout, this checkout's
 * 1_other.sql; recorded: SQL another branch's migration 7 left in the
 * history, or NULL; undo: whether recorded is its undo (revert_expand)
 * rather than its planned steps.
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

/* The history: migration 1 expanded (when other is given), another branch's 7 (when recorded). */
static void history_for(struct arena *a, const struct inflight_case *c, bool in_checkout,
			struct history *h)
{
	memset(h, 0, sizeof(*h));
	h->items = arena_alloc(a, sizeof(*h->items) * 3); /* room for one more */
	if (c->other) {
		struct history_entry *e = &h->items[h->n++];
		memset(e, 0, sizeof(*e));
		e->version = 1;
		e->name = "other";
		e->phase = HISTORY_EXPANDED;
		if (!in_checkout)
			step_list_add(a, &e->planned_expand, c->other, 0, NULL, 0, 0);
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

/* Lints 2_change.sql (after 1_other.sql when in_checkout) as up running `runs` would (0: lint). */
static void lint_case(struct arena *a, const struct inflight_case *c, const struct history *h,
		      bool in_checkout, unsigned runs, struct lint_result *res)
{
	struct migration_set set = {0};
	if (c->other && in_checkout)
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

/* Findings of in-flight-conflict on 2_change.sql. */
static size_t conflicts(struct arena *a, const struct inflight_case *c, bool in_checkout,
			unsigned runs)
{
	struct history h;
	history_for(a, c, in_checkout, &h);
	struct lint_result res;
	lint_case(a, c, &h, in_checkout, runs, &res);
	return count_rule(&res, "in-flight-conflict");
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		const struct inflight_case *c = &cases[i];
		struct arena a = ARENA_INIT;
		struct history h;
		history_for(&a, c, false, &h);
		struct lint_result res;
		lint_case(&a, c, &h, false, 0, &res);
		size_t got = count_rule(&res, "in-flight-conflict");
		if (c->fires && !got)
			fail_msg("row %zu: should fire on:\n%s", i, c->sql);
		if (!c->fires && got)
			fail_msg("row %zu: should stay quiet on:\n%s\n(%s)", i, c->sql,
				 res.findings[0].message);
		/* without a database, the rule has nothing to compare with */
		lint_case(&a, c, NULL, false, 0, &res);
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

/*
 * The finding names the other migration, its object and what each does, where
 * the change is; once per statement and migration, however many of its
 * objects the statement meets.
 */
static void test_message_and_location(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	const struct inflight_case c = {
	    "CREATE UNIQUE INDEX CONCURRENTLY users_email_name ON users (email, name);", NULL,
	    false,
	    "-- migrate:expand\nALTER TABLE users ADD COLUMN age integer;\n"
	    "ALTER TABLE users\n  DROP CONSTRAINT x, ALTER COLUMN email TYPE text,\n"
	    "  ALTER COLUMN name TYPE text;\n",
	    true};
	struct history h;
	history_for(&a, &c, false, &h);
	struct lint_result res;
	lint_case(&a, &c, &h, false, 0, &res);
	const struct lint_finding *f = only_finding(&res);
	assert_int_equal(f->severity, LINT_ERROR);
	assert_string_equal(f->file, "2_change.sql");
	assert_int_equal(f->line, 4);
	assert_int_equal(f->column, 35);
	assert_string_equal(
	    f->message, "this statement changes the type of column users.email, which 1_other (in "
			"flight: expanded on the database, not in this checkout) constrains "
			"column users.email (unique index users_email_name): that branch's app "
			"version still needs it as it is");
	arena_release(&a);
}

/* An index 1_other made on users.email; 2_change drops it, or the column in contract. */
static const struct inflight_case drop_index = {
    "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);", NULL, false,
    "DROP INDEX CONCURRENTLY users_email_idx;", true};
static const struct inflight_case drop_column_in_contract = {
    "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);", NULL, false,
    "-- migrate:expand\n-- migrate:contract\nALTER TABLE users DROP COLUMN email;", true};
/* A column 1_other added; 2_change sets it NOT NULL, which the planner makes safe. */
static const struct inflight_case nick_not_null = {
    "ALTER TABLE users ADD COLUMN nick text;", NULL, false,
    "ALTER TABLE users ALTER COLUMN nick SET NOT NULL;", true};

/*
 * A migration of this checkout, only expanded, is in flight; contracted, it
 * is not; a section of 2_change the database ran is not judged.
 */
static void test_this_checkout(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	assert_int_equal(conflicts(&a, &drop_column_in_contract, true, 0), 1);
	struct history h;
	struct lint_result res;
	history_for(&a, &drop_column_in_contract, true, &h);
	lint_case(&a, &drop_column_in_contract, &h, true, 0, &res);
	assert_non_null(strstr(only_finding(&res)->message,
			       "which 1_other (in flight: expanded on the database) uses column "
			       "users.email (index users_email_idx)"));
	h.items[0].phase = HISTORY_CONTRACTED;
	lint_case(&a, &drop_column_in_contract, &h, true, 0, &res);
	assert_int_equal(count_rule(&res, "in-flight-conflict"), 0);

	history_for(&a, &drop_column_in_contract, true, &h);
	struct history_entry *e = &h.items[h.n++];
	memset(e, 0, sizeof(*e));
	e->version = 2;
	e->name = "change";
	e->phase = HISTORY_CONTRACTED;
	lint_case(&a, &drop_column_in_contract, &h, true, 0, &res);
	assert_int_equal(count_rule(&res, "in-flight-conflict"), 0);
	arena_release(&a);
}

/*
 * up judges what it runs: with contract, 1_other (of this checkout) is
 * contracted before 2_change expands; a section it does not run is not
 * judged. A change the planner makes composes with this checkout's expanded
 * migrations, not with another branch's.
 */
static void test_what_up_runs(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	const unsigned both = LINT_RUNS_EXPAND | LINT_RUNS_CONTRACT;
	assert_int_equal(conflicts(&a, &drop_index, true, LINT_RUNS_EXPAND), 1);
	assert_int_equal(conflicts(&a, &drop_index, true, both), 0);
	assert_int_equal(conflicts(&a, &drop_index, true, LINT_RUNS_CONTRACT), 0);
	assert_int_equal(conflicts(&a, &drop_column_in_contract, true, LINT_RUNS_EXPAND), 0);
	assert_int_equal(conflicts(&a, &drop_column_in_contract, false, LINT_RUNS_CONTRACT), 1);
	assert_int_equal(conflicts(&a, &drop_index, false, both), 1);

	assert_int_equal(conflicts(&a, &nick_not_null, true, LINT_RUNS_EXPAND), 0);
	assert_int_equal(conflicts(&a, &nick_not_null, true, 0), 0);
	assert_int_equal(conflicts(&a, &nick_not_null, false, LINT_RUNS_EXPAND), 1);
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
	history_for(&a, &c, false, &h);
	struct lint_result res;
	lint_case(&a, &c, &h, false, 0, &res);
	assert_int_equal(count_rule(&res, "in-flight-conflict"), 0);
	assert_int_equal(count_rule(&res, "unused-allow"), 0);

	const struct inflight_case bare = {
	    NULL, c.recorded, true, "ALTER TABLE users RENAME COLUMN nick TO nickname;", true};
	lint_case(&a, &bare, &h, false, 0, &res);
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
	    cmocka_unit_test(test_this_checkout),
	    cmocka_unit_test(test_what_up_runs),
	    cmocka_unit_test(test_allow_and_foreign),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
