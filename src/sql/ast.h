#ifndef MG_SQL_AST_H
#define MG_SQL_AST_H

#include <stdbool.h>
#include <stdint.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

/*
 * Small accessors over the protobuf AST that every rule needs. They accept
 * NULL and nodes of the wrong kind, answering NULL/false.
 */

/* The sval of a String node. */
const char *ast_string(const PgQuery__Node *n);
/* The last String of a name list ("pg_catalog"."int4" -> "int4"). */
const char *ast_last_name(PgQuery__Node *const *names, size_t n);
/* schema.name from a name list of one, two or three Strings. */
void ast_qualified_name(PgQuery__Node *const *names, size_t n, const char **ret_schema,
			const char **ret_name);
/* The name of a DROP object: a List of Strings, a String, a TypeName or an ObjectWithArgs. */
void ast_object_name(const PgQuery__Node *obj, const char **ret_schema, const char **ret_name);
/* An integer constant (A_Const ival, Integer, or a numeric string). */
bool ast_const_int(const PgQuery__Node *n, int64_t *ret);
const PgQuery__Constraint *ast_constraint(const PgQuery__Node *n);
const PgQuery__AlterTableCmd *ast_alter_cmd(const PgQuery__Node *n);
/* The value of a DefElem option by name within a list (e.g. "concurrently"), or NULL. */
const PgQuery__DefElem *ast_option(PgQuery__Node *const *options, size_t n, const char *name);

/*
 * True when a DefElem option is given and not switched off: `FULL`,
 * `CONCURRENTLY true` and `FULL 1` are on; `CONCURRENTLY false`, `FULL off`
 * and `FULL 0` are off.
 */
bool ast_option_enabled(PgQuery__Node *const *options, size_t n, const char *name);
/*
 * True when the statement works CONCURRENTLY (CREATE/DROP INDEX, REINDEX,
 * REFRESH MATERIALIZED VIEW, DETACH PARTITION): PostgreSQL refuses to run it
 * inside a transaction block.
 */
bool ast_stmt_is_concurrent(const PgQuery__Node *stmt);

/*
 * Renames every column reference `from` (unqualified or qualified by a table)
 * to `to` in a tree, in place. A generic walk over the protobuf messages, so
 * it reaches column references in any expression.
 */
void ast_rename_column_refs(PgQuery__Node *tree, const char *from, const char *to);
/*
 * In a view's statement, the references to column `from` of table `table`
 * (qualified by its name or an alias, as pg_get_viewdef writes them) become
 * `to`; an output column that took its name from the column keeps it (AS
 * from). False when an unqualified `from` leaves it unclear whose it is.
 */
bool ast_rename_view_column(PgQuery__Node *view, const char *table, const char *from,
			    const char *to);

/* Calls fn on msg and on every message below it (read-only use). */
typedef void (*ast_visit_fn)(ProtobufCMessage *msg, void *ctx);
void ast_visit(const ProtobufCMessage *msg, ast_visit_fn fn, void *ctx);

/* Does tree name column `name` (a column reference, an index or constraint key)? */
bool ast_mentions_column(const PgQuery__Node *tree, const char *name);

/*
 * ALTER INDEX parent ATTACH PARTITION child (an index on a partitioned table
 * built partition by partition). Its undo drops the parent index, which takes
 * the attached ones along: the undo of the children's builds, which run
 * after it, find nothing left.
 */
bool ast_is_index_attach(const PgQuery__AlterTableStmt *as);

#endif
