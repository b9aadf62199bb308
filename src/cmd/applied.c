/*
 * The history of the database a command judges its migrations against
 * (lint/applied.c leaves out what it already ran).
 */
#include "cmd/applied.h"

#include <string.h>

int cmd_history_read(struct cmd_env *env, struct history *ret, struct mg_error *err)
{
	bool exists = false;
	memset(ret, 0, sizeof(*ret));
	if (env->driver.ops->history_exists(&env->driver, &exists, err) < 0 ||
	    (exists && env->driver.ops->history_load(&env->driver, &env->arena, ret, err) < 0))
		return -1;
	return 0;
}
