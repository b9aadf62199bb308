#ifndef MG_HISTORY_JSON_H
#define MG_HISTORY_JSON_H

#include "target/target.h"

/*
 * Revert steps are kept in the history as a JSON array of
 * {"sql": "...", "flags": N, "file": "...", "line": N}: one format for every
 * driver (jsonb on PostgreSQL, text on SQLite).
 */
const char *steps_to_json(struct arena *a, const struct step_list *l);
int steps_from_json(struct arena *a, const char *json, struct step_list *ret, struct mg_error *err);

/*
 * A phase's object set as a JSON array of {"does": "created", "kind":
 * "column", "schema": "...", "table": "...", "name": "...", "via": "..."}
 * (schema, table and via only when set); NULL (SQL NULL) when not recorded.
 * Reading NULL gives a set that is not recorded.
 */
const char *objects_to_json(struct arena *a, const struct object_set *set);
int objects_from_json(struct arena *a, const char *json, struct object_set *ret,
		      struct mg_error *err);

/*
 * A history entry as the text parameters every SQL driver's upsert takes, in
 * this order: version, name, checksum, phase, applied_by, expand_seq,
 * contract_seq, steps_done, expand_ms, contract_ms (NULL before the phase
 * ran), then the revert and planned step lists as JSON, then the object sets
 * of expand and contract (NULL when not recorded).
 */
enum { HISTORY_PARAMS = 16 };
void history_entry_params(struct arena *a, const struct history_entry *e,
			  const char *ret_params[HISTORY_PARAMS]);

/*
 * History rows, as every SQL driver selects them, into entries: the columns in
 * the order history_entry_params() takes them, with the timestamps in place
 * of the parameters' steps/ms order (version, name, checksum, phase,
 * expanded_at, contracted_at, applied_by, expand_seq, contract_seq,
 * steps_done, expand_ms, contract_ms, revert_expand, revert_contract, then
 * planned_expand and planned_contract where the driver keeps them, then
 * objects_expand and objects_contract).
 */
int history_from_rows(struct arena *a, const struct driver_rows *rows, struct history *ret,
		      struct mg_error *err);

#endif
