#ifndef MG_TARGET_INVERSE_H
#define MG_TARGET_INVERSE_H

#include <stdbool.h>

#include "migration/migration.h"
#include "sql/parse.h"
#include "target/target.h"

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

#endif
