#include "target/pg/inverse_pg.h"

#include <string.h>

#include "sql/ast.h"
#include "sql/parse.h"
#include "sql/quote.h"

/*
 * Before anything runs: what the PostgreSQL target refuses to apply.
 *
 * A DROP TABLE in expand or contract moves the table into the trash so that
 * revert can bring it back. A foreign key of another table that references
 * it would follow it there (PostgreSQL itself refuses the plain DROP): the
 * key would then point into the trash, and purge could not empty it. Such a
 * drop is refused unless the same migration drops the key, or the
 * referencing table, before it (or in the same DROP TABLE).
 */

static bool name_is(const char *schema, const char *name, const char *want_schema, const char *want)
{
	return name && strcmp(name, want) == 0 && (!schema || strcmp(schema, want_schema) == 0);
}

/* Whether stmt drops the key conname of table nsp.rel, or the table itself. */
static bool drops_key(const PgQuery__Node *stmt, const char *nsp, const char *rel,
		      const char *conname)
{
	if (stmt->node_case == PG_QUERY__NODE__NODE_DROP_STMT) {
		const PgQuery__DropStmt *ds = stmt->drop_stmt;
		if (ds->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
			return false;
		for (size_t i = 0; i < ds->n_objects; i++) {
			const char *schema, *name;
			ast_object_name(ds->objects[i], &schema, &name);
			if (name_is(schema, name, nsp, rel))
				return true;
		}
		return false;
	}
	if (stmt->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return false;
	const PgQuery__AlterTableStmt *as = stmt->alter_table_stmt;
	if (!as->relation || !name_is(as->relation->schemaname && *as->relation->schemaname
					  ? as->relation->schemaname
					  : NULL,
				      as->relation->relname, nsp, rel))
		return false;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		if (cmd && cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint &&
		    cmd->name && strcmp(cmd->name, conname) == 0)
			return true;
	}
	return false;
}

int refuse_pg_check(struct driver *d, struct arena *a, const struct sql_stmt *st,
		    struct mg_error *err)
{
	const PgQuery__Node *n = st->node;
	if (n->node_case != PG_QUERY__NODE__NODE_DROP_STMT ||
	    n->drop_stmt->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
	    (st->section != SECTION_EXPAND && st->section != SECTION_CONTRACT))
		return 0;
	const PgQuery__DropStmt *ds = n->drop_stmt;
	struct sql_section sec = {0};
	bool parsed = false;
	for (size_t i = 0; i < ds->n_objects; i++) {
		const char *schema, *name;
		ast_object_name(ds->objects[i], &schema, &name);
		if (!name)
			continue;
		const char *rel =
		    schema ? arena_printf(a, "%s.%s", sql_ident(a, schema), sql_ident(a, name))
			   : sql_ident(a, name);
		const char *params[] = {rel};
		struct driver_rows keys;
		if (d->ops->query(
			d, a,
			"SELECT k.conname, n.nspname, r.relname, k.conrelid::regclass::text, "
			"k.confrelid::regclass::text, quote_ident(k.conname) FROM pg_constraint k "
			"JOIN pg_class r ON r.oid = k.conrelid "
			"JOIN pg_namespace n ON n.oid = r.relnamespace "
			"WHERE k.contype = 'f' AND k.confrelid = to_regclass($1) "
			"AND k.conrelid <> k.confrelid ORDER BY 1",
			1, params, &keys, err) < 0)
			return -1;
		for (size_t r = 0; r < keys.n_rows; r++) {
			const char *conname = driver_rows_get(&keys, r, 0);
			const char *nsp = driver_rows_get(&keys, r, 1);
			const char *relname = driver_rows_get(&keys, r, 2);
			bool dropped = drops_key(n, nsp, relname, conname);
			if (!dropped && !parsed) {
				if (sql_parse_section(a, st->migration, st->section, &sec, err) < 0)
					return -1;
				parsed = true;
			}
			for (size_t k = 0; !dropped && k < sec.n_stmts; k++)
				if (sec.stmts[k].offset < st->offset)
					dropped =
					    drops_key(sec.stmts[k].node, nsp, relname, conname);
			if (dropped)
				continue;
			mg_error_set_at(err, 2, st->migration->path, st->line, st->column,
					"table '%s' is referenced by foreign key '%s' of '%s': "
					"nothing was applied",
					driver_rows_get(&keys, r, 4), conname,
					driver_rows_get(&keys, r, 3));
			mg_error_set_help(
			    err,
			    "drop the key first, in the same migration: ALTER TABLE %s DROP "
			    "CONSTRAINT %s (the table is kept in the trash for revert, and a "
			    "key may not point there)",
			    driver_rows_get(&keys, r, 3), driver_rows_get(&keys, r, 5));
			return -1;
		}
	}
	return 0;
}
