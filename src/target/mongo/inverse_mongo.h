#ifndef MG_PLAN_INVERSE_MONGO_H
#define MG_PLAN_INVERSE_MONGO_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#include "target/target.h"
#include "migration/migration.h"
#include "target/inverse.h"

/*
 * Inverses of MongoDB commands. The builder is a pure function of the
 * command and of what the database held right before it (read by the driver
 * with listCollections and listIndexes), so it is tested without a server.
 * Steps are commands in relaxed Extended JSON, flagged STEP_NO_TRANSACTION:
 * MongoDB runs DDL outside transactions, one command at a time.
 */

/*
 * On a MongoDB step: an error that says the work is already done (namespace
 * or index not found, namespace exists, duplicate key) counts as success.
 * Revert steps carry it, so a revert that stopped half-way can run again
 * from its start; so does a command that an interrupted run may have done.
 */
#define MONGO_STEP_DONE_OK (1u << 8)

/* Where contract drops keep what they removed, one document per trash collection. */
#define MONGO_TRASH_REGISTRY "_migrate_trash"

/* What the database held right before a command, about the collection it names. */
struct mongo_state {
	bool exists;
	bool is_view;
	const bson_t *options;	      /* listCollections' "options"; NULL when none */
	const bson_t *const *indexes; /* listIndexes: one spec each */
	size_t n_indexes;
	int64_t now_ms; /* wall clock, ms since the epoch: when the trash was filled */
};

struct mongo_inverse_input {
	const bson_t *command;
	enum migration_section section; /* expand or contract */
	int64_t version;
	const char *file; /* where the command stands, for the steps and for errors */
	int line;
	int column;
	bool resuming; /* an interrupted run may have done this command already */
	const struct mongo_state *state;
};

/*
 * Statically, for lint: can the command be undone without a hand-written
 * revert section? target_is_new: its collection was created earlier in the
 * same migration (its documents go when the collection does).
 */
enum inverse_class mongo_inverse_classify(const bson_t *command, bool target_is_new,
					  const char **ret_reason);

/*
 * What the command becomes when applied (forward: a contract drop renames the
 * collection into the trash, an insert gets the _ids it lacks) and what undoes
 * it (inverse, in run order). A command whose undo cannot be derived fails
 * (exit 2) at file:line; data changes lint already refused get no inverse.
 */
int mongo_inverse_build(struct arena *a, const struct mongo_inverse_input *in,
			struct step_list *ret_forward, struct step_list *ret_inverse,
			struct mg_error *err);

/* "_migrate_trash_v<version>_<collection>", cut to 63 bytes with a hash of the whole (names_make)
 */
const char *mongo_trash_name(struct arena *a, int64_t version, const char *collection);

/* The name the server gives an index without one: {"a": 1, "b": -1} -> "a_1_b_-1". */
const char *mongo_index_default_name(struct arena *a, const bson_t *key);

/* True when two index key patterns are the same ({"a": 1} and {"a": 1.0} are). */
bool mongo_index_keys_equal(const bson_t *x, const bson_t *y);

#endif
