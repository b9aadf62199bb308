#ifndef MG_CHECK_STAGES_H
#define MG_CHECK_STAGES_H

#include "check/check.h"

/*
 * The stages after lint, each filling its part of the report. They never
 * fail the call: what goes wrong becomes findings of the stage.
 */

/* replay, round trip and lock trace, in one pass over a shadow database */
void check_replay(struct arena *a, const struct check_options *o, struct check_report *r);

/* the files against the shared database's history, read only */
void check_drift(struct arena *a, const struct check_options *o, struct check_report *r);

#endif
