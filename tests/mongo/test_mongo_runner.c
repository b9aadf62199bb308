/*
 * The MongoDB runner, through runner_up/runner_revert, over a stand-in
 * driver that records what it is asked to run and keeps the history in
 * memory. It answers the state questions as for collections that exist
 * without indexes. What a real server does with the commands is the
 * integration tests' part (MIGRATE_TEST_MONGODB_URI).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "target/mongo/mongo_file.h"
#include "target/mongo/inverse_mongo.h"
#include "run/runner.h"

#define N(rows) (sizeof(rows) / sizeof((rows)[0]))

struct stub {
	struct arena arena;
	const char *executed[64]; /* command names, in run order */
	const char *steps[64];	  /* the steps as run */
	size_t n_executed;
	int fail_at; /* the n-th exec (1-based) fails; 0: none */
	struct history history;
	enum history_phase saved_phases[64];
	size_t n_saves;
	const char *events[16];
	size_t n_events;
	bool locked;
};

static struct stub *stub_of(struct driver *d)
{
	return d->impl;
}

static int stub_lock(struct driver *d, struct mg_error *err)
{
	(void)err;
	stub_of(d)->locked = true;
	return 0;
}

static void stub_unlock(struct driver *d)
{
	stub_of(d)->locked = false;
}

static int stub_ok(struct driver *d, struct mg_error *err)
{
	(void)d;
	(void)err;
	return 0;
}

static void stub_rollback(struct driver *d)
{
	(void)d;
}

static int stub_exec(struct driver *d, const struct step *s, struct mg_error *err)
{
	struct stub *st = stub_of(d);
	assert_true(st->locked);
	assert_true(s->flags & STEP_NO_TRANSACTION);
	bson_error_t e;
	bson_t *cmd = bson_new_from_json((const uint8_t *)s->sql, -1, &e);
	assert_non_null(cmd);
	bson_iter_t it;
	assert_true(bson_iter_init(&it, cmd) && bson_iter_next(&it));
	if (st->fail_at && (int)st->n_executed + 1 == st->fail_at) {
		bson_destroy(cmd);
		st->fail_at = 0;
		return mg_error_set_at(err, 3, s->file, s->line, s->column, "server said no");
	}
	st->steps[st->n_executed] = arena_strdup(&st->arena, s->sql);
	st->executed[st->n_executed++] = arena_strdup(&st->arena, bson_iter_key(&it));
	bson_destroy(cmd);
	return 0;
}

static int stub_history_exists(struct driver *d, bool *ret, struct mg_error *err)
{
	(void)err;
	*ret = stub_of(d)->history.n > 0;
	return 0;
}

static int stub_history_load(struct driver *d, struct arena *a, struct history *ret,
			     struct mg_error *err)
{
	(void)err;
	struct history *h = &stub_of(d)->history;
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < h->n; i++) {
		ARENA_GROW(a, ret->items, ret->n, ret->alloc, ret->n + 1);
		ret->items[ret->n++] = h->items[i];
	}
	return 0;
}

static void copy_steps(struct arena *a, struct step_list *to, const struct step_list *from)
{
	memset(to, 0, sizeof(*to));
	for (size_t i = 0; i < from->n; i++)
		step_list_add(a, to, arena_strdup(a, from->items[i].sql), from->items[i].flags,
			      from->items[i].file, from->items[i].line, from->items[i].column);
}

static int stub_history_save(struct driver *d, const struct history_entry *e, struct mg_error *err)
{
	(void)err;
	struct stub *st = stub_of(d);
	struct history_entry *slot = history_find(&st->history, e->version);
	if (!slot) {
		ARENA_GROW(&st->arena, st->history.items, st->history.n, st->history.alloc,
			   st->history.n + 1);
		slot = &st->history.items[st->history.n++];
	}
	*slot = *e;
	copy_steps(&st->arena, &slot->revert_expand, &e->revert_expand);
	copy_steps(&st->arena, &slot->revert_contract, &e->revert_contract);
	st->saved_phases[st->n_saves++] = e->phase;
	return 0;
}

static int stub_history_delete(struct driver *d, int64_t version, struct mg_error *err)
{
	(void)err;
	struct history *h = &stub_of(d)->history;
	for (size_t i = 0; i < h->n; i++)
		if (h->items[i].version == version)
			h->items[i] = h->items[--h->n];
	return 0;
}

static int stub_event_log(struct driver *d, const struct event *ev, struct mg_error *err)
{
	(void)err;
	struct stub *st = stub_of(d);
	st->events[st->n_events++] =
	    arena_printf(&st->arena, "%s %lld %s %s", ev->command, (long long)ev->version,
			 ev->phase ? ev->phase : "-", ev->outcome);
	return 0;
}

static int stub_inverse_before(const struct inverse_input *in, struct inverse_result *ret,
			       struct mg_error *err)
{
	memset(ret, 0, sizeof(*ret));
	assert_non_null(in->stmt);
	assert_null(in->stmt->node);
	bson_error_t e;
	bson_t *cmd = bson_new_from_json((const uint8_t *)in->sql, -1, &e);
	assert_non_null(cmd);
	struct mongo_state state = {.exists = true, .now_ms = 1700000000000LL};
	struct mongo_inverse_input mi = {
	    .command = cmd,
	    .section = in->section,
	    .version = in->migration->version,
	    .file = in->migration->path,
	    .line = in->stmt->line,
	    .column = in->stmt->column,
	    .resuming = in->resuming,
	    .state = &state,
	};
	int rc = mongo_inverse_build(in->arena, &mi, &ret->forward, &ret->inverse, err);
	bson_destroy(cmd);
	return rc;
}

static int stub_inverse_after(const struct inverse_input *in, struct inverse_result *ret,
			      struct mg_error *err)
{
	(void)in;
	(void)ret;
	(void)err;
	return 0;
}

static const struct driver_ops stub_ops = {
    .name = "mongodb",
    .lock = stub_lock,
    .unlock = stub_unlock,
    .begin = stub_ok,
    .commit = stub_ok,
    .rollback = stub_rollback,
    .exec = stub_exec,
    .history_ensure = stub_ok,
    .history_exists = stub_history_exists,
    .history_load = stub_history_load,
    .history_save = stub_history_save,
    .history_delete = stub_history_delete,
    .event_log = stub_event_log,
    .inverse_before = stub_inverse_before,
    .inverse_after = stub_inverse_after,
};

static void stub_open(struct driver *d, struct stub *st)
{
	memset(st, 0, sizeof(*st));
	arena_init(&st->arena);
	memset(d, 0, sizeof(*d));
	d->ops = &stub_ops;
	d->impl = st;
	d->settings.who = "ann@ci";
}

static void set_of(struct arena *a, struct migration_set *set, const char *const *files)
{
	memset(set, 0, sizeof(*set));
	for (; *files; files += 2) {
		struct mg_error err = MG_ERROR_INIT;
		struct migration *m;
		if (migration_parse_text(a, files[0], arena_strdup(a, files[1]), strlen(files[1]),
					 &m, &err) < 0)
			fail_msg("%s: %s", files[0], err.message);
		migration_set_add(a, set, m);
	}
	migration_set_sort(set);
}

static void expect_names(const struct stub *st, const char *const *want)
{
	size_t n = 0;
	bool same = true;
	while (want[n])
		n++;
	for (size_t i = 0; i < n && i < st->n_executed; i++)
		same &= strcmp(st->executed[i], want[i]) == 0;
	if (same && st->n_executed == n)
		return;
	for (size_t i = 0; i < st->n_executed; i++)
		print_message("  ran: %s\n", st->steps[i]);
	fail_msg("ran %zu commands, expected %zu", st->n_executed, n);
}

static const char *step_name(const struct step *s)
{
	static char name[64];
	bson_error_t e;
	bson_t *cmd = bson_new_from_json((const uint8_t *)s->sql, -1, &e);
	bson_iter_t it;
	assert_true(cmd && bson_iter_init(&it, cmd) && bson_iter_next(&it));
	snprintf(name, sizeof(name), "%s", bson_iter_key(&it));
	bson_destroy(cmd);
	return name;
}

static const char RETIRE[] =
    "{\"expand\": [\n"
    "  {\"createIndexes\": \"users\", \"indexes\": [{\"key\": {\"a\": 1}}]},\n"
    "  {\"collMod\": \"users\", \"validator\": {\"$jsonSchema\": {\"required\": [\"a\"]}},"
    " \"validationAction\": \"warn\"}\n"
    "],\n"
    "\"contract\": [\n"
    "  {\"drop\": \"legacy\"}\n"
    "]}\n";

static void test_up_and_revert(void **state)
{
	struct arena a = ARENA_INIT;
	struct driver d;
	struct stub st;
	struct migration_set set;
	struct mg_error err = MG_ERROR_INIT;
	int applied = 0;
	(void)state;
	stub_open(&d, &st);
	set_of(&a, &set, (const char *const[]){"m/3_retire.json", RETIRE, NULL});
	struct runner_options o = {.phases = RUN_EXPAND};
	assert_int_equal(runner_up(&d, &a, &set, &o, &applied, &err), 0);
	assert_int_equal(applied, 1);
	expect_names(&st, (const char *const[]){"createIndexes", "collMod", NULL});
	/* recorded before the first command, after each, and at the end */
	assert_int_equal(st.n_saves, 4);
	assert_int_equal(st.saved_phases[0], HISTORY_EXPANDING);
	assert_int_equal(st.saved_phases[3], HISTORY_EXPANDED);
	struct history_entry *e = history_find(&st.history, 3);
	assert_non_null(e);
	assert_int_equal(e->phase, HISTORY_EXPANDED);
	assert_int_equal(e->steps_done, 0);
	assert_string_equal(e->applied_by, "ann@ci");
	/* later commands are undone first */
	assert_int_equal(e->revert_expand.n, 2);
	assert_string_equal(step_name(&e->revert_expand.items[0]), "collMod");
	assert_string_equal(step_name(&e->revert_expand.items[1]), "dropIndexes");
	assert_int_equal(e->revert_expand.items[1].line, 2);
	assert_string_equal(st.events[0], "up 3 expand ok");

	/* contract: the drop goes to the trash */
	o.phases = RUN_CONTRACT;
	st.n_executed = 0;
	assert_int_equal(runner_up(&d, &a, &set, &o, &applied, &err), 0);
	expect_names(&st, (const char *const[]){"renameCollection", "update", NULL});
	e = history_find(&st.history, 3);
	assert_int_equal(e->phase, HISTORY_CONTRACTED);
	assert_true(e->contract_seq > e->expand_seq);
	assert_int_equal(e->revert_contract.n, 2);
	assert_string_equal(step_name(&e->revert_contract.items[0]), "renameCollection");
	assert_string_equal(step_name(&e->revert_contract.items[1]), "delete");

	/* nothing left to do */
	st.n_executed = 0;
	o.phases = RUN_EXPAND | RUN_CONTRACT;
	assert_int_equal(runner_up(&d, &a, &set, &o, &applied, &err), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(st.n_executed, 0);

	/* revert runs the recorded steps: the contract's, then the expand's */
	struct revert_options r = {.has_to = true, .to = 0};
	int reverted = 0;
	st.n_executed = 0;
	assert_int_equal(runner_revert(&d, &a, &r, &reverted, &err), 0);
	assert_int_equal(reverted, 2);
	expect_names(&st, (const char *const[]){"renameCollection", "delete", "collMod",
						"dropIndexes", NULL});
	assert_null(history_find(&st.history, 3));
	arena_release(&st.arena);
	arena_release(&a);
}

/* A phase that fails half-way records how far it got; the next run goes on from there. */
static void test_failure_and_resume(void **state)
{
	struct arena a = ARENA_INIT;
	struct driver d;
	struct stub st;
	struct migration_set set;
	struct mg_error err = MG_ERROR_INIT;
	int applied = 0;
	(void)state;
	stub_open(&d, &st);
	set_of(&a, &set, (const char *const[]){"m/3_retire.json", RETIRE, NULL});
	struct runner_options o = {.phases = RUN_EXPAND | RUN_CONTRACT};
	st.fail_at = 2;
	assert_int_equal(runner_up(&d, &a, &set, &o, &applied, &err), -1);
	assert_int_equal(err.code, 3);
	assert_string_equal(err.file, "m/3_retire.json");
	assert_int_equal(err.line, 3);
	struct history_entry *e = history_find(&st.history, 3);
	assert_int_equal(e->phase, HISTORY_EXPANDING);
	assert_int_equal(e->steps_done, 1);
	assert_non_null(strstr(err.notes, "note: expand of 3_retire stopped at command 2 of "));
	assert_non_null(strstr(err.notes, ": the 1 before it are applied and recorded; 'migrate "
					  "up' resumes at command 2, 'migrate revert' undoes what "
					  "was applied\n"));
	assert_string_equal(st.events[st.n_events - 1], "up 3 expand failed");
	/* a revert now undoes what the interrupted phase did, the failed command
	 * included: it may have done part of its work */
	assert_int_equal(e->revert_expand.n, 2);
	assert_string_equal(step_name(&e->revert_expand.items[0]), "collMod");
	assert_true(e->revert_expand.items[0].flags & MONGO_STEP_DONE_OK);
	assert_string_equal(step_name(&e->revert_expand.items[1]), "dropIndexes");

	st.n_executed = 0;
	assert_int_equal(runner_up(&d, &a, &set, &o, &applied, &err), 0);
	expect_names(&st, (const char *const[]){"collMod", "renameCollection", "update", NULL});
	e = history_find(&st.history, 3);
	assert_int_equal(e->phase, HISTORY_CONTRACTED);
	/* the retried command's undo comes first, then the failed attempt's: read
	 * before each, together they lead back to the state before the first */
	assert_int_equal(e->revert_expand.n, 3);
	assert_string_equal(step_name(&e->revert_expand.items[0]), "collMod");
	assert_string_equal(step_name(&e->revert_expand.items[1]), "collMod");
	assert_string_equal(step_name(&e->revert_expand.items[2]), "dropIndexes");
	arena_release(&st.arena);
	arena_release(&a);
}

/* A hand-written revert section is recorded as written; the commands run as written. */
static void test_hand_written_revert(void **state)
{
	struct arena a = ARENA_INIT;
	struct driver d;
	struct stub st;
	struct migration_set set;
	struct mg_error err = MG_ERROR_INIT;
	int applied = 0;
	(void)state;
	stub_open(&d, &st);
	set_of(&a, &set,
	       (const char *const[]){
		   "m/5_purge.json",
		   "{\"expand\": [],\n"
		   " \"contract\": [{\"drop\": \"legacy\"}, {\"update\": \"users\", \"updates\": "
		   "[{\"q\": {}, \"u\": {\"$unset\": {\"nick\": \"\"}}, \"multi\": true}]}],\n"
		   " \"revert-contract\": [{\"create\": \"legacy\"}, {\"ping\": 1}]}",
		   NULL});
	struct runner_options o = {.phases = RUN_EXPAND | RUN_CONTRACT};
	assert_int_equal(runner_up(&d, &a, &set, &o, &applied, &err), 0);
	assert_int_equal(applied, 2);
	expect_names(&st, (const char *const[]){"drop", "update", NULL});
	struct history_entry *e = history_find(&st.history, 5);
	assert_int_equal(e->phase, HISTORY_CONTRACTED);
	assert_int_equal(e->revert_expand.n, 0);
	assert_int_equal(e->revert_contract.n, 2);
	assert_string_equal(step_name(&e->revert_contract.items[0]), "create");
	assert_string_equal(step_name(&e->revert_contract.items[1]), "ping");
	assert_int_equal(e->revert_contract.items[0].line, 3);
	arena_release(&st.arena);
	arena_release(&a);
}

static void test_refusals(void **state)
{
	struct arena a = ARENA_INIT;
	struct driver d;
	struct stub st;
	struct migration_set set;
	int applied = 0;
	(void)state;
	stub_open(&d, &st);

	/* a command whose undo cannot be derived, without a revert section */
	struct mg_error err = MG_ERROR_INIT;
	set_of(&a, &set,
	       (const char *const[]){"m/6_x.json", "{\"expand\": [\n{\"compact\": \"users\"}]}",
				     NULL});
	struct runner_options o = {.phases = RUN_EXPAND};
	assert_int_equal(runner_up(&d, &a, &set, &o, &applied, &err), -1);
	assert_int_equal(err.code, 2);
	assert_int_equal(err.line, 2);
	assert_int_equal(st.n_executed, 0);
	/* recorded as interrupted before its first command: revert has nothing to undo */
	assert_int_equal(history_find(&st.history, 6)->phase, HISTORY_EXPANDING);
	assert_int_equal(history_find(&st.history, 6)->revert_expand.n, 0);
	st.history.n = 0;

	/* a MongoDB migration against another kind of database: left alone, as SQL
	 * drivers always did (the MongoDB driver refuses SQL files instead) */
	static const struct driver_ops other = {.name = "postgres",
						.lock = stub_lock,
						.unlock = stub_unlock,
						.history_ensure = stub_ok,
						.history_exists = stub_history_exists,
						.history_load = stub_history_load,
						.event_log = stub_event_log};
	d.ops = &other;
	mg_error_clear(&err);
	set_of(&a, &set,
	       (const char *const[]){"m/7_y.json", "{\"expand\": [{\"ping\": 1}]}", NULL});
	assert_int_equal(runner_up(&d, &a, &set, &o, &applied, &err), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(st.n_executed, 0);

	/* dry run: says what it would do, runs and records nothing */
	d.ops = &stub_ops;
	set_of(&a, &set, (const char *const[]){"m/3_retire.json", RETIRE, NULL});
	o.dry_run = true;
	o.phases = RUN_EXPAND | RUN_CONTRACT;
	st.n_saves = 0;
	assert_int_equal(runner_up(&d, &a, &set, &o, &applied, &err), 0);
	assert_int_equal(applied, 2);
	assert_int_equal(st.n_executed, 0);
	assert_int_equal(st.n_saves, 0);
	arena_release(&st.arena);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_up_and_revert),
	    cmocka_unit_test(test_failure_and_resume),
	    cmocka_unit_test(test_hand_written_revert),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
