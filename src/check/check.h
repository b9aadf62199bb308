#ifndef MG_CHECK_H
#define MG_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lint/lint.h"
#include "migration/migration.h"
#include "run/runner.h"
#include "util/arena.h"
#include "util/error.h"

/*
 * `migrate check`, the CI gate: the stages a pull request's migrations go
 * through, in order. Each stage passes, fails or is skipped, and says why in
 * findings that point at a file and line wherever one is to blame.
 */

enum check_stage_id {
	CHECK_LINT,	  /* migrate lint over the whole set */
	CHECK_REPLAY,	  /* every phase applied on a shadow database */
	CHECK_ROUND_TRIP, /* expand, revert, expand, contract, revert, contract: same catalogue */
	CHECK_LOCK_TRACE, /* locks, rewrites and scans each statement really caused */
	CHECK_DRIFT,	  /* the files against the shared database's history */
	CHECK_STAGE__COUNT,
};

/* "lint", "replay", "round-trip", "lock-trace", "drift". */
const char *check_stage_name(enum check_stage_id s);

enum check_status {
	CHECK_PASSED,
	CHECK_FAILED,
	CHECK_SKIPPED,
};

const char *check_status_name(enum check_status s);

/* What check itself reports (lint findings keep the lint rule's id). */
struct check_rule {
	const char *id;
	enum check_stage_id stage;
	const char *summary;
	const char *help;
};

extern const struct check_rule check_rules[];
extern const size_t check_rules_count;
const struct check_rule *check_rule_find(const char *id);

struct check_finding {
	enum check_stage_id stage;
	const char *rule; /* a check_rules id or a lint rule id */
	enum lint_severity severity;
	const char *file; /* NULL when about no file */
	int line;	  /* 0 when unknown */
	int column;
	const char *message;
	const char *help;
	const char *detail;		   /* several lines (a catalogue difference), or NULL */
	const struct migration *migration; /* the migration it is about, if any */
};

/* A lock one statement held on a table that existed before its migration. */
struct check_lock {
	const char *table;
	const char *mode; /* "ACCESS EXCLUSIVE", ... (the strongest the statement took) */
	int strength;	  /* 1 (ACCESS SHARE) .. 8 (ACCESS EXCLUSIVE) */
	int64_t held_ms;  /* from the statement's start until its transaction ended */
	bool rewritten;	  /* relfilenode changed */
	bool scanned;	  /* a full scan of the table ran during the statement */
	/*
	 * Seen in pg_locks; false when a statement that ran alone was over before
	 * the sampler looked, and mode is the lock PostgreSQL documents for it.
	 */
	bool observed;
};

/* One traced statement of a first (replayed) expand or contract. */
struct check_traced_stmt {
	const struct migration *migration;
	enum migration_section section;
	int line;
	int column;
	const char *sql; /* its first line, shortened */
	bool in_transaction;
	int64_t elapsed_ms;
	struct check_lock *locks;
	size_t n_locks;
};

/* How each migration fared in each stage, for per-migration reports (JUnit). */
struct check_migration_result {
	const struct migration *migration;
	bool ran[CHECK_STAGE__COUNT];
	int64_t ms[CHECK_STAGE__COUNT];
	/*
	 * The revert proof of its expand (0) and contract (1): whether the round
	 * trip gave back the catalogue it must (CHECK_SKIPPED: it did not run),
	 * and the steps the revert ran, as the history recorded them after the
	 * first apply.
	 */
	enum check_status round_trip[2];
	struct step_list revert[2];
	/* the contract changed nothing (no contract section): nothing to revert */
	bool contract_unchanged;
};

struct check_stage_result {
	enum check_status status;
	int64_t duration_ms;
	const char *summary; /* one line */
	size_t n_errors, n_warnings;
};

struct check_report {
	struct check_stage_result stages[CHECK_STAGE__COUNT];
	struct check_finding *findings;
	size_t n_findings, alloc_findings;
	struct check_traced_stmt *trace;
	size_t n_trace, alloc_trace;
	struct check_migration_result *migrations; /* the SQL migrations, in order */
	size_t n_migrations;
	const char *dir;
	const char *shadow; /* where replay ran, as it may be printed */
	int64_t duration_ms;
	bool passed;
};

struct check_options {
	const struct migration_set *set;
	const char *dir;
	struct lint_options lint;
	/* the shadow database check may destroy; NULL: start a temporary server */
	const char *shadow_url;
	const char *shadow_source; /* where shadow_url came from, for messages */
	/* the shared database for drift (read only); NULL skips the stage */
	const char *db_url;
	const char *history_schema;
	/* [migrations] strict_order: a new migration numbered below an applied one fails drift */
	bool strict_order;
	int lock_timeout_ms;
	const char *who;
	/* progress, for --verbose; may be NULL */
	runner_say_fn say;
	void *say_ctx;
};

/*
 * Runs every stage. Findings are not failures of the call: it fails (exit 2)
 * only on bad input that stops the gate itself, such as unparseable SQL.
 * Everything lives in the arena.
 */
int check_run(struct arena *a, const struct check_options *o, struct check_report *ret,
	      struct mg_error *err);

/* Adds a finding; returns it so callers can set detail. */
struct check_finding *
check_report_add(struct arena *a, struct check_report *r, enum check_stage_id stage,
		 const char *rule, enum lint_severity severity, const struct migration *m,
		 const char *file, int line, int column, const char *help, const char *fmt, ...)
    __attribute__((format(printf, 11, 12)));

/* The result row of migration m (NULL when it is not in the report). */
struct check_migration_result *check_report_migration(struct check_report *r,
						      const struct migration *m);

#endif
