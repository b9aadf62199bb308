#ifndef MG_LINT_H
#define MG_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "target/target.h"
#include "lint/catalog.h"
#include "migration/migration.h"
#include "sql/parse.h"
#include "util/arena.h"
#include "util/error.h"

enum lint_severity {
	LINT_OFF = 0,
	LINT_PLANNED, /* the planner makes it safe; shown by `migrate plan` */
	LINT_WARNING,
	LINT_ERROR,
};

const char *lint_severity_name(enum lint_severity s);

/*
 * What a rule guards against. It decides where the rule applies: breaking
 * rules only in expand (contract exists to remove things); blocking, opaque
 * and style rules in every section that runs against the shared database.
 */
enum lint_kind {
	LINT_KIND_BREAKING,
	LINT_KIND_BLOCKING,
	LINT_KIND_OPAQUE,
	LINT_KIND_STYLE,
	LINT_KIND_REVERSIBLE, /* can the engine undo it: expand and contract, not --raw */
	LINT_KIND_META,	      /* about the migration file itself: allow comments */
};

const char *lint_kind_name(enum lint_kind k);

struct lint_ctx;
struct lint_rule;

/* A check looks at one statement (ctx->stmt) and the catalogue before it. */
typedef void (*lint_check_fn)(struct lint_ctx *ctx, const struct lint_rule *rule,
			      const PgQuery__Node *stmt);

struct lint_rule {
	const char *id;
	enum lint_kind kind;
	enum lint_severity severity; /* by default, when enabled */
	bool enabled;		     /* by default; style rules are off */
	const char *summary;	     /* what it catches: the catalogue's one line */
	const char *help;	     /* the safe alternative */
	lint_check_fn check;	     /* NULL for rules the engine raises itself */
	bool plannable;		     /* the planner makes it safe: `planned` in expand */
	bool in_contract;	     /* breaking in contract too: the running app uses it */
};

/* The catalogue of rules, in the order the README lists them. */
extern const struct lint_rule lint_rules[];
extern const size_t lint_rules_count;
const struct lint_rule *lint_rule_find(const char *id);

struct lint_finding {
	const char *file;
	int line;
	int column;
	const struct lint_rule *rule;
	enum lint_severity severity;
	const char *message;
	const char *help;
	const struct migration *migration; /* NULL for findings about no one file */
	enum migration_section section;
};

struct lint_options {
	bool raw;	/* files for other runners: every hazard is an error */
	int pg_version; /* major version of the target, e.g. 15 */
	int jobs;	/* parser threads; 0 = one per core */
	/*
	 * A file the parser cannot read is a `syntax-error` finding and the
	 * others are still linted (migrate lint); without it, the first such
	 * file fails the run (exit 2), as a command about to apply needs.
	 */
	bool keep_going;
	/* per rule (index into lint_rules): LINT_OFF disables, other values override */
	enum lint_severity *severity;
	/*
	 * The history of the database the pending migrations are judged against
	 * (--db, up, check --db); NULL without one. in-flight-conflict compares
	 * each pending section with the migrations in flight there.
	 */
	const struct history *history;
	/*
	 * The database's definitions (as SQL) of objects that migrations in
	 * flight there and not in this checkout created, which their recorded
	 * undo names but does not describe (lint_definitions_read).
	 */
	const struct lint_definition *definitions;
	size_t n_definitions;
	/*
	 * What a command about to apply runs (LINT_RUNS_EXPAND, LINT_RUNS_CONTRACT);
	 * 0 for lint and check, which judge every pending section. For
	 * in-flight-conflict, a section the run does not apply is not judged, and
	 * with contract, an expanded migration of this checkout is contracted
	 * before a later one expands: in flight only for the pending ones below it.
	 */
	unsigned runs;
};

enum {
	LINT_RUNS_EXPAND = 1,
	LINT_RUNS_CONTRACT = 2,
};

struct lint_definition {
	int64_t version; /* of the migration that created the object */
	const char *sql; /* CREATE INDEX ..., ALTER TABLE ... ADD CONSTRAINT ..., CREATE VIEW ... */
};

/*
 * Asks the connected PostgreSQL database (d) for the definitions of the
 * indexes, constraints and views that the migrations of h not in set created
 * (their recorded undo drops them), for in-flight-conflict: an index's
 * columns are in no undo. Other targets have none to give (0, none). Only
 * reads the catalogue.
 */
int lint_definitions_read(struct driver *d, struct arena *a, const struct migration_set *set,
			  const struct history *h, struct lint_definition **ret, size_t *ret_n,
			  struct mg_error *err);

void lint_options_init(struct lint_options *opts, struct arena *a);
/* Enables a rule by id (at its default severity, or error for style); -1 when unknown. */
int lint_options_enable(struct lint_options *opts, const char *id);
int lint_options_disable(struct lint_options *opts, const char *id);

struct config;
/* migrate.conf's [lint] and [rules] settings over the defaults; an unknown rule fails (exit 2). */
int lint_options_apply_config(struct lint_options *opts, const struct config *cfg,
			      struct mg_error *err);

struct lint_result {
	struct lint_finding *findings;
	size_t n_findings, alloc_findings;
	size_t n_files;
	size_t n_statements;
	size_t n_errors, n_warnings, n_planned; /* syntax errors are among n_errors */
	size_t n_syntax_errors;			/* files that could not be parsed (keep_going) */
};

/*
 * Parses every SQL migration of the set (in parallel) and runs the rules in
 * version order over a catalogue that replays them. Fails (exit 2) on a
 * syntax error unless opts->keep_going; findings are not failures. With
 * keep_going, a file that cannot be parsed is one `syntax-error` finding at
 * the parser's file:line:column, none of its statements are linted, and the
 * catalogue forgets every object whose name it mentions (catalog_forget):
 * later files are judged as on objects that predate them. Everything lives
 * in the arena.
 */
int lint_run(struct arena *a, const struct migration_set *set, const struct lint_options *opts,
	     struct lint_result *ret, struct mg_error *err);

/*
 * Whether the database of h already ran section s of m (expand and its
 * revert, or contract and its): such a section is replayed into the
 * catalogue, not judged.
 */
bool lint_section_applied(const struct history *h, const struct migration *m,
			  enum migration_section s);

/*
 * Leaves out the findings in sections the database of h already ran and
 * recounts; returns how many were left out.
 */
size_t lint_result_drop_applied(struct lint_result *res, const struct history *h);

/* ---- for rules ---- */

struct lint_inflight_set;

struct lint_ctx {
	struct arena *arena;
	struct catalog *catalog;
	const struct lint_options *opts;
	struct lint_result *result;
	const struct migration *migration;
	const struct sql_section *section; /* the statements of this section, in order */
	size_t stmt_index;		   /* ctx->stmt == &section->stmts[stmt_index] */
	const struct sql_stmt *stmt;
	const size_t
	    *allow_target; /* per allow of the migration: offset of the statement it covers */
	const struct lint_nested *nested; /* set while rules look at a statement inside ctx->stmt */
	/* what the migrations in flight on opts->history do; NULL without a history */
	const struct lint_inflight_set *inflight;
};

/*
 * Where a statement found inside the current one (a statement of a DO
 * block's body) stands in the section text. Its node locations are offsets
 * into the text it was parsed from, not into the section.
 */
struct lint_nested {
	const char *where; /* "DO block": its messages read "in DO block: ..." */
	int text_location; /* section offset where that text stands verbatim; -1 when it does not */
	int stmt_location; /* section offset of the inner statement; -1: the outer statement's */
};

/*
 * Runs every enabled rule that applies in this section, opaque and
 * reversibility rules excepted (those judge ctx->stmt as a whole), on a
 * statement found inside ctx->stmt, then replays it into the catalogue. Its findings are those of
 * ctx->stmt: its allow comments cover them, and they point into the file where `at` can tell, else
 * at ctx->stmt.
 */
void lint_check_nested(struct lint_ctx *ctx, const PgQuery__Node *stmt,
		       const struct lint_nested *at);

/*
 * Reports a finding for the current statement. location is a node's location
 * (offset in the section text) or -1 for the statement's first token.
 */
void lint_report(struct lint_ctx *ctx, const struct lint_rule *rule, int location, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

/* lint_report with a help line of its own instead of the rule's (a case the rule's help is wrong
 * for). */
void lint_report_help(struct lint_ctx *ctx, const struct lint_rule *rule, const char *help,
		      int location, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* True when the table was created earlier in this same migration (any section). */
bool lint_table_is_new(const struct lint_ctx *ctx, const PgQuery__RangeVar *rv);
/* True when stmt is a COMMIT (AND CHAIN too): what the section did before it has committed. */
bool lint_commits(const PgQuery__Node *stmt);
/* The section being linted. */
enum migration_section lint_section(const struct lint_ctx *ctx);
/* "schema.table" or "table" for messages. */
const char *lint_rangevar_name(struct lint_ctx *ctx, const PgQuery__RangeVar *rv);

#endif
