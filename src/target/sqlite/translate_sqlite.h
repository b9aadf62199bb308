#ifndef MG_SQL_TRANSLATE_SQLITE_H
#define MG_SQL_TRANSLATE_SQLITE_H

#include <stdbool.h>

#include "sql/parse.h"
#include "util/arena.h"
#include "util/strbuf.h"

/*
 * PostgreSQL to SQLite, from the typed AST: statements, column definitions,
 * constraints and expressions that have an SQLite form are written anew as
 * SQLite SQL; anything else is refused with the reason. Never a rewrite of
 * SQL text.
 *
 * What it writes is also read by PostgreSQL's grammar (INTEGER, TEXT,
 * CHECK (...), DEFAULT CURRENT_TIMESTAMP, glob(...) for LIKE), so the CREATE
 * TABLE that SQLite keeps for a table can be parsed back with libpg_query,
 * changed as a tree and written again ("native" mode) when an ALTER TABLE
 * asks for what SQLite cannot alter in place.
 */

/* One translation: its arena, its mode, and why it failed. */
struct sqlite_tr {
	struct arena *a;
	/*
	 * The tree was parsed from SQLite's own schema text: its types and
	 * functions are SQLite's already and pass through unchanged.
	 */
	bool native;
	/* the table being defined or altered: constraint names start with it */
	const char *table;
	/* constraint names in use in that table (for PostgreSQL-style names without clashes) */
	const char **taken;
	size_t n_taken, alloc_taken;
	/* the first reason something has no SQLite form; NULL while all is well */
	const char *why;
};

void sqlite_tr_init(struct sqlite_tr *t, struct arena *a, bool native);
/* Marks a constraint name as used in t->table. */
void sqlite_tr_take_name(struct sqlite_tr *t, const char *name);
/* Marks every constraint name a table definition carries as used. */
void sqlite_tr_take_table_names(struct sqlite_tr *t, const PgQuery__CreateStmt *cs);

/* "name" quoted as an SQLite identifier. */
const char *sqlite_ident(struct arena *a, const char *name);
/* 'text' as an SQLite string literal. */
const char *sqlite_literal(struct arena *a, const char *text);

/*
 * The emitters append SQLite SQL to sb; false (t->why set) when a node has no
 * SQLite form. Nothing is printed and nothing partial should be used then.
 */
bool sqlite_tr_expr(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__Node *n);
bool sqlite_tr_select(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__Node *n);

/* The SQLite type of a PostgreSQL type (INTEGER, TEXT, NUMERIC, REAL, BLOB). */
struct sqlite_type {
	const char *name;
	bool serial;  /* serial/bigserial: INTEGER PRIMARY KEY generates it */
	bool boolean; /* stored as 0/1 */
	bool integer;
};
bool sqlite_tr_type(struct sqlite_tr *t, const PgQuery__TypeName *tn, struct sqlite_type *ret);

/*
 * A column definition. table_pk names the columns of a table-level PRIMARY
 * KEY (for identity columns, which SQLite generates only as INTEGER PRIMARY
 * KEY); NULL when there is none.
 */
bool sqlite_tr_column_def(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__ColumnDef *cd,
			  const PgQuery__Constraint *table_pk);
/* A table constraint (PRIMARY KEY, UNIQUE, CHECK, FOREIGN KEY), named when unnamed. */
bool sqlite_tr_table_constraint(struct sqlite_tr *t, struct strbuf *sb, PgQuery__Constraint *c);
/* A whole CREATE TABLE. */
bool sqlite_tr_create_table(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__CreateStmt *cs);
/* A CREATE [UNIQUE] INDEX under the given name (CONCURRENTLY, INCLUDE, opclasses dropped). */
bool sqlite_tr_create_index(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__IndexStmt *is,
			    const char *name);

/* PostgreSQL's name for an unnamed index: table_col1_col2_idx (or _key when unique). */
const char *sqlite_index_default_name(struct arena *a, const PgQuery__IndexStmt *is);
/*
 * PostgreSQL's name for an unnamed constraint of t->table (table_pkey,
 * table_col_key, table_col_fkey, table_col_check, with 1, 2, ... against
 * clashes); column is the column it is declared on, or NULL.
 */
const char *sqlite_tr_constraint_name(struct sqlite_tr *t, const PgQuery__Constraint *c,
				      const char *column);

/* The names of the columns an expression (or any subtree) refers to, without duplicates. */
void sqlite_column_refs(struct arena *a, const void *node, const char ***ret, size_t *ret_n);

/* What one statement becomes. */
struct sqlite_translation {
	const char **sql; /* the statements to run, in order */
	size_t n, alloc;
	const char *note; /* set when nothing runs and the user should hear why */
};

enum sqlite_translate_result {
	SQLITE_TRANSLATED = 0,
	SQLITE_NEEDS_TABLE = 1, /* ALTER TABLE and friends: built against the live table */
	SQLITE_UNSUPPORTED = -1,
};

/*
 * Translates a statement that needs no look at the database. For ALTER
 * TABLE, ALTER INDEX ... RENAME and a constraint rename it answers
 * SQLITE_NEEDS_TABLE after checking that every part has an SQLite form; for
 * anything else without one, SQLITE_UNSUPPORTED with ret_why.
 */
enum sqlite_translate_result translate_sqlite_statement(struct arena *a, const PgQuery__Node *stmt,
							struct sqlite_translation *ret,
							const char **ret_why);

/* Parses a CREATE TABLE as SQLite keeps it; NULL when it cannot be read back. */
PgQuery__CreateStmt *sqlite_table_parse(struct arena *a, const char *create_sql);
/* Parses a CREATE INDEX as SQLite keeps it; NULL when it cannot be read back. */
PgQuery__IndexStmt *sqlite_index_parse(struct arena *a, const char *create_sql);

#endif
