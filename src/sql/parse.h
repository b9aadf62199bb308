#ifndef MG_SQL_PARSE_H
#define MG_SQL_PARSE_H

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "migration/migration.h"
#include "util/arena.h"
#include "util/error.h"

/* One statement of a section, located in its file. */
struct sql_stmt {
	const PgQuery__Node *node;
	const struct migration *migration;
	enum migration_section section;
	size_t offset; /* absolute byte offset of its first token in the file */
	size_t end;    /* absolute byte offset just past it (before the ';') */
	int line;
	int column;
};

/* The statements of one section; the tree lives in the arena it was parsed into. */
struct sql_section {
	const struct migration *migration;
	enum migration_section section;
	size_t base;	  /* offset of the section in the file: node locations are relative to it */
	const char *text; /* the section's text, NUL-terminated (what the parser saw) */
	struct sql_stmt *stmts;
	size_t n_stmts;
};

/*
 * Parses one section of a SQL migration into the typed protobuf AST. A syntax
 * error fails with file:line:column and libpg_query's message (exit 2).
 */
int sql_parse_section(struct arena *a, const struct migration *m, enum migration_section s,
		      struct sql_section *ret, struct mg_error *err);

/* Parses a standalone string (as a one-section migration at path "<sql>"). */
int sql_parse_string(struct arena *a, const char *sql, struct sql_section *ret,
		     struct mg_error *err);

/* Maps a location inside the section's text (a node's `location`) to file line:column. */
void sql_section_line_column(const struct sql_section *sec, int location, int *ret_line,
			     int *ret_column);

/* Deparses one statement node back to SQL text (arena-owned); NULL when it cannot. */
char *sql_deparse_node(struct arena *a, const PgQuery__Node *stmt);

#endif
