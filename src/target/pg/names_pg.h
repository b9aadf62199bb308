#ifndef MG_TARGET_PG_NAMES_PG_H
#define MG_TARGET_PG_NAMES_PG_H

#include <stdint.h>

#include "target/target.h"
#include "util/arena.h"

/*
 * PostgreSQL: a name a later command must find again is recorded where it is
 * made, on the function of the planner's trigger that lives exactly as long
 * as the name matters (a type change's sync trigger for its shadow column, a
 * contract's write-log trigger for its log table): a comment
 * {"migrate": kind, "column": column, "name": name, "version": version},
 * set in the transaction that creates the function and gone with it. The
 * history's planned steps hold the same statement.
 *
 * names_pg_record() is that COMMENT statement (function: its qualified,
 * quoted name); names_pg_recorded() reads back, into ret (one column:
 * name), what the triggers of rel record for kind and column (version 0:
 * of any migration), in the order of the triggers' names.
 */
#define NAMES_KIND_SHADOW "shadow" /* a type change's new-type column */
#define NAMES_KIND_RENAME "rename" /* a rename's new column (written by the user) */
#define NAMES_KIND_LOG	  "log"	   /* a contract's write log, in migrate_trash */

const char *names_pg_record(struct arena *a, const char *function, const char *kind,
			    const char *column, const char *name, int64_t version);
int names_pg_recorded(struct driver *d, struct arena *a, const char *rel, const char *kind,
		      const char *column, int64_t version, struct driver_rows *ret,
		      struct mg_error *err);

/*
 * The same, as SQL text to splice into a catalogue query: the recorded names,
 * rows (name, kind, column, version, trigger), of the triggers of the
 * relation whose oid is the SQL expression rel_oid. A function with no
 * record (one made before names were recorded) gives no row.
 */
const char *names_pg_recorded_sql(struct arena *a, const char *rel_oid);

/* In a printf format: does this comment of a function hold a record (names_pg_record)? */
#define NAMES_PG_IS_RECORD(comment_sql) "coalesce(" comment_sql " LIKE '{\"migrate\": %%', false)"

/*
 * The name PostgreSQL gives name1_name2_label itself (its makeObjectName):
 * the longer of the two names cut until the whole fits 63 bytes.
 */
const char *names_pg_object(struct arena *a, const char *name1, const char *name2,
			    const char *label);

#endif
