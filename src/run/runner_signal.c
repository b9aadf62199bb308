#include "run/runner_signal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/interrupt.h"

bool runner_interrupted(void)
{
	return interrupt_pending() != 0;
}

int runner_interrupt_stop(struct mg_error *err)
{
	mg_error_clear(err);
	err->code = interrupt_exit_code();
	return -1;
}

int runner_interrupt_explain(struct mg_error *err, const char *fmt, ...)
{
	int code = interrupt_exit_code();
	if (err->code == code && strncmp(err->message, "interrupted", 11) == 0)
		return -1; /* already said, by an inner step */
	char what[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	/* the statement the signal cancelled: its own message, kept as a note */
	char cancelled[sizeof(err->message)] = "";
	if (err->code != code && err->message[0])
		snprintf(cancelled, sizeof(cancelled), "%s", err->message);
	mg_error_clear(err);
	mg_error_set(err, code, "interrupted (%s): %s", interrupt_signal_name(), what);
	if (cancelled[0])
		mg_error_add_note(err, "note", "the running statement was cancelled: %s",
				  cancelled);
	return -1;
}
