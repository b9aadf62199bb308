/*
 * The SQLite driver: the embedded default. One database file, its history in
 * _migrate_history and _migrate_events, what contracts removed in
 * _migrate_trash_* tables listed in _migrate_trash.
 *
 * A database file that does not exist is not created by a command that
 * only reads (status, plan, revert, up --dry-run): until something writes,
 * the connection is to an empty in-memory database, which is what the file
 * would hold, and d->missing_file names the file. The first write
 * (history_ensure, begin, a history or event row) takes the run lock that
 * lock() was asked for meanwhile, then creates the file.
 *
 * The run lock. A phase commits on its own, so the lock cannot be a write
 * transaction on the database itself. It is one on a sidecar database,
 * .NAME.migrate-lock beside the database NAME, held by a second connection
 * from lock() to unlock(): BEGIN IMMEDIATE takes SQLite's RESERVED lock
 * there, which one connection at a time may hold; a second migrate waits in
 * SQLite's busy handler up to lock_wait_ms and then fails with exit 4. The
 * operating system drops the lock with the process, so a killed run leaves
 * none behind. Before taking it for good, the holder commits who it is into
 * the sidecar, so the one that waits can name it.
 *
 * The sidecar stays when the run ends: a migrate waiting on it has it open,
 * and if the holder removed it, the waiter would get the lock on the removed
 * file while a third run created a new one and took the lock there too. It
 * is a hidden file with a name that one .gitignore line (*.migrate-lock)
 * covers.
 */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "target/target.h"
#include "target/history_json.h"
#include "target/sqlite/inverse_sqlite.h"
#include "sql/parse.h"
#include "target/sqlite/translate_sqlite.h"
#include "util/interrupt.h"
#include "util/strbuf.h"

#define HISTORY_SCHEMA_VERSION	    HISTORY_LAYOUT_CURRENT
#define HISTORY_SCHEMA_VERSION_TEXT "3"
#define LOCK_TIMEOUT_STATE	    "55P03"
#define NOW_SQL			    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

struct sqlite {
	sqlite3 *db;
	sqlite3 *lock_db; /* the sidecar that holds the run lock */
	struct arena arena;
	const char *path;
	const char *url;
	bool locked;
	bool lock_wanted; /* lock() came while the file did not exist: taken when it is made */
};

static struct sqlite *sq_of(struct driver *d)
{
	return d->impl;
}

/* migrate_fail(message): fails the statement with message (checks in the steps use it). */
static void sq_fail_function(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *msg = argc ? sqlite3_value_text(argv[0]) : NULL;
	sqlite3_result_error(ctx, msg ? (const char *)msg : "migrate_fail", -1);
}

/* --verbose: SQLite reports each statement when it ends, with the time it ran. */
static int sq_trace(unsigned type, void *ctx, void *p, void *x)
{
	const struct driver *d = ctx;
	if (type == SQLITE_TRACE_PROFILE && d->settings.trace)
		d->settings.trace(d->settings.trace_ctx, sqlite3_sql((sqlite3_stmt *)p),
				  (double)*(const sqlite3_int64 *)x / 1e6);
	return 0;
}

static void sq_trace_on(struct driver *d, sqlite3 *db)
{
	if (d->settings.trace)
		sqlite3_trace_v2(db, SQLITE_TRACE_PROFILE, sq_trace, d);
}

/* Fills err from the connection's last error; busy and locked stand for a lock timeout. */
static int sq_error(struct driver *d, sqlite3 *db, int rc, const struct step *s,
		    struct mg_error *err)
{
	const char *msg = sqlite3_errmsg(db);
	if (s && s->file)
		mg_error_set_at(err, 3, s->file, s->line, s->column, "%s", msg);
	else
		mg_error_set(err, 3, "%s", msg);
	int primary = rc & 0xff;
	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", LOCK_TIMEOUT_STATE);
		mg_error_set_help(err,
				  "another connection writes to %s; retried with backoff "
				  "(--retries)",
				  d->url_redacted);
	} else if (primary == SQLITE_CONSTRAINT) {
		snprintf(err->sqlstate, sizeof(err->sqlstate), "23000");
	}
	return -1;
}

/* Runs sql (one or more statements, no parameters) and expects success. */
static int sq_run(struct driver *d, sqlite3 *db, const char *sql, struct mg_error *err)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sq_error(d, db, rc, NULL, err);
}

static void sq_set_flag(sqlite3 *db, const char *pragma, bool on)
{
	char sql[96];
	snprintf(sql, sizeof(sql), "PRAGMA %s = %s", pragma, on ? "ON" : "OFF");
	sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static const char *url_path(const char *url)
{
	const char *p = url + strlen("sqlite:");
	/* sqlite://relative and sqlite:///absolute as well as sqlite:PATH */
	if (strncmp(p, "//", 2) == 0)
		p += 2;
	return p;
}

/* Called from the SIGINT/SIGTERM handler: the running statement stops with SQLITE_INTERRUPT. */
static void sq_cancel_running(void *ctx)
{
	struct sqlite *sq = ctx;
	sqlite3 *db = sq->db;
	if (db)
		sqlite3_interrupt(db);
}

/* Opens path (":memory:" for the stand-in of a missing file) the way every run has it. */
static int sq_open(struct driver *d, const char *path, int flags, struct mg_error *err)
{
	struct sqlite *sq = sq_of(d);
	int rc = sqlite3_open_v2(path, &sq->db, flags, NULL);
	if (rc != SQLITE_OK) {
		mg_error_set(err, 3, "cannot open %s: %s", sq->url,
			     sq->db ? sqlite3_errmsg(sq->db) : "out of memory");
		mg_error_set_help(err, "check that the directory exists and can be written");
		return -1;
	}
	sqlite3_extended_result_codes(sq->db, 1);
	interrupt_set_cancel(sq_cancel_running, sq);
	sq_trace_on(d, sq->db);
	/* lock_timeout: how long one statement waits for another writer */
	sqlite3_busy_timeout(sq->db, d->settings.lock_timeout_ms);
	sqlite3_create_function(sq->db, "migrate_fail", 1, SQLITE_UTF8, NULL, sq_fail_function,
				NULL, NULL);
	if (sq_run(d, sq->db, "PRAGMA foreign_keys = ON", err) < 0) {
		mg_error_set(err, 3, "cannot open %s: %s", sq->url, err->message);
		return -1;
	}
	return 0;
}

static int sq_connect(struct driver *d, const char *url, struct mg_error *err)
{
	struct sqlite *sq = calloc(1, sizeof(*sq));
	if (!sq)
		return mg_error_set(err, 3, "out of memory");
	d->impl = sq;
	arena_init(&sq->arena);
	d->url_redacted = arena_strdup(&sq->arena, url);
	sq->url = d->url_redacted;
	const char *path = url_path(url);
	if (!*path) {
		mg_error_set(err, 2, "no file in '%s'", url);
		mg_error_set_help(err, "name one: --db sqlite:app.db");
		return -1;
	}
	sq->path = arena_strndup(&sq->arena, path, strcspn(path, "?"));
	if (sqlite3_libversion_number() < 3039000)
		return mg_error_set(err, 3, "SQLite %s is too old: migrate needs 3.39 or newer",
				    sqlite3_libversion());
	struct stat st;
	if (strcmp(sq->path, ":memory:") != 0 && stat(sq->path, &st) < 0 && errno == ENOENT) {
		d->missing_file = sq->path;
		return sq_open(d, ":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
	}
	return sq_open(d, sq->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
}

static int sq_lock_take(struct driver *d, struct mg_error *err);

/*
 * Before the first write, when the file was missing at connect: the run lock
 * asked for meanwhile is taken, then the file is created. Nothing was read
 * from the stand-in that the write depends on: the runner reads the history
 * after history_ensure.
 */
static int sq_create_file(struct driver *d, struct mg_error *err)
{
	struct sqlite *sq = sq_of(d);
	if (!d->missing_file)
		return 0;
	/* where it cannot be created, say so about the database, not its sidecar */
	const char *slash = strrchr(sq->path, '/');
	const char *dir = !slash ? "."
			  : slash == sq->path
			      ? "/"
			      : arena_strndup(&sq->arena, sq->path, (size_t)(slash - sq->path));
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		mg_error_set(err, 3, "cannot open %s: no directory '%s'", sq->url, dir);
		mg_error_set_help(err, "check that the directory exists and can be written");
		return -1;
	}
	/* the lock first: a run that times out waiting for it creates no database */
	if (sq->lock_wanted) {
		sq->lock_wanted = false;
		if (sq_lock_take(d, err) < 0)
			return -1;
	}
	sqlite3 *old = sq->db;
	sq->db = NULL; /* the signal handler reads it */
	sqlite3_close(old);
	d->missing_file = NULL;
	return sq_open(d, sq->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
}

static void sq_disconnect(struct driver *d)
{
	struct sqlite *sq = sq_of(d);
	if (!sq)
		return;
	interrupt_set_cancel(NULL, NULL);
	if (sq->lock_db)
		sqlite3_close(sq->lock_db);
	if (sq->db)
		sqlite3_close(sq->db);
	arena_release(&sq->arena);
	free(sq);
	d->impl = NULL;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Who holds the lock, as the holder wrote it into the sidecar. */
static void sq_lock_holder(struct driver *d, struct mg_error *err)
{
	struct sqlite *sq = sq_of(d);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(sq->lock_db,
			       "SELECT command, who, pid, since FROM holder WHERE id = 1", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		int pid = sqlite3_column_int(st, 2);
		mg_error_set(err, 4,
			     "another migrate holds the lock on %s: '%s' by %s (pid %d, since %s)",
			     d->url_redacted, (const char *)sqlite3_column_text(st, 0),
			     (const char *)sqlite3_column_text(st, 1), pid,
			     (const char *)sqlite3_column_text(st, 3));
		/* the operating system drops the lock with its process: a holder
		 * whose pid is gone here runs on another host sharing the file */
		if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
			mg_error_add_note(err, "note", "process %d is running on this host", pid);
		else
			mg_error_add_note(err, "note",
					  "no process %d on this host: the holder runs on another "
					  "host that shares the file",
					  pid);
	} else
		mg_error_set(err, 4, "another migrate holds the lock on %s", d->url_redacted);
	mg_error_set_help(err, "wait for it to finish, or raise --lock-wait");
	sqlite3_finalize(st);
}

/* .NAME.migrate-lock in the directory of the database NAME. */
static const char *sq_lock_path(struct sqlite *sq)
{
	const char *slash = strrchr(sq->path, '/');
	const char *name = slash ? slash + 1 : sq->path;
	return arena_printf(&sq->arena, "%.*s.%s.migrate-lock", (int)(name - sq->path), sq->path,
			    name);
}

static int sq_lock(struct driver *d, struct mg_error *err)
{
	struct sqlite *sq = sq_of(d);
	if (strcmp(sq->path, ":memory:") == 0 || !*sq->path)
		return 0; /* a private database: nobody else can run against it */
	if (d->missing_file) {
		/* nothing to guard yet, and a run that only reads must create nothing */
		sq->lock_wanted = true;
		return 0;
	}
	return sq_lock_take(d, err);
}

static int sq_lock_take(struct driver *d, struct mg_error *err)
{
	struct sqlite *sq = sq_of(d);
	const char *lock_path = sq_lock_path(sq);
	if (!sq->lock_db &&
	    sqlite3_open_v2(lock_path, &sq->lock_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		mg_error_set(err, 3, "cannot open the lock file %s: %s", lock_path,
			     sq->lock_db ? sqlite3_errmsg(sq->lock_db) : "out of memory");
		return -1;
	}
	sq_trace_on(d, sq->lock_db);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	char *who = sqlite3_mprintf(
	    "CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY, command TEXT, who TEXT, "
	    "pid INTEGER, since TEXT);"
	    "INSERT OR REPLACE INTO holder VALUES (1, %Q, %Q, %d, datetime('now') || 'Z');",
	    d->settings.command ? d->settings.command : "migrate",
	    d->settings.who ? d->settings.who : "unknown", (int)getpid());
	int rc = -1;
	for (;;) {
		long left = d->settings.lock_wait_ms - elapsed_ms(&start);
		sqlite3_busy_timeout(sq->lock_db, left > 0 ? (int)left : 0);
		int r = sqlite3_exec(sq->lock_db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (r == SQLITE_BUSY) {
			sq_lock_holder(d, err);
			break;
		}
		if (r != SQLITE_OK) {
			sq_error(d, sq->lock_db, r, NULL, err);
			break;
		}
		/* say who holds it, committed so that others can read it */
		r = sqlite3_exec(sq->lock_db, who, NULL, NULL, NULL);
		if (r == SQLITE_OK)
			r = sqlite3_exec(sq->lock_db, "COMMIT", NULL, NULL, NULL);
		if (r != SQLITE_OK) {
			sq_error(d, sq->lock_db, r, NULL, err);
			sqlite3_exec(sq->lock_db, "ROLLBACK", NULL, NULL, NULL);
			break;
		}
		/* and take it for the run; someone may have slipped in between: wait for them */
		sqlite3_busy_timeout(sq->lock_db, 0);
		r = sqlite3_exec(sq->lock_db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (r == SQLITE_OK) {
			sq->locked = true;
			rc = 0;
			break;
		}
		if (r != SQLITE_BUSY) {
			sq_error(d, sq->lock_db, r, NULL, err);
			break;
		}
	}
	sqlite3_free(who);
	return rc;
}

static void sq_unlock(struct driver *d)
{
	struct sqlite *sq = sq_of(d);
	sq->lock_wanted = false;
	if (!sq->locked)
		return;
	sqlite3_exec(sq->lock_db, "ROLLBACK", NULL, NULL, NULL);
	sq->locked = false;
}

static int sq_begin(struct driver *d, struct mg_error *err)
{
	if (sq_create_file(d, err) < 0)
		return -1;
	/* IMMEDIATE: the write lock is taken now, so a busy database fails here, retryably */
	if (sq_run(d, sq_of(d)->db, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	d->in_transaction = true;
	return 0;
}

static int sq_commit(struct driver *d, struct mg_error *err)
{
	d->in_transaction = false;
	return sq_run(d, sq_of(d)->db, "COMMIT", err);
}

/* What a failed rebuild may have left switched: back to how a connection starts. */
static void sq_reset_flags(struct sqlite *sq)
{
	int ignore;
	sqlite3_db_config(sq->db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, &ignore);
	sq_set_flag(sq->db, "legacy_alter_table", false);
	sq_set_flag(sq->db, "ignore_check_constraints", false);
}

static void sq_rollback(struct driver *d)
{
	struct sqlite *sq = sq_of(d);
	d->in_transaction = false;
	if (!sqlite3_get_autocommit(sq->db))
		sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
	sq_reset_flags(sq);
}

/*
 * PRAGMA foreign_keys = OFF/ON from the table rebuild. SQLite ignores the
 * pragma inside a transaction, but the rebuild must run inside the phase's
 * transaction; sqlite3_db_config switches the same setting without that
 * limit, and the rebuild checks the keys itself afterwards (foreign_key_check),
 * as the documented procedure does.
 */
static bool sq_foreign_keys_step(struct sqlite *sq, const char *sql)
{
	int on;
	if (strcmp(sql, "PRAGMA foreign_keys = OFF") == 0)
		on = 0;
	else if (strcmp(sql, "PRAGMA foreign_keys = ON") == 0)
		on = 1;
	else
		return false;
	int ignore;
	sqlite3_db_config(sq->db, SQLITE_DBCONFIG_ENABLE_FKEY, on, &ignore);
	return true;
}

static int sq_exec(struct driver *d, const struct step *s, struct mg_error *err);

/*
 * A statement as written in a migration (a phase with a hand-written revert
 * section, or that section itself): translated against the database as it is
 * now, right before it runs, each of its statements in turn.
 */
static int sq_exec_source(struct driver *d, const struct step *s, struct mg_error *err)
{
	struct arena a = ARENA_INIT;
	struct sql_section sec;
	int rc = sql_parse_string(&a, s->sql, &sec, err);
	for (size_t i = 0; rc == 0 && i < sec.n_stmts; i++) {
		struct migration m = *sec.stmts[i].migration;
		m.path = s->file ? s->file : "<sql>";
		struct sql_stmt st = sec.stmts[i];
		st.migration = &m;
		st.line = s->line ? s->line + st.line - 1 : st.line;
		st.column = s->line ? s->column : st.column;
		struct inverse_input in = {.driver = d,
					   .arena = &a,
					   .migration = &m,
					   .section = SECTION_EXPAND,
					   .stmt = &st,
					   .sql = s->sql};
		struct inverse_result res;
		rc = inverse_sqlite_translate(&in, &res, err);
		for (size_t k = 0; rc == 0 && k < res.forward.n; k++)
			rc = sq_exec(d, &res.forward.items[k], err);
	}
	arena_release(&a);
	return rc;
}

static int sq_exec(struct driver *d, const struct step *s, struct mg_error *err)
{
	struct sqlite *sq = sq_of(d);
	if (s->flags & STEP_SOURCE)
		return sq_exec_source(d, s, err);
	if (sq_foreign_keys_step(sq, s->sql))
		return 0;
	const char *tail = s->sql;
	int rc = 0;
	while (tail && *tail) {
		sqlite3_stmt *st = NULL;
		int r = sqlite3_prepare_v2(sq->db, tail, -1, &st, &tail);
		if (r != SQLITE_OK) {
			rc = sq_error(d, sq->db, r, s, err);
			break;
		}
		if (!st)
			continue; /* a comment or blank */
		while ((r = sqlite3_step(st)) == SQLITE_ROW)
			;
		if (r != SQLITE_DONE)
			rc = sq_error(d, sq->db, r, s, err);
		sqlite3_finalize(st);
		if (rc < 0)
			break;
	}
	return rc;
}

static int sq_query(struct driver *d, struct arena *a, const char *sql, int n_params,
		    const char *const *params, struct driver_rows *ret, struct mg_error *err)
{
	struct sqlite *sq = sq_of(d);
	sqlite3_stmt *st = NULL;
	memset(ret, 0, sizeof(*ret));
	int r = sqlite3_prepare_v2(sq->db, sql, -1, &st, NULL);
	if (r != SQLITE_OK)
		return sq_error(d, sq->db, r, NULL, err);
	for (int i = 0; i < n_params; i++) {
		if (params[i])
			sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, i + 1);
	}
	ret->n_cols = (size_t)sqlite3_column_count(st);
	size_t alloc = 0;
	int rc = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		size_t need = (ret->n_rows + 1) * ret->n_cols + 1;
		if (need > alloc) {
			size_t grown = alloc ? alloc * 2 : 16;
			while (grown < need)
				grown *= 2;
			ret->values = arena_realloc(a, ret->values, alloc * sizeof(*ret->values),
						    grown * sizeof(*ret->values));
			alloc = grown;
		}
		for (size_t c = 0; c < ret->n_cols; c++) {
			const unsigned char *v = sqlite3_column_text(st, (int)c);
			ret->values[ret->n_rows * ret->n_cols + c] =
			    v ? arena_strdup(a, (const char *)v) : NULL;
		}
		ret->n_rows++;
	}
	if (r != SQLITE_DONE)
		rc = sq_error(d, sq->db, r, NULL, err);
	if (!ret->values)
		ret->values = arena_alloc(a, sizeof(*ret->values));
	sqlite3_finalize(st);
	return rc;
}

static int sq_history_exists(struct driver *d, bool *ret, struct mg_error *err)
{
	struct arena a = ARENA_INIT;
	struct driver_rows rows;
	int rc = sq_query(d, &a,
			  "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
			  "'_migrate_history'",
			  0, NULL, &rows, err);
	*ret = rc == 0 && rows.n_rows == 1;
	arena_release(&a);
	return rc;
}

/* Whether the history has the object set columns (layout 3). */
static int sq_history_has_objects(struct driver *d, struct arena *a, bool *ret,
				  struct mg_error *err)
{
	struct driver_rows rows;
	int rc = sq_query(d, a,
			  "SELECT 1 FROM pragma_table_info('_migrate_history') WHERE name = "
			  "'objects_expand'",
			  0, NULL, &rows, err);
	*ret = rc == 0 && rows.n_rows == 1;
	return rc;
}

static int sq_history_set_layout(struct driver *d, int layout, struct mg_error *err);

static int sq_history_ensure(struct driver *d, struct mg_error *err)
{
	if (sq_create_file(d, err) < 0)
		return -1;
	struct arena a = ARENA_INIT;
	/* the same columns as PostgreSQL's migrate.history and migrate.events */
	const char *sql =
	    "CREATE TABLE IF NOT EXISTS _migrate_meta (key TEXT PRIMARY KEY, value TEXT NOT "
	    "NULL);\n"
	    "INSERT INTO _migrate_meta VALUES ('schema_version', '" HISTORY_SCHEMA_VERSION_TEXT
	    "') ON CONFLICT (key) DO NOTHING;\n"
	    "CREATE TABLE IF NOT EXISTS _migrate_history (\n"
	    "  version INTEGER PRIMARY KEY,\n"
	    "  name TEXT NOT NULL,\n"
	    "  checksum TEXT NOT NULL,\n"
	    "  phase TEXT NOT NULL CHECK (phase IN ('expanding', 'expanded', 'contracting', "
	    "'contracted')),\n"
	    "  expanded_at TEXT,\n"
	    "  contracted_at TEXT,\n"
	    "  applied_by TEXT NOT NULL,\n"
	    "  expand_seq INTEGER,\n"
	    "  contract_seq INTEGER,\n"
	    "  steps_done INTEGER NOT NULL DEFAULT 0,\n"
	    "  expand_ms INTEGER,\n"
	    "  contract_ms INTEGER,\n"
	    "  revert_expand TEXT NOT NULL DEFAULT '[]',\n"
	    "  revert_contract TEXT NOT NULL DEFAULT '[]',\n"
	    "  objects_expand TEXT,\n"
	    "  objects_contract TEXT\n"
	    ");\n"
	    "CREATE TABLE IF NOT EXISTS _migrate_events (\n"
	    "  id INTEGER PRIMARY KEY,\n"
	    "  at TEXT NOT NULL DEFAULT (" NOW_SQL "),\n"
	    "  who TEXT NOT NULL,\n"
	    "  pid INTEGER NOT NULL,\n"
	    "  command TEXT NOT NULL,\n"
	    "  version INTEGER,\n"
	    "  phase TEXT,\n"
	    "  outcome TEXT NOT NULL,\n"
	    "  detail TEXT\n"
	    ");\n"
	    "CREATE TABLE IF NOT EXISTS _migrate_trash (\n"
	    "  name TEXT PRIMARY KEY,\n"
	    "  version INTEGER NOT NULL,\n"
	    "  kind TEXT NOT NULL,\n"
	    "  source TEXT NOT NULL,\n"
	    "  created_at TEXT NOT NULL DEFAULT (" NOW_SQL ")\n"
	    ");\n";
	int rc = sq_run(d, sq_of(d)->db, sql, err);
	if (rc == 0) {
		struct driver_rows rows;
		rc = sq_query(d, &a, "SELECT value FROM _migrate_meta WHERE key = 'schema_version'",
			      0, NULL, &rows, err);
		if (rc == 0 && rows.n_rows == 1)
			d->history_layout = atoi(driver_rows_get(&rows, 0, 0));
		if (rc == 0 && rows.n_rows == 1 &&
		    atoi(driver_rows_get(&rows, 0, 0)) > HISTORY_SCHEMA_VERSION) {
			rc =
			    mg_error_set(err, 2,
					 "the history in %s was written by a newer migrate (schema "
					 "version %s)",
					 d->url_redacted, driver_rows_get(&rows, 0, 0));
			mg_error_set_help(err, "upgrade migrate");
		}
	}
	/* layout 3 adds the object sets (layout 1 is numbered on by plan/branches.c) */
	bool has_objects = false;
	if (rc == 0 && d->history_layout && d->history_layout < HISTORY_LAYOUT_OBJECTS)
		rc = sq_history_has_objects(d, &a, &has_objects, err);
	if (rc == 0 && d->history_layout && d->history_layout < HISTORY_LAYOUT_OBJECTS) {
		if (!has_objects)
			rc =
			    sq_run(d, sq_of(d)->db,
				   "ALTER TABLE _migrate_history ADD COLUMN objects_expand TEXT;\n"
				   "ALTER TABLE _migrate_history ADD COLUMN objects_contract TEXT;",
				   err);
		if (rc == 0 && d->history_layout == HISTORY_LAYOUT_STATEMENT_CHECKSUMS)
			rc = sq_history_set_layout(d, HISTORY_LAYOUT_OBJECTS, err);
	}
	arena_release(&a);
	return rc;
}

static int sq_history_set_layout(struct driver *d, int layout, struct mg_error *err)
{
	char sql[128];
	snprintf(sql, sizeof(sql),
		 "UPDATE _migrate_meta SET value = '%d' WHERE key = 'schema_version'", layout);
	int rc = sq_run(d, sq_of(d)->db, sql, err);
	if (rc == 0)
		d->history_layout = layout;
	return rc;
}

static int sq_history_load(struct driver *d, struct arena *a, struct history *ret,
			   struct mg_error *err)
{
	struct driver_rows rows;
	bool has_objects;
	memset(ret, 0, sizeof(*ret));
	if (sq_history_has_objects(d, a, &has_objects, err) < 0)
		return -1;
	/* no planned steps here (SQLite has no planner); a history of layout 2 no object sets */
	if (sq_query(d, a,
		     has_objects
			 ? "SELECT version, name, checksum, phase, expanded_at, contracted_at, "
			   "applied_by, expand_seq, contract_seq, steps_done, expand_ms, "
			   "contract_ms, revert_expand, revert_contract, '[]', '[]', "
			   "objects_expand, objects_contract FROM _migrate_history ORDER BY version"
			 : "SELECT version, name, checksum, phase, expanded_at, contracted_at, "
			   "applied_by, expand_seq, contract_seq, steps_done, expand_ms, "
			   "contract_ms, revert_expand, revert_contract FROM _migrate_history "
			   "ORDER BY version",
		     0, NULL, &rows, err) < 0)
		return -1;
	return history_from_rows(a, &rows, ret, err);
}

static int sq_history_save(struct driver *d, const struct history_entry *e, struct mg_error *err)
{
	if (sq_create_file(d, err) < 0)
		return -1;
	struct arena a = ARENA_INIT;
	const char *params[HISTORY_PARAMS];
	history_entry_params(&a, e, params);
	/* timestamps are the database's clock, set when the phase changes */
	const char *sql =
	    "INSERT INTO _migrate_history AS h (version, name, checksum, phase, applied_by, "
	    "expand_seq, contract_seq, steps_done, expand_ms, contract_ms, revert_expand, "
	    "revert_contract, objects_expand, objects_contract, expanded_at, contracted_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?15, ?16, "
	    "CASE WHEN ?4 IN ('expanded', 'contracting', 'contracted') THEN " NOW_SQL " END, "
	    "CASE WHEN ?4 = 'contracted' THEN " NOW_SQL " END) "
	    "ON CONFLICT (version) DO UPDATE SET name = ?2, checksum = ?3, phase = ?4, "
	    "applied_by = ?5, expand_seq = ?6, contract_seq = ?7, steps_done = ?8, "
	    "expand_ms = ?9, contract_ms = ?10, revert_expand = ?11, revert_contract = ?12, "
	    "objects_expand = ?15, objects_contract = ?16, "
	    "expanded_at = CASE WHEN ?4 IN ('expanded', 'contracting', 'contracted') "
	    "THEN coalesce(h.expanded_at, " NOW_SQL ") END, "
	    "contracted_at = CASE WHEN ?4 = 'contracted' THEN coalesce(h.contracted_at, " NOW_SQL
	    ") END";
	struct driver_rows rows;
	int rc = sq_query(d, &a, sql, HISTORY_PARAMS, params, &rows, err);
	arena_release(&a);
	return rc;
}

static int sq_history_delete(struct driver *d, int64_t version, struct mg_error *err)
{
	if (sq_create_file(d, err) < 0)
		return -1;
	struct arena a = ARENA_INIT;
	char v[24];
	snprintf(v, sizeof(v), "%lld", (long long)version);
	const char *params[] = {v};
	struct driver_rows rows;
	int rc = sq_query(d, &a, "DELETE FROM _migrate_history WHERE version = ?1", 1, params,
			  &rows, err);
	arena_release(&a);
	return rc;
}

static int sq_event_log(struct driver *d, const struct event *ev, struct mg_error *err)
{
	if (sq_create_file(d, err) < 0)
		return -1;
	struct arena a = ARENA_INIT;
	char v[24], pid[16];
	snprintf(v, sizeof(v), "%lld", (long long)ev->version);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	const char *params[] = {d->settings.who ? d->settings.who : "unknown",
				ev->command,
				ev->version ? v : NULL,
				ev->phase,
				ev->outcome,
				ev->detail,
				pid};
	struct driver_rows rows;
	int rc = sq_query(d, &a,
			  "INSERT INTO _migrate_events (who, command, version, phase, outcome, "
			  "detail, pid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			  7, params, &rows, err);
	arena_release(&a);
	return rc;
}

static int sq_trash_purge(struct driver *d, struct arena *a, int64_t older_than_ms,
			  const char ***ret_names, size_t *ret_n, struct mg_error *err)
{
	struct driver_rows rows, none;
	char ms[32];
	snprintf(ms, sizeof(ms), "%lld", (long long)older_than_ms);
	const char *p[] = {ms};
	*ret_n = 0;
	if (sq_begin(d, err) < 0)
		return -1;
	if (sq_query(d, a,
		     "DELETE FROM _migrate_trash WHERE julianday(created_at) < julianday('now') - "
		     "CAST(?1 AS REAL) / 86400000.0 RETURNING name, version",
		     1, p, &rows, err) < 0)
		goto fail;
	*ret_names = arena_alloc(a, sizeof(**ret_names) * (rows.n_rows + 1));
	for (size_t i = 0; i < rows.n_rows; i++) {
		const char *name = driver_rows_get(&rows, i, 0);
		const char *drop =
		    arena_printf(a, "DROP TABLE IF EXISTS %s", sqlite_ident(a, name));
		if (sq_run(d, sq_of(d)->db, drop, err) < 0)
			goto fail;
		/* the contract's recorded undo now fails with a clear word, not a missing table */
		char day[16];
		time_t now = time(NULL);
		strftime(day, sizeof(day), "%Y-%m-%d", gmtime(&now));
		const char *msg = arena_printf(a,
					       "the data this contract removed (%s) was purged on "
					       "%s: write the revert by hand",
					       name, day);
		struct step_list l = {0};
		step_list_add(a, &l,
			      arena_printf(a, "SELECT migrate_fail(%s)", sqlite_literal(a, msg)), 0,
			      NULL, 0, 0);
		const char *params[] = {steps_to_json(a, &l), driver_rows_get(&rows, i, 1)};
		if (sq_query(d, a,
			     "UPDATE _migrate_history SET revert_contract = ?1 WHERE version = ?2",
			     2, params, &none, err) < 0)
			goto fail;
		(*ret_names)[(*ret_n)++] = name;
	}
	return sq_commit(d, err);
fail:
	sq_rollback(d);
	return -1;
}

/* sqlite:PATH of a file not there: opening it would create it */
static const char *sq_url_missing_file(const char *url)
{
	const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : NULL;
	return path && access(path, F_OK) != 0 ? path : NULL;
}

const struct driver_ops driver_sqlite_ops = {
    .name = "sqlite",
    .url_missing_file = sq_url_missing_file,
    .undo_rebuilds_tables = true,
    /* no CONCURRENTLY: every phase runs in one transaction */
    .concurrent_ddl = false,
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .lock = sq_lock,
    .unlock = sq_unlock,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .exec = sq_exec,
    .query = sq_query,
    .history_ensure = sq_history_ensure,
    .history_exists = sq_history_exists,
    .history_load = sq_history_load,
    .history_save = sq_history_save,
    .history_delete = sq_history_delete,
    .history_set_layout = sq_history_set_layout,
    .event_log = sq_event_log,
    .trash_purge = sq_trash_purge,
    .inverse_before = inverse_sqlite_before,
    .inverse_after = inverse_sqlite_after,
    .statement_failed = NULL,
    .check_statement = inverse_sqlite_check,
};
