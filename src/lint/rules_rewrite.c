#include <string.h>

#include "lint/pg_release.h"
#include "lint/rules.h"
#include "sql/ast.h"

/*
 * Statements that rewrite (or hold) a whole table under an ACCESS EXCLUSIVE
 * lock: every query on the table waits until the rewrite ends. A table
 * created earlier in the same migration is used by no running app version.
 */

/* The ALTER TABLE of a table that existed before this migration, or NULL. */
static const PgQuery__AlterTableStmt *alter_existing_table(const struct lint_ctx *ctx,
							   const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return NULL;
	const PgQuery__AlterTableStmt *as = stmt->alter_table_stmt;
	if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || !as->relation ||
	    lint_table_is_new(ctx, as->relation))
		return NULL;
	return as;
}

/* The column an ADD COLUMN command adds, or NULL for any other command. */
static const PgQuery__ColumnDef *added_column(const PgQuery__Node *n)
{
	const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(n);
	if (!cmd || cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn || !cmd->def ||
	    cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return NULL;
	return cmd->def->column_def;
}

static const PgQuery__Constraint *column_constraint(const PgQuery__ColumnDef *cd,
						    PgQuery__ConstrType type)
{
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *k = ast_constraint(cd->constraints[i]);
		if (k && k->contype == type)
			return k;
	}
	return NULL;
}

static const char *in_list(const char *name, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(name, list[i]) == 0)
			return list[i];
	return NULL;
}

/*
 * Since PostgreSQL 11, ADD COLUMN evaluates a non-volatile DEFAULT once and
 * stores it in the catalogue; a volatile one must be computed per row, which
 * rewrites the table. These run once per statement (stable) or always give
 * the same answer (immutable).
 */
static const char *const non_volatile_functions[] = {
    /* time, fixed for the transaction */
    "now", "transaction_timestamp", "statement_timestamp", "current_timestamp", "localtimestamp",
    "current_date", "current_time", "localtime", "timezone", "date_trunc", "date_part", "extract",
    "make_date", "make_time", "make_timestamp", "make_timestamptz", "make_interval", "to_timestamp",
    "to_date", "to_char", "to_number", "age",
    /* session */
    "current_setting", "current_database", "current_schema", "current_user", "session_user",
    "version",
    /* text */
    "lower", "upper", "initcap", "btrim", "ltrim", "rtrim", "length", "char_length", "concat",
    "concat_ws", "substr", "substring", "replace", "left", "right", "lpad", "rpad", "repeat", "md5",
    "format", "split_part", "translate", "encode", "decode", "sha256",
    /* numbers */
    "abs", "round", "floor", "ceil", "ceiling", "trunc", "power", "sqrt", "mod",
    /* json, arrays, ranges */
    "jsonb_build_object", "jsonb_build_array", "json_build_object", "json_build_array", "to_jsonb",
    "to_json", "jsonb_object", "json_object", "array_to_json", "row_to_json", "array_fill",
    "array_append", "array_prepend", "array_cat", "string_to_array", "array_to_string", "int4range",
    "int8range", "numrange", "tsrange", "tstzrange", "daterange", NULL};

/* Volatile for certain: named as such in messages. */
static const char *const volatile_functions[] = {
    /* random values */
    "random", "random_normal", "gen_random_uuid", "gen_random_bytes", "uuid_generate_v1",
    "uuid_generate_v1mc", "uuid_generate_v4", "uuidv4", "uuidv7",
    /* time as it passes, sequences */
    "clock_timestamp", "timeofday", "nextval", "setval", "currval", "lastval", NULL};

struct volatility {
	const char *function; /* the function that makes it volatile, or NULL */
	bool known;	      /* the function is volatile for certain, not merely unknown */
	int location;
};

static bool expr_is_volatile(const PgQuery__Node *n, struct volatility *v);

static bool list_is_volatile(PgQuery__Node *const *items, size_t n, struct volatility *v)
{
	for (size_t i = 0; i < n; i++)
		if (expr_is_volatile(items[i], v))
			return true;
	return false;
}

/* True when the DEFAULT expression is volatile, or may be (an unknown function). */
static bool expr_is_volatile(const PgQuery__Node *n, struct volatility *v)
{
	if (!n)
		return false;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST:
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION: /* CURRENT_DATE, CURRENT_USER, ...: stable */
		return false;
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return expr_is_volatile(n->type_cast->arg, v);
	case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
		return expr_is_volatile(n->collate_clause->arg, v);
	case PG_QUERY__NODE__NODE_FUNC_CALL: {
		const PgQuery__FuncCall *fc = n->func_call;
		const char *name = ast_last_name(fc->funcname, fc->n_funcname);
		if (!name || !in_list(name, non_volatile_functions)) {
			v->function = name;
			v->known = name && in_list(name, volatile_functions);
			v->location = fc->location;
			return true;
		}
		return list_is_volatile(fc->args, fc->n_args, v);
	}
	case PG_QUERY__NODE__NODE_A_EXPR:
		return expr_is_volatile(n->a_expr->lexpr, v) ||
		       expr_is_volatile(n->a_expr->rexpr, v);
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		return list_is_volatile(n->bool_expr->args, n->bool_expr->n_args, v);
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		return list_is_volatile(n->coalesce_expr->args, n->coalesce_expr->n_args, v);
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
		return list_is_volatile(n->min_max_expr->args, n->min_max_expr->n_args, v);
	case PG_QUERY__NODE__NODE_NULL_TEST:
		return expr_is_volatile(n->null_test->arg, v);
	case PG_QUERY__NODE__NODE_BOOLEAN_TEST:
		return expr_is_volatile(n->boolean_test->arg, v);
	case PG_QUERY__NODE__NODE_CASE_EXPR:
		return expr_is_volatile(n->case_expr->arg, v) ||
		       list_is_volatile(n->case_expr->args, n->case_expr->n_args, v) ||
		       expr_is_volatile(n->case_expr->defresult, v);
	case PG_QUERY__NODE__NODE_CASE_WHEN:
		return expr_is_volatile(n->case_when->expr, v) ||
		       expr_is_volatile(n->case_when->result, v);
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		return list_is_volatile(n->a_array_expr->elements, n->a_array_expr->n_elements, v);
	case PG_QUERY__NODE__NODE_ROW_EXPR:
		return list_is_volatile(n->row_expr->args, n->row_expr->n_args, v);
	case PG_QUERY__NODE__NODE_LIST:
		return list_is_volatile(n->list->items, n->list->n_items, v);
	default:
		/* an expression this check does not read: assume the worst */
		v->function = NULL;
		v->known = false;
		v->location = -1;
		return true;
	}
}

static bool expr_is_null(const PgQuery__Node *n)
{
	while (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	return n && n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->isnull;
}

static const PgQuery__Node *column_default(const PgQuery__ColumnDef *cd,
					   const PgQuery__Constraint **ret_constraint)
{
	*ret_constraint = column_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT);
	if (*ret_constraint)
		return (*ret_constraint)->raw_expr;
	return cd->raw_default;
}

void check_add_column_volatile_default(struct lint_ctx *ctx, const struct lint_rule *rule,
				       const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_existing_table(ctx, stmt);
	if (!as)
		return;
	const char *table = lint_rangevar_name(ctx, as->relation);
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__ColumnDef *cd = added_column(as->cmds[i]);
		if (!cd)
			continue;
		const PgQuery__Constraint *k;
		const PgQuery__Node *def = column_default(cd, &k);
		if (!def || expr_is_null(def))
			continue;
		int where = k ? k->location : cd->location;
		if (!pg_release_has(ctx->opts->pg_version, PG_FEATURE_FAST_DEFAULT)) {
			lint_report(
			    ctx, rule, where,
			    "column '%s' added to '%s' with a DEFAULT: before PostgreSQL %d "
			    "any default rewrites the table under an ACCESS EXCLUSIVE lock",
			    cd->colname, table, pg_release_since(PG_FEATURE_FAST_DEFAULT));
			continue;
		}
		struct volatility v = {.location = -1};
		if (!expr_is_volatile(def, &v))
			continue;
		if (v.location >= 0)
			where = v.location;
		if (v.known)
			lint_report(ctx, rule, where,
				    "column '%s' added to '%s' with volatile DEFAULT %s(): "
				    "PostgreSQL rewrites the table under an ACCESS EXCLUSIVE lock",
				    cd->colname, table, v.function);
		else if (v.function)
			lint_report(ctx, rule, where,
				    "column '%s' added to '%s' with DEFAULT %s(), not known to be "
				    "stable or immutable: treated as volatile, which rewrites the "
				    "table under an ACCESS EXCLUSIVE lock",
				    cd->colname, table, v.function);
		else
			lint_report(
			    ctx, rule, where,
			    "column '%s' added to '%s' with a DEFAULT expression that cannot "
			    "be checked: treated as volatile, which rewrites the table under "
			    "an ACCESS EXCLUSIVE lock",
			    cd->colname, table);
	}
}

void check_add_column_generated(struct lint_ctx *ctx, const struct lint_rule *rule,
				const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_existing_table(ctx, stmt);
	if (!as)
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__ColumnDef *cd = added_column(as->cmds[i]);
		if (!cd)
			continue;
		const PgQuery__Constraint *k =
		    column_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED);
		if (!k)
			continue;
		lint_report(
		    ctx, rule, k->location,
		    "stored generated column '%s' added to '%s': PostgreSQL computes it for "
		    "every row, rewriting the table under an ACCESS EXCLUSIVE lock",
		    cd->colname, lint_rangevar_name(ctx, as->relation));
	}
}

static const char *const serial_types[] = {"serial",  "bigserial", "smallserial", "serial2",
					   "serial4", "serial8",   NULL};

void check_add_column_serial(struct lint_ctx *ctx, const struct lint_rule *rule,
			     const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_existing_table(ctx, stmt);
	if (!as)
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__ColumnDef *cd = added_column(as->cmds[i]);
		if (!cd || !cd->type_name || cd->type_name->n_array_bounds)
			continue;
		const char *type = ast_last_name(cd->type_name->names, cd->type_name->n_names);
		if (!type || !in_list(type, serial_types))
			continue;
		lint_report(
		    ctx, rule, cd->type_name->location,
		    "column '%s' of type %s added to '%s': numbering every row rewrites the "
		    "table under an ACCESS EXCLUSIVE lock",
		    cd->colname, type, lint_rangevar_name(ctx, as->relation));
	}
}

void check_add_column_identity(struct lint_ctx *ctx, const struct lint_rule *rule,
			       const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_existing_table(ctx, stmt);
	if (!as)
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__ColumnDef *cd = added_column(as->cmds[i]);
		if (!cd)
			continue;
		const PgQuery__Constraint *k =
		    column_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY);
		if (!k && !(cd->identity && *cd->identity))
			continue;
		lint_report(ctx, rule, k ? k->location : cd->location,
			    "identity column '%s' added to '%s': numbering every row rewrites the "
			    "table under an ACCESS EXCLUSIVE lock",
			    cd->colname, lint_rangevar_name(ctx, as->relation));
	}
}

void check_vacuum_full(struct lint_ctx *ctx, const struct lint_rule *rule,
		       const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_VACUUM_STMT)
		return;
	const PgQuery__VacuumStmt *vs = stmt->vacuum_stmt;
	if (!vs->is_vacuumcmd || !ast_option_enabled(vs->options, vs->n_options, "full"))
		return;
	if (vs->n_rels == 0) {
		lint_report(
		    ctx, rule, -1,
		    "VACUUM FULL without a table rewrites every table of the database, each "
		    "under an ACCESS EXCLUSIVE lock");
		return;
	}
	for (size_t i = 0; i < vs->n_rels; i++) {
		const PgQuery__Node *r = vs->rels[i];
		if (r->node_case != PG_QUERY__NODE__NODE_VACUUM_RELATION)
			continue;
		const PgQuery__RangeVar *rv = r->vacuum_relation->relation;
		if (!rv || lint_table_is_new(ctx, rv))
			continue;
		lint_report(ctx, rule, rv->location,
			    "VACUUM FULL of '%s' rewrites it under an ACCESS EXCLUSIVE lock",
			    lint_rangevar_name(ctx, rv));
	}
}

void check_cluster(struct lint_ctx *ctx, const struct lint_rule *rule, const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_CLUSTER_STMT)
		return;
	const PgQuery__RangeVar *rv = stmt->cluster_stmt->relation;
	if (!rv) {
		lint_report(ctx, rule, -1,
			    "CLUSTER without a table rewrites every clustered table, each under an "
			    "ACCESS EXCLUSIVE lock");
		return;
	}
	if (lint_table_is_new(ctx, rv))
		return;
	lint_report(ctx, rule, rv->location,
		    "CLUSTER of '%s' rewrites it under an ACCESS EXCLUSIVE lock",
		    lint_rangevar_name(ctx, rv));
}

void check_set_logged(struct lint_ctx *ctx, const struct lint_rule *rule, const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *as = alter_existing_table(ctx, stmt);
	if (!as)
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd || (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged &&
			     cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged))
			continue;
		lint_report(ctx, rule, as->relation->location,
			    "SET %s on '%s' rewrites the table under an ACCESS EXCLUSIVE lock",
			    cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged ? "LOGGED"
										     : "UNLOGGED",
			    lint_rangevar_name(ctx, as->relation));
	}
}

/* LOCK TABLE modes, as PostgreSQL numbers them (LOCKMODE). */
enum {
	LOCK_MODE_SHARE = 5,
	LOCK_MODE_ACCESS_EXCLUSIVE = 8,
};

static const char *lock_mode_name(int mode)
{
	static const char *const names[] = {
	    "ACCESS EXCLUSIVE",	      "ACCESS SHARE", "ROW SHARE",	     "ROW EXCLUSIVE",
	    "SHARE UPDATE EXCLUSIVE", "SHARE",	      "SHARE ROW EXCLUSIVE", "EXCLUSIVE",
	    "ACCESS EXCLUSIVE"};
	return mode >= 0 && mode <= LOCK_MODE_ACCESS_EXCLUSIVE ? names[mode] : "ACCESS EXCLUSIVE";
}

void check_lock_table(struct lint_ctx *ctx, const struct lint_rule *rule, const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_LOCK_STMT)
		return;
	const PgQuery__LockStmt *ls = stmt->lock_stmt;
	/* the weaker modes conflict with no lock that reads or writes take (SELECT,
	 * SELECT FOR UPDATE, INSERT/UPDATE/DELETE): they stall no app query */
	if (ls->mode > 0 && ls->mode < LOCK_MODE_SHARE)
		return;
	const char *blocks = ls->mode == LOCK_MODE_ACCESS_EXCLUSIVE || ls->mode == 0
				 ? "every query on it"
				 : "every write to it";
	for (size_t i = 0; i < ls->n_relations; i++) {
		const PgQuery__Node *r = ls->relations[i];
		if (r->node_case != PG_QUERY__NODE__NODE_RANGE_VAR ||
		    lint_table_is_new(ctx, r->range_var))
			continue;
		lint_report(ctx, rule, r->range_var->location,
			    "LOCK TABLE '%s' IN %s MODE stalls %s until the phase commits",
			    lint_rangevar_name(ctx, r->range_var), lock_mode_name(ls->mode),
			    blocks);
	}
}

bool lint_column_default_is_volatile(const PgQuery__ColumnDef *cd)
{
	const PgQuery__Constraint *k;
	const PgQuery__Node *def = column_default(cd, &k);
	struct volatility v = {.location = -1};
	return def && !expr_is_null(def) && expr_is_volatile(def, &v);
}

const PgQuery__Node *lint_column_default(const PgQuery__ColumnDef *cd)
{
	const PgQuery__Constraint *k;
	return column_default(cd, &k);
}
