#ifndef MG_TARGET_MONGO_RUNNER_MONGO_H
#define MG_TARGET_MONGO_RUNNER_MONGO_H

#include "target/phase.h"

/*
 * Phases of MongoDB migrations (kind MIGRATION_JSON). MongoDB runs DDL
 * outside transactions, so a phase goes command by command: the history
 * records how far it got (steps_done) and the undo so far after each
 * command, and an interrupted run resumes where it stopped, like a
 * PostgreSQL phase with CONCURRENTLY. Revert needs nothing of its own: the
 * recorded undo steps are commands the driver runs one by one.
 */

/*
 * Applies what o asks of one migration (expand and/or contract), called by
 * runner_up in version order with the run lock held; h is updated. Other
 * drivers leave MongoDB migrations alone (as before this runner existed).
 */
int runner_mongo_up(struct driver *d, struct arena *a, const struct runner_options *o,
		    struct history *h, const struct migration *m, int *ret_applied,
		    struct mg_error *err);

/*
 * Before anything runs (runner_up): refuses (exit 2, at the command's
 * file:line) what the engine behind the target cannot run in the phases
 * ahead. On DocumentDB: collMod prepareUnique (the unique conversion).
 */
int runner_mongo_check(struct driver *d, struct arena *a, const struct migration_set *set,
		       const struct history *h, const struct runner_options *o,
		       struct mg_error *err);

/*
 * Prints a migration's commands per phase and what undoes them (see
 * runner_plan), then a blank line, and sets *ret_found; other drivers print
 * nothing.
 */
int runner_mongo_plan(struct driver *d, struct arena *a, const struct migration *m,
		      const struct history_entry *e, unsigned phases, runner_say_fn say,
		      void *say_ctx, bool *ret_found, struct mg_error *err);

#endif
