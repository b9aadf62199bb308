/* The migration loader: versions, sections, allow comments, checksums, directory scans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "migration/migration.h"
#include "sql/parse.h"

static struct migration *parse(struct arena *a, const char *path, const char *text,
			       struct mg_error *err)
{
	struct migration *m = NULL;
	if (migration_parse_text(a, path, arena_strdup(a, text), strlen(text), &m, err) < 0)
		return NULL;
	return m;
}

static void test_version_from_name(void **state)
{
	static const struct {
		const char *name;
		bool ok;
		long long version;
		const char *slug;
	} rows[] = {
	    {"0001_init.sql", true, 1, "init.sql"},
	    {"10_add_users.sql", true, 10, "add_users.sql"},
	    {"20261126093000_x.sql", true, 20261126093000LL, "x.sql"},
	    {"init.sql", false, 0, NULL},
	    {"99999999999999999999_x.sql", false, 0, NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t v = -1;
		const char *slug = NULL;
		bool ok = migration_version_from_name(rows[i].name, &v, &slug);
		assert_int_equal(ok, rows[i].ok);
		if (ok) {
			assert_int_equal(v, rows[i].version);
			assert_string_equal(slug, rows[i].slug);
		}
	}
}

static void test_sections(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	(void)state;
	const char *text = "-- a comment\n"
			   "-- migrate:expand\n"
			   "ALTER TABLE t ADD COLUMN x int;\n"
			   "\n"
			   "-- migrate:contract\n"
			   "ALTER TABLE t DROP COLUMN y;\n"
			   "--migrate:revert-contract\n"
			   "SELECT 1;\n";
	struct migration *m = parse(&a, "dir/0003_split.sql", text, &err);
	assert_non_null(m);
	assert_true(m->has_version);
	assert_int_equal(m->version, 3);
	assert_string_equal(m->name, "split");
	assert_true(m->sections[SECTION_EXPAND].present);
	assert_true(m->sections[SECTION_CONTRACT].present);
	assert_false(m->sections[SECTION_REVERT_EXPAND].present);
	assert_true(m->sections[SECTION_REVERT_CONTRACT].present);
	const struct migration_section_range *e = &m->sections[SECTION_EXPAND];
	assert_int_equal(e->marker_line, 2);
	assert_memory_equal(text + e->start, "ALTER TABLE t ADD", 17);
	const struct migration_section_range *c = &m->sections[SECTION_CONTRACT];
	assert_int_equal(c->marker_line, 5);
	assert_memory_equal(text + c->start, "ALTER TABLE t DROP", 18);
	assert_int_equal(text[c->end - 1], '\n');
	arena_release(&a);
}

static void test_no_marker_is_all_expand(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	(void)state;
	struct migration *m = parse(&a, "5_plain.sql", "CREATE TABLE t (id int);\n", &err);
	assert_non_null(m);
	assert_true(m->sections[SECTION_EXPAND].present);
	assert_int_equal(m->sections[SECTION_EXPAND].start, 0);
	assert_false(m->sections[SECTION_CONTRACT].present);
	arena_release(&a);
}

static void test_bad_markers(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *needle;
	} rows[] = {
	    {"-- migrate:expand\nSELECT 1;\n-- migrate:expnad\n", 3, "unknown section marker"},
	    {"-- migrate:expand\n-- migrate:expand\n", 2, "appears twice"},
	    {"SELECT 1;\n-- migrate:contract\nSELECT 2;\n", 1, "before the first section"},
	    {"-- migrate:allow\nSELECT 1;\n", 1, "names no rule"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		assert_null(parse(&a, "7_bad.sql", rows[i].text, &err));
		assert_int_equal(err.code, 2);
		assert_int_equal(err.line, rows[i].line);
		assert_string_equal(err.file, "7_bad.sql");
		assert_non_null(strstr(err.message, rows[i].needle));
		arena_release(&a);
	}
}

static void test_allow_comments(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	(void)state;
	struct migration *m = parse(&a, "8_allow.sql",
				    "-- migrate:allow-file prefer-text, prefer-bigint\n"
				    "-- migrate:expand\n"
				    "  -- migrate:allow drop-column -- the app stopped reading it\n"
				    "ALTER TABLE t DROP COLUMN c;\n",
				    &err);
	assert_non_null(m);
	assert_int_equal(m->n_allows, 3);
	assert_string_equal(m->allows[0].rule, "prefer-text");
	assert_true(m->allows[0].file_wide);
	assert_string_equal(m->allows[1].rule, "prefer-bigint");
	assert_string_equal(m->allows[2].rule, "drop-column");
	assert_false(m->allows[2].file_wide);
	assert_int_equal(m->allows[2].line, 3);
	assert_int_equal(m->allows[2].column, 3);
	assert_string_equal(m->allows[2].reason, "the app stopped reading it");
	arena_release(&a);
}

/*
 * One file with each kind of line end: PostgreSQL's lexer ends a comment at
 * "\n", "\r\n" and a lone "\r" alike, so the markers, the statements and the
 * lines they are reported at must come out the same for all three.
 */
static void test_line_ends(void **state)
{
	static const char *const eols[] = {"\n", "\r\n", "\r"};
	(void)state;
	for (size_t i = 0; i < sizeof(eols) / sizeof(eols[0]); i++) {
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		const char *n = eols[i];
		const char *text = arena_printf(&a,
						"-- a comment%s"
						"-- migrate:expand%s"
						"-- migrate:allow prefer-text -- a reason%s"
						"CREATE TABLE t (id int);%s"
						"  ALTER TABLE t ADD COLUMN x int;%s"
						"-- migrate:contract%s"
						"SELECT 2;%s",
						n, n, n, n, n, n, n);
		struct migration *m = parse(&a, "4_eol.sql", text, &err);
		assert_non_null(m);
		assert_int_equal(m->sections[SECTION_EXPAND].marker_line, 2);
		assert_int_equal(m->sections[SECTION_CONTRACT].marker_line, 6);
		assert_int_equal(m->n_allows, 1);
		assert_int_equal(m->allows[0].line, 3);
		assert_string_equal(m->allows[0].reason, "a reason");
		struct sql_section sec;
		assert_int_equal(sql_parse_section(&a, m, SECTION_EXPAND, &sec, &err), 0);
		assert_int_equal(sec.n_stmts, 2);
		assert_int_equal(sec.stmts[0].line, 4);
		assert_int_equal(sec.stmts[0].column, 1);
		assert_int_equal(sec.stmts[1].line, 5);
		assert_int_equal(sec.stmts[1].column, 3);
		assert_int_equal(sql_parse_section(&a, m, SECTION_CONTRACT, &sec, &err), 0);
		assert_int_equal(sec.n_stmts, 1);
		assert_int_equal(sec.stmts[0].line, 7);
		/* a syntax error is placed on its line too */
		text = arena_printf(&a, "-- migrate:expand%sSELECT 1;%sSELEC 2;%s", n, n, n);
		m = parse(&a, "4_eol.sql", text, &err);
		assert_non_null(m);
		assert_int_equal(sql_parse_section(&a, m, SECTION_EXPAND, &sec, &err), -1);
		assert_int_equal(err.line, 3);
		assert_int_equal(err.column, 1);
		arena_release(&a);
	}
}

/* A byte-order mark is skipped; columns on the first line count after it. */
static void test_byte_order_mark(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	struct sql_section sec;
	(void)state;
	struct migration *m = parse(&a, "6_bom.sql", "\xEF\xBB\xBF  SELECT 1;\n", &err);
	assert_non_null(m);
	assert_int_equal(m->sections[SECTION_EXPAND].start, 3);
	assert_int_equal(sql_parse_section(&a, m, SECTION_EXPAND, &sec, &err), 0);
	assert_int_equal(sec.n_stmts, 1);
	assert_int_equal(sec.stmts[0].line, 1);
	assert_int_equal(sec.stmts[0].column, 3);
	m = parse(&a, "6_bom.sql", "\xEF\xBB\xBF-- migrate:expand\nSELECT 1;\n", &err);
	assert_non_null(m);
	assert_int_equal(m->sections[SECTION_EXPAND].marker_line, 1);
	assert_int_equal(sql_parse_section(&a, m, SECTION_EXPAND, &sec, &err), 0);
	assert_int_equal(sec.n_stmts, 1);
	assert_int_equal(sec.stmts[0].line, 2);
	/* the whole-file checksum is of the file as it is, mark included */
	m = parse(&a, "6_bom.sql", "\xEF\xBB\xBF", &err);
	assert_non_null(m);
	assert_string_equal(m->file_checksum,
			    "f1945cd6c19e56b3c1c78943ef5ec18116907a4ca1efc40a57d48ab1db7adfc5");
	arena_release(&a);
}

static void test_invalid_utf8(void **state)
{
	static const struct {
		const char *text;
		int line; /* 0: valid */
		int column;
	} rows[] = {
	    {"SELECT 'caf\xC3\xA9', '\xE2\x82\xAC', '\xF0\x9F\x90\x98';\n", 0, 0},
	    {"SELECT 1;\nSELECT 'caf\xE9';\n", 2, 12}, /* Latin-1 */
	    {"SELECT '\xC0\xAF';\n", 1, 9},	       /* overlong '/' */
	    {"SELECT '\xE0\x80\xAF';\n", 1, 9},	       /* overlong, three bytes */
	    {"SELECT '\xED\xA0\x80';\n", 1, 9},	       /* a UTF-16 surrogate */
	    {"SELECT '\xF4\x90\x80\x80';\n", 1, 9},    /* past U+10FFFF */
	    {"SELECT '\xE2\x82';\n", 1, 9},	       /* cut short */
	    {"SELECT 1;\rSELECT '\xFF';\r", 2, 9},     /* on a CR-only line */
	    {"SELECT 1; -- \xC3", 1, 14},	       /* cut short at the end of the file */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		struct migration *m = parse(&a, "9_utf8.sql", rows[i].text, &err);
		if (!rows[i].line) {
			assert_non_null(m);
		} else {
			assert_null(m);
			assert_int_equal(err.code, 2);
			assert_string_equal(err.file, "9_utf8.sql");
			assert_int_equal(err.line, rows[i].line);
			assert_int_equal(err.column, rows[i].column);
			assert_non_null(strstr(err.message, "invalid UTF-8"));
		}
		arena_release(&a);
	}
}

/*
 * The parser counts its error position in characters, the file's lines and
 * columns are in bytes: multibyte text before the error must not move it.
 */
static void test_syntax_error_after_utf8(void **state)
{
	static const struct {
		const char *text;
		int line, column;
	} rows[] = {
	    {"SELECT 'caf\xC3\xA9', '\xE2\x82\xAC' FRM t;\n", 1, 27},
	    {"SELECT '\xC3\xA9\n\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9';\nSELEC 2;\n", 3,
	     1},
	    {"-- migrate:expand\r-- \xF0\x9F\x90\x98\xF0\x9F\x90\x98\rSELECT 1 FRM t;\r", 3, 14},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		struct sql_section sec;
		struct migration *m = parse(&a, "3_syntax.sql", rows[i].text, &err);
		assert_non_null(m);
		assert_int_equal(sql_parse_section(&a, m, SECTION_EXPAND, &sec, &err), -1);
		assert_int_equal(err.line, rows[i].line);
		assert_int_equal(err.column, rows[i].column);
		arena_release(&a);
	}
}

static void test_file_checksum(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	(void)state;
	struct migration *m = parse(&a, "1_x.sql", "abc", &err);
	assert_non_null(m);
	/* SHA-256("abc") from FIPS 180-2 */
	assert_string_equal(m->file_checksum,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* the bytes of the file as they are, line ends included: what sha256sum says
	 * (reading "\r" as a line end must not change what an applied file hashed to) */
	m = parse(&a, "1_x.sql", "-- migrate:expand\nSELECT 1;\n", &err);
	assert_non_null(m);
	assert_string_equal(m->file_checksum,
			    "9a40e8d2e708450206cc22a3f331d1cc4744e4176c62a4170a297632a2fedcea");
	m = parse(&a, "1_x.sql", "-- migrate:expand\rSELECT 1;\r", &err);
	assert_non_null(m);
	assert_string_equal(m->file_checksum,
			    "7047c56c524b9761de50f1cd565afb20276eeaf4c3d26169986543417ff939b1");
	arena_release(&a);
}

/*
 * The checksum drift is judged by covers what runs: comments, allow comments
 * and whitespace outside literals do not count; statements, literals and
 * section markers do.
 */
static void test_statement_checksum(void **state)
{
	static const struct {
		const char *a, *b;
		bool same;
	} rows[] = {
	    {"-- migrate:expand\nSELECT 1;\n", "-- migrate:expand\n-- a note\nSELECT 1;\n", true},
	    {"-- migrate:expand\nSELECT 1;\n", "-- migrate:expand\r\n\r\nSELECT   1 ;\r\n", true},
	    {"-- migrate:expand\nDROP TABLE t;\n",
	     "-- migrate:expand\n-- migrate:allow drop-table -- gone\nDROP TABLE t;\n", true},
	    {"-- migrate:expand\nSELECT 1;\n",
	     "-- migrate:expand\n/* a /* nested */ note */SELECT 1;", true},
	    {"SELECT 1;\n", "-- migrate:expand\nSELECT 1;\n", true},
	    {"-- migrate:expand\nSELECT 1;\n", "-- migrate:expand\nSELECT 2;\n", false},
	    {"-- migrate:expand\nSELECT 'a  b';\n", "-- migrate:expand\nSELECT 'a b';\n", false},
	    {"-- migrate:expand\nSELECT '--x';\n", "-- migrate:expand\nSELECT '';\n", false},
	    {"-- migrate:expand\nSELECT $$ -- x $$;\n", "-- migrate:expand\nSELECT $$  $$;\n",
	     false},
	    {"-- migrate:expand\nSELECT 1;\n", "-- migrate:contract\nSELECT 1;\n", false},
	    {"-- migrate:expand\nSELECT 1;\n",
	     "-- migrate:expand\nSELECT 1;\n-- migrate:revert-expand\n", false},
	    {"-- migrate:expand\nSELECT 1;\nSELECT 2;\n", "-- migrate:expand\nSELECT 1;SELECT 2;",
	     true},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		struct migration *x = parse(&a, "1_x.sql", rows[i].a, &err);
		struct migration *y = parse(&a, "1_x.sql", rows[i].b, &err);
		assert_non_null(x);
		assert_non_null(y);
		if (rows[i].same != (strcmp(x->checksum, y->checksum) == 0))
			fail_msg("row %zu: checksums should %s", i,
				 rows[i].same ? "match" : "differ");
		assert_true(migration_checksum_matches(x, x->file_checksum));
		arena_release(&a);
	}
}

static void test_line_column(void **state)
{
	const char *t = "ab\ncd\n\nefg";
	int line, col;
	(void)state;
	text_offset_to_line_column(t, strlen(t), 0, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
	text_offset_to_line_column(t, strlen(t), 4, &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 2);
	text_offset_to_line_column(t, strlen(t), 9, &line, &col);
	assert_int_equal(line, 4);
	assert_int_equal(col, 3);
	/* the same lines with "\r\n" and with a lone "\r" */
	static const struct {
		const char *text;
		size_t offset;
		int line, column;
	} rows[] = {
	    {"ab\r\ncd\r\n\r\nefg", 5, 2, 2},
	    {"ab\r\ncd\r\n\r\nefg", 12, 4, 3},
	    {"ab\r\ncd", 3, 1, 4}, /* between the two bytes of one line end */
	    {"ab\rcd\r\refg", 4, 2, 2},
	    {"ab\rcd\r\refg", 9, 4, 3},
	    {"ab\n\rcd", 4, 3, 1}, /* "\n\r" is two line ends */
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		text_offset_to_line_column(rows[i].text, strlen(rows[i].text), rows[i].offset,
					   &line, &col);
		assert_int_equal(line, rows[i].line);
		assert_int_equal(col, rows[i].column);
	}
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *make_dir(void)
{
	char *d = strdup("/tmp/migrate-unit-XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void remove_dir(char *d)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(d);
}

static void test_dir_order_and_kinds(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	struct migration_set set = {0};
	char *d = make_dir();
	(void)state;
	write_file(d, "10_ten.sql", "SELECT 10;\n");
	write_file(d, "9_nine.sql", "SELECT 9;\n");
	write_file(d, "0002_two.json", "{\"expand\": []}\n");
	write_file(d, "README.md", "not a migration\n");
	write_file(d, ".hidden.sql", "SELECT 0;\n");
	assert_int_equal(migration_load_dir(&a, d, &set, &err), 0);
	assert_int_equal(set.n, 3);
	assert_int_equal(set.items[0]->version, 2);
	assert_int_equal(set.items[0]->kind, MIGRATION_JSON);
	assert_int_equal(set.items[1]->version, 9);
	assert_int_equal(set.items[2]->version, 10);
	assert_int_equal(set.items[2]->kind, MIGRATION_SQL);
	remove_dir(d);
	arena_release(&a);
}

static void test_dir_errors(void **state)
{
	(void)state;
	{
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		struct migration_set set = {0};
		char *d = make_dir();
		write_file(d, "1_a.sql", "SELECT 1;\n");
		write_file(d, "001_b.sql", "SELECT 1;\n");
		assert_int_equal(migration_load_dir(&a, d, &set, &err), -1);
		assert_int_equal(err.code, 2);
		assert_non_null(strstr(err.message, "duplicate version 1"));
		remove_dir(d);
		arena_release(&a);
	}
	{
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		struct migration_set set = {0};
		char *d = make_dir();
		write_file(d, "add_users.sql", "SELECT 1;\n");
		assert_int_equal(migration_load_dir(&a, d, &set, &err), -1);
		assert_int_equal(err.code, 2);
		assert_non_null(strstr(err.message, "no version"));
		assert_non_null(strstr(err.file, "add_users.sql"));
		remove_dir(d);
		arena_release(&a);
	}
	{
		/* no history row can be version 0: 'revert --to 0' would never reach it */
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		struct migration_set set = {0};
		char *d = make_dir();
		write_file(d, "1_a.sql", "SELECT 1;\n");
		write_file(d, "000_zero.sql", "SELECT 1;\n");
		assert_int_equal(migration_load_dir(&a, d, &set, &err), -1);
		assert_int_equal(err.code, 2);
		assert_non_null(strstr(err.message, "version 0 is reserved"));
		assert_non_null(strstr(err.file, "000_zero.sql"));
		remove_dir(d);
		arena_release(&a);
	}
	{
		/* a named pipe is refused, not waited on; a link to a file is read */
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		struct migration_set set = {0};
		char *d = make_dir();
		char path[600];
		write_file(d, "target.txt", "SELECT 1;\n");
		snprintf(path, sizeof(path), "%s/1_link.sql", d);
		assert_int_equal(symlink("target.txt", path), 0);
		assert_int_equal(migration_load_dir(&a, d, &set, &err), 0);
		assert_int_equal(set.n, 1);
		snprintf(path, sizeof(path), "%s/2_pipe.sql", d);
		assert_int_equal(mkfifo(path, 0600), 0);
		set = (struct migration_set){0};
		assert_int_equal(migration_load_dir(&a, d, &set, &err), -1);
		assert_int_equal(err.code, 2);
		assert_non_null(strstr(err.message, "not a regular file"));
		assert_non_null(strstr(err.file, "2_pipe.sql"));
		remove_dir(d);
		arena_release(&a);
	}
	{
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		struct migration_set set = {0};
		const char *p = "/nonexistent/migrations";
		assert_int_equal(migration_load_paths(&a, &p, 1, &set, &err), -1);
		assert_int_equal(err.code, 2);
		assert_non_null(strstr(err.message, "no such file"));
		arena_release(&a);
	}
}

static void test_paths_mixed(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	struct migration_set set = {0};
	char *d = make_dir();
	(void)state;
	write_file(d, "schema.sql", "SELECT 0;\n"); /* no version: order given */
	write_file(d, "5_five.sql", "SELECT 5;\n");
	write_file(d, "3_three.sql", "SELECT 3;\n");
	char p1[600], p2[600], p3[600];
	snprintf(p1, sizeof(p1), "%s/5_five.sql", d);
	snprintf(p2, sizeof(p2), "%s/schema.sql", d);
	snprintf(p3, sizeof(p3), "%s/3_three.sql", d);
	const char *paths[] = {p1, p2, p3};
	assert_int_equal(migration_load_paths(&a, paths, 3, &set, &err), 0);
	assert_int_equal(set.n, 3);
	assert_int_equal(set.items[0]->version, 3);
	assert_int_equal(set.items[1]->version, 5);
	assert_false(set.items[2]->has_version);
	remove_dir(d);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version_from_name),
	    cmocka_unit_test(test_sections),
	    cmocka_unit_test(test_no_marker_is_all_expand),
	    cmocka_unit_test(test_bad_markers),
	    cmocka_unit_test(test_allow_comments),
	    cmocka_unit_test(test_file_checksum),
	    cmocka_unit_test(test_statement_checksum),
	    cmocka_unit_test(test_line_column),
	    cmocka_unit_test(test_line_ends),
	    cmocka_unit_test(test_byte_order_mark),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_syntax_error_after_utf8),
	    cmocka_unit_test(test_dir_order_and_kinds),
	    cmocka_unit_test(test_dir_errors),
	    cmocka_unit_test(test_paths_mixed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
