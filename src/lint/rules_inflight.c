#include <string.h>

#include "lint/inflight.h"
#include "lint/rules.h"
#include "lint/plannable.h"

/*
 * Many branches expand on one shared database. A migration in flight there
 * (not contracted, or another branch's) runs with its app version, which
 * needs its objects as they are: a pending change that renames, retypes,
 * drops or constrains one of them breaks that branch, however safe the
 * change is for this one.
 *
 * A migration of this checkout that is only expanded is in flight too, but
 * a change the planner makes (in expand, not --raw) is planned against what
 * it expanded and contracted after it, in version order: the two compose,
 * as the planner's own refusals (planner-conflict) judge. Another branch's
 * migration composes with nothing here: its contract and its revert do not
 * know this change.
 */

static const char *act_verb(enum inflight_act act)
{
	switch (act) {
	case INFLIGHT_CREATES:
		return "creates";
	case INFLIGHT_CHANGES:
		return "changes";
	case INFLIGHT_USES:
		return "uses";
	case INFLIGHT_RENAMES:
		return "renames";
	case INFLIGHT_RETYPES:
		return "changes the type of";
	case INFLIGHT_DROPS:
		return "drops";
	case INFLIGHT_CONSTRAINS:
		return "constrains";
	}
	return "?";
}

static const char *kind_name(enum inflight_object_kind k)
{
	switch (k) {
	case INFLIGHT_TABLE:
		return "table";
	case INFLIGHT_COLUMN:
		return "column";
	case INFLIGHT_INDEX:
		return "index";
	case INFLIGHT_CONSTRAINT:
		return "constraint";
	case INFLIGHT_VIEW:
		return "view";
	}
	return "?";
}

static const char *object_text(struct arena *a, const struct inflight_touch *t)
{
	if (t->kind == INFLIGHT_COLUMN && t->table)
		return arena_printf(a, "column %s.%s", t->table, t->name);
	return arena_printf(a, "%s %s", kind_name(t->kind), t->name);
}

static bool same_name(const char *x, const char *y)
{
	return x && y && strcmp(x, y) == 0;
}

/* Does the pending change p reach the object the in-flight migration's f is about? */
static bool touches_meet(const struct inflight_touch *p, const struct inflight_touch *f)
{
	switch (p->kind) {
	case INFLIGHT_TABLE:
		/* dropping or renaming a table takes everything on it */
		return (f->kind == INFLIGHT_TABLE && same_name(p->name, f->name)) ||
		       (f->kind != INFLIGHT_TABLE && f->kind != INFLIGHT_VIEW &&
			same_name(p->name, f->table));
	case INFLIGHT_COLUMN:
		return f->kind == INFLIGHT_COLUMN && same_name(p->table, f->table) &&
		       same_name(p->name, f->name);
	default:
		return f->kind == p->kind && same_name(p->name, f->name);
	}
}

static bool act_is_pending_hazard(enum inflight_act act)
{
	return act == INFLIGHT_RENAMES || act == INFLIGHT_RETYPES || act == INFLIGHT_DROPS ||
	       act == INFLIGHT_CONSTRAINS;
}

static const char *where_text(struct arena *a, const struct inflight_migration *x)
{
	return arena_printf(a, "%s on the database%s", history_phase_name(x->phase),
			    x->in_checkout ? "" : ", not in this checkout");
}

void check_in_flight_conflict(struct lint_ctx *ctx, const struct lint_rule *rule,
			      const PgQuery__Node *stmt)
{
	const struct lint_inflight_set *set = ctx->inflight;
	enum migration_section s = lint_section(ctx);
	unsigned runs = ctx->opts->runs;
	if (!set || !set->n || !ctx->migration->has_version ||
	    lint_section_applied(ctx->opts->history, ctx->migration, s) ||
	    (runs && !(runs & (s == SECTION_EXPAND ? LINT_RUNS_EXPAND : LINT_RUNS_CONTRACT))))
		return;
	bool composes =
	    !ctx->opts->raw && !ctx->nested && s == SECTION_EXPAND && planner_handles(stmt);
	struct inflight_touches mine = {0};
	inflight_touches_of(ctx->arena, stmt, &mine);
	/* one finding per statement and migration it meets: the first object names it */
	bool *said = arena_alloc(ctx->arena, sizeof(*said) * set->n);
	memset(said, 0, sizeof(*said) * set->n);
	for (size_t i = 0; i < mine.n; i++) {
		const struct inflight_touch *p = &mine.items[i];
		if (!act_is_pending_hazard(p->act))
			continue;
		for (size_t k = 0; k < set->n; k++) {
			const struct inflight_migration *x = &set->items[k];
			if (said[k] || x->version == ctx->migration->version ||
			    (x->in_checkout && composes) ||
			    (x->in_checkout && (runs & LINT_RUNS_CONTRACT) &&
			     x->version < ctx->migration->version))
				continue;
			const struct inflight_touch *f = NULL;
			for (size_t t = 0; t < x->touches.n && !f; t++)
				if (touches_meet(p, &x->touches.items[t]))
					f = &x->touches.items[t];
			if (!f)
				continue;
			said[k] = true;
			const char *via = f->via ? arena_printf(ctx->arena, " (%s)", f->via) : "";
			lint_report(ctx, rule, p->location,
				    "this statement %s %s, which %lld_%s (in flight: %s) %s %s%s: "
				    "that branch's app version still needs it as it is",
				    act_verb(p->act), object_text(ctx->arena, p),
				    (long long)x->version, x->name, where_text(ctx->arena, x),
				    act_verb(f->act), object_text(ctx->arena, f), via);
		}
	}
}
