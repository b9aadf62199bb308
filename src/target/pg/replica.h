#ifndef MG_DRIVER_REPLICA_H
#define MG_DRIVER_REPLICA_H

#include <stdint.h>

#include "target/target.h"

/*
 * --max-replica-lag: before each backfill batch and each planned step that
 * takes a lock, wait while a standby lags the primary by more than
 * max_lag_ms. The standbys are those of pg_stat_replication on the primary
 * (d), or the one server named by replica_url.
 *
 * A standby's lag is how long ago the primary wrote the oldest WAL the
 * standby has not replayed yet, from the primary's WAL position sampled at
 * each call (so paused replay counts, which pg_stat_replication.replay_lag
 * alone does not show), and at least its replay_lag while it is behind.
 */
struct replica_lag {
	int64_t max_lag_ms; /* 0: off */
	const char *replica_url;
	/* told why it waits, at each poll while it waits (the command prints) */
	void (*waiting)(void *ctx, const char *why, int64_t waited_ms);
	void *ctx;
	/* how long to sleep between polls; 0: 200 ms */
	int poll_ms;
};

/* Returns once no standby lags more than max_lag_ms; -1 with err on failure (exit 3). */
int replica_lag_wait(struct driver *d, struct replica_lag *o, struct mg_error *err);

/* The callback shape of runner_options.throttle, with a struct replica_lag as ctx. */
int replica_lag_throttle(void *ctx, struct driver *d, struct mg_error *err);

/* Closes the connection to --replica, if one was opened. */
void replica_lag_close(void);

#endif
