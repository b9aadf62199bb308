#ifndef MG_CRASH_H
#define MG_CRASH_H

/*
 * The test suite's stand-in for kill -9 (MIGRATE_TEST_CRASH_AFTER*): the
 * process dies at once, mid-phase, as if killed: nothing is cleaned up.
 */
void test_crash_now(void) __attribute__((noreturn));

#endif
