/*
 * The inverse builder for PostgreSQL: reads the live catalogue just before a
 * statement runs and writes the steps that undo it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/pg/inverse_pg.h"
#include "sql/names.h"
#include "target/pg/names_pg.h"
#include "sql/ast.h"

#define TRASH_SCHEMA PG_TRASH_SCHEMA

/* What before() remembers for after(): names that existed before the statement. */
struct pending {
	const char *table_regclass; /* quoted name of the table whose constraints/indexes to diff */
	const char *constraints_before; /* '{a,b}' */
	const char *indexes_before;
	unsigned index_drop_flags;
	const char *function_name;
	const char *function_schema;
	const char *functions_before;
	const char *view_regclass; /* a replaced view, and its column count before */
	const char *view_columns_before;
	const struct step_list *inverse_tail; /* steps that go after the diffed drops */
	struct step_list cleanup;	      /* runs first: what an interruption left */
	struct step_list undo_first;	      /* the undo's first steps, before the diffed drops */
	const char *forward_sql;	      /* the statement as it runs, when not as written */
	bool skip_statement;		      /* it already ran before an interruption */
};

/* An index's name qualified like its table. */
static const char *index_name(struct arena *a, const PgQuery__IndexStmt *is)
{
	if (is->relation->schemaname && *is->relation->schemaname)
		return arena_printf(a, "%s.%s", sql_ident(a, is->relation->schemaname),
				    sql_ident(a, is->idxname));
	return sql_ident(a, is->idxname);
}

/* First column of the first row, or NULL (also for no row). -1 on error. */
static int q1(const struct inverse_input *in, const char **ret, struct mg_error *err,
	      const char *sql, int n, const char *const *params)
{
	struct driver_rows rows;
	*ret = NULL;
	if (in->driver->ops->query(in->driver, in->arena, sql, n, params, &rows, err) < 0)
		return -1;
	*ret = driver_rows_get(&rows, 0, 0);
	return 0;
}

static int qrows(const struct inverse_input *in, struct driver_rows *ret, struct mg_error *err,
		 const char *sql, int n, const char *const *params)
{
	return in->driver->ops->query(in->driver, in->arena, sql, n, params, ret, err);
}

static void inv(const struct inverse_input *in, struct step_list *l, unsigned flags,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void inv(const struct inverse_input *in, struct step_list *l, unsigned flags,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *sql = arena_vprintf(in->arena, fmt, ap);
	va_end(ap);
	step_list_add(in->arena, l, sql, flags, in->stmt->migration->path, in->stmt->line,
		      in->stmt->column);
}

static int irreversible(const struct inverse_input *in, struct mg_error *err, const char *why)
{
	mg_error_set_at(err, 2, in->stmt->migration->path, in->stmt->line, in->stmt->column,
			"cannot derive the revert of this statement: %s", why);
	mg_error_set_help(err, "write the undo by hand under '-- migrate:revert-%s'",
			  migration_section_name(in->section));
	return -1;
}

/*
 * kind (v: a dropped column's or table's copy, w: a write log, s: a sequence),
 * the migration's version, the table and the column, as one name that fits
 * 63 bytes (names_fit: a long one ends in a hash of the whole).
 */
static const char *trash_table_name(struct arena *a, char kind, int64_t version, const char *table,
				    const char *column)
{
	return column ? names_make(a, "%c%lld_%s_%s", kind, (long long)version, table, column)
		      : names_make(a, "%c%lld_%s", kind, (long long)version, table);
}

const char *pg_trash_name(struct arena *a, int64_t version, const char *table, const char *column)
{
	return trash_table_name(a, 'v', version, table, column);
}

const char *pg_trash_log_name(struct arena *a, int64_t version, const char *table,
			      const char *column)
{
	return trash_table_name(a, 'w', version, table, column);
}

/*
 * The trash name for what source ("schema.table[.column]") leaves: name, unless
 * the registry already gives name to something else (table "a_b" column "c" and
 * table "a" column "b_c" of one migration, or one table name in two schemas),
 * which would be overwritten; then name made apart by a hash of source. A
 * resumed copy finds its own row and keeps its name.
 */
static int trash_name_for(const struct inverse_input *in, const char *name, const char *source,
			  const char **ret, struct mg_error *err)
{
	const char *held;
	const char *params[] = {name};
	if (q1(in, &held, err,
	       arena_printf(in->arena, "SELECT source FROM %s.trash WHERE name = $1",
			    sql_ident(in->arena, in->history_schema)),
	       1, params) < 0)
		return -1;
	*ret = name;
	if (held && strcmp(held, source) != 0)
		*ret = names_make_apart(in->arena, source, "%s", name);
	return 0;
}

/* The registry row of a trash object (migrate.trash), which purge goes by. */
static void trash_register(const struct inverse_input *in, struct step_list *l, const char *name,
			   const char *kind, const char *source)
{
	struct arena *a = in->arena;
	inv(in, l, 0,
	    "INSERT INTO %s.trash (name, version, kind, source) VALUES (%s, %lld, '%s', %s) "
	    "ON CONFLICT (name) DO UPDATE SET created_at = now()",
	    sql_ident(a, in->history_schema), sql_literal(a, name),
	    (long long)in->migration->version, kind, sql_literal(a, source));
}

static void trash_unregister(const struct inverse_input *in, struct step_list *l, const char *name)
{
	inv(in, l, 0, "DELETE FROM %s.trash WHERE name = %s",
	    sql_ident(in->arena, in->history_schema), sql_literal(in->arena, name));
}

/* ---- ALTER TABLE ---- */

struct column_info {
	bool exists;
	const char *type;
	bool not_null;
	const char *default_expr;
	const char *attnum;
	bool identity_or_generated;
	const char *comment;
	const char *schema; /* the table's, unquoted */
};

static int column_info(const struct inverse_input *in, const char *rel, const char *col,
		       struct column_info *ret, struct mg_error *err)
{
	struct driver_rows rows;
	const char *params[] = {rel, col};
	memset(ret, 0, sizeof(*ret));
	if (qrows(in, &rows, err,
		  "SELECT format_type(a.atttypid, a.atttypmod), a.attnotnull, "
		  "pg_get_expr(d.adbin, d.adrelid), a.attnum, "
		  "(a.attidentity <> '' OR a.attgenerated <> ''), "
		  "col_description(a.attrelid, a.attnum), "
		  "(SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = "
		  "c.relnamespace WHERE c.oid = a.attrelid) "
		  "FROM pg_attribute a LEFT JOIN pg_attrdef d "
		  "ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
		  "WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped",
		  2, params) < 0)
		return -1;
	if (rows.n_rows == 0)
		return 0;
	ret->exists = true;
	ret->type = driver_rows_get(&rows, 0, 0);
	ret->not_null = strcmp(driver_rows_get(&rows, 0, 1), "t") == 0;
	ret->default_expr = driver_rows_get(&rows, 0, 2);
	ret->attnum = driver_rows_get(&rows, 0, 3);
	ret->identity_or_generated = strcmp(driver_rows_get(&rows, 0, 4), "t") == 0;
	ret->comment = driver_rows_get(&rows, 0, 5);
	ret->schema = driver_rows_get(&rows, 0, 6);
	return 0;
}

/*
 * The columns the trash keeps a dropped column's values by: the primary key,
 * or, when the column is the primary key itself (a type change swapping its
 * shadow in), another unique key whose columns cannot be NULL (by NOT NULL or
 * a validated CHECK (c IS NOT NULL)): *ret_other says which.
 */
int pg_primary_key_columns(struct driver *d, struct arena *a, const char *rel,
			   struct driver_rows *ret, struct mg_error *err)
{
	const char *params[] = {rel};
	return d->ops->query(
	    d, a,
	    "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
	    "ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
	    "WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY a.attnum",
	    1, params, ret, err);
}

/* The name this migration's planner recorded for kind and col of rel (names_pg_record), or NULL. */
static int recorded_name(const struct inverse_input *in, const char *rel, const char *kind,
			 const char *col, const char **ret, struct mg_error *err)
{
	struct driver_rows rows;
	if (names_pg_recorded(in->driver, in->arena, rel, kind, col, in->migration->version, &rows,
			      err) < 0)
		return -1;
	*ret = driver_rows_get(&rows, 0, 0);
	return 0;
}

/*
 * The columns the trash of col is keyed by; *ret_other when that is not the
 * primary key (col is in it), *ret_shadow the type change's shadow the
 * planner recorded for col (NULL: none, or one made before records).
 */
static int trash_key(const struct inverse_input *in, const char *rel, const char *col,
		     struct driver_rows *ret, bool *ret_other, const char **ret_shadow,
		     struct mg_error *err)
{
	/* a key on the type change's shadow first; one made before names were recorded
	 * is told by the name it was given then, <col>__v<version> */
	if (recorded_name(in, rel, NAMES_KIND_SHADOW, col, ret_shadow, err) < 0)
		return -1;
	const char *shadow = *ret_shadow;
	const char *params[] = {rel, col, shadow};
	if (pg_primary_key_columns(in->driver, in->arena, rel, ret, err) < 0)
		return -1;
	*ret_other = false;
	for (size_t i = 0; i < ret->n_rows; i++)
		*ret_other |= strcmp(driver_rows_get(ret, i, 0), col) == 0;
	if (!*ret_other)
		return 0;
	return qrows(
	    in, ret, err,
	    "WITH k AS (SELECT i.indkey::int2[] AS cols FROM pg_index i WHERE i.indrelid = "
	    "to_regclass($1) AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND "
	    "i.indexprs IS NULL AND NOT EXISTS (SELECT FROM unnest(i.indkey::int2[]) u(n) JOIN "
	    "pg_attribute x ON x.attrelid = i.indrelid AND x.attnum = u.n WHERE x.attname = $2 "
	    "OR NOT (x.attnotnull OR EXISTS (SELECT FROM pg_constraint c WHERE c.conrelid = "
	    "i.indrelid AND c.contype = 'c' AND c.convalidated AND pg_get_constraintdef(c.oid) "
	    "= format('CHECK ((%s IS NOT NULL))', quote_ident(x.attname))))) ORDER BY "
	    "EXISTS (SELECT FROM pg_attribute y WHERE y.attrelid = i.indrelid AND i.indnatts = 1 "
	    "AND y.attnum = i.indkey[0] AND (y.attname = $3::text OR ($3::text IS NULL AND "
	    "left(y.attname, length($2) + 3) = $2 || '__v'))) "
	    "DESC, i.indexrelid LIMIT 1) SELECT a.attname FROM k, unnest(k.cols) WITH ORDINALITY "
	    "u(n, o) JOIN pg_attribute a ON a.attrelid = to_regclass($1) AND a.attnum = u.n "
	    "ORDER BY u.o",
	    3, params);
}

/* What a dropped column's batched restore needs (trash_column). */
struct restore {
	const char *rel, *table, *col;
	const struct column_info *ci;
	const struct driver_rows *key; /* the columns the trash is keyed by */
	const char *trash, *trash_index, *tname;
	const char *log, *lname; /* the planner's write log, or NULL */
	/* the column that took over (a rename, a type change; a primary key's
	 * shadow when the trash is keyed by it), and how to restore from it */
	const char *partner, *mode;
	bool recorded; /* trash and log keep the partner's value at contract time too */
	const struct driver_rows *seq; /* a serial's sequence, kept in the trash */
	const char *sname;
};

/*
 * The undo of a dropped column, the way expand adds one: the column back in a
 * short transaction (nullable, its default for new rows only), then its values
 * in keyset batches along the trash's key, of one column or several
 * (backfill_run; the sync trigger, back in the same short transaction, keeps
 * the rows the app writes meanwhile), then NOT NULL through a validated check,
 * indexes CONCURRENTLY, constraints NOT VALID + VALIDATE.
 *
 * Where the values come from (never over a value the app wrote since the
 * contract): a rename's old column is a copy of the column that took over,
 * which holds each row's newest value; a type change's old column is the
 * trash's value where that value, cast to the new type, is still what the new
 * column holds (the row is unchanged since), else the new column cast back; a
 * type change with USING has no cast to compare by: the trash's value where
 * the new column still holds what it held at the contract (recorded beside
 * the old value, in the copy and in the write log), else the new column cast
 * back; a primary key's type change, its trash keyed by the new column: the
 * trash's value where the row's key is found there, else the new column cast
 * back; a plain DROP COLUMN's is the trash's value (the default for rows
 * inserted since). Returns 1 (the caller undoes it in one transaction) for a
 * contract made before these were recorded.
 */
static int restore_batched(const struct inverse_input *in, const struct restore *r,
			   struct step_list *block, struct mg_error *err)
{
	struct arena *a = in->arena;
	const char *qc = sql_ident(a, r->col);
	const char *mode = r->mode, *partner_type = NULL;
	size_t nk = r->key->n_rows;
	const char **keys = arena_alloc(a, sizeof(*keys) * nk);
	const char **key_types = arena_alloc(a, sizeof(*key_types) * nk);
	const char *key_list = "", *in_x = "", *in_w = "";
	for (size_t i = 0; i < nk; i++) {
		const char *k = driver_rows_get(r->key, i, 0);
		const char *pk[] = {r->rel, k};
		if (q1(in, &key_types[i], err,
		       "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
		       "to_regclass($1) AND attname = $2",
		       2, pk) < 0)
			return -1;
		if (!key_types[i])
			return 1;
		keys[i] = sql_ident(a, k);
		const char *sep = i ? " AND " : "";
		key_list = arena_printf(a, "%s%s%s", key_list, i ? ", " : "", keys[i]);
		in_x = arena_printf(a, "%s%sx.%s = %s.%s", in_x, sep, keys[i], r->rel, keys[i]);
		in_w = arena_printf(a, "%s%sw.%s = %s.%s", in_w, sep, keys[i], r->rel, keys[i]);
	}
	if (r->partner) {
		const char *pp[] = {r->rel, r->partner};
		if (q1(in, &partner_type, err,
		       "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
		       "to_regclass($1) AND attname = $2 AND NOT attisdropped",
		       2, pp) < 0)
			return -1;
		/* a log from before restore modes were written, or a USING whose new
		 * column's values at contract time were not kept: one transaction */
		if (!partner_type || !mode || (strcmp(mode, "trash") == 0 && !r->recorded))
			return 1;
	}
	const char *in_trash =
	    arena_printf(a, "(SELECT x.%s FROM %s AS x WHERE %s)", qc, r->trash, in_x);
	/* the value at contract time: the log's (written while the copy ran) over the copy's */
	const char *old_value = in_trash;
	/*
	 * A scalar lookup, not EXISTS: PostgreSQL may run an EXISTS as a hashed
	 * subplan, which reads the whole trash for every batch of 1000 rows.
	 */
	const char *has_old =
	    arena_printf(a, "coalesce((SELECT true FROM %s AS x WHERE %s), false)", r->trash, in_x);
	if (r->log) {
		const char *in_log = arena_printf(
		    a, "coalesce((SELECT true FROM %s AS w WHERE %s), false)", r->log, in_w);
		old_value = arena_printf(
		    a, "CASE WHEN %s THEN (SELECT w.%s FROM %s AS w WHERE %s) ELSE %s END", in_log,
		    qc, r->log, in_w, in_trash);
		has_old = arena_printf(a, "(%s OR %s)", in_log, has_old);
	}
	const char *set_sql;
	const char *qp = r->partner ? sql_ident(a, r->partner) : NULL;
	if (r->partner && strcmp(mode, "copy") == 0) {
		set_sql = arena_printf(a, "%s = %s", qc, qp);
	} else if (r->partner && strcmp(mode, "key") == 0) {
		/* found by the new column's value: the old value that became it */
		set_sql = arena_printf(a, "%s = CASE WHEN %s THEN %s ELSE %s::%s END", qc, has_old,
				       old_value, qp, r->ci->type);
	} else if (r->partner && strcmp(mode, "trash") == 0) {
		/* the old value and the new column's value at contract time, looked up
		 * once per row: the log's over the copy's, a row of NULLs for a new row.
		 * A value in the old column is the app's, written since it came back
		 * empty (the batches have not reached the row): it stays. */
		const char *from_log =
		    r->log
			? arena_printf(a, "SELECT 1, w.%s, w.%s FROM %s AS w WHERE %s UNION ALL ",
				       qc, qp, r->log, in_w)
			: "";
		set_sql = arena_printf(
		    a,
		    "%s = coalesce(%s, (SELECT CASE WHEN mg_old.o < 3 AND mg_old.p IS NOT DISTINCT "
		    "FROM %s THEN mg_old.v ELSE %s::%s END FROM (%sSELECT 2, x.%s, x.%s FROM %s AS "
		    "x "
		    "WHERE %s UNION ALL SELECT 3, NULL, NULL ORDER BY 1 LIMIT 1) AS mg_old (o, v, "
		    "p)))",
		    qc, qc, qp, qp, r->ci->type, from_log, qc, qp, r->trash, in_x);
	} else if (r->partner) {
		/* the old value looked up once per row */
		set_sql =
		    arena_printf(a,
				 "%s = (SELECT CASE WHEN mg_old.v::%s IS NOT DISTINCT FROM %s "
				 "THEN mg_old.v ELSE %s::%s END FROM (SELECT %s AS v) AS mg_old)",
				 qc, partner_type, qp, qp, r->ci->type, old_value);
	} else {
		set_sql =
		    arena_printf(a, "%s = CASE WHEN %s THEN %s ELSE %s END", qc, has_old, old_value,
				 r->ci->default_expr
				     ? arena_printf(a, "COALESCE(%s, %s)", qc, r->ci->default_expr)
				     : qc);
	}
	struct backfill *bf = arena_alloc(a, sizeof(*bf));
	bf->table = r->rel;
	bf->key = keys[0];
	bf->key_type = key_types[0];
	if (nk > 1) {
		bf->n_keys = nk;
		bf->keys = keys;
		bf->key_types = key_types;
	}
	bf->set_sql = set_sql;
	bf->where_sql = NULL; /* the cursor alone: a row the app wrote behind it stays */
	bf->label = arena_printf(a, "%s.%s", r->table, r->col);

	/* one short transaction: the trash's index (a trash from before it was made
	 * with one), the column, its sequence and its default for new rows */
	inv(in, block, 0, "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (%s)", r->trash_index,
	    r->trash, key_list);
	/*
	 * The log's trigger is back too (the undo of contract's drop of it, gone
	 * with the undo of the step that made it): it would log the app's writes
	 * of the column not restored yet (NULL) over the values the contract
	 * logged. Its function logs nothing from now on.
	 */
	if (r->log)
		inv(in, block, 0,
		    "CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS "
		    "$migrate$\nBEGIN\n  RETURN NULL;\nEND\n$migrate$",
		    r->log);
	inv(in, block, 0, "ALTER TABLE %s ADD COLUMN %s %s", r->rel, qc, r->ci->type);
	if (r->sname) {
		inv(in, block, 0, "ALTER SEQUENCE " TRASH_SCHEMA ".%s RENAME TO %s",
		    sql_ident(a, r->sname), driver_rows_get(r->seq, 0, 2));
		inv(in, block, 0, "ALTER SEQUENCE " TRASH_SCHEMA ".%s SET SCHEMA %s",
		    driver_rows_get(r->seq, 0, 2), driver_rows_get(r->seq, 0, 1));
		inv(in, block, 0, "ALTER SEQUENCE %s OWNED BY %s.%s", driver_rows_get(r->seq, 0, 0),
		    r->rel, qc);
		trash_unregister(in, block, r->sname);
	}
	if (r->ci->default_expr)
		inv(in, block, 0, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", r->rel, qc,
		    r->ci->default_expr);
	/*
	 * A USING's sync trigger computes the new column from the whole row on
	 * every write: while the old column is back but not restored yet (NULL),
	 * an app write of another column would compute the new column from that
	 * NULL, over the row's newest value. Until the restore is done, a trigger
	 * that fires after it (triggers fire in name order, and "migrate_unsync"
	 * sorts after "migrate_sync") keeps the new column of such a write.
	 */
	bool guard = r->partner && strcmp(mode, "trash") == 0;
	const char *guard_fn = NULL, *guard_trigger = NULL;
	if (guard) {
		guard_fn = arena_printf(a, TRASH_SCHEMA ".%s",
					sql_ident(a, names_make(a, "%s_guard", r->tname)));
		guard_trigger = sql_ident(a, names_make(a, "migrate_unsync_%s", r->tname));
		inv(in, block, 0,
		    "CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $migrate$\n"
		    "BEGIN\n"
		    "  /* %s is not restored yet: %s keeps its value */\n"
		    "  IF NEW.%s IS NULL AND OLD.%s IS NULL THEN\n"
		    "    NEW.%s := OLD.%s;\n"
		    "  END IF;\n"
		    "  RETURN NEW;\n"
		    "END\n"
		    "$migrate$",
		    guard_fn, r->col, r->partner, qc, qc, qp, qp);
		inv(in, block, 0,
		    "CREATE TRIGGER %s BEFORE UPDATE ON %s FOR EACH ROW WHEN "
		    "(current_setting('migrate.backfill', true) IS DISTINCT FROM 'on') EXECUTE "
		    "FUNCTION %s()",
		    guard_trigger, r->rel, guard_fn);
	}
	inv(in, block, STEP_BACKFILL, "UPDATE %s SET %s -- in keyset batches along %s", r->rel,
	    set_sql, key_list);
	block->items[block->n - 1].backfill = bf;
	if (guard) {
		inv(in, block, 0, "DROP TRIGGER %s ON %s", guard_trigger, r->rel);
		inv(in, block, 0, "DROP FUNCTION %s()", guard_fn);
	}
	if (r->log)
		trash_unregister(in, block, r->lname);
	if (r->ci->not_null) {
		const char *check =
		    sql_ident(a, names_make(a, "%s_%s_not_null_r%lld", r->table, r->col,
					    (long long)in->migration->version));
		inv(in, block, 0,
		    "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID", r->rel,
		    check, qc);
		inv(in, block, STEP_OWN_TRANSACTION, "ALTER TABLE %s VALIDATE CONSTRAINT %s",
		    r->rel, check);
		inv(in, block, STEP_CHECKED_NOT_NULL, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL",
		    r->rel, qc);
		inv(in, block, 0, "ALTER TABLE %s DROP CONSTRAINT %s", r->rel, check);
	}
	struct driver_rows defs;
	const char *p2[] = {r->rel, r->ci->attnum};
	if (qrows(in, &defs, err,
		  "SELECT pg_get_indexdef(i.indexrelid), format('%I.%I', n.nspname, c.relname) "
		  "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON "
		  "n.oid = c.relnamespace WHERE i.indrelid = to_regclass($1) AND $2::int2 = ANY "
		  "(i.indkey) AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = "
		  "i.indexrelid AND k.conrelid = i.indrelid)",
		  2, p2) < 0)
		return -1;
	for (size_t i = 0; i < defs.n_rows; i++) {
		const char *def = driver_rows_get(&defs, i, 0);
		const char *at = def ? strstr(def, "INDEX ") : NULL;
		if (!at)
			continue;
		/* a build that failed leaves an invalid index: a rerun drops it first */
		inv(in, block, STEP_NO_TRANSACTION, "DROP INDEX CONCURRENTLY IF EXISTS %s",
		    driver_rows_get(&defs, i, 1));
		inv(in, block, STEP_NO_TRANSACTION, "%.*sINDEX CONCURRENTLY %s", (int)(at - def),
		    def, at + 6);
	}
	if (qrows(in, &defs, err,
		  "SELECT conname, pg_get_constraintdef(oid), contype, pg_get_indexdef(conindid), "
		  "(SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN "
		  "pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = conindid), "
		  "(SELECT relname FROM pg_class WHERE oid = conindid) FROM pg_constraint "
		  "WHERE conrelid = to_regclass($1) AND $2::int2 = ANY (conkey) AND contype <> 'n'",
		  2, p2) < 0)
		return -1;
	for (size_t i = 0; i < defs.n_rows; i++) {
		const char *name = sql_ident(a, driver_rows_get(&defs, i, 0));
		const char *def = driver_rows_get(&defs, i, 1);
		char type = *driver_rows_get(&defs, i, 2);
		const char *idx = driver_rows_get(&defs, i, 3);
		const char *at = idx ? strstr(idx, "INDEX ") : NULL;
		if (type == 'c' || type == 'f') {
			inv(in, block, 0, "ALTER TABLE %s ADD CONSTRAINT %s %s NOT VALID", r->rel,
			    name, def);
			inv(in, block, STEP_OWN_TRANSACTION,
			    "ALTER TABLE %s VALIDATE CONSTRAINT %s", r->rel, name);
		} else if ((type == 'u' || type == 'p') && at && !strstr(def, "DEFERRABLE")) {
			/* the index first, without blocking writes; the constraint takes it */
			inv(in, block, STEP_NO_TRANSACTION, "DROP INDEX CONCURRENTLY IF EXISTS %s",
			    driver_rows_get(&defs, i, 4));
			inv(in, block, STEP_NO_TRANSACTION, "%.*sINDEX CONCURRENTLY %s",
			    (int)(at - idx), idx, at + 6);
			inv(in, block, 0, "ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s",
			    r->rel, name, type == 'p' ? "PRIMARY KEY" : "UNIQUE",
			    sql_ident(a, driver_rows_get(&defs, i, 5)));
		} else {
			inv(in, block, 0, "ALTER TABLE %s ADD CONSTRAINT %s %s", r->rel, name, def);
		}
	}
	if (r->ci->comment)
		inv(in, block, 0, "COMMENT ON COLUMN %s.%s IS %s", r->rel, qc,
		    sql_literal(a, r->ci->comment));
	inv(in, block, 0, "DROP TABLE %s", r->trash);
	trash_unregister(in, block, r->tname);
	return 0;
}

/* Copies a column's values (by a key, trash_key) to migrate_trash before it is dropped. */
static int trash_column(const struct inverse_input *in, struct step_list *pre,
			struct step_list *block, const char *rel, const char *table,
			const char *col, struct mg_error *err)
{
	struct arena *a = in->arena;
	struct column_info ci;
	if (column_info(in, rel, col, &ci, err) < 0)
		return -1;
	if (!ci.exists)
		return 0; /* DROP COLUMN IF EXISTS of nothing */
	if (ci.identity_or_generated)
		return irreversible(in, err, "the column is an identity or generated column");
	const char *qc = sql_ident(a, col);
	struct driver_rows key;
	bool by_other_key;
	const char *shadow;
	if (trash_key(in, rel, col, &key, &by_other_key, &shadow, err) < 0)
		return -1;
	if (key.n_rows == 0)
		return irreversible(
		    in, err,
		    by_other_key ? "the column is the primary key and no other unique NOT NULL "
				   "key keeps its values by"
				 : "the table has no primary key to keep the column's values by");
	const char *keys = "", *match = "", *log_match = "";
	for (size_t i = 0; i < key.n_rows; i++) {
		const char *k = sql_ident(a, driver_rows_get(&key, i, 0));
		keys = arena_printf(a, "%s%s%s", keys, i ? ", " : "", k);
		match = arena_printf(a, "%s%st.%s = x.%s", match, i ? " AND " : "", k, k);
		log_match = arena_printf(a, "%s%sw.%s = y.%s", log_match, i ? " AND " : "", k, k);
	}
	const char *source = arena_printf(a, "%s.%s.%s", ci.schema, table, col);
	const char *tname;
	if (trash_name_for(in, pg_trash_name(a, in->migration->version, table, col), source, &tname,
			   err) < 0)
		return -1;
	const char *trash = arena_printf(a, TRASH_SCHEMA ".%s", sql_ident(a, tname));
	/* the planner's write log: what the copy could not see yet, by the name its
	 * function records (a log made before names were recorded: pg_trash_log_name);
	 * its comment names the column that took over, its column's how to restore */
	const char *lname;
	if (recorded_name(in, rel, NAMES_KIND_LOG, col, &lname, err) < 0)
		return -1;
	if (!lname)
		lname = pg_trash_log_name(a, in->migration->version, table, col);
	const char *log = arena_printf(a, TRASH_SCHEMA ".%s", sql_ident(a, lname));
	const char *has_log, *partner = NULL, *mode = NULL, *recorded = NULL;
	const char *pl[] = {log};
	if (q1(in, &has_log, err, "SELECT to_regclass($1)::text", 1, pl) < 0)
		return -1;
	if (has_log) {
		const char *plc[] = {log, col};
		if (q1(in, &partner, err, "SELECT obj_description(to_regclass($1), 'pg_class')", 1,
		       pl) < 0 ||
		    q1(in, &mode, err,
		       "SELECT col_description(attrelid, attnum) FROM pg_attribute WHERE attrelid "
		       "= "
		       "to_regclass($1) AND attname = $2",
		       2, plc) < 0)
			return -1;
		const char *plp[] = {log, partner};
		/* a USING's log keeps the new column's value too: the copy does as well */
		if (partner && mode && strcmp(mode, "trash") == 0 &&
		    q1(in, &recorded, err,
		       "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND "
		       "attname = $2 AND NOT attisdropped",
		       2, plp) < 0)
			return -1;
	}
	inv(in, pre, 0, "CREATE SCHEMA IF NOT EXISTS " TRASH_SCHEMA);
	/* a copy an interrupted contract made (the registry says whose it is) */
	inv(in, pre, 0, "DROP TABLE IF EXISTS %s", trash);
	inv(in, pre, 0, "CREATE TABLE %s AS SELECT %s, %s%s%s FROM %s", trash, keys, qc,
	    recorded ? ", " : "", recorded ? sql_ident(a, recorded) : "", rel);
	/* revert finds each row's value by key, batch by batch */
	const char *trash_index = sql_ident(a, names_make(a, "%s_key", tname));
	inv(in, pre, 0, "CREATE UNIQUE INDEX %s ON %s (%s)", trash_index, trash, keys);
	trash_register(in, pre, tname, "column", source);
	if (has_log)
		trash_register(in, pre, lname, "column", source);
	/* a serial's sequence would go with the column: kept in the trash too */
	struct driver_rows seq;
	const char *ps[] = {rel, col};
	if (qrows(in, &seq, err,
		  "SELECT format('%I.%I', n.nspname, c.relname), quote_ident(n.nspname), "
		  "quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = "
		  "c.relnamespace WHERE c.oid = pg_get_serial_sequence($1, $2)::regclass",
		  2, ps) < 0)
		return -1;
	const char *sname = NULL;
	if (seq.n_rows) {
		if (trash_name_for(in, trash_table_name(a, 's', in->migration->version, table, col),
				   source, &sname, err) < 0)
			return -1;
		inv(in, pre, 0, "ALTER SEQUENCE %s OWNED BY NONE", driver_rows_get(&seq, 0, 0));
		inv(in, pre, 0, "ALTER SEQUENCE %s SET SCHEMA " TRASH_SCHEMA,
		    driver_rows_get(&seq, 0, 0));
		inv(in, pre, 0, "ALTER SEQUENCE " TRASH_SCHEMA ".%s RENAME TO %s",
		    driver_rows_get(&seq, 0, 2), sql_ident(a, sname));
		trash_register(in, pre, sname, "sequence", source);
	}

	/* the key's shadow, as the planner recorded it (<col>__v<version> before records) */
	const char *key0 = key.n_rows == 1 ? driver_rows_get(&key, 0, 0) : NULL;
	bool shadow_key = by_other_key && key0 &&
			  (shadow ? strcmp(key0, shadow) == 0
				  : strncmp(key0, col, strlen(col)) == 0 &&
					strncmp(key0 + strlen(col), "__v", 3) == 0);
	struct restore r = {.rel = rel,
			    .table = table,
			    .col = col,
			    .ci = &ci,
			    .key = &key,
			    .trash = trash,
			    .trash_index = trash_index,
			    .tname = tname,
			    .log = has_log ? log : NULL,
			    .lname = lname,
			    .partner = shadow_key ? key0 : partner,
			    .mode = shadow_key ? "key" : mode,
			    .recorded = recorded != NULL,
			    .seq = sname ? &seq : NULL,
			    .sname = sname};
	int rc = restore_batched(in, &r, block, err);
	if (rc <= 0)
		return rc;
	/* the undo: the column back, its values, its default, its NOT NULL, its
	 * indexes and constraints. The default comes after the values: a volatile
	 * one (a serial's nextval) would otherwise be computed for every row. */
	inv(in, block, 0, "ALTER TABLE %s ADD COLUMN %s %s", rel, qc, ci.type);
	if (!has_log) {
		inv(in, block, 0, "UPDATE %s AS t SET %s = x.%s FROM %s AS x WHERE %s", rel, qc, qc,
		    trash, match);
	} else {
		/* one UPDATE, the logged value over the copied one: the triggers it
		 * fires (the sync trigger, the log's own) see each row's last value */
		inv(in, block, 0,
		    "UPDATE %s AS t SET %s = x.%s FROM (SELECT %s, %s FROM %s UNION ALL "
		    "SELECT %s, %s FROM %s AS y WHERE NOT EXISTS (SELECT FROM %s AS w WHERE %s)) "
		    "AS x WHERE %s",
		    rel, qc, qc, keys, qc, log, keys, qc, trash, log, log_match, match);
		/* the log itself goes with the undo of the planner's step that made it */
		trash_unregister(in, block, lname);
	}
	/*
	 * Rows written after the drop are in neither: their old value comes from
	 * the column that took over (the key's shadow, as the planner recorded it
	 * (<col>__v<version> before records), when the trash is keyed by it; the
	 * new column the planner named in the log's comment), cast back; with
	 * none, the default. The sync trigger, back by now, sees the two columns
	 * agree.
	 */
	const char *from = shadow_key ? key0 : partner;
	const char *missing =
	    arena_printf(a, "NOT EXISTS (SELECT FROM %s AS x WHERE %s)", trash, match);
	if (has_log)
		missing = arena_printf(a, "%s AND NOT EXISTS (SELECT FROM %s AS x WHERE %s)",
				       missing, log, match);
	if (from)
		inv(in, block, 0, "UPDATE %s AS t SET %s = t.%s::%s WHERE %s", rel, qc,
		    sql_ident(a, from), ci.type, missing);
	if (sname) {
		inv(in, block, 0, "ALTER SEQUENCE " TRASH_SCHEMA ".%s RENAME TO %s",
		    sql_ident(a, sname), driver_rows_get(&seq, 0, 2));
		inv(in, block, 0, "ALTER SEQUENCE " TRASH_SCHEMA ".%s SET SCHEMA %s",
		    driver_rows_get(&seq, 0, 2), driver_rows_get(&seq, 0, 1));
		inv(in, block, 0, "ALTER SEQUENCE %s OWNED BY %s.%s", driver_rows_get(&seq, 0, 0),
		    rel, qc);
		trash_unregister(in, block, sname);
	}
	if (ci.default_expr) {
		inv(in, block, 0, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", rel, qc,
		    ci.default_expr);
		if (!from)
			inv(in, block, 0, "UPDATE %s AS t SET %s = DEFAULT WHERE %s", rel, qc,
			    missing);
	}
	if (ci.not_null)
		inv(in, block, 0, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", rel, qc);
	struct driver_rows defs;
	const char *p2[] = {rel, ci.attnum};
	if (qrows(in, &defs, err,
		  "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
		  "WHERE i.indrelid = to_regclass($1) AND $2::int2 = ANY (i.indkey) "
		  "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
		  "AND c.conrelid = i.indrelid)",
		  2, p2) < 0)
		return -1;
	for (size_t i = 0; i < defs.n_rows; i++) {
		const char *def = driver_rows_get(&defs, i, 0);
		inv(in, block, 0, "%s", def ? def : "");
	}
	if (qrows(in, &defs, err,
		  "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
		  "WHERE conrelid = to_regclass($1) AND $2::int2 = ANY (conkey) AND contype <> 'n'",
		  2, p2) < 0)
		return -1;
	for (size_t i = 0; i < defs.n_rows; i++)
		inv(in, block, 0, "ALTER TABLE %s ADD CONSTRAINT %s %s", rel,
		    sql_ident(a, driver_rows_get(&defs, i, 0)), driver_rows_get(&defs, i, 1));
	if (ci.comment)
		inv(in, block, 0, "COMMENT ON COLUMN %s.%s IS %s", rel, qc,
		    sql_literal(a, ci.comment));
	inv(in, block, 0, "DROP TABLE %s", trash);
	trash_unregister(in, block, tname);
	return 0;
}

/*
 * Dropping a constraint made USING INDEX drops the index too: the undo builds
 * it again under its own name, after that drop. Foreign keys that use the
 * index hold it: they go first (pend->undo_first) and come back after it.
 */
static int undo_using_index(const struct inverse_input *in, const PgQuery__RangeVar *rv,
			    const PgQuery__Constraint *k, struct step_list *u, struct pending *pend,
			    struct mg_error *err)
{
	struct arena *a = in->arena;
	if (!k || !k->indexname || !*k->indexname)
		return 0;
	const char *idx =
	    rv->schemaname && *rv->schemaname
		? arena_printf(a, "%s.%s", sql_ident(a, rv->schemaname), sql_ident(a, k->indexname))
		: sql_ident(a, k->indexname);
	const char *def;
	const char *p[] = {idx};
	if (q1(in, &def, err, "SELECT pg_get_indexdef(to_regclass($1))", 1, p) < 0)
		return -1;
	/* built again without blocking writes (a build a rerun finds invalid is dropped
	 * first); the foreign keys come back NOT VALID, then validated on their own */
	const char *at = def ? strstr(def, "INDEX ") : NULL;
	if (at) {
		inv(in, u, STEP_NO_TRANSACTION, "DROP INDEX CONCURRENTLY IF EXISTS %s", idx);
		inv(in, u, STEP_NO_TRANSACTION, "%.*sINDEX CONCURRENTLY %s", (int)(at - def), def,
		    at + 6);
	}
	struct driver_rows fks;
	if (qrows(in, &fks, err,
		  "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), "
		  "convalidated::text FROM pg_constraint WHERE contype = 'f' AND conindid = "
		  "to_regclass($1) ORDER BY oid",
		  1, p) < 0)
		return -1;
	for (size_t i = 0; i < fks.n_rows; i++) {
		const char *owner = driver_rows_get(&fks, i, 0);
		const char *name = sql_ident(a, driver_rows_get(&fks, i, 1));
		const char *fk = driver_rows_get(&fks, i, 2), *valid = driver_rows_get(&fks, i, 3);
		bool validated = valid && strcmp(valid, "true") == 0;
		inv(in, &pend->undo_first, 0, "ALTER TABLE %s DROP CONSTRAINT %s", owner, name);
		inv(in, u, 0, "ALTER TABLE %s ADD CONSTRAINT %s %s%s", owner, name, fk ? fk : "",
		    validated ? " NOT VALID" : "");
		if (validated)
			inv(in, u, STEP_OWN_TRANSACTION, "ALTER TABLE %s VALIDATE CONSTRAINT %s",
			    owner, name);
	}
	/* a primary key makes its columns NOT NULL, and dropping it does not undo that */
	if (k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
		return 0;
	struct driver_rows nullable;
	if (qrows(in, &nullable, err,
		  "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = "
		  "i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indexrelid = to_regclass($1) "
		  "AND NOT a.attnotnull ORDER BY a.attnum",
		  1, p) < 0)
		return -1;
	for (size_t i = 0; i < nullable.n_rows; i++)
		inv(in, u, 0, "ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", sql_rangevar(a, rv),
		    sql_ident(a, driver_rows_get(&nullable, i, 0)));
	return 0;
}

static int alter_table(const struct inverse_input *in, const PgQuery__AlterTableStmt *as,
		       struct step_list *pre, struct step_list *block, struct pending *pend,
		       struct mg_error *err)
{
	struct arena *a = in->arena;
	if (ast_is_index_attach(as)) {
		inv(in, block, 0, "DROP INDEX IF EXISTS %s", sql_rangevar(a, as->relation));
		return 0;
	}
	if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || !as->relation)
		return irreversible(in, err, "only ALTER TABLE is derived here");
	const char *rel = sql_rangevar(a, as->relation);
	const char *exists;
	const char *p1[] = {rel};
	if (q1(in, &exists, err, "SELECT to_regclass($1)::text", 1, p1) < 0)
		return -1;
	if (!exists) {
		if (as->missing_ok)
			return 0;
		return 0; /* the statement itself will fail with PostgreSQL's own message */
	}
	/* each command's undo, run in reverse order of the commands */
	struct step_list *undo = arena_alloc(a, sizeof(*undo) * (as->n_cmds + 1));
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		struct step_list *u = &undo[i];
		if (!cmd)
			continue;
		const char *col = cmd->name && *cmd->name ? cmd->name : NULL;
		struct column_info ci;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn: {
			const PgQuery__ColumnDef *cd =
			    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF
				? cmd->def->column_def
				: NULL;
			if (!cd)
				break;
			if (column_info(in, rel, cd->colname, &ci, err) < 0)
				return -1;
			if (ci.exists && cmd->missing_ok)
				break;
			inv(in, u, 0, "ALTER TABLE %s DROP COLUMN IF EXISTS %s", rel,
			    sql_ident(a, cd->colname));
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			if (trash_column(in, pre, u, rel, as->relation->relname, col, err) < 0)
				return -1;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			if (column_info(in, rel, col, &ci, err) < 0)
				return -1;
			if (ci.exists)
				inv(in, u, 0, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s",
				    rel, sql_ident(a, col), ci.type, sql_ident(a, col), ci.type);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
			if (column_info(in, rel, col, &ci, err) < 0)
				return -1;
			if (ci.default_expr)
				inv(in, u, 0, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", rel,
				    sql_ident(a, col), ci.default_expr);
			else
				inv(in, u, 0, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", rel,
				    sql_ident(a, col));
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
			if (column_info(in, rel, col, &ci, err) < 0)
				return -1;
			if (ci.exists && !ci.not_null)
				inv(in, u, 0, "ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", rel,
				    sql_ident(a, col));
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
			if (column_info(in, rel, col, &ci, err) < 0)
				return -1;
			if (ci.exists && ci.not_null)
				inv(in, u, 0, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", rel,
				    sql_ident(a, col));
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIndexConstraint:
			/* the names PostgreSQL gives come out in after() */
			pend->table_regclass = rel;
			if (undo_using_index(in, as->relation, ast_constraint(cmd->def), u, pend,
					     err) < 0)
				return -1;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint: {
			struct driver_rows rows;
			const char *p[] = {rel, col};
			if (qrows(in, &rows, err,
				  "SELECT pg_get_constraintdef(oid), contype, convalidated "
				  "FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname "
				  "= $2",
				  2, p) < 0)
				return -1;
			if (rows.n_rows == 0)
				break;
			const char *def = driver_rows_get(&rows, 0, 0);
			const char *type = driver_rows_get(&rows, 0, 1);
			bool validated = strcmp(driver_rows_get(&rows, 0, 2), "t") == 0;
			/* checks and foreign keys come back without a blocking scan */
			if ((*type == 'c' || *type == 'f') && validated) {
				inv(in, u, 0, "ALTER TABLE %s ADD CONSTRAINT %s %s NOT VALID", rel,
				    sql_ident(a, col), def);
				inv(in, u, STEP_OWN_TRANSACTION,
				    "ALTER TABLE %s VALIDATE CONSTRAINT %s", rel,
				    sql_ident(a, col));
			} else {
				inv(in, u, 0, "ALTER TABLE %s ADD CONSTRAINT %s %s", rel,
				    sql_ident(a, col), def);
			}
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
			break; /* validating changes no schema */
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
			inv(in, u, 0, "ALTER TABLE %s SET UNLOGGED", rel);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
			inv(in, u, 0, "ALTER TABLE %s SET LOGGED", rel);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
			inv(in, u, 0, "ALTER TABLE %s DISABLE TRIGGER %s", rel, sql_ident(a, col));
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
			inv(in, u, 0, "ALTER TABLE %s ENABLE TRIGGER %s", rel, sql_ident(a, col));
			break;
		default:
			return irreversible(in, err, "this ALTER TABLE action has no derived undo");
		}
	}
	for (size_t i = as->n_cmds; i-- > 0;)
		step_list_append(a, block, &undo[i]);
	return 0;
}

/* ---- DROP ---- */

static int drop_table(const struct inverse_input *in, const PgQuery__DropStmt *ds,
		      const PgQuery__Node *obj, struct step_list *replace, struct step_list *block,
		      struct mg_error *err)
{
	struct arena *a = in->arena;
	const char *schema, *name;
	ast_object_name(obj, &schema, &name);
	const char *rel = schema
			      ? arena_printf(a, "%s.%s", sql_ident(a, schema), sql_ident(a, name))
			      : sql_ident(a, name);
	struct driver_rows rows;
	const char *p[] = {rel};
	if (qrows(in, &rows, err,
		  "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
		  "ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', "
		  "'p')",
		  1, p) < 0)
		return -1;
	if (rows.n_rows == 0) {
		if (!ds->missing_ok)
			inv(in, replace, 0, "DROP TABLE %s",
			    rel); /* fails with PostgreSQL's word */
		return 0;
	}
	const char *nsp = sql_ident(a, driver_rows_get(&rows, 0, 0));
	const char *source = arena_printf(a, "%s.%s", driver_rows_get(&rows, 0, 0), name);
	const char *tname;
	if (trash_name_for(in, pg_trash_name(a, in->migration->version, name, NULL), source, &tname,
			   err) < 0)
		return -1;
	/* contract never destroys data: the table moves aside, revert moves it back */
	inv(in, replace, 0, "CREATE SCHEMA IF NOT EXISTS " TRASH_SCHEMA);
	inv(in, replace, 0, "DROP TABLE IF EXISTS " TRASH_SCHEMA ".%s", sql_ident(a, tname));
	/*
	 * Its indexes and owned sequences move with it, and their names are unique
	 * per schema: another table's dropped in the same schema (or one dropped
	 * earlier under the same name) would have a users_pkey too. They go under
	 * names made from the trash name, and come back under their own.
	 */
	struct driver_rows moved;
	if (qrows(in, &moved, err,
		  "SELECT c.relname, CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'INDEX' END "
		  "FROM pg_class c WHERE c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid "
		  "= to_regclass($1)) OR (c.relkind = 'S' AND c.oid IN (SELECT objid FROM "
		  "pg_depend WHERE classid = 'pg_class'::regclass AND refobjid = to_regclass($1) "
		  "AND deptype IN ('a', 'i'))) ORDER BY 1",
		  1, p) < 0)
		return -1;
	struct step_list back = {0};
	for (size_t i = 0; i < moved.n_rows; i++) {
		const char *own = driver_rows_get(&moved, i, 0),
			   *what = driver_rows_get(&moved, i, 1);
		const char *aside = names_make(a, "%s_%s", tname, own);
		inv(in, replace, 0, "ALTER %s %s.%s RENAME TO %s", what, nsp, sql_ident(a, own),
		    sql_ident(a, aside));
		inv(in, &back, 0, "ALTER %s %s.%s RENAME TO %s", what, nsp, sql_ident(a, aside),
		    sql_ident(a, own));
	}
	inv(in, replace, 0, "ALTER TABLE %s RENAME TO %s", rel, sql_ident(a, tname));
	inv(in, replace, 0, "ALTER TABLE %s.%s SET SCHEMA " TRASH_SCHEMA, nsp, sql_ident(a, tname));
	trash_register(in, replace, tname, "table", source);

	inv(in, block, 0, "ALTER TABLE " TRASH_SCHEMA ".%s SET SCHEMA %s", sql_ident(a, tname),
	    nsp);
	inv(in, block, 0, "ALTER TABLE %s.%s RENAME TO %s", nsp, sql_ident(a, tname),
	    sql_ident(a, name));
	step_list_append(a, block, &back);
	trash_unregister(in, block, tname);
	return 0;
}

static int drop_stmt(const struct inverse_input *in, const PgQuery__DropStmt *ds,
		     struct step_list *replace, bool *replaced, struct step_list *block,
		     struct mg_error *err)
{
	struct arena *a = in->arena;
	if (ds->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
		return irreversible(in, err, "CASCADE drops objects that cannot be listed ahead");
	struct step_list *undo = arena_alloc(a, sizeof(*undo) * (ds->n_objects + 1));
	for (size_t i = 0; i < ds->n_objects; i++) {
		const char *schema, *name;
		ast_object_name(ds->objects[i], &schema, &name);
		if (!name)
			return irreversible(in, err, "the dropped object has no name");
		const char *qname =
		    schema ? arena_printf(a, "%s.%s", sql_ident(a, schema), sql_ident(a, name))
			   : sql_ident(a, name);
		const char *p[] = {qname};
		const char *def = NULL;
		switch (ds->remove_type) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
			*replaced = true;
			if (drop_table(in, ds, ds->objects[i], replace, &undo[i], err) < 0)
				return -1;
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
			if (q1(in, &def, err, "SELECT pg_get_indexdef(to_regclass($1))", 1, p) < 0)
				return -1;
			if (def && ds->concurrent) {
				/* rebuild it the way it went: without blocking writes */
				struct sql_section sec;
				struct mg_error perr = MG_ERROR_INIT;
				if (sql_parse_string(a, def, &sec, &perr) == 0 &&
				    sec.n_stmts == 1 &&
				    sec.stmts[0].node->node_case ==
					PG_QUERY__NODE__NODE_INDEX_STMT) {
					sec.stmts[0].node->index_stmt->concurrent = 1;
					const char *cdef = sql_deparse_node(a, sec.stmts[0].node);
					if (cdef)
						def = cdef;
				}
				inv(in, &undo[i], STEP_NO_TRANSACTION, "%s", def);
			} else if (def) {
				inv(in, &undo[i], 0, "%s", def);
			}
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
			if (q1(in, &def, err, "SELECT pg_get_viewdef(to_regclass($1), true)", 1,
			       p) < 0)
				return -1;
			if (def)
				inv(in, &undo[i], 0, "CREATE %sVIEW %s AS %s",
				    ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW
					? "MATERIALIZED "
					: "",
				    qname, def);
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
		case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE: {
			struct driver_rows rows;
			const char *pp[] = {name, schema};
			if (qrows(in, &rows, err,
				  "SELECT pg_get_functiondef(p.oid), obj_description(p.oid, "
				  "'pg_proc'), format('%I.%I(%s)', (SELECT n.nspname FROM "
				  "pg_namespace n WHERE n.oid = p.pronamespace), p.proname, "
				  "pg_get_function_identity_arguments(p.oid)) FROM "
				  "pg_proc p WHERE p.proname = $1 AND ($2::text IS NULL OR "
				  "p.pronamespace = to_regnamespace(quote_ident($2))::oid) "
				  "AND p.pronamespace <> 'pg_catalog'::regnamespace",
				  2, pp) < 0)
				return -1;
			if (rows.n_rows > 1)
				return irreversible(in, err, "the function is overloaded");
			if (rows.n_rows == 1)
				inv(in, &undo[i], 0, "%s", driver_rows_get(&rows, 0, 0));
			/* its comment too: the planner's functions record names in theirs */
			if (rows.n_rows == 1 && driver_rows_get(&rows, 0, 1))
				inv(in, &undo[i], 0, "COMMENT ON %s %s IS %s",
				    ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION
					? "FUNCTION"
					: "PROCEDURE",
				    driver_rows_get(&rows, 0, 2),
				    sql_literal(a, driver_rows_get(&rows, 0, 1)));
			break;
		}
		case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
			if (q1(in, &def, err,
			       "SELECT 'CREATE TYPE ' || $1 || ' AS ENUM (' || "
			       "string_agg(quote_literal(e.enumlabel), ', ' ORDER BY "
			       "e.enumsortorder) "
			       "|| ')' FROM pg_enum e WHERE e.enumtypid = to_regtype($1)",
			       1, p) < 0)
				return -1;
			if (!def) {
				const char *t;
				if (q1(in, &t, err, "SELECT to_regtype($1)::text", 1, p) < 0)
					return -1;
				if (t)
					return irreversible(in, err,
							    "only enum types are recreated");
			} else {
				inv(in, &undo[i], 0, "%s", def);
			}
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
			if (q1(in, &def, err, "SELECT to_regnamespace($1)::text", 1, p) < 0)
				return -1;
			if (def)
				inv(in, &undo[i], 0, "CREATE SCHEMA %s", qname);
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION:
			inv(in, &undo[i], 0, "CREATE EXTENSION IF NOT EXISTS %s",
			    sql_ident(a, name));
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER: {
			/* the object is (schema.)table.trigger */
			const PgQuery__Node *o = ds->objects[i];
			if (o->node_case != PG_QUERY__NODE__NODE_LIST || o->list->n_items < 2)
				return irreversible(in, err, "cannot read the trigger's table");
			struct arena *aa = a;
			const char *tbl = "";
			for (size_t k = 0; k + 1 < o->list->n_items; k++)
				tbl = arena_printf(aa, "%s%s%s", tbl, k ? "." : "",
						   sql_ident(aa, ast_string(o->list->items[k])));
			const char *pp[] = {tbl, name};
			if (q1(in, &def, err,
			       "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
			       "WHERE tgrelid = to_regclass($1) AND tgname = $2",
			       2, pp) < 0)
				return -1;
			if (def)
				inv(in, &undo[i], 0, "%s", def);
			break;
		}
		default:
			return irreversible(in, err, "this kind of object is not recreated");
		}
	}
	for (size_t i = ds->n_objects; i-- > 0;)
		step_list_append(a, block, &undo[i]);
	return 0;
}

/* ---- RENAME, COMMENT: the same statement, turned around ---- */

static int rename_stmt(const struct inverse_input *in, const PgQuery__RenameStmt *rs,
		       struct step_list *block, struct mg_error *err)
{
	struct arena *a = in->arena;
	PgQuery__RenameStmt copy = *rs;
	PgQuery__RangeVar rv;
	PgQuery__Node node = PG_QUERY__NODE__INIT;
	node.node_case = PG_QUERY__NODE__NODE_RENAME_STMT;
	node.rename_stmt = &copy;
	switch (rs->rename_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		if (!rs->relation)
			return irreversible(in, err, "cannot read the renamed relation");
		rv = *rs->relation;
		rv.relname = rs->newname;
		copy.relation = &rv;
		copy.newname = rs->relation->relname;
		copy.missing_ok = 0;
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
	case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		copy.subname = rs->newname;
		copy.newname = rs->subname;
		copy.missing_ok = 0;
		break;
	default:
		return irreversible(in, err, "this kind of rename is not turned around");
	}
	const char *sql = sql_deparse_node(a, &node);
	if (!sql)
		return irreversible(in, err, "cannot write the reverse rename");
	inv(in, block, 0, "%s", sql);
	return 0;
}

static int comment_stmt(const struct inverse_input *in, const PgQuery__CommentStmt *cs,
			struct step_list *block, struct mg_error *err)
{
	struct arena *a = in->arena;
	const char *prev = NULL;
	const PgQuery__Node *o = cs->object;
	const char *schema = NULL, *name = NULL;
	ast_object_name(o, &schema, &name);
	if (!name)
		return irreversible(in, err, "cannot read the commented object");
	const char *qname = schema
				? arena_printf(a, "%s.%s", sql_ident(a, schema), sql_ident(a, name))
				: sql_ident(a, name);
	switch (cs->objtype) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE: {
		const char *p[] = {qname};
		if (q1(in, &prev, err, "SELECT obj_description(to_regclass($1), 'pg_class')", 1,
		       p) < 0)
			return -1;
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN: {
		/* (schema.)table.column */
		if (o->node_case != PG_QUERY__NODE__NODE_LIST || o->list->n_items < 2)
			return irreversible(in, err, "cannot read the commented column");
		const char *tbl = "";
		for (size_t k = 0; k + 1 < o->list->n_items; k++)
			tbl = arena_printf(a, "%s%s%s", tbl, k ? "." : "",
					   sql_ident(a, ast_string(o->list->items[k])));
		const char *p[] = {tbl, name};
		if (q1(in, &prev, err,
		       "SELECT col_description(a.attrelid, a.attnum) FROM pg_attribute a "
		       "WHERE a.attrelid = to_regclass($1) AND a.attname = $2",
		       2, p) < 0)
			return -1;
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA: {
		const char *p[] = {qname};
		if (q1(in, &prev, err,
		       "SELECT obj_description(to_regnamespace($1), 'pg_namespace')", 1, p) < 0)
			return -1;
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN: {
		const char *p[] = {qname};
		if (q1(in, &prev, err, "SELECT obj_description(to_regtype($1), 'pg_type')", 1, p) <
		    0)
			return -1;
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE: {
		struct driver_rows rows;
		const char *p[] = {name, schema};
		if (qrows(in, &rows, err,
			  "SELECT obj_description(p.oid, 'pg_proc') FROM pg_proc p "
			  "WHERE p.proname = $1 AND ($2::text IS NULL OR "
			  "p.pronamespace = to_regnamespace(quote_ident($2))::oid)",
			  2, p) < 0)
			return -1;
		if (rows.n_rows > 1)
			return irreversible(in, err, "the function is overloaded");
		prev = driver_rows_get(&rows, 0, 0);
		break;
	}
	default:
		return irreversible(in, err, "comments on this kind of object are not restored");
	}
	PgQuery__CommentStmt copy = *cs;
	/* an empty comment removes it, as NULL does */
	copy.comment = (char *)(prev ? prev : "");
	PgQuery__Node node = PG_QUERY__NODE__INIT;
	node.node_case = PG_QUERY__NODE__NODE_COMMENT_STMT;
	node.comment_stmt = &copy;
	const char *sql = sql_deparse_node(a, &node);
	if (!sql)
		return irreversible(in, err, "cannot write the previous comment back");
	inv(in, block, 0, "%s", sql);
	return 0;
}

/* ---- CREATE ---- */

static const char *name_list(struct arena *a, PgQuery__Node *const *names, size_t n)
{
	const char *out = "";
	for (size_t i = 0; i < n; i++)
		out = arena_printf(a, "%s%s%s", out, i ? "." : "",
				   sql_ident(a, ast_string(names[i])));
	return out;
}

/* An expression column's part of the name, as PostgreSQL's FigureIndexColname
 * gives it: lower(b) is "lower" */
static const char *index_expr_name(const PgQuery__Node *x)
{
	while (x && x->node_case == PG_QUERY__NODE__NODE_TYPE_CAST && x->type_cast->arg)
		x = x->type_cast->arg;
	if (x && x->node_case == PG_QUERY__NODE__NODE_FUNC_CALL && x->func_call->n_funcname)
		return ast_last_name(x->func_call->funcname, x->func_call->n_funcname);
	if (x && x->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && x->column_ref->n_fields)
		return ast_last_name(x->column_ref->fields, x->column_ref->n_fields);
	return NULL;
}

const char *pg_choose_index_name(struct driver *d, struct arena *a, const PgQuery__IndexStmt *is,
				 bool resuming, struct mg_error *err)
{
	const char *cols = "";
	for (size_t i = 0; i < is->n_index_params; i++) {
		const PgQuery__Node *e = is->index_params[i];
		const char *c = e->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM &&
					e->index_elem->name && *e->index_elem->name
				    ? e->index_elem->name
				    : NULL;
		if (!c && e->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM)
			c = index_expr_name(e->index_elem->expr);
		if (!c || !*c)
			c = "expr";
		cols = arena_printf(a, "%s%s%s", cols, i ? "_" : "", c);
	}
	for (int n = 0; n < 1000; n++) {
		char suffix[16];
		snprintf(suffix, sizeof(suffix), n ? "idx%d" : "idx", n);
		/* as PostgreSQL names it: the label whole, the two names cut to fit */
		const char *name = names_pg_object(a, is->relation->relname, cols, suffix);
		const char *qualified =
		    is->relation->schemaname && *is->relation->schemaname
			? arena_printf(a, "%s.%s", sql_ident(a, is->relation->schemaname),
				       sql_ident(a, name))
			: sql_ident(a, name);
		const char *p[] = {qualified};
		struct driver_rows rows;
		if (d->ops->query(d, a, "SELECT to_regclass($1)::text", 1, p, &rows, err) < 0)
			return NULL;
		/* resuming, the first name taken is the one the interrupted run chose */
		if (!driver_rows_get(&rows, 0, 0) || resuming)
			return name;
	}
	mg_error_set(err, 2, "cannot find a free name for an index on '%s'", is->relation->relname);
	return NULL;
}

static int create_stmt(const struct inverse_input *in, const PgQuery__Node *stmt,
		       struct step_list *block, struct pending *pend, struct mg_error *err)
{
	struct arena *a = in->arena;
	const char *exists = NULL;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT: {
		const PgQuery__CreateStmt *cs = stmt->create_stmt;
		const char *rel = sql_rangevar(a, cs->relation);
		const char *p[] = {rel};
		if (q1(in, &exists, err, "SELECT to_regclass($1)::text", 1, p) < 0)
			return -1;
		if (!exists || !cs->if_not_exists)
			inv(in, block, 0, "DROP TABLE %s", rel);
		return 0;
	}
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
		const PgQuery__CreateTableAsStmt *cs = stmt->create_table_as_stmt;
		if (!cs->into || !cs->into->rel)
			return irreversible(in, err, "cannot read the created relation");
		inv(in, block, 0, "DROP %s %s",
		    cs->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW ? "MATERIALIZED VIEW"
									 : "TABLE",
		    sql_rangevar(a, cs->into->rel));
		return 0;
	}
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *is = stmt->index_stmt;
		unsigned fl = is->concurrent ? STEP_NO_TRANSACTION : 0;
		const char *rel = sql_rangevar(a, is->relation);
		if (is->concurrent && !(is->idxname && *is->idxname)) {
			/*
			 * An unnamed concurrent build gets its name here, the way PostgreSQL
			 * would choose it: an interrupted run then recognises its own index
			 * on resume instead of building a second one.
			 */
			PgQuery__IndexStmt *named = arena_alloc(a, sizeof(*named));
			*named = *is;
			named->idxname = (char *)pg_choose_index_name(in->driver, in->arena, is,
								      in->resuming, err);
			if (!named->idxname)
				return -1;
			PgQuery__Node n = PG_QUERY__NODE__INIT;
			n.node_case = PG_QUERY__NODE__NODE_INDEX_STMT;
			n.index_stmt = named;
			pend->forward_sql = sql_deparse_node(a, &n);
			is = named;
		}
		if (is->idxname && *is->idxname) {
			const char *qi = index_name(a, is);
			const char *p[] = {qi};
			if (q1(in, &exists, err, "SELECT to_regclass($1)::text", 1, p) < 0)
				return -1;
			if (exists && is->if_not_exists)
				return 0;
			if (exists && in->resuming) {
				/* interrupted before the history recorded it: finish or redo it */
				const char *valid;
				if (q1(in, &valid, err,
				       "SELECT indisvalid::text FROM pg_index WHERE indexrelid = "
				       "to_regclass($1)",
				       1, p) < 0)
					return -1;
				if (valid && strcmp(valid, "true") == 0)
					pend->skip_statement = true;
				else
					inv(in, &pend->cleanup, STEP_NO_TRANSACTION,
					    "DROP INDEX CONCURRENTLY IF EXISTS %s", qi);
			}
			inv(in, block, fl, "DROP INDEX %sIF EXISTS %s",
			    is->concurrent ? "CONCURRENTLY " : "", qi);
			return 0;
		}
		/* unnamed: the name PostgreSQL picks is read in after() */
		pend->table_regclass = rel;
		pend->index_drop_flags = fl | 0x100;
		return 0;
	}
	case PG_QUERY__NODE__NODE_VIEW_STMT: {
		const PgQuery__ViewStmt *vs = stmt->view_stmt;
		const char *rel = sql_rangevar(a, vs->view);
		const char *p[] = {rel};
		if (vs->replace &&
		    q1(in, &exists, err, "SELECT pg_get_viewdef(to_regclass($1), true)", 1, p) < 0)
			return -1;
		if (exists) {
			inv(in, block, 0, "CREATE OR REPLACE VIEW %s AS %s", rel, exists);
			/* after() drops it first if columns were added: REPLACE cannot remove them
			 */
			pend->view_regclass = rel;
			if (q1(in, &pend->view_columns_before, err,
			       "SELECT count(*)::text FROM pg_attribute WHERE attrelid = "
			       "to_regclass($1) AND attnum > 0 AND NOT attisdropped",
			       1, p) < 0)
				return -1;
		} else {
			inv(in, block, 0, "DROP VIEW %s", rel);
		}
		return 0;
	}
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT: {
		const PgQuery__CreateFunctionStmt *fs = stmt->create_function_stmt;
		const char *schema, *name;
		ast_qualified_name(fs->funcname, fs->n_funcname, &schema, &name);
		struct driver_rows rows;
		const char *p[] = {name, schema};
		if (qrows(in, &rows, err,
			  "SELECT p.oid::text, pg_get_functiondef(p.oid) FROM pg_proc p "
			  "WHERE p.proname = $1 AND p.pronamespace = "
			  "coalesce(to_regnamespace(quote_ident($2)), "
			  "current_schema()::regnamespace)::oid",
			  2, p) < 0)
			return -1;
		const char *oids = "{";
		for (size_t i = 0; i < rows.n_rows; i++)
			oids = arena_printf(a, "%s%s%s", oids, i ? "," : "",
					    driver_rows_get(&rows, i, 0));
		pend->function_name = name;
		pend->function_schema = schema;
		pend->functions_before = arena_printf(a, "%s}", oids);
		if (fs->replace && rows.n_rows == 1) {
			/* a replaced function comes back as it was; a new overload is dropped */
			inv(in, block, 0, "%s", driver_rows_get(&rows, 0, 1));
			pend->function_name = NULL;
		}
		return 0;
	}
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
		inv(in, block, 0, "DROP TYPE %s",
		    name_list(a, stmt->create_enum_stmt->type_name,
			      stmt->create_enum_stmt->n_type_name));
		return 0;
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		inv(in, block, 0, "DROP TYPE %s",
		    sql_rangevar(a, stmt->composite_type_stmt->typevar));
		return 0;
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		inv(in, block, 0, "DROP DOMAIN %s",
		    name_list(a, stmt->create_domain_stmt->domainname,
			      stmt->create_domain_stmt->n_domainname));
		return 0;
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT: {
		const PgQuery__CreateSchemaStmt *ss = stmt->create_schema_stmt;
		const char *p[] = {ss->schemaname};
		if (q1(in, &exists, err, "SELECT to_regnamespace(quote_ident($1))::text", 1, p) < 0)
			return -1;
		if (!exists)
			inv(in, block, 0, "DROP SCHEMA %s", sql_ident(a, ss->schemaname));
		return 0;
	}
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT: {
		const PgQuery__CreateSeqStmt *ss = stmt->create_seq_stmt;
		const char *rel = sql_rangevar(a, ss->sequence);
		const char *p[] = {rel};
		if (q1(in, &exists, err, "SELECT to_regclass($1)::text", 1, p) < 0)
			return -1;
		if (!exists)
			inv(in, block, 0, "DROP SEQUENCE %s", rel);
		return 0;
	}
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT: {
		const PgQuery__CreateExtensionStmt *es = stmt->create_extension_stmt;
		const char *p[] = {es->extname};
		if (q1(in, &exists, err, "SELECT extname FROM pg_extension WHERE extname = $1", 1,
		       p) < 0)
			return -1;
		if (!exists)
			inv(in, block, 0, "DROP EXTENSION %s", sql_ident(a, es->extname));
		return 0;
	}
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT: {
		const PgQuery__CreatePolicyStmt *ps = stmt->create_policy_stmt;
		inv(in, block, 0, "DROP POLICY IF EXISTS %s ON %s", sql_ident(a, ps->policy_name),
		    sql_rangevar(a, ps->table));
		return 0;
	}
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT: {
		const PgQuery__CreateTrigStmt *ts = stmt->create_trig_stmt;
		const char *rel = sql_rangevar(a, ts->relation);
		const char *p[] = {rel, ts->trigname};
		if (ts->replace && q1(in, &exists, err,
				      "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
				      "WHERE tgrelid = to_regclass($1) AND tgname = $2",
				      2, p) < 0)
			return -1;
		if (exists)
			inv(in, block, 0, "%s", exists);
		else
			inv(in, block, 0, "DROP TRIGGER %s ON %s", sql_ident(a, ts->trigname), rel);
		return 0;
	}
	default:
		return irreversible(in, err, "this statement has no derived undo");
	}
}

static int alter_enum(const struct inverse_input *in, const PgQuery__AlterEnumStmt *es,
		      struct step_list *block, struct pending *pend, struct mg_error *err)
{
	(void)err;
	/*
	 * ADD VALUE: PostgreSQL cannot remove a value, and the code reverted to
	 * never uses it, so revert leaves it in place and says so (a STEP_NOTE,
	 * nothing run). Applied again after such a revert, the value is there
	 * already: the statement runs as ADD VALUE IF NOT EXISTS.
	 */
	if (!es->old_val || !*es->old_val) {
		inv(in, block, STEP_NOTE,
		    "leaves enum value %s in type %s: PostgreSQL cannot drop an enum value; "
		    "harmless, the code reverted to does not use it",
		    sql_literal(in->arena, es->new_val),
		    name_list(in->arena, es->type_name, es->n_type_name));
		if (!es->skip_if_new_val_exists) {
			PgQuery__AlterEnumStmt *again = arena_alloc(in->arena, sizeof(*again));
			*again = *es;
			again->skip_if_new_val_exists = true;
			PgQuery__Node n = PG_QUERY__NODE__INIT;
			n.node_case = PG_QUERY__NODE__NODE_ALTER_ENUM_STMT;
			n.alter_enum_stmt = again;
			pend->forward_sql = sql_deparse_node(in->arena, &n);
		}
		return 0;
	}
	inv(in, block, 0, "ALTER TYPE %s RENAME VALUE %s TO %s",
	    name_list(in->arena, es->type_name, es->n_type_name),
	    sql_literal(in->arena, es->new_val), sql_literal(in->arena, es->old_val));
	return 0;
}

/*
 * ALTER SEQUENCE: the undo sets every parameter back as it was (type,
 * bounds, increment, start, cache, cycle, owner), and the position too when
 * the statement restarts it.
 */
static int alter_sequence(const struct inverse_input *in, const PgQuery__AlterSeqStmt *ss,
			  struct step_list *block, struct mg_error *err)
{
	struct arena *a = in->arena;
	if (ss->for_identity)
		return irreversible(in, err, "an identity's sequence is undone with its column");
	const char *seq = sql_rangevar(a, ss->sequence);
	struct driver_rows rows;
	const char *p[] = {seq};
	if (qrows(
		in, &rows, err,
		"SELECT format('AS %s INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s "
		"CACHE %s %s OWNED BY %s', s.seqtypid::regtype, s.seqincrement, s.seqmin, "
		"s.seqmax, s.seqstart, s.seqcache, CASE WHEN s.seqcycle THEN 'CYCLE' ELSE "
		"'NO CYCLE' END, coalesce((SELECT format('%s.%I', d.refobjid::regclass, "
		"t.attname) FROM pg_depend d JOIN pg_attribute t ON t.attrelid = d.refobjid "
		"AND t.attnum = d.refobjsubid WHERE d.classid = 'pg_class'::regclass AND "
		"d.objid = s.seqrelid AND d.refclassid = 'pg_class'::regclass AND d.deptype "
		"= 'a'), 'NONE')), format('SELECT setval(%L, %s, %s)', s.seqrelid::regclass, "
		"q.last_value, q.is_called::text) FROM pg_sequence s, LATERAL (SELECT coalesce("
		"l.last_value, s.seqstart) AS last_value, l.last_value IS NOT NULL AS is_called "
		"FROM pg_sequences l WHERE format('%I.%I', l.schemaname, l.sequencename)::regclass "
		"= s.seqrelid) q WHERE s.seqrelid = to_regclass($1)",
		1, p) < 0)
		return -1;
	if (rows.n_rows == 0)
		return 0; /* IF EXISTS of nothing, or PostgreSQL's own error */
	for (size_t i = 0; i < ss->n_options; i++) {
		const PgQuery__Node *o = ss->options[i];
		if (o->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		    strcmp(o->def_elem->defname, "restart") == 0)
			inv(in, block, 0, "%s", driver_rows_get(&rows, 0, 1));
	}
	inv(in, block, 0, "ALTER SEQUENCE %s %s", seq, driver_rows_get(&rows, 0, 0));
	return 0;
}

int inverse_pg_before(const struct inverse_input *in, struct inverse_result *ret,
		      struct mg_error *err)
{
	memset(ret, 0, sizeof(*ret));
	struct arena *a = in->arena;
	struct pending *pend = arena_alloc(a, sizeof(*pend));
	ret->pending = pend;
	struct step_list pre = {0}, replace = {0};
	struct step_list *block = arena_alloc(a, sizeof(*block));
	bool replaced = false;
	const PgQuery__Node *stmt = in->stmt->node;
	int rc = 0;

	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		rc = alter_table(in, stmt->alter_table_stmt, &pre, block, pend, err);
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		rc = drop_stmt(in, stmt->drop_stmt, &replace, &replaced, block, err);
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		rc = rename_stmt(in, stmt->rename_stmt, block, err);
		break;
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
		rc = comment_stmt(in, stmt->comment_stmt, block, err);
		break;
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
		rc = alter_enum(in, stmt->alter_enum_stmt, block, pend, err);
		break;
	case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
		rc = alter_sequence(in, stmt->alter_seq_stmt, block, err);
		break;
	case PG_QUERY__NODE__NODE_SELECT_STMT:
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
	case PG_QUERY__NODE__NODE_INSERT_STMT:
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
	case PG_QUERY__NODE__NODE_DELETE_STMT:
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
		/* lint's `irreversible` rule already refused data changes it cannot undo */
		break;
	default:
		rc = create_stmt(in, stmt, block, pend, err);
		break;
	}
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < pend->cleanup.n; i++)
		step_list_add(a, &ret->forward, pend->cleanup.items[i].sql,
			      pend->cleanup.items[i].flags, NULL, 0, 0);
	step_list_append(a, &ret->forward, &pre);
	if (pend->skip_statement) {
		/* nothing to run: the interrupted run got this far */
	} else if (replaced) {
		step_list_append(a, &ret->forward, &replace);
	} else {
		step_list_add(a, &ret->forward, pend->forward_sql ? pend->forward_sql : in->sql,
			      in->flags, in->stmt->migration->path, in->stmt->line,
			      in->stmt->column);
	}

	/* remember names a diff in after() will tell apart */
	if (pend->table_regclass) {
		const char *p[] = {pend->table_regclass};
		if (q1(in, &pend->constraints_before, err,
		       "SELECT coalesce(array_agg(conname)::text, '{}') FROM pg_constraint "
		       "WHERE conrelid = to_regclass($1)",
		       1, p) < 0 ||
		    q1(in, &pend->indexes_before, err,
		       "SELECT coalesce(array_agg(indexrelid::regclass::text)::text, '{}') "
		       "FROM pg_index WHERE indrelid = to_regclass($1)",
		       1, p) < 0)
			return -1;
	}
	pend->inverse_tail = block;
	ret->inverse = *block;
	return 0;
}

int inverse_pg_after(const struct inverse_input *in, struct inverse_result *ret,
		     struct mg_error *err)
{
	struct arena *a = in->arena;
	struct pending *pend = ret->pending;
	struct step_list block = pend->undo_first;
	if (pend->table_regclass && pend->constraints_before) {
		struct driver_rows rows;
		const char *p[] = {pend->table_regclass, pend->constraints_before,
				   pend->indexes_before};
		if (qrows(in, &rows, err,
			  "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass($1) "
			  "AND NOT (conname = ANY ($2::text[])) ORDER BY oid DESC",
			  2, p) < 0)
			return -1;
		for (size_t i = 0; i < rows.n_rows; i++)
			inv(in, &block, 0, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s",
			    pend->table_regclass, sql_ident(a, driver_rows_get(&rows, i, 0)));
		if (pend->index_drop_flags) {
			const char *p3[] = {pend->table_regclass, pend->indexes_before};
			if (qrows(in, &rows, err,
				  "SELECT indexrelid::regclass::text FROM pg_index "
				  "WHERE indrelid = to_regclass($1) "
				  "AND NOT (indexrelid::regclass::text = ANY ($2::text[]))",
				  2, p3) < 0)
				return -1;
			unsigned fl = pend->index_drop_flags & ~0x100u;
			for (size_t i = 0; i < rows.n_rows; i++)
				inv(in, &block, fl, "DROP INDEX %sIF EXISTS %s",
				    fl ? "CONCURRENTLY " : "",
				    driver_rows_get(&rows, i, 0) ? driver_rows_get(&rows, i, 0)
								 : "");
		}
	}
	if (pend->function_name) {
		struct driver_rows rows;
		const char *p[] = {pend->function_name, pend->function_schema,
				   pend->functions_before};
		if (qrows(in, &rows, err,
			  "SELECT p.oid::regprocedure::text, p.prokind FROM pg_proc p "
			  "WHERE p.proname = $1 AND p.pronamespace = "
			  "coalesce(to_regnamespace(quote_ident($2)), "
			  "current_schema()::regnamespace)::oid AND NOT (p.oid = ANY ($3::oid[]))",
			  3, p) < 0)
			return -1;
		for (size_t i = 0; i < rows.n_rows; i++)
			inv(in, &block, 0, "DROP %s %s",
			    strcmp(driver_rows_get(&rows, i, 1), "p") == 0 ? "PROCEDURE"
									   : "FUNCTION",
			    driver_rows_get(&rows, i, 0));
	}
	if (pend->view_regclass) {
		const char *now;
		const char *p[] = {pend->view_regclass};
		if (q1(in, &now, err,
		       "SELECT count(*)::text FROM pg_attribute WHERE attrelid = to_regclass($1) "
		       "AND attnum > 0 AND NOT attisdropped",
		       1, p) < 0)
			return -1;
		if (now && pend->view_columns_before && atoi(now) > atoi(pend->view_columns_before))
			inv(in, &block, 0, "DROP VIEW %s", pend->view_regclass);
	}
	step_list_append(a, &block, pend->inverse_tail);
	ret->inverse = block;
	return 0;
}

void inverse_pg_statement_failed(const struct inverse_input *in)
{
	const PgQuery__Node *stmt = in->stmt->node;
	if (stmt->node_case != PG_QUERY__NODE__NODE_INDEX_STMT)
		return;
	const PgQuery__IndexStmt *is = stmt->index_stmt;
	if (!is->concurrent || !is->idxname || !*is->idxname)
		return;
	struct mg_error ignore = MG_ERROR_INIT;
	const char *qi = index_name(in->arena, is);
	const char *p[] = {qi};
	const char *invalid;
	if (q1(in, &invalid, &ignore,
	       "SELECT 1 FROM pg_index WHERE indexrelid = to_regclass($1) AND NOT indisvalid", 1,
	       p) == 0 &&
	    invalid) {
		struct step drop = {
		    .sql = arena_printf(in->arena, "DROP INDEX CONCURRENTLY IF EXISTS %s", qi),
		    .flags = STEP_NO_TRANSACTION};
		in->driver->ops->exec(in->driver, &drop, &ignore);
	}
}
