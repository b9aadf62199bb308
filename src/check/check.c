/* The CI gate: runs the stages in order and keeps their findings. */
#include "check/check.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "check/stages.h"

const char *check_stage_name(enum check_stage_id s)
{
	static const char *const names[] = {"lint", "replay", "round-trip", "lock-trace", "drift"};
	return s < CHECK_STAGE__COUNT ? names[s] : "?";
}

const char *check_status_name(enum check_status s)
{
	return s == CHECK_PASSED ? "passed" : s == CHECK_FAILED ? "failed" : "skipped";
}

const struct check_rule check_rules[] = {
    {"shadow-unavailable", CHECK_REPLAY, "no shadow database to replay the migrations on",
     "give check an empty PostgreSQL database it may destroy with --shadow-db URL or "
     "MIGRATE_SHADOW_DB, or install PostgreSQL (initdb) so check can start a temporary one"},
    {"replay-failed", CHECK_REPLAY, "a phase fails when applied to a fresh database",
     "fix the statement: it fails on a database built by the migrations before it"},
    {"revert-failed", CHECK_ROUND_TRIP, "undoing a phase fails",
     "fix the revert section, or write one under '-- migrate:revert-expand' / "
     "'-- migrate:revert-contract'"},
    {"revert-incomplete", CHECK_ROUND_TRIP,
     "a revert leaves objects behind, removes too much, or changes a definition",
     "make the revert undo exactly what its phase does: every object it creates, drops or "
     "changes"},
    {"reapply-failed", CHECK_ROUND_TRIP, "a phase fails when applied again after its revert",
     "make the revert remove everything the phase creates, so the phase can run again"},
    {"reapply-differs", CHECK_ROUND_TRIP,
     "a phase applied again after its revert gives another schema than the first time",
     "make the revert restore exactly what the phase found, so applying it again gives the "
     "same result"},
    {"snapshot-failed", CHECK_ROUND_TRIP, "the catalogue of the shadow database cannot be read",
     "see the database's message"},
    {"lock-rewrite", CHECK_LOCK_TRACE,
     "a statement rewrites a table that existed before its migration (ACCESS EXCLUSIVE for "
     "the whole rewrite)",
     "add a new column and backfill it in batches, or write the change plainly in expand and "
     "let the planner make it safe (see 'migrate plan')"},
    {"lock-scan", CHECK_LOCK_TRACE,
     "an ACCESS EXCLUSIVE lock is held while a pre-existing table is scanned in full",
     "add constraints NOT VALID and VALIDATE them in a later migration (SHARE UPDATE "
     "EXCLUSIVE); for SET NOT NULL, validate a CHECK (col IS NOT NULL) first; keep backfills out "
     "of the transaction that alters the table"},
    {"lock-scan-blocks-writes", CHECK_LOCK_TRACE,
     "a lock that blocks writes is held while a pre-existing table is scanned in full",
     "build indexes CONCURRENTLY and validate constraints in their own migration"},
    {"drift-unreachable", CHECK_DRIFT, "the shared database cannot be read",
     "check --db and that the server is up"},
    {"drift-changed", CHECK_DRIFT,
     "a migration file changed after it was applied to the shared database",
     "restore the file as it was applied and put the new change in a new migration"},
    {"drift-unknown", CHECK_DRIFT,
     "the shared database has a migration applied that these files do not know (another "
     "branch's, in flight there; reported, not failed)",
     "nothing to do here; its undo is in the history, so its branch can revert it"},
    {"drift-version-taken", CHECK_DRIFT,
     "a new migration takes a version the shared database applied for another one",
     "renumber the new migration above every version applied in the shared database"},
    {"drift-renumber", CHECK_DRIFT,
     "a new migration is numbered below one already applied in the shared database: up "
     "applies it out of order (a warning), or refuses it with strict order (an error)",
     "renumber the new migration above every version applied in the shared database, or "
     "let it apply out of order"},
};

const size_t check_rules_count = sizeof(check_rules) / sizeof(check_rules[0]);

const struct check_rule *check_rule_find(const char *id)
{
	for (size_t i = 0; i < check_rules_count; i++)
		if (strcmp(check_rules[i].id, id) == 0)
			return &check_rules[i];
	return NULL;
}

struct check_finding *check_report_add(struct arena *a, struct check_report *r,
				       enum check_stage_id stage, const char *rule,
				       enum lint_severity severity, const struct migration *m,
				       const char *file, int line, int column, const char *help,
				       const char *fmt, ...)
{
	ARENA_GROW(a, r->findings, r->n_findings, r->alloc_findings, r->n_findings + 1);
	struct check_finding *f = &r->findings[r->n_findings++];
	memset(f, 0, sizeof(*f));
	f->stage = stage;
	f->rule = rule;
	f->severity = severity;
	f->migration = m;
	f->file = file && *file ? arena_strdup(a, file) : NULL;
	f->line = f->file ? (line > 0 ? line : 1) : 0;
	f->column = f->file ? (column > 0 ? column : 1) : 0;
	if (!help || !*help) {
		const struct check_rule *cr = check_rule_find(rule);
		help = cr ? cr->help : NULL;
	}
	f->help = help ? arena_strdup(a, help) : NULL;
	va_list ap;
	va_start(ap, fmt);
	char *msg = arena_vprintf(a, fmt, ap);
	va_end(ap);
	/* one line: a database's message may continue on an indented second one */
	char *w = msg;
	for (const char *p = msg; *p; p++) {
		if (*p == '\n') {
			while (p[1] == ' ' || p[1] == '\t')
				p++;
			*w++ = ' ';
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	f->message = msg;
	return f;
}

struct check_migration_result *check_report_migration(struct check_report *r,
						      const struct migration *m)
{
	for (size_t i = 0; i < r->n_migrations; i++)
		if (r->migrations[i].migration == m)
			return &r->migrations[i];
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_lint(struct arena *a, const struct check_options *o, struct check_report *r,
		    struct mg_error *err)
{
	int64_t t0 = now_ms();
	struct lint_result res;
	struct lint_options lint = o->lint;
	/*
	 * With the shared database: its in-flight migrations are what
	 * in-flight-conflict compares with, and the phases it ran are replayed,
	 * not judged. One that cannot be read is the drift stage's to report.
	 */
	struct history h;
	bool exists = false, h_read = false;
	if (o->db_url) {
		struct driver d;
		struct mg_error ignore = MG_ERROR_INIT;
		struct lint_definition *defs = NULL;
		h_read = check_shared_open(a, o, &d, &h, &exists, &ignore) == 0;
		/* without the definitions, an index's columns are unknown: less to compare */
		if (h_read && lint_definitions_read(&d, a, o->set, &h, &defs, &lint.n_definitions,
						    &ignore) < 0)
			lint.n_definitions = 0;
		driver_close(&d);
		if (h_read) {
			lint.history = &h;
			lint.definitions = defs;
		}
	}
	if (lint_run(a, o->set, &lint, &res, err) < 0)
		return -1;
	size_t applied = h_read ? lint_result_drop_applied(&res, &h) : 0;
	for (size_t i = 0; i < res.n_findings; i++) {
		const struct lint_finding *f = &res.findings[i];
		check_report_add(a, r, CHECK_LINT, f->rule->id, f->severity, f->migration, f->file,
				 f->line, f->column, f->help, "%s", f->message);
	}
	for (size_t i = 0; i < r->n_migrations; i++)
		r->migrations[i].ran[CHECK_LINT] = true;
	struct check_stage_result *st = &r->stages[CHECK_LINT];
	st->duration_ms = now_ms() - t0;
	st->summary = arena_printf(
	    a, "%zu file%s, %zu statement%s: %zu error%s, %zu warning%s%s", res.n_files,
	    res.n_files == 1 ? "" : "s", res.n_statements, res.n_statements == 1 ? "" : "s",
	    res.n_errors, res.n_errors == 1 ? "" : "s", res.n_warnings,
	    res.n_warnings == 1 ? "" : "s",
	    applied ? arena_printf(a,
				   " (%zu in phases the shared database ran, "
				   "not judged)",
				   applied)
		    : "");
	return 0;
}

int check_run(struct arena *a, const struct check_options *o, struct check_report *ret,
	      struct mg_error *err)
{
	memset(ret, 0, sizeof(*ret));
	int64_t t0 = now_ms();
	ret->dir = o->dir;
	ret->migrations = arena_alloc(a, sizeof(*ret->migrations) * (o->set->n + 1));
	for (size_t i = 0; i < o->set->n; i++) {
		struct check_migration_result *mr = &ret->migrations[ret->n_migrations++];
		mr->migration = o->set->items[i];
		mr->round_trip[0] = mr->round_trip[1] = CHECK_SKIPPED;
	}
	for (int s = 0; s < CHECK_STAGE__COUNT; s++)
		ret->stages[s].status = CHECK_PASSED;

	if (run_lint(a, o, ret, err) < 0)
		return -1;
	check_replay(a, o, ret);
	check_drift(a, o, ret);

	ret->passed = true;
	for (size_t i = 0; i < ret->n_findings; i++) {
		const struct check_finding *f = &ret->findings[i];
		struct check_stage_result *st = &ret->stages[f->stage];
		if (f->severity == LINT_ERROR)
			st->n_errors++;
		else if (f->severity == LINT_WARNING)
			st->n_warnings++;
	}
	for (int s = 0; s < CHECK_STAGE__COUNT; s++) {
		struct check_stage_result *st = &ret->stages[s];
		if (st->n_errors)
			st->status = CHECK_FAILED;
		if (st->status == CHECK_FAILED)
			ret->passed = false;
	}
	ret->duration_ms = now_ms() - t0;
	return 0;
}
