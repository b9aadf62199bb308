/* The libpg_query wrapper: typed AST, statement locations, syntax errors, deparse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sql/ast.h"
#include "target/pg/planner_internal.h"
#include "sql/parse.h"
#include "sql/quote.h"

static void test_statement_locations(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	struct migration *m;
	(void)state;
	const char *text = "-- header\n"
			   "-- migrate:expand\n"
			   "CREATE TABLE t (id int);\n"
			   "  /* lead */ -- more\n"
			   "    ALTER TABLE t\n"
			   "      ADD COLUMN x int;\n"
			   "-- migrate:contract\n"
			   "DROP TABLE old;\n";
	assert_int_equal(migration_parse_text(&a, "1_x.sql", text, strlen(text), &m, &err), 0);
	struct sql_section sec;
	assert_int_equal(sql_parse_section(&a, m, SECTION_EXPAND, &sec, &err), 0);
	assert_int_equal(sec.n_stmts, 2);
	assert_int_equal(sec.stmts[0].node->node_case, PG_QUERY__NODE__NODE_CREATE_STMT);
	assert_int_equal(sec.stmts[0].line, 3);
	assert_int_equal(sec.stmts[0].column, 1);
	assert_int_equal(sec.stmts[1].node->node_case, PG_QUERY__NODE__NODE_ALTER_TABLE_STMT);
	assert_int_equal(sec.stmts[1].line, 5);
	assert_int_equal(sec.stmts[1].column, 5);

	/* a node's own location maps into the file too: the column name of ADD COLUMN */
	const PgQuery__AlterTableCmd *cmd =
	    ast_alter_cmd(sec.stmts[1].node->alter_table_stmt->cmds[0]);
	int line, col;
	sql_section_line_column(&sec, cmd->def->column_def->location, &line, &col);
	assert_int_equal(line, 6);
	assert_int_equal(col, 18);

	struct sql_section con;
	assert_int_equal(sql_parse_section(&a, m, SECTION_CONTRACT, &con, &err), 0);
	assert_int_equal(con.n_stmts, 1);
	assert_int_equal(con.stmts[0].line, 8);
	arena_release(&a);
}

static void test_syntax_error_location(void **state)
{
	static const struct {
		const char *text;
		int line;
		int column;
	} rows[] = {
	    {"SELEC 1;\n", 1, 1},
	    {"-- migrate:expand\nCREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN;\n", 3, 25},
	    {"-- migrate:expand\nSELECT 1;\n-- migrate:contract\n\n  DROP TABLEX t;\n", 5, 8},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		struct migration *m;
		const char *t = rows[i].text;
		assert_int_equal(migration_parse_text(&a, "4_bad.sql", t, strlen(t), &m, &err), 0);
		int rc = 0;
		for (int s = 0; s < SECTION__COUNT && rc == 0; s++) {
			struct sql_section sec;
			rc = sql_parse_section(&a, m, s, &sec, &err);
		}
		assert_int_equal(rc, -1);
		assert_int_equal(err.code, 2);
		assert_string_equal(err.file, "4_bad.sql");
		assert_int_equal(err.line, rows[i].line);
		assert_int_equal(err.column, rows[i].column);
		assert_non_null(strstr(err.message, "syntax error"));
		arena_release(&a);
	}
}

static void test_deparse(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	struct sql_section sec;
	(void)state;
	assert_int_equal(sql_parse_string(&a, "create index i on t (a)", &sec, &err), 0);
	PgQuery__IndexStmt *is = sec.stmts[0].node->index_stmt;
	is->concurrent = 1; /* the typed tree can be changed and turned back into SQL */
	char *sql = sql_deparse_node(&a, sec.stmts[0].node);
	assert_non_null(sql);
	assert_string_equal(sql, "CREATE INDEX CONCURRENTLY i ON t USING btree (a)");
	arena_release(&a);
}

/* view: a CREATE VIEW; after renaming t.a to c, want (NULL: refused). */
static void expect_view_rename(const char *view, const char *want)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	struct sql_section sec;
	assert_int_equal(sql_parse_string(&a, view, &sec, &err), 0);
	PgQuery__Node *n = (PgQuery__Node *)sec.stmts[0].node;
	bool ok = ast_rename_view_column(n, "t", "a", "c");
	if (!want) {
		assert_false(ok);
	} else {
		assert_true(ok);
		assert_string_equal(sql_deparse_node(&a, n), want);
	}
	arena_release(&a);
}

/* As pg_get_viewdef writes views: every column qualified by its table or alias. */
static void test_view_rename(void **state)
{
	(void)state;
	expect_view_rename("CREATE OR REPLACE VIEW v AS SELECT t.id, t.a FROM t",
			   "CREATE OR REPLACE VIEW v AS SELECT t.id, t.c AS a FROM t");
	/* an alias of t; u.a is another table's column; a named output keeps its name */
	expect_view_rename("CREATE OR REPLACE VIEW v AS SELECT x.a AS label, u.a, upper(x.a) AS "
			   "loud FROM t x JOIN u ON u.id = x.id WHERE x.a <> ''",
			   "CREATE OR REPLACE VIEW v AS SELECT x.c AS label, u.a, upper(x.c) AS "
			   "loud FROM t x JOIN u ON u.id = x.id WHERE x.c <> ''");
	/* in a subquery too, whose output column keeps the name the outer query reads */
	expect_view_rename(
	    "CREATE OR REPLACE VIEW v AS SELECT s.a FROM (SELECT t.a FROM t) s",
	    "CREATE OR REPLACE VIEW v AS SELECT s.a FROM (SELECT t.c AS a FROM t) s");
	/* a bare name in a view over t alone (as PostgreSQL 16+ prints it) is t's */
	expect_view_rename("CREATE OR REPLACE VIEW v AS SELECT id, a FROM t WHERE a <> ''",
			   "CREATE OR REPLACE VIEW v AS SELECT id, c AS a FROM t WHERE c <> ''");
	/* a bare name beside another table or a subquery: whose column it is cannot be told */
	expect_view_rename("CREATE OR REPLACE VIEW v AS SELECT a FROM t, u", NULL);
	expect_view_rename(
	    "CREATE OR REPLACE VIEW v AS SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u)", NULL);
	expect_view_rename("CREATE OR REPLACE VIEW v AS SELECT a FROM t, generate_series(1, 2) g",
			   NULL);
}

/* Generated names as PostgreSQL makes them (read off PostgreSQL 18), and the engine's own. */
static void test_generated_names(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	static const struct {
		const char *name1, *name2, *label, *want;
	} pg[] = {
	    {"t", "c", "not_null", "t_c_not_null"},
	    {"orders", "account_id", "fkey", "orders_account_id_fkey"},
	    {"aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd", "eeeeeeeeeeffffffffffgggggggggghhhhhhhhhh",
	     "not_null", "aaaaaaaaaabbbbbbbbbbccccccc_eeeeeeeeeeffffffffffgggggg_not_null"},
	    {"aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd",
	     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	     "\xc3\xa9",
	     "not_null",
	     "aaaaaaaaaabbbbbbbbbbccccccc_"
	     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9_not_null"},
	};
	for (size_t i = 0; i < sizeof(pg) / sizeof(pg[0]); i++)
		assert_string_equal(names_pg_object(&a, pg[i].name1, pg[i].name2, pg[i].label),
				    pg[i].want);
	/* the engine's names: as they are when they fit, else cut with a hash of the whole */
	assert_string_equal(names_fit(&a, NAMES_MAX_BYTES, "v2_users_email"), "v2_users_email");
	const char *l1 = names_fit(
	    &a, NAMES_MAX_BYTES,
	    "v20261204120000_customer_shipping_preferences_archive_tbl_shipping_address_line1");
	const char *l2 = names_fit(
	    &a, NAMES_MAX_BYTES,
	    "v20261204120000_customer_shipping_preferences_archive_tbl_shipping_address_line2");
	assert_int_equal(strlen(l1), 63);
	assert_int_equal(strlen(l2), 63);
	assert_string_not_equal(l1, l2);
	assert_memory_equal(l1, "v20261204120000_customer_shipping_preferences_archive_", 54);
	assert_string_equal(l1, names_fit(&a, NAMES_MAX_BYTES,
					  "v20261204120000_customer_shipping_preferences_"
					  "archive_tbl_shipping_address_line1"));
	/* never half a character */
	const char *u =
	    names_fit(&a, NAMES_MAX_BYTES,
		      "v1_\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_true(strlen(u) <= 63);
	assert_int_equal(u[strlen(u) - 9], '_');
	assert_int_equal((unsigned char)u[strlen(u) - 10] & 0xC0, 0x80);
	assert_int_equal((unsigned char)u[strlen(u) - 11], 0xc3);
	/* another bound: the same rule */
	const char *short_fit = names_fit(&a, 20, "abcdefghijklmnopqrstuvwxyz");
	assert_int_equal(strlen(short_fit), 20);
	assert_memory_equal(short_fit, "abcdefghijk_", 12);
	assert_string_equal(names_fit(&a, 26, "abcdefghijklmnopqrstuvwxyz"),
			    "abcdefghijklmnopqrstuvwxyz");
	/* names_make: printf, then fit */
	assert_string_equal(names_make(&a, "%s__v%d", "q", 2), "q__v2");
	assert_string_equal(names_make(&a, "%s_%s",
				       "v20261204120000_customer_shipping_preferences_"
				       "archive_tbl",
				       "shipping_address_line1"),
			    l1);
	/* apart: parts that join to the same text, for two objects, stay two names */
	const char *ab = names_make_apart(&a, "\"a_b\".\"c\"", "w1_%s_%s", "a_b", "c");
	const char *a_bc = names_make_apart(&a, "\"a\".\"b_c\"", "w1_%s_%s", "a", "b_c");
	assert_string_not_equal(ab, a_bc);
	assert_memory_equal(ab, "w1_a_b_c_", 9);
	assert_int_equal(strlen(ab), 17);
	assert_string_equal(ab, names_make_apart(&a, "\"a_b\".\"c\"", "w1_%s_%s", "a_b", "c"));
	/* long and apart: still 63 bytes, still two */
	char col[64];
	memset(col, 'x', 63);
	col[63] = '\0';
	const char *la = names_make_apart(&a, "\"t\".\"one\"", "migrate_sync_v1_%s_%s", "t", col);
	const char *lb = names_make_apart(&a, "\"t\".\"two\"", "migrate_sync_v1_%s_%s", "t", col);
	assert_int_equal(strlen(la), 63);
	assert_int_equal(strlen(lb), 63);
	assert_string_not_equal(la, lb);
	/* a record is a COMMENT the inverse builder can turn around, JSON inside */
	assert_string_equal(
	    names_pg_record(&a, "\"s\".\"f\"", NAMES_KIND_SHADOW, "it's", "x\"y", 20261204120000),
	    "COMMENT ON FUNCTION \"s\".\"f\"() IS E'{\"migrate\": \"shadow\", \"column\": "
	    "\"it''s\", \"name\": \"x\\\\\"y\", \"version\": 20261204120000}'");
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_statement_locations),
	    cmocka_unit_test(test_syntax_error_location),
	    cmocka_unit_test(test_deparse),
	    cmocka_unit_test(test_view_rename),
	    cmocka_unit_test(test_generated_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
