#include "lint/lint.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "sql/ast.h"

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

/* ---- parallel parsing ---- */

struct parse_job_state {
	const struct migration_set *set;
	struct sql_section *sections; /* n * SECTION__COUNT */
	struct mg_error *errors;      /* n */
	int *failed;		      /* n */
	atomic_size_t next;
};

struct parse_worker {
	pthread_t thread;
	struct arena arena;
	struct parse_job_state *state;
};

static void parse_one(struct arena *a, struct parse_job_state *st, size_t i)
{
	const struct migration *m = st->set->items[i];
	if (m->kind != MIGRATION_SQL)
		return;
	for (int s = 0; s < SECTION__COUNT; s++) {
		if (sql_parse_section(a, m, s, &st->sections[i * SECTION__COUNT + s],
				      &st->errors[i]) < 0) {
			st->failed[i] = 1;
			return;
		}
	}
}

static void *parse_worker_main(void *arg)
{
	struct parse_worker *w = arg;
	size_t i;
	while ((i = atomic_fetch_add(&w->state->next, 1)) < w->state->set->n)
		parse_one(&w->arena, w->state, i);
	/* the parser keeps a memory context per thread; free it before the thread ends */
	pg_query_exit();
	return NULL;
}

static int parse_all(struct arena *a, const struct migration_set *set, int jobs,
		     struct sql_section **ret_sections, struct mg_error *err)
{
	struct parse_job_state st = {0};
	st.set = set;
	st.sections = arena_alloc(a, sizeof(*st.sections) * (set->n * SECTION__COUNT + 1));
	st.errors = arena_alloc(a, sizeof(*st.errors) * (set->n + 1));
	st.failed = arena_alloc(a, sizeof(*st.failed) * (set->n + 1));
	atomic_init(&st.next, 0);

	if (jobs <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = n > 0 ? (int)n : 1;
	}
	if ((size_t)jobs > set->n)
		jobs = (int)set->n;
	if (jobs <= 1) {
		for (size_t i = 0; i < set->n; i++)
			parse_one(a, &st, i);
	} else {
		struct parse_worker *workers = arena_alloc(a, sizeof(*workers) * (size_t)jobs);
		int started = 0;
		for (int j = 0; j < jobs; j++) {
			arena_init(&workers[j].arena);
			workers[j].state = &st;
			if (pthread_create(&workers[j].thread, NULL, parse_worker_main,
					   &workers[j]) != 0)
				break;
			started++;
		}
		if (!started) /* no threads to be had: parse here */
			for (size_t i; (i = atomic_fetch_add(&st.next, 1)) < set->n;)
				parse_one(a, &st, i);
		for (int j = 0; j < started; j++) {
			pthread_join(workers[j].thread, NULL);
			arena_adopt(a, &workers[j].arena);
		}
	}
	/* report the first failure in version order, whichever thread met it */
	for (size_t i = 0; i < set->n; i++) {
		if (st.failed[i]) {
			*err = st.errors[i];
			return -1;
		}
	}
	*ret_sections = st.sections;
	return 0;
}

/* ---- findings ---- */

static void finding_add(struct lint_ctx *ctx, const struct lint_rule *rule,
			enum lint_severity sev, const char *file, int line, int column,
			const char *message, enum migration_section section)
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

void lint_report(struct lint_ctx *ctx, const struct lint_rule *rule, int location,
		 const char *fmt, ...)
{
	enum lint_severity sev = effective_severity(ctx, rule);
	if (sev == LINT_OFF)
		return;

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

	int line = ctx->stmt->line, column = ctx->stmt->column;
	if (location >= 0)
		sql_section_line_column(ctx->section, location, &line, &column);
	va_list ap;
	va_start(ap, fmt);
	char *msg = arena_vprintf(ctx->arena, fmt, ap);
	va_end(ap);
	finding_add(ctx, rule, sev, m->path, line, column, msg, ctx->section->section);
}

bool lint_table_is_new(const struct lint_ctx *ctx, const PgQuery__RangeVar *rv)
{
	return catalog_table_is_new(ctx->catalog, rv, ctx->migration->order);
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
		return s == SECTION_EXPAND;
	case LINT_KIND_STYLE:
		return s == SECTION_EXPAND || s == SECTION_CONTRACT;
	case LINT_KIND_META:
		return false;
	default:
		return true;
	}
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
		const char *msg = target ? arena_printf(ctx->arena,
							"allow '%s' suppresses nothing", al->rule)
					 : arena_printf(ctx->arena,
							"allow names unknown rule '%s'", al->rule);
		finding_add(ctx, r, sev, m->path, al->line, al->column, msg, SECTION_EXPAND);
	}
}

int lint_run(struct arena *a, const struct migration_set *set, const struct lint_options *opts,
	     struct lint_result *ret, struct mg_error *err)
{
	memset(ret, 0, sizeof(*ret));
	struct sql_section *sections;
	if (parse_all(a, set, opts->jobs, &sections, err) < 0)
		return -1;

	struct catalog cat;
	catalog_init(&cat, a);
	struct lint_ctx ctx = {.arena = a, .catalog = &cat, .opts = opts, .result = ret};
	for (size_t i = 0; i < set->n; i++) {
		const struct migration *m = set->items[i];
		ret->n_files++;
		if (m->kind != MIGRATION_SQL)
			continue;
		struct sql_section *secs = &sections[i * SECTION__COUNT];
		ctx.allow_target = allow_targets_compute(a, m, secs);
		ctx.migration = m;
		for (int s = 0; s < SECTION__COUNT; s++) {
			ctx.section = &secs[s];
			for (size_t k = 0; k < secs[s].n_stmts; k++) {
				ctx.stmt_index = k;
				ctx.stmt = &secs[s].stmts[k];
				ret->n_statements++;
				for (size_t r = 0; r < lint_rules_count; r++) {
					const struct lint_rule *rule = &lint_rules[r];
					if (!rule->check || !rule_applies(rule, s, opts->raw) ||
					    effective_severity(&ctx, rule) == LINT_OFF)
						continue;
					rule->check(&ctx, rule, ctx.stmt->node);
				}
				/* what the revert sections do is undone by design; only the
				 * forward phases build the schema later migrations see */
				if (s == SECTION_EXPAND || s == SECTION_CONTRACT)
					catalog_apply(&cat, ctx.stmt->node, m->order, s);
			}
		}
		report_allows(&ctx, m);
	}
	return 0;
}
