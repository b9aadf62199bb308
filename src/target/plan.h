#ifndef MG_TARGET_PLAN_H
#define MG_TARGET_PLAN_H

#include <stdbool.h>

#include "target/target.h"
#include "migration/migration.h"
#include "sql/parse.h"

/*
 * What a target's planner (driver_ops.plan) hands the runner: an unsafe
 * intent written in the expand section becomes expand units that old and
 * new app versions can both live with, and contract units that finish it.
 * Units are plain SQL statements, so the inverse builder derives their
 * undo like any other statement's. PostgreSQL's planner is in
 * target/pg/planner.c.
 */

enum unit_flags {
	UNIT_ALONE = 1 << 0,		/* CONCURRENTLY: outside any transaction */
	UNIT_OWN_TRANSACTION = 1 << 1,	/* e.g. VALIDATE, apart from its ADD */
	UNIT_BACKFILL = 1 << 2,		/* batched UPDATE, see struct backfill */
	UNIT_WITH_NEXT = 1 << 3,	/* same transaction as the unit after it */
	UNIT_ENDS_TRANSACTION = 1 << 4, /* planner: the next unit starts a transaction */
	UNIT_TRASH_LOG = 1 << 5,	/* planner: a step of a contract's write log */
	UNIT_PLANNED = 1 << 6,		/* runner: made by the planner, not written in the file */
};

struct unit {
	struct sql_stmt stmt; /* AST of sql; location is the intent's in the file */
	const char *sql;
	unsigned flags;
	const struct backfill *backfill;
};

struct unit_list {
	struct unit *items;
	size_t n, alloc;
};

/* Adds a unit parsed from sql, located at `at`. */
int unit_add(struct arena *a, struct unit_list *l, const struct sql_stmt *at, const char *sql,
	     unsigned flags, const struct backfill *bf, struct mg_error *err);

struct backfill_progress {
	long long rows;
	long long total; /* estimate; 0 when unknown */
	double rate;	 /* rows per second */
	bool done;
};

typedef void (*backfill_progress_fn)(void *ctx, const struct backfill *bf,
				     const struct backfill_progress *p);

struct backfill_options {
	int batch_size;
	int batch_delay_ms;
	int retries;
	const char *history_schema;
	backfill_progress_fn progress;
	void *progress_ctx;
	int crash_after_batches; /* tests: SIGKILL after this many batches; 0 never */
	/* called before each batch, outside its transaction (--max-replica-lag); NULL: none */
	int (*throttle)(void *ctx, struct driver *d, struct mg_error *err);
	void *throttle_ctx;
};

/*
 * Runs a backfill in keyset batches, each its own short transaction under
 * lock_timeout; the cursor is kept in <history schema>.backfills so a run
 * that was interrupted continues where it stopped.
 */
int backfill_run(struct driver *d, struct arena *a, const struct backfill *bf, int64_t version,
		 int unit_index, const struct backfill_options *o, struct mg_error *err);

#endif
