#ifndef MG_CMD_COMMON_H
#define MG_CMD_COMMON_H

#include "target/target.h"
#include "lint/lint.h"
#include "migration/config.h"
#include "migration/migration.h"

/* What every database verb needs: configuration, migrations, a connection. */
struct cmd_env {
	struct arena arena;
	struct config config;
	struct migration_set set;
	struct driver driver;
	bool connected;
	const char *dir;
	const char *history_schema;
	int lock_timeout_ms;
	int retries;
	int lock_wait_ms;
};

/* Loads migrate.conf and the migrations directory (when load_migrations). */
int cmd_env_init(struct cmd_env *env, bool load_migrations, struct mg_error *err);
/* Resolves the URL (announcing the embedded default on stderr) and connects. */
int cmd_env_connect(struct cmd_env *env, const char *command, struct mg_error *err);
void cmd_env_release(struct cmd_env *env);

/*
 * Lints the set for a command that is about to apply it; prints findings to
 * stderr. Errors in phases the database already ran do not count: to know
 * them it connects (as command) when it finds errors. Connected already, it
 * reads the history first, so that in-flight-conflict judges the pending
 * migrations against the ones in flight there; runs says which phases the
 * command applies (LINT_RUNS_EXPAND, LINT_RUNS_CONTRACT).
 */
int cmd_lint_before_apply(struct cmd_env *env, const char *command, unsigned runs,
			  struct mg_error *err);
/* Whether the URL the verb would connect to is PostgreSQL's (not SQLite's, nor MongoDB's). */
bool cmd_env_url_is_postgres(struct cmd_env *env);
/*
 * The database lint and check read (its release, its history, drift): --db,
 * else MIGRATE_TARGET_DB, which cmd/targets.c sets for each target's run
 * (kept off the command line, where ps would show its password); NULL: none.
 */
const char *cmd_named_db(void);

/*
 * The major release of the PostgreSQL server at url (a short connection of
 * its own); 0 for SQLite and MongoDB URLs. Fails as driver_open does (exit 3).
 */
int cmd_server_pg_version(struct arena *a, const char *url, const char *command, int *ret_major,
			  struct mg_error *err);

/* Whether a file of the set has this version. */
bool cmd_set_has_version(const struct migration_set *set, int64_t version);
/*
 * For a command that only reads, run on a database that does not exist yet:
 * a note on stderr that it was not created (nothing when it exists).
 */
void cmd_note_missing_database(const struct cmd_env *env);

/* Prints err and returns its exit code. */
int cmd_fail(const char *verb, const struct mg_error *err);

/* A progress line on stdout unless --quiet. */
void cmd_say(void *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
