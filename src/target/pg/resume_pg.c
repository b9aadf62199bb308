#include "target/pg/inverse_pg.h"

#include <string.h>

#include "sql/ast.h"
#include "sql/parse.h"
#include "sql/quote.h"

/*
 * A step outside a transaction commits by itself, so a run killed right
 * after it (before the history recorded it), or in the middle of it, left it
 * done or half done. The recorded steps of such kinds are made safe to run
 * again here rather than in their text: an index already built and valid is
 * not built twice, the invalid one a cut-off build leaves is dropped first,
 * an index already dropped is not dropped again.
 */
static int resume_query(struct driver *d, struct arena *a, const char *sql, const char *param,
			const char **ret, struct mg_error *err)
{
	struct driver_rows rows;
	const char *params[] = {param};
	*ret = NULL;
	if (d->ops->query(d, a, sql, 1, params, &rows, err) < 0)
		return -1;
	*ret = driver_rows_get(&rows, 0, 0);
	return 0;
}

int resume_pg_step(struct driver *d, struct arena *a, const struct step *s, bool *ret_skip,
		   struct mg_error *err)
{
	*ret_skip = false;
	struct sql_section sec;
	struct mg_error perr = MG_ERROR_INIT;
	if (sql_parse_string(a, s->sql, &sec, &perr) < 0 || sec.n_stmts != 1)
		return 0;
	const PgQuery__Node *n = sec.stmts[0].node;
	if (n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT) {
		const PgQuery__IndexStmt *is = n->index_stmt;
		if (!is->concurrent || !is->idxname || !*is->idxname)
			return 0;
		const char *schema = is->relation ? is->relation->schemaname : NULL;
		const char *qi = schema && *schema ? arena_printf(a, "%s.%s", sql_ident(a, schema),
								  sql_ident(a, is->idxname))
						   : sql_ident(a, is->idxname);
		const char *valid;
		if (resume_query(d, a,
				 "SELECT indisvalid::text FROM pg_index WHERE indexrelid = "
				 "to_regclass($1)",
				 qi, &valid, err) < 0)
			return -1;
		if (!valid)
			return 0;
		if (strcmp(valid, "true") == 0) {
			*ret_skip = true;
			return 0;
		}
		struct step drop = {.sql =
					arena_printf(a, "DROP INDEX CONCURRENTLY IF EXISTS %s", qi),
				    .flags = STEP_NO_TRANSACTION};
		return d->ops->exec(d, &drop, err);
	}
	if (n->node_case == PG_QUERY__NODE__NODE_DROP_STMT) {
		const PgQuery__DropStmt *ds = n->drop_stmt;
		if (ds->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX || ds->missing_ok ||
		    ds->n_objects != 1)
			return 0;
		const char *schema, *name;
		ast_object_name(ds->objects[0], &schema, &name);
		if (!name)
			return 0;
		const char *qname =
		    schema ? arena_printf(a, "%s.%s", sql_ident(a, schema), sql_ident(a, name))
			   : sql_ident(a, name);
		const char *there;
		if (resume_query(d, a, "SELECT to_regclass($1)::text", qname, &there, err) < 0)
			return -1;
		*ret_skip = there == NULL;
	}
	return 0;
}
