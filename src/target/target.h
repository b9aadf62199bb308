#ifndef MG_DRIVER_H
#define MG_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/migration.h"
#include "target/redact.h"
#include "util/arena.h"
#include "util/error.h"

/*
 * The one interface the engine uses for every target. A driver executes
 * steps (SQL text plus flags) that the planner produced, keeps the history,
 * and answers the catalogue questions the inverse builder asks. Drivers never
 * print; they fill struct mg_error (code 3 for database failures, 4 for a
 * held run lock, 2 for bad input such as an unknown URL scheme).
 */

enum step_flags {
	STEP_NO_TRANSACTION = 1 << 0, /* CONCURRENTLY: runs alone, outside a transaction */
	STEP_RETRYABLE = 1 << 1,      /* may be retried after a lock timeout */
	STEP_BACKFILL = 1 << 2,	      /* batched data work */
	/*
	 * PostgreSQL SQL as written in a migration (a statement of a phase with a
	 * hand-written revert section, or that section's own): a driver of
	 * another dialect (SQLite) translates it when it runs.
	 */
	STEP_SOURCE = 1 << 3,
	/*
	 * A revert step that runs in a transaction of its own (a VALIDATE, which
	 * scans the table: apart from the ADD that takes the long lock).
	 */
	STEP_OWN_TRANSACTION = 1 << 4,
	/* SET NOT NULL with a validated CHECK (col IS NOT NULL) in place: no scan */
	STEP_CHECKED_NOT_NULL = 1 << 5,
	/*
	 * Not run: a revert step that only says what the revert leaves as it is
	 * and why (its sql is that sentence), e.g. an enum value PostgreSQL
	 * cannot drop. Revert, revert --dry-run and plan print it.
	 */
	STEP_NOTE = 1 << 6,
};

/*
 * A keyset-batched UPDATE, a step the planner makes (run/backfill.c runs it):
 * SET set_sql on table, batch by batch along key.
 */
struct backfill {
	const char *table;     /* quoted, qualified as written */
	const char *key;       /* quoted key column */
	const char *key_type;  /* its type, for the cursor */
	const char *set_sql;   /* "b = a" */
	const char *where_sql; /* only rows that need it ("b IS DISTINCT FROM a"), or NULL */
	const char *label;     /* for progress: "orders.total_cents" */
	/* a key of several columns (then key and key_type are not read): quoted
	 * columns and their types, in the key's order; n_keys 0: key alone */
	size_t n_keys;
	const char *const *keys;
	const char *const *key_types;
};

struct step {
	const char *sql;
	unsigned flags;
	const struct backfill *backfill; /* planned units only: a batched UPDATE */
	/* where the statement stands, for error messages (NULL when generated) */
	const char *file;
	int line;
	int column;
};

struct step_list {
	struct step *items;
	size_t n, alloc;
};

void step_list_add(struct arena *a, struct step_list *l, const char *sql, unsigned flags,
		   const char *file, int line, int column);
/* Each step of from, in order, at the end of l. */
void step_list_append(struct arena *a, struct step_list *l, const struct step_list *from);
bool step_list_needs_no_transaction(const struct step_list *l);
/* l's steps that run, in order, in *ret_run; its STEP_NOTE steps in *ret_notes. */
void step_list_split_notes(struct arena *a, const struct step_list *l, struct step_list *ret_run,
			   struct step_list *ret_notes);

/* A query result: rows of NULL-able text values, arena-owned. */
struct driver_rows {
	size_t n_rows;
	size_t n_cols;
	const char **values; /* n_rows * n_cols, NULL for SQL NULL */
};

static inline const char *driver_rows_get(const struct driver_rows *r, size_t row, size_t col)
{
	return row < r->n_rows && col < r->n_cols ? r->values[row * r->n_cols + col] : NULL;
}

enum history_phase {
	HISTORY_PENDING = 0,
	HISTORY_EXPANDING, /* a phase outside a transaction was interrupted */
	HISTORY_EXPANDED,
	HISTORY_CONTRACTING, /* likewise for contract */
	HISTORY_CONTRACTED,
};

const char *history_phase_name(enum history_phase p);
/* steps_done and reverting as one stored number, and back (see struct history_entry) */
struct history_entry;
int64_t history_steps_stored(const struct history_entry *e);
void history_steps_load(struct history_entry *e, int64_t stored);
int history_phase_parse(const char *s);

/*
 * What a phase did to the schema, recorded with it (plan/objects.c derives it
 * from the phase's statements): the objects it created, changed, dropped, and
 * those it used without changing (the table an index is on, the columns a
 * view reads, the table a foreign key references). A targeted revert
 * (plan/branches.c) compares them across migrations.
 */
enum object_kind {
	OBJECT_TABLE, /* a table or a view: one namespace, as a FROM sees them */
	OBJECT_COLUMN,
	OBJECT_INDEX,
	OBJECT_CONSTRAINT,
	OBJECT_VIEW,
	OBJECT_TYPE,
	OBJECT_FUNCTION,
	OBJECT_SEQUENCE,
	OBJECT_TRIGGER,
	OBJECT_SCHEMA,
	OBJECT__COUNT,
};

enum object_does {
	OBJECT_CREATED,
	OBJECT_CHANGED,
	OBJECT_DROPPED,
	OBJECT_USED,
	OBJECT_DOES__COUNT,
};

struct object_ref {
	enum object_kind kind;
	enum object_does does;
	const char *schema; /* "" when unqualified: matches any schema */
	const char *table;  /* columns, constraints, triggers, indexes: their table; else NULL */
	const char *name;   /* a column "*": every column of the table (SELECT *) */
	const char *via;    /* a used object: what of the phase uses it ("index users_nick_idx") */
};

struct object_set {
	struct object_ref *items;
	size_t n, alloc;
	bool recorded; /* false: the phase was applied before histories kept them */
};

/* "table", "column", ... and "created", "changed", ...; -1 from the parsers when unknown. */
const char *object_kind_name(enum object_kind k);
const char *object_does_name(enum object_does d);
int object_kind_parse(const char *s);
int object_does_parse(const char *s);

/* One migration's row in the history. */
struct history_entry {
	int64_t version;
	const char *name;
	const char *checksum;
	enum history_phase phase;
	const char *expanded_at; /* text timestamps as the database prints them */
	const char *contracted_at;
	const char *applied_by;
	int64_t expand_seq; /* order in which phases were applied, for revert */
	int64_t contract_seq;
	int steps_done; /* progress of an interrupted phase outside a transaction */
	/*
	 * A revert run step by step was interrupted in this phase: steps_done
	 * counts the revert's steps done. Stored as steps_done = -(n + 1), so
	 * the history tables need no new column.
	 */
	bool reverting;
	int64_t expand_ms, contract_ms;
	struct step_list revert_expand;	  /* to run, in order, to undo expand */
	struct step_list revert_contract; /* to undo contract */
	/* what the planner made of the expand section (flags are enum unit_flags):
	 * kept so that a resumed expand runs the same units and contract finishes them */
	struct step_list planned_expand;
	struct step_list planned_contract;
	/* what each phase did to the schema, recorded when it was applied */
	struct object_set objects_expand;
	struct object_set objects_contract;
};

struct history {
	struct history_entry *items; /* by version */
	size_t n, alloc;
};

struct history_entry *history_find(const struct history *h, int64_t version);

/* An append-only log line: who ran what, with which outcome. */
struct event {
	const char *command; /* "up", "revert", "purge" */
	int64_t version;     /* 0 when about no one migration */
	const char *phase;   /* "expand", "contract", "revert-expand", ... or NULL */
	const char *outcome; /* "ok", "failed", "started" */
	const char *detail;
};

struct driver_settings {
	const char *history_schema; /* PostgreSQL: schema of history/events (default migrate) */
	int lock_timeout_ms;	    /* per statement */
	int retries;		    /* on lock timeouts */
	int lock_wait_ms;	    /* how long to wait for the run lock */
	const char *who;	    /* user@host, recorded in history and events */
	const char *command;	    /* shown to others waiting on the lock */
	/*
	 * Optional (--verbose): called after every statement or command the
	 * driver sends, its own history, lock and catalogue queries too, with its
	 * text (never connection details) and how long it took.
	 */
	void (*trace)(void *ctx, const char *text, double ms);
	void *trace_ctx;
};

/*
 * Layouts of the history: 2 records each migration's statement checksum, 3
 * the objects each phase created, changed, dropped and used.
 */
#define HISTORY_LAYOUT_FILE_CHECKSUMS	   1
#define HISTORY_LAYOUT_STATEMENT_CHECKSUMS 2
#define HISTORY_LAYOUT_OBJECTS		   3
#define HISTORY_LAYOUT_CURRENT		   HISTORY_LAYOUT_OBJECTS

struct driver;
struct sql_stmt;
struct inverse_input;
struct inverse_result;
struct unit_list;

/*
 * --max-replica-lag: before each backfill batch and each planned step that
 * takes a lock, wait while a standby lags the primary by more than
 * max_lag_ms (a target without standbys never waits).
 */
struct replica_lag {
	int64_t max_lag_ms; /* 0: off */
	const char *replica_url;
	/* told why it waits, at each poll while it waits (the command prints) */
	void (*waiting)(void *ctx, const char *why, int64_t waited_ms);
	void *ctx;
	/* how long to sleep between polls; 0: 200 ms */
	int poll_ms;
};

struct driver_ops {
	const char *name;
	/* CONCURRENTLY exists: such phases run statement by statement */
	bool concurrent_ddl;
	/*
	 * The server's release decides what lint judges for: connect reads it
	 * into server_version_num before lint runs (migrate up, --pg-version's
	 * default in lint and check).
	 */
	bool server_release;
	/*
	 * Optional: the file url names when it is not there yet, so that opening
	 * it would create it (commands that only read refuse to); else NULL.
	 */
	const char *(*url_missing_file)(const char *url);
	/*
	 * Optional: a query giving the statement that would make an object of
	 * kind "index", "constraint" or "view" named $1 (of table $2, or '') as
	 * the catalogue holds it; NULL for a kind it cannot tell (lint's
	 * in-flight-conflict reads another branch's objects with it).
	 */
	const char *(*object_definition_sql)(const char *kind);
	/* Optional: returns once no standby lags more than o->max_lag_ms (struct replica_lag). */
	int (*replica_lag_wait)(struct driver *d, struct replica_lag *o, struct mg_error *err);
	/* Optional: closes what replica_lag_wait opened (a connection to --replica). */
	void (*replica_lag_close)(void);
	/*
	 * Optional: why a revert step holds a lock the app waits on for as long
	 * as the table takes ("  -- long lock: ..."), for revert --dry-run and
	 * plan; NULL when it does not.
	 */
	const char *(*long_lock_note)(const struct step *s);
	/*
	 * Optional: the zero-downtime planner (target/plan.h). For stmts[at] of
	 * an expand section, the units expand runs instead and those contract
	 * runs later to finish it (true in *ret_planned), or nothing (false);
	 * NULL: a target without one, whose statements run as written.
	 */
	int (*plan)(struct driver *d, struct arena *a, const struct migration *m,
		    const struct sql_stmt *stmts, size_t at, bool *ret_planned,
		    struct unit_list *ret_expand, struct unit_list *ret_contract,
		    struct mg_error *err);
	/* Optional: a server migrate check may make shadow databases on and replay in. */
	bool check_shadow;
	/* Optional: nothing this session runs can write any more (check's drift stage). */
	int (*session_read_only)(struct driver *d, struct mg_error *err);
	/*
	 * The recorded undo of a change to a table rebuilds the whole table as
	 * it was then (SQLite): what a later migration did to that table would
	 * be lost, so a targeted revert counts it as depending on the table.
	 */
	bool undo_rebuilds_tables;
	int (*connect)(struct driver *d, const char *url, struct mg_error *err);
	void (*disconnect)(struct driver *d);

	/* the run lock: one writer at a time per database; exit 4 past lock_wait_ms */
	int (*lock)(struct driver *d, struct mg_error *err);
	void (*unlock)(struct driver *d);

	int (*begin)(struct driver *d, struct mg_error *err);
	int (*commit)(struct driver *d, struct mg_error *err);
	void (*rollback)(struct driver *d);

	/*
	 * Runs one step with the lock timeout. Inside a transaction when one is
	 * open. Fails with err->sqlstate set; 55P03 means a lock timeout.
	 */
	int (*exec)(struct driver *d, const struct step *s, struct mg_error *err);
	/* Runs a catalogue query with text parameters; the rows live in a. */
	int (*query)(struct driver *d, struct arena *a, const char *sql, int n_params,
		     const char *const *params, struct driver_rows *ret, struct mg_error *err);

	/* history: created on first use, upgraded when older */
	int (*history_ensure)(struct driver *d, struct mg_error *err);
	/* false (and no error) when there is no history yet */
	int (*history_exists)(struct driver *d, bool *ret, struct mg_error *err);
	int (*history_load)(struct driver *d, struct arena *a, struct history *ret,
			    struct mg_error *err);
	/* inserts or replaces the entry (by version) */
	int (*history_save)(struct driver *d, const struct history_entry *e, struct mg_error *err);
	int (*history_delete)(struct driver *d, int64_t version, struct mg_error *err);
	/*
	 * Optional: records the history's layout version (meta schema_version)
	 * once the rows were upgraded to it (run/branches.c upgrades checksums).
	 */
	int (*history_set_layout)(struct driver *d, int layout, struct mg_error *err);
	int (*event_log)(struct driver *d, const struct event *ev, struct mg_error *err);
	/*
	 * Empties the trash of what contracts removed longer than older_than_ms
	 * ago; the contracts it came from can then no longer be reverted, and
	 * their recorded undo says so. ret_names lists what went.
	 */
	int (*trash_purge)(struct driver *d, struct arena *a, int64_t older_than_ms,
			   const char ***ret_names, size_t *ret_n, struct mg_error *err);

	/*
	 * A statement becomes the steps to run and the steps that undo it
	 * (target/<name>/inverse_*.c): before() right before it runs, after() right after,
	 * failed() after it failed (to clean up what a failed step left, such as
	 * an invalid index).
	 */
	int (*inverse_before)(const struct inverse_input *in, struct inverse_result *ret,
			      struct mg_error *err);
	int (*inverse_after)(const struct inverse_input *in, struct inverse_result *ret,
			     struct mg_error *err);
	void (*statement_failed)(const struct inverse_input *in);
	/*
	 * Optional (NULL: every statement can run): before anything runs,
	 * whether the target can run this statement at all. SQLite fails here,
	 * with exit 2 and the statement's file:line, on what it cannot translate.
	 */
	int (*check_statement)(struct driver *d, struct arena *a, const struct sql_stmt *st,
			       struct mg_error *err);
	/*
	 * Optional: after a step failed on a lock timeout for the last time and
	 * its transaction was rolled back, adds to err (as "blocked by" notes)
	 * the sessions that held the locks it waited for.
	 */
	void (*explain_lock_timeout)(struct driver *d, struct mg_error *err);
	/*
	 * Optional: a step outside a transaction is about to run again after an
	 * interruption (it may have run, or half run): makes that safe, or sets
	 * ret_skip when it is done already.
	 */
	int (*step_resume)(struct driver *d, struct arena *a, const struct step *s, bool *ret_skip,
			   struct mg_error *err);
};

struct driver {
	const struct driver_ops *ops;
	struct driver_settings settings;
	const char *url_redacted; /* the URL as it may be printed */
	bool in_transaction;
	/*
	 * The file of a database that does not exist yet (SQLite): the commands
	 * that only read create nothing and see an empty database. NULL once it
	 * exists.
	 */
	const char *missing_file;
	/*
	 * The layout version history_ensure found (meta schema_version); 0 when
	 * not read. Layout 1 recorded whole-file checksums, 2 the statements'.
	 */
	int history_layout;
	/*
	 * PostgreSQL's server_version_num (150004, 180001), read once when the
	 * connection starts (pg_release_major() gives the release); 0 for other
	 * targets.
	 */
	int server_version_num;
	void *impl;
};

/*
 * Picks the driver for a URL (postgres://, postgresql://, a libpq conninfo,
 * sqlite:PATH or sqlite3:PATH, mongodb://) and connects. ret is filled even on failure so it
 * can be freed.
 */
int driver_open(struct driver *d, const char *url, const struct driver_settings *settings,
		struct mg_error *err);
/* The target driver_open picks for url; NULL for an unknown scheme. */
const struct driver_ops *driver_ops_for_url(const char *url);

/* The callback shape of runner_options.throttle, with a struct replica_lag as ctx. */
int replica_lag_throttle(void *ctx, struct driver *d, struct mg_error *err);

/* Closes what every target's replica_lag_wait opened. */
void replica_lag_close(void);
void driver_close(struct driver *d);

/* A monotonic clock in nanoseconds, for driver_trace. */
int64_t driver_clock_ns(void);
/* Hands text and the time since start_ns to the settings' trace callback, if any. */
void driver_trace(const struct driver *d, const char *text, int64_t start_ns);

/*
 * Where the database URL comes from, first found wins: --db, DATABASE_URL,
 * the env file (dotenv_path, or .env in the current directory when NULL),
 * migrate.conf [database] url, else the embedded default sqlite:migrate.db.
 * ret_source says which ("--db", "DATABASE_URL", ".env" or the env file's
 * path, "migrate.conf", "default"). A dotenv_path that is not a file is an
 * error (exit 2).
 */
int url_resolve(struct arena *a, const char *flag_db, const char *dotenv_path,
		const char *config_url, const char **ret_url, const char **ret_source,
		struct mg_error *err);

/* Reads KEY=VALUE from a .env file (export prefix and quotes allowed); NULL when absent. */
const char *dotenv_get(struct arena *a, const char *path, const char *key);

/* "2s", "500ms", "1m", "14d" -> milliseconds (number_parse_duration_ms); -1 when malformed. */
int64_t duration_parse_ms(const char *s);

extern const struct driver_ops driver_pg_ops;
extern const struct driver_ops driver_sqlite_ops;

struct lint_ctx;
struct runner_options;

/*
 * A migration file format of a target's own (one that is not SQL): the core
 * lints, applies and plans SQL itself and hands every file of another format
 * to that format's hooks, found by target_format_of. Each hook does the
 * whole job for one migration, whatever the driver: a format whose target is
 * not the one connected leaves its migrations alone.
 */
struct target_format {
	enum migration_kind kind; /* the files it reads (migration.c tells them by suffix) */
	/*
	 * lint: the format's rules over m, called in version order beside the
	 * SQL rules; *state is this lint run's (NULL at first), for what earlier
	 * migrations made. A file that does not parse fails (exit 2).
	 */
	int (*lint)(struct lint_ctx *ctx, const struct migration *m, void **state,
		    struct mg_error *err);
	/*
	 * Before anything runs (runner_up): refuses, with exit 2 at the file's
	 * line, what the connected target cannot run in the phases ahead.
	 */
	int (*check)(struct driver *d, struct arena *a, const struct migration_set *set,
		     const struct history *h, const struct runner_options *o, struct mg_error *err);
	/* up: applies what o asks of m, in version order with the run lock held; h is updated */
	int (*up)(struct driver *d, struct arena *a, const struct runner_options *o,
		  struct history *h, const struct migration *m, int *ret_applied,
		  struct mg_error *err);
	/* plan: tells say m's steps per phase and what undoes them; sets *ret_found */
	int (*plan)(struct driver *d, struct arena *a, const struct migration *m,
		    const struct history_entry *e, unsigned phases,
		    void (*say)(void *ctx, const char *fmt, ...), void *say_ctx, bool *ret_found,
		    struct mg_error *err);
};

extern const struct target_format target_mongo_format;

/* Every format of target_formats_count, in the order their hooks run. */
extern const struct target_format *const target_formats[];
extern const size_t target_formats_count;

/*
 * The format m is written in, and its index in target_formats (ret_index may
 * be NULL); NULL for SQL, which the core handles itself.
 */
const struct target_format *target_format_of(const struct migration *m, size_t *ret_index);

#endif
