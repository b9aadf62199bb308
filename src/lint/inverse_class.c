#include <string.h>

#include "lint/inverse_class.h"
#include "sql/ast.h"

/* Data changes undo themselves when they only touch what this migration created. */
static enum inverse_class dml_class(const PgQuery__RangeVar *rv, const struct catalog *cat,
				    int order, PgQuery__Node *const *targets, size_t n_targets,
				    const char **ret_reason)
{
	if (catalog_table_is_new(cat, rv, order))
		return INVERSE_NOTHING;
	if (targets && n_targets) {
		const struct catalog_table *t = catalog_table_find_rangevar(cat, rv);
		size_t fresh = 0;
		for (size_t i = 0; i < n_targets; i++) {
			const PgQuery__Node *n = targets[i];
			if (n->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
				continue;
			const struct catalog_column *c =
			    catalog_column_find(t, n->res_target->name);
			if (c && c->created_in == order)
				fresh++;
		}
		/* a backfill of columns this migration added: dropping them undoes it */
		if (fresh == n_targets)
			return INVERSE_NOTHING;
	}
	*ret_reason = "it changes rows that existed before this migration";
	return INVERSE_IRREVERSIBLE;
}

static enum inverse_class alter_table_class(const PgQuery__AlterTableStmt *as,
					    const char **ret_reason)
{
	if (ast_is_index_attach(as))
		return INVERSE_DERIVED;
	if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		*ret_reason = "only ALTER TABLE is undone automatically";
		return INVERSE_IRREVERSIBLE;
	}
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd)
			continue;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIndexConstraint:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
			break;
		default:
			*ret_reason = "this ALTER TABLE action has no derived undo";
			return INVERSE_IRREVERSIBLE;
		}
	}
	return INVERSE_DERIVED;
}

static enum inverse_class drop_class(const PgQuery__DropStmt *ds, const char **ret_reason)
{
	if (ds->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
		*ret_reason = "CASCADE drops objects that cannot be listed ahead";
		return INVERSE_IRREVERSIBLE;
	}
	switch (ds->remove_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
	case PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION:
	case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
		return INVERSE_DERIVED;
	default:
		*ret_reason = "this kind of object is not recreated";
		return INVERSE_IRREVERSIBLE;
	}
}

enum inverse_class inverse_classify(const PgQuery__Node *stmt, const struct catalog *cat, int order,
				    enum migration_section section, const char **ret_reason)
{
	(void)section;
	*ret_reason = NULL;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
	case PG_QUERY__NODE__NODE_INDEX_STMT:
	case PG_QUERY__NODE__NODE_VIEW_STMT:
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
		return INVERSE_DERIVED;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		switch (stmt->rename_stmt->rename_type) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
		case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
		case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
			return INVERSE_DERIVED;
		default:
			*ret_reason = "this kind of rename is not turned around";
			return INVERSE_IRREVERSIBLE;
		}
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
		if (stmt->alter_enum_stmt->old_val && *stmt->alter_enum_stmt->old_val)
			return INVERSE_DERIVED;
		/* PostgreSQL cannot remove the value, and it is harmless to the code reverted
		 * to: revert leaves it in place */
		return INVERSE_NOTHING;
	case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
		if (!stmt->alter_seq_stmt->for_identity)
			return INVERSE_DERIVED;
		*ret_reason = "an identity's sequence is undone with its column";
		return INVERSE_IRREVERSIBLE;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return alter_table_class(stmt->alter_table_stmt, ret_reason);
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return drop_class(stmt->drop_stmt, ret_reason);
	case PG_QUERY__NODE__NODE_SELECT_STMT:
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		return INVERSE_NOTHING;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		return dml_class(stmt->insert_stmt->relation, cat, order, NULL, 0, ret_reason);
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		return dml_class(stmt->update_stmt->relation, cat, order,
				 stmt->update_stmt->target_list, stmt->update_stmt->n_target_list,
				 ret_reason);
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		return dml_class(stmt->delete_stmt->relation, cat, order, NULL, 0, ret_reason);
	case PG_QUERY__NODE__NODE_DO_STMT:
		*ret_reason = "a DO block's effects cannot be known ahead";
		return INVERSE_IRREVERSIBLE;
	default:
		*ret_reason = "this kind of statement has no derived undo";
		return INVERSE_IRREVERSIBLE;
	}
}
