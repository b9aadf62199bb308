#ifndef MG_FILEIO_H
#define MG_FILEIO_H

#include <stddef.h>

#include "util/arena.h"
#include "util/error.h"

/* Reads a whole file into the arena, NUL-terminated. -1 and err (exit 2) when it cannot. */
int file_read_all(struct arena *a, const char *path, char **ret_data, size_t *ret_len,
		  struct mg_error *err);
/* 1 directory, 0 other file, -1 missing. */
int path_kind(const char *path);

#endif
