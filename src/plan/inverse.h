#ifndef MG_PLAN_INVERSE_H
#define MG_PLAN_INVERSE_H

#include <stdbool.h>

#include "target/target.h"
#include "lint/catalog.h"
#include "migration/migration.h"
#include "sql/parse.h"
#include "sql/quote.h"

/*
 * Inverses: for every statement a phase applies, the steps that undo it.
 *
 * Statically (lint), inverse_classify() tells whether a statement can be
 * undone without a hand-written revert section. At apply time, the driver's
 * inverse builder reads the live catalogue just before the statement runs
 * (previous comment, column type, index definition, ...) and produces the
 * undo steps; it may also replace the statement (a contract DROP TABLE moves
 * the table to migrate_trash instead).
 */

enum inverse_class {
	INVERSE_DERIVED,      /* undone by generated steps */
	INVERSE_NOTHING,      /* nothing to undo (SELECT, data in objects this migration made) */
	INVERSE_IRREVERSIBLE, /* needs a hand-written revert section */
};

/* reason is set for INVERSE_IRREVERSIBLE. */
enum inverse_class inverse_classify(const PgQuery__Node *stmt, const struct catalog *cat, int order,
				    enum migration_section section, const char **ret_reason);

/* What one statement becomes at apply time. */
struct inverse_result {
	struct step_list forward; /* what to run for the statement, in order */
	struct step_list inverse; /* what undoes it, in order */
	void *pending;		  /* builder state kept between before and after */
	const char *note;	  /* for the user: what the target skipped and why (or NULL) */
};

struct inverse_input {
	struct driver *driver;
	struct arena *arena;
	const struct migration *migration;
	enum migration_section section; /* expand or contract */
	const struct sql_stmt *stmt;
	const char *sql; /* the statement's text as written */
	unsigned flags;	 /* STEP_* flags of the statement */
	const char *history_schema;
	bool resuming; /* the statement may have run before an interruption */
};

/*
 * PostgreSQL: called in the phase's transaction (or before a step that runs
 * alone) right before the statement; inverse_pg_after() right after it ran,
 * to pick up names PostgreSQL chose (unnamed constraints and indexes).
 */
int inverse_pg_before(const struct inverse_input *in, struct inverse_result *ret,
		      struct mg_error *err);
int inverse_pg_after(const struct inverse_input *in, struct inverse_result *ret,
		     struct mg_error *err);
/* A failed CREATE INDEX CONCURRENTLY leaves an invalid index: drop it. */
void inverse_pg_statement_failed(const struct inverse_input *in);

/*
 * PostgreSQL (target/pg/resume_pg.c): before a step outside a transaction runs
 * again on resume (it may have run, or been cut off midway, before the run
 * was killed): skips a concurrent build whose index is there and valid, drops
 * the invalid index a cut-off build left, skips a DROP INDEX of an index
 * that is gone.
 */
/*
 * PostgreSQL (target/pg/refuse_pg.c), before anything runs: refuses (exit 2) a
 * DROP TABLE of a table another table's foreign key references, unless the
 * migration drops that key (or that table) before it.
 */
int refuse_pg_check(struct driver *d, struct arena *a, const struct sql_stmt *st,
		    struct mg_error *err);

int resume_pg_step(struct driver *d, struct arena *a, const struct step *s, bool *ret_skip,
		   struct mg_error *err);

/*
 * PostgreSQL's trash: migrate_trash.v<version>_<table>_<column> keeps a
 * dropped column's values by primary key (column NULL: a dropped table),
 * made to fit by names_make and kept apart from another's by the registry
 * (migrate.trash). Its write log, migrate_trash.w<version>_<table>_<column>_
 * <hash> (names_make_apart), is made by the planner before a contract drops
 * a column the app still writes (through a sync trigger): the rows written
 * while the trash copy runs, whose values the copy cannot see, are kept
 * there, and revert lays them over the copy. The planner records the log's
 * name (names_pg_record); pg_trash_log_name is the name a log had before,
 * for logs made then.
 */
#define PG_TRASH_SCHEMA "migrate_trash"
const char *pg_trash_name(struct arena *a, int64_t version, const char *table, const char *column);
const char *pg_trash_log_name(struct arena *a, int64_t version, const char *table,
			      const char *column);

/* The columns of rel's primary key, in column order (no rows: it has none). */
int pg_primary_key_columns(struct driver *d, struct arena *a, const char *rel,
			   struct driver_rows *ret, struct mg_error *err);

/*
 * The name PostgreSQL gives an unnamed index: table_col1_col2_idx, then idx1,
 * idx2, ... for the first that is free (resuming: the first, which the
 * interrupted run took).
 */
const char *pg_choose_index_name(struct driver *d, struct arena *a, const PgQuery__IndexStmt *is,
				 bool resuming, struct mg_error *err);

/*
 * ALTER INDEX parent ATTACH PARTITION child (an index on a partitioned table
 * built partition by partition). Its undo drops the parent index, which takes
 * the attached ones along: the undo of the children's builds, which run
 * after it, find nothing left.
 */
bool inverse_is_index_attach(const PgQuery__AlterTableStmt *as);

#endif
