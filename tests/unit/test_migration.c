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

static void test_checksum(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	(void)state;
	struct migration *m = parse(&a, "1_x.sql", "abc", &err);
	assert_non_null(m);
	/* SHA-256("abc") from FIPS 180-2 */
	assert_string_equal(m->checksum,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	arena_release(&a);
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
	    cmocka_unit_test(test_checksum),
	    cmocka_unit_test(test_line_column),
	    cmocka_unit_test(test_dir_order_and_kinds),
	    cmocka_unit_test(test_dir_errors),
	    cmocka_unit_test(test_paths_mixed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
