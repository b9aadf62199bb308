#ifndef MG_CMD_APPLIED_H
#define MG_CMD_APPLIED_H

#include "cmd/common.h"

/* The history of the connected database; empty when there is none yet. Writes nothing. */
int cmd_history_read(struct cmd_env *env, struct history *ret, struct mg_error *err);

#endif
