#ifndef MG_CHECK_STAGES_H
#define MG_CHECK_STAGES_H

#include "check/check.h"

/*
 * The stages after lint, each filling its part of the report. They never
 * fail the call: what goes wrong becomes findings of the stage.
 */

/* replay, round trip and lock trace, in one pass over a shadow database */
void check_replay(struct arena *a, const struct check_options *o, struct check_report *r);

/*
 * Opens the shared database (o->db_url) in a read-only session and reads its
 * history (empty when it has none; *ret_exists says whether it does). Fails
 * with the reason, d closed or never opened; otherwise the caller closes d.
 */
int check_shared_open(struct arena *a, const struct check_options *o, struct driver *d,
		      struct history *ret, bool *ret_exists, struct mg_error *err);

/* the files against the shared database's history, read only */
void check_drift(struct arena *a, const struct check_options *o, struct check_report *r);

#endif
