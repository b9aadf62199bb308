/*
 * What static analysis cannot see into: DO blocks and EXECUTE of computed
 * strings. A DO block is not opaque by itself: libpg_query compiles its
 * PL/pgSQL, and every SQL statement written in the body is checked by the
 * other rules as if it stood in the file (lint_check_nested). Branches, loops
 * and exception handlers do not hide their statements: the rules treat each
 * of them as one that runs (a guarded DROP COLUMN still fires), and the
 * catalogue replays them, the way idempotent `IF NOT EXISTS ... THEN ALTER`
 * blocks are meant to end. What stays opaque:
 *
 *   - EXECUTE (also FOR ... IN EXECUTE, RETURN QUERY EXECUTE, OPEN ... FOR
 *     EXECUTE) of a computed string: dynamic-sql, in DO blocks and in
 *     LANGUAGE plpgsql functions and procedures. EXECUTE of a string constant
 *     is not computed: its statements are checked like the others.
 *   - do-block: a body in another language, a body or statement that does not
 *     parse, or a DO block nested in one. do-block leaves EXECUTE to
 *     dynamic-sql, so that one hazard is one finding.
 *
 * The PL/pgSQL tree is libpg_query's JSON, read with libbson.
 */
#include <bson/bson.h>
#include <string.h>

#include "lint/rules.h"
#include "sql/ast.h"

/*
 * libpg_query 15-4.0 loses its one-byte stderr buffer whenever PL/pgSQL does
 * not compile (pg_query_parse_plpgsql frees it on success only): tell
 * LeakSanitizer, in sanitizer builds of every program that links this file,
 * so that a DO block that does not compile is not taken for a leak of ours.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:pg_query_raw_parse\n";
}

enum plpgsql_item_kind {
	PLPGSQL_ITEM_SQL,     /* a statement written in the body */
	PLPGSQL_ITEM_EXECUTE, /* EXECUTE of an expression: a constant string or computed */
	PLPGSQL_ITEM_DYNAMIC, /* a query that exists only at run time (RETURN QUERY EXECUTE) */
};

struct plpgsql_item {
	enum plpgsql_item_kind kind;
	int lineno;	   /* line in the body, 1-based */
	const char *query; /* the statement's SQL text, or the EXECUTE expression */
};

struct plpgsql_body {
	const char *text;  /* the body as the parser saw it */
	int base;	   /* section offset where text stands verbatim; -1 when it does not */
	size_t scan_from;  /* where the next item's text is looked for (items come in order) */
	const char *where; /* "DO block", "function 'f'": for messages */
	struct plpgsql_item *items;
	size_t n_items, alloc_items;
};

static void body_add(struct arena *a, struct plpgsql_body *body, enum plpgsql_item_kind kind,
		     int lineno, const bson_iter_t *expr_holder, const char *path)
{
	bson_iter_t q;
	const char *query = NULL;
	if (expr_holder) {
		bson_iter_t it = *expr_holder;
		if (bson_iter_find_descendant(&it, path, &q) && BSON_ITER_HOLDS_UTF8(&q))
			query = arena_strdup(a, bson_iter_utf8(&q, NULL));
	}
	ARENA_GROW(a, body->items, body->n_items, body->alloc_items, body->n_items + 1);
	struct plpgsql_item *item = &body->items[body->n_items++];
	item->kind = kind;
	item->lineno = lineno;
	item->query = query ? query : "";
}

/*
 * Collects the statements of a PL/pgSQL tree in source order. Statement
 * lists hang off many keys (body, then_body, elsif_list, else_stmts,
 * exc_list ... action), so the walk descends into everything and picks
 * statements out by their node name.
 */
static void body_walk(struct arena *a, bson_iter_t *it, int lineno, struct plpgsql_body *body)
{
	while (bson_iter_next(it)) {
		const char *key = bson_iter_key(it);
		bool is_doc = BSON_ITER_HOLDS_DOCUMENT(it);
		if (!is_doc && !BSON_ITER_HOLDS_ARRAY(it))
			continue;
		bson_iter_t child;
		if (!bson_iter_recurse(it, &child))
			continue;
		/* a statement node's members carry its line */
		int line = lineno;
		bson_iter_t l = child;
		if (is_doc && bson_iter_find(&l, "lineno") && BSON_ITER_HOLDS_INT32(&l))
			line = bson_iter_int32(&l);

		if (is_doc && strcmp(key, "PLpgSQL_stmt_execsql") == 0) {
			body_add(a, body, PLPGSQL_ITEM_SQL, line, &child,
				 "sqlstmt.PLpgSQL_expr.query");
			continue;
		}
		/* CALL and DO statements in a body */
		if (is_doc && strcmp(key, "PLpgSQL_stmt_call") == 0) {
			body_add(a, body, PLPGSQL_ITEM_SQL, line, &child,
				 "expr.PLpgSQL_expr.query");
			continue;
		}
		if (is_doc && strcmp(key, "dynquery") == 0) {
			body_add(a, body, PLPGSQL_ITEM_DYNAMIC, line, &child, "PLpgSQL_expr.query");
			continue;
		}
		if (is_doc && (strcmp(key, "PLpgSQL_stmt_dynexecute") == 0 ||
			       strcmp(key, "PLpgSQL_stmt_dynfors") == 0))
			/* FOR ... IN EXECUTE goes on into its loop body */
			body_add(a, body, PLPGSQL_ITEM_EXECUTE, line, &child,
				 "query.PLpgSQL_expr.query");
		body_walk(a, &child, line, body);
	}
}

/* Offset in the section text of an offset in the body; -1 when the body is not there. */
static int body_location(const struct plpgsql_body *body, size_t offset_in_body)
{
	return body->base < 0 ? -1 : body->base + (int)offset_in_body;
}

/*
 * Where an item stands: its own text found on its line (after the items
 * before it), else the first token of its line, else nowhere (-1). The text
 * search only locates what the parser already read; it decides nothing.
 * ret_verbatim is the offset of the item's text, or -1.
 */
static int item_locate(struct plpgsql_body *body, const struct plpgsql_item *item,
		       int *ret_verbatim)
{
	*ret_verbatim = -1;
	if (body->base < 0)
		return -1;
	const char *text = body->text;
	size_t len = strlen(text), line_start = 0;
	for (int l = 1; l < item->lineno && line_start < len; l++) {
		const char *nl = memchr(text + line_start, '\n', len - line_start);
		if (!nl)
			break;
		line_start = (size_t)(nl - text) + 1;
	}
	const char *nl = memchr(text + line_start, '\n', len - line_start);
	size_t line_end = nl ? (size_t)(nl - text) : len;
	size_t from = line_start > body->scan_from ? line_start : body->scan_from;
	size_t qlen = strlen(item->query);
	if (qlen && from < len) {
		const char *hit = memmem(text + from, len - from, item->query, qlen);
		/* a statement starts on the line the parser gives it */
		if (hit && (size_t)(hit - text) <= line_end) {
			size_t off = (size_t)(hit - text);
			body->scan_from = off + qlen;
			*ret_verbatim = body_location(body, off);
			return *ret_verbatim;
		}
	}
	size_t p = line_start;
	while (p < len && (text[p] == ' ' || text[p] == '\t' || text[p] == '\r'))
		p++;
	return body_location(body, p);
}

/*
 * Compiles PL/pgSQL source (a CREATE FUNCTION statement) and collects what
 * its body holds. body_text is that body; it is looked for in the section
 * text from search_from on, so that findings can point into the file.
 * Returns NULL, or why the source cannot be read.
 */
static const char *body_read(struct lint_ctx *ctx, const char *source, const char *body_text,
			     int search_from, struct plpgsql_body *body)
{
	body->text = body_text;
	body->base = -1;
	const char *why = NULL;
	bson_t *tree = NULL;
	PgQueryPlpgsqlParseResult pr = pg_query_parse_plpgsql(source);
	if (pr.error) {
		why =
		    arena_printf(ctx->arena, "its PL/pgSQL does not parse (%s)", pr.error->message);
		goto out;
	}
	bson_error_t berr;
	tree = bson_new_from_json((const uint8_t *)pr.plpgsql_funcs, -1, &berr);
	if (!tree) {
		why =
		    arena_printf(ctx->arena, "its PL/pgSQL tree cannot be read (%s)", berr.message);
		goto out;
	}
	bson_iter_t it;
	if (bson_iter_init(&it, tree))
		body_walk(ctx->arena, &it, 1, body);

	const char *sec = ctx->section->text;
	size_t stmt_end = ctx->stmt->end - ctx->section->base;
	size_t blen = strlen(body_text);
	if (search_from >= 0 && (size_t)search_from < stmt_end && blen) {
		const char *hit =
		    memmem(sec + search_from, stmt_end - (size_t)search_from, body_text, blen);
		if (hit)
			body->base = (int)(hit - sec);
	}
out:
	bson_destroy(tree);
	pg_query_free_plpgsql_parse_result(pr);
	return why;
}

/* The string of a DefElem argument: a String, or the first of a List of them. */
static const char *defelem_string(const PgQuery__DefElem *de)
{
	const PgQuery__Node *arg = de->arg;
	if (arg && arg->node_case == PG_QUERY__NODE__NODE_LIST && arg->list->n_items > 0)
		arg = arg->list->items[0];
	return ast_string(arg);
}

/* Reads a DO block's body; NULL, or why it cannot be analysed. */
static const char *do_body_read(struct lint_ctx *ctx, const PgQuery__DoStmt *ds,
				struct plpgsql_body *body)
{
	const char *language = "plpgsql", *text = NULL;
	int location = -1;
	memset(body, 0, sizeof(*body));
	body->where = "DO block";
	for (size_t i = 0; i < ds->n_args; i++) {
		if (ds->args[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
			continue;
		const PgQuery__DefElem *de = ds->args[i]->def_elem;
		const char *value = defelem_string(de);
		if (!value)
			continue;
		if (strcmp(de->defname, "as") == 0) {
			text = value;
			location = de->location;
		} else if (strcmp(de->defname, "language") == 0) {
			language = value;
		}
	}
	if (!text)
		return "it has no body";
	if (strcmp(language, "plpgsql") != 0)
		return arena_printf(ctx->arena, "it is written in %s", language);

	/* PL/pgSQL compiles functions: wrap the body in one, under a dollar
	 * quote that the body does not hold (the newline keeps a body that ends
	 * in "$mg" from closing it early; line numbers stay those of the body) */
	const char *tag = "$mg$";
	for (int n = 1; strstr(text, tag); n++)
		tag = arena_printf(ctx->arena, "$mg%d$", n);
	const char *source = arena_printf(ctx->arena,
					  "CREATE FUNCTION pg_temp.mg_do() RETURNS void "
					  "LANGUAGE plpgsql AS %s%s\n%s",
					  tag, text, tag);
	return body_read(ctx, source, text, location, body);
}

/* Reads the body of a LANGUAGE plpgsql function or procedure; false for any other statement. */
static bool function_body_read(struct lint_ctx *ctx, const PgQuery__Node *stmt,
			       struct plpgsql_body *body)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT)
		return false;
	const PgQuery__CreateFunctionStmt *fs = stmt->create_function_stmt;
	const char *language = NULL, *text = NULL;
	int location = -1;
	memset(body, 0, sizeof(*body));
	for (size_t i = 0; i < fs->n_options; i++) {
		if (fs->options[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
			continue;
		const PgQuery__DefElem *de = fs->options[i]->def_elem;
		if (strcmp(de->defname, "as") == 0) {
			text = defelem_string(de);
			location = de->location;
		} else if (strcmp(de->defname, "language") == 0) {
			language = defelem_string(de);
		}
	}
	if (!text || !language || strcmp(language, "plpgsql") != 0)
		return false;
	const char *schema, *name;
	ast_qualified_name(fs->funcname, fs->n_funcname, &schema, &name);
	body->where =
	    arena_printf(ctx->arena, "%s '%s%s%s'", fs->is_procedure ? "procedure" : "function",
			 schema ? schema : "", schema ? "." : "", name ? name : "?");
	/* parameters are variables of the body: compile the statement as written */
	size_t begin = ctx->stmt->offset - ctx->section->base;
	size_t end = ctx->stmt->end - ctx->section->base;
	const char *source = arena_strndup(ctx->arena, ctx->section->text + begin, end - begin);
	/* a function that does not compile is for the server to reject */
	return body_read(ctx, source, text, location, body) == NULL;
}

/*
 * The string an EXECUTE runs when its expression is one string constant
 * (EXECUTE 'ALTER TABLE ...'); NULL when it is computed.
 */
static const char *execute_constant(struct arena *a, const char *expr)
{
	struct sql_section sec;
	struct mg_error err = MG_ERROR_INIT;
	if (sql_parse_string(a, arena_printf(a, "SELECT %s", expr), &sec, &err) < 0 ||
	    sec.n_stmts != 1 || sec.stmts[0].node->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return NULL;
	const PgQuery__SelectStmt *sel = sec.stmts[0].node->select_stmt;
	if (sel->n_target_list != 1 || sel->n_from_clause || sel->where_clause ||
	    sel->target_list[0]->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
		return NULL;
	const PgQuery__Node *val = sel->target_list[0]->res_target->val;
	if (!val || val->node_case != PG_QUERY__NODE__NODE_A_CONST || !val->a_const->sval)
		return NULL;
	return val->a_const->sval->sval;
}

/*
 * Checks the statements of one item with the other rules. Returns NULL, or
 * why they cannot be analysed (and where, in ret_location).
 */
static const char *item_check(struct lint_ctx *ctx, struct plpgsql_body *body,
			      const struct plpgsql_item *item, int *ret_location)
{
	const char *sql = item->query;
	int verbatim;
	int location = item_locate(body, item, &verbatim);
	*ret_location = location;
	if (item->kind == PLPGSQL_ITEM_EXECUTE) {
		sql = execute_constant(ctx->arena, item->query);
		if (!sql)
			return NULL; /* computed: dynamic-sql's finding */
		verbatim = -1;	     /* the statement is inside a string constant */
	} else if (item->kind != PLPGSQL_ITEM_SQL) {
		return NULL;
	}
	struct sql_section sec;
	struct mg_error err = MG_ERROR_INIT;
	if (sql_parse_string(ctx->arena, sql, &sec, &err) < 0)
		return "a string it executes is not SQL that parses";
	for (size_t k = 0; k < sec.n_stmts; k++) {
		if (sec.stmts[k].node->node_case == PG_QUERY__NODE__NODE_DO_STMT)
			return "it holds a DO block of its own";
	}
	for (size_t k = 0; k < sec.n_stmts; k++) {
		struct lint_nested at = {
		    .where = body->where,
		    .text_location = verbatim,
		    .stmt_location = verbatim >= 0 ? verbatim + (int)sec.stmts[k].offset : location,
		};
		lint_check_nested(ctx, sec.stmts[k].node, &at);
	}
	return NULL;
}

void check_do_block(struct lint_ctx *ctx, const struct lint_rule *rule, const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_DO_STMT)
		return;
	struct plpgsql_body body;
	const char *why = do_body_read(ctx, stmt->do_stmt, &body);
	int where = -1;
	for (size_t i = 0; i < body.n_items; i++) {
		/* every statement is checked; the first opaque one is the reason */
		int location;
		const char *item_why = item_check(ctx, &body, &body.items[i], &location);
		if (!why && item_why) {
			why = item_why;
			where = location;
		}
	}
	if (why)
		lint_report(ctx, rule, where, "DO block cannot be analysed: %s", why);
}

void check_dynamic_sql(struct lint_ctx *ctx, const struct lint_rule *rule,
		       const PgQuery__Node *stmt)
{
	struct plpgsql_body body;
	if (stmt->node_case == PG_QUERY__NODE__NODE_DO_STMT) {
		/* a DO block that cannot be read is do-block's finding */
		if (do_body_read(ctx, stmt->do_stmt, &body))
			return;
	} else if (!function_body_read(ctx, stmt, &body)) {
		return;
	}
	for (size_t i = 0; i < body.n_items; i++) {
		const struct plpgsql_item *item = &body.items[i];
		int verbatim;
		int location = item_locate(&body, item, &verbatim);
		if (item->kind == PLPGSQL_ITEM_SQL || (item->kind == PLPGSQL_ITEM_EXECUTE &&
						       execute_constant(ctx->arena, item->query)))
			continue;
		lint_report(ctx, rule, location,
			    "%s runs a computed string: the statement is unknown until it runs",
			    body.where);
	}
}
