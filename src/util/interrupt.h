#ifndef MG_UTIL_INTERRUPT_H
#define MG_UTIL_INTERRUPT_H

/*
 * SIGINT and SIGTERM during a run. The handler only records the signal and
 * calls the one cancel function a driver registered (async-signal-safe:
 * PQcancel with a PGcancel made beforehand, sqlite3_interrupt), so the
 * statement running on the server stops at once; the runner notices the
 * flag between steps and batches, rolls back, records where it stopped and
 * returns an error whose code is the exit status (130, 143).
 */

/* Installs the handlers (the command does, before it connects). */
void interrupt_install(void);

/* The signal received (SIGINT, SIGTERM), 0 when none. */
int interrupt_pending(void);

/* 128 + the signal: the exit status of an interrupted run. */
int interrupt_exit_code(void);

/* "SIGINT", "SIGTERM". */
const char *interrupt_signal_name(void);

/*
 * The function the handler calls to stop the running statement; NULL
 * unregisters. A driver registers it after it connects and removes it
 * before it disconnects.
 */
void interrupt_set_cancel(void (*fn)(void *ctx), void *ctx);

/* For tests of the engine: as if the signal had arrived. */
void interrupt_raise(int sig);

#endif
