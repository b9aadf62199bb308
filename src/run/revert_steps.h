#ifndef MG_PLAN_REVERT_STEPS_H
#define MG_PLAN_REVERT_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run/runner.h"

/* Does this revert run step by step (CONCURRENTLY, a VALIDATE of its own, a batched restore)? */
bool revert_steps_stepwise(const struct step_list *l);

/*
 * Runs a revert's steps step by step (see revert_steps.c), from where an
 * earlier run of the same revert stopped. *ret_stopped: the step it stopped at.
 */
int revert_steps_run(struct driver *d, struct arena *a, const struct revert_options *o,
		     int64_t version, bool contract, const struct step_list *steps,
		     size_t *ret_stopped, struct mg_error *err);

/* Forgets how far the revert got: it is done (in the transaction that records it). */
int revert_steps_forget(struct driver *d, struct arena *a, const struct revert_options *o,
			int64_t version, bool contract, struct mg_error *err);

/*
 * What revert --dry-run and plan say after a revert step: how it runs, or the
 * long lock it takes and why ("" for a short step).
 */
const char *revert_step_note(const struct driver_ops *ops, const struct step *s);

#endif
