#include "util/crash.h"
#include "target/mongo/runner_mongo.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "target/mongo/mongo.h"
#include "target/mongo/mongo_file.h"
#include "target/inverse.h"
#include "target/phase.h"
#include "target/mongo/inverse_mongo.h"

/*
 * SQL drivers leave MongoDB migrations alone, as they did before this
 * runner existed: a directory may hold both kinds, each applied by a run
 * against its own target (the MongoDB driver refuses SQL files instead).
 */
static bool driver_is_mongo(const struct driver *d)
{
	return strcmp(d->ops->name, "mongodb") == 0;
}

/* A hand-written revert section runs as written, in its order. */
static void hand_revert_steps(struct arena *a, const struct mongo_section *sec,
			      struct step_list *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < sec->n; i++) {
		const struct mongo_command *c = &sec->commands[i];
		step_list_add(a, ret, c->json, STEP_NO_TRANSACTION, c->migration->path, c->line,
			      c->column);
	}
}

static void entry_set_revert(struct history_entry *e, enum migration_section s,
			     const struct step_list *revert)
{
	if (s == SECTION_EXPAND)
		e->revert_expand = *revert;
	else
		e->revert_contract = *revert;
}

/*
 * The driver interface speaks of statements: a MongoDB command stands in as
 * one without a parse tree (node NULL), which only says where it is.
 */
static struct sql_stmt command_place(const struct mongo_command *c)
{
	struct sql_stmt st = {
	    .node = NULL,
	    .migration = c->migration,
	    .section = c->section,
	    .line = c->line,
	    .column = c->column,
	};
	return st;
}

static struct inverse_input command_input(struct driver *d, struct arena *a,
					  const struct runner_options *o,
					  const struct mongo_command *c,
					  const struct sql_stmt *place, bool resuming)
{
	struct inverse_input in = {
	    .driver = d,
	    .arena = a,
	    .migration = c->migration,
	    .section = c->section,
	    .stmt = place,
	    .sql = c->json,
	    .flags = STEP_NO_TRANSACTION,
	    .history_schema = o ? o->history_schema : NULL,
	    .resuming = resuming,
	};
	return in;
}

static int apply_phase(struct driver *d, struct arena *a, const struct runner_options *o,
		       struct history *h, const struct migration *m, const struct mongo_file *f,
		       enum migration_section s, struct mg_error *err)
{
	const struct mongo_section *sec = &f->sections[s];
	bool expand = s == SECTION_EXPAND;
	enum migration_section rs = expand ? SECTION_REVERT_EXPAND : SECTION_REVERT_CONTRACT;
	bool hand = f->sections[rs].present;
	const char *phase = migration_section_name(s);

	if (o->dry_run) {
		runner_say(o->say, o->say_ctx, "would %s %lld_%s (%zu command%s, one by one)",
			   phase, (long long)m->version, m->name, sec->n, sec->n == 1 ? "" : "s");
		for (size_t i = 0; i < sec->n; i++)
			runner_say(o->say, o->say_ctx, "  %s",
				   mongo_json_display(a, sec->commands[i].json));
		return 0;
	}

	struct history_entry *e = history_find(h, m->version);
	struct history_entry fresh;
	if (!e) {
		memset(&fresh, 0, sizeof(fresh));
		fresh.version = m->version;
		fresh.name = m->name;
		e = &fresh;
	}
	e->checksum = m->checksum;
	e->applied_by = d->settings.who;
	runner_say(o->say, o->say_ctx, "%s %lld_%s ...", expand ? "expanding" : "contracting",
		   (long long)m->version, m->name);
	int64_t t0 = runner_now_ms();
	bool resumed = e->phase == (expand ? HISTORY_EXPANDING : HISTORY_CONTRACTING);
	struct step_list revert;
	if (resumed) {
		runner_say(o->say, o->say_ctx, "  resuming after command %d of %zu", e->steps_done,
			   sec->n);
		revert = expand ? e->revert_expand : e->revert_contract;
	} else {
		e->steps_done = 0;
		if (expand)
			e->expand_seq = runner_next_seq(h);
		else
			e->contract_seq = runner_next_seq(h);
		if (hand)
			hand_revert_steps(a, &f->sections[rs], &revert);
		else
			revert = (struct step_list){0};
	}
	e->phase = expand ? HISTORY_EXPANDING : HISTORY_CONTRACTING;
	entry_set_revert(e, s, &revert);
	/* recorded before the first command, so that a run killed in it shows as
	 * interrupted and revert undoes what it did */
	int rc = d->ops->history_save(d, e, err);
	int run = 0;
	for (size_t i = (size_t)e->steps_done; rc == 0 && i < sec->n; i++) {
		const struct mongo_command *c = &sec->commands[i];
		struct sql_stmt place = command_place(c);
		bool resuming = resumed && i == (size_t)e->steps_done;
		struct inverse_input in = command_input(d, a, o, c, &place, resuming);
		struct inverse_result res;
		if (hand) {
			res = (struct inverse_result){0};
			step_list_add(a, &res.forward, c->json, STEP_NO_TRANSACTION, m->path,
				      c->line, c->column);
		} else if ((rc = d->ops->inverse_before(&in, &res, err)) < 0) {
			break;
		}
		for (size_t k = 0; rc == 0 && k < res.forward.n; k++)
			rc = d->ops->exec(d, &res.forward.items[k], err);
		if (rc < 0 && !hand && res.inverse.n) {
			/* the command may have done part of its work (a write concern
			 * error says it did): its undo is recorded all the same, and
			 * every derived undo step tolerates work that was never done */
			struct mg_error ignore = MG_ERROR_INIT;
			runner_revert_prepend(a, &revert, &res.inverse);
			entry_set_revert(e, s, &revert);
			d->ops->history_save(d, e, &ignore);
			break;
		}
		if (rc == 0 && !hand) {
			rc = d->ops->inverse_after(&in, &res, err);
			if (rc == 0)
				runner_revert_prepend(a, &revert, &res.inverse);
		}
		if (rc < 0)
			break;
		e->steps_done = (int)i + 1;
		entry_set_revert(e, s, &revert);
		rc = d->ops->history_save(d, e, err);
		/* the test hook that stands for kill -9 in the middle of a phase */
		if (rc == 0 && o->crash_after && ++run >= o->crash_after)
			test_crash_now();
	}
	if (rc == 0) {
		e->phase = expand ? HISTORY_EXPANDED : HISTORY_CONTRACTED;
		e->steps_done = 0;
		if (expand)
			e->expand_ms = runner_now_ms() - t0;
		else
			e->contract_ms = runner_now_ms() - t0;
		rc = d->ops->history_save(d, e, err);
	}
	if (rc < 0) {
		/* MongoDB runs DDL outside transactions: the phase always goes command by command
		 */
		if ((size_t)e->steps_done < sec->n)
			mg_error_add_note(
			    err, "note",
			    "%s of %lld_%s stopped at command %d of %zu: the %d before it "
			    "are applied and recorded; 'migrate up' resumes at command "
			    "%d, 'migrate revert' undoes what was applied",
			    phase, (long long)m->version, m->name, e->steps_done + 1, sec->n,
			    e->steps_done, e->steps_done + 1);
		runner_log_event(d, "up", m->version, phase, "failed", err->message);
		return -1;
	}
	if (e == &fresh) {
		ARENA_GROW(a, h->items, h->n, h->alloc, h->n + 1);
		h->items[h->n++] = fresh;
	}
	runner_say(o->say, o->say_ctx, "  %s in %lld ms", expand ? "expanded" : "contracted",
		   (long long)(runner_now_ms() - t0));
	runner_log_event(d, "up", m->version, phase, "ok", NULL);
	return 0;
}

/* ---- what the engine cannot run ---- */

/* The index a collMod's index part names, and whether it sets prepareUnique: true. */
static bool collmod_prepares(const struct mongo_command *c, const char **ret_name)
{
	bson_t doc;
	bson_iter_t it, f;
	if (strcmp(c->name, "collMod") != 0 || !bson_init_static(&doc, c->data, c->len))
		return false;
	if (!bson_iter_init(&it, &doc) ||
	    !bson_iter_find_descendant(&it, "index.prepareUnique", &f) || !bson_iter_as_bool(&f))
		return false;
	*ret_name = NULL;
	if (bson_iter_init(&it, &doc) && bson_iter_find_descendant(&it, "index.name", &f) &&
	    BSON_ITER_HOLDS_UTF8(&f))
		*ret_name = bson_iter_utf8(&f, NULL);
	return true;
}

static int check_engine_section(const char *engine, const struct mongo_file *f,
				enum migration_section s, struct mg_error *err)
{
	const struct mongo_section *sec = &f->sections[s];
	for (size_t i = 0; sec->present && i < sec->n; i++) {
		const struct mongo_command *c = &sec->commands[i];
		const char *name = NULL;
		if (!collmod_prepares(c, &name) || !c->target)
			continue;
		mg_error_set_at(err, 2, f->migration->path, c->line, c->column,
				"%s cannot run collMod prepareUnique on index '%s' of '%s': it "
				"accepts it only on an index built with its own buildAsUnique "
				"option, and cannot drop an index so prepared again, so the "
				"migration could not be reverted",
				engine, name ? name : "?", c->target);
		mg_error_set_help(err,
				  "on DocumentDB, build the unique index directly (createIndexes "
				  "with unique: true, while no duplicates can be written), or run "
				  "this migration on MongoDB");
		return -1;
	}
	return 0;
}

int runner_mongo_check(struct driver *d, struct arena *a, const struct migration_set *set,
		       const struct history *h, const struct runner_options *o,
		       struct mg_error *err)
{
	if (d->ops != &driver_mongo_ops)
		return 0;
	const char *engine = NULL;
	bool asked = false;
	for (size_t i = 0; i < set->n; i++) {
		const struct migration *m = set->items[i];
		if (m->kind != MIGRATION_JSON || !m->has_version)
			continue;
		if (o->has_to && m->version > o->to)
			break;
		const struct history_entry *e = history_find(h, m->version);
		enum history_phase p = e ? e->phase : HISTORY_PENDING;
		bool expand, contract;
		runner_phases_ahead(o, p, &expand, &contract);
		if (!expand && !contract)
			continue;
		struct mongo_file f;
		if (mongo_file_parse(a, m, &f, err) < 0)
			return -1;
		if (!asked) {
			engine = mongo_engine(d);
			asked = true;
		}
		if (!engine)
			return 0;
		if ((expand && check_engine_section(engine, &f, SECTION_EXPAND, err) < 0) ||
		    (contract && check_engine_section(engine, &f, SECTION_CONTRACT, err) < 0))
			return -1;
	}
	return 0;
}

int runner_mongo_up(struct driver *d, struct arena *a, const struct runner_options *o,
		    struct history *h, const struct migration *m, int *ret_applied,
		    struct mg_error *err)
{
	struct mongo_file f;
	if (!driver_is_mongo(d))
		return 0;
	if (mongo_file_parse(a, m, &f, err) < 0)
		return -1;
	struct history_entry *e = history_find(h, m->version);
	enum history_phase p = e ? e->phase : HISTORY_PENDING;
	if ((o->phases & RUN_EXPAND) && (p == HISTORY_PENDING || p == HISTORY_EXPANDING)) {
		if (apply_phase(d, a, o, h, m, &f, SECTION_EXPAND, err) < 0)
			return -1;
		++*ret_applied;
		e = history_find(h, m->version);
		p = o->dry_run || !e ? HISTORY_EXPANDED : e->phase;
	}
	if ((o->phases & RUN_CONTRACT) && (p == HISTORY_EXPANDED || p == HISTORY_CONTRACTING)) {
		if (apply_phase(d, a, o, h, m, &f, SECTION_CONTRACT, err) < 0)
			return -1;
		++*ret_applied;
	}
	return 0;
}

/* ---- plan ---- */

static void say_steps(struct arena *a, runner_say_fn fn, void *ctx, const struct step_list *l)
{
	if (!l->n)
		runner_say(fn, ctx, "-- (nothing)");
	for (size_t i = 0; i < l->n; i++)
		runner_say(fn, ctx, "%s", mongo_json_display(a, l->items[i].sql));
}

static int plan_phase(struct driver *d, struct arena *a, const struct mongo_file *f,
		      enum migration_section s, const struct history_entry *e, runner_say_fn fn,
		      void *ctx, struct mg_error *err)
{
	const struct migration *m = f->migration;
	const struct mongo_section *sec = &f->sections[s];
	bool expand = s == SECTION_EXPAND;
	enum migration_section rs = expand ? SECTION_REVERT_EXPAND : SECTION_REVERT_CONTRACT;
	bool applied =
	    e && (expand ? e->phase >= HISTORY_EXPANDED : e->phase == HISTORY_CONTRACTED);
	runner_say(fn, ctx, "-- %lld_%s: %s (command by command)%s", (long long)m->version, m->name,
		   migration_section_name(s), applied ? ", applied" : "");
	if (!sec->n)
		runner_say(fn, ctx, "-- (nothing)");
	for (size_t i = 0; i < sec->n; i++)
		runner_say(fn, ctx, "%s", mongo_json_display(a, sec->commands[i].json));
	runner_say(fn, ctx, "-- revert-%s%s:", migration_section_name(s),
		   applied		     ? " (as recorded)"
		   : f->sections[rs].present ? " (hand-written)"
					     : " (derived from the database as it is now)");
	if (applied) {
		say_steps(a, fn, ctx, expand ? &e->revert_expand : &e->revert_contract);
		return 0;
	}
	struct step_list all = {0};
	if (f->sections[rs].present) {
		hand_revert_steps(a, &f->sections[rs], &all);
		say_steps(a, fn, ctx, &all);
		return 0;
	}
	for (size_t i = 0; i < sec->n; i++) {
		struct sql_stmt place = command_place(&sec->commands[i]);
		struct inverse_input in =
		    command_input(d, a, NULL, &sec->commands[i], &place, false);
		struct inverse_result res;
		if (d->ops->inverse_before(&in, &res, err) < 0)
			return -1;
		runner_revert_prepend(a, &all, &res.inverse);
	}
	say_steps(a, fn, ctx, &all);
	return 0;
}

int runner_mongo_plan(struct driver *d, struct arena *a, const struct migration *m,
		      const struct history_entry *e, unsigned phases, runner_say_fn fn, void *ctx,
		      bool *ret_found, struct mg_error *err)
{
	struct mongo_file f;
	if (!driver_is_mongo(d))
		return 0;
	if (mongo_file_parse(a, m, &f, err) < 0)
		return -1;
	*ret_found = true;
	if ((phases & RUN_EXPAND) && f.sections[SECTION_EXPAND].present &&
	    plan_phase(d, a, &f, SECTION_EXPAND, e, fn, ctx, err) < 0)
		return -1;
	if ((phases & RUN_CONTRACT) && f.sections[SECTION_CONTRACT].present &&
	    plan_phase(d, a, &f, SECTION_CONTRACT, e, fn, ctx, err) < 0)
		return -1;
	runner_say(fn, ctx, "%s", "");
	return 0;
}
