#ifndef MG_HISTORY_JSON_H
#define MG_HISTORY_JSON_H

#include "driver/driver.h"

/*
 * Revert steps are kept in the history as a JSON array of
 * {"sql": "...", "flags": N, "file": "...", "line": N}: one format for every
 * driver (jsonb on PostgreSQL, text on SQLite).
 */
const char *steps_to_json(struct arena *a, const struct step_list *l);
int steps_from_json(struct arena *a, const char *json, struct step_list *ret, struct mg_error *err);

#endif
