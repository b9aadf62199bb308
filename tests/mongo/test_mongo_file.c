/* MongoDB migration files: sections, commands, where each stands, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "target/mongo/mongo_file.h"

#define N(rows) (sizeof(rows) / sizeof((rows)[0]))

static struct migration *load(struct arena *a, const char *path, const char *text)
{
	struct mg_error err = MG_ERROR_INIT;
	struct migration *m = NULL;
	if (migration_parse_text(a, path, arena_strdup(a, text), strlen(text), &m, &err) < 0)
		fail_msg("%s: %s", path, err.message);
	assert_int_equal(m->kind, MIGRATION_JSON);
	return m;
}

static void test_sections_and_places(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	struct mongo_file f;
	(void)state;
	const char *text = "{\n"
			   "  \"expand\": [\n"
			   "    {\"create\": \"users\"},\n"
			   "    {\"createIndexes\": \"users\",\n"
			   "     \"indexes\": [{\"key\": {\"email\": 1}, \"name\": \"email_1\"}]}\n"
			   "  ],\n"
			   "  \"contract\": [{\"drop\": \"legacy\"}],\n"
			   "  \"revert-contract\": []\n"
			   "}\n";
	struct migration *m = load(&a, "0003_users.json", text);
	assert_int_equal(m->version, 3);
	assert_string_equal(m->name, "users");
	assert_int_equal(mongo_file_parse(&a, m, &f, &err), 0);

	const struct mongo_section *ex = &f.sections[SECTION_EXPAND];
	assert_true(ex->present);
	assert_int_equal(ex->line, 2);
	assert_int_equal(ex->n, 2);
	assert_string_equal(ex->commands[0].name, "create");
	assert_string_equal(ex->commands[0].target, "users");
	assert_int_equal(ex->commands[0].index, 0);
	assert_int_equal(ex->commands[0].line, 3);
	assert_int_equal(ex->commands[0].column, 5);
	assert_string_equal(ex->commands[1].name, "createIndexes");
	assert_int_equal(ex->commands[1].index, 1);
	assert_int_equal(ex->commands[1].line, 4);
	assert_int_equal(ex->commands[1].section, SECTION_EXPAND);
	assert_ptr_equal(ex->commands[1].migration, m);

	const struct mongo_section *co = &f.sections[SECTION_CONTRACT];
	assert_true(co->present);
	assert_int_equal(co->n, 1);
	assert_int_equal(co->commands[0].line, 7);
	assert_int_equal(co->commands[0].column, 16);
	assert_string_equal(co->commands[0].json, "{ \"drop\" : \"legacy\" }");

	assert_false(f.sections[SECTION_REVERT_EXPAND].present);
	assert_true(f.sections[SECTION_REVERT_CONTRACT].present);
	assert_int_equal(f.sections[SECTION_REVERT_CONTRACT].n, 0);

	/* the BSON is the command as written */
	bson_t cmd;
	bson_iter_t it;
	mongo_command_bson(&ex->commands[1], &cmd);
	assert_true(bson_iter_init_find(&it, &cmd, "indexes"));
	assert_true(BSON_ITER_HOLDS_ARRAY(&it));
	arena_release(&a);
}

static void test_extended_json_and_empty(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	struct mongo_file f;
	(void)state;
	/* relaxed and canonical Extended JSON values, all on one line */
	struct migration *m =
	    load(&a, "7_seed.json",
		 "{\"expand\": [{\"insert\": \"plans\", \"documents\": [{\"_id\": {\"$oid\": "
		 "\"5f1a5f1a5f1a5f1a5f1a5f1a\"}, \"since\": {\"$date\": \"2024-01-01T00:00:00Z\"}, "
		 "\"limit\": {\"$numberLong\": \"5000000000\"}}]}, {\"ping\": 1}]}");
	assert_int_equal(mongo_file_parse(&a, m, &f, &err), 0);
	assert_int_equal(f.sections[SECTION_EXPAND].n, 2);
	assert_int_equal(f.sections[SECTION_EXPAND].commands[1].line, 1);
	assert_null(f.sections[SECTION_EXPAND].commands[1].target);
	bson_t cmd;
	bson_iter_t it;
	mongo_command_bson(&f.sections[SECTION_EXPAND].commands[0], &cmd);
	assert_true(bson_iter_init(&it, &cmd) &&
		    bson_iter_find_descendant(&it, "documents.0.limit", &it));
	assert_true(BSON_ITER_HOLDS_INT64(&it));

	/* an empty object: nothing to do in any phase */
	m = load(&a, "8_nothing.json", " {}\n");
	assert_int_equal(mongo_file_parse(&a, m, &f, &err), 0);
	for (int s = 0; s < SECTION__COUNT; s++)
		assert_false(f.sections[s].present);
	arena_release(&a);
}

static void test_bad_input(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *message; /* a part of it */
	} rows[] = {
	    {"{\"expand\": [\n  {\"drop\": \"a\",}\n]}", 2, "invalid JSON"},
	    {"{\"expand\": [\n  {\"drop\": \"a\"}\n  {\"drop\": \"b\"}\n]}", 3, "invalid JSON"},
	    {"\n\n{\"expand\": [{\"insert\": \"a\", \"documents\": [{\"t\": {\"$date\": "
	     "\"later\"}}]}]}",
	     3, "invalid JSON"},
	    {"{\"expand\": []} trailing", 1, "invalid JSON"},
	    {"", 1, "one JSON object"},
	    {"[{\"drop\": \"a\"}]", 1, "one JSON object"},
	    {"{\n\"expand\": [],\n\"upgrade\": []}", 3, "unknown section 'upgrade'"},
	    {"{\"expand\": [],\n \"expand\": []}", 2, "appears twice (first at line 1)"},
	    {"{\"contract\": {\"drop\": \"a\"}}", 1, "is not an array"},
	    {"{\"expand\": [\n  \"drop users\"\n]}", 2, "each element is a database command"},
	    {"{\"expand\": [{}, \n {}]}", 1, "empty command object"},
	    {"{\"expand\": [{\"$rename\": 1}]}", 1, "starts with '$'"},
	};
	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		struct arena a = ARENA_INIT;
		struct mg_error err = MG_ERROR_INIT;
		struct mongo_file f;
		struct migration *m = load(&a, "5_bad.json", rows[i].text);
		if (mongo_file_parse(&a, m, &f, &err) == 0)
			fail_msg("row %zu: parsed:\n%s", i, rows[i].text);
		if (err.code != 2 || strcmp(err.file, "5_bad.json") != 0 ||
		    err.line != rows[i].line || err.column < 1 ||
		    !strstr(err.message, rows[i].message))
			fail_msg("row %zu: got exit %d at %s:%d:%d: %s", i, err.code, err.file,
				 err.line, err.column, err.message);
		arena_release(&a);
	}
}

static void test_nul_byte(void **state)
{
	struct arena a = ARENA_INIT;
	struct mg_error err = MG_ERROR_INIT;
	struct migration *m = NULL;
	struct mongo_file f;
	(void)state;
	static const char text[] = "{\"expand\": []}\0";
	assert_int_equal(migration_parse_text(&a, "1_x.json", text, sizeof(text) - 1, &m, &err), 0);
	assert_int_equal(mongo_file_parse(&a, m, &f, &err), -1);
	assert_int_equal(err.code, 2);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sections_and_places),
	    cmocka_unit_test(test_extended_json_and_empty),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_nul_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
