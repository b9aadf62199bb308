/*
 * Batched backfills: keyset pagination along a unique NOT NULL key, one short
 * transaction per batch under lock_timeout, the cursor saved in the same
 * transaction so that a run that was killed continues after the last batch
 * that committed. Rows the app writes meanwhile are kept right by the
 * triggers the planner installed before the backfill starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/crash.h"
#include "run/runner_signal.h"
#include "sql/quote.h"
#include "target/plan.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int query1(struct driver *d, struct arena *a, const char *sql, int n,
		  const char *const *params, struct driver_rows *rows, struct mg_error *err)
{
	return d->ops->query(d, a, sql, n, params, rows, err);
}

/* The key as one value to compare: "k", or the row "(k1, k2)" of a key of several columns. */
static const char *key_row(struct arena *a, const struct backfill *bf)
{
	if (!bf->n_keys)
		return bf->key;
	const char *s = "(";
	for (size_t i = 0; i < bf->n_keys; i++)
		s = arena_printf(a, "%s%s%s", s, i ? ", " : "", bf->keys[i]);
	return arena_printf(a, "%s)", s);
}

/*
 * The saved cursor (text parameter param) as a value of the key's type. A key
 * of several columns keeps its cursor as a JSON array of the columns' text
 * forms, which each column's type reads back exactly.
 */
static const char *cursor_value(struct arena *a, const struct backfill *bf, const char *param)
{
	if (!bf->n_keys)
		return arena_printf(a, "%s::text::%s", param, bf->key_type);
	const char *s = "(";
	for (size_t i = 0; i < bf->n_keys; i++)
		s = arena_printf(a, "%s%s(%s::text::json->>%zu)::%s", s, i ? ", " : "", param, i,
				 bf->key_types[i]);
	return arena_printf(a, "%s)", s);
}

/*
 * The batch along a key of several columns: the next batch_size keys after
 * the cursor, the last of them as the range's end (a row comparison, which
 * the key's index scans as one range) and as the next cursor.
 */
static const char *batch_sql_multi(struct arena *a, const struct backfill *bf, const char *after,
				   const char *hs)
{
	const char *cols = "", *order = "", *desc = "", *texts = "", *names = "";
	for (size_t i = 0; i < bf->n_keys; i++) {
		const char *sep = i ? ", " : "";
		cols = arena_printf(a, "%s%s%s AS mg_k%zu", cols, sep, bf->keys[i], i);
		order = arena_printf(a, "%s%s%s", order, sep, bf->keys[i]);
		desc = arena_printf(a, "%s%smg_k%zu DESC", desc, sep, i);
		texts = arena_printf(a, "%s%smg_k%zu::text", texts, sep, i);
		names = arena_printf(a, "%s%smg_k%zu", names, sep, i);
	}
	return arena_printf(
	    a,
	    "WITH mg_keys AS (SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT $2::int), "
	    "mg_batch AS (SELECT json_build_array(%s)::text AS mg_hi, %s, (SELECT count(*) FROM "
	    "mg_keys) AS mg_n FROM mg_keys ORDER BY %s LIMIT 1), "
	    "mg_done AS (UPDATE %s SET %s WHERE %s AND %s <= (SELECT %s FROM mg_batch)%s%s "
	    "RETURNING 1), "
	    "mg_cursor AS (INSERT INTO %s.backfills (version, unit, last_key, rows) "
	    "SELECT $3, $4, mg_hi, $5::bigint + mg_n FROM mg_batch WHERE mg_n > 0 "
	    "ON CONFLICT (version, unit) DO UPDATE SET last_key = excluded.last_key, "
	    "rows = excluded.rows, updated_at = now() RETURNING 1) "
	    "SELECT mg_hi, mg_n, (SELECT count(*) FROM mg_done), "
	    "(SELECT count(*) FROM mg_cursor) FROM mg_batch",
	    cols, bf->table, after, order, texts, names, desc, bf->table, bf->set_sql, after,
	    key_row(a, bf), names, bf->where_sql ? " AND " : "",
	    bf->where_sql ? arena_printf(a, "(%s)", bf->where_sql) : "", hs);
}

int backfill_run(struct driver *d, struct arena *a, const struct backfill *bf, int64_t version,
		 int unit_index, const struct backfill_options *o, struct mg_error *err)
{
	const char *hs = sql_ident(a, o->history_schema);
	char v[32], u[16], batch[16];
	snprintf(v, sizeof(v), "%lld", (long long)version);
	snprintf(u, sizeof(u), "%d", unit_index);
	snprintf(batch, sizeof(batch), "%d", o->batch_size > 0 ? o->batch_size : 1000);

	/* where an interrupted run stopped */
	struct driver_rows rows;
	const char *cp[] = {v, u};
	if (query1(
		d, a,
		arena_printf(a,
			     "SELECT last_key, rows FROM %s.backfills WHERE version = $1 AND unit "
			     "= $2",
			     hs),
		2, cp, &rows, err) < 0)
		return -1;
	const char *last = driver_rows_get(&rows, 0, 0);
	long long done_rows = rows.n_rows ? atoll(driver_rows_get(&rows, 0, 1)) : 0;
	/*
	 * A cursor is only worth following when the rows behind it are done. One
	 * left by an expand that was reverted (its column dropped, then added
	 * again empty) is not: start over rather than leave those rows unfilled.
	 */
	if (last && bf->where_sql) {
		const char *sp[] = {last};
		if (query1(d, a,
			   arena_printf(
			       a, "SELECT EXISTS (SELECT 1 FROM %s WHERE %s <= %s AND (%s))::text",
			       bf->table, key_row(a, bf), cursor_value(a, bf, "$1"), bf->where_sql),
			   1, sp, &rows, err) < 0)
			return -1;
		if (strcmp(driver_rows_get(&rows, 0, 0), "true") == 0) {
			last = NULL;
			done_rows = 0;
		}
	}

	struct backfill_progress prog = {.rows = done_rows};
	const char *tp[] = {bf->table};
	if (query1(
		d, a,
		"SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass($1)",
		1, tp, &rows, err) == 0)
		prog.total =
		    atoll(driver_rows_get(&rows, 0, 0) ? driver_rows_get(&rows, 0, 0) : "0");

	/*
	 * The batch is the next batch_size keys after the cursor; the UPDATE then
	 * takes them as one key range (an index range scan, about a third faster
	 * than joining the keys one by one). A row the app inserts inside the range
	 * meanwhile is updated too, which the trigger made a no-op anyway. The
	 * range's end is taken by ordering, not max(): a uuid key has no max.
	 */
	const char *after_cursor = arena_printf(a, "($1::text IS NULL OR %s > %s)", key_row(a, bf),
						cursor_value(a, bf, "$1"));
	const char *sql =
	    bf->n_keys
		? batch_sql_multi(a, bf, after_cursor, hs)
		: arena_printf(
		      a,
		      "WITH mg_batch AS (SELECT (array_agg(mg_k ORDER BY mg_k DESC))[1] AS mg_hi, "
		      "count(*) AS mg_n FROM (SELECT %s AS "
		      "mg_k FROM %s WHERE %s ORDER BY %s LIMIT $2::int) AS mg_keys), "
		      "mg_done AS (UPDATE %s SET %s WHERE %s AND %s <= (SELECT mg_hi FROM "
		      "mg_batch)%s%s "
		      "RETURNING 1), "
		      "mg_cursor AS (INSERT INTO %s.backfills (version, unit, last_key, rows) "
		      "SELECT $3, $4, mg_hi::text, $5::bigint + mg_n FROM mg_batch WHERE mg_n > 0 "
		      "ON CONFLICT (version, unit) DO UPDATE SET last_key = excluded.last_key, "
		      "rows = excluded.rows, updated_at = now() RETURNING 1) "
		      "SELECT mg_hi::text, mg_n, (SELECT count(*) FROM mg_done), "
		      "(SELECT count(*) FROM mg_cursor) FROM mg_batch",
		      bf->key, bf->table, after_cursor, bf->key, bf->table, bf->set_sql,
		      after_cursor, bf->key, bf->where_sql ? " AND " : "",
		      bf->where_sql ? arena_printf(a, "(%s)", bf->where_sql) : "", hs);
	int64_t t0 = mono_ms(), last_report = 0;
	long long rows_this_run = 0;
	int batches = 0;
	for (;;) {
		/* a signal stops between batches: the cursor of the last one is committed */
		if (runner_interrupted())
			return runner_interrupt_stop(err);
		char rows_s[32];
		snprintf(rows_s, sizeof(rows_s), "%lld", prog.rows);
		const char *params[] = {last, batch, v, u, rows_s};
		if (o->throttle && o->throttle(o->throttle_ctx, d, err) < 0)
			return -1;
		int rc = -1;
		for (int attempt = 0;; attempt++) {
			/* each batch is its own short transaction: locks last milliseconds */
			rc = d->ops->begin(d, err);
			/* the sync triggers skip this transaction's rows (pg/planner.c, WHEN) */
			if (rc == 0)
				rc = query1(d, a,
					    "SELECT set_config('migrate.backfill', 'on', true)", 0,
					    NULL, &rows, err);
			if (rc == 0)
				rc = query1(d, a, sql, 5, params, &rows, err);
			if (rc == 0)
				rc = d->ops->commit(d, err);
			if (rc == 0)
				break;
			d->ops->rollback(d);
			if (strcmp(err->sqlstate, "55P03") != 0 || attempt >= o->retries ||
			    runner_interrupted())
				return -1;
			usleep((useconds_t)(100000 << (attempt < 6 ? attempt : 6)));
		}
		long long n =
		    atoll(driver_rows_get(&rows, 0, 1) ? driver_rows_get(&rows, 0, 1) : "0");
		if (n == 0)
			break;
		last = driver_rows_get(&rows, 0, 0);
		prog.rows += n;
		rows_this_run += n;
		batches++;
		int64_t now = mono_ms();
		prog.rate = now > t0 ? rows_this_run * 1000.0 / (double)(now - t0) : 0;
		if (o->progress && now - last_report >= 200) {
			o->progress(o->progress_ctx, bf, &prog);
			last_report = now;
		}
		if (o->crash_after_batches && batches >= o->crash_after_batches)
			test_crash_now();
		if (o->batch_delay_ms > 0)
			usleep((useconds_t)o->batch_delay_ms * 1000);
	}
	/* finished: the cursor is not needed any more */
	if (query1(d, a,
		   arena_printf(a, "DELETE FROM %s.backfills WHERE version = $1 AND unit = $2", hs),
		   2, cp, &rows, err) < 0)
		return -1;
	prog.done = true;
	if (prog.total < prog.rows)
		prog.total = prog.rows;
	if (o->progress)
		o->progress(o->progress_ctx, bf, &prog);
	return 0;
}
