#ifndef MG_DRIVER_REPLICA_H
#define MG_DRIVER_REPLICA_H

#include <stdint.h>

#include "target/target.h"

/*
 * PostgreSQL's replica_lag_wait and replica_lag_close (driver_ops): the
 * standbys are those of pg_stat_replication on the primary (d), or the one
 * server named by replica_url.
 *
 * A standby's lag is how long ago the primary wrote the oldest WAL the
 * standby has not replayed yet, from the primary's WAL position sampled at
 * each call (so paused replay counts, which pg_stat_replication.replay_lag
 * alone does not show), and at least its replay_lag while it is behind.
 */
int pg_replica_lag_wait(struct driver *d, struct replica_lag *o, struct mg_error *err);

/* Closes the connection to --replica, if one was opened. */
void pg_replica_lag_close(void);

#endif
