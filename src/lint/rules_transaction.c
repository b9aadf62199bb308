#include "lint/rules.h"
#include "sql/ast.h"

/*
 * The engine runs each phase in one transaction and moves CONCURRENTLY
 * statements out of it; a migration that manages transactions itself fights
 * that, and a CONCURRENTLY statement inside its own BEGIN fails at run time.
 */

static const char *transaction_stmt_name(const PgQuery__TransactionStmt *ts)
{
	switch (ts->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
		return "BEGIN";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
		return "START TRANSACTION";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
		return ts->chain ? "COMMIT AND CHAIN" : "COMMIT";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
		return ts->chain ? "ROLLBACK AND CHAIN" : "ROLLBACK";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
		return "SAVEPOINT";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
		return "RELEASE SAVEPOINT";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
		return "ROLLBACK TO SAVEPOINT";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
		return "PREPARE TRANSACTION";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
		return "COMMIT PREPARED";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED:
		return "ROLLBACK PREPARED";
	default:
		return "a transaction statement";
	}
}

static const char *concurrent_stmt_name(const PgQuery__Node *stmt)
{
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return "CREATE INDEX CONCURRENTLY";
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return "DROP INDEX CONCURRENTLY";
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
		return "REINDEX CONCURRENTLY";
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
		return "REFRESH MATERIALIZED VIEW CONCURRENTLY";
	default:
		return "DETACH PARTITION CONCURRENTLY";
	}
}

/*
 * The BEGIN/START TRANSACTION (or COMMIT AND CHAIN) whose transaction block
 * is still open at the current statement of the section, or NULL.
 */
static const struct sql_stmt *open_transaction(const struct lint_ctx *ctx)
{
	for (size_t k = ctx->stmt_index; k-- > 0;) {
		const struct sql_stmt *prev = &ctx->section->stmts[k];
		if (prev->node->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
			continue;
		const PgQuery__TransactionStmt *ts = prev->node->transaction_stmt;
		switch (ts->kind) {
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
			return prev;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
			/* AND CHAIN opens the next transaction at once */
			return ts->chain ? prev : NULL;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
			return NULL;
		default:
			/* savepoints live inside a block: keep looking for its start */
			break;
		}
	}
	return NULL;
}

void check_concurrently_in_transaction(struct lint_ctx *ctx, const struct lint_rule *rule,
				       const PgQuery__Node *stmt)
{
	if (!ast_stmt_is_concurrent(stmt))
		return;
	int location = -1;
	if (stmt->node_case == PG_QUERY__NODE__NODE_INDEX_STMT && stmt->index_stmt->relation)
		location = stmt->index_stmt->relation->location;
	/* a DO block or function body always runs inside a transaction */
	if (ctx->nested) {
		lint_report(ctx, rule, location,
			    "%s cannot run inside a function or DO block: PostgreSQL refuses it",
			    concurrent_stmt_name(stmt));
		return;
	}
	const struct sql_stmt *begin = open_transaction(ctx);
	if (!begin)
		return;
	lint_report(ctx, rule, location,
		    "%s inside the transaction block opened by %s at line %d: PostgreSQL refuses "
		    "to run it there",
		    concurrent_stmt_name(stmt),
		    transaction_stmt_name(begin->node->transaction_stmt), begin->line);
}

void check_explicit_transaction(struct lint_ctx *ctx, const struct lint_rule *rule,
				const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
		return;
	lint_report(ctx, rule, -1,
		    "%s in a migration: the engine runs each phase in its own transaction",
		    transaction_stmt_name(stmt->transaction_stmt));
}
