/*
 * What a phase's statements create, change, drop and use (plan/objects.c),
 * and when a targeted revert of one migration is refused because a later one
 * depends on it (branches_revert_check).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "run/branches.h"
#include "plan/objects.h"
#include "sql/parse.h"
#include "util/strbuf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct object_set objects_of(struct arena *a, const char *sql)
{
	struct sql_section sec;
	struct mg_error err = MG_ERROR_INIT;
	struct object_set set;
	if (sql_parse_string(a, sql, &sec, &err) < 0)
		fail_msg("%s: %s", sql, err.message);
	objects_of_section(a, &sec, &set);
	return set;
}

static void test_objects_of_statements(void **state)
{
	(void)state;
	static const struct {
		const char *sql;
		const char *objects; /* "does description [<- via]", '; '-separated, in order */
	} rows[] = {
	    {"ALTER TABLE users ADD COLUMN nick text",
	     "used table users; created column users.nick"},
	    {"ALTER TABLE users ADD COLUMN team_id bigint REFERENCES teams",
	     "used table users; created column users.team_id; created constraint "
	     "users.users_team_id_fkey; used table teams <- constraint users_team_id_fkey; used "
	     "constraint teams.teams_pkey <- constraint users_team_id_fkey"},
	    {"CREATE INDEX CONCURRENTLY ON users (lower(email)) WHERE nick IS NOT NULL",
	     "created index users_lower_idx; used table users <- index users_lower_idx; used "
	     "column users.email <- index users_lower_idx; used column users.nick <- index "
	     "users_lower_idx"},
	    {"CREATE VIEW v AS SELECT u.nick, o.* FROM users u JOIN orders o ON o.user_id = u.id",
	     "created view v; used table users <- view v; used table orders <- view v; used column "
	     "users.nick <- view v; every column of orders <- view v; used column orders.user_id "
	     "<- "
	     "view v; used column users.id <- view v"},
	    {"ALTER TABLE users RENAME COLUMN nick TO handle",
	     "changed column users.nick; created column users.handle"},
	    {"ALTER TABLE users ALTER COLUMN email TYPE varchar(320), ALTER COLUMN email SET NOT "
	     "NULL, DROP COLUMN legacy",
	     "used table users; changed column users.email; dropped column users.legacy"},
	    {"DROP TABLE a, s.b; DROP INDEX CONCURRENTLY i",
	     "dropped table a; dropped table s.b; dropped index i"},
	    {"CREATE TYPE mood AS ENUM ('ok'); ALTER TYPE mood ADD VALUE 'sad'; CREATE TABLE p (m "
	     "mood)",
	     "created type mood; changed type mood; created table p; created column p.m; used type "
	     "mood <- column p.m"},
	    {"CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch()",
	     "created trigger users.t; used table users <- trigger t; used function touch <- "
	     "trigger t"},
	    {"UPDATE users SET nick = email", "used table users"},
	};
	for (size_t i = 0; i < N(rows); i++) {
		struct arena a = ARENA_INIT;
		struct object_set set = objects_of(&a, rows[i].sql);
		struct strbuf sb = STRBUF_INIT;
		for (size_t k = 0; k < set.n; k++) {
			const struct object_ref *o = &set.items[k];
			const char *d = objects_describe(&a, o);
			/* "every column of t" says what it uses already */
			bool star = strncmp(d, "every ", 6) == 0;
			strbuf_addf(&sb, "%s%s%s%s", k ? "; " : "",
				    star ? "" : object_does_name(o->does), star ? "" : " ", d);
			if (o->via)
				strbuf_addf(&sb, " <- %s", o->via);
		}
		if (strcmp(sb.buf ? sb.buf : "", rows[i].objects) != 0)
			fail_msg("row %zu: objects of\n%s\nare\n%s\nnot\n%s", i, rows[i].sql,
				 sb.buf ? sb.buf : "", rows[i].objects);
		strbuf_release(&sb);
		arena_release(&a);
	}
}

static void test_revert_check(void **state)
{
	(void)state;
	static const struct {
		const char *earlier; /* migration 2, the one to revert */
		const char *later;   /* migration 3, applied after it */
		bool rebuilds;	     /* undo_rebuilds_tables (SQLite) */
		const char *refusal; /* in the message; NULL: goes alone */
	} rows[] = {
	    {"ALTER TABLE users ADD COLUMN nick text", "CREATE INDEX ON users (nick)", false,
	     "3_later, applied after it, uses column users.nick in index users_nick_idx, which "
	     "2_earlier created"},
	    {"ALTER TABLE users ADD COLUMN nick text", "ALTER TABLE users ADD COLUMN phone text",
	     false, NULL},
	    {"ALTER TABLE users ADD COLUMN nick text", "ALTER TABLE users ADD COLUMN phone text",
	     true, "uses table users, which 2_earlier changed (its undo rebuilds the table"},
	    {"CREATE TABLE teams (id bigint PRIMARY KEY)",
	     "CREATE TABLE players (id bigint, team_id bigint REFERENCES teams (id))", false,
	     "uses table teams in constraint players_team_id_fkey"},
	    {"CREATE TABLE teams (id bigint PRIMARY KEY)", "ALTER TABLE teams ADD COLUMN name text",
	     false, "uses table teams, which 2_earlier created"},
	    {"ALTER TABLE users ADD COLUMN nick text", "CREATE VIEW v AS SELECT * FROM users",
	     false, "uses every column of users in view v"},
	    {"ALTER TABLE users ADD COLUMN nick text", "CREATE VIEW v AS SELECT id FROM users",
	     false, NULL},
	    {"ALTER TABLE users DROP COLUMN legacy", "ALTER TABLE users ADD COLUMN legacy text",
	     false, "creates column users.legacy, which 2_earlier dropped"},
	    {"ALTER TABLE users ALTER COLUMN email TYPE text",
	     "ALTER TABLE users ADD CONSTRAINT email_len CHECK (length(email) < 300)", false,
	     "uses column users.email in constraint email_len, which 2_earlier changed"},
	    {"CREATE TYPE mood AS ENUM ('ok')", "CREATE TABLE p (m mood)", false,
	     "uses type mood in column p.m"},
	};
	for (size_t i = 0; i < N(rows); i++) {
		struct arena a = ARENA_INIT;
		struct history_entry items[2] = {
		    {.version = 2,
		     .name = "earlier",
		     .phase = HISTORY_EXPANDED,
		     .expand_seq = 1,
		     .objects_expand = objects_of(&a, rows[i].earlier)},
		    {.version = 3,
		     .name = "later",
		     .phase = HISTORY_EXPANDED,
		     .expand_seq = 2,
		     .objects_expand = objects_of(&a, rows[i].later)},
		};
		struct history h = {.items = items, .n = 2, .alloc = 2};
		struct mg_error err = MG_ERROR_INIT;
		int rc = branches_revert_check(&a, &h, &items[0], NULL, rows[i].rebuilds, &err);
		if (!rows[i].refusal && rc != 0)
			fail_msg("row %zu: refused: %s", i, err.message);
		if (rows[i].refusal &&
		    (rc == 0 || err.code != 2 || !strstr(err.message, rows[i].refusal)))
			fail_msg("row %zu: %s\nlacks\n%s", i, rc ? err.message : "(went alone)",
				 rows[i].refusal);
		/* reverting the newest never depends on anything */
		mg_error_clear(&err);
		if (branches_revert_check(&a, &h, &items[1], NULL, rows[i].rebuilds, &err) != 0)
			fail_msg("row %zu: the newest refused: %s", i, err.message);
		mg_error_clear(&err);
		arena_release(&a);
	}
}

static void test_revert_check_unrecorded(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct history_entry items[2] = {
	    {.version = 2,
	     .name = "earlier",
	     .phase = HISTORY_CONTRACTED,
	     .expand_seq = 1,
	     .contract_seq = 2,
	     .objects_expand = objects_of(&a, "CREATE TABLE t (id int)"),
	     .objects_contract = objects_of(&a, "SELECT 1")},
	    /* applied by an older migrate: nothing recorded, no file */
	    {.version = 3, .name = "later", .phase = HISTORY_EXPANDED, .expand_seq = 3},
	};
	struct history h = {.items = items, .n = 2, .alloc = 2};
	struct mg_error err = MG_ERROR_INIT;
	assert_int_equal(branches_revert_check(&a, &h, &items[0], NULL, false, &err), -1);
	assert_int_equal(err.code, 2);
	assert_non_null(strstr(err.message, "the history does not record what 3_later did"));
	mg_error_clear(&err);
	/* an interrupted revert of another migration is finished first */
	items[1].objects_expand = objects_of(&a, "SELECT 1");
	items[1].reverting = true;
	assert_int_equal(branches_revert_check(&a, &h, &items[0], NULL, false, &err), -1);
	assert_non_null(strstr(err.message, "the revert of 3_later was interrupted"));
	mg_error_clear(&err);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_objects_of_statements),
	    cmocka_unit_test(test_revert_check),
	    cmocka_unit_test(test_revert_check_unrecorded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
