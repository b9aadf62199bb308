/*
 * Migrations in flight from several branches on one shared database.
 */
#include "run/branches.h"

#include <string.h>

#include "plan/objects.h"
#include "target/phase.h"

const struct migration *branches_file_of(const struct migration_set *set, int64_t version)
{
	for (size_t k = 0; k < set->n; k++)
		if (set->items[k]->has_version && set->items[k]->version == version)
			return set->items[k];
	return NULL;
}

int64_t branches_applied_above(const struct history *h, const struct migration *m)
{
	int64_t max = 0;
	for (size_t i = 0; i < h->n; i++) {
		const struct history_entry *e = &h->items[i];
		if (e->phase != HISTORY_PENDING && e->version > m->version && e->version > max)
			max = e->version;
	}
	return max;
}

void branches_say_out_of_order(const struct history *h, const struct migration *m,
			       const struct runner_options *o)
{
	int64_t above = branches_applied_above(h, m);
	if (above && !o->dry_run)
		runner_say(o->say, o->say_ctx,
			   "applying %lld_%s out of order: %lld is applied already",
			   (long long)m->version, m->name, (long long)above);
	else if (above)
		runner_say(o->say, o->say_ctx,
			   "would apply %lld_%s out of order: %lld is applied already",
			   (long long)m->version, m->name, (long long)above);
}

int branches_judge(const struct history *h, const struct migration_set *set,
		   const struct runner_options *o, struct mg_error *err)
{
	for (size_t i = 0; i < h->n; i++) {
		const struct history_entry *e = &h->items[i];
		const struct migration *m = branches_file_of(set, e->version);
		if (!m) {
			runner_say(o->say, o->say_ctx,
				   "note: %lld_%s is %s in the database but not in this checkout: "
				   "another branch's migration, left as it is (its undo is in the "
				   "history)",
				   (long long)e->version, e->name, history_phase_name(e->phase));
			continue;
		}
		if (!o->allow_drift && !migration_checksum_matches(m, e->checksum)) {
			mg_error_set_at(err, 2, m->path, 0, 0,
					"file changed since it was applied (%s); its checksum no "
					"longer matches the history",
					history_phase_name(e->phase));
			mg_error_set_help(err, "put a new change in a new migration; "
					       "--allow-drift applies anyway, on purpose");
			return -1;
		}
	}
	if (!o->strict_order || !(o->phases & RUN_EXPAND))
		return 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct migration *m = set->items[i];
		if (!m->has_version || history_find(h, m->version))
			continue;
		if (o->has_to && m->version > o->to)
			break;
		int64_t above = branches_applied_above(h, m);
		if (!above)
			continue;
		const struct history_entry *e = history_find(h, above);
		mg_error_set_at(err, 2, m->path, 0, 0,
				"%lld_%s is numbered below %lld_%s, applied already: strict order "
				"refuses to apply it",
				(long long)m->version, m->name, (long long)above, e->name);
		mg_error_set_help(err,
				  "renumber it above %lld, or apply it out of order without "
				  "--strict-order ([migrations] strict_order = false)",
				  (long long)above);
		return -1;
	}
	return 0;
}

int branches_upgrade_checksums(struct driver *d, struct history *h, const struct migration_set *set,
			       struct mg_error *err)
{
	if (!d->history_layout || d->history_layout >= HISTORY_LAYOUT_STATEMENT_CHECKSUMS ||
	    !d->ops->history_set_layout)
		return 0;
	if (d->ops->begin(d, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < h->n; i++) {
		struct history_entry *e = &h->items[i];
		const struct migration *m = branches_file_of(set, e->version);
		if (!m || !e->checksum || strcmp(e->checksum, m->file_checksum) != 0 ||
		    strcmp(e->checksum, m->checksum) == 0)
			continue;
		const char *old = e->checksum;
		e->checksum = m->checksum;
		rc = d->ops->history_save(d, e, err);
		if (rc < 0)
			e->checksum = old;
	}
	if (rc == 0)
		rc = d->ops->history_set_layout(d, HISTORY_LAYOUT_CURRENT, err);
	if (rc == 0)
		rc = d->ops->commit(d, err);
	if (rc < 0)
		d->ops->rollback(d);
	return rc;
}

void branches_say_unseen(runner_say_fn fn, void *ctx, const struct migration *m,
			 const struct migration *earlier, const char *prefix)
{
	runner_say(fn, ctx,
		   "%snote: %lld_%s is planned against the database as it is now, without the "
		   "changes of %lld_%s (not applied yet): where it uses them, the steps the "
		   "planner derives and the derived revert can differ when up runs; plan it again "
		   "once %lld_%s is expanded",
		   prefix, (long long)m->version, m->name, (long long)earlier->version,
		   earlier->name, (long long)earlier->version, earlier->name);
}

int branches_cannot_plan_yet(runner_say_fn fn, void *ctx, const struct migration *m,
			     const struct migration *earlier, const char *prefix,
			     struct mg_error *err)
{
	if (!earlier || err->code == 4)
		return -1;
	runner_say(fn, ctx, "%scannot plan %lld_%s yet: %s (it needs %lld_%s applied first)",
		   prefix, (long long)m->version, m->name, err->message,
		   (long long)earlier->version, earlier->name);
	mg_error_clear(err);
	return 0;
}

/* The phases of e applied, in order: its expand, then its contract when applied. */
static size_t applied_phases(const struct history_entry *e, enum migration_section ret[2])
{
	size_t n = 0;
	if (e->phase == HISTORY_PENDING)
		return 0;
	ret[n++] = SECTION_EXPAND;
	if (e->phase == HISTORY_CONTRACTING || e->phase == HISTORY_CONTRACTED)
		ret[n++] = SECTION_CONTRACT;
	return n;
}

/*
 * What phase s of e did: as recorded, else read off its file when this
 * checkout has it unchanged (a phase applied before histories recorded it).
 * NULL when neither.
 */
static const struct object_set *phase_objects(struct arena *a, const struct history_entry *e,
					      enum migration_section s,
					      const struct migration_set *set)
{
	const struct object_set *rec =
	    s == SECTION_EXPAND ? &e->objects_expand : &e->objects_contract;
	if (rec->recorded)
		return rec;
	const struct migration *m = set ? branches_file_of(set, e->version) : NULL;
	if (!m || !migration_checksum_matches(m, e->checksum))
		return NULL;
	struct object_set *from_file = arena_alloc(a, sizeof(*from_file));
	struct mg_error ignore = MG_ERROR_INIT;
	if (objects_of_phase(a, m, s, from_file, &ignore) < 0 || !from_file->recorded)
		return NULL;
	return from_file;
}

static bool has_table(enum object_kind k)
{
	return k == OBJECT_COLUMN || k == OBJECT_CONSTRAINT || k == OBJECT_TRIGGER ||
	       k == OBJECT_INDEX;
}

/*
 * Does later's y depend on x, which the migration to revert made (created
 * or changed) or dropped? *ret_parent: through x being y's table.
 */
static bool depends_on(const struct object_ref *x, const struct object_ref *y, bool *ret_parent)
{
	*ret_parent = false;
	if (x->does == OBJECT_DROPPED)
		return y->does == OBJECT_CREATED && objects_same(x, y);
	if (x->does != OBJECT_CREATED && x->does != OBJECT_CHANGED)
		return false;
	if (objects_same(x, y))
		return true;
	if (x->kind == OBJECT_COLUMN && y->kind == OBJECT_COLUMN && strcmp(y->name, "*") == 0 &&
	    x->table && y->table && strcmp(x->table, y->table) == 0)
		return true;
	if ((x->kind == OBJECT_TABLE || x->kind == OBJECT_VIEW) && has_table(y->kind) && y->table) {
		struct object_ref as_table = {
		    .kind = OBJECT_TABLE, .schema = y->schema, .name = y->table};
		*ret_parent = objects_same(x, &as_table);
		return *ret_parent;
	}
	return false;
}

/*
 * set, and each table whose column, constraint or index it created, changed
 * or dropped as changed as a whole: its undo rebuilds that table.
 */
static const struct object_set *with_tables_rebuilt(struct arena *a, const struct object_set *set)
{
	struct object_set *out = arena_alloc(a, sizeof(*out));
	*out = *set;
	out->items = NULL;
	out->n = out->alloc = 0;
	for (size_t i = 0; i < set->n; i++) {
		ARENA_GROW(a, out->items, out->n, out->alloc, out->n + 1);
		out->items[out->n++] = set->items[i];
	}
	for (size_t i = 0; i < set->n; i++) {
		const struct object_ref *o = &set->items[i];
		if (!o->table || o->does == OBJECT_USED || o->kind == OBJECT_INDEX)
			continue;
		struct object_ref t = {.kind = OBJECT_TABLE,
				       .does = OBJECT_CHANGED,
				       .schema = o->schema,
				       .name = o->table,
				       .via = "its undo rebuilds the table as it was then"};
		ARENA_GROW(a, out->items, out->n, out->alloc, out->n + 1);
		out->items[out->n++] = t;
	}
	return out;
}

static const char *does_verb(enum object_does d)
{
	static const char *const verbs[] = {"creates", "changes", "drops", "uses"};
	return d < OBJECT_DOES__COUNT ? verbs[d] : "uses";
}

static int refuse_dependent(struct arena *a, const struct history_entry *m,
			    const struct history_entry *later, const struct object_ref *x,
			    const struct object_ref *y, bool parent, struct mg_error *err)
{
	const char *in = y->via ? arena_printf(a, " in %s", y->via) : "";
	const char *what = parent ? arena_printf(a, ", of %s", objects_describe(a, x)) : "";
	const char *why = x->via ? arena_printf(a, " (%s)", x->via) : "";
	mg_error_set(err, 2,
		     "cannot revert %lld_%s alone: %lld_%s, applied after it, %s %s%s%s, which "
		     "%lld_%s %s%s; nothing was reverted",
		     (long long)m->version, m->name, (long long)later->version, later->name,
		     does_verb(y->does), objects_describe(a, y), in, what, (long long)m->version,
		     m->name, object_does_name(x->does), why);
	mg_error_set_help(err, "revert %lld_%s first ('migrate revert %lld'), then this one",
			  (long long)later->version, later->name, (long long)later->version);
	return -1;
}

int branches_revert_check(struct arena *a, const struct history *h,
			  const struct history_entry *target, const struct migration_set *set,
			  bool undo_rebuilds_tables, struct mg_error *err)
{
	for (size_t i = 0; i < h->n; i++) {
		const struct history_entry *e = &h->items[i];
		if (e != target && e->reverting && e->phase != HISTORY_PENDING) {
			mg_error_set(err, 2,
				     "the revert of %lld_%s was interrupted: it is finished "
				     "before another migration is reverted; nothing was reverted",
				     (long long)e->version, e->name);
			mg_error_set_help(err, "run 'migrate revert' to finish it");
			return -1;
		}
	}
	enum migration_section mine[2], theirs[2];
	size_t n_mine = applied_phases(target, mine);
	const struct object_set *made[2] = {NULL, NULL};
	bool made_read = false;
	for (size_t i = 0; i < h->n; i++) {
		const struct history_entry *later = &h->items[i];
		if (later == target)
			continue;
		size_t n = applied_phases(later, theirs);
		for (size_t p = 0; p < n; p++) {
			int64_t seq =
			    theirs[p] == SECTION_EXPAND ? later->expand_seq : later->contract_seq;
			if (seq <= target->expand_seq)
				continue;
			/* a phase applied after this migration's: what it did is needed */
			if (!made_read) {
				for (size_t k = 0; k < n_mine; k++) {
					made[k] = phase_objects(a, target, mine[k], set);
					if (made[k] && undo_rebuilds_tables)
						made[k] = with_tables_rebuilt(a, made[k]);
				}
				made_read = true;
			}
			const struct object_set *ys = phase_objects(a, later, theirs[p], set);
			const struct history_entry *unknown = NULL;
			for (size_t k = 0; k < n_mine; k++)
				if (!made[k])
					unknown = target;
			if (!ys)
				unknown = later;
			if (unknown) {
				mg_error_set(
				    err, 2,
				    "cannot revert %lld_%s alone: %lld_%s is applied after it, and "
				    "the history does not record what %lld_%s did (it was applied "
				    "by an older migrate) nor does this checkout have its file "
				    "unchanged; nothing was reverted",
				    (long long)target->version, target->name,
				    (long long)later->version, later->name,
				    (long long)unknown->version, unknown->name);
				mg_error_set_help(
				    err,
				    "revert what was applied after it first, or run the "
				    "revert from a checkout with %lld_%s's file",
				    (long long)unknown->version, unknown->name);
				return -1;
			}
			for (size_t k = 0; k < n_mine; k++)
				for (size_t xi = 0; xi < made[k]->n; xi++)
					for (size_t yi = 0; yi < ys->n; yi++) {
						bool parent;
						if (depends_on(&made[k]->items[xi], &ys->items[yi],
							       &parent))
							return refuse_dependent(
							    a, target, later, &made[k]->items[xi],
							    &ys->items[yi], parent, err);
					}
		}
	}
	return 0;
}
