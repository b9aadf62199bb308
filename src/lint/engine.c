#include "lint/lint.h"
#include "migration/config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lint/plannable.h"
#include "lint/inflight.h"
#include "lint/pg_release.h"
#include "target/target.h"
#include "sql/ast.h"
#include "sql/scan.h"

const char *lint_severity_name(enum lint_severity s)
{
	switch (s) {
	case LINT_PLANNED:
		return "planned";
	case LINT_WARNING:
		return "warning";
	case LINT_ERROR:
		return "error";
	default:
		return "off";
	}
}

const char *lint_kind_name(enum lint_kind k)
{
	switch (k) {
	case LINT_KIND_BREAKING:
		return "breaking";
	case LINT_KIND_BLOCKING:
		return "blocking";
	case LINT_KIND_OPAQUE:
		return "opaque";
	case LINT_KIND_STYLE:
		return "style";
	case LINT_KIND_REVERSIBLE:
		return "reversible";
	default:
		return "meta";
	}
}

void lint_options_init(struct lint_options *opts, struct arena *a)
{
	memset(opts, 0, sizeof(*opts));
	opts->pg_version = 15;
	opts->severity = arena_alloc(a, sizeof(*opts->severity) * lint_rules_count);
	for (size_t i = 0; i < lint_rules_count; i++)
		opts->severity[i] = lint_rules[i].enabled ? lint_rules[i].severity : LINT_OFF;
}

int lint_options_enable(struct lint_options *opts, const char *id)
{
	const struct lint_rule *r = lint_rule_find(id);
	if (!r)
		return -1;
	opts->severity[r - lint_rules] = r->severity;
	return 0;
}

int lint_options_disable(struct lint_options *opts, const char *id)
{
	const struct lint_rule *r = lint_rule_find(id);
	if (!r)
		return -1;
	opts->severity[r - lint_rules] = LINT_OFF;
	return 0;
}

int lint_options_apply_config(struct lint_options *opts, const struct config *cfg,
			      struct mg_error *err)
{
	if (cfg->pg_version)
		opts->pg_version = cfg->pg_version;
	for (size_t i = 0; i < cfg->n_rules; i++) {
		const struct config_rule_setting *s = &cfg->rules[i];
		const struct lint_rule *r = lint_rule_find(s->rule);
		if (!r) {
			mg_error_set_at(err, 2, cfg->path, s->line, 1, "unknown rule '%s'",
					s->rule);
			mg_error_set_help(err, "'migrate lint --list-rules' lists them");
			return -1;
		}
		if (strcmp(r->id, "syntax-error") == 0) {
			mg_error_set_at(err, 2, cfg->path, s->line, 1,
					"rule 'syntax-error' cannot be changed: a file that cannot "
					"be parsed is always an error");
			return -1;
		}
		enum lint_severity *sev = &opts->severity[r - lint_rules];
		*sev = strcmp(s->value, "off") == 0	  ? LINT_OFF
		       : strcmp(s->value, "on") == 0	  ? r->severity
		       : strcmp(s->value, "warning") == 0 ? LINT_WARNING
							  : LINT_ERROR;
	}
	return 0;
}

/* ---- parsing, in parallel and ahead of the rules ---- */

/*
 * Parse trees are most of a run's memory, and the rules need the trees of one
 * migration at a time (the catalogue copies what it keeps). So parser threads
 * work at most PARSE_WINDOW files ahead of the rules, each file into an arena
 * of its own that is released as soon as its rules have run: peak memory stays
 * flat however long the history is, and the rules of one file run while later
 * files are being parsed.
 */
#define PARSE_WINDOW 32

struct parse_pipeline {
	const struct migration_set *set;
	struct sql_section *sections; /* n * SECTION__COUNT */
	struct arena *arenas;	      /* n: the trees of each file */
	struct mg_error *errors;      /* n */
	bool *failed;		      /* n */
	pthread_t *threads;
	int n_threads; /* 0: the rules' thread parses each file itself */
	pthread_mutex_t lock;
	pthread_cond_t parsed_cond; /* a file was parsed */
	pthread_cond_t room_cond;   /* limit moved, or stop was set */
	/* under lock */
	bool *parsed; /* n */
	size_t next;  /* the next file to parse */
	size_t limit; /* parse no file at or past this index yet */
	int waiting;  /* parser threads waiting for room */
	bool stop;
};

static void parse_one(struct parse_pipeline *p, size_t i)
{
	const struct migration *m = p->set->items[i];
	if (!migration_is_sql(m))
		return;
	for (int s = 0; s < SECTION__COUNT; s++) {
		if (sql_parse_section(&p->arenas[i], m, s, &p->sections[i * SECTION__COUNT + s],
				      &p->errors[i]) < 0) {
			p->failed[i] = true;
			return;
		}
	}
}

static void *parse_worker_main(void *arg)
{
	struct parse_pipeline *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stop && p->next < p->set->n && p->next >= p->limit) {
			p->waiting++;
			pthread_cond_wait(&p->room_cond, &p->lock);
			p->waiting--;
		}
		if (p->stop || p->next >= p->set->n)
			break;
		size_t i = p->next++;
		pthread_mutex_unlock(&p->lock);
		parse_one(p, i);
		pthread_mutex_lock(&p->lock);
		p->parsed[i] = true;
		pthread_cond_signal(&p->parsed_cond);
	}
	pthread_mutex_unlock(&p->lock);
	/* The parser's per-thread memory context is freed by the thread-exit
	 * destructor that libpg_query registers; pg_query_exit() here as well
	 * would free it twice. */
	return NULL;
}

static void pipeline_start(struct arena *a, struct parse_pipeline *p,
			   const struct migration_set *set, int jobs)
{
	size_t n = set->n;
	memset(p, 0, sizeof(*p));
	p->set = set;
	p->sections = arena_alloc(a, sizeof(*p->sections) * (n * SECTION__COUNT + 1));
	p->arenas = arena_alloc(a, sizeof(*p->arenas) * (n + 1));
	p->errors = arena_alloc(a, sizeof(*p->errors) * (n + 1));
	p->failed = arena_alloc(a, sizeof(*p->failed) * (n + 1));
	p->parsed = arena_alloc(a, sizeof(*p->parsed) * (n + 1));
	for (size_t i = 0; i < n; i++)
		arena_init(&p->arenas[i]);

	if (jobs <= 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = cores > 0 ? (int)cores : 1;
	}
	if ((size_t)jobs > n)
		jobs = (int)n;
	if (jobs <= 1)
		return;
	p->limit = PARSE_WINDOW;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->parsed_cond, NULL);
	pthread_cond_init(&p->room_cond, NULL);
	p->threads = arena_alloc(a, sizeof(*p->threads) * (size_t)jobs);
	for (int j = 0; j < jobs; j++) {
		if (pthread_create(&p->threads[j], NULL, parse_worker_main, p) != 0)
			break; /* fewer threads, or none: then the rules' thread parses */
		p->n_threads++;
	}
	if (!p->n_threads) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->parsed_cond);
		pthread_cond_destroy(&p->room_cond);
	}
}

/* Waits until file i is parsed; without threads, parses it here. */
static void pipeline_wait(struct parse_pipeline *p, size_t i)
{
	if (!p->n_threads) {
		parse_one(p, i);
		return;
	}
	pthread_mutex_lock(&p->lock);
	while (!p->parsed[i])
		pthread_cond_wait(&p->parsed_cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

/* The rules are done with file i: free its trees and let the parsers go on. */
static void pipeline_release(struct parse_pipeline *p, size_t i)
{
	arena_release(&p->arenas[i]);
	memset(&p->sections[i * SECTION__COUNT], 0, sizeof(*p->sections) * SECTION__COUNT);
	if (!p->n_threads)
		return;
	pthread_mutex_lock(&p->lock);
	p->limit = i + 1 + PARSE_WINDOW;
	/* wake waiting parsers once there is room for a few files each, not
	 * for every file: fewer context switches when the rules are the slower */
	if (p->waiting && p->limit - p->next >= PARSE_WINDOW / 4)
		pthread_cond_broadcast(&p->room_cond);
	pthread_mutex_unlock(&p->lock);
}

/* Stops the parsers (early on a failure) and frees what they left. */
static void pipeline_finish(struct parse_pipeline *p)
{
	if (p->n_threads) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_broadcast(&p->room_cond);
		pthread_mutex_unlock(&p->lock);
		for (int j = 0; j < p->n_threads; j++)
			pthread_join(p->threads[j], NULL);
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->parsed_cond);
		pthread_cond_destroy(&p->room_cond);
	}
	for (size_t i = 0; i < p->set->n; i++)
		arena_release(&p->arenas[i]);
}

/* ---- findings ---- */

static void finding_add(struct lint_ctx *ctx, const struct lint_rule *rule, enum lint_severity sev,
			const char *file, int line, int column, const char *message,
			enum migration_section section)
{
	struct lint_result *res = ctx->result;
	ARENA_GROW(ctx->arena, res->findings, res->n_findings, res->alloc_findings,
		   res->n_findings + 1);
	struct lint_finding *f = &res->findings[res->n_findings++];
	f->file = file;
	f->line = line;
	f->column = column;
	f->rule = rule;
	f->severity = sev;
	f->message = message;
	f->help = rule->help;
	f->migration = ctx->migration;
	f->section = section;
	switch (sev) {
	case LINT_ERROR:
		res->n_errors++;
		break;
	case LINT_WARNING:
		res->n_warnings++;
		break;
	case LINT_PLANNED:
		res->n_planned++;
		break;
	default:
		break;
	}
}

static enum lint_severity effective_severity(const struct lint_ctx *ctx,
					     const struct lint_rule *rule)
{
	enum lint_severity sev = ctx->opts->severity[rule - lint_rules];
	if (ctx->opts->raw && sev == LINT_PLANNED)
		sev = LINT_ERROR;
	return sev;
}

/*
 * Whether the planner's safe form works on the target release: it replaces
 * SET NOT NULL with a validated CHECK and a SET NOT NULL in contract that the
 * check spares its scan, which only PostgreSQL 12 and later do.
 */
static bool planned_form_works(const struct lint_ctx *ctx, const struct lint_rule *rule)
{
	if (strcmp(rule->id, "set-not-null") == 0)
		return pg_release_has(ctx->opts->pg_version, PG_FEATURE_NOT_NULL_FROM_CHECK);
	return true;
}

static void lint_vreport(struct lint_ctx *ctx, const struct lint_rule *rule, const char *help,
			 int location, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static void lint_vreport(struct lint_ctx *ctx, const struct lint_rule *rule, const char *help,
			 int location, const char *fmt, va_list ap)
{
	enum lint_severity sev = effective_severity(ctx, rule);
	if (sev == LINT_OFF)
		return;
	/* what the planner makes safe is planned work, not a finding to fix (not --raw:
	 * other runners have no planner) */
	if (rule->plannable && sev == LINT_ERROR && !ctx->opts->raw && !ctx->nested &&
	    ctx->section->section == SECTION_EXPAND && planner_handles(ctx->stmt->node) &&
	    planned_form_works(ctx, rule))
		sev = LINT_PLANNED;

	const struct migration *m = ctx->migration;
	for (size_t i = 0; i < m->n_allows; i++) {
		struct migration_allow *al = &m->allows[i];
		if (strcmp(al->rule, rule->id) != 0)
			continue;
		if (al->file_wide || ctx->allow_target[i] == ctx->stmt->offset) {
			al->used = true;
			return;
		}
	}

	const struct lint_nested *at = ctx->nested;
	if (at)
		location = location >= 0 && at->text_location >= 0 ? at->text_location + location
								   : at->stmt_location;
	int line = ctx->stmt->line, column = ctx->stmt->column;
	if (location >= 0)
		sql_section_line_column(ctx->section, location, &line, &column);
	char *msg = arena_vprintf(ctx->arena, fmt, ap);
	if (at)
		msg = arena_printf(ctx->arena, "in %s: %s", at->where, msg);
	finding_add(ctx, rule, sev, m->path, line, column, msg, ctx->section->section);
	if (help)
		ctx->result->findings[ctx->result->n_findings - 1].help = help;
}

void lint_report(struct lint_ctx *ctx, const struct lint_rule *rule, int location, const char *fmt,
		 ...)
{
	va_list ap;
	va_start(ap, fmt);
	lint_vreport(ctx, rule, NULL, location, fmt, ap);
	va_end(ap);
}

void lint_report_help(struct lint_ctx *ctx, const struct lint_rule *rule, const char *help,
		      int location, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lint_vreport(ctx, rule, help, location, fmt, ap);
	va_end(ap);
}

/*
 * Most rules on an ALTER TABLE ask whether its table is new, and a catalogue
 * lookup walks every table the history created. The answer cannot change
 * while the rules look at one statement, so it is kept until the catalogue
 * may change: table_memo_epoch moves when rules start on a statement and
 * after each replay into the catalogue.
 */
struct table_memo {
	const struct catalog *catalog;
	const PgQuery__RangeVar *rv;
	int order;
	unsigned long epoch;
	bool is_new;
};

#define TABLE_MEMO_SIZE 4

static _Thread_local struct table_memo table_memo[TABLE_MEMO_SIZE];
static _Thread_local unsigned long table_memo_epoch = 1;
static _Thread_local unsigned table_memo_next;

bool lint_table_is_new(const struct lint_ctx *ctx, const PgQuery__RangeVar *rv)
{
	int order = ctx->migration->order;
	for (int i = 0; i < TABLE_MEMO_SIZE; i++) {
		const struct table_memo *e = &table_memo[i];
		if (e->epoch == table_memo_epoch && e->rv == rv && e->catalog == ctx->catalog &&
		    e->order == order)
			return e->is_new;
	}
	bool is_new = catalog_table_is_new(ctx->catalog, rv, order);
	table_memo[table_memo_next++ % TABLE_MEMO_SIZE] = (struct table_memo){
	    .catalog = ctx->catalog,
	    .rv = rv,
	    .order = order,
	    .epoch = table_memo_epoch,
	    .is_new = is_new,
	};
	return is_new;
}

bool lint_commits(const PgQuery__Node *stmt)
{
	return stmt->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT &&
	       stmt->transaction_stmt->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT;
}

enum migration_section lint_section(const struct lint_ctx *ctx)
{
	return ctx->section->section;
}

const char *lint_rangevar_name(struct lint_ctx *ctx, const PgQuery__RangeVar *rv)
{
	if (!rv || !rv->relname)
		return "?";
	if (rv->schemaname && *rv->schemaname)
		return arena_printf(ctx->arena, "%s.%s", rv->schemaname, rv->relname);
	return rv->relname;
}

static bool rule_applies(const struct lint_rule *rule, enum migration_section s, bool raw)
{
	if (raw && strcmp(rule->id, "explicit-transaction") == 0)
		return false; /* other runners leave transactions to the file */
	switch (rule->kind) {
	case LINT_KIND_BREAKING:
		/* a few also break the app version running during contract */
		return s == SECTION_EXPAND || (s == SECTION_CONTRACT && rule->in_contract);
	case LINT_KIND_STYLE:
		return s == SECTION_EXPAND || s == SECTION_CONTRACT;
	case LINT_KIND_REVERSIBLE:
		/* other runners keep no history to revert from */
		return !raw && (s == SECTION_EXPAND || s == SECTION_CONTRACT);
	case LINT_KIND_META:
		return false;
	default:
		return true;
	}
}

/* Runs the rules that apply on one statement (outer, or nested inside ctx->stmt). */
static void run_rules(struct lint_ctx *ctx, const PgQuery__Node *stmt, bool nested)
{
	enum migration_section s = ctx->section->section;
	table_memo_epoch++;
	for (size_t r = 0; r < lint_rules_count; r++) {
		const struct lint_rule *rule = &lint_rules[r];
		if (!rule->check || !rule_applies(rule, s, ctx->opts->raw) ||
		    effective_severity(ctx, rule) == LINT_OFF)
			continue;
		/* opaque rules are what reads nested statements (one level deep);
		 * what the engine reverts is the outer statement as a whole */
		if (nested &&
		    (rule->kind == LINT_KIND_OPAQUE || rule->kind == LINT_KIND_REVERSIBLE))
			continue;
		rule->check(ctx, rule, stmt);
	}
	/* what the revert sections do is undone by design; only the forward
	 * phases build the schema later migrations see */
	if (s == SECTION_EXPAND || s == SECTION_CONTRACT) {
		catalog_apply(ctx->catalog, stmt, ctx->migration->order, s);
		table_memo_epoch++;
	}
}

void lint_check_nested(struct lint_ctx *ctx, const PgQuery__Node *stmt,
		       const struct lint_nested *at)
{
	if (ctx->nested)
		return;
	ctx->nested = at;
	run_rules(ctx, stmt, true);
	ctx->nested = NULL;
}

/* The statement an allow covers is the first one after it in the file. */
static const size_t *allow_targets_compute(struct arena *a, const struct migration *m,
					   const struct sql_section *secs)
{
	size_t *target = arena_alloc(a, sizeof(*target) * (m->n_allows + 1));
	for (size_t i = 0; i < m->n_allows; i++) {
		size_t best = SIZE_MAX;
		for (int s = 0; s < SECTION__COUNT; s++)
			for (size_t k = 0; k < secs[s].n_stmts; k++) {
				size_t off = secs[s].stmts[k].offset;
				if (off > m->allows[i].offset && off < best)
					best = off;
			}
		target[i] = best;
	}
	return target;
}

static void report_allows(struct lint_ctx *ctx, const struct migration *m)
{
	const struct lint_rule *unknown = lint_rule_find("unknown-allow");
	const struct lint_rule *unused = lint_rule_find("unused-allow");
	for (size_t i = 0; i < m->n_allows; i++) {
		const struct migration_allow *al = &m->allows[i];
		const struct lint_rule *target = lint_rule_find(al->rule);
		const struct lint_rule *r = target ? unused : unknown;
		if (target && (al->used || effective_severity(ctx, target) == LINT_OFF))
			continue;
		enum lint_severity sev = effective_severity(ctx, r);
		if (sev == LINT_OFF)
			continue;
		const char *msg =
		    target ? arena_printf(ctx->arena, "allow '%s' suppresses nothing", al->rule)
			   : arena_printf(ctx->arena, "allow names unknown rule '%s'", al->rule);
		finding_add(ctx, r, sev, m->path, al->line, al->column, msg, SECTION_EXPAND);
	}
}

static void lint_migration(struct lint_ctx *ctx, const struct migration *m,
			   struct sql_section *secs)
{
	ctx->allow_target = allow_targets_compute(ctx->arena, m, secs);
	ctx->migration = m;
	/* a set may be linted more than once (other options): start each run afresh */
	for (size_t i = 0; i < m->n_allows; i++)
		m->allows[i].used = false;
	for (int s = 0; s < SECTION__COUNT; s++) {
		ctx->section = &secs[s];
		for (size_t k = 0; k < secs[s].n_stmts; k++) {
			ctx->stmt_index = k;
			ctx->stmt = &secs[s].stmts[k];
			ctx->result->n_statements++;
			run_rules(ctx, ctx->stmt->node, false);
		}
	}
	report_allows(ctx, m);
}

/*
 * A file the parser could not read, with keep_going: one finding where the
 * parser stopped, and what the file may have done to the objects it names is
 * unknown from here on.
 */
static void lint_unparsed(struct lint_ctx *ctx, const struct migration *m,
			  const struct mg_error *perr)
{
	const struct lint_rule *rule = lint_rule_find("syntax-error");
	ctx->migration = m;
	finding_add(ctx, rule, LINT_ERROR, m->path, perr->line, perr->column,
		    arena_strdup(ctx->arena, perr->message), SECTION_EXPAND);
	ctx->result->n_syntax_errors++;
	const char **names;
	size_t n = sql_scan_names(ctx->arena, m->text, m->text_len, &names);
	for (size_t i = 0; i < n; i++)
		catalog_forget(ctx->catalog, names[i]);
	table_memo_epoch++;
}

int lint_run(struct arena *a, const struct migration_set *set, const struct lint_options *opts,
	     struct lint_result *ret, struct mg_error *err)
{
	memset(ret, 0, sizeof(*ret));
	struct catalog cat;
	catalog_init(&cat, a);
	struct lint_ctx ctx = {.arena = a, .catalog = &cat, .opts = opts, .result = ret};
	if (opts->history)
		ctx.inflight = lint_inflight_build(a, set, opts->history, opts);

	/* each file format's own state: what its earlier migrations made */
	void **format_state = arena_alloc(a, sizeof(void *) * (target_formats_count + 1));
	struct parse_pipeline pipe;
	pipeline_start(a, &pipe, set, opts->jobs);
	for (size_t i = 0; i < set->n; i++) {
		pipeline_wait(&pipe, i);
		if (pipe.failed[i] && opts->keep_going) {
			ret->n_files++;
			lint_unparsed(&ctx, set->items[i], &pipe.errors[i]);
			pipeline_release(&pipe, i);
			continue;
		}
		if (pipe.failed[i]) {
			/* the first failure in version order, whichever thread met it */
			*err = pipe.errors[i];
			pipeline_finish(&pipe);
			memset(ret, 0, sizeof(*ret));
			return -1;
		}
		const struct migration *m = set->items[i];
		ret->n_files++;
		size_t f;
		const struct target_format *format = target_format_of(m, &f);
		if (!format) {
			lint_migration(&ctx, m, &pipe.sections[i * SECTION__COUNT]);
		} else if (format->lint(&ctx, m, &format_state[f], err) < 0) {
			pipeline_finish(&pipe);
			memset(ret, 0, sizeof(*ret));
			return -1;
		}
		pipeline_release(&pipe, i);
	}
	pipeline_finish(&pipe);
	return 0;
}
