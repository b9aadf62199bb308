#ifndef MG_CHECK_SHADOW_H
#define MG_CHECK_SHADOW_H

#include <stdbool.h>
#include <sys/types.h>

#include "target/target.h"
#include "util/arena.h"
#include "util/error.h"

/*
 * The throwaway database replay runs on. Either one the user named (an empty
 * database check may destroy) or a temporary PostgreSQL server that check
 * starts itself with initdb. Where it can, check creates a fresh database per
 * run on that server and drops it at the end; otherwise it empties the named
 * database by dropping and recreating its schemas.
 */
struct check_shadow {
	struct arena *arena;
	const char *url;	/* the database replay uses */
	const char *described;	/* how it may be printed (no password) */
	const char *admin_url;	/* the server's database check connected to first */
	const char *created_db; /* dropped at the end; NULL when check uses the one named */
	bool fresh;		/* created for this run: nothing to empty first or last */
	char *tmpdir;		/* the temporary server's directory, removed at the end */
	pid_t postmaster;	/* the temporary server, stopped at the end */
	struct driver_settings settings;
};

/*
 * Opens the shadow: url (from source, for messages) when given, else a
 * temporary server. Fails with exit 1 and a message that says how to give
 * check a shadow database when neither works.
 */
int shadow_open(struct arena *a, struct check_shadow *s, const char *url, const char *source,
		const struct driver_settings *settings, struct mg_error *err);

/*
 * Waits until no other check uses the named database (a session advisory
 * lock, released when d disconnects): two pipelines given one database take
 * turns instead of emptying it under each other.
 */
int shadow_claim(struct driver *d, struct mg_error *err);

/* Empties the replay database: drops every schema but the system ones, recreates public. */
int shadow_reset(struct driver *d, struct mg_error *err);

/* Drops the database check created, stops the temporary server, removes its files. */
void shadow_close(struct check_shadow *s);

/* conninfo (a URL or key=value string) with dbname replaced; NULL when it does not parse. */
const char *conninfo_with_dbname(struct arena *a, const char *conninfo, const char *dbname);

#endif
