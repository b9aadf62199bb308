#ifndef MG_TARGET_PG_INVERSE_PG_H
#define MG_TARGET_PG_INVERSE_PG_H

#include <stdbool.h>
#include <stdint.h>

#include "sql/parse.h"
#include "sql/quote.h"
#include "target/inverse.h"

/* PostgreSQL's inverse builder, resume and refusals (target/pg/inverse_pg.c, resume_pg.c,
 * refuse_pg.c). */

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

#endif
