/*
 * Migrations in flight from several branches on one shared database.
 */
#include "run/branches.h"

#include <string.h>

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
		rc = d->ops->history_set_layout(d, HISTORY_LAYOUT_STATEMENT_CHECKSUMS, err);
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
