#include "util/crash.h"

#include <signal.h>
#include <stdlib.h>

void test_crash_now(void)
{
	raise(SIGKILL);
	abort();
}
