#ifndef MG_PLAN_BRANCHES_H
#define MG_PLAN_BRANCHES_H

#include <stdbool.h>
#include <stdint.h>

#include "target/target.h"
#include "migration/migration.h"
#include "run/runner.h"

/*
 * Many branches, one shared database: the history holds migrations of other
 * checkouts (foreign: no file here) and this checkout may hold migrations
 * numbered below ones applied already (out of order). Neither blocks.
 */

/*
 * Judges the history against the files before up applies anything: a
 * foreign migration is noted (through o->say) and left as it is; an applied
 * file whose statements changed is drift (exit 2, unless o->allow_drift);
 * with o->strict_order, a pending migration numbered below an applied one is
 * refused (exit 2).
 */
int branches_judge(const struct history *h, const struct migration_set *set,
		   const struct runner_options *o, struct mg_error *err);

/* The highest version applied (in any phase) above m's, 0 when none: m runs out of order. */
int64_t branches_applied_above(const struct history *h, const struct migration *m);

/* Says, through o->say, that m is applied out of order when it is. */
void branches_say_out_of_order(const struct history *h, const struct migration *m,
			       const struct runner_options *o);

/*
 * Upgrades a history of layout 1 (whole-file checksums) once, in one
 * transaction: a row whose checksum is the current file's whole-file
 * checksum gets the statement checksum; any other row stays as it is (and
 * shows as drift). Then records layout 2. Nothing when the history has it.
 */
int branches_upgrade_checksums(struct driver *d, struct history *h, const struct migration_set *set,
			       struct mg_error *err);

/*
 * plan and up --dry-run: m is planned against the database as it is, which
 * lacks what earlier, not yet applied, migrations will make. Says so (each
 * line starting with prefix).
 */
void branches_say_unseen(runner_say_fn fn, void *ctx, const struct migration *m,
			 const struct migration *earlier, const char *prefix);
/*
 * A phase of m could not be planned: when an earlier migration is not applied
 * yet (earlier not NULL), says why instead and clears err (0: go on);
 * otherwise -1, err as it is.
 */
int branches_cannot_plan_yet(runner_say_fn fn, void *ctx, const struct migration *m,
			     const struct migration *earlier, const char *prefix,
			     struct mg_error *err);

/*
 * revert VERSION undoes target's applied phases while newer migrations stay:
 * refused (exit 2, naming the later migration and the object) when a phase
 * applied after target's expand uses, changes or drops what target created
 * or changed (an index on its column, a view reading it, a foreign key to its
 * table, a column added to its table), or creates what target dropped; or
 * when what one of them did is unknown (not recorded, and no unchanged file
 * in set, which may be NULL); or while another migration's revert is
 * interrupted. With undo_rebuilds_tables (driver_ops), a table target changed
 * in any way is the whole table: any later use of it depends on it.
 */
int branches_revert_check(struct arena *a, const struct history *h,
			  const struct history_entry *target, const struct migration_set *set,
			  bool undo_rebuilds_tables, struct mg_error *err);

/* The migration of set with that version, NULL when this checkout has none. */
const struct migration *branches_file_of(const struct migration_set *set, int64_t version);

#endif
