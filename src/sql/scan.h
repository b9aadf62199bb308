#ifndef MG_SQL_SCAN_H
#define MG_SQL_SCAN_H

#include <stddef.h>

#include "util/arena.h"

/*
 * The names written in SQL text that the parser could not read (syntax newer
 * than its grammar, or simply broken): every identifier token, and every
 * keyword that may stand as a name, folded as PostgreSQL folds them (unquoted
 * lowercase, quoted as written), sorted and each once. The scanner tolerates
 * what the grammar refuses; where it fails too (an unterminated quote), every
 * word of the text counts. Arena-owned; returns how many.
 */
size_t sql_scan_names(struct arena *a, const char *text, size_t len, const char ***ret_names);

#endif
