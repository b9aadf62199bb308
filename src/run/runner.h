#ifndef MG_PLAN_RUNNER_H
#define MG_PLAN_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "target/phase.h"
#include "target/target.h"
#include "migration/migration.h"
#include "sql/parse.h"

/*
 * Applies and reverts phases through a driver: one transaction per phase
 * (or statement by statement when the phase holds CONCURRENTLY), every
 * statement under lock_timeout and retried with backoff on lock timeouts,
 * the inverse of each statement recorded in the history as it runs.
 */

struct revert_options {
	int steps; /* phases to undo; 0 with has_to */
	bool has_to;
	int64_t to;
	/*
	 * revert VERSION: that one migration's applied phases (contract, then
	 * expand) while newer ones stay, refused when a later one depends on it
	 * (plan/branches.c); set holds this checkout's files (NULL: none), which
	 * stand in for object sets a history did not record.
	 */
	bool has_version;
	int64_t version;
	const struct migration_set *set;
	bool dry_run;
	int retries;
	const char *history_schema;
	runner_say_fn say;
	void *say_ctx;
	/* the batched restores of a revert (values a contract removed) */
	int batch_size;
	int batch_delay_ms;
	void (*progress)(void *say_ctx, const char *label, long long rows, long long total,
			 double rate, bool done);
	int crash_after_batches; /* tests: kill -9 after this many batches */
	/* as runner_options.throttle: before each phase, each step of one run step by step
	 * and each batch of a restore */
	int (*throttle)(void *ctx, struct driver *d, struct mg_error *err);
	void *throttle_ctx;
};

/*
 * Checks history against the files: an applied migration whose file changed
 * (unless allow_drift) or vanished is bad input (exit 2).
 */
int runner_check_drift(const struct history *h, const struct migration_set *set, bool allow_drift,
		       struct mg_error *err);

/* Takes the run lock, applies what the options ask, releases the lock. */
int runner_up(struct driver *d, struct arena *a, const struct migration_set *set,
	      const struct runner_options *o, int *ret_applied, struct mg_error *err);
int runner_revert(struct driver *d, struct arena *a, const struct revert_options *o,
		  int *ret_reverted, struct mg_error *err);

/*
 * Prints (through say) the exact SQL each phase runs and the SQL that undoes
 * it: recorded steps for applied phases, hand-written revert sections, or
 * steps derived from the database as it is now. Changes nothing.
 */
int runner_plan(struct driver *d, struct arena *a, const struct migration_set *set, unsigned phases,
		bool has_version, int64_t version, const char *history_schema, runner_say_fn say,
		void *say_ctx, struct mg_error *err);

#endif
