#ifndef MG_CHECK_LOCKTRACE_H
#define MG_CHECK_LOCKTRACE_H

#include <stdint.h>

#include "check/check.h"
#include "target/target.h"
#include "run/runner.h"

/*
 * The lock trace: the runner's statement observers, on the shadow database.
 * Before and after each statement of a traced phase it reads, for every
 * table that existed before the migration, the locks its own backend holds
 * (pg_locks; inside a transaction they are held until commit, so what is new
 * since the previous statement is what this one took), the table's
 * relfilenode (a rewrite gives it a new one) and the transaction's sequential
 * scan count (pg_stat_get_xact_numscans). A statement that runs outside a
 * transaction (CONCURRENTLY) releases its locks before the observer after it
 * can look, so while it runs a second connection samples its backend's locks.
 *
 * An ACCESS EXCLUSIVE lock held across a rewrite or a full scan of a
 * pre-existing table is an error; a lock that blocks writes held across a
 * full scan is a warning. Sequential scans are disabled for the traced
 * transaction (enable_seqscan = off), so a scan the counter still sees is
 * one no index could serve: a full scan on a real table too. JIT goes off
 * with it: the cost that disabling sequential scans adds would make every
 * query compile.
 */
struct lock_tracer;

struct lock_tracer *lock_tracer_new(struct arena *a, struct driver *d, const char *url,
				    const struct driver_settings *settings,
				    const char *history_schema, struct check_report *report);

/*
 * Starts tracing one phase of m. For expand, the tables that exist now are
 * the pre-existing ones; contract traces the same tables (by name).
 */
int lock_tracer_begin(struct lock_tracer *t, const struct migration *m, enum migration_section s,
		      struct mg_error *err);
/* Sets the observers in o. */
void lock_tracer_attach(struct lock_tracer *t, struct runner_options *o);
/* The phase is over (committed or rolled back): closes what it held. */
void lock_tracer_end(struct lock_tracer *t);
/* Time spent observing, in ms. */
int64_t lock_tracer_spent_ms(const struct lock_tracer *t);
/* Statements traced so far. */
size_t lock_tracer_statements(const struct lock_tracer *t);
void lock_tracer_free(struct lock_tracer *t);

#endif
