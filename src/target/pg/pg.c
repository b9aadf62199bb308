/* The PostgreSQL driver, through libpq. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "target/pg/replica.h"
#include "target/target.h"
#include "target/history_json.h"
#include "target/pg/inverse_pg.h"
#include "target/pg/planner.h"
#include "sql/ast.h"
#include "sql/parse.h"
#include "util/interrupt.h"
#include "util/strbuf.h"

#define HISTORY_SCHEMA_VERSION HISTORY_LAYOUT_CURRENT

struct pg {
	PGconn *conn;
	struct arena arena;	    /* lives as long as the connection */
	const char *schema;	    /* quoted history schema */
	const char *schema_literal; /* the schema name as a SQL literal */
	const char *url;	    /* to scrub its secrets from the server's messages */
	const char *schema_name;    /* as written, for messages */
	bool locked;
	const char *lock_timeout_sql; /* the SQL that last failed on a lock timeout */
	PGcancel *cancel;	      /* made at connect, for the signal handler */
};

static struct pg *pg_of(struct driver *d)
{
	return d->impl;
}

static void pg_notice_ignore(void *arg, const char *message)
{
	/* the engine never prints: NOTICEs such as "already exists, skipping" are noise */
	(void)arg;
	(void)message;
}

static void trim_newline(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* Sends sql (with text parameters when params), traced. */
static PGresult *pg_send(struct driver *d, const char *sql, int n_params, const char *const *params)
{
	int64_t t0 = driver_clock_ns();
	PGresult *res = params || n_params ? PQexecParams(pg_of(d)->conn, sql, n_params, NULL,
							  params, NULL, NULL, 0)
					   : PQexec(pg_of(d)->conn, sql);
	driver_trace(d, sql, t0);
	return res;
}

/*
 * Fills err from a failed result: the server's message and SQLSTATE, at the
 * statement's place in its file (moved to the server's error position when
 * it gives one), its DETAIL, HINT and CONTEXT as lines of their own.
 */
static int pg_result_error(struct driver *d, PGresult *res, const struct step *s,
			   struct mg_error *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *context = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	char msg[900];
	snprintf(msg, sizeof(msg), "%s", primary ? primary : PQerrorMessage(pg_of(d)->conn));
	trim_newline(msg);
	secret_scrub(msg, sizeof(msg), pg_of(d)->url);
	if (s && s->file) {
		int line = s->line, col = s->column;
		if (pos && s->sql) {
			/* the position is a 1-based character index into the statement;
			 * columns count bytes, as everywhere in migrate */
			long p = strtol(pos, NULL, 10), chars = 0;
			for (const char *c = s->sql; *c; c++) {
				if (((unsigned char)*c & 0xc0) != 0x80 && ++chars >= p)
					break;
				if (*c == '\n') {
					line++;
					col = 1;
				} else {
					col++;
				}
			}
		}
		mg_error_set_at(err, 3, s->file, line, col, "%s", msg);
	} else {
		mg_error_set(err, 3, "%s", msg);
	}
	if (state) {
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state);
		err->sqlstate_shown = true;
	}
	if (detail)
		mg_error_set_detail(err, detail);
	if (hint)
		mg_error_set_hint(err, hint);
	if (context) {
		char c[600];
		snprintf(c, sizeof(c), "%s", context);
		trim_newline(c);
		mg_error_add_note(err, "context", "%s", c);
	}
	/* the server may quote what it was given: a password in a conninfo value */
	secret_scrub(err->detail, sizeof(err->detail), pg_of(d)->url);
	secret_scrub(err->hint, sizeof(err->hint), pg_of(d)->url);
	secret_scrub(err->notes, sizeof(err->notes), pg_of(d)->url);
	return -1;
}

/*
 * What a failure of migrate's own work becomes: "cannot <doing>: <message>",
 * and for a permission error (42501) the right the role lacks.
 */
static void pg_error_while(struct driver *d, struct mg_error *err, const char *doing,
			   const char *right)
{
	mg_error_prefix(err, "cannot %s", doing);
	if (strcmp(err->sqlstate, "42501") == 0 && right)
		mg_error_set_help(err, "the role \"%s\" needs %s", PQuser(pg_of(d)->conn), right);
}

/* Runs sql (no parameters) and expects success; the result is cleared. */
static int pg_run(struct driver *d, const char *sql, struct mg_error *err)
{
	PGresult *res = pg_send(d, sql, 0, NULL);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_result_error(d, res, NULL, err);
	PQclear(res);
	return rc;
}

/*
 * Called from the SIGINT/SIGTERM handler: PQcancel is async-signal-safe with
 * a PGcancel made beforehand. The server answers the running statement with
 * 57014 and the runner rolls back.
 */
static void pg_cancel_running(void *ctx)
{
	char errbuf[256];
	PQcancel(ctx, errbuf, sizeof(errbuf));
}

static int pg_connect(struct driver *d, const char *url, struct mg_error *err)
{
	struct pg *pg = calloc(1, sizeof(*pg));
	if (!pg)
		return mg_error_set(err, 3, "out of memory");
	d->impl = pg;
	arena_init(&pg->arena);
	d->url_redacted = url_redact(&pg->arena, url);
	pg->url = arena_strdup(&pg->arena, url);

	/* connect_timeout keeps an unreachable host from hanging the run */
	const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
	const char *vals[] = {url, "10", "migrate", NULL};
	pg->conn = PQconnectdbParams(keys, vals, 1);
	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
		char msg[600];
		snprintf(msg, sizeof(msg), "%s",
			 pg->conn ? PQerrorMessage(pg->conn) : "out of memory");
		trim_newline(msg);
		/* libpq may quote the connection string back (a bad URI parameter) */
		secret_scrub(msg, sizeof(msg), url);
		mg_error_set(err, 3, "cannot connect to %s: %s", d->url_redacted, msg);
		mg_error_set_help(err, "check --db / DATABASE_URL and that the server is up");
		return -1;
	}
	PQsetNoticeProcessor(pg->conn, pg_notice_ignore, NULL);
	pg->cancel = PQgetCancel(pg->conn);
	if (pg->cancel)
		interrupt_set_cancel(pg_cancel_running, pg->cancel);
	/* the server reports server_version at connection start: no query needed */
	d->server_version_num = PQserverVersion(pg->conn);

	const char *schema = d->settings.history_schema ? d->settings.history_schema : "migrate";
	char *id = PQescapeIdentifier(pg->conn, schema, strlen(schema));
	char *lit = PQescapeLiteral(pg->conn, schema, strlen(schema));
	pg->schema = arena_strdup(&pg->arena, id);
	pg->schema_literal = arena_strdup(&pg->arena, lit);
	pg->schema_name = arena_strdup(&pg->arena, schema);
	PQfreemem(id);
	PQfreemem(lit);

	struct strbuf sb = STRBUF_INIT;
	char *appname =
	    PQescapeLiteral(pg->conn, d->settings.command ? d->settings.command : "migrate",
			    strlen(d->settings.command ? d->settings.command : "migrate"));
	/* row_security off, as pg_dump does: a backfill or a trash copy that a
	 * policy would let see only some rows fails instead of missing the rest */
	strbuf_addf(&sb,
		    "SET lock_timeout = %d; SET application_name = %s; "
		    "SET client_min_messages = warning; SET row_security = off",
		    d->settings.lock_timeout_ms, appname);
	PQfreemem(appname);
	/*
	 * A lock held by autovacuum is given up when a waiter's deadlock check
	 * runs, after deadlock_timeout (1 s by default, longer than the lock
	 * timeout): until then the waiting DDL, and every app query queued behind
	 * it, stalls, and an attempt that gives up first never gets autovacuum
	 * out of the way. A shorter check for migrate's own session, where the
	 * role may set it (a superuser, or SET granted on PostgreSQL 15+).
	 */
	int check_ms = d->settings.lock_timeout_ms / 2;
	if (check_ms > 100 || check_ms <= 0)
		check_ms = 100;
	if (check_ms < 10)
		check_ms = 10;
	strbuf_addf(&sb,
		    "; SELECT set_config('deadlock_timeout', '%dms', false) WHERE "
		    "current_setting('is_superuser') = 'on'%s",
		    check_ms,
		    d->server_version_num >= 150000
			? " OR has_parameter_privilege('deadlock_timeout', 'SET')"
			: "");
	int rc = pg_run(d, sb.buf, err);
	strbuf_release(&sb);
	return rc;
}

static void pg_disconnect(struct driver *d)
{
	struct pg *pg = pg_of(d);
	if (!pg)
		return;
	if (pg->cancel) {
		interrupt_set_cancel(NULL, NULL);
		PQfreeCancel(pg->cancel);
	}
	if (pg->conn)
		PQfinish(pg->conn);
	arena_release(&pg->arena);
	free(pg);
	d->impl = NULL;
}

static const char *query_display(struct arena *a, const char *query);

static const char *lock_key_sql(struct pg *pg, struct arena *a)
{
	/* one lock per database and history schema */
	return arena_printf(a, "hashtextextended('migrate:' || %s, 0)", pg->schema_literal);
}

/* pg_backend_pid() on conn, 0 when it fails; sql may begin a transaction first. */
static long backend_pid(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	long pid = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1
		       ? strtol(PQgetvalue(res, 0, 0), NULL, 10)
		       : 0;
	PQclear(res);
	return pid;
}

/*
 * Whether this connection keeps one server session from one transaction to
 * the next, as a direct connection or a pooler in session mode does. A
 * pooler in transaction or statement mode (PgBouncer) hands the server
 * session back to its pool after each transaction: a session advisory lock
 * taken there is held for whoever gets that session next, and SET
 * lock_timeout lasts one transaction. The probe: a second connection opens
 * a transaction, which such a pooler serves from the server session this
 * one just gave back (its pools are last in, first out), so this
 * connection's next statement runs on another one. A second connection that
 * cannot be opened (a server at max_connections) proves nothing either
 * way: the connection is taken as direct, as before.
 */
static int pg_check_session_pinned(struct driver *d, struct mg_error *err)
{
	struct pg *pg = pg_of(d);
	long first = backend_pid(pg->conn, "SELECT pg_backend_pid()");
	const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
	const char *vals[] = {pg->url, "10", "migrate pooler probe", NULL};
	PGconn *other = PQconnectdbParams(keys, vals, 1);
	if (!first || !other || PQstatus(other) != CONNECTION_OK) {
		PQfinish(other);
		return 0;
	}
	PQsetNoticeProcessor(other, pg_notice_ignore, NULL);
	int64_t t0 = driver_clock_ns();
	/* statement mode refuses BEGIN: 0, as for transaction mode */
	long theirs = backend_pid(other, "BEGIN; SELECT pg_backend_pid()");
	long again = backend_pid(pg->conn, "SELECT pg_backend_pid()");
	PQclear(PQexec(other, "ROLLBACK"));
	PQfinish(other);
	driver_trace(d,
		     "SELECT pg_backend_pid() -- twice, and once from a second connection "
		     "inside a transaction: does this session keep its server session?",
		     t0);
	if (theirs && theirs != first && again == first)
		return 0;
	mg_error_set(err, 2,
		     "%s is reached through a connection pooler in transaction or statement "
		     "mode: the server session changes between transactions, so the run lock "
		     "(a session advisory lock) and lock_timeout would not hold",
		     d->url_redacted);
	mg_error_add_note(err, "note", "nothing was run");
	mg_error_set_help(err,
			  "connect to PostgreSQL directly, or through the pooler in session mode "
			  "(PgBouncer: pool_mode = session for this database)");
	return -1;
}

static int pg_lock(struct driver *d, struct mg_error *err)
{
	struct pg *pg = pg_of(d);
	if (pg_check_session_pinned(d, err) < 0)
		return -1;
	struct arena a = ARENA_INIT;
	const char *sql = arena_printf(&a, "SELECT pg_try_advisory_lock(%s)", lock_key_sql(pg, &a));
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int rc = -1;
	for (;;) {
		PGresult *res = pg_send(d, sql, 0, NULL);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			pg_result_error(d, res, NULL, err);
			pg_error_while(d, err, "take the run lock",
				       "EXECUTE on pg_try_advisory_lock");
			PQclear(res);
			goto out;
		}
		bool got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (got) {
			pg->locked = true;
			rc = 0;
			goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long waited =
		    (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited >= d->settings.lock_wait_ms)
			break;
		if (interrupt_pending()) {
			mg_error_set(err, interrupt_exit_code(),
				     "interrupted (%s) while waiting for the run lock: nothing ran",
				     interrupt_signal_name());
			goto out;
		}
		usleep(100 * 1000);
	}
	/*
	 * Name the holder: its session's application_name says what it runs, its
	 * state and query what it does now. A holder whose client was killed
	 * keeps the lock while its backend finishes the statement it was given
	 * (the server notices the closed connection only when it next reads or
	 * writes it); an idle one is a client that is still connected.
	 */
	const char *who_sql = arena_printf(
	    &a,
	    "SELECT a.application_name, a.usename, coalesce(host(a.client_addr), 'local'), "
	    "a.pid, to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS'), coalesce(a.state, ''), "
	    "left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 200), "
	    "coalesce(extract(epoch FROM now() - a.state_change)::bigint, 0)::text, "
	    "coalesce(extract(epoch FROM now() - a.backend_start)::bigint, 0)::text "
	    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
	    "WHERE l.locktype = 'advisory' AND l.granted "
	    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
	    "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s LIMIT 1",
	    lock_key_sql(pg, &a));
	PGresult *res = pg_send(d, who_sql, 0, NULL);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		const char *state = PQgetvalue(res, 0, 5);
		mg_error_set(err, 4,
			     "another migrate holds the lock on %s: '%s' by %s from %s (pid %s, "
			     "since %s, %ss ago)",
			     d->url_redacted, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
			     PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4),
			     PQgetvalue(res, 0, 8));
		mg_error_add_note(err, "holder", "%s for %ss: %s", state[0] ? state : "unknown",
				  PQgetvalue(res, 0, 7), query_display(&a, PQgetvalue(res, 0, 6)));
		if (strncmp(state, "idle", 4) == 0)
			mg_error_add_note(err, "note",
					  "its client is still connected (an idle session whose "
					  "client is gone ends at once)");
		else
			mg_error_add_note(
			    err, "note",
			    "if its migrate was killed, the server finishes this statement and "
			    "then releases the lock; SELECT pg_cancel_backend(%s) stops it sooner",
			    PQgetvalue(res, 0, 3));
	} else {
		mg_error_set(err, 4, "another migrate holds the lock on %s", d->url_redacted);
	}
	mg_error_set_help(err, "wait for it to finish, or raise --lock-wait");
	PQclear(res);
out:
	arena_release(&a);
	return rc;
}

static void pg_unlock(struct driver *d)
{
	struct pg *pg = pg_of(d);
	if (!pg->locked)
		return;
	struct arena a = ARENA_INIT;
	PGresult *res = pg_send(
	    d, arena_printf(&a, "SELECT pg_advisory_unlock(%s)", lock_key_sql(pg, &a)), 0, NULL);
	PQclear(res);
	arena_release(&a);
	pg->locked = false;
}

static int pg_begin(struct driver *d, struct mg_error *err)
{
	if (pg_run(d, "BEGIN", err) < 0)
		return -1;
	d->in_transaction = true;
	return 0;
}

static int pg_commit(struct driver *d, struct mg_error *err)
{
	d->in_transaction = false;
	return pg_run(d, "COMMIT", err);
}

static void pg_rollback(struct driver *d)
{
	struct mg_error ignore = MG_ERROR_INIT;
	d->in_transaction = false;
	pg_run(d, "ROLLBACK", &ignore);
}

static int pg_exec(struct driver *d, const struct step *s, struct mg_error *err)
{
	struct pg *pg = pg_of(d);
	PGresult *res = pg_send(d, s->sql, 0, NULL);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		rc = pg_result_error(d, res, s, err);
		if (strcmp(err->sqlstate, "55P03") == 0)
			pg->lock_timeout_sql = arena_strdup(&pg->arena, s->sql);
		else if (strcmp(err->sqlstate, "42501") == 0 && !err->help[0])
			mg_error_set_help(
			    err,
			    "the role \"%s\" lacks a right this statement needs: grant "
			    "it, or run migrate as the owner of the objects it changes",
			    PQuser(pg->conn));
	}
	PQclear(res);
	return rc;
}

static int pg_query(struct driver *d, struct arena *a, const char *sql, int n_params,
		    const char *const *params, struct driver_rows *ret, struct mg_error *err)
{
	PGresult *res = pg_send(d, sql, n_params, params ? params : (const char *const[]){NULL});
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;
	memset(ret, 0, sizeof(*ret));
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		rc = pg_result_error(d, res, NULL, err);
		if (strcmp(err->sqlstate, "55P03") == 0)
			pg_of(d)->lock_timeout_sql = arena_strdup(&pg_of(d)->arena, sql);
		goto out;
	}
	ret->n_rows = (size_t)PQntuples(res);
	ret->n_cols = (size_t)PQnfields(res);
	ret->values = arena_alloc(a, sizeof(*ret->values) * (ret->n_rows * ret->n_cols + 1));
	for (size_t r = 0; r < ret->n_rows; r++)
		for (size_t c = 0; c < ret->n_cols; c++)
			ret->values[r * ret->n_cols + c] =
			    PQgetisnull(res, (int)r, (int)c)
				? NULL
				: arena_strdup(a, PQgetvalue(res, (int)r, (int)c));
out:
	PQclear(res);
	return rc;
}

/* The relations a statement names, as to_regclass() calls joined by commas. */
struct relation_list {
	struct driver *d;
	struct strbuf *sb;
	size_t n;
};

static void relation_add(struct relation_list *l, const char *schema, const char *name)
{
	if (!name || !*name || l->n >= 32)
		return;
	PGconn *conn = pg_of(l->d)->conn;
	struct strbuf q = STRBUF_INIT;
	char *id = PQescapeIdentifier(conn, name, strlen(name));
	if (schema && *schema) {
		char *sid = PQescapeIdentifier(conn, schema, strlen(schema));
		strbuf_addf(&q, "%s.", sid ? sid : "");
		PQfreemem(sid);
	}
	strbuf_addstr(&q, id ? id : "");
	PQfreemem(id);
	char *lit = PQescapeLiteral(conn, q.buf, strlen(q.buf));
	strbuf_addf(l->sb, "%sto_regclass(%s)::oid", l->n ? ", " : "", lit ? lit : "''");
	PQfreemem(lit);
	strbuf_release(&q);
	l->n++;
}

static void relation_visit(ProtobufCMessage *msg, void *ctx)
{
	struct relation_list *l = ctx;
	if (msg->descriptor == &pg_query__range_var__descriptor) {
		const PgQuery__RangeVar *rv = (const PgQuery__RangeVar *)msg;
		relation_add(l, rv->schemaname, rv->relname);
	} else if (msg->descriptor == &pg_query__drop_stmt__descriptor) {
		/* DROP TABLE / INDEX name their objects as lists of strings */
		const PgQuery__DropStmt *ds = (const PgQuery__DropStmt *)msg;
		for (size_t i = 0; i < ds->n_objects; i++) {
			const char *schema = NULL, *name = NULL;
			if (ds->objects[i]->node_case == PG_QUERY__NODE__NODE_LIST)
				ast_qualified_name(ds->objects[i]->list->items,
						   ds->objects[i]->list->n_items, &schema, &name);
			relation_add(l, schema, name);
		}
	}
}

/* A query as it may be shown: on one line, shortened, never one that names a password. */
static const char *query_display(struct arena *a, const char *query)
{
	if (strcasestr(query, "password"))
		return "(not shown: it mentions a password)";
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_one_line(&sb, query, 200, " ...");
	const char *ret = arena_strdup(a, sb.buf ? sb.buf : "");
	strbuf_release(&sb);
	return ret;
}

/*
 * Who held what the step that timed out waited for: the sessions holding a
 * granted lock on a relation the statement names (its parse tree says
 * which); when it names none that anyone holds, those whose transaction in
 * this database has been open longer than the lock timeout. Read from
 * pg_locks and pg_stat_activity once the step's transaction is gone.
 */
static void pg_explain_lock_timeout(struct driver *d, struct mg_error *err)
{
	struct pg *pg = pg_of(d);
	if (!pg->lock_timeout_sql)
		return;
	struct arena a = ARENA_INIT;
	struct strbuf rels = STRBUF_INIT;
	struct relation_list l = {d, &rels, 0};
	struct sql_section sec;
	struct mg_error ignore = MG_ERROR_INIT;
	if (sql_parse_string(&a, pg->lock_timeout_sql, &sec, &ignore) == 0)
		for (size_t i = 0; i < sec.n_stmts; i++)
			ast_visit(&sec.stmts[i].node->base, relation_visit, &l);
	const char *select =
	    "SELECT DISTINCT ON (a.pid) a.pid, coalesce(nullif(a.application_name, ''), '-'), "
	    "coalesce(a.state, '-'), l.mode, coalesce(l.relation::regclass::text, '-'), "
	    "to_char(extract(epoch FROM now() - coalesce(a.xact_start, a.backend_start)), "
	    "'FM999999990.0'), coalesce(a.query, ''), coalesce(a.usename, '-') "
	    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
	    "WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid() "
	    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) ";
	const char *order = " ORDER BY a.pid, l.mode = 'AccessExclusiveLock' DESC LIMIT 5";
	char timeout[24];
	snprintf(timeout, sizeof(timeout), "%d", d->settings.lock_timeout_ms);
	const char *params[] = {timeout};
	struct driver_rows rows = {0};
	int rc = 0;
	if (l.n)
		rc = pg_query(
		    d, &a, arena_printf(&a, "%sAND l.relation IN (%s)%s", select, rels.buf, order),
		    0, NULL, &rows, &ignore);
	if (rc == 0 && !rows.n_rows)
		rc = pg_query(d, &a,
			      arena_printf(&a,
					   "%sAND now() - a.xact_start > $1::int * interval '1 "
					   "millisecond'%s",
					   select, order),
			      1, params, &rows, &ignore);
	for (size_t i = 0; rc == 0 && i < rows.n_rows; i++)
		mg_error_add_note(
		    err, "blocked by",
		    "pid %s '%s' (user %s, %s, %s on %s, its transaction open for %s s): %s",
		    driver_rows_get(&rows, i, 0), driver_rows_get(&rows, i, 1),
		    driver_rows_get(&rows, i, 7), driver_rows_get(&rows, i, 2),
		    driver_rows_get(&rows, i, 3), driver_rows_get(&rows, i, 4),
		    driver_rows_get(&rows, i, 5), query_display(&a, driver_rows_get(&rows, i, 6)));
	strbuf_release(&rels);
	arena_release(&a);
	pg->lock_timeout_sql = NULL;
}

/*
 * A failure to create (CREATE SCHEMA and its tables), read or write migrate's
 * own history: says so, and for a permission error which right it takes.
 */
static void pg_history_error(struct driver *d, struct mg_error *err, const char *what,
			     const char *table)
{
	struct pg *pg = pg_of(d);
	char doing[300], right[400];
	if (strcmp(what, "create") == 0) {
		snprintf(doing, sizeof(doing), "create its history schema \"%s\"", pg->schema_name);
		snprintf(right, sizeof(right),
			 "CREATE on the database, or the schema made for it first: CREATE SCHEMA "
			 "%s AUTHORIZATION \"%s\"",
			 pg->schema, PQuser(pg->conn));
	} else if (strcmp(what, "read") == 0) {
		snprintf(doing, sizeof(doing), "read its history in schema \"%s\"",
			 pg->schema_name);
		snprintf(right, sizeof(right), "USAGE on schema \"%s\" and SELECT on its tables",
			 pg->schema_name);
	} else {
		snprintf(doing, sizeof(doing), "write its history (%s.%s)", pg->schema_name, table);
		snprintf(right, sizeof(right),
			 "USAGE on schema \"%s\" and SELECT, INSERT, UPDATE, DELETE on its tables",
			 pg->schema_name);
	}
	pg_error_while(d, err, doing, right);
}

static int pg_history_exists(struct driver *d, bool *ret, struct mg_error *err)
{
	struct pg *pg = pg_of(d);
	struct arena a = ARENA_INIT;
	struct driver_rows rows;
	const char *schema = d->settings.history_schema ? d->settings.history_schema : "migrate";
	const char *params[] = {schema};
	int rc = pg_query(d, &a,
			  "SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'history'",
			  1, params, &rows, err);
	*ret = rc == 0 && rows.n_rows == 1;
	if (rc < 0)
		pg_history_error(d, err, "read", NULL);
	(void)pg;
	arena_release(&a);
	return rc;
}

static int pg_history_set_layout(struct driver *d, int layout, struct mg_error *err);

static int pg_history_ensure(struct driver *d, struct mg_error *err)
{
	struct pg *pg = pg_of(d);
	struct arena a = ARENA_INIT;
	const char *s = pg->schema;
	/* versioned: meta.schema_version lets a later release upgrade these tables */
	const char *sql = arena_printf(
	    &a,
	    "CREATE SCHEMA IF NOT EXISTS %s;\n"
	    "CREATE TABLE IF NOT EXISTS %s.meta (key text PRIMARY KEY, value text NOT NULL);\n"
	    "INSERT INTO %s.meta VALUES ('schema_version', '%d') ON CONFLICT (key) DO NOTHING;\n"
	    "CREATE TABLE IF NOT EXISTS %s.history (\n"
	    "  version bigint PRIMARY KEY,\n"
	    "  name text NOT NULL,\n"
	    "  checksum text NOT NULL,\n"
	    "  phase text NOT NULL CHECK (phase IN ('expanding', 'expanded', 'contracting', "
	    "'contracted')),\n"
	    "  expanded_at timestamptz,\n"
	    "  contracted_at timestamptz,\n"
	    "  applied_by text NOT NULL,\n"
	    "  expand_seq bigint,\n"
	    "  contract_seq bigint,\n"
	    "  steps_done integer NOT NULL DEFAULT 0,\n"
	    "  expand_ms bigint,\n"
	    "  contract_ms bigint,\n"
	    "  revert_expand jsonb NOT NULL DEFAULT '[]',\n"
	    "  revert_contract jsonb NOT NULL DEFAULT '[]',\n"
	    "  planned_expand jsonb NOT NULL DEFAULT '[]',\n"
	    "  planned_contract jsonb NOT NULL DEFAULT '[]',\n"
	    "  objects_expand jsonb,\n"
	    "  objects_contract jsonb\n"
	    ");\n"
	    "CREATE TABLE IF NOT EXISTS %s.backfills (\n"
	    "  version bigint NOT NULL,\n"
	    "  unit integer NOT NULL,\n"
	    "  last_key text,\n"
	    "  rows bigint NOT NULL DEFAULT 0,\n"
	    "  updated_at timestamptz NOT NULL DEFAULT now(),\n"
	    "  PRIMARY KEY (version, unit)\n"
	    ");\n"
	    "CREATE TABLE IF NOT EXISTS %s.events (\n"
	    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
	    "  at timestamptz NOT NULL DEFAULT now(),\n"
	    "  who text NOT NULL,\n"
	    "  pid integer NOT NULL DEFAULT pg_backend_pid(),\n"
	    "  command text NOT NULL,\n"
	    "  version bigint,\n"
	    "  phase text,\n"
	    "  outcome text NOT NULL,\n"
	    "  detail text\n"
	    ");\n"
	    "CREATE TABLE IF NOT EXISTS %s.trash (\n"
	    "  name text PRIMARY KEY,\n"
	    "  version bigint NOT NULL,\n"
	    "  kind text NOT NULL,\n"
	    "  source text NOT NULL,\n"
	    "  created_at timestamptz NOT NULL DEFAULT now()\n"
	    ");\n",
	    s, s, s, HISTORY_SCHEMA_VERSION, s, s, s, s);
	/*
	 * Only when a table is missing: CREATE ... IF NOT EXISTS still asks for
	 * the right to create, which a role given only the use of the history
	 * need not have.
	 */
	struct driver_rows have;
	const char *params[] = {pg->schema_name};
	int rc = pg_query(d, &a,
			  "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename IN "
			  "('meta', 'history', 'backfills', 'events', 'trash')",
			  1, params, &have, err);
	if (rc < 0) {
		pg_history_error(d, err, "read", NULL);
		arena_release(&a);
		return -1;
	}
	if (strcmp(driver_rows_get(&have, 0, 0), "5") == 0)
		sql = "";
	/* one statement at a time (so that --verbose lists each), all in one transaction */
	if (*sql)
		rc = pg_run(d, "BEGIN", err);
	for (const char *p = sql; rc == 0 && *p;) {
		const char *end = strstr(p, ";\n");
		size_t n = end ? (size_t)(end - p) : strlen(p);
		rc = pg_run(d, arena_strndup(&a, p, n), err);
		p += n + (end ? 2 : 0);
	}
	if (rc == 0 && *sql)
		rc = pg_run(d, "COMMIT", err);
	if (rc < 0) {
		struct mg_error ignore = MG_ERROR_INIT;
		pg_run(d, "ROLLBACK", &ignore);
		pg_history_error(d, err, "create", NULL);
	}
	if (rc == 0) {
		struct driver_rows rows;
		rc = pg_query(d, &a,
			      arena_printf(&a,
					   "SELECT value FROM %s.meta WHERE key = "
					   "'schema_version'",
					   s),
			      0, NULL, &rows, err);
		if (rc < 0)
			pg_history_error(d, err, "read", NULL);
		if (rc == 0 && rows.n_rows == 1)
			d->history_layout = atoi(driver_rows_get(&rows, 0, 0));
		if (rc == 0 && rows.n_rows == 1 &&
		    atoi(driver_rows_get(&rows, 0, 0)) > HISTORY_SCHEMA_VERSION) {
			rc = mg_error_set(err, 2,
					  "the history in schema %s was written by a newer migrate "
					  "(schema version %s)",
					  s, driver_rows_get(&rows, 0, 0));
			mg_error_set_help(err, "upgrade migrate");
		}
	}
	/*
	 * Layout 3 adds the object sets; a history of layout 1 keeps its number
	 * until its checksums are upgraded too (plan/branches.c), which records
	 * the current layout.
	 */
	if (rc == 0 && d->history_layout && d->history_layout < HISTORY_LAYOUT_OBJECTS) {
		rc = pg_run(d,
			    arena_printf(&a,
					 "ALTER TABLE %s.history ADD COLUMN IF NOT EXISTS "
					 "objects_expand jsonb, ADD COLUMN IF NOT EXISTS "
					 "objects_contract jsonb",
					 s),
			    err);
		if (rc < 0)
			pg_history_error(d, err, "create", NULL);
		if (rc == 0 && d->history_layout == HISTORY_LAYOUT_STATEMENT_CHECKSUMS)
			rc = pg_history_set_layout(d, HISTORY_LAYOUT_OBJECTS, err);
	}
	arena_release(&a);
	return rc;
}

static int pg_history_set_layout(struct driver *d, int layout, struct mg_error *err)
{
	struct pg *pg = pg_of(d);
	struct arena a = ARENA_INIT;
	int rc =
	    pg_run(d,
		   arena_printf(&a, "UPDATE %s.meta SET value = '%d' WHERE key = 'schema_version'",
				pg->schema, layout),
		   err);
	if (rc < 0)
		pg_history_error(d, err, "write", "meta");
	else
		d->history_layout = layout;
	arena_release(&a);
	return rc;
}

static int pg_history_load(struct driver *d, struct arena *a, struct history *ret,
			   struct mg_error *err)
{
	struct pg *pg = pg_of(d);
	struct driver_rows rows;
	memset(ret, 0, sizeof(*ret));
	const char *sql = arena_printf(
	    a,
	    "SELECT version, name, checksum, phase, "
	    "to_char(expanded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "to_char(contracted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "applied_by, expand_seq, contract_seq, steps_done, expand_ms, contract_ms, "
	    "revert_expand::text, revert_contract::text, planned_expand::text, "
	    "planned_contract::text, "
	    /* read through the row: a history of layout 2 has no such columns yet */
	    "to_jsonb(history) ->> 'objects_expand', to_jsonb(history) ->> 'objects_contract' "
	    "FROM %s.history ORDER BY version",
	    pg->schema);
	if (pg_query(d, a, sql, 0, NULL, &rows, err) < 0) {
		pg_history_error(d, err, "read", NULL);
		return -1;
	}
	return history_from_rows(a, &rows, ret, err);
}

static int pg_history_save(struct driver *d, const struct history_entry *e, struct mg_error *err)
{
	struct pg *pg = pg_of(d);
	struct arena a = ARENA_INIT;
	const char *params[HISTORY_PARAMS];
	history_entry_params(&a, e, params);
	/* timestamps are the database's clock, set when the phase changes */
	const char *sql = arena_printf(
	    &a,
	    "INSERT INTO %s.history AS h (version, name, checksum, phase, applied_by, "
	    "expand_seq, contract_seq, steps_done, expand_ms, contract_ms, revert_expand, "
	    "revert_contract, planned_expand, planned_contract, objects_expand, "
	    "objects_contract, expanded_at, contracted_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, "
	    "$13::jsonb, $14::jsonb, $15::jsonb, $16::jsonb, "
	    "CASE WHEN $4 IN ('expanded', 'contracting', 'contracted') THEN now() END, "
	    "CASE WHEN $4 = 'contracted' THEN now() END) "
	    "ON CONFLICT (version) DO UPDATE SET name = $2, checksum = $3, phase = $4, "
	    "applied_by = $5, expand_seq = $6, contract_seq = $7, steps_done = $8, "
	    "expand_ms = $9, contract_ms = $10, revert_expand = $11::jsonb, "
	    "revert_contract = $12::jsonb, planned_expand = $13::jsonb, "
	    "planned_contract = $14::jsonb, objects_expand = $15::jsonb, "
	    "objects_contract = $16::jsonb, "
	    "expanded_at = CASE WHEN $4 IN ('expanded', 'contracting', 'contracted') "
	    "THEN coalesce(h.expanded_at, now()) END, "
	    "contracted_at = CASE WHEN $4 = 'contracted' THEN coalesce(h.contracted_at, now()) "
	    "END",
	    pg->schema);
	struct driver_rows rows;
	int rc = pg_query(d, &a, sql, HISTORY_PARAMS, params, &rows, err);
	if (rc < 0)
		pg_history_error(d, err, "write", "history");
	arena_release(&a);
	return rc;
}

static int pg_history_delete(struct driver *d, int64_t version, struct mg_error *err)
{
	struct pg *pg = pg_of(d);
	struct arena a = ARENA_INIT;
	char v[24];
	snprintf(v, sizeof(v), "%lld", (long long)version);
	const char *params[] = {v};
	struct driver_rows rows;
	int rc = pg_query(d, &a,
			  arena_printf(&a, "DELETE FROM %s.history WHERE version = $1", pg->schema),
			  1, params, &rows, err);
	if (rc < 0)
		pg_history_error(d, err, "write", "history");
	arena_release(&a);
	return rc;
}

static int pg_event_log(struct driver *d, const struct event *ev, struct mg_error *err)
{
	struct pg *pg = pg_of(d);
	struct arena a = ARENA_INIT;
	char v[24];
	snprintf(v, sizeof(v), "%lld", (long long)ev->version);
	const char *params[] = {d->settings.who ? d->settings.who : "unknown",
				ev->command,
				ev->version ? v : NULL,
				ev->phase,
				ev->outcome,
				ev->detail};
	struct driver_rows rows;
	int rc = pg_query(d, &a,
			  arena_printf(&a,
				       "INSERT INTO %s.events (who, command, version, phase, "
				       "outcome, detail) VALUES ($1, $2, $3, $4, $5, $6)",
				       pg->schema),
			  6, params, &rows, err);
	if (rc < 0)
		pg_history_error(d, err, "write", "events");
	arena_release(&a);
	return rc;
}

static int pg_trash_purge(struct driver *d, struct arena *a, int64_t older_than_ms,
			  const char ***ret_names, size_t *ret_n, struct mg_error *err)
{
	struct pg *pg = pg_of(d);
	struct driver_rows rows;
	char ms[32];
	snprintf(ms, sizeof(ms), "%lld", (long long)older_than_ms);
	const char *p[] = {ms};
	*ret_n = 0;
	if (pg_begin(d, err) < 0)
		return -1;
	if (pg_query(d, a,
		     arena_printf(a,
				  "DELETE FROM %s.trash WHERE created_at < now() - $1::bigint * "
				  "interval '1 millisecond' RETURNING name, version, kind",
				  pg->schema),
		     1, p, &rows, err) < 0)
		goto fail;
	*ret_names = arena_alloc(a, sizeof(**ret_names) * (rows.n_rows + 1));
	for (size_t i = 0; i < rows.n_rows; i++) {
		const char *name = driver_rows_get(&rows, i, 0);
		const char *params[] = {name};
		struct driver_rows none;
		const char *what =
		    strcmp(driver_rows_get(&rows, i, 2), "sequence") == 0
			? "SELECT format('DROP SEQUENCE IF EXISTS migrate_trash.%I', $1::text)"
			: "SELECT format('DROP TABLE IF EXISTS migrate_trash.%I', $1::text)";
		if (pg_query(d, a, what, 1, params, &none, err) < 0 ||
		    pg_run(d, driver_rows_get(&none, 0, 0), err) < 0)
			goto fail;
		/* the contract's recorded undo now fails with a clear word, not a missing table */
		const char *params2[] = {driver_rows_get(&rows, i, 1), name};
		if (pg_query(d, a,
			     arena_printf(
				 a,
				 "UPDATE %s.history SET revert_contract = jsonb_build_array("
				 "jsonb_build_object('sql', format('DO $mg$ BEGIN RAISE EXCEPTION "
				 "%%L; END $mg$', 'the data this contract removed (' || $2 || ') "
				 "was purged on ' || now()::date || ': write the revert by hand'), "
				 "'flags', 0)) WHERE version = $1::bigint",
				 pg->schema),
			     2, params2, &none, err) < 0)
			goto fail;
		(*ret_names)[(*ret_n)++] = name;
	}
	return pg_commit(d, err);
fail:
	pg_rollback(d);
	return -1;
}

/* check's drift stage reads the shared database: a guard, not only a promise */
static int pg_session_read_only(struct driver *d, struct mg_error *err)
{
	struct arena a = ARENA_INIT;
	struct driver_rows rows;
	int rc = pg_query(d, &a, "SET default_transaction_read_only = on", 0, NULL, &rows, err);
	arena_release(&a);
	return rc;
}

/* A revert step that holds a lock the app waits on for as long as the table takes: why. */
static const char *pg_long_lock_note(const struct step *s)
{
	const char *q = s->sql;
	if (strncmp(q, "UPDATE ", 7) == 0)
		return "  -- long lock: one UPDATE of the whole table, its row locks held to "
		       "the end of the transaction";
	if ((strncmp(q, "CREATE INDEX ", 13) == 0 || strncmp(q, "CREATE UNIQUE INDEX ", 20) == 0) &&
	    !strstr(q, " ON " PG_TRASH_SCHEMA "."))
		return "  -- long lock: builds the index while writes to the table wait";
	if (strncmp(q, "ALTER TABLE ", 12) == 0 &&
	    (strstr(q, " ADD CONSTRAINT ") &&
	     (strstr(q, " UNIQUE ") || strstr(q, " PRIMARY KEY ") || strstr(q, " EXCLUDE ")) &&
	     !strstr(q, " USING INDEX ")))
		return "  -- long lock: builds the constraint's index under ACCESS EXCLUSIVE";
	if (strncmp(q, "ALTER TABLE ", 12) == 0 && strstr(q, " SET NOT NULL") &&
	    !(s->flags & STEP_CHECKED_NOT_NULL))
		return "  -- long lock: scans the table under ACCESS EXCLUSIVE unless a validated "
		       "CHECK (... IS NOT NULL) stands for it";
	return NULL;
}

/* What the catalogue says of an object, as the statement that would make it. */
static const char *pg_object_definition_sql(const char *kind)
{
	if (strcmp(kind, "index") == 0)
		return "SELECT pg_get_indexdef(c.oid) FROM pg_class c "
		       "WHERE c.relkind IN ('i', 'I') AND c.relname = $1 AND $2::text IS NOT NULL";
	if (strcmp(kind, "constraint") == 0)
		return "SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', "
		       "k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid)) "
		       "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
		       "WHERE k.conname = $1 AND ($2 = '' OR c.relname = $2)";
	if (strcmp(kind, "view") == 0)
		return "SELECT format('CREATE VIEW %s AS %s', c.oid::regclass, "
		       "pg_get_viewdef(c.oid)) FROM pg_class c "
		       "WHERE c.relkind IN ('v', 'm') AND c.relname = $1 AND $2::text IS NOT NULL";
	return NULL;
}

const struct driver_ops driver_pg_ops = {
    .name = "postgres",
    .concurrent_ddl = true,
    .server_release = true,
    .session_read_only = pg_session_read_only,
    .object_definition_sql = pg_object_definition_sql,
    .replica_lag_wait = pg_replica_lag_wait,
    .replica_lag_close = pg_replica_lag_close,
    .check_shadow = true,
    .long_lock_note = pg_long_lock_note,
    .plan = planner_plan,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .lock = pg_lock,
    .unlock = pg_unlock,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .exec = pg_exec,
    .query = pg_query,
    .history_ensure = pg_history_ensure,
    .history_exists = pg_history_exists,
    .history_load = pg_history_load,
    .history_save = pg_history_save,
    .history_delete = pg_history_delete,
    .history_set_layout = pg_history_set_layout,
    .event_log = pg_event_log,
    .trash_purge = pg_trash_purge,
    .inverse_before = inverse_pg_before,
    .inverse_after = inverse_pg_after,
    .statement_failed = inverse_pg_statement_failed,
    .explain_lock_timeout = pg_explain_lock_timeout,
    .step_resume = resume_pg_step,
    .check_statement = refuse_pg_check,
};
