#ifndef MG_TARGET_PHASE_H
#define MG_TARGET_PHASE_H

#include <stdbool.h>
#include <stdint.h>

#include "migration/migration.h"
#include "sql/parse.h"
#include "target/target.h"

/*
 * What the runner (run/) hands a target's phase hooks (struct target_format:
 * check, up, plan), and the helpers the SQL runner and a target's own runner
 * (target/mongo/runner_mongo.c) share. The helpers are defined in
 * run/runner.c; a target reaches them through this header alone, never
 * through run/.
 */

enum runner_phase_mask {
	RUN_EXPAND = 1,
	RUN_CONTRACT = 2,
};

/* How the runner tells the command what it does; the engine itself never prints. */
typedef void (*runner_say_fn)(void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct runner_options {
	unsigned phases; /* RUN_EXPAND | RUN_CONTRACT */
	bool has_to;
	int64_t to;
	bool dry_run;
	bool allow_drift;
	/* refuse (exit 2) a pending migration numbered below an applied one */
	bool strict_order;
	int retries;
	const char *history_schema;
	runner_say_fn say;
	void *say_ctx;
	/* backfills: rows per batch (default 1000), pause between batches */
	int batch_size;
	int batch_delay_ms;
	/* a backfill's progress: rows done of total (an estimate, 0 unknown), rows per second */
	void (*progress)(void *say_ctx, const char *label, long long rows, long long total,
			 double rate, bool done);
	/* for tests: stop (exit at once, as if killed) after this many statements; 0 = never */
	int crash_after;
	int crash_after_batches;
	/*
	 * Called outside any transaction before each backfill batch and before
	 * each planned step or phase transaction that takes locks (the replica
	 * lag wait, replica_lag_throttle in target/target.h); NULL: none.
	 */
	int (*throttle)(void *ctx, struct driver *d, struct mg_error *err);
	void *throttle_ctx;
	/*
	 * Observers of each statement (migrate check's lock trace): called in the
	 * statement's transaction right before and right after it runs. A
	 * non-zero return from after fails the phase with err filled.
	 */
	void *hook_ctx;
	int (*before_statement)(void *ctx, struct driver *d, const struct sql_stmt *st,
				struct mg_error *err);
	int (*after_statement)(void *ctx, struct driver *d, const struct sql_stmt *st,
			       int64_t elapsed_ms, struct mg_error *err);
};

/* Formats one progress line and hands it to fn (nothing when fn is NULL). */
void runner_say(runner_say_fn fn, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int64_t runner_now_ms(void);
/* Prepends block (in run order) to the revert list: later statements are undone first. */
void runner_revert_prepend(struct arena *a, struct step_list *revert,
			   const struct step_list *block);
/* The order number of the next phase applied: one more than any in the history. */
int64_t runner_next_seq(const struct history *h);
/* Which phases of m an up with these options runs, from its phase p in the history. */
void runner_phases_ahead(const struct runner_options *o, enum history_phase p, bool *ret_expand,
			 bool *ret_contract);
/* An event row; a failure to log is not the run's failure. */
void runner_log_event(struct driver *d, const char *command, int64_t version, const char *phase,
		      const char *outcome, const char *detail);

#endif
