/* The lock trace: what each replayed statement really locked, rewrote and scanned. */
#include "check/locktrace.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sql/ast.h"
#include "sql/parse.h"
#include "util/strbuf.h"

/* PostgreSQL's table lock modes, weakest first; the index is the strength. */
static const char *const lock_mode_names[] = {
    NULL,
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
};
static const char *const lock_mode_words[] = {
    NULL,    "ACCESS SHARE",	    "ROW SHARE", "ROW EXCLUSIVE",    "SHARE UPDATE EXCLUSIVE",
    "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE",
};
#define LOCK_MODES	      8
#define LOCK_SHARE	      5 /* from here on a lock blocks writes */
#define LOCK_ACCESS_EXCLUSIVE 8 /* blocks reads too */

/* One pre-existing table and its state before the current statement. */
struct traced_table {
	const char *oid;
	const char *schema;
	const char *name;
	const char *display; /* "orders", or "billing.orders" outside public */
	bool present;	     /* in the last state read */
	const char *relfilenode;
	int64_t scans;
	unsigned modes;	   /* bit per lock mode held */
	unsigned sampled;  /* bit per lock mode the sampler saw */
	unsigned inferred; /* the lock PostgreSQL documents for the statement, when it runs alone */
};

/* A second connection that samples the traced backend's locks while it runs alone. */
struct lock_sampler {
	struct driver d;
	bool connected;
	bool failed;
	bool running;
	pthread_t thread;
	atomic_bool stop;
	atomic_bool ready; /* a first sample is done: the next ones come right away */
	const char *pid;
	const char *oids;
	struct traced_table *tables;
	size_t n_tables;
};

struct lock_tracer {
	struct arena *a;
	struct driver *d;
	const char *url;
	struct driver_settings settings;
	const char *history_schema;
	struct check_report *report;
	const struct migration *m;
	enum migration_section section;
	bool hand_revert;
	const char **pre_names; /* schema.name of the tables that existed before the migration */
	size_t n_pre;
	struct traced_table *tables;
	size_t n_tables;
	const char *oids; /* the tables as an oid[] literal */
	const char *backend_pid;
	/* the statement being traced */
	int64_t started_ms;
	bool in_transaction;
	bool have_before;
	/* the trace entries of the transaction still open hold their locks until it ends */
	bool open;
	char vxid[64];
	size_t open_from;
	int64_t *starts; /* per trace entry: when its statement started */
	size_t alloc_starts;
	struct lock_sampler sampler;
	int64_t spent_ms;
	size_t statements;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int mode_strength(const char *name)
{
	for (int i = 1; i <= LOCK_MODES; i++)
		if (strcmp(name, lock_mode_names[i]) == 0)
			return i;
	return 0;
}

/* "AccessShareLock,RowExclusiveLock" -> a bit per strength. */
static unsigned modes_parse(const char *csv)
{
	unsigned mask = 0;
	while (csv && *csv) {
		size_t n = strcspn(csv, ",");
		char name[40];
		if (n < sizeof(name)) {
			memcpy(name, csv, n);
			name[n] = '\0';
			mask |= 1u << mode_strength(name);
		}
		csv += n + (csv[n] == ',');
	}
	return mask & ~1u;
}

static int modes_strongest(unsigned mask)
{
	for (int i = LOCK_MODES; i > 0; i--)
		if (mask & (1u << i))
			return i;
	return 0;
}

struct lock_tracer *lock_tracer_new(struct arena *a, struct driver *d, const char *url,
				    const struct driver_settings *settings,
				    const char *history_schema, struct check_report *report)
{
	struct lock_tracer *t = arena_alloc(a, sizeof(*t));
	t->a = a;
	t->d = d;
	t->url = url;
	t->settings = *settings;
	t->history_schema = history_schema;
	t->report = report;
	return t;
}

/* ---- the sampler ---- */

static void *sampler_main(void *arg)
{
	struct lock_sampler *s = arg;
	const char *params[] = {s->pid, s->oids};
	while (!atomic_load(&s->stop)) {
		struct arena a = ARENA_INIT;
		struct driver_rows rows;
		struct mg_error err = MG_ERROR_INIT;
		if (s->d.ops->query(
			&s->d, &a,
			"SELECT relation::text, mode FROM pg_locks WHERE pid = $1::int "
			"AND locktype = 'relation' AND granted AND relation = ANY ($2::oid[])",
			2, params, &rows, &err) == 0) {
			for (size_t r = 0; r < rows.n_rows; r++)
				for (size_t i = 0; i < s->n_tables; i++)
					if (strcmp(s->tables[i].oid,
						   driver_rows_get(&rows, r, 0)) == 0)
						s->tables[i].sampled |=
						    1u
						    << mode_strength(driver_rows_get(&rows, r, 1));
		}
		arena_release(&a);
		atomic_store(&s->ready, true);
		usleep(200);
	}
	return NULL;
}

static void sampler_start(struct lock_tracer *t)
{
	struct lock_sampler *s = &t->sampler;
	for (size_t i = 0; i < t->n_tables; i++)
		t->tables[i].sampled = 0;
	if (s->failed || !t->n_tables)
		return;
	if (!s->connected) {
		struct mg_error err = MG_ERROR_INIT;
		struct driver_settings settings = t->settings;
		settings.command = "migrate check (lock sampler)";
		if (driver_open(&s->d, t->url, &settings, &err) < 0) {
			driver_close(&s->d);
			s->failed = true;
			return;
		}
		s->connected = true;
	}
	s->pid = t->backend_pid;
	s->oids = t->oids;
	s->tables = t->tables;
	s->n_tables = t->n_tables;
	atomic_store(&s->stop, false);
	atomic_store(&s->ready, false);
	s->running = pthread_create(&s->thread, NULL, sampler_main, s) == 0;
	/* give it its first round before the statement starts (at most 200 ms) */
	for (int i = 0; s->running && i < 200 && !atomic_load(&s->ready); i++)
		usleep(1000);
}

static void sampler_stop(struct lock_tracer *t)
{
	struct lock_sampler *s = &t->sampler;
	if (!s->running)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	s->running = false;
}

/* ---- state before and after a statement ---- */

/*
 * The backend's own locks are read once (MATERIALIZED): pg_locks is a
 * function over the whole lock table. Inside a transaction it also turns
 * sequential scans off for the rest of that transaction.
 */
static const char state_sql[] =
    "WITH l AS MATERIALIZED (SELECT locktype, relation, mode, virtualtransaction FROM pg_locks "
    "WHERE pid = pg_backend_pid() AND granted), "
    "cfg AS (SELECT CASE WHEN $2::boolean THEN set_config('enable_seqscan', 'off', true) "
    "|| set_config('jit', 'off', true) END) "
    "SELECT (SELECT min(virtualtransaction) FROM l), c.oid::text, c.relfilenode::text, "
    "pg_stat_get_xact_numscans(c.oid)::text, "
    "(SELECT string_agg(l.mode, ',') FROM l WHERE l.locktype = 'relation' AND l.relation = c.oid) "
    "FROM cfg LEFT JOIN (unnest($1::oid[]) AS u(o) JOIN pg_class c ON c.oid = u.o) ON true";

struct table_state {
	bool present;
	const char *relfilenode;
	int64_t scans;
	unsigned modes;
};

static int read_state(struct lock_tracer *t, bool in_transaction, struct table_state *ret,
		      char *ret_vxid, size_t vxid_size, struct mg_error *err)
{
	struct driver_rows rows;
	const char *params[] = {t->oids, in_transaction ? "true" : "false"};
	if (t->d->ops->query(t->d, t->a, state_sql, 2, params, &rows, err) < 0)
		return -1;
	const char *vxid = driver_rows_get(&rows, 0, 0);
	snprintf(ret_vxid, vxid_size, "%s", vxid ? vxid : "");
	for (size_t i = 0; i < t->n_tables; i++)
		ret[i] = (struct table_state){0};
	for (size_t r = 0; r < rows.n_rows; r++) {
		const char *oid = driver_rows_get(&rows, r, 1);
		if (!oid)
			continue;
		for (size_t i = 0; i < t->n_tables; i++) {
			if (strcmp(t->tables[i].oid, oid) != 0)
				continue;
			ret[i].present = true;
			ret[i].relfilenode = driver_rows_get(&rows, r, 2);
			ret[i].scans = strtoll(driver_rows_get(&rows, r, 3), NULL, 10);
			ret[i].modes = modes_parse(driver_rows_get(&rows, r, 4));
		}
	}
	return 0;
}

/* The transaction the open entries belong to has ended: their locks went with it. */
static void close_open(struct lock_tracer *t, int64_t end)
{
	if (!t->open)
		return;
	for (size_t i = t->open_from; i < t->report->n_trace; i++) {
		struct check_traced_stmt *ts = &t->report->trace[i];
		if (!ts->in_transaction)
			continue;
		for (size_t k = 0; k < ts->n_locks; k++)
			ts->locks[k].held_ms = end - t->starts[i];
	}
	t->open = false;
}

int lock_tracer_begin(struct lock_tracer *t, const struct migration *m, enum migration_section s,
		      struct mg_error *err)
{
	int64_t t0 = now_ms();
	struct driver_rows rows;
	const char *params[] = {t->history_schema};
	t->m = m;
	t->section = s;
	t->hand_revert =
	    m->sections[s == SECTION_EXPAND ? SECTION_REVERT_EXPAND : SECTION_REVERT_CONTRACT]
		.present;
	t->have_before = false;
	t->open = false;
	if (!t->backend_pid) {
		if (t->d->ops->query(t->d, t->a, "SELECT pg_backend_pid()::text", 0, NULL, &rows,
				     err) < 0)
			return -1;
		t->backend_pid = driver_rows_get(&rows, 0, 0);
	}
	if (t->d->ops->query(t->d, t->a,
			     "SELECT c.oid::text, n.nspname, c.relname FROM pg_class c "
			     "JOIN pg_namespace n ON n.oid = c.relnamespace "
			     "WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT LIKE 'pg\\_%' "
			     "AND n.nspname NOT IN ('information_schema', 'migrate_trash', $1) "
			     "ORDER BY c.oid",
			     1, params, &rows, err) < 0)
		return -1;
	if (s == SECTION_EXPAND) {
		t->n_pre = 0;
		t->pre_names = arena_alloc(t->a, sizeof(*t->pre_names) * (rows.n_rows + 1));
	}
	t->n_tables = 0;
	t->tables = arena_alloc(t->a, sizeof(*t->tables) * (rows.n_rows + 1));
	struct strbuf oids = STRBUF_INIT;
	strbuf_addch(&oids, '{');
	for (size_t r = 0; r < rows.n_rows; r++) {
		const char *schema = driver_rows_get(&rows, r, 1);
		const char *name = driver_rows_get(&rows, r, 2);
		const char *key = arena_printf(t->a, "%s.%s", schema, name);
		if (s == SECTION_EXPAND) {
			t->pre_names[t->n_pre++] = key;
		} else {
			bool pre = false;
			for (size_t i = 0; i < t->n_pre && !pre; i++)
				pre = strcmp(t->pre_names[i], key) == 0;
			if (!pre)
				continue;
		}
		struct traced_table *tt = &t->tables[t->n_tables++];
		memset(tt, 0, sizeof(*tt));
		tt->oid = driver_rows_get(&rows, r, 0);
		tt->schema = schema;
		tt->name = name;
		tt->display = strcmp(schema, "public") == 0 ? name : key;
		strbuf_addf(&oids, "%s%s", oids.len > 1 ? "," : "", tt->oid);
	}
	strbuf_addch(&oids, '}');
	t->oids = arena_strdup(t->a, oids.buf);
	strbuf_release(&oids);
	t->spent_ms += now_ms() - t0;
	return 0;
}

/* ---- what a statement that runs alone locks, by its kind ---- */

/* A relation name as regclass input: each part double-quoted. */
static void add_quoted(struct strbuf *sb, const char *name)
{
	strbuf_addch(sb, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '"');
}

static const char *rangevar_text(struct arena *a, const PgQuery__RangeVar *rv)
{
	if (!rv || !rv->relname)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	if (rv->schemaname && *rv->schemaname) {
		add_quoted(&sb, rv->schemaname);
		strbuf_addch(&sb, '.');
	}
	add_quoted(&sb, rv->relname);
	const char *ret = arena_strdup(a, sb.buf);
	strbuf_release(&sb);
	return ret;
}

static const char *name_list_text(struct arena *a, const PgQuery__Node *obj)
{
	if (!obj || obj->node_case != PG_QUERY__NODE__NODE_LIST)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < obj->list->n_items; i++) {
		const PgQuery__Node *n = obj->list->items[i];
		if (n->node_case != PG_QUERY__NODE__NODE_STRING)
			continue;
		if (sb.len)
			strbuf_addch(&sb, '.');
		add_quoted(&sb, n->string->sval);
	}
	const char *ret = sb.len ? arena_strdup(a, sb.buf) : NULL;
	strbuf_release(&sb);
	return ret;
}

/* Marks the traced table name stands for (an index: its table) with lock strength. */
static void infer_one(struct lock_tracer *t, const char *name, int strength)
{
	struct driver_rows rows;
	struct mg_error ignore = MG_ERROR_INIT;
	const char *params[] = {name};
	if (!name ||
	    t->d->ops->query(t->d, t->a,
			     "SELECT coalesce((SELECT i.indrelid FROM pg_index i "
			     "WHERE i.indexrelid = to_regclass($1)), to_regclass($1)::oid)::text",
			     1, params, &rows, &ignore) < 0)
		return;
	const char *oid = driver_rows_get(&rows, 0, 0);
	for (size_t i = 0; oid && i < t->n_tables; i++)
		if (strcmp(t->tables[i].oid, oid) == 0)
			t->tables[i].inferred |= 1u << strength;
}

/*
 * The lock PostgreSQL's documentation gives a statement that runs outside a
 * transaction: what the trace reports when the sampler was too slow to see it
 * (a short CONCURRENTLY build on a few rows, a busy machine).
 */
static void infer_locks(struct lock_tracer *t, const struct sql_stmt *st)
{
	for (size_t i = 0; i < t->n_tables; i++)
		t->tables[i].inferred = 0;
	const PgQuery__Node *n = st->node;
	if (!n)
		return;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		infer_one(t, rangevar_text(t->a, n->index_stmt->relation), 4);
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		if (n->drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX)
			for (size_t i = 0; i < n->drop_stmt->n_objects; i++)
				infer_one(t, name_list_text(t->a, n->drop_stmt->objects[i]), 4);
		break;
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
		infer_one(t, rangevar_text(t->a, n->reindex_stmt->relation), 4);
		break;
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
		infer_one(t, rangevar_text(t->a, n->refresh_mat_view_stmt->relation), 7);
		break;
	case PG_QUERY__NODE__NODE_VACUUM_STMT: {
		const PgQuery__VacuumStmt *vs = n->vacuum_stmt;
		int strength = ast_option_enabled(vs->options, vs->n_options, "full") ? 8 : 4;
		for (size_t i = 0; i < vs->n_rels; i++)
			if (vs->rels[i]->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION)
				infer_one(
				    t, rangevar_text(t->a, vs->rels[i]->vacuum_relation->relation),
				    strength);
		break;
	}
	default:
		break;
	}
}

/* ---- the observers ---- */

static int before_statement(void *ctx, struct driver *d, const struct sql_stmt *st,
			    struct mg_error *err)
{
	struct lock_tracer *t = ctx;
	int64_t t0 = now_ms();
	t->in_transaction = d->in_transaction;
	t->have_before = false;
	if (t->n_tables) {
		struct table_state *now = arena_alloc(t->a, sizeof(*now) * t->n_tables);
		char vxid[64];
		if (read_state(t, t->in_transaction, now, vxid, sizeof(vxid), err) < 0) {
			mg_error_set_help(err, "the lock trace could not read pg_locks");
			return -1;
		}
		if (t->open && strcmp(vxid, t->vxid) != 0)
			close_open(t, t0);
		for (size_t i = 0; i < t->n_tables; i++) {
			t->tables[i].present = now[i].present;
			t->tables[i].relfilenode = now[i].relfilenode;
			t->tables[i].scans = now[i].scans;
			t->tables[i].modes = now[i].modes;
		}
		t->have_before = true;
		if (!t->in_transaction) {
			infer_locks(t, st);
			sampler_start(t);
		}
	}
	t->started_ms = now_ms();
	t->spent_ms += t->started_ms - t0;
	return 0;
}

/* The statement as the trace shows it: one line, shortened. */
static const char *stmt_display(struct arena *a, const struct sql_stmt *st)
{
	const char *sql = st->node ? sql_deparse_node(a, st->node) : NULL;
	if (!sql && st->end > st->offset)
		sql = arena_strndup(a, st->migration->text + st->offset, st->end - st->offset);
	if (!sql)
		return "(statement)";
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_one_line(&sb, sql, 100, "...");
	const char *ret = arena_strdup(a, sb.buf);
	strbuf_release(&sb);
	return ret;
}

/* Where lint cannot see what the statement does. */
static const char *hidden_where(const struct sql_stmt *st)
{
	if (!st->node)
		return "";
	switch (st->node->node_case) {
	case PG_QUERY__NODE__NODE_DO_STMT:
		return " (inside a DO block)";
	case PG_QUERY__NODE__NODE_CALL_STMT:
		return " (inside the procedure it calls)";
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		return " (inside a function it calls)";
	default:
		return "";
	}
}

/*
 * Scans the runner itself makes before the statement's own lock: a DROP
 * COLUMN first copies the column to migrate_trash (unless a hand-written
 * revert makes that copy unneeded).
 */
static int64_t engine_scans(const struct lock_tracer *t, const struct sql_stmt *st,
			    const struct traced_table *tt)
{
	if (t->hand_revert || !st->node ||
	    st->node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return 0;
	const PgQuery__AlterTableStmt *as = st->node->alter_table_stmt;
	if (!as->relation || !as->relation->relname || strcmp(as->relation->relname, tt->name) != 0)
		return 0;
	if (as->relation->schemaname && *as->relation->schemaname &&
	    strcmp(as->relation->schemaname, tt->schema) != 0)
		return 0;
	int64_t n = 0;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__Node *c = as->cmds[i];
		if (c->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD &&
		    c->alter_table_cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn)
			n++;
	}
	return n;
}

/* The line of the statement that took lock strength on table i in the open transaction. */
static int taken_at(const struct lock_tracer *t, const struct traced_table *tt, int strength)
{
	if (!t->open)
		return 0;
	for (size_t i = t->open_from; i < t->report->n_trace; i++) {
		const struct check_traced_stmt *ts = &t->report->trace[i];
		for (size_t k = 0; k < ts->n_locks; k++)
			if (ts->locks[k].strength == strength &&
			    strcmp(ts->locks[k].table, tt->display) == 0)
				return ts->line;
	}
	return 0;
}

/* The table whose lock blocks the most, held across the statement. */
struct holder {
	const struct traced_table *table;
	int strength;
	bool before; /* taken by an earlier statement of the transaction */
};

static struct holder strongest_holder(const struct lock_tracer *t, const struct table_state *after)
{
	struct holder h = {NULL, 0, false};
	for (size_t i = 0; i < t->n_tables; i++) {
		const struct traced_table *tt = &t->tables[i];
		int s = modes_strongest(tt->modes | after[i].modes | tt->sampled |
					(t->in_transaction ? 0 : tt->inferred));
		if (s > h.strength) {
			h.table = tt;
			h.strength = s;
			h.before = modes_strongest(tt->modes) == s;
		}
	}
	return h;
}

static void judge(struct lock_tracer *t, const struct sql_stmt *st, const struct holder *h,
		  const bool *rewritten, const int64_t *scanned)
{
	const char *file = t->m->path;
	const char *where = hidden_where(st);
	const char *phase = migration_section_name(t->section);
	const struct traced_table *holder = h->table;
	int held = h->strength;
	bool held_before = h->before;
	for (size_t i = 0; i < t->n_tables; i++) {
		const struct traced_table *tt = &t->tables[i];
		if (rewritten[i]) {
			check_report_add(
			    t->a, t->report, CHECK_LOCK_TRACE, "lock-rewrite", LINT_ERROR, t->m,
			    file, st->line, st->column, NULL,
			    "%s: rewrote table %s%s under an ACCESS EXCLUSIVE lock: every "
			    "read and write of %s waits until the rewrite commits",
			    phase, tt->display, where, tt->display);
			continue;
		}
		if (!scanned[i] || !holder)
			continue;
		const char *taken = "";
		if (held_before) {
			int line = taken_at(t, holder, held);
			if (line)
				taken = arena_printf(t->a, " (taken at line %d)", line);
		}
		if (held == LOCK_ACCESS_EXCLUSIVE)
			check_report_add(
			    t->a, t->report, CHECK_LOCK_TRACE, "lock-scan", LINT_ERROR, t->m, file,
			    st->line, st->column, NULL,
			    "%s: scanned all of table %s%s while holding an ACCESS EXCLUSIVE "
			    "lock on %s%s: every read and write of %s waits for the scan",
			    phase, tt->display, where, holder->display, taken, holder->display);
		else if (held >= LOCK_SHARE)
			check_report_add(
			    t->a, t->report, CHECK_LOCK_TRACE, "lock-scan-blocks-writes",
			    LINT_WARNING, t->m, file, st->line, st->column, NULL,
			    "%s: scanned all of table %s%s while holding a %s lock on %s%s: "
			    "writes to %s wait for the scan",
			    phase, tt->display, where, lock_mode_words[held], holder->display,
			    taken, holder->display);
	}
}

static int after_statement(void *ctx, struct driver *d, const struct sql_stmt *st,
			   int64_t elapsed_ms, struct mg_error *err)
{
	struct lock_tracer *t = ctx;
	(void)d;
	int64_t t0 = now_ms();
	t->statements++;
	bool in_tx = t->in_transaction;
	struct check_report *r = t->report;
	ARENA_GROW(t->a, r->trace, r->n_trace, r->alloc_trace, r->n_trace + 1);
	ARENA_GROW(t->a, t->starts, r->n_trace, t->alloc_starts, r->n_trace + 1);
	size_t idx = r->n_trace++;
	struct check_traced_stmt *ts = &r->trace[idx];
	memset(ts, 0, sizeof(*ts));
	t->starts[idx] = t->started_ms;
	ts->migration = t->m;
	ts->section = t->section;
	ts->line = st->line;
	ts->column = st->column;
	ts->sql = stmt_display(t->a, st);
	ts->in_transaction = in_tx;
	ts->elapsed_ms = elapsed_ms;

	if (t->have_before) {
		sampler_stop(t);
		struct table_state *after = arena_alloc(t->a, sizeof(*after) * t->n_tables);
		bool *rewritten = arena_alloc(t->a, sizeof(*rewritten) * t->n_tables);
		int64_t *scanned = arena_alloc(t->a, sizeof(*scanned) * t->n_tables);
		char vxid[64];
		if (read_state(t, false, after, vxid, sizeof(vxid), err) < 0) {
			mg_error_set_help(err, "the lock trace could not read pg_locks");
			return -1;
		}
		bool truncate =
		    st->node && st->node->node_case == PG_QUERY__NODE__NODE_TRUNCATE_STMT;
		struct holder h = strongest_holder(t, after);
		ts->locks = arena_alloc(t->a, sizeof(*ts->locks) * t->n_tables);
		for (size_t i = 0; i < t->n_tables; i++) {
			struct traced_table *tt = &t->tables[i];
			/* a table the statement dropped was not rewritten */
			rewritten[i] = tt->present && after[i].present && !truncate &&
				       strcmp(tt->relfilenode, after[i].relfilenode) != 0 &&
				       strcmp(after[i].relfilenode, "0") != 0;
			/*
			 * Outside a transaction the counters of the statement are gone.
			 * The runner's own copy before a drop is excused only when it ran
			 * before the lock was taken: that is, in this very statement.
			 */
			scanned[i] = in_tx && tt->present && after[i].present
					 ? after[i].scans - tt->scans -
					       (h.before ? 0 : engine_scans(t, st, tt))
					 : 0;
			if (scanned[i] < 0)
				scanned[i] = 0;
			unsigned taken = in_tx	       ? after[i].modes & ~tt->modes
					 : tt->sampled ? tt->sampled
						       : tt->inferred;
			if (!taken && !rewritten[i] && !scanned[i])
				continue;
			int s = modes_strongest(taken ? taken : tt->modes | after[i].modes);
			struct check_lock *l = &ts->locks[ts->n_locks++];
			l->table = tt->display;
			l->strength = s;
			l->mode = s ? lock_mode_words[s] : "none seen";
			l->rewritten = rewritten[i];
			l->scanned = scanned[i] > 0;
			l->observed = in_tx || tt->sampled || !taken;
			l->held_ms = in_tx ? 0 : elapsed_ms;
		}
		judge(t, st, &h, rewritten, scanned);
		if (in_tx && !t->open) {
			t->open = true;
			t->open_from = idx;
			snprintf(t->vxid, sizeof(t->vxid), "%s", vxid);
		}
	}
	t->spent_ms += now_ms() - t0;
	return 0;
}

void lock_tracer_attach(struct lock_tracer *t, struct runner_options *o)
{
	o->hook_ctx = t;
	o->before_statement = before_statement;
	o->after_statement = after_statement;
}

void lock_tracer_end(struct lock_tracer *t)
{
	sampler_stop(t);
	close_open(t, now_ms());
	t->have_before = false;
}

int64_t lock_tracer_spent_ms(const struct lock_tracer *t)
{
	return t->spent_ms;
}

size_t lock_tracer_statements(const struct lock_tracer *t)
{
	return t->statements;
}

void lock_tracer_free(struct lock_tracer *t)
{
	if (!t)
		return;
	sampler_stop(t);
	if (t->sampler.connected)
		driver_close(&t->sampler.d);
	t->sampler.connected = false;
}
