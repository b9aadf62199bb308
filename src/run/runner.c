#include "util/crash.h"
#include "run/runner.h"
#include "target/phase.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run/branches.h"
#include "target/inverse.h"
#include "run/runner_signal.h"
#include "target/plan.h"
#include "plan/objects.h"
#include "run/revert_steps.h"
#include "sql/ast.h"
#include "sql/parse.h"

#define LOCK_TIMEOUT_STATE "55P03"

/*
 * The time a step spent waiting on locks over its tries: every failed
 * attempt queued an ACCESS EXCLUSIVE (or the like) for up to lock_timeout,
 * which is what the app waited behind it.
 */
struct lock_waits {
	int attempts;
	int64_t waited_ms;
	int64_t attempt_start_ms;
	int64_t last_ms; /* the last failed attempt's wait */
};

/*
 * Exponential backoff with full jitter: a migration that keeps meeting a busy
 * table waits longer each time, and two runners never retry in lockstep. Never
 * shorter than the last attempt's wait: the app's queries that queued behind
 * it (an app with a steady rate has a backlog as long as the stall) get that
 * long to catch up before the next attempt queues a lock again.
 */
static int64_t backoff_ms(int attempt, const struct lock_waits *w)
{
	int64_t cap = 100LL << (attempt < 7 ? attempt : 7); /* 100 ms .. 12.8 s */
	int64_t pause = cap / 2 + (int64_t)(rand() % (int)(cap / 2 + 1));
	return pause < w->last_ms ? w->last_ms : pause;
}

/* Sleeps with no lock queued; a signal ends the sleep at once (no SA_RESTART). */
static void backoff_sleep(int64_t ms)
{
	usleep((useconds_t)(ms * 1000));
}

static void lock_waits_start(struct lock_waits *w)
{
	w->attempt_start_ms = runner_now_ms();
}

static void lock_waits_failed(struct lock_waits *w)
{
	w->attempts++;
	w->last_ms = runner_now_ms() - w->attempt_start_ms;
	w->waited_ms += w->last_ms;
}

static bool is_lock_timeout(const struct mg_error *err)
{
	return strcmp(err->sqlstate, LOCK_TIMEOUT_STATE) == 0;
}

/*
 * After the last try of a step failed on a lock timeout (its transaction
 * rolled back): who held the lock, and what to do.
 */
static void explain_lock_timeout(struct driver *d, const struct lock_waits *w, struct mg_error *err)
{
	if (!is_lock_timeout(err))
		return;
	if (d->ops->explain_lock_timeout)
		d->ops->explain_lock_timeout(d, err);
	mg_error_set_help(err,
			  "the lock was still held after %d tr%s of --lock-timeout %d ms (%lld ms "
			  "waiting on it in all): run again once it is released, or raise "
			  "--lock-timeout or --retries",
			  w->attempts, w->attempts == 1 ? "y" : "ies", d->settings.lock_timeout_ms,
			  (long long)w->waited_ms);
}

int runner_check_drift(const struct history *h, const struct migration_set *set, bool allow_drift,
		       struct mg_error *err)
{
	struct runner_options o = {.allow_drift = allow_drift};
	return branches_judge(h, set, &o, err);
}

/* A statement's text as written in the file, for running it. */
static const char *stmt_text(struct arena *a, const struct sql_stmt *st)
{
	return arena_strndup(a, st->migration->text + st->offset, st->end - st->offset);
}

struct phase_run {
	struct driver *d;
	struct arena *a;
	const struct runner_options *o;
	const struct migration *m;
	enum migration_section section;
	struct sql_section sec;
	struct unit_list units;		   /* what the phase runs: statements, or planned units */
	struct step_list planned_contract; /* what the planner left for contract */
	bool planned;			   /* the planner took at least one statement */
	bool hand_revert;
	struct history_entry *entry; /* the history row the phase updates as it goes */
	struct step_list hand;	     /* the hand-written revert section, when there is one */
	bool resumed;		     /* an earlier run was interrupted in this phase */
	struct step_list revert;     /* what undoes the phase so far */
	int statements_run;	     /* for crash_after */
	int64_t started_ms;
};

static unsigned stmt_flags(const struct phase_run *r, const struct sql_stmt *st)
{
	unsigned fl = 0;
	/* targets without CONCURRENTLY (SQLite) run every phase in one transaction */
	if (r->d->ops->concurrent_ddl && (ast_stmt_is_concurrent(st->node) ||
					  st->node->node_case == PG_QUERY__NODE__NODE_VACUUM_STMT))
		fl |= UNIT_ALONE;
	return fl;
}

/* A phase runs unit by unit (outside one transaction) when any unit must. */
static bool section_needs_no_transaction(const struct phase_run *r)
{
	for (size_t i = 0; i < r->units.n; i++)
		if (r->units.items[i].flags & (UNIT_ALONE | UNIT_OWN_TRANSACTION | UNIT_BACKFILL))
			return true;
	return false;
}

static unsigned unit_step_flags(unsigned unit_flags)
{
	return STEP_RETRYABLE | (unit_flags & UNIT_ALONE ? STEP_NO_TRANSACTION : 0) |
	       (unit_flags & UNIT_BACKFILL ? STEP_BACKFILL : 0);
}

/* Units back from the history (a resumed expand, or what contract finishes). */
static int units_from_steps(struct phase_run *r, const struct step_list *l, struct mg_error *err)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct step *s = &l->items[i];
		struct sql_stmt at = {
		    .migration = r->m, .section = r->section, .line = s->line, .column = s->column};
		if (unit_add(r->a, &r->units, &at, s->sql, s->flags, s->backfill, err) < 0)
			return -1;
	}
	return 0;
}

static void units_to_steps(struct arena *a, const struct unit_list *u, struct step_list *ret)
{
	*ret = (struct step_list){0};
	for (size_t i = 0; i < u->n; i++) {
		step_list_add(a, ret, u->items[i].sql, u->items[i].flags,
			      u->items[i].stmt.migration->path, u->items[i].stmt.line,
			      u->items[i].stmt.column);
		ret->items[ret->n - 1].backfill = u->items[i].backfill;
	}
}

/*
 * The units of a phase. Expand: each statement, or what the planner makes of
 * it. Contract: first what the planner left to finish the expand section,
 * then the contract statements as written. A resumed phase takes its units
 * from the history, so it runs exactly what it started with.
 */
static int build_units(struct phase_run *r, const struct history_entry *e, bool resumed,
		       struct mg_error *err)
{
	bool expand = r->section == SECTION_EXPAND;
	if (expand && resumed && e->planned_expand.n) {
		r->planned = true;
		r->planned_contract = e->planned_contract;
		return units_from_steps(r, &e->planned_expand, err);
	}
	if (!expand && e && units_from_steps(r, &e->planned_contract, err) < 0)
		return -1;
	size_t first_written = r->units.n;
	struct unit_list contract = {0};
	for (size_t i = 0; i < r->sec.n_stmts; i++) {
		const struct sql_stmt *st = &r->sec.stmts[i];
		bool planned = false;
		size_t before = r->units.n, before_contract = contract.n;
		if (expand && r->d->ops->plan &&
		    r->d->ops->plan(r->d, r->a, r->m, r->sec.stmts, i, &planned, &r->units,
				    &contract, err) < 0)
			return -1;
		if (planned) {
			/* their undo is derived even beside a hand-written revert section */
			for (size_t k = before; k < r->units.n; k++)
				r->units.items[k].flags |= UNIT_PLANNED;
			for (size_t k = before_contract; k < contract.n; k++)
				contract.items[k].flags |= UNIT_PLANNED;
			r->planned = true;
			continue;
		}
		ARENA_GROW(r->a, r->units.items, r->units.n, r->units.alloc, r->units.n + 1);
		struct unit *u = &r->units.items[r->units.n++];
		memset(u, 0, sizeof(*u));
		u->stmt = *st;
		u->sql = stmt_text(r->a, st);
		u->flags = stmt_flags(r, st);
	}
	if (r->planned)
		units_to_steps(r->a, &contract, &r->planned_contract);
	/* after the planner's contract units (each a transaction of its own), the
	 * contract section as written still runs as one transaction */
	if (!expand && first_written > 0) {
		for (size_t i = first_written; i < r->units.n; i++) {
			if (r->units.items[i].flags & UNIT_ALONE)
				continue;
			if (i == first_written)
				r->units.items[i].flags |= UNIT_OWN_TRANSACTION;
			if (i + 1 < r->units.n && !(r->units.items[i + 1].flags & UNIT_ALONE))
				r->units.items[i].flags |= UNIT_WITH_NEXT;
		}
	}
	return 0;
}

static void maybe_crash(struct phase_run *r)
{
	/* the test hook that stands for kill -9 in the middle of a phase */
	if (r->o->crash_after && ++r->statements_run >= r->o->crash_after)
		test_crash_now();
}

static struct inverse_input unit_input(struct phase_run *r, size_t i, bool resuming)
{
	const struct unit *u = &r->units.items[i];
	struct inverse_input in = {
	    .driver = r->d,
	    .arena = r->a,
	    .migration = r->m,
	    .section = r->section,
	    .stmt = &u->stmt,
	    .sql = u->sql,
	    .flags = unit_step_flags(u->flags),
	    .history_schema = r->o->history_schema,
	    .resuming = resuming,
	};
	return in;
}

static void backfill_say(void *ctx, const struct backfill *bf, const struct backfill_progress *p)
{
	const struct runner_options *o = ctx;
	if (o->progress)
		o->progress(o->say_ctx, bf->label, p->rows, p->total, p->rate, p->done);
}

/* Whether the list l begins with the steps of head, in order. */
static bool revert_starts_with(const struct step_list *l, const struct step_list *head)
{
	if (!head->n || head->n > l->n)
		return false;
	for (size_t i = 0; i < head->n; i++)
		if (strcmp(l->items[i].sql, head->items[i].sql) != 0)
			return false;
	return true;
}

/* Runs one unit: its forward steps, and adds its undo to r->revert. */
static void entry_set_revert(struct history_entry *e, const struct phase_run *r);

static int run_unit(struct phase_run *r, size_t i, bool resuming, struct mg_error *err)
{
	const struct unit *u = &r->units.items[i];
	if (u->flags & UNIT_BACKFILL) {
		struct backfill_options bo = {
		    .batch_size = r->o->batch_size,
		    .batch_delay_ms = r->o->batch_delay_ms,
		    .retries = r->o->retries,
		    .history_schema = r->o->history_schema,
		    .progress = backfill_say,
		    .progress_ctx = (void *)r->o,
		    .crash_after_batches = r->o->crash_after_batches,
		    .throttle = r->o->throttle,
		    .throttle_ctx = r->o->throttle_ctx,
		};
		/* the columns it fills are dropped by the revert: nothing to undo */
		if (backfill_run(r->d, r->a, u->backfill, r->m->version, (int)i, &bo, err) == 0)
			return 0;
		/* its queries are generated: the failure stands at the statement planned */
		if (err->code == 3 && !err->file[0]) {
			snprintf(err->file, sizeof(err->file), "%s", r->m->path);
			err->line = u->stmt.line;
			err->column = u->stmt.column;
			mg_error_prefix(err, "backfill of %s", u->backfill->label);
		}
		return -1;
	}
	struct inverse_input in = unit_input(r, i, resuming);
	struct inverse_result res;
	/*
	 * A hand-written revert section undoes the statements as written; what
	 * the planner added (checks, shadow columns, triggers) is undone by its
	 * derived steps all the same, after the section: no planner object
	 * survives a revert.
	 */
	bool derive = !r->hand_revert || (u->flags & UNIT_PLANNED);
	if (!derive) {
		memset(&res, 0, sizeof(res));
		step_list_add(r->a, &res.forward, in.sql, in.flags | STEP_SOURCE, r->m->path,
			      u->stmt.line, u->stmt.column);
	} else if (r->d->ops->inverse_before(&in, &res, err) < 0) {
		return -1;
	}
	if (res.note)
		runner_say(r->o->say, r->o->say_ctx, "  note: %s:%d: %s", r->m->path, u->stmt.line,
			   res.note);
	/*
	 * A step outside a transaction commits as it runs: record its undo first, so
	 * that a run killed between the step and the history update can still be
	 * reverted (the undo of such steps is written to be idempotent: IF EXISTS).
	 */
	/*
	 * Resumed, the undo may be recorded already (the run was killed after the
	 * save below): the steps then stand at the head of the undo so far.
	 */
	bool recorded = resuming && derive && revert_starts_with(&r->revert, &res.inverse);
	if ((in.flags & STEP_NO_TRANSACTION) && derive && !recorded && r->entry && res.inverse.n) {
		struct step_list tentative = r->revert;
		runner_revert_prepend(r->a, &tentative, &res.inverse);
		struct step_list saved = r->revert;
		r->revert = tentative;
		entry_set_revert(r->entry, r);
		r->revert = saved;
		if (r->d->ops->history_save(r->d, r->entry, err) < 0)
			return -1;
	}
	if (r->o->before_statement &&
	    r->o->before_statement(r->o->hook_ctx, r->d, &u->stmt, err) < 0)
		return -1;
	int64_t t0 = runner_now_ms();
	for (size_t k = 0; k < res.forward.n; k++) {
		const struct step *st = &res.forward.items[k];
		bool skip = false;
		/* a step that commits by itself may have run before the interruption */
		if (resuming && (st->flags & STEP_NO_TRANSACTION) && r->d->ops->step_resume &&
		    r->d->ops->step_resume(r->d, r->a, st, &skip, err) < 0)
			return -1;
		if (!skip && r->d->ops->exec(r->d, st, err) < 0)
			return -1;
	}
	if (r->o->after_statement &&
	    r->o->after_statement(r->o->hook_ctx, r->d, &u->stmt, runner_now_ms() - t0, err) < 0)
		return -1;
	if (derive) {
		if (r->d->ops->inverse_after(&in, &res, err) < 0)
			return -1;
		if (!recorded)
			runner_revert_prepend(r->a, &r->revert, &res.inverse);
	}
	maybe_crash(r);
	return 0;
}

/*
 * What undoes the phase: the hand-written revert section when there is one
 * (for the statements as written), then the derived undo of what the planner
 * added.
 */
static void entry_set_revert(struct history_entry *e, const struct phase_run *r)
{
	enum migration_section s = r->section;
	struct step_list revert = r->revert;
	if (r->hand_revert) {
		revert = (struct step_list){0};
		step_list_append(r->a, &revert, &r->hand);
		step_list_append(r->a, &revert, &r->revert);
	}
	if (s == SECTION_EXPAND)
		e->revert_expand = revert;
	else
		e->revert_contract = revert;
}

/*
 * One phase inside one transaction, retried whole on a lock timeout: either
 * all of it and its history row commit, or nothing does.
 */
static int run_phase_transaction(struct phase_run *r, struct history_entry *e, struct mg_error *err)
{
	struct lock_waits waits = {0};
	for (int attempt = 0;; attempt++) {
		r->revert = (struct step_list){0};
		lock_waits_start(&waits);
		if (r->o->throttle && r->o->throttle(r->o->throttle_ctx, r->d, err) < 0)
			return -1;
		if (r->d->ops->begin(r->d, err) < 0)
			return -1;
		size_t i = 0;
		for (; i < r->units.n; i++)
			if ((runner_interrupted() ? runner_interrupt_stop(err)
						  : run_unit(r, i, false, err)) < 0)
				break;
		if (i == r->units.n) {
			entry_set_revert(e, r);
			if (r->section == SECTION_EXPAND)
				e->expand_ms = runner_now_ms() - r->started_ms;
			else
				e->contract_ms = runner_now_ms() - r->started_ms;
			/* the event commits with the phase: one commit, not two */
			struct event ev = {"up", r->m->version, migration_section_name(r->section),
					   "ok", NULL};
			if (r->d->ops->history_save(r->d, e, err) == 0 &&
			    r->d->ops->event_log(r->d, &ev, err) == 0 &&
			    r->d->ops->commit(r->d, err) == 0)
				return 0;
		}
		r->d->ops->rollback(r->d);
		if (runner_interrupted())
			return runner_interrupt_explain(
			    err,
			    "%s of %lld_%s was rolled back: nothing of it was applied; "
			    "'migrate up' runs it again",
			    migration_section_name(r->section), (long long)r->m->version,
			    r->m->name);
		if (is_lock_timeout(err))
			lock_waits_failed(&waits);
		if (!is_lock_timeout(err) || attempt >= r->o->retries) {
			explain_lock_timeout(r->d, &waits, err);
			mg_error_add_note(
			    err, "note",
			    "%s of %lld_%s was rolled back: nothing of it was applied "
			    "and the history is unchanged",
			    migration_section_name(r->section), (long long)r->m->version,
			    r->m->name);
			return -1;
		}
		int64_t pause = backoff_ms(attempt, &waits);
		runner_say(
		    r->o->say, r->o->say_ctx,
		    "  lock timeout at %s:%d; rolled back, retry %d of %d in %lld ms (%lld ms "
		    "waiting on locks so far)",
		    err->file, err->line, attempt + 1, r->o->retries, (long long)pause,
		    (long long)waits.waited_ms);
		backoff_sleep(pause);
	}
}

/* Where a phase run step by step stopped, and what picks it up. */
static void stepwise_stopped_note(const struct phase_run *r, size_t i, struct mg_error *err)
{
	const char *phase = migration_section_name(r->section);
	if (i == 0)
		mg_error_add_note(err, "note",
				  "%s of %lld_%s (run step by step) stopped at step 1 of %zu: "
				  "nothing of it was applied; 'migrate up' runs it again",
				  phase, (long long)r->m->version, r->m->name, r->units.n);
	else
		mg_error_add_note(
		    err, "note",
		    "%s of %lld_%s (run step by step) stopped at step %zu of %zu: the %zu "
		    "before it are applied and recorded; 'migrate up' resumes at step %zu, "
		    "'migrate revert' undoes what was applied",
		    phase, (long long)r->m->version, r->m->name, i + 1, r->units.n, i, i + 1);
}

/* A step-by-step phase stopped by a signal before step i+1: what stands, what resumes it. */
static int stepwise_interrupted(const struct phase_run *r, size_t i, struct mg_error *err)
{
	const char *phase = migration_section_name(r->section);
	if (i == 0)
		return runner_interrupt_explain(
		    err,
		    "%s of %lld_%s stopped at step 1 of %zu: nothing of it was applied; "
		    "'migrate up' runs it",
		    phase, (long long)r->m->version, r->m->name, r->units.n);
	return runner_interrupt_explain(
	    err,
	    "%s of %lld_%s stopped at step %zu of %zu: the %zu before it are applied and "
	    "recorded; 'migrate up' resumes it",
	    phase, (long long)r->m->version, r->m->name, i + 1, r->units.n, i);
}

/*
 * A phase with CONCURRENTLY, a VALIDATE of its own or a backfill runs unit by
 * unit: units marked UNIT_WITH_NEXT share a transaction with the next one;
 * the history row records how far it got (steps_done) and the undo so far
 * after each group, so an interrupted run resumes where it stopped.
 */
static int run_phase_stepwise(struct phase_run *r, struct history_entry *e, struct mg_error *err)
{
	bool resuming = r->resumed;
	r->revert = r->section == SECTION_EXPAND ? e->revert_expand : e->revert_contract;
	if (!resuming)
		r->revert = (struct step_list){0};
	for (size_t i = (size_t)e->steps_done; i < r->units.n;) {
		if (runner_interrupted()) {
			runner_interrupt_stop(err);
			return stepwise_interrupted(r, i, err);
		}
		const struct unit *u = &r->units.items[i];
		bool alone = u->flags & (UNIT_ALONE | UNIT_BACKFILL);
		size_t end = i + 1; /* the group: [i, end) */
		while (!alone && end < r->units.n &&
		       (r->units.items[end - 1].flags & UNIT_WITH_NEXT) &&
		       !(r->units.items[end].flags & (UNIT_ALONE | UNIT_BACKFILL)))
			end++;
		struct lock_waits waits = {0};
		for (int attempt = 0;; attempt++) {
			struct step_list before = r->revert;
			lock_waits_start(&waits);
			/* a backfill waits before each of its batches itself */
			if (r->o->throttle && !(u->flags & UNIT_BACKFILL) &&
			    r->o->throttle(r->o->throttle_ctx, r->d, err) < 0)
				return -1;
			int rc = alone ? 0 : r->d->ops->begin(r->d, err);
			for (size_t k = i; rc == 0 && k < end; k++)
				rc = k > i && runner_interrupted()
					 ? runner_interrupt_stop(err)
					 : run_unit(r, k, resuming && k == (size_t)e->steps_done,
						    err);
			if (rc == 0) {
				e->steps_done = (int)end;
				entry_set_revert(e, r);
				rc = r->d->ops->history_save(r->d, e, err);
			}
			if (rc == 0 && !alone)
				rc = r->d->ops->commit(r->d, err);
			if (rc == 0)
				break;
			if (!alone)
				r->d->ops->rollback(r->d);
			r->revert = before;
			if (alone && r->d->ops->statement_failed) {
				struct inverse_input in = unit_input(r, i, false);
				r->d->ops->statement_failed(&in);
			}
			if (runner_interrupted())
				return stepwise_interrupted(r, i, err);
			if (is_lock_timeout(err))
				lock_waits_failed(&waits);
			if (!is_lock_timeout(err) || attempt >= r->o->retries) {
				explain_lock_timeout(r->d, &waits, err);
				stepwise_stopped_note(r, i, err);
				return -1;
			}
			int64_t pause = backoff_ms(attempt, &waits);
			runner_say(r->o->say, r->o->say_ctx,
				   "  lock timeout at %s:%d; retry %d of %d in %lld ms (%lld ms "
				   "waiting on locks so far)",
				   err->file, err->line, attempt + 1, r->o->retries,
				   (long long)pause, (long long)waits.waited_ms);
			backoff_sleep(pause);
		}
		i = end;
	}
	return 0;
}

static int apply_phase(struct driver *d, struct arena *a, const struct runner_options *o,
		       struct history *h, const struct migration *m, enum migration_section s,
		       struct mg_error *err)
{
	struct phase_run r = {.d = d, .a = a, .o = o, .m = m, .section = s};
	if (sql_parse_section(a, m, s, &r.sec, err) < 0)
		return -1;
	enum migration_section rs =
	    s == SECTION_EXPAND ? SECTION_REVERT_EXPAND : SECTION_REVERT_CONTRACT;
	r.hand_revert = m->sections[rs].present;
	if (r.hand_revert) {
		struct sql_section hand;
		if (sql_parse_section(a, m, rs, &hand, err) < 0)
			return -1;
		for (size_t i = 0; i < hand.n_stmts; i++)
			step_list_add(a, &r.hand, stmt_text(a, &hand.stmts[i]),
				      stmt_flags(&r, &hand.stmts[i]) | STEP_SOURCE, m->path,
				      hand.stmts[i].line, hand.stmts[i].column);
	}

	struct history_entry *e = history_find(h, m->version);
	struct history_entry fresh;
	if (!e) {
		memset(&fresh, 0, sizeof(fresh));
		fresh.version = m->version;
		fresh.name = m->name;
		e = &fresh;
	}
	bool expand = s == SECTION_EXPAND;
	bool resumed = e->phase == (expand ? HISTORY_EXPANDING : HISTORY_CONTRACTING);
	r.resumed = resumed;
	r.entry = e;
	if (build_units(&r, e, resumed, err) < 0)
		return -1;
	e->checksum = m->checksum;
	e->applied_by = d->settings.who;
	/* what this phase does to the schema, for a targeted revert later (plan/branches.c) */
	objects_of_section(a, &r.sec, expand ? &e->objects_expand : &e->objects_contract);
	if (expand && r.planned) {
		units_to_steps(a, &r.units, &e->planned_expand);
		e->planned_contract = r.planned_contract;
	}
	bool stepwise = section_needs_no_transaction(&r);
	const char *phase = migration_section_name(s);

	if (o->dry_run) {
		runner_say(o->say, o->say_ctx, "would %s %lld_%s (%zu statement%s%s)", phase,
			   (long long)m->version, m->name, r.units.n, r.units.n == 1 ? "" : "s",
			   stepwise ? ", one by one" : ", in one transaction");
		for (size_t i = 0; i < r.units.n; i++)
			runner_say(o->say, o->say_ctx, "  %s", r.units.items[i].sql);
		return 0;
	}
	runner_say(o->say, o->say_ctx, "%s %lld_%s ...", expand ? "expanding" : "contracting",
		   (long long)m->version, m->name);
	int64_t t0 = runner_now_ms();
	r.started_ms = t0;
	if (!resumed) {
		e->steps_done = 0;
		if (expand)
			e->expand_seq = runner_next_seq(h);
		else
			e->contract_seq = runner_next_seq(h);
	}
	int rc;
	if (stepwise) {
		if (resumed)
			runner_say(o->say, o->say_ctx, "  resuming after step %d of %zu",
				   e->steps_done, r.units.n);
		e->phase = expand ? HISTORY_EXPANDING : HISTORY_CONTRACTING;
		/* recorded before the first statement: a run killed during it shows as
		 * interrupted, and the next one resumes there instead of starting over */
		rc = !resumed && r.units.n ? d->ops->history_save(d, e, err) : 0;
		if (rc == 0 && r.units.n)
			rc = run_phase_stepwise(&r, e, err);
		if (rc == 0) {
			e->phase = expand ? HISTORY_EXPANDED : HISTORY_CONTRACTED;
			e->steps_done = 0;
			if (expand)
				e->expand_ms = runner_now_ms() - t0;
			else
				e->contract_ms = runner_now_ms() - t0;
			rc = d->ops->history_save(d, e, err);
		}
	} else {
		e->phase = expand ? HISTORY_EXPANDED : HISTORY_CONTRACTED;
		e->steps_done = 0;
		/* with nothing to contract, a run of both phases finishes it in the same
		 * transaction instead of a second, empty one */
		if (expand && (o->phases & RUN_CONTRACT) &&
		    !m->sections[SECTION_CONTRACT].present && !r.planned_contract.n) {
			e->phase = HISTORY_CONTRACTED;
			e->contract_seq = e->expand_seq + 1;
			e->objects_contract = (struct object_set){.recorded = true};
		}
		rc = run_phase_transaction(&r, e, err);
	}
	if (rc < 0) {
		runner_log_event(d, "up", m->version, phase, "failed", err->message);
		return -1;
	}
	if (e == &fresh) {
		ARENA_GROW(a, h->items, h->n, h->alloc, h->n + 1);
		h->items[h->n++] = fresh;
	}
	runner_say(o->say, o->say_ctx, "  %s in %lld ms", expand ? "expanded" : "contracted",
		   (long long)(runner_now_ms() - t0));
	if (stepwise)
		runner_log_event(d, "up", m->version, phase, "ok", NULL);
	return 0;
}

/* Asks each file format, before anything runs, whether its migrations ahead can run. */
static int check_formats(struct driver *d, struct arena *a, const struct migration_set *set,
			 const struct history *h, const struct runner_options *o,
			 struct mg_error *err)
{
	for (size_t i = 0; i < target_formats_count; i++)
		if (target_formats[i]->check(d, a, set, h, o, err) < 0)
			return -1;
	return 0;
}

/*
 * Asks the driver, before anything runs, whether it can run every statement
 * of the phases ahead (SQLite: whether each translates), so that a statement
 * it cannot run stops the command with nothing applied.
 */
static int check_statements(struct driver *d, struct arena *a, const struct migration_set *set,
			    const struct history *h, const struct runner_options *o,
			    struct mg_error *err)
{
	if (!d->ops->check_statement)
		return 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct migration *m = set->items[i];
		if (!migration_is_sql(m) || !m->has_version)
			continue;
		if (o->has_to && m->version > o->to)
			break;
		const struct history_entry *e = history_find(h, m->version);
		enum history_phase p = e ? e->phase : HISTORY_PENDING;
		bool expand, contract;
		runner_phases_ahead(o, p, &expand, &contract);
		enum migration_section sections[4];
		size_t n = 0;
		if (expand)
			sections[n++] = SECTION_EXPAND;
		if (expand && m->sections[SECTION_REVERT_EXPAND].present)
			sections[n++] = SECTION_REVERT_EXPAND;
		if (contract)
			sections[n++] = SECTION_CONTRACT;
		if (contract && m->sections[SECTION_REVERT_CONTRACT].present)
			sections[n++] = SECTION_REVERT_CONTRACT;
		for (size_t k = 0; k < n; k++) {
			struct sql_section sec;
			if (sql_parse_section(a, m, sections[k], &sec, err) < 0)
				return -1;
			for (size_t j = 0; j < sec.n_stmts; j++)
				if (d->ops->check_statement(d, a, &sec.stmts[j], err) < 0)
					return -1;
		}
	}
	return 0;
}

/*
 * A revert stopped midway left its phase half undone: applying anything on
 * top would mix the two, so up waits until revert has finished it.
 */
static int check_interrupted_revert(struct arena *a, const struct history *h, struct mg_error *err)
{
	for (size_t i = 0; i < h->n; i++) {
		const struct history_entry *e = &h->items[i];
		if (!e->reverting || e->phase == HISTORY_PENDING)
			continue;
		bool contract = e->phase == HISTORY_CONTRACTED || e->phase == HISTORY_CONTRACTING;
		struct step_list run, notes;
		step_list_split_notes(a, contract ? &e->revert_contract : &e->revert_expand, &run,
				      &notes);
		mg_error_set(err, 2,
			     "the revert of %lld_%s was interrupted after step %d of %zu: "
			     "nothing was applied",
			     (long long)e->version, e->name, e->steps_done, run.n);
		mg_error_set_help(err, "run 'migrate revert' to finish it, then 'migrate up'");
		return -1;
	}
	return 0;
}

int runner_up(struct driver *d, struct arena *a, const struct migration_set *set,
	      const struct runner_options *o, int *ret_applied, struct mg_error *err)
{
	struct history h = {0};
	int rc = -1;
	*ret_applied = 0;
	srand((unsigned)(runner_now_ms() ^ getpid()));
	if (d->ops->lock(d, err) < 0)
		return -1;
	if (o->dry_run) {
		bool exists = false;
		if (d->ops->history_exists(d, &exists, err) < 0 ||
		    (exists && d->ops->history_load(d, a, &h, err) < 0))
			goto out;
	} else if (d->ops->history_ensure(d, err) < 0 || d->ops->history_load(d, a, &h, err) < 0) {
		goto out;
	}
	/* --dry-run: the first migration it would expand; those after it see a
	 * catalogue without its changes */
	const struct migration *dry_earlier = NULL;
	if ((!o->dry_run && branches_upgrade_checksums(d, &h, set, err) < 0) ||
	    branches_judge(&h, set, o, err) < 0 || check_interrupted_revert(a, &h, err) < 0 ||
	    check_statements(d, a, set, &h, o, err) < 0 || check_formats(d, a, set, &h, o, err) < 0)
		goto out;

	for (size_t i = 0; i < set->n; i++) {
		const struct migration *m = set->items[i];
		if (!m->has_version)
			continue;
		if (o->has_to && m->version > o->to)
			break;
		if ((o->phases & RUN_EXPAND) && !history_find(&h, m->version))
			branches_say_out_of_order(&h, m, o);
		const struct target_format *format = target_format_of(m, NULL);
		if (format) {
			if (format->up(d, a, o, &h, m, ret_applied, err) < 0)
				goto out;
			continue;
		}
		struct history_entry *e = history_find(&h, m->version);
		enum history_phase p = e ? e->phase : HISTORY_PENDING;
		bool expand_next, contract_next;
		runner_phases_ahead(o, p, &expand_next, &contract_next);
		if (!o->dry_run && (expand_next || contract_next) && runner_interrupted()) {
			runner_interrupt_stop(err);
			runner_interrupt_explain(
			    err,
			    "stopped before %s of %lld_%s: %d phase%s applied; "
			    "'migrate up' continues",
			    expand_next ? "expand" : "contract", (long long)m->version, m->name,
			    *ret_applied, *ret_applied == 1 ? "" : "s");
			goto out;
		}
		if (o->dry_run && dry_earlier)
			branches_say_unseen(o->say, o->say_ctx, m, dry_earlier, "  ");
		if ((o->phases & RUN_EXPAND) && (p == HISTORY_PENDING || p == HISTORY_EXPANDING)) {
			if (apply_phase(d, a, o, &h, m, SECTION_EXPAND, err) < 0 &&
			    (!o->dry_run || branches_cannot_plan_yet(o->say, o->say_ctx, m,
								     dry_earlier, "  ", err) < 0))
				goto out;
			if (o->dry_run && !dry_earlier && p == HISTORY_PENDING)
				dry_earlier = m;
			++*ret_applied;
			e = history_find(&h, m->version);
			p = o->dry_run ? HISTORY_EXPANDED : e->phase;
		}
		if ((o->phases & RUN_CONTRACT) &&
		    (p == HISTORY_EXPANDED || p == HISTORY_CONTRACTING)) {
			if (!o->dry_run && runner_interrupted()) {
				runner_interrupt_stop(err);
				runner_interrupt_explain(
				    err,
				    "stopped before contract of %lld_%s: its expand is applied; "
				    "'migrate up' continues",
				    (long long)m->version, m->name);
				goto out;
			}
			if (apply_phase(d, a, o, &h, m, SECTION_CONTRACT, err) < 0 &&
			    (!o->dry_run || branches_cannot_plan_yet(o->say, o->say_ctx, m,
								     dry_earlier, "  ", err) < 0))
				goto out;
			++*ret_applied;
		}
	}
	rc = 0;
out:
	/* a signal during the run lock wait, the history or a phase's own bookkeeping */
	if (rc < 0 && runner_interrupted())
		runner_interrupt_explain(err, "'migrate up' continues where it stopped");
	d->ops->unlock(d);
	return rc;
}

/* ---- revert ---- */

/*
 * Undoes one phase from its recorded steps: in one transaction with the
 * history update, or, when a step must run outside a transaction, step by
 * step, each step's progress recorded in the history (reverting, steps_done)
 * in the step's own transaction, or right after a step that commits by
 * itself. An interrupted revert, or a retry after a lock timeout, resumes at
 * the step it stopped at; a step outside a transaction that may have run
 * already is made safe to run again first (driver step_resume).
 */
static int undo_phase(struct driver *d, struct arena *a, const struct revert_options *o,
		      struct history_entry *e, bool contract, struct mg_error *err)
{
	/* what the revert leaves as it is (STEP_NOTE) is said, never run */
	struct step_list run, notes;
	step_list_split_notes(a, contract ? &e->revert_contract : &e->revert_expand, &run, &notes);
	const struct step_list *steps = &run;
	const char *phase = contract ? "revert-contract" : "revert-expand";
	if (o->dry_run) {
		runner_say(o->say, o->say_ctx, "would %s %lld_%s (%zu step%s)", phase,
			   (long long)e->version, e->name, steps->n, steps->n == 1 ? "" : "s");
		for (size_t i = 0; i < steps->n; i++)
			runner_say(o->say, o->say_ctx, "  %s%s", steps->items[i].sql,
				   revert_step_note(d->ops, &steps->items[i]));
		for (size_t i = 0; i < notes.n; i++)
			runner_say(o->say, o->say_ctx, "  note: %s", notes.items[i].sql);
		return 0;
	}
	runner_say(o->say, o->say_ctx, "reverting %s of %lld_%s ...",
		   contract ? "contract" : "expand", (long long)e->version, e->name);
	for (size_t i = 0; i < notes.n; i++)
		runner_say(o->say, o->say_ctx, "  note: %s", notes.items[i].sql);
	int64_t t0 = runner_now_ms();
	struct history_entry after = *e;
	after.reverting = false;
	after.steps_done = 0;
	if (contract) {
		after.phase = HISTORY_EXPANDED;
		after.contract_seq = 0;
		after.contract_ms = 0;
		after.revert_contract = (struct step_list){0};
		after.objects_contract = (struct object_set){0};
	}
	/*
	 * A revert the planner made of a contract (batched restores, steps in
	 * transactions of their own) runs through revert_steps.c, which keeps its
	 * own record of how far it got; other step-by-step reverts record it in
	 * the history, step by step.
	 */
	bool batched = false;
	for (size_t k = 0; k < steps->n; k++)
		batched |= (steps->items[k].flags & (STEP_OWN_TRANSACTION | STEP_BACKFILL)) != 0;
	bool stepwise = batched || step_list_needs_no_transaction(steps);
	bool resumed = stepwise && e->reverting;
	size_t i = 0;
	if (resumed && !batched) {
		i = (size_t)e->steps_done < steps->n ? (size_t)e->steps_done : steps->n;
		runner_say(o->say, o->say_ctx, "  resuming after step %zu of %zu", i, steps->n);
	} else if (stepwise && !resumed) {
		/* recorded before the first step: a run killed during it shows as an
		 * interrupted revert, and the next one resumes there */
		e->reverting = true;
		e->steps_done = 0;
		if (d->ops->history_save(d, e, err) < 0) {
			e->reverting = false;
			runner_log_event(d, "revert", e->version, phase, "failed", err->message);
			return -1;
		}
	}
	/* the step at i may have run, or half run, before an interruption */
	bool maybe_done = resumed;
	struct lock_waits waits = {0};
	for (int attempt = 0;; attempt++) {
		/* before each attempt, and each step of one run step by step, the
		 * standbys may hold it back (--max-replica-lag) */
		int rc = o->throttle ? o->throttle(o->throttle_ctx, d, err) : 0;
		bool in_transaction = false;
		lock_waits_start(&waits);
		if (rc < 0) {
			/* nothing to undo yet */
		} else if (batched) {
			/* a lock-timeout retry, or a rerun, goes on after what committed */
			rc = revert_steps_run(d, a, o, e->version, contract, steps, &i, err);
			if (rc == 0)
				rc = d->ops->begin(d, err);
			in_transaction = rc == 0;
			if (rc == 0)
				rc = revert_steps_forget(d, a, o, e->version, contract, err);
		} else if (!stepwise) {
			rc = d->ops->begin(d, err);
			in_transaction = rc == 0;
			for (i = 0; rc == 0 && i < steps->n; i++) {
				if (runner_interrupted()) {
					rc = runner_interrupt_stop(err);
					break;
				}
				rc = d->ops->exec(d, &steps->items[i], err);
			}
		}
		for (; stepwise && !batched && rc == 0 && i < steps->n; i++) {
			const struct step *st = &steps->items[i];
			if (runner_interrupted()) {
				rc = runner_interrupt_stop(err);
				break;
			}
			if (o->throttle && (rc = o->throttle(o->throttle_ctx, d, err)) < 0)
				break;
			if (!(st->flags & STEP_NO_TRANSACTION)) {
				rc = d->ops->begin(d, err);
				if (rc == 0)
					rc = d->ops->exec(d, st, err);
				e->steps_done = (int)i + 1;
				if (rc == 0)
					rc = d->ops->history_save(d, e, err);
				if (rc == 0)
					rc = d->ops->commit(d, err);
				else
					d->ops->rollback(d);
			} else {
				bool skip = false;
				if (maybe_done && d->ops->step_resume)
					rc = d->ops->step_resume(d, a, st, &skip, err);
				if (rc == 0 && !skip)
					rc = d->ops->exec(d, st, err);
				e->steps_done = (int)i + 1;
				if (rc == 0)
					rc = d->ops->history_save(d, e, err);
			}
			if (rc < 0) {
				e->steps_done = (int)i;
				/* a step outside a transaction may be half done */
				maybe_done = (st->flags & STEP_NO_TRANSACTION) != 0;
				break;
			}
			maybe_done = false;
		}
		if (rc == 0)
			rc = contract ? d->ops->history_save(d, &after, err)
				      : d->ops->history_delete(d, e->version, err);
		if (rc == 0 && in_transaction)
			rc = d->ops->commit(d, err);
		if (rc == 0)
			break;
		if (in_transaction)
			d->ops->rollback(d);
		if (runner_interrupted()) {
			if (!stepwise)
				runner_interrupt_explain(
				    err,
				    "%s of %lld_%s was rolled back: it is still %s; 'migrate "
				    "revert' runs it again",
				    phase, (long long)e->version, e->name,
				    history_phase_name(e->phase));
			else
				runner_interrupt_explain(
				    err,
				    "%s of %lld_%s stopped at step %zu of %zu: the steps before "
				    "it are undone and recorded; 'migrate revert' resumes at step "
				    "%zu",
				    phase, (long long)e->version, e->name,
				    i < steps->n ? i + 1 : steps->n, steps->n,
				    i < steps->n ? i + 1 : steps->n);
			runner_log_event(d, "revert", e->version, phase, "interrupted",
					 err->message);
			return -1;
		}
		if (is_lock_timeout(err))
			lock_waits_failed(&waits);
		if (!is_lock_timeout(err) || attempt >= o->retries) {
			explain_lock_timeout(d, &waits, err);
			if (!stepwise)
				mg_error_add_note(err, "note",
						  "%s of %lld_%s was rolled back: it is still %s",
						  phase, (long long)e->version, e->name,
						  history_phase_name(e->phase));
			else
				mg_error_add_note(
				    err, "note",
				    "%s of %lld_%s (run step by step) stopped at step %zu of "
				    "%zu: the steps before it are undone and recorded; "
				    "'migrate revert' resumes at step %zu",
				    phase, (long long)e->version, e->name,
				    i < steps->n ? i + 1 : steps->n, steps->n,
				    i < steps->n ? i + 1 : steps->n);
			runner_log_event(d, "revert", e->version, phase, "failed", err->message);
			return -1;
		}
		int64_t pause = backoff_ms(attempt, &waits);
		runner_say(
		    o->say, o->say_ctx,
		    "  lock timeout; rolled back, retry %d of %d in %lld ms (%lld ms waiting on "
		    "locks so far)",
		    attempt + 1, o->retries, (long long)pause, (long long)waits.waited_ms);
		backoff_sleep(pause);
	}
	if (contract)
		*e = after;
	else
		e->phase = HISTORY_PENDING;
	runner_say(o->say, o->say_ctx, "  reverted in %lld ms", (long long)(runner_now_ms() - t0));
	runner_log_event(d, "revert", e->version, phase, "ok", NULL);
	return 0;
}

int runner_revert(struct driver *d, struct arena *a, const struct revert_options *o,
		  int *ret_reverted, struct mg_error *err)
{
	struct history h = {0};
	int rc = -1;
	bool exists = false;
	*ret_reverted = 0;
	srand((unsigned)(runner_now_ms() ^ getpid()));
	if (d->ops->lock(d, err) < 0)
		return -1;
	if (d->ops->history_exists(d, &exists, err) < 0)
		goto out;
	if (!exists) {
		rc = 0;
		goto out;
	}
	/* a history of an older layout gets the columns the revert writes */
	if ((!o->dry_run && d->ops->history_ensure(d, err) < 0) ||
	    d->ops->history_load(d, a, &h, err) < 0)
		goto out;
	struct history_entry *target = NULL;
	if (o->has_version) {
		target = history_find(&h, o->version);
		/* a pending migration (its file only): nothing to undo, as plain revert says */
		if (!target || target->phase == HISTORY_PENDING) {
			rc = 0;
			goto out;
		}
		if (branches_revert_check(a, &h, target, o->set, d->ops->undo_rebuilds_tables,
					  err) < 0)
			goto out;
	}
	for (int done = 0; o->has_to || o->has_version || done < o->steps; done++) {
		/* the newest applied phase, by the order phases were applied */
		struct history_entry *pick = NULL;
		bool contract = false;
		int64_t best = -1;
		for (size_t i = 0; i < h.n; i++) {
			struct history_entry *e = &h.items[i];
			if (e->phase == HISTORY_PENDING)
				continue;
			if (o->has_to && e->version <= o->to)
				continue;
			bool c = e->phase == HISTORY_CONTRACTED || e->phase == HISTORY_CONTRACTING;
			int64_t seq = c ? e->contract_seq : e->expand_seq;
			if (seq > best) {
				best = seq;
				pick = e;
				contract = c;
			}
		}
		if (target) {
			/* that one migration only (branches_revert_check let it go alone) */
			pick = target->phase == HISTORY_PENDING ? NULL : target;
			contract = target->phase == HISTORY_CONTRACTED ||
				   target->phase == HISTORY_CONTRACTING;
		}
		/* an interrupted revert is finished before anything else is undone */
		for (size_t i = 0; !target && i < h.n; i++) {
			struct history_entry *e = &h.items[i];
			if (e->reverting && e->phase != HISTORY_PENDING) {
				pick = e;
				contract = e->phase == HISTORY_CONTRACTED ||
					   e->phase == HISTORY_CONTRACTING;
			}
		}
		if (!pick)
			break;
		if (!o->dry_run && runner_interrupted()) {
			runner_interrupt_stop(err);
			runner_interrupt_explain(
			    err,
			    "stopped before reverting %lld_%s: %d phase%s reverted; "
			    "'migrate revert' continues",
			    (long long)pick->version, pick->name, *ret_reverted,
			    *ret_reverted == 1 ? "" : "s");
			goto out;
		}
		if (pick->reverting)
			runner_say(o->say, o->say_ctx,
				   "note: the revert of %lld_%s was interrupted; finishing it",
				   (long long)pick->version, pick->name);
		else if (pick->phase == HISTORY_EXPANDING || pick->phase == HISTORY_CONTRACTING)
			runner_say(
			    o->say, o->say_ctx,
			    "note: %lld_%s was interrupted while %s; undoing what it applied",
			    (long long)pick->version, pick->name, history_phase_name(pick->phase));
		if (undo_phase(d, a, o, pick, contract, err) < 0)
			goto out;
		if (o->dry_run) {
			/* pretend, so the next pick is the next phase */
			if (contract)
				pick->phase = HISTORY_EXPANDED;
			else
				pick->phase = HISTORY_PENDING;
		}
		++*ret_reverted;
	}
	rc = 0;
out:
	if (rc < 0 && runner_interrupted())
		runner_interrupt_explain(err, "'migrate revert' continues where it stopped");
	d->ops->unlock(d);
	return rc;
}

/* ---- plan ---- */

static void say_steps(const struct driver *d, runner_say_fn fn, void *ctx,
		      const struct step_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].flags & STEP_NOTE)
			runner_say(fn, ctx, "-- note: %s", l->items[i].sql);
		else
			runner_say(fn, ctx, "%s;%s", l->items[i].sql,
				   revert_step_note(d->ops, &l->items[i]));
}

static const char *unit_note(unsigned flags)
{
	if (flags & UNIT_BACKFILL)
		return "  -- backfill: keyset batches, each its own transaction";
	if (flags & UNIT_ALONE)
		return "  -- outside a transaction";
	if (flags & UNIT_OWN_TRANSACTION)
		return "  -- in its own transaction";
	return "";
}

/* What contract finishes of a migration not expanded yet: the planner's leftovers of expand. */
static int plan_expand_leftovers(struct driver *d, struct arena *a, const struct migration *m,
				 const char *history_schema, struct step_list *ret,
				 struct mg_error *err)
{
	struct runner_options o = {.history_schema = history_schema};
	struct phase_run r = {.d = d, .a = a, .o = &o, .m = m, .section = SECTION_EXPAND};
	*ret = (struct step_list){0};
	if (!m->sections[SECTION_EXPAND].present)
		return 0;
	if (sql_parse_section(a, m, SECTION_EXPAND, &r.sec, err) < 0 ||
	    build_units(&r, NULL, false, err) < 0)
		return -1;
	*ret = r.planned_contract;
	return 0;
}

static int plan_phase(struct driver *d, struct arena *a, const struct migration *m,
		      enum migration_section s, const struct history_entry *e,
		      const char *history_schema, runner_say_fn fn, void *ctx, struct mg_error *err)
{
	struct runner_options o = {.history_schema = history_schema};
	struct phase_run r = {.d = d, .a = a, .o = &o, .m = m, .section = s};
	if (sql_parse_section(a, m, s, &r.sec, err) < 0)
		return -1;
	bool expand = s == SECTION_EXPAND;
	enum migration_section rs = expand ? SECTION_REVERT_EXPAND : SECTION_REVERT_CONTRACT;
	bool applied =
	    e && (expand ? e->phase >= HISTORY_EXPANDED : e->phase == HISTORY_CONTRACTED);
	struct history_entry unexpanded = {0};
	if (!expand && (!e || e->phase == HISTORY_PENDING)) {
		/* contract finishes what the planner makes of expand: plan that first */
		if (plan_expand_leftovers(d, a, m, history_schema, &unexpanded.planned_contract,
					  err) < 0)
			return -1;
		e = &unexpanded;
	}
	if (applied && expand && e->planned_expand.n) {
		if (units_from_steps(&r, &e->planned_expand, err) < 0)
			return -1;
		r.planned = true;
	} else if (build_units(&r, e, false, err) < 0) {
		return -1;
	}
	bool derive = !applied && !m->sections[rs].present;
	struct step_list all = {0};
	runner_say(fn, ctx, "-- %lld_%s: %s (%s)%s", (long long)m->version, m->name,
		   migration_section_name(s),
		   section_needs_no_transaction(&r) ? "step by step" : "one transaction",
		   applied     ? ", applied"
		   : r.planned ? ", planned"
			       : "");
	if (!r.units.n)
		runner_say(fn, ctx, "-- (nothing)");
	for (size_t i = 0; i < r.units.n; i++) {
		const struct unit *u = &r.units.items[i];
		if (!derive || (u->flags & UNIT_BACKFILL)) {
			runner_say(fn, ctx, "%s;%s", u->sql, unit_note(u->flags));
			continue;
		}
		struct inverse_input in = unit_input(&r, i, false);
		struct inverse_result res;
		if (d->ops->inverse_before(&in, &res, err) < 0)
			return -1;
		/* contract: what runs, the copies into the trash included */
		if (expand)
			runner_say(fn, ctx, "%s;%s", u->sql, unit_note(u->flags));
		for (size_t k = 0; !expand && k < res.forward.n; k++)
			runner_say(fn, ctx, "%s;%s", res.forward.items[k].sql,
				   k == 0 ? unit_note(u->flags) : "");
		runner_revert_prepend(a, &all, &res.inverse);
	}
	if (expand && !applied && r.planned_contract.n) {
		runner_say(fn, ctx, "-- contract then finishes:");
		/* each transaction of it opens with a unit marked UNIT_OWN_TRANSACTION */
		for (size_t i = 0; i < r.planned_contract.n; i++) {
			if (r.planned_contract.items[i].flags & UNIT_OWN_TRANSACTION)
				runner_say(fn, ctx, "-- (a transaction)");
			runner_say(fn, ctx, "%s;", r.planned_contract.items[i].sql);
		}
	}
	runner_say(fn, ctx, "-- revert-%s%s:", migration_section_name(s),
		   applied		     ? " (as recorded)"
		   : m->sections[rs].present ? " (hand-written)"
					     : " (derived from the database as it is now)");
	if (applied) {
		say_steps(d, fn, ctx, expand ? &e->revert_expand : &e->revert_contract);
		return 0;
	}
	if (m->sections[rs].present) {
		struct sql_section hand;
		if (sql_parse_section(a, m, rs, &hand, err) < 0)
			return -1;
		for (size_t i = 0; i < hand.n_stmts; i++)
			runner_say(fn, ctx, "%s;", stmt_text(a, &hand.stmts[i]));
	}
	/* beside a hand-written revert, what the planner added is undone too */
	for (size_t i = 0; m->sections[rs].present && i < r.units.n; i++) {
		if ((r.units.items[i].flags & UNIT_BACKFILL) ||
		    !(r.units.items[i].flags & UNIT_PLANNED))
			continue;
		struct inverse_input in = unit_input(&r, i, false);
		struct inverse_result res;
		if (d->ops->inverse_before(&in, &res, err) < 0)
			return -1;
		runner_revert_prepend(a, &all, &res.inverse);
	}
	say_steps(d, fn, ctx, &all);
	return 0;
}

int runner_plan(struct driver *d, struct arena *a, const struct migration_set *set, unsigned phases,
		bool has_version, int64_t version, const char *history_schema, runner_say_fn fn,
		void *ctx, struct mg_error *err)
{
	struct history h = {0};
	bool exists = false;
	if (d->ops->history_exists(d, &exists, err) < 0 ||
	    (exists && d->ops->history_load(d, a, &h, err) < 0))
		return -1;
	/* a file that cannot be parsed is bad input, whatever else cannot be
	 * planned yet: refused before anything is planned */
	for (size_t i = 0; i < set->n; i++) {
		const struct migration *m = set->items[i];
		for (int s = 0; migration_is_sql(m) && s < SECTION__COUNT; s++) {
			struct sql_section sec;
			if (m->sections[s].present &&
			    sql_parse_section(a, m, (enum migration_section)s, &sec, err) < 0)
				return -1;
		}
	}
	bool found = false;
	/* the first migration planned that is not applied: those after it are
	 * planned against a catalogue that lacks its changes */
	const struct migration *earlier = NULL;
	for (size_t i = 0; i < set->n; i++) {
		const struct migration *m = set->items[i];
		if (!m->has_version)
			continue;
		if (has_version && m->version != version) {
			const struct history_entry *pe = history_find(&h, m->version);
			if (!earlier && m->version < version &&
			    (!pe || pe->phase == HISTORY_PENDING))
				earlier = m;
			continue;
		}
		const struct history_entry *e = history_find(&h, m->version);
		if (!has_version && e && e->phase == HISTORY_CONTRACTED)
			continue; /* nothing left to plan */
		const struct target_format *format = target_format_of(m, NULL);
		if (format) {
			if (format->plan(d, a, m, e, phases, fn, ctx, &found, err) < 0)
				return -1;
			continue;
		}
		found = true;
		if (earlier)
			branches_say_unseen(fn, ctx, m, earlier, "-- ");
		if ((phases & RUN_EXPAND) && m->sections[SECTION_EXPAND].present &&
		    plan_phase(d, a, m, SECTION_EXPAND, e, history_schema, fn, ctx, err) < 0 &&
		    branches_cannot_plan_yet(fn, ctx, m, earlier, "-- ", err) < 0)
			return -1;
		if ((phases & RUN_CONTRACT) && m->sections[SECTION_CONTRACT].present &&
		    plan_phase(d, a, m, SECTION_CONTRACT, e, history_schema, fn, ctx, err) < 0 &&
		    branches_cannot_plan_yet(fn, ctx, m, earlier, "-- ", err) < 0)
			return -1;
		if (!earlier && (!e || e->phase == HISTORY_PENDING))
			earlier = m;
		runner_say(fn, ctx, "%s", "");
	}
	if (has_version && !found)
		return mg_error_set(err, 2, "no migration with version %lld", (long long)version);
	if (!found)
		runner_say(fn, ctx, "-- nothing to plan: every migration is contracted");
	return 0;
}
