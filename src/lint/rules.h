#ifndef MG_LINT_RULES_H
#define MG_LINT_RULES_H

#include "lint/lint.h"

/*
 * One check per rule, grouped by family, one file per family. Adding a rule
 * means one function here, one row in rules.c and one row in the rule tests.
 */

/* rules_drop.c */
void check_drop_table(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_drop_column(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_drop_schema(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_drop_database(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_drop_view(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_drop_function(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_drop_type(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_drop_index(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_truncate(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);

/* rules_rename.c */
void check_rename_table(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_rename_column(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_rename_view(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_rename_schema(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_rename_enum_value(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_rename_constraint(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_rename_type(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_set_schema(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);

/* rules_inflight.c */
void check_in_flight_conflict(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);

/* rules_column.c */
void check_add_column_not_null(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_set_not_null(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_drop_not_null(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_change_column_type(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_add_unique_constraint(struct lint_ctx *, const struct lint_rule *,
				 const PgQuery__Node *);
void check_add_primary_key(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_planner_conflict(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);

/* rules_index.c */
void check_create_index_concurrently(struct lint_ctx *, const struct lint_rule *,
				     const PgQuery__Node *);
void check_drop_index_concurrently(struct lint_ctx *, const struct lint_rule *,
				   const PgQuery__Node *);
void check_reindex_concurrently(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);

/* rules_lock.c */
void check_detach_partition(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_attach_partition(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_add_exclusion_constraint(struct lint_ctx *, const struct lint_rule *,
				    const PgQuery__Node *);
void check_set_tablespace(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_refresh_materialized_view(struct lint_ctx *, const struct lint_rule *,
				     const PgQuery__Node *);
void check_alter_domain_constraint(struct lint_ctx *, const struct lint_rule *,
				   const PgQuery__Node *);
void check_enable_rls_without_policy(struct lint_ctx *, const struct lint_rule *,
				     const PgQuery__Node *);
void check_enum_value_same_transaction(struct lint_ctx *, const struct lint_rule *,
				       const PgQuery__Node *);

/* rules_constraint.c */
void check_add_foreign_key(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_add_check_constraint(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_validate_same_transaction(struct lint_ctx *, const struct lint_rule *,
				     const PgQuery__Node *);

/* rules_rewrite.c */
void check_add_column_volatile_default(struct lint_ctx *, const struct lint_rule *,
				       const PgQuery__Node *);
void check_add_column_generated(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_add_column_serial(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_add_column_identity(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_vacuum_full(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_cluster(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_set_logged(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_lock_table(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);

/* rules_transaction.c */
void check_concurrently_in_transaction(struct lint_ctx *, const struct lint_rule *,
				       const PgQuery__Node *);
void check_explicit_transaction(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);

/* rules_opaque.c */
void check_do_block(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_dynamic_sql(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);

/* rules_style.c */
void check_prefer_bigint(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_prefer_text(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_prefer_timestamptz(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_prefer_identity(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_prefer_jsonb(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);
void check_no_char(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);

/* For the planner: the DEFAULT of an added column (a DEFAULT constraint or raw_default),
 * and whether it is volatile or may be (an unknown function). */
const PgQuery__Node *lint_column_default(const PgQuery__ColumnDef *cd);
bool lint_column_default_is_volatile(const PgQuery__ColumnDef *cd);

/* rules_reversible.c */
void check_irreversible(struct lint_ctx *, const struct lint_rule *, const PgQuery__Node *);

#endif
