/* What a target's phase hooks share with the runner (target/phase.h). */
#include "target/phase.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

void runner_say(runner_say_fn fn, void *ctx, const char *fmt, ...)
{
	if (!fn)
		return;
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fn(ctx, "%s", buf);
}

int64_t runner_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void runner_phases_ahead(const struct runner_options *o, enum history_phase p, bool *ret_expand,
			 bool *ret_contract)
{
	*ret_expand = (o->phases & RUN_EXPAND) && (p == HISTORY_PENDING || p == HISTORY_EXPANDING);
	*ret_contract = (o->phases & RUN_CONTRACT) &&
			(*ret_expand || p == HISTORY_EXPANDED || p == HISTORY_CONTRACTING);
}

int64_t runner_next_seq(const struct history *h)
{
	int64_t max = 0;
	for (size_t i = 0; i < h->n; i++) {
		if (h->items[i].expand_seq > max)
			max = h->items[i].expand_seq;
		if (h->items[i].contract_seq > max)
			max = h->items[i].contract_seq;
	}
	return max + 1;
}

void runner_revert_prepend(struct arena *a, struct step_list *revert, const struct step_list *block)
{
	struct step_list merged = {0};
	step_list_append(a, &merged, block);
	step_list_append(a, &merged, revert);
	*revert = merged;
}

void runner_log_event(struct driver *d, const char *command, int64_t version, const char *phase,
		      const char *outcome, const char *detail)
{
	struct mg_error ignore = MG_ERROR_INIT;
	struct event ev = {command, version, phase, outcome, detail};
	d->ops->event_log(d, &ev, &ignore);
}
