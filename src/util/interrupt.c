#include "util/interrupt.h"

#include <signal.h>
#include <stddef.h>
#include <string.h>

static volatile sig_atomic_t received;
static void (*volatile cancel_fn)(void *ctx);
static void *volatile cancel_ctx;

static void on_signal(int sig)
{
	/* a second Ctrl-C sends the cancel again; the run still stops only once */
	if (!received)
		received = sig;
	void (*fn)(void *) = cancel_fn;
	if (fn)
		fn(cancel_ctx);
}

void interrupt_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a sleep between retries or batches ends at once */
	sa.sa_flags = 0;
	/* installed even where the shell ignored SIGINT (a job started with &):
	 * a kill -INT sent to a run on purpose stops it the same clean way */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int interrupt_pending(void)
{
	return received;
}

int interrupt_exit_code(void)
{
	return received ? 128 + received : 0;
}

const char *interrupt_signal_name(void)
{
	switch (received) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	default:
		return "a signal";
	}
}

void interrupt_set_cancel(void (*fn)(void *ctx), void *ctx)
{
	/* the handler may run between the two stores: clear the function first */
	cancel_fn = NULL;
	cancel_ctx = ctx;
	cancel_fn = fn;
}

void interrupt_raise(int sig)
{
	received = sig;
}
