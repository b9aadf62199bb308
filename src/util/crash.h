#ifndef MG_CRASH_H
#define MG_CRASH_H

/*
 * The test suite's stand-in for kill -9 (MIGRATE_TEST_CRASH_AFTER*): the
 * process dies at once, mid-phase, as if killed. Only the shared-memory
 * counters mongo-c-driver keeps as /dev/shm/mongoc-<pid> are removed first:
 * left behind, a later process that gets the same pid makes the driver warn
 * on stderr. Nothing of migrate's own is cleaned up.
 */
void test_crash_now(void) __attribute__((noreturn));

#endif
