#include "util/crash.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

void test_crash_now(void)
{
	char name[64];
	snprintf(name, sizeof(name), "/mongoc-%d", (int)getpid());
	shm_unlink(name);
	raise(SIGKILL);
	abort();
}
