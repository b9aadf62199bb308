#ifndef MG_PLAN_INVERSE_SQLITE_H
#define MG_PLAN_INVERSE_SQLITE_H

#include "target/inverse.h"

/*
 * The SQLite side of the inverse builder: a PostgreSQL statement becomes the
 * SQLite steps that run it (target/sqlite/translate_sqlite.c) and the steps that undo
 * it, read from sqlite_master and pragma table_info right before it runs.
 *
 * What SQLite's ALTER TABLE cannot do (type change, SET/DROP NOT NULL,
 * SET/DROP DEFAULT, ADD/DROP CONSTRAINT, DROP COLUMN) goes through the
 * documented table rebuild (https://www.sqlite.org/lang_altertable.html#otheralter)
 * inside the phase's transaction. Every table-altering statement is undone
 * the same way: the table is rebuilt to the CREATE TABLE, indexes and
 * triggers it had before, with the rows copied back. A contract DROP TABLE
 * renames the table to _migrate_trash_v<version>_<table>; a DROP COLUMN
 * first copies (primary key or rowid, column) to
 * _migrate_trash_v<version>_<table>_<column>; both are listed in
 * _migrate_trash and come back on revert. A trash name longer than
 * NAMES_MAX_BYTES (63) is cut and ended with a hash of the whole
 * (names_make), one the registry gives to another object is made apart by
 * a hash of its source.
 *
 * The steps use two things only the SQLite driver provides: the function
 * migrate_fail(message), which fails the statement with that message, and
 * PRAGMA foreign_keys = OFF/ON, which the driver applies even inside a
 * transaction (where SQLite itself ignores the pragma).
 */

/* Before anything runs: can SQLite run this statement at all? Exit 2 with file:line when not. */
int inverse_sqlite_check(struct driver *d, struct arena *a, const struct sql_stmt *st,
			 struct mg_error *err);

int inverse_sqlite_before(const struct inverse_input *in, struct inverse_result *ret,
			  struct mg_error *err);
int inverse_sqlite_after(const struct inverse_input *in, struct inverse_result *ret,
			 struct mg_error *err);
/*
 * The forward steps alone, no undo: for a statement as written (STEP_SOURCE),
 * in a phase with a hand-written revert section or in that section itself.
 */
int inverse_sqlite_translate(const struct inverse_input *in, struct inverse_result *ret,
			     struct mg_error *err);

/* The trash table of a contract (column NULL for a dropped table). */
const char *sqlite_trash_name(struct arena *a, int64_t version, const char *table,
			      const char *column);

#endif
