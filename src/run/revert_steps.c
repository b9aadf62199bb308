/*
 * A revert run step by step: what a revert does when its steps hold a
 * CONCURRENTLY, a VALIDATE of its own or a batched restore of the values a
 * contract removed. Consecutive plain steps share one short transaction; a
 * STEP_NO_TRANSACTION step runs alone, a STEP_OWN_TRANSACTION one in a
 * transaction of its own, a STEP_BACKFILL one in keyset batches
 * (backfill_run). How many steps are done is kept in the backfills table
 * (unit REVERT_PROGRESS_UNIT), in the transaction of the steps themselves, so
 * a revert that was killed continues after the last group that committed, and
 * a restore after its last batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/plan.h"
#include "sql/quote.h"
#include "target/phase.h"
#include "run/revert_steps.h"
#include "run/runner_signal.h"

/* The backfills rows of a revert: units below zero, apart from up's (unit >= 0). */
#define REVERT_PROGRESS_UNIT(contract)	 ((contract) ? -1 : -2)
#define REVERT_RESTORE_UNIT(contract, i) (((contract) ? -1000 : -1000000) - (int)(i))

bool revert_steps_stepwise(const struct step_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].flags &
		    (STEP_NO_TRANSACTION | STEP_OWN_TRANSACTION | STEP_BACKFILL))
			return true;
	return false;
}

static bool step_alone(const struct step *s)
{
	return s->flags & (STEP_NO_TRANSACTION | STEP_OWN_TRANSACTION) ||
	       (s->flags & STEP_BACKFILL && s->backfill);
}

/* before <history schema>.backfills after: $1 version, $2 unit, $3 value */
static int progress_query(struct driver *d, struct arena *a, const struct revert_options *o,
			  const char *before, const char *after, int64_t version, bool contract,
			  const char *value, struct driver_rows *rows, struct mg_error *err)
{
	/* only PostgreSQL keeps a backfills table (and has steps that commit alone) */
	if (!d->ops->concurrent_ddl || !d->ops->query) {
		*rows = (struct driver_rows){0};
		return 0;
	}
	char v[32], u[16];
	snprintf(v, sizeof(v), "%lld", (long long)version);
	snprintf(u, sizeof(u), "%d", REVERT_PROGRESS_UNIT(contract));
	const char *params[] = {v, u, value};
	return d->ops->query(
	    d, a,
	    arena_printf(a, "%s%s.backfills%s", before, sql_ident(a, o->history_schema), after),
	    value ? 3 : 2, params, rows, err);
}

/* The steps done by an earlier run of this revert ("done/total"), 0 when none. */
static int progress_load(struct driver *d, struct arena *a, const struct revert_options *o,
			 int64_t version, bool contract, size_t total, size_t *ret,
			 struct mg_error *err)
{
	struct driver_rows rows;
	*ret = 0;
	if (progress_query(d, a, o, "SELECT last_key FROM ", " WHERE version = $1 AND unit = $2",
			   version, contract, NULL, &rows, err) < 0)
		return -1;
	const char *s = driver_rows_get(&rows, 0, 0);
	unsigned long done, of;
	/* a row for another list of steps (a revert of an earlier contract) is not ours */
	if (s && sscanf(s, "%lu/%lu", &done, &of) == 2 && of == total && done <= total)
		*ret = done;
	return 0;
}

static int progress_save(struct driver *d, struct arena *a, const struct revert_options *o,
			 int64_t version, bool contract, size_t done, size_t total,
			 struct mg_error *err)
{
	struct driver_rows rows;
	return progress_query(d, a, o, "INSERT INTO ",
			      " (version, unit, last_key) VALUES ($1, $2, $3) ON CONFLICT "
			      "(version, unit) DO UPDATE SET last_key = excluded.last_key, "
			      "updated_at = now()",
			      version, contract, arena_printf(a, "%zu/%zu", done, total), &rows,
			      err);
}

int revert_steps_forget(struct driver *d, struct arena *a, const struct revert_options *o,
			int64_t version, bool contract, struct mg_error *err)
{
	struct driver_rows rows;
	return progress_query(d, a, o, "DELETE FROM ", " WHERE version = $1 AND unit = $2", version,
			      contract, NULL, &rows, err);
}

static void restore_say(void *ctx, const struct backfill *bf, const struct backfill_progress *p)
{
	const struct revert_options *o = ctx;
	if (o->progress)
		o->progress(o->say_ctx, bf->label, p->rows, p->total, p->rate, p->done);
}

int revert_steps_run(struct driver *d, struct arena *a, const struct revert_options *o,
		     int64_t version, bool contract, const struct step_list *steps,
		     size_t *ret_stopped, struct mg_error *err)
{
	size_t i;
	if (progress_load(d, a, o, version, contract, steps->n, &i, err) < 0)
		return -1;
	if (i > 0)
		runner_say(o->say, o->say_ctx, "  resuming after step %zu of %zu", i, steps->n);
	for (bool first = true; i < steps->n; first = false) {
		const struct step *s = &steps->items[i];
		*ret_stopped = i;
		if (runner_interrupted())
			return runner_interrupt_stop(err);
		size_t end = i + 1;
		if (!step_alone(s))
			while (end < steps->n && !step_alone(&steps->items[end]))
				end++;
		int rc = 0;
		/* --max-replica-lag: a step waits for the standbys, a restore before each batch */
		if (o->throttle && !(s->flags & STEP_BACKFILL && s->backfill) &&
		    o->throttle(o->throttle_ctx, d, err) < 0)
			return -1;
		if (s->flags & STEP_BACKFILL && s->backfill) {
			struct backfill_options bo = {
			    .batch_size = o->batch_size,
			    .batch_delay_ms = o->batch_delay_ms,
			    .retries = o->retries,
			    .history_schema = o->history_schema,
			    .progress = restore_say,
			    .progress_ctx = (void *)o,
			    .crash_after_batches = o->crash_after_batches,
			    .throttle = o->throttle,
			    .throttle_ctx = o->throttle_ctx,
			};
			rc = backfill_run(d, a, s->backfill, version,
					  REVERT_RESTORE_UNIT(contract, i), &bo, err);
			if (rc == 0)
				rc = progress_save(d, a, o, version, contract, end, steps->n, err);
		} else if (s->flags & STEP_NO_TRANSACTION) {
			/* the first step of a run may have run (or half run) before an
			 * interruption: the driver makes it safe to run again */
			bool skip = false;
			rc = first && d->ops->step_resume ? d->ops->step_resume(d, a, s, &skip, err)
							  : 0;
			if (rc == 0 && !skip)
				rc = d->ops->exec(d, s, err);
			if (rc == 0)
				rc = progress_save(d, a, o, version, contract, end, steps->n, err);
		} else {
			/* the group and its progress commit together */
			rc = d->ops->begin(d, err);
			for (size_t k = i; rc == 0 && k < end; k++) {
				*ret_stopped = k;
				rc = d->ops->exec(d, &steps->items[k], err);
			}
			if (rc == 0)
				rc = progress_save(d, a, o, version, contract, end, steps->n, err);
			if (rc == 0)
				rc = d->ops->commit(d, err);
			if (rc < 0)
				d->ops->rollback(d);
		}
		if (rc < 0)
			return -1;
		i = end;
	}
	*ret_stopped = steps->n;
	return 0;
}

const char *revert_step_note(const struct driver_ops *ops, const struct step *s)
{
	if (s->flags & STEP_BACKFILL && s->backfill)
		return "  -- restore: keyset batches, each its own transaction";
	if (s->flags & STEP_NO_TRANSACTION)
		return "  -- outside a transaction";
	if (s->flags & STEP_OWN_TRANSACTION)
		return "  -- in its own transaction (a scan, no lock that blocks the app)";
	/* what holds a lock the app waits on for as long as the table takes */
	const char *why = ops->long_lock_note ? ops->long_lock_note(s) : NULL;
	return why ? why : "";
}
