/* Waiting for standbys to catch up (--max-replica-lag); see replica.h. */
#include "target/pg/replica.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The primary's WAL position as sampled at each call: (when, where). */
#define SAMPLES 4096
static struct {
	int64_t ms;
	long long lsn;
} samples[SAMPLES];
static size_t n_samples, first_sample;
static PGconn *replica_conn;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sample(int64_t now, long long lsn)
{
	if (n_samples && samples[(first_sample + n_samples - 1) % SAMPLES].lsn >= lsn)
		return;
	if (n_samples == SAMPLES) {
		/* the oldest goes: keep the newest */
		first_sample = (first_sample + 1) % SAMPLES;
		n_samples--;
	}
	samples[(first_sample + n_samples) % SAMPLES].ms = now;
	samples[(first_sample + n_samples) % SAMPLES].lsn = lsn;
	n_samples++;
}

/* How long ago the oldest WAL past replay was written, as far as the samples know. */
static int64_t lag_of(int64_t now, long long replay, long long current, int64_t reported_ms)
{
	if (replay >= current)
		return 0;
	int64_t lag = reported_ms;
	for (size_t i = 0; i < n_samples; i++) {
		size_t k = (first_sample + i) % SAMPLES;
		if (samples[k].lsn > replay) {
			/* the WAL between the sample before and this one: written by this one's
			 * time at the latest; the first sample: written before it, so at least that
			 * old */
			if (now - samples[k].ms > lag)
				lag = now - samples[k].ms;
			break;
		}
	}
	return lag;
}

static void sleep_ms(int ms)
{
	usleep((useconds_t)ms * 1000);
}

/* The replay position of the --replica server, -1 with err when it cannot be read. */
static long long replica_replay_lsn(const char *url, struct mg_error *err)
{
	if (!replica_conn) {
		const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
		const char *vals[] = {url, "10", "migrate replica lag", NULL};
		replica_conn = PQconnectdbParams(keys, vals, 1);
	}
	if (PQstatus(replica_conn) != CONNECTION_OK) {
		struct arena a = ARENA_INIT;
		char msg[600];
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(replica_conn));
		msg[strcspn(msg, "\n")] = '\0';
		secret_scrub(msg, sizeof(msg), url);
		mg_error_set(err, 3, "cannot connect to the replica %s: %s", url_redact(&a, url),
			     msg);
		arena_release(&a);
		PQfinish(replica_conn);
		replica_conn = NULL;
		return -1;
	}
	PGresult *res =
	    PQexec(replica_conn, "SELECT pg_is_in_recovery(), "
				 "pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint");
	long long lsn = -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    strcmp(PQgetvalue(res, 0, 0), "t") == 0 && !PQgetisnull(res, 0, 1))
		lsn = atoll(PQgetvalue(res, 0, 1));
	else if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		mg_error_set(err, 3,
			     "the replica named with --replica is not a standby in recovery");
	else
		mg_error_set(err, 3, "cannot read the replica's replay position: %s",
			     PQerrorMessage(replica_conn));
	PQclear(res);
	return lsn;
}

int pg_replica_lag_wait(struct driver *d, struct replica_lag *o, struct mg_error *err)
{
	if (!o || o->max_lag_ms <= 0)
		return 0;
	if (strcmp(d->ops->name, "postgres") != 0 && strcmp(d->ops->name, "postgresql") != 0)
		return 0;
	int64_t started = mono_ms();
	for (;;) {
		struct arena a = ARENA_INIT;
		struct driver_rows rows;
		if (d->ops->query(d, &a,
				  "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, "
				  "coalesce(nullif(application_name, ''), 'standby') || ' (' || "
				  "coalesce(host(client_addr), 'local') || ')', "
				  "pg_wal_lsn_diff(replay_lsn, '0/0')::bigint, "
				  "coalesce((extract(epoch FROM replay_lag) * 1000)::bigint, 0) "
				  "FROM (SELECT 1) AS one LEFT JOIN pg_stat_replication ON true",
				  0, NULL, &rows, err) < 0) {
			mg_error_prefix(err, "cannot read the standbys' lag");
			arena_release(&a);
			return -1;
		}
		int64_t now = mono_ms();
		long long current = atoll(driver_rows_get(&rows, 0, 0));
		sample(now, current);
		int64_t worst = 0;
		const char *who = NULL;
		if (o->replica_url) {
			long long replay = replica_replay_lsn(o->replica_url, err);
			if (replay < 0) {
				arena_release(&a);
				return -1;
			}
			worst = lag_of(now, replay, current, 0);
			who = "the replica named with --replica";
		} else {
			for (size_t i = 0; i < rows.n_rows; i++) {
				const char *name = driver_rows_get(&rows, i, 1);
				if (!name)
					continue; /* no standby at all */
				const char *replay = driver_rows_get(&rows, i, 2);
				if (!replay) {
					mg_error_set(err, 3,
						     "cannot see how far standby %s has replayed",
						     name);
					mg_error_set_help(
					    err, "grant the role pg_monitor, or name the replica "
						 "with --replica URL");
					arena_release(&a);
					return -1;
				}
				int64_t lag = lag_of(now, atoll(replay), current,
						     atoll(driver_rows_get(&rows, i, 3)));
				if (lag > worst) {
					worst = lag;
					who = arena_strdup(&a, name);
				}
			}
		}
		if (worst <= o->max_lag_ms) {
			arena_release(&a);
			return 0;
		}
		if (o->waiting) {
			char why[300];
			snprintf(why, sizeof(why),
				 "standby %s is %.1f s behind (--max-replica-lag %.1f s)", who,
				 (double)worst / 1000, (double)o->max_lag_ms / 1000);
			o->waiting(o->ctx, why, now - started);
		}
		arena_release(&a);
		sleep_ms(o->poll_ms > 0 ? o->poll_ms : 200);
	}
}

void pg_replica_lag_close(void)
{
	if (replica_conn)
		PQfinish(replica_conn);
	replica_conn = NULL;
}
