#ifndef MG_DRIVER_MONGO_COMMANDS_H
#define MG_DRIVER_MONGO_COMMANDS_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#include "target/target.h"

/*
 * The commands the MongoDB driver sends for its own state (run lock, history,
 * events) and the reading of replies: pure functions, tested without a
 * server. Every returned bson_t is the caller's to bson_destroy().
 *
 * Collections, in the migrated database:
 *   _migrate_lock     {_id: "lock", owner, who, command, acquired_at, expires_at}
 *   _migrate_history  one document per migration, _id: version (int64)
 *   _migrate_events   append-only log of every up, revert and purge
 *   _migrate_trash    {_id: trash collection name, version, source, created_at}
 */

#define MONGO_LOCK_COLLECTION	     "_migrate_lock"
#define MONGO_HISTORY_COLLECTION     "_migrate_history"
#define MONGO_EVENTS_COLLECTION	     "_migrate_events"
#define MONGO_HISTORY_SCHEMA_VERSION 1

/* Server error codes the driver reads. */
enum mongo_error_code {
	MONGO_NAMESPACE_NOT_FOUND = 26,
	MONGO_INDEX_NOT_FOUND = 27,
	MONGO_NAMESPACE_EXISTS = 48,
	MONGO_DUPLICATE_KEY = 11000,
};

/*
 * Takes the run lock when nobody holds it or the holder's lease expired, in
 * one upsert judged by the server's clock ($$NOW): a live holder's document
 * does not match, and the upsert then fails on the unique _id (11000).
 */
bson_t *mongo_cmd_lock_acquire(const char *owner, const char *who, const char *command,
			       int64_t ttl_ms);
/* Extends the lease; it matches nothing when another run took the lock over. */
bson_t *mongo_cmd_lock_refresh(const char *owner, int64_t ttl_ms);
bson_t *mongo_cmd_lock_release(const char *owner);

/* Inserts or replaces a migration's history document; timestamps are the server's. */
bson_t *mongo_cmd_history_save(const struct history_entry *e);
bson_t *mongo_cmd_history_delete(int64_t version);
/* A history document back into an entry (strings and steps in a). */
int mongo_history_entry_read(struct arena *a, const bson_t *doc, struct history_entry *ret,
			     struct mg_error *err);

bson_t *mongo_cmd_event(const struct event *ev, const char *who, int64_t now_ms);

/*
 * A step's JSON text as the command to send and the database to send it to:
 * renameCollection goes to "admin" with both names qualified by database
 * (a name that already starts with "<database>." is kept as it is).
 */
int mongo_step_command(const struct step *s, const char *database, bson_t **ret_command,
		       const char **ret_database, struct mg_error *err);

/*
 * Errors a reply carries although the command itself succeeded: the first of
 * writeErrors, or writeConcernError. false when there is none.
 */
bool mongo_reply_error(const bson_t *reply, int32_t *ret_code, const char **ret_message);

/* Errors that say the work of a step is already done (MONGO_STEP_DONE_OK). */
bool mongo_code_means_done(int32_t code);

/* The "n" of a write command's reply: how many documents matched or were upserted. */
int64_t mongo_reply_n(const bson_t *reply);
/* the lock acquire's reply: upserted, or nModified >= 1 */
bool mongo_reply_lock_taken(const bson_t *reply);

/* Milliseconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ", in a. */
const char *mongo_time_text(struct arena *a, int64_t ms);

#endif
