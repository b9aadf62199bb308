/*
 * The planner's renames and type changes of a column (DESIGN.md, Planner):
 * a new column beside the old one (the new name, or a shadow of the new
 * type), a sync trigger and a keyset backfill in expand; everything the old
 * column had made again on the new one; and contract's drop of the old
 * column, its values kept in migrate_trash, with a write log of what the app
 * writes while they are copied. What cannot be carried over is refused.
 */
#include <stdio.h>
#include <string.h>

#include "lint/catalog.h"
#include "target/pg/inverse_pg.h"
#include "target/pg/planner_internal.h"
#include "sql/ast.h"

/*
 * An identity or generated column cannot be copied to a plain one that the
 * sync trigger writes: after contract, inserts would get no value.
 */
static int refuse_if_generated(struct plan_ctx *p, const struct column_state *cs, const char *table,
			       const char *col, const char *what)
{
	if (!cs->identity_or_generated)
		return 0;
	mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
			"column '%s.%s' is an identity or generated column: %s is not planned",
			table, col, what);
	mg_error_set_help(p->err, "write the change under '-- migrate:contract' to run it as "
				  "written (it locks the table while it runs)");
	return -1;
}

/* The views that read col of rel: name, relkind, definition. */
static int views_reading(struct plan_ctx *p, const char *rel, const char *col,
			 struct driver_rows *ret)
{
	const char *params[] = {rel, col};
	return p->d->ops->query(
	    p->d, p->a,
	    "SELECT DISTINCT v.oid::regclass::text, v.relkind::text, pg_get_viewdef(v.oid) "
	    "FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = "
	    "r.ev_class JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = "
	    "d.refobjsubid WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = "
	    "'pg_class'::regclass AND d.refobjid = to_regclass($1) AND a.attname = $2 AND "
	    "v.oid <> d.refobjid ORDER BY 1",
	    2, params, ret, p->err);
}

/*
 * A view that reads col holds its type: PostgreSQL refuses to change it, and
 * contract's drop of the old column would fail. Refused up front.
 */
static int refuse_if_viewed(struct plan_ctx *p, const char *rel, const char *table, const char *col,
			    const char *what)
{
	struct driver_rows views;
	if (views_reading(p, rel, col, &views) < 0)
		return -1;
	if (!views.n_rows)
		return 0;
	mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
			"column '%s.%s' is read by %s: %s is not planned (PostgreSQL keeps the "
			"type of a column a view reads)",
			table, col, driver_rows_get(&views, 0, 0), what);
	mg_error_set_help(p->err, "drop the view in an earlier migration's contract and create it "
				  "again after this one, or write the change under "
				  "'-- migrate:contract' to run it as written");
	return -1;
}

/*
 * Other objects that hold col (a generated column's expression, a trigger's
 * column list, a policy, a function body, ...) would keep contract from
 * dropping the old column: refused up front, naming them. Indexes,
 * constraints, views, the column's own default (an automatic dependency) and
 * a serial's sequence are carried over or moved by the planner itself.
 */
static int refuse_if_held(struct plan_ctx *p, const char *rel, const char *table, const char *col,
			  const char *what)
{
	const char *held;
	const char *params[] = {rel, col};
	if (plan_q1(p, &held,
		    "SELECT string_agg(pg_describe_object(d.classid, d.objid, d.objsubid), ', ' "
		    "ORDER BY 1) FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid "
		    "AND a.attnum = d.refobjsubid WHERE d.refclassid = 'pg_class'::regclass AND "
		    "d.refobjid = to_regclass($1) AND a.attname = $2 AND d.deptype = 'n' AND "
		    "d.classid NOT IN ('pg_class'::regclass, 'pg_constraint'::regclass, "
		    "'pg_rewrite'::regclass)",
		    2, params) < 0)
		return -1;
	if (!held)
		return 0;
	mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
			"column '%s.%s' is used by %s: %s is not planned (contract could not "
			"drop the old column)",
			table, col, held, what);
	mg_error_set_help(p->err, "move those off the column first, or write the change under "
				  "'-- migrate:contract' to run it as written");
	return -1;
}

/*
 * A key on col that the planner cannot move: an exclusion constraint, or a
 * primary key unless it is col's alone and sole_primary_key_ok (a type
 * change). Contract's drop of the old column would take it along, and the
 * backfill's batches and the trash go by the primary key: refused, with what
 * to do instead.
 */
static int refuse_if_key(struct plan_ctx *p, const char *rel, const char *table, const char *col,
			 const char *what, bool sole_primary_key_ok)
{
	struct driver_rows rows;
	const char *params[] = {rel, col, sole_primary_key_ok ? "t" : "f"};
	if (p->d->ops->query(p->d, p->a,
			     "SELECT k.conname, k.contype::text FROM pg_constraint k "
			     "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attname = $2 "
			     "WHERE k.conrelid = to_regclass($1) AND k.contype IN ('p', 'x') "
			     "AND a.attnum = ANY (k.conkey) AND NOT ($3::bool AND k.contype = 'p' "
			     "AND cardinality(k.conkey) = 1) ORDER BY k.contype, k.conname",
			     3, params, &rows, p->err) < 0)
		return -1;
	if (!rows.n_rows)
		return 0;
	bool pk = strcmp(driver_rows_get(&rows, 0, 1), "p") == 0;
	mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
			"column '%s.%s' is part of %s '%s': %s is not planned", table, col,
			pk ? "the primary key" : "the exclusion constraint",
			driver_rows_get(&rows, 0, 0), what);
	mg_error_set_help(
	    p->err, "%s",
	    pk ? "the planner changes the type of a primary key of one column; a key of several "
		 "columns or a renamed key column would move under a lock on every table that "
		 "references it: write the change under '-- migrate:contract' to run it as "
		 "written (it locks the table while it runs), or add a new column beside the key "
		 "and move the app over to it"
	       : "drop the exclusion constraint in an earlier migration's contract and add it "
		 "again on the new column afterwards, or write the change under "
		 "'-- migrate:contract' to run it as written");
	return -1;
}

/*
 * Indexes on col, rebuilt concurrently on new_col; renames_after_swap gets
 * what gives them their old names back (a UNIQUE constraint's index becomes
 * the constraint again).
 */
static int plan_copy_indexes(struct plan_ctx *p, const char *rel, const char *col,
			     const char *new_col, struct unit_list *renames_after_swap)
{
	struct driver_rows rows;
	const char *params[] = {rel, col};
	if (p->d->ops->query(
		p->d, p->a,
		"SELECT c.relname, pg_get_indexdef(i.indexrelid), k.conname, "
		"k.condeferrable::text, k.condeferred::text, k.contype::text FROM pg_index i "
		"JOIN pg_class c ON c.oid = i.indexrelid "
		"JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = $2 "
		"LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid "
		"AND k.conrelid = i.indrelid AND k.contype IN ('u', 'p') "
		"WHERE i.indrelid = to_regclass($1) AND (a.attnum = ANY (i.indkey) "
		"OR pg_get_expr(i.indexprs, i.indrelid) ~ ('\\m' || a.attname || '\\M') "
		"OR pg_get_expr(i.indpred, i.indrelid) ~ ('\\m' || a.attname || '\\M')) "
		"AND NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = "
		"i.indexrelid AND x.contype = 'x')",
		2, params, &rows, p->err) < 0)
		return -1;
	for (size_t r = 0; r < rows.n_rows; r++) {
		const char *old_name = driver_rows_get(&rows, r, 0);
		struct sql_section sec;
		struct mg_error perr = MG_ERROR_INIT;
		if (sql_parse_string(p->a, driver_rows_get(&rows, r, 1), &sec, &perr) < 0 ||
		    sec.n_stmts != 1 ||
		    sec.stmts[0].node->node_case != PG_QUERY__NODE__NODE_INDEX_STMT)
			continue;
		PgQuery__IndexStmt *is = sec.stmts[0].node->index_stmt;
		/* key columns, expressions and a partial index's WHERE alike */
		ast_rename_column_refs((PgQuery__Node *)sec.stmts[0].node, col, new_col);
		const char *tmp = names_make(p->a, "%s_v%lld", old_name, (long long)p->m->version);
		is->idxname = (char *)tmp;
		is->concurrent = 1;
		const char *sql = sql_deparse_node(p->a, sec.stmts[0].node);
		if (!sql || plan_add(p, p->expand, UNIT_ALONE, "%s", sql) < 0)
			return -1;
		if (!renames_after_swap)
			continue;
		/* a UNIQUE constraint or the primary key comes back as one (ON CONFLICT
		 * ON CONSTRAINT and foreign keys name it), on the index made concurrently */
		const char *conname = driver_rows_get(&rows, r, 2);
		if (conname) {
			bool deferrable = strcmp(driver_rows_get(&rows, r, 3), "true") == 0;
			bool deferred = strcmp(driver_rows_get(&rows, r, 4), "true") == 0;
			bool primary = strcmp(driver_rows_get(&rows, r, 5), "p") == 0;
			if (plan_add(p, renames_after_swap, 0,
				     "ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s%s%s", rel,
				     sql_ident(p->a, conname), primary ? "PRIMARY KEY" : "UNIQUE",
				     sql_ident(p->a, tmp), deferrable ? " DEFERRABLE" : "",
				     deferred ? " INITIALLY DEFERRED" : "") < 0)
				return -1;
		} else if (plan_add(p, renames_after_swap, 0, "ALTER INDEX %s RENAME TO %s",
				    sql_ident(p->a, tmp), sql_ident(p->a, old_name)) < 0) {
			return -1;
		}
	}
	return 0;
}

void plan_rename_in_names(PgQuery__Node **names, size_t n, const char *from, const char *to)
{
	for (size_t i = 0; i < n; i++)
		if (names[i]->node_case == PG_QUERY__NODE__NODE_STRING && names[i]->string->sval &&
		    strcmp(names[i]->string->sval, from) == 0)
			names[i]->string->sval = (char *)to;
}

/*
 * The constraints that would go with col when contract drops it: its CHECKs,
 * its foreign keys and those of other tables that reference it. Each is made
 * again on new_col, NOT VALID and then validated (unless it was not valid
 * before), and renamed to the old name at contract. A reference from another
 * table holds the old column's unique index: drops_before gets its removal,
 * which contract runs in a transaction of its own before the column goes (the
 * copy on new_col keeps the rows in check meanwhile).
 */
static int plan_copy_constraints(struct plan_ctx *p, const char *rel, const char *col,
				 const char *new_col, struct unit_list *drops_before,
				 struct unit_list *renames_after)
{
	struct driver_rows rows;
	const char *params[] = {rel, col};
	if (p->d->ops->query(
		p->d, p->a,
		"SELECT k.conname, pg_get_constraintdef(k.oid), k.convalidated::text, "
		"k.conrelid::regclass::text, (k.conrelid = a.attrelid AND a.attnum = "
		"ANY (k.conkey))::text, (k.confrelid = a.attrelid AND a.attnum = ANY "
		"(k.confkey))::text FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = "
		"to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped "
		"WHERE (k.conrelid = a.attrelid AND a.attnum = ANY (k.conkey) AND ((k.contype "
		"= 'c' AND NOT (k.conname ~ '_not_null(_v[0-9]+)?$' OR (k.conname ~ "
		"'_[0-9a-f]{8}$' AND pg_get_constraintdef(k.oid) = format('CHECK ((%s IS NOT "
		"NULL))', quote_ident(a.attname))))) OR k.contype = 'f')) "
		"OR (k.contype = 'f' AND k.confrelid = a.attrelid AND a.attnum = ANY "
		"(k.confkey)) ORDER BY k.oid",
		2, params, &rows, p->err) < 0)
		return -1;
	for (size_t r = 0; r < rows.n_rows; r++) {
		const char *name = driver_rows_get(&rows, r, 0);
		bool validated = strcmp(driver_rows_get(&rows, r, 2), "true") == 0;
		const char *owner = driver_rows_get(&rows, r, 3);
		bool own = strcmp(driver_rows_get(&rows, r, 4), "true") == 0;
		bool referenced = strcmp(driver_rows_get(&rows, r, 5), "true") == 0;
		const char *tmp = names_make(p->a, "%s_v%lld", name, (long long)p->m->version);
		struct sql_section sec;
		struct mg_error perr = MG_ERROR_INIT;
		const char *sql = arena_printf(p->a, "ALTER TABLE %s ADD CONSTRAINT %s %s", owner,
					       sql_ident(p->a, tmp), driver_rows_get(&rows, r, 1));
		PgQuery__Node *n = NULL;
		const PgQuery__AlterTableCmd *cmd = NULL;
		PgQuery__Constraint *k = NULL;
		if (sql_parse_string(p->a, sql, &sec, &perr) == 0 && sec.n_stmts == 1) {
			n = (PgQuery__Node *)sec.stmts[0].node;
			cmd = plan_single_cmd(n);
			k = cmd ? (PgQuery__Constraint *)ast_constraint(cmd->def) : NULL;
		}
		if (!k) {
			mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
					"cannot carry constraint '%s' over to column '%s': %s",
					name, new_col, sql);
			return -1;
		}
		if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
			if (own)
				plan_rename_in_names(k->fk_attrs, k->n_fk_attrs, col, new_col);
			if (referenced)
				plan_rename_in_names(k->pk_attrs, k->n_pk_attrs, col, new_col);
		} else {
			ast_rename_column_refs(n, col, new_col);
		}
		k->skip_validation = 1;
		k->initially_valid = 0;
		const char *copy = sql_deparse_node(p->a, n);
		if (!copy || plan_add(p, p->expand, 0, "%s", copy) < 0 ||
		    (validated && plan_add(p, p->expand, UNIT_OWN_TRANSACTION,
					   "ALTER TABLE %s VALIDATE CONSTRAINT %s", owner,
					   sql_ident(p->a, tmp)) < 0) ||
		    (!own && plan_add(p, drops_before, 0, "ALTER TABLE %s DROP CONSTRAINT %s",
				      owner, sql_ident(p->a, name)) < 0) ||
		    plan_add(p, renames_after, 0, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s",
			     owner, sql_ident(p->a, tmp), sql_ident(p->a, name)) < 0)
			return -1;
	}
	return 0;
}

/*
 * Contract's first transaction: the references of other tables to the old
 * column go (their copies on the new one are validated by then), a serial's
 * sequence passes to the new column (drops holds both), and the
 * trash's write log starts (pg_trash_log_name): a trigger keeps, by primary
 * key, every value of col written from then on, so the rows the app writes
 * while the next transaction copies col to the trash, before its lock, are
 * not restored with stale values by a revert. after_drop gets what ends the
 * log once the column is gone.
 */
static int add_contract_prelude(struct plan_ctx *p, const PgQuery__RangeVar *rv, const char *rel,
				const char *col, const char *new_col, const char *restore,
				const struct unit_list *drops, struct unit_list *after_drop)
{
	size_t first = p->contract->n;
	if (plan_add_all(p, p->contract, drops) < 0)
		return -1;
	struct driver_rows pk;
	if (pg_primary_key_columns(p->d, p->a, rel, &pk, p->err) < 0)
		return -1;
	/* without a primary key there is no trash to log for (contract says so);
	 * the key's own values stay in its new column, the trash keyed by it */
	bool in_key = false;
	for (size_t i = 0; i < pk.n_rows; i++)
		in_key |= strcmp(driver_rows_get(&pk, i, 0), col) == 0;
	if (pk.n_rows && !in_key) {
		const char *keys = "", *values = "";
		for (size_t i = 0; i < pk.n_rows; i++) {
			const char *k = sql_ident(p->a, driver_rows_get(&pk, i, 0));
			keys = arena_printf(p->a, "%s%s%s", keys, i ? ", " : "", k);
			values = arena_printf(p->a, "%s%sNEW.%s", values, i ? ", " : "", k);
		}
		const char *qc = sql_ident(p->a, col);
		/* one schema for the logs of every table: apart by the column's whole name */
		const char *lname =
		    names_make_apart(p->a, arena_printf(p->a, "%s.%s", rel, qc), "w%lld_%s_%s",
				     (long long)p->m->version, rv->relname, col);
		/*
		 * A USING has no cast back to tell a row the app changed since by: the
		 * log keeps the new column's value beside the old one (so does the
		 * trash's copy, inverse_pg.c), and a revert restores the old value
		 * only where the new column still holds it.
		 */
		const char *qn = sql_ident(p->a, new_col);
		bool with_new = strcmp(restore, "trash") == 0;
		const char *log_cols = with_new ? arena_printf(p->a, "%s, %s", qc, qn) : qc;
		const char *log_values = with_new ? arena_printf(p->a, "NEW.%s, NEW.%s", qc, qn)
						  : arena_printf(p->a, "NEW.%s", qc);
		const char *log_set =
		    with_new
			? arena_printf(p->a, "%s = EXCLUDED.%s, %s = EXCLUDED.%s", qc, qc, qn, qn)
			: arena_printf(p->a, "%s = EXCLUDED.%s", qc, qc);
		const char *log = arena_printf(p->a, PG_TRASH_SCHEMA ".%s", sql_ident(p->a, lname));
		const char *trig = sql_ident(
		    p->a, names_make(p->a, "migrate_log_v%lld_%s", (long long)p->m->version, col));
		if (plan_add(p, p->contract, UNIT_TRASH_LOG,
			     "CREATE SCHEMA IF NOT EXISTS " PG_TRASH_SCHEMA) < 0 ||
		    plan_add(p, p->contract, UNIT_TRASH_LOG,
			     "CREATE TABLE %s AS SELECT %s, %s FROM %s WITH NO DATA", log, keys,
			     log_cols, rel) < 0 ||
		    plan_add(p, p->contract, UNIT_TRASH_LOG, "ALTER TABLE %s ADD PRIMARY KEY (%s)",
			     log, keys) < 0 ||
		    /* where a revert finds the value of a row the log never saw */
		    plan_add(p, p->contract, UNIT_TRASH_LOG, "COMMENT ON TABLE %s IS %s", log,
			     sql_literal(p->a, new_col)) < 0 ||
		    /* how a revert gives col its values back (inverse_pg.c, restore_batched):
		     * copy (a rename), cast (back from the new type), trash (USING) */
		    plan_add(p, p->contract, UNIT_TRASH_LOG, "COMMENT ON COLUMN %s.%s IS %s", log,
			     qc, sql_literal(p->a, restore)) < 0 ||
		    /* the app's role writes the table, not the trash: SECURITY DEFINER */
		    plan_add(
			p, p->contract, UNIT_TRASH_LOG,
			"CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
			"SET search_path = pg_catalog, pg_temp AS $migrate$\n"
			"BEGIN\n"
			"  /* the last value of %s written before contract drops it */\n"
			"  INSERT INTO %s (%s, %s) VALUES (%s, %s)\n"
			"    ON CONFLICT (%s) DO UPDATE SET %s;\n"
			"  RETURN NULL;\n"
			"END\n"
			"$migrate$",
			log, col, log, keys, log_cols, values, log_values, keys, log_set) < 0 ||
		    /* where the contract's undo finds the log (inverse_pg.c, trash_column) */
		    plan_add(p, p->contract, UNIT_TRASH_LOG, "%s",
			     names_pg_record(p->a, log, NAMES_KIND_LOG, col, lname,
					     p->m->version)) < 0 ||
		    plan_add(
			p, p->contract, UNIT_TRASH_LOG,
			/* a revert's restore batches are no app writes to log */
			"CREATE TRIGGER %s AFTER INSERT OR UPDATE ON %s FOR EACH ROW "
			"WHEN (current_setting('migrate.backfill', true) IS DISTINCT FROM 'on') "
			"EXECUTE FUNCTION %s()",
			trig, rel, log) < 0 ||
		    plan_add(p, after_drop, UNIT_TRASH_LOG, "DROP TRIGGER %s ON %s", trig, rel) <
			0 ||
		    plan_add(p, after_drop, UNIT_TRASH_LOG, "DROP FUNCTION %s()", log) < 0)
			return -1;
	}
	if (p->contract->n > first)
		p->contract->items[p->contract->n - 1].flags |= UNIT_ENDS_TRANSACTION;
	return 0;
}

/*
 * The backfill's own UPDATE writes what the sync trigger would (b = a, the
 * shadow from the column): the batch says so in a setting of its transaction
 * and the trigger is not called at all, about a quarter of a batch's time.
 * Keep in step with backfill.c.
 */
#define BACKFILL_SKIPS_TRIGGER                                                                     \
	"WHEN (current_setting('migrate.backfill', true) IS DISTINCT FROM 'on') "

static const char *sync_function_name(struct plan_ctx *p, const PgQuery__RangeVar *rv,
				      const char *col)
{
	/* one schema for the functions of every table: apart by the column's whole name */
	const char *name = names_make_apart(
	    p->a, arena_printf(p->a, "%s.%s", sql_rangevar(p->a, rv), sql_ident(p->a, col)),
	    "migrate_sync_v%lld_%s_%s", (long long)p->m->version, rv->relname, col);
	if (rv->schemaname && *rv->schemaname)
		return arena_printf(p->a, "%s.%s", sql_ident(p->a, rv->schemaname),
				    sql_ident(p->a, name));
	return sql_ident(p->a, name);
}

/*
 * What a rename and a type change share once fn, the sync trigger's function,
 * is made: the trigger, the backfill of new_col (set_sql where where_sql), a
 * validated NOT NULL check on it (*ret_check) when not_null, the indexes and
 * constraints of old_col made again on it, and contract's first steps: the
 * prelude, then the drop of old_col (kept in the trash) and of the triggers.
 * ret_renames gets what gives the copies their old names back, which the
 * caller adds to contract after what it has to do first.
 */
static int plan_move_column(struct plan_ctx *p, const PgQuery__RangeVar *rv, const char *rel,
			    const char *old_col, const char *new_col, const char *kind,
			    const char *trig, const char *fn, const char *label,
			    const char *set_sql, const char *where_sql, bool not_null,
			    const char *restore, struct unit_list *drops, const char **ret_check,
			    struct unit_list *ret_renames)
{
	/* new_col's name, where what is planned later finds it (plan_pending_shadows) */
	if (plan_add(p, p->expand, UNIT_WITH_NEXT, "%s",
		     names_pg_record(p->a, fn, kind, old_col, new_col, p->m->version)) < 0 ||
	    plan_add(p, p->expand, 0,
		     "CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s FOR EACH "
		     "ROW " BACKFILL_SKIPS_TRIGGER "EXECUTE FUNCTION %s()",
		     trig, rel, fn) < 0 ||
	    plan_add_backfill(p, rel, label, set_sql, where_sql) < 0)
		return -1;
	*ret_check = NULL;
	if (not_null) {
		*ret_check = plan_not_null_check_name(p, rv->relname, new_col);
		if (plan_add_not_null_check(p, rel, *ret_check, new_col) < 0)
			return -1;
	}
	struct unit_list after_drop = {0};
	/* a serial's sequence would go with the old column: the new one owns it */
	const char *seq;
	const char *params[] = {rel, old_col};
	if (plan_q1(p, &seq, "SELECT pg_get_serial_sequence($1, $2)", 2, params) < 0)
		return -1;
	if (seq && plan_add(p, drops, 0, "ALTER SEQUENCE %s OWNED BY %s.%s", seq, rel,
			    sql_ident(p->a, new_col)) < 0)
		return -1;
	if (plan_copy_indexes(p, rel, old_col, new_col, ret_renames) < 0 ||
	    plan_copy_constraints(p, rel, old_col, new_col, drops, ret_renames) < 0 ||
	    add_contract_prelude(p, rv, rel, old_col, new_col, restore, drops, &after_drop) < 0)
		return -1;
	/* the drop comes first in its transaction, so its copy to the trash reads the
	 * table before any statement holds an ACCESS EXCLUSIVE lock on it */
	if (plan_add(p, p->contract, 0, "ALTER TABLE %s DROP COLUMN %s", rel,
		     sql_ident(p->a, old_col)) < 0 ||
	    plan_add_all(p, p->contract, &after_drop) < 0 ||
	    plan_add(p, p->contract, 0, "DROP TRIGGER %s ON %s", trig, rel) < 0 ||
	    plan_add(p, p->contract, 0, "DROP FUNCTION %s()", fn) < 0)
		return -1;
	return 0;
}

/*
 * The views that read col, made to read new_col instead, as the plain rename
 * would leave them (their output columns keep their names): views holds the
 * CREATE OR REPLACE VIEW of each, for contract's first transaction, before the
 * old column goes. A materialized view, or a view whose query names col
 * without its table, is refused.
 */
static int plan_view_renames(struct plan_ctx *p, const PgQuery__RangeVar *rv, const char *rel,
			     const char *col, const char *new_col, struct unit_list *views)
{
	struct driver_rows rows;
	if (views_reading(p, rel, col, &rows) < 0)
		return -1;
	for (size_t i = 0; i < rows.n_rows; i++) {
		const char *view = driver_rows_get(&rows, i, 0);
		const char *def = driver_rows_get(&rows, i, 2);
		size_t len = strlen(def);
		while (len && (def[len - 1] == ';' || def[len - 1] == ' ' || def[len - 1] == '\n'))
			len--;
		const char *sql =
		    arena_printf(p->a, "CREATE OR REPLACE VIEW %s AS %.*s", view, (int)len, def);
		struct sql_section sec;
		struct mg_error perr = MG_ERROR_INIT;
		bool ok = strcmp(driver_rows_get(&rows, i, 1), "v") == 0 &&
			  sql_parse_string(p->a, sql, &sec, &perr) == 0 && sec.n_stmts == 1 &&
			  ast_rename_view_column((PgQuery__Node *)sec.stmts[0].node, rv->relname,
						 col, new_col);
		const char *copy = ok ? sql_deparse_node(p->a, sec.stmts[0].node) : NULL;
		if (!copy) {
			mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
					"column '%s.%s' is read by %s, which the planner cannot "
					"move to '%s': renaming it is not planned",
					rv->relname, col, view, new_col);
			mg_error_set_help(p->err,
					  "move the view off the column first (CREATE OR "
					  "REPLACE VIEW in an earlier migration), or write "
					  "the rename under '-- migrate:contract' to run it "
					  "as written");
			return -1;
		}
		if (plan_add(p, views, 0, "%s", copy) < 0)
			return -1;
	}
	return 0;
}

int plan_rename_column(struct plan_ctx *p, const PgQuery__RenameStmt *rs)
{
	const PgQuery__RangeVar *rv = rs->relation;
	const char *rel = sql_rangevar(p->a, rv);
	const char *a_col = rs->subname, *b_col = rs->newname;
	const char *qa = sql_ident(p->a, a_col), *qb = sql_ident(p->a, b_col);
	struct column_state cs;
	if (plan_column_state(p, rel, a_col, &cs) < 0)
		return -1;
	if (!cs.exists)
		return plan_add(
		    p, p->expand, 0, "%s",
		    arena_strndup(p->a, p->m->text + p->st->offset, p->st->end - p->st->offset));
	if (plan_refuse_if_shadowed(
		p, rel, rv->relname, a_col, "renaming it",
		"that contract and this one would each drop the old column for a "
		"new column of their own, the shadow and the new name, and either "
		"order would lose one of them") < 0 ||
	    refuse_if_key(p, rel, rv->relname, a_col, "renaming it", false) < 0 ||
	    refuse_if_held(p, rel, rv->relname, a_col, "renaming it") < 0 ||

	    refuse_if_generated(p, &cs, rv->relname, a_col, "renaming it") < 0)
		return -1;
	struct unit_list views = {0};
	const char *a_not_null;
	if (plan_view_renames(p, rv, rel, a_col, b_col, &views) < 0 ||
	    plan_not_null_constraint(p, rel, a_col, &a_not_null) < 0)
		return -1;
	const char *fn = sync_function_name(p, rv, a_col);
	const char *trig = sql_ident(
	    p->a, names_make(p->a, "migrate_sync_v%lld_%s", (long long)p->m->version, a_col));
	const char *label = arena_printf(p->a, "%s.%s", rv->relname, b_col);

	/* both names work from the first moment: column, default and triggers in one go */
	if (plan_add(p, p->expand, UNIT_WITH_NEXT, "ALTER TABLE %s ADD COLUMN %s %s", rel, qb,
		     cs.type) < 0)
		return -1;
	if (cs.default_expr && plan_add(p, p->expand, UNIT_WITH_NEXT,
					"ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", rel, qa) < 0)
		return -1;
	const char *on_both_null =
	    cs.default_expr ? arena_printf(p->a,
					   "    IF NEW.%s IS NULL AND NEW.%s IS NULL THEN\n"
					   "      NEW.%s := %s;\n"
					   "    END IF;\n",
					   qa, qb, qa, cs.default_expr)
			    : "";
	if (plan_add(p, p->expand, UNIT_WITH_NEXT,
		     "CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $migrate$\n"
		     "BEGIN\n"
		     "  /* old app versions write %s, new ones %s: keep them equal */\n"
		     "  IF TG_OP = 'INSERT' THEN\n"
		     "%s"
		     "    IF NEW.%s IS NULL THEN\n"
		     "      NEW.%s := NEW.%s;\n"
		     "    ELSIF NEW.%s IS NULL THEN\n"
		     "      NEW.%s := NEW.%s;\n"
		     "    END IF;\n"
		     "  ELSIF NEW.%s IS DISTINCT FROM OLD.%s THEN\n"
		     "    NEW.%s := NEW.%s;\n"
		     "  ELSIF NEW.%s IS DISTINCT FROM OLD.%s THEN\n"
		     "    NEW.%s := NEW.%s;\n"
		     "  END IF;\n"
		     "  RETURN NEW;\n"
		     "END\n"
		     "$migrate$",
		     fn, a_col, b_col, on_both_null, qb, qb, qa, qa, qa, qb, qa, qa, qb, qa, qb, qb,
		     qa, qb) < 0)
		return -1;
	/* a SET NOT NULL still to contract makes the column NOT NULL: b must be too */
	const char *check = NULL;
	struct unit_list renames = {0};
	if (plan_move_column(p, rv, rel, a_col, b_col, NAMES_KIND_RENAME, trig, fn, label,
			     arena_printf(p->a, "%s = %s", qb, qa),
			     arena_printf(p->a, "%s IS DISTINCT FROM %s", qb, qa),
			     cs.not_null || cs.not_null_check, "copy", &views, &check,
			     &renames) < 0)
		return -1;
	if (plan_add_all(p, p->contract, &renames) < 0)
		return -1;
	if (cs.default_expr &&
	    plan_add(p, p->contract, 0, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", rel, qb,
		     cs.default_expr) < 0)
		return -1;
	if (check && (plan_add(p, p->contract, 0, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL",
			       rel, qb) < 0 ||
		      plan_add(p, p->contract, 0, "ALTER TABLE %s DROP CONSTRAINT %s", rel,
			       sql_ident(p->a, check)) < 0))
		return -1;
	/* PostgreSQL 18 keeps NOT NULL as a named constraint, which a plain rename
	 * leaves under a's name: SET NOT NULL named b's after b, so it takes a's */
	if (check && a_not_null &&
	    strcmp(a_not_null, names_pg_object(p->a, rv->relname, b_col, "not_null")) != 0 &&
	    plan_add(p, p->contract, 0, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", rel,
		     sql_ident(p->a, names_pg_object(p->a, rv->relname, b_col, "not_null")),
		     sql_ident(p->a, a_not_null)) < 0)
		return -1;
	return 0;
}

static bool type_change_is_safe(struct plan_ctx *p, const char *old_type,
				const PgQuery__TypeName *new_type)
{
	/* read the current type back as a TypeName: SELECT NULL::<type> */
	struct sql_section sec;
	struct mg_error perr = MG_ERROR_INIT;
	if (sql_parse_string(p->a, arena_printf(p->a, "SELECT NULL::%s", old_type), &sec, &perr) <
		0 ||
	    sec.n_stmts != 1)
		return false;
	const PgQuery__SelectStmt *sel = sec.stmts[0].node->select_stmt;
	if (!sel || sel->n_target_list != 1)
		return false;
	const PgQuery__Node *v = sel->target_list[0]->res_target->val;
	if (!v || v->node_case != PG_QUERY__NODE__NODE_TYPE_CAST)
		return false;
	struct catalog_type o, n;
	catalog_type_from_typename(p->a, v->type_cast->type_name, &o);
	catalog_type_from_typename(p->a, new_type, &n);
	return catalog_type_change_is_safe(&o, &n);
}

/* "col::type", through the deparser (the type as PostgreSQL writes it). */
static const char *cast_to(struct arena *a, const char *col, PgQuery__TypeName *type)
{
	PgQuery__String name = PG_QUERY__STRING__INIT;
	name.sval = (char *)col;
	PgQuery__Node name_node = PG_QUERY__NODE__INIT;
	name_node.node_case = PG_QUERY__NODE__NODE_STRING;
	name_node.string = &name;
	PgQuery__Node *fields[1] = {&name_node};
	PgQuery__ColumnRef ref = PG_QUERY__COLUMN_REF__INIT;
	ref.n_fields = 1;
	ref.fields = fields;
	PgQuery__Node ref_node = PG_QUERY__NODE__INIT;
	ref_node.node_case = PG_QUERY__NODE__NODE_COLUMN_REF;
	ref_node.column_ref = &ref;
	PgQuery__TypeCast cast = PG_QUERY__TYPE_CAST__INIT;
	cast.arg = &ref_node;
	cast.type_name = type;
	PgQuery__Node cast_node = PG_QUERY__NODE__INIT;
	cast_node.node_case = PG_QUERY__NODE__NODE_TYPE_CAST;
	cast_node.type_cast = &cast;
	return plan_deparse_expr(a, &cast_node);
}

int plan_alter_type(struct plan_ctx *p, const PgQuery__RangeVar *rv,
		    const PgQuery__AlterTableCmd *cmd)
{
	const char *rel = sql_rangevar(p->a, rv);
	const char *col = cmd->name;
	const PgQuery__ColumnDef *cd = plan_cmd_column_def(cmd);
	struct column_state cs;
	if (plan_column_state(p, rel, col, &cs) < 0)
		return -1;
	const char *as_written =
	    arena_strndup(p->a, p->m->text + p->st->offset, p->st->end - p->st->offset);
	if (!cs.exists || (!cd->raw_default && type_change_is_safe(p, cs.type, cd->type_name)))
		return plan_add(p, p->expand, 0, "%s", as_written); /* no rewrite: as written */
	if (plan_refuse_if_shadowed(
		p, rel, rv->relname, col, "changing its type again",
		"each contract puts its own shadow in the column's place, so the "
		"column would end with the type of whichever contract runs "
		"last") < 0 ||
	    refuse_if_key(p, rel, rv->relname, col, "changing its type", true) < 0 ||
	    refuse_if_viewed(p, rel, rv->relname, col, "changing its type") < 0 ||
	    refuse_if_held(p, rel, rv->relname, col, "changing its type") < 0 ||
	    refuse_if_generated(p, &cs, rv->relname, col, "changing its type") < 0)
		return -1;

	const char *shadow = names_make(p->a, "%s__v%lld", col, (long long)p->m->version);
	const char *qc = sql_ident(p->a, col), *qs = sql_ident(p->a, shadow);
	PgQuery__ColumnDef shadow_def = PG_QUERY__COLUMN_DEF__INIT;
	shadow_def.colname = (char *)shadow;
	shadow_def.type_name = cd->type_name;
	shadow_def.is_local = 1;
	PgQuery__Node def_node = PG_QUERY__NODE__INIT;
	def_node.node_case = PG_QUERY__NODE__NODE_COLUMN_DEF;
	def_node.column_def = &shadow_def;
	PgQuery__AlterTableCmd add_cmd = PG_QUERY__ALTER_TABLE_CMD__INIT;
	add_cmd.subtype = PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn;
	add_cmd.def = &def_node;
	const char *add_sql = plan_deparse_alter(p->a, rv, &add_cmd);
	/* the USING expression reads the row's columns by name */
	const char *using_sql = cd->raw_default ? plan_deparse_expr(p->a, cd->raw_default) : NULL;
	if (!add_sql || (cd->raw_default && !using_sql)) {
		mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
				"cannot plan this type change");
		return -1;
	}
	/* without USING, the old value cast to the new type: a comparison across
	 * types (bigint[] with integer[]) may have no operator */
	const char *new_value =
	    using_sql ? arena_printf(p->a, "(%s)", using_sql) : cast_to(p->a, col, cd->type_name);
	if (!new_value) {
		mg_error_set_at(p->err, 2, p->m->path, p->st->line, p->st->column,
				"cannot plan this type change");
		return -1;
	}
	const char *in_trigger =
	    using_sql ? arena_printf(p->a, "(SELECT %s FROM (SELECT (NEW).*) AS mg_row)", using_sql)
		      : arena_printf(p->a, "NEW.%s", qc);
	/*
	 * A plain cast reads col alone: an UPDATE that leaves col as it was leaves the
	 * shadow too. Which keeps a revert of contract safe: while col is back but
	 * not restored yet (NULL), the app's writes of other columns must not cast
	 * that NULL over the shadow, the newest value of the row.
	 */
	const char *in_trigger_when =
	    using_sql ? ""
		      : arena_printf(p->a,
				     "  IF TG_OP = 'INSERT' OR NEW.%s IS DISTINCT FROM OLD.%s OR "
				     "NEW.%s IS NULL THEN\n",
				     qc, qc, qs);
	const char *fn = sync_function_name(p, rv, col);
	const char *trig = sql_ident(
	    p->a, names_make(p->a, "migrate_sync_v%lld_%s", (long long)p->m->version, col));
	if (plan_add(p, p->expand, UNIT_WITH_NEXT, "%s", add_sql) < 0)
		return -1;
	/* the default moves to the shadow now: one the new type cannot take fails
	 * here, as the plain ALTER TYPE would, not in the middle of contract. A
	 * sequence's waits for contract: the trigger overwrites the shadow's value,
	 * and every insert would take two numbers from the sequence. */
	bool sequence_default = cs.default_expr && strstr(cs.default_expr, "nextval(");
	if (cs.default_expr && !sequence_default &&
	    plan_add(p, p->expand, UNIT_WITH_NEXT, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s",
		     rel, qs, cs.default_expr) < 0)
		return -1;
	if (plan_add(p, p->expand, UNIT_WITH_NEXT,
		     "CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $migrate$\n"
		     "BEGIN\n"
		     "  /* every write of %s also writes its new-type shadow */\n"
		     "%s"
		     "  NEW.%s := %s;\n"
		     "%s"
		     "  RETURN NEW;\n"
		     "END\n"
		     "$migrate$",
		     fn, col, in_trigger_when, qs, in_trigger, using_sql ? "" : "  END IF;\n") < 0)
		return -1;
	const char *label = arena_printf(p->a, "%s.%s", rv->relname, col);
	/* only rows the trigger has not written yet; a resumed backfill checks by it */
	const char *check = NULL;
	struct unit_list first = {0}, renames = {0};
	if (plan_move_column(p, rv, rel, col, shadow, NAMES_KIND_SHADOW, trig, fn, label,
			     arena_printf(p->a, "%s = %s", qs, new_value),
			     arena_printf(p->a, "%s IS DISTINCT FROM %s", qs, new_value),
			     cs.not_null || cs.not_null_check, using_sql ? "trash" : "cast", &first,
			     &check, &renames) < 0 ||
	    plan_add(p, p->contract, 0, "ALTER TABLE %s RENAME COLUMN %s TO %s", rel, qs, qc) < 0 ||
	    (sequence_default &&
	     plan_add(p, p->contract, 0, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", rel, qc,
		      cs.default_expr) < 0))
		return -1;
	if (plan_add_all(p, p->contract, &renames) < 0)
		return -1;
	if (check && (plan_add(p, p->contract, 0, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL",
			       rel, qc) < 0 ||
		      plan_add(p, p->contract, 0, "ALTER TABLE %s DROP CONSTRAINT %s", rel,
			       sql_ident(p->a, check)) < 0))
		return -1;
	return 0;
}
