#ifndef MG_PLAN_RUNNER_SIGNAL_H
#define MG_PLAN_RUNNER_SIGNAL_H

#include <stdbool.h>

#include "util/error.h"

/*
 * What the runner does when SIGINT or SIGTERM arrived (util/interrupt.h):
 * it checks between steps and batches, and after a failure (the signal
 * handler cancelled the running statement), whether to stop.
 */

/* A signal arrived: stop before the next step. */
bool runner_interrupted(void);

/*
 * Fills err for a step that did not run because of the signal (the caller
 * rolls back and then calls runner_interrupt_explain). Returns -1.
 */
int runner_interrupt_stop(struct mg_error *err);

/*
 * Turns err (the cancelled statement's failure, or runner_interrupt_stop's)
 * into the interrupted run's error: code 130 or 143, message "interrupted
 * (SIGINT): <what>", the server's own message kept as a note. Returns -1.
 */
int runner_interrupt_explain(struct mg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
