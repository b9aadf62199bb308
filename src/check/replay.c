/*
 * Replay, round trip and lock trace, in one pass over the shadow database:
 * for each migration in order, expand (traced), revert, expand, contract
 * (traced), revert, contract, with a catalogue snapshot after each step
 * compared with the one it must equal.
 */
#include <string.h>
#include <time.h>

#include "check/locktrace.h"
#include "check/shadow.h"
#include "check/snapshot.h"
#include "check/stages.h"

struct replay {
	struct arena *a;
	const struct check_options *o;
	struct check_report *r;
	struct check_shadow shadow;
	struct driver d;
	bool connected;
	struct lock_tracer *tracer;
	struct driver_settings settings;
	const struct migration *prev; /* the last migration applied before the current one */
	int64_t replay_ms, round_trip_ms;
	size_t replayed;      /* migrations whose both phases replayed */
	size_t round_tripped; /* migrations whose round trip ran to the end */
	const struct migration *stopped_at;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *phase_name(enum migration_section s)
{
	return migration_section_name(s);
}

static const char *revert_name(enum migration_section s)
{
	return s == SECTION_EXPAND ? "revert-expand" : "revert-contract";
}

/* The marker line of a section (1 for a file without markers). */
static int section_line(const struct migration *m, enum migration_section s)
{
	return m->sections[s].present && m->sections[s].marker_line ? m->sections[s].marker_line
								    : 1;
}

static int up(struct replay *rp, const struct migration *m, unsigned phases, bool traced,
	      struct mg_error *err)
{
	struct runner_options o;
	memset(&o, 0, sizeof(o));
	o.phases = phases;
	o.has_to = true;
	o.to = m->version;
	o.history_schema = rp->o->history_schema;
	if (traced)
		lock_tracer_attach(rp->tracer, &o);
	int applied;
	return runner_up(&rp->d, rp->a, rp->o->set, &o, &applied, err);
}

static int revert_one(struct replay *rp, struct mg_error *err)
{
	struct revert_options o;
	memset(&o, 0, sizeof(o));
	o.steps = 1;
	o.history_schema = rp->o->history_schema;
	int reverted;
	return runner_revert(&rp->d, rp->a, &o, &reverted, err);
}

/* A failure of the database, located where the database says, else at the section. */
static void report_error(struct replay *rp, enum check_stage_id stage, const char *rule,
			 const struct migration *m, enum migration_section s,
			 const struct mg_error *err, const char *what)
{
	bool located = err->file[0] && err->line > 0;
	check_report_add(rp->a, rp->r, stage, rule, LINT_ERROR, m, located ? err->file : m->path,
			 located ? err->line : section_line(m, s), located ? err->column : 1,
			 err->help[0]	  ? err->help
			 : err->hint[0]	  ? err->hint
			 : err->detail[0] ? err->detail
					  : NULL,
			 "%s failed: %s", what, err->message);
}

static int snapshot(struct replay *rp, const struct migration *m, struct check_snapshot *ret)
{
	struct mg_error err = MG_ERROR_INIT;
	if (snapshot_take(&rp->d, rp->a, rp->o->history_schema, ret, &err) == 0)
		return 0;
	check_report_add(rp->a, rp->r, CHECK_ROUND_TRIP, "snapshot-failed", LINT_ERROR, m, m->path,
			 1, 1, NULL, "reading the shadow database's catalogue failed: %s",
			 err.message);
	return -1;
}

/*
 * Compares got with want after a revert (or a second apply) of phase s.
 * Returns false and reports the difference when they differ.
 */
static bool same_schema(struct replay *rp, const struct migration *m, enum migration_section s,
			bool after_revert, const struct check_snapshot *want,
			const struct check_snapshot *got)
{
	size_t n;
	const char *diff = snapshot_diff(rp->a, want, got, after_revert ? "left behind" : "extra",
					 after_revert ? "removed" : "missing", &n);
	if (!diff)
		return true;
	enum migration_section rs =
	    s == SECTION_EXPAND ? SECTION_REVERT_EXPAND : SECTION_REVERT_CONTRACT;
	bool hand = m->sections[rs].present;
	struct check_finding *f;
	if (after_revert) {
		f = check_report_add(
		    rp->a, rp->r, CHECK_ROUND_TRIP, "revert-incomplete", LINT_ERROR, m, m->path,
		    section_line(m, hand ? rs : s), 1,
		    hand ? arena_printf(rp->a,
					"make the %s section undo everything the %s section "
					"does",
					revert_name(s), phase_name(s))
			 : arena_printf(rp->a,
					"the revert derived for this %s is not exact: write it "
					"by hand under '-- migrate:%s'",
					phase_name(s), revert_name(s)),
		    "%s%s did not bring the schema back to what it was before %s: %zu "
		    "difference%s",
		    hand ? "the hand-written " : "", revert_name(s), phase_name(s), n,
		    n == 1 ? "" : "s");
	} else {
		f = check_report_add(rp->a, rp->r, CHECK_ROUND_TRIP, "reapply-differs", LINT_ERROR,
				     m, m->path, section_line(m, s), 1, NULL,
				     "%s applied again after %s gave a different schema than the "
				     "first time: %zu difference%s",
				     phase_name(s), revert_name(s), n, n == 1 ? "" : "s");
	}
	f->detail = diff;
	return false;
}

/*
 * After a failed round trip the shadow is in no known state: build it again
 * from nothing up to m (expanded, or contracted too) so the next migrations
 * still get checked.
 */
static int rebuild(struct replay *rp, const struct migration *m, bool contracted,
		   struct mg_error *err)
{
	if (shadow_reset(&rp->d, err) < 0)
		return -1;
	if (rp->prev && up(rp, rp->prev, RUN_EXPAND | RUN_CONTRACT, false, err) < 0)
		return -1;
	if (up(rp, m, RUN_EXPAND, false, err) < 0)
		return -1;
	if (contracted && up(rp, m, RUN_CONTRACT, false, err) < 0)
		return -1;
	return seed_tables(&rp->d, rp->a, rp->o->history_schema, err);
}

/*
 * The round trip of one applied phase: revert (the schema must be as before
 * the phase), apply again (as after it). before/after are the snapshots
 * around the first apply.
 */
static bool round_trip(struct replay *rp, const struct migration *m, enum migration_section s,
		       const struct check_snapshot *before, const struct check_snapshot *after)
{
	struct mg_error err = MG_ERROR_INIT;
	struct check_snapshot now;
	enum migration_section rs =
	    s == SECTION_EXPAND ? SECTION_REVERT_EXPAND : SECTION_REVERT_CONTRACT;
	if (revert_one(rp, &err) < 0) {
		report_error(rp, CHECK_ROUND_TRIP, "revert-failed", m,
			     m->sections[rs].present ? rs : s, &err, revert_name(s));
		return false;
	}
	if (snapshot(rp, m, &now) < 0)
		return false;
	/* an enum value the phase added stays (PostgreSQL cannot drop one) */
	struct check_snapshot want = snapshot_after_revert(rp->a, before, after, &now);
	bool ok = same_schema(rp, m, s, true, &want, &now);
	mg_error_clear(&err);
	if (up(rp, m, s == SECTION_EXPAND ? RUN_EXPAND : RUN_CONTRACT, false, &err) < 0) {
		report_error(rp, CHECK_ROUND_TRIP, "reapply-failed", m, s, &err,
			     arena_printf(rp->a, "%s after %s", phase_name(s), revert_name(s)));
		return false;
	}
	if (snapshot(rp, m, &now) < 0)
		return false;
	return same_schema(rp, m, s, false, after, &now) && ok;
}

/* One traced phase; false (and the stop) when it fails. */
static bool replay_phase(struct replay *rp, const struct migration *m, enum migration_section s)
{
	struct mg_error err = MG_ERROR_INIT;
	if (lock_tracer_begin(rp->tracer, m, s, &err) < 0) {
		report_error(rp, CHECK_LOCK_TRACE, "replay-failed", m, s, &err, "the lock trace");
		return false;
	}
	int rc = up(rp, m, s == SECTION_EXPAND ? RUN_EXPAND : RUN_CONTRACT, true, &err);
	lock_tracer_end(rp->tracer);
	if (rc < 0) {
		report_error(rp, CHECK_REPLAY, "replay-failed", m, s, &err, phase_name(s));
		return false;
	}
	return true;
}

/*
 * The revert steps the history recorded for phase p (0 expand, 1 contract)
 * of mr's migration, for the report. Without them the proof still stands:
 * the round trip ran the revert either way.
 */
static void keep_revert(struct replay *rp, struct check_migration_result *mr, int p)
{
	struct mg_error err = MG_ERROR_INIT;
	struct history h = {0};
	if (rp->d.ops->history_load(&rp->d, rp->a, &h, &err) < 0)
		return;
	const struct history_entry *e = history_find(&h, mr->migration->version);
	if (e)
		mr->revert[p] = p == 0 ? e->revert_expand : e->revert_contract;
}

/* Every step of one migration; false when the pass cannot go on. */
static bool check_migration(struct replay *rp, struct check_migration_result *mr)
{
	const struct migration *m = mr->migration;
	struct mg_error err = MG_ERROR_INIT;
	struct check_snapshot before, expanded, contracted;
	int64_t t0 = now_ms(), spent0 = lock_tracer_spent_ms(rp->tracer);
	int64_t replay_ms = 0;
	bool ok = true;

	if (rp->o->say)
		rp->o->say(rp->o->say_ctx, "check: replaying %s", m->path);
	/* a failed seed only means fewer rows to scan */
	seed_tables(&rp->d, rp->a, rp->o->history_schema, &err);
	mg_error_clear(&err);
	if (snapshot(rp, m, &before) < 0)
		return false;
	mr->ran[CHECK_REPLAY] = mr->ran[CHECK_LOCK_TRACE] = true;
	int64_t t1 = now_ms();
	if (!replay_phase(rp, m, SECTION_EXPAND))
		return false;
	replay_ms += now_ms() - t1;
	if (snapshot(rp, m, &expanded) < 0)
		return false;
	mr->ran[CHECK_ROUND_TRIP] = true;
	keep_revert(rp, mr, 0);
	mr->round_trip[0] = CHECK_FAILED;
	if (round_trip(rp, m, SECTION_EXPAND, &before, &expanded)) {
		mr->round_trip[0] = CHECK_PASSED;
	} else {
		ok = false;
		if (rebuild(rp, m, false, &err) < 0) {
			report_error(rp, CHECK_ROUND_TRIP, "reapply-failed", m, SECTION_EXPAND,
				     &err,
				     "rebuilding the shadow database after the failed round trip");
			return false;
		}
	}
	t1 = now_ms();
	if (!replay_phase(rp, m, SECTION_CONTRACT))
		return false;
	replay_ms += now_ms() - t1;
	if (snapshot(rp, m, &contracted) < 0)
		return false;
	/*
	 * Without a contract section, a contract that left the catalogue as it
	 * was has nothing to undo: its round trip would compare equal snapshots.
	 */
	bool nothing_contracted = !m->sections[SECTION_CONTRACT].present &&
				  !snapshot_diff(rp->a, &expanded, &contracted, "", "", NULL);
	keep_revert(rp, mr, 1);
	mr->contract_unchanged = nothing_contracted;
	mr->round_trip[1] = nothing_contracted ? CHECK_SKIPPED : CHECK_FAILED;
	if (nothing_contracted || round_trip(rp, m, SECTION_CONTRACT, &expanded, &contracted)) {
		if (!nothing_contracted)
			mr->round_trip[1] = CHECK_PASSED;
	} else {
		ok = false;
		if (rebuild(rp, m, true, &err) < 0) {
			report_error(rp, CHECK_ROUND_TRIP, "reapply-failed", m, SECTION_CONTRACT,
				     &err,
				     "rebuilding the shadow database after the failed round trip");
			return false;
		}
	}
	int64_t traced = lock_tracer_spent_ms(rp->tracer) - spent0;
	mr->ms[CHECK_LOCK_TRACE] = traced;
	mr->ms[CHECK_REPLAY] = replay_ms > traced ? replay_ms - traced : 0;
	mr->ms[CHECK_ROUND_TRIP] = now_ms() - t0 - replay_ms;
	rp->replay_ms += mr->ms[CHECK_REPLAY];
	rp->round_trip_ms += mr->ms[CHECK_ROUND_TRIP];
	rp->replayed++;
	if (ok)
		rp->round_tripped++;
	return true;
}

/* The longest hold of the strongest lock the trace saw, for the stage's line. */
static const char *trace_summary(struct replay *rp)
{
	const struct check_report *r = rp->r;
	const struct check_traced_stmt *best_stmt = NULL;
	const struct check_lock *best = NULL;
	for (size_t i = 0; i < r->n_trace; i++)
		for (size_t k = 0; k < r->trace[i].n_locks; k++) {
			const struct check_lock *l = &r->trace[i].locks[k];
			if (!best || l->strength > best->strength ||
			    (l->strength == best->strength && l->held_ms > best->held_ms)) {
				best = l;
				best_stmt = &r->trace[i];
			}
		}
	const char *s =
	    arena_printf(rp->a, "%zu statement%s traced", r->n_trace, r->n_trace == 1 ? "" : "s");
	if (best && best->strength)
		s = arena_printf(rp->a,
				 "%s; strongest lock on a pre-existing table: %s on %s, "
				 "held %lld ms (%s:%d)",
				 s, best->mode, best->table, (long long)best->held_ms,
				 best_stmt->migration->path, best_stmt->line);
	return s;
}

static void skip_stage(struct check_report *r, enum check_stage_id s, const char *why)
{
	r->stages[s].status = CHECK_SKIPPED;
	r->stages[s].summary = why;
}

void check_replay(struct arena *a, const struct check_options *o, struct check_report *r)
{
	struct replay rp = {.a = a, .o = o, .r = r};
	struct mg_error err = MG_ERROR_INIT;
	int64_t t0 = now_ms();
	rp.settings = (struct driver_settings){
	    .history_schema = o->history_schema,
	    .lock_timeout_ms = o->lock_timeout_ms > 0 ? o->lock_timeout_ms : 2000,
	    .retries = 0,
	    .lock_wait_ms = 10000,
	    .who = o->who ? o->who : "migrate check",
	    .command = "migrate check",
	};
	if (o->say)
		o->say(o->say_ctx, "check: %s",
		       o->shadow_url ? "connecting to the shadow database"
				     : "starting a temporary PostgreSQL server");
	if (shadow_open(a, &rp.shadow, o->shadow_url, o->shadow_source, &rp.settings, &err) < 0 ||
	    driver_open(&rp.d, rp.shadow.url, &rp.settings, &err) < 0 ||
	    (!rp.shadow.fresh && shadow_claim(&rp.d, &err) < 0) ||
	    (!rp.shadow.fresh && shadow_reset(&rp.d, &err) < 0)) {
		if (err.code != 1) {
			char msg[sizeof(err.message)];
			snprintf(msg, sizeof(msg), "%s", err.message);
			mg_error_set(&err, 1, "shadow database unusable: %s", msg);
		}
		check_report_add(a, r, CHECK_REPLAY, "shadow-unavailable", LINT_ERROR, NULL, NULL,
				 0, 0, err.help[0] ? err.help : NULL, "%s", err.message);
		r->stages[CHECK_REPLAY].summary = "no shadow database";
		skip_stage(r, CHECK_ROUND_TRIP, "no shadow database");
		skip_stage(r, CHECK_LOCK_TRACE, "no shadow database");
		goto out;
	}
	rp.connected = true;
	r->shadow = rp.shadow.described;
	rp.tracer = lock_tracer_new(a, &rp.d, rp.shadow.url, &rp.settings, o->history_schema, r);

	size_t n_sql = 0;
	for (size_t i = 0; i < r->n_migrations; i++) {
		const struct migration *m = r->migrations[i].migration;
		if (!migration_is_sql(m) || !m->has_version)
			continue;
		n_sql++;
		if (rp.stopped_at)
			continue;
		if (!check_migration(&rp, &r->migrations[i])) {
			rp.stopped_at = m;
			continue;
		}
		rp.prev = m;
	}

	r->stages[CHECK_REPLAY].summary =
	    rp.stopped_at ? arena_printf(a, "stopped at %s: %zu of %zu migration%s replayed on %s",
					 rp.stopped_at->path, rp.replayed, n_sql,
					 n_sql == 1 ? "" : "s", rp.shadow.described)
			  : arena_printf(a, "%zu migration%s expanded and contracted on %s", n_sql,
					 n_sql == 1 ? "" : "s", rp.shadow.described);
	r->stages[CHECK_ROUND_TRIP].summary = arena_printf(
	    a,
	    "%zu of %zu migration%s: expand, revert, expand, contract, revert, contract "
	    "left the catalogue as it must be",
	    rp.round_tripped, n_sql, n_sql == 1 ? "" : "s");
	r->stages[CHECK_LOCK_TRACE].summary = trace_summary(&rp);
	r->stages[CHECK_LOCK_TRACE].duration_ms = lock_tracer_spent_ms(rp.tracer);
	r->stages[CHECK_ROUND_TRIP].duration_ms = rp.round_trip_ms;
out:
	lock_tracer_free(rp.tracer);
	if (rp.connected && !rp.shadow.fresh) {
		/* leave the named database as empty as it was given */
		struct mg_error ignore = MG_ERROR_INIT;
		shadow_reset(&rp.d, &ignore);
	}
	driver_close(&rp.d);
	shadow_close(&rp.shadow);
	/* what is not lock trace or round trip is replay: server start, seeding, applying */
	int64_t total = now_ms() - t0;
	int64_t other =
	    r->stages[CHECK_LOCK_TRACE].duration_ms + r->stages[CHECK_ROUND_TRIP].duration_ms;
	r->stages[CHECK_REPLAY].duration_ms = total > other ? total - other : 0;
}
