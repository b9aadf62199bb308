#include "lint/pg_release.h"
#include "lint/rules.h"
#include "sql/ast.h"

/*
 * Index builds and drops without CONCURRENTLY. A plain CREATE INDEX holds a
 * SHARE lock (no writes) for the whole build; a plain DROP INDEX or REINDEX
 * takes locks that queue every query behind them. An index or table created
 * earlier in the same migration is used by no running app version, so
 * locking it costs nothing.
 */

/* True when the index, or the table it belongs to, was created by this migration. */
static bool index_is_new(const struct lint_ctx *ctx, const char *schema, const char *name)
{
	const struct catalog_index *ix = catalog_index_find(ctx->catalog, schema, name);
	if (!ix)
		return false;
	if (ix->created_in == ctx->migration->order)
		return true;
	const struct catalog_table *t = catalog_table_find(ctx->catalog, ix->schema, ix->table);
	return t && t->created_in == ctx->migration->order;
}

/* The table of a known index, for messages; NULL when the catalogue has not seen it. */
static const char *index_table(const struct lint_ctx *ctx, const char *schema, const char *name)
{
	const struct catalog_index *ix = catalog_index_find(ctx->catalog, schema, name);
	return ix ? ix->table : NULL;
}

static const char *qualified(struct lint_ctx *ctx, const char *schema, const char *name)
{
	if (schema && *schema)
		return arena_printf(ctx->arena, "%s.%s", schema, name);
	return name;
}

void check_create_index_concurrently(struct lint_ctx *ctx, const struct lint_rule *rule,
				     const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_INDEX_STMT)
		return;
	const PgQuery__IndexStmt *is = stmt->index_stmt;
	if (is->concurrent || !is->relation || lint_table_is_new(ctx, is->relation))
		return;
	/* a materialized view created by this migration: no running query reads it */
	const struct catalog_object *v = catalog_object_find(
	    ctx->catalog, CATALOG_OBJECT_VIEW, is->relation->schemaname, is->relation->relname);
	if (v && v->created_in == ctx->migration->order)
		return;
	const char *table = lint_rangevar_name(ctx, is->relation);
	if (is->idxname && *is->idxname)
		lint_report(ctx, rule, is->relation->location,
			    "building index '%s' on '%s' without CONCURRENTLY blocks writes to "
			    "'%s' until the build ends",
			    is->idxname, table, table);
	else
		lint_report(ctx, rule, is->relation->location,
			    "building an index on '%s' without CONCURRENTLY blocks writes to '%s' "
			    "until the build ends",
			    table, table);
}

void check_drop_index_concurrently(struct lint_ctx *ctx, const struct lint_rule *rule,
				   const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_DROP_STMT)
		return;
	const PgQuery__DropStmt *ds = stmt->drop_stmt;
	if (ds->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX || ds->concurrent)
		return;
	/* in expand, drop-index reports the same statement, and its help says CONCURRENTLY */
	const struct lint_rule *drop_index = lint_rule_find("drop-index");
	if (lint_section(ctx) == SECTION_EXPAND && drop_index &&
	    ctx->opts->severity[drop_index - lint_rules] != LINT_OFF)
		return;
	for (size_t i = 0; i < ds->n_objects; i++) {
		const char *schema, *name;
		ast_object_name(ds->objects[i], &schema, &name);
		if (!name || index_is_new(ctx, schema, name))
			continue;
		const char *table = index_table(ctx, schema, name);
		if (table)
			lint_report(ctx, rule, -1,
				    "dropping index '%s' without CONCURRENTLY takes an ACCESS "
				    "EXCLUSIVE lock on '%s' and stalls its queries",
				    qualified(ctx, schema, name), table);
		else
			lint_report(ctx, rule, -1,
				    "dropping index '%s' without CONCURRENTLY takes an ACCESS "
				    "EXCLUSIVE lock on its table and stalls its queries",
				    qualified(ctx, schema, name));
	}
}

void check_reindex_concurrently(struct lint_ctx *ctx, const struct lint_rule *rule,
				const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_REINDEX_STMT)
		return;
	const PgQuery__ReindexStmt *rs = stmt->reindex_stmt;
	const PgQuery__RangeVar *rv = rs->relation;
	if (ast_option_enabled(rs->params, rs->n_params, "concurrently")) {
		/* older servers refuse the option: the statement fails, or is rewritten as a
		 * plain REINDEX that blocks */
		if (!pg_release_has(ctx->opts->pg_version, PG_FEATURE_REINDEX_CONCURRENTLY))
			lint_report(ctx, rule, rv ? rv->location : -1,
				    "REINDEX CONCURRENTLY needs PostgreSQL %d; on the target, "
				    "PostgreSQL %d, it fails, and a plain REINDEX blocks writes",
				    pg_release_since(PG_FEATURE_REINDEX_CONCURRENTLY),
				    ctx->opts->pg_version);
		return;
	}
	switch (rs->kind) {
	case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX:
		if (!rv || !rv->relname || index_is_new(ctx, rv->schemaname, rv->relname))
			return;
		lint_report(ctx, rule, rv->location,
			    "reindexing index '%s' without CONCURRENTLY blocks writes to its table "
			    "and the queries that use the index",
			    lint_rangevar_name(ctx, rv));
		break;
	case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE:
		if (!rv || lint_table_is_new(ctx, rv))
			return;
		lint_report(
		    ctx, rule, rv->location,
		    "reindexing table '%s' without CONCURRENTLY blocks writes to it and the "
		    "queries that use its indexes",
		    lint_rangevar_name(ctx, rv));
		break;
	case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA:
		lint_report(ctx, rule, -1,
			    "reindexing schema '%s' without CONCURRENTLY blocks writes to every "
			    "table in it",
			    rs->name && *rs->name ? rs->name : "?");
		break;
	case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM:
		/* PostgreSQL rejects CONCURRENTLY for the system catalogs */
		lint_report_help(
		    ctx, rule,
		    "run REINDEX SYSTEM by hand in a maintenance window, outside "
		    "migrations (the system catalogs cannot be reindexed concurrently)",
		    -1,
		    "reindexing the system catalogs locks them and stalls every query "
		    "until it ends");
		break;
	default:
		lint_report(ctx, rule, -1,
			    "reindexing the database without CONCURRENTLY blocks writes to every "
			    "table");
		break;
	}
}
