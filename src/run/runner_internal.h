#ifndef MG_PLAN_RUNNER_INTERNAL_H
#define MG_PLAN_RUNNER_INTERNAL_H

#include <stdint.h>

#include "run/runner.h"

/* What the SQL runner (runner.c) and the MongoDB runner (runner_mongo.c) share. */

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
