/*
 * PostgreSQL AST to SQLite SQL. Each emitter writes one kind of node; the
 * first node without an SQLite form stops the translation with the reason.
 */
#include "target/sqlite/translate_sqlite.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/ast.h"
#include "sql/quote.h"

/* protobuf-c leaves an unset string "", not NULL */
static bool has(const char *s)
{
	return s && *s;
}

void sqlite_tr_init(struct sqlite_tr *t, struct arena *a, bool native)
{
	memset(t, 0, sizeof(*t));
	t->a = a;
	t->native = native;
}

static bool name_taken(const struct sqlite_tr *t, const char *name)
{
	for (size_t i = 0; i < t->n_taken; i++)
		if (strcasecmp(t->taken[i], name) == 0)
			return true;
	return false;
}

void sqlite_tr_take_name(struct sqlite_tr *t, const char *name)
{
	if (!has(name) || name_taken(t, name))
		return;
	ARENA_GROW(t->a, t->taken, t->n_taken, t->alloc_taken, t->n_taken + 1);
	t->taken[t->n_taken++] = name;
}

static bool fail(struct sqlite_tr *t, const char *why)
{
	if (!t->why)
		t->why = why;
	return false;
}

static bool failf(struct sqlite_tr *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool failf(struct sqlite_tr *t, const char *fmt, ...)
{
	if (!t->why) {
		va_list ap;
		va_start(ap, fmt);
		t->why = arena_vprintf(t->a, fmt, ap);
		va_end(ap);
	}
	return false;
}

const char *sqlite_ident(struct arena *a, const char *name)
{
	return sql_ident(a, name); /* SQLite quotes identifiers as PostgreSQL does */
}

const char *sqlite_literal(struct arena *a, const char *text)
{
	size_t n = strlen(text);
	char *out = arena_alloc(a, 2 * n + 3), *p = out;
	*p++ = '\'';
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\'')
			*p++ = '\'';
		*p++ = text[i];
	}
	*p++ = '\'';
	*p = '\0';
	return out;
}

static void add_ident(struct sqlite_tr *t, struct strbuf *sb, const char *name)
{
	strbuf_addstr(sb, sqlite_ident(t->a, name));
}

/* "(a, b)" from a list of names. */
static bool name_list(struct sqlite_tr *t, struct strbuf *sb, PgQuery__Node *const *names, size_t n)
{
	strbuf_addch(sb, '(');
	for (size_t i = 0; i < n; i++) {
		const char *s = ast_string(names[i]);
		if (!s)
			return fail(t, "a column list with something other than names");
		if (i)
			strbuf_addstr(sb, ", ");
		add_ident(t, sb, s);
	}
	strbuf_addch(sb, ')');
	return true;
}

/* A table name: SQLite has one schema per database, so only public (or main) may qualify it. */
static bool add_rangevar(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__RangeVar *rv)
{
	if (!rv || !rv->relname)
		return fail(t, "the statement names no table");
	if (rv->schemaname && *rv->schemaname && strcmp(rv->schemaname, "public") != 0 &&
	    strcmp(rv->schemaname, "main") != 0)
		return failf(t, "SQLite has no schema '%s': a database file is one schema",
			     rv->schemaname);
	if (rv->relpersistence && *rv->relpersistence == 't')
		return fail(t, "temporary tables live only as long as the migration's connection");
	add_ident(t, sb, rv->relname);
	if (rv->alias && has(rv->alias->aliasname)) {
		if (rv->alias->n_colnames)
			return fail(t, "SQLite cannot rename a table's columns in an alias");
		strbuf_addstr(sb, " AS ");
		add_ident(t, sb, rv->alias->aliasname);
	}
	return true;
}

/* ---- the generic walk over a protobuf tree ---- */

typedef void (*walk_fn)(const ProtobufCMessage *m, void *ctx);

static void walk(const ProtobufCMessage *m, walk_fn fn, void *ctx)
{
	if (!m)
		return;
	fn(m, ctx);
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		const char *base = (const char *)m;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which = *(const uint32_t *)(base + f->quantifier_offset);
			if (which != f->id)
				continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *items =
			    *(ProtobufCMessage *const *const *)(base + f->offset);
			for (size_t k = 0; k < n; k++)
				walk(items[k], fn, ctx);
		} else {
			walk(*(ProtobufCMessage *const *)(base + f->offset), fn, ctx);
		}
	}
}

struct refs {
	struct arena *a;
	const char **names;
	size_t n, alloc;
};

static void collect_ref(const ProtobufCMessage *m, void *ctx)
{
	struct refs *r = ctx;
	if (m->descriptor != &pg_query__column_ref__descriptor)
		return;
	const PgQuery__ColumnRef *cr = (const PgQuery__ColumnRef *)m;
	const char *name = cr->n_fields ? ast_string(cr->fields[cr->n_fields - 1]) : NULL;
	if (!name)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->names[i], name) == 0)
			return;
	ARENA_GROW(r->a, r->names, r->n, r->alloc, r->n + 1);
	r->names[r->n++] = name;
}

void sqlite_column_refs(struct arena *a, const void *node, const char ***ret, size_t *ret_n)
{
	struct refs r = {a, NULL, 0, 0};
	walk(node, collect_ref, &r);
	*ret = r.names;
	*ret_n = r.n;
}

/* ---- types ---- */

static const char *type_last_name(const PgQuery__TypeName *tn)
{
	return ast_last_name(tn->names, tn->n_names);
}

static bool type_is(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

bool sqlite_tr_type(struct sqlite_tr *t, const PgQuery__TypeName *tn, struct sqlite_type *ret)
{
	static const char *const ints[] = {"int2",    "int4",	"int8", "smallint",
					   "integer", "bigint", "int",	NULL};
	static const char *const serials[] = {"serial",	     "serial2",	  "serial4", "serial8",
					      "smallserial", "bigserial", NULL};
	static const char *const texts[] = {"text",	   "varchar",	"bpchar", "char", "name",
					    "timestamptz", "timestamp", "date",	  "time", "timetz",
					    "json",	   "jsonb",	"uuid",	  NULL};
	static const char *const reals[] = {"float4", "float8", "real", NULL};
	memset(ret, 0, sizeof(*ret));
	const char *name = tn ? type_last_name(tn) : NULL;
	if (!name)
		return fail(t, "the column has no type");
	if (tn->n_array_bounds)
		return fail(t, "SQLite has no array types");
	if (tn->pct_type)
		return fail(t, "%TYPE needs PostgreSQL's catalogue");
	if (t->native) {
		/* SQLite's own type names read back through PostgreSQL's grammar */
		if (strcmp(name, "int4") == 0) {
			ret->name = "INTEGER";
			ret->integer = true;
		} else if (strcmp(name, "float4") == 0) {
			ret->name = "REAL";
		} else {
			char *up = arena_strdup(t->a, name);
			for (char *p = up; *p; p++)
				*p = (char)toupper((unsigned char)*p);
			ret->name = up;
			ret->integer = strstr(up, "INT") != NULL;
		}
		return true;
	}
	if (type_is(name, ints)) {
		ret->name = "INTEGER";
		ret->integer = true;
	} else if (type_is(name, serials)) {
		ret->name = "INTEGER";
		ret->integer = true;
		ret->serial = true;
	} else if (strcmp(name, "bool") == 0 || strcmp(name, "boolean") == 0) {
		ret->name = "INTEGER";
		ret->boolean = true;
	} else if (strcmp(name, "numeric") == 0 || strcmp(name, "decimal") == 0) {
		ret->name = "NUMERIC";
	} else if (type_is(name, reals)) {
		ret->name = "REAL";
	} else if (type_is(name, texts)) {
		ret->name = "TEXT";
	} else if (strcmp(name, "bytea") == 0) {
		ret->name = "BLOB";
	} else {
		return failf(t, "SQLite has no counterpart of the type '%s'", name);
	}
	return true;
}

/* ---- expressions ---- */

/* SQLite's operator precedence, lowest first (https://www.sqlite.org/lang_expr.html). */
enum prec {
	P_OR = 1,
	P_AND,
	P_NOT,
	P_EQ,  /* = <> IS IN LIKE BETWEEN */
	P_REL, /* < <= > >= */
	P_BIT,
	P_ADD,
	P_MUL,
	P_CONCAT, /* || -> ->> */
	P_UNARY,
	P_ATOM,
};

static const char *op_name(const PgQuery__AExpr *e)
{
	return ast_last_name(e->name, e->n_name);
}

static int binary_op_prec(const char *op)
{
	static const struct {
		const char *op;
		int prec;
	} ops[] = {
	    {"=", P_EQ},   {"<>", P_EQ},  {"!=", P_EQ},	    {"<", P_REL},     {">", P_REL},
	    {"<=", P_REL}, {">=", P_REL}, {"+", P_ADD},	    {"-", P_ADD},     {"*", P_MUL},
	    {"/", P_MUL},  {"%", P_MUL},  {"||", P_CONCAT}, {"->", P_CONCAT}, {"->>", P_CONCAT},
	    {"&", P_BIT},  {"|", P_BIT},  {"<<", P_BIT},    {">>", P_BIT},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].op, op) == 0)
			return ops[i].prec;
	return 0;
}

static int expr_prec(const PgQuery__Node *n)
{
	if (!n)
		return P_ATOM;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		return n->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR    ? P_OR
		       : n->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR ? P_AND
										    : P_NOT;
	case PG_QUERY__NODE__NODE_A_EXPR: {
		const PgQuery__AExpr *e = n->a_expr;
		if (e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP) {
			if (!e->lexpr)
				return P_UNARY;
			int p = binary_op_prec(op_name(e) ? op_name(e) : "");
			return p ? p : P_EQ;
		}
		if (e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF)
			return P_ATOM;
		return P_EQ;
	}
	case PG_QUERY__NODE__NODE_NULL_TEST:
	case PG_QUERY__NODE__NODE_BOOLEAN_TEST:
		return P_EQ;
	case PG_QUERY__NODE__NODE_SUB_LINK:
		return n->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK ||
			       n->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ALL_SUBLINK
			   ? P_EQ
			   : P_ATOM;
	default:
		return P_ATOM;
	}
}

static bool expr(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__Node *n, int min_prec);

static bool expr_list(struct sqlite_tr *t, struct strbuf *sb, PgQuery__Node *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addstr(sb, ", ");
		if (!expr(t, sb, items[i], 0))
			return false;
	}
	return true;
}

static bool number_text(const char *s)
{
	char *end;
	if (!s || !*s)
		return false;
	strtod(s, &end);
	return *end == '\0' && !isspace((unsigned char)*s);
}

static bool a_const(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__AConst *c)
{
	if (c->isnull) {
		strbuf_addstr(sb, "NULL");
		return true;
	}
	switch (c->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL:
		strbuf_addf(sb, "%d", c->ival ? c->ival->ival : 0);
		return true;
	case PG_QUERY__A__CONST__VAL_FVAL:
		strbuf_addstr(sb, c->fval && c->fval->fval ? c->fval->fval : "0");
		return true;
	case PG_QUERY__A__CONST__VAL_BOOLVAL:
		strbuf_addstr(sb, c->boolval && c->boolval->boolval ? "1" : "0");
		return true;
	case PG_QUERY__A__CONST__VAL_SVAL:
		strbuf_addstr(sb,
			      sqlite_literal(t->a, c->sval && c->sval->sval ? c->sval->sval : ""));
		return true;
	default:
		return fail(t, "SQLite has no bit-string constants");
	}
}

/* PostgreSQL's spellings of a boolean: 1, 0, or -1 when the text is none. */
static int bool_text(const char *s)
{
	static const char *const yes[] = {"t", "true", "y", "yes", "on", "1", NULL};
	static const char *const no[] = {"f", "false", "n", "no", "off", "0", NULL};
	for (const char *const *p = yes; *p; p++)
		if (strcasecmp(s, *p) == 0)
			return 1;
	for (const char *const *p = no; *p; p++)
		if (strcasecmp(s, *p) == 0)
			return 0;
	return -1;
}

/* A cast: of a constant, the constant as SQLite stores it; of anything else, CAST or a function. */
static bool type_cast(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__TypeCast *tc)
{
	const char *tname = tc->type_name ? type_last_name(tc->type_name) : NULL;
	if (!tname)
		return fail(t, "a cast without a type");
	if (strcmp(tname, "interval") == 0)
		return fail(t, "SQLite has no interval type");
	struct sqlite_type ty;
	const PgQuery__Node *arg = tc->arg;
	bool is_const = arg && arg->node_case == PG_QUERY__NODE__NODE_A_CONST;
	if (is_const && !t->native) {
		const PgQuery__AConst *c = arg->a_const;
		if (!sqlite_tr_type(t, tc->type_name, &ty))
			return false;
		if (c->val_case == PG_QUERY__A__CONST__VAL_SVAL && !c->isnull && c->sval) {
			const char *s = c->sval->sval ? c->sval->sval : "";
			if (ty.boolean) {
				int b = bool_text(s);
				if (b < 0)
					return failf(t, "'%s' is not a boolean", s);
				strbuf_addstr(sb, b ? "1" : "0");
				return true;
			}
			if ((ty.integer || strcmp(ty.name, "NUMERIC") == 0 ||
			     strcmp(ty.name, "REAL") == 0) &&
			    number_text(s)) {
				strbuf_addstr(sb, s);
				return true;
			}
		}
		return a_const(t, sb, c);
	}
	if (t->native) {
		if (!sqlite_tr_type(t, tc->type_name, &ty))
			return false;
		strbuf_addstr(sb, "CAST(");
		if (!expr(t, sb, arg, 0))
			return false;
		strbuf_addf(sb, " AS %s)", ty.name);
		return true;
	}
	if (strcmp(tname, "date") == 0) {
		strbuf_addstr(sb, "date(");
		if (!expr(t, sb, arg, 0))
			return false;
		strbuf_addch(sb, ')');
		return true;
	}
	static const char *const as_is[] = {"timestamptz", "timestamp", "json",
					    "jsonb",	   "uuid",	NULL};
	if (type_is(tname, as_is))
		return expr(t, sb, arg, P_ATOM);
	if (!sqlite_tr_type(t, tc->type_name, &ty))
		return false;
	if (ty.boolean)
		return fail(t, "SQLite cannot cast an expression to boolean");
	strbuf_addstr(sb, "CAST(");
	if (!expr(t, sb, arg, 0))
		return false;
	strbuf_addf(sb, " AS %s)", ty.name);
	return true;
}

/* A LIKE pattern as a GLOB pattern: SQLite's LIKE ignores case, GLOB keeps it as PostgreSQL does.
 */
static bool like_to_glob(struct sqlite_tr *t, const char *pat, const char **ret)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = pat; *p; p++) {
		if (*p == '\\') {
			if (!p[1])
				break;
			p++;
			if (*p == '*' || *p == '?' || *p == '[')
				strbuf_addf(&sb, "[%c]", *p);
			else
				strbuf_addch(&sb, *p);
		} else if (*p == '%') {
			strbuf_addch(&sb, '*');
		} else if (*p == '_') {
			strbuf_addch(&sb, '?');
		} else if (*p == '*' || *p == '?' || *p == '[') {
			strbuf_addf(&sb, "[%c]", *p);
		} else {
			strbuf_addch(&sb, *p);
		}
	}
	*ret = arena_strdup(t->a, sb.buf);
	strbuf_release(&sb);
	return true;
}

static const char *const_string(const PgQuery__Node *n)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	if (n && n->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL && !n->a_const->isnull &&
	    n->a_const->sval)
		return n->a_const->sval->sval ? n->a_const->sval->sval : "";
	return NULL;
}

static bool like(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__AExpr *e, bool ilike)
{
	const char *op = op_name(e);
	bool negated = op && op[0] == '!';
	if (t->native) {
		/* SQLite's own LIKE, read back */
		if (!expr(t, sb, e->lexpr, P_EQ + 1))
			return false;
		strbuf_addstr(sb, negated ? " NOT LIKE " : " LIKE ");
		return expr(t, sb, e->rexpr, P_EQ + 1);
	}
	const char *pat = const_string(e->rexpr);
	if (ilike) {
		/* SQLite's LIKE ignores ASCII case, as ILIKE does */
		if (pat && strchr(pat, '\\'))
			return fail(t, "SQLite's LIKE has no default escape character");
		if (!expr(t, sb, e->lexpr, P_EQ + 1))
			return false;
		strbuf_addstr(sb, negated ? " NOT LIKE " : " LIKE ");
		return expr(t, sb, e->rexpr, P_EQ + 1);
	}
	if (!pat)
		return fail(t, "LIKE with a pattern that is not a constant: SQLite's LIKE ignores "
			       "case");
	const char *glob;
	like_to_glob(t, pat, &glob);
	strbuf_addf(sb, "%sglob(%s, ", negated ? "NOT " : "", sqlite_literal(t->a, glob));
	if (!expr(t, sb, e->lexpr, 0))
		return false;
	strbuf_addch(sb, ')');
	return true;
}

static bool a_expr(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__AExpr *e)
{
	const char *op = op_name(e);
	switch (e->kind) {
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP: {
		if (!op)
			return fail(t, "an operator without a name");
		int p = binary_op_prec(op);
		if (!e->lexpr) {
			if (strcmp(op, "-") != 0 && strcmp(op, "+") != 0)
				return failf(t, "SQLite has no prefix operator '%s'", op);
			strbuf_addstr(sb, op);
			return expr(t, sb, e->rexpr, P_UNARY);
		}
		if (!p)
			return failf(t, "SQLite has no operator '%s'", op);
		if (!expr(t, sb, e->lexpr, p))
			return false;
		strbuf_addf(sb, " %s ", strcmp(op, "!=") == 0 ? "<>" : op);
		return expr(t, sb, e->rexpr, p + 1);
	}
	case PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT:
		if (!expr(t, sb, e->lexpr, P_EQ + 1))
			return false;
		strbuf_addstr(sb, e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT
				      ? " IS DISTINCT FROM "
				      : " IS NOT DISTINCT FROM ");
		return expr(t, sb, e->rexpr, P_EQ + 1);
	case PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF:
		strbuf_addstr(sb, "nullif(");
		if (!expr(t, sb, e->lexpr, 0))
			return false;
		strbuf_addstr(sb, ", ");
		if (!expr(t, sb, e->rexpr, 0))
			return false;
		strbuf_addch(sb, ')');
		return true;
	case PG_QUERY__A__EXPR__KIND__AEXPR_IN: {
		if (!e->rexpr || e->rexpr->node_case != PG_QUERY__NODE__NODE_LIST)
			return fail(t, "IN without a list");
		if (!expr(t, sb, e->lexpr, P_EQ + 1))
			return false;
		strbuf_addstr(sb, op && strcmp(op, "<>") == 0 ? " NOT IN (" : " IN (");
		if (!expr_list(t, sb, e->rexpr->list->items, e->rexpr->list->n_items))
			return false;
		strbuf_addch(sb, ')');
		return true;
	}
	case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
		return like(t, sb, e, false);
	case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE:
		return like(t, sb, e, true);
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN: {
		const PgQuery__Node *r = e->rexpr;
		if (!r || r->node_case != PG_QUERY__NODE__NODE_LIST || r->list->n_items != 2)
			return fail(t, "BETWEEN without two bounds");
		if (!expr(t, sb, e->lexpr, P_EQ + 1))
			return false;
		strbuf_addstr(sb, e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN
				      ? " BETWEEN "
				      : " NOT BETWEEN ");
		if (!expr(t, sb, r->list->items[0], P_EQ + 1))
			return false;
		strbuf_addstr(sb, " AND ");
		return expr(t, sb, r->list->items[1], P_EQ + 1);
	}
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL:
		return fail(t, "SQLite has no arrays for ANY/ALL: write IN (...)");
	case PG_QUERY__A__EXPR__KIND__AEXPR_SIMILAR:
		return fail(t, "SQLite has no SIMILAR TO");
	default:
		return fail(t, "SQLite has no symmetric BETWEEN");
	}
}

/* PostgreSQL functions with the same meaning in SQLite, under SQLite's name. */
static const struct {
	const char *pg;
	const char *sqlite;
	int min_args, max_args;
} func_map[] = {
    {"lower", "lower", 1, 1},
    {"upper", "upper", 1, 1},
    {"length", "length", 1, 1},
    {"char_length", "length", 1, 1},
    {"character_length", "length", 1, 1},
    {"abs", "abs", 1, 1},
    {"round", "round", 1, 2},
    {"nullif", "nullif", 2, 2},
    {"btrim", "trim", 1, 2},
    {"ltrim", "ltrim", 1, 2},
    {"rtrim", "rtrim", 1, 2},
    {"replace", "replace", 3, 3},
    {"substr", "substr", 2, 3},
    {"substring", "substr", 2, 3},
    {"strpos", "instr", 2, 2},
    {"position", "instr", 2, 2},
    {"sum", "sum", 1, 1},
    {"count", "count", 0, 1},
    {"min", "min", 1, 1},
    {"max", "max", 1, 1},
    {"avg", "avg", 1, 1},
};

/* A random version-4 UUID as text, the way gen_random_uuid() makes one. */
#define SQLITE_UUID_EXPR                                                                           \
	"lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || "                        \
	"substr(hex(randomblob(2)), 2) || '-' || substr('89AB', 1 + abs(random()) % 4, 1) || "     \
	"substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"

static bool func_call(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__FuncCall *f)
{
	const char *name = ast_last_name(f->funcname, f->n_funcname);
	if (!name)
		return fail(t, "a function without a name");
	if (f->over)
		return fail(t, "window functions are not translated");
	if (f->agg_filter || f->n_agg_order || f->agg_within_group)
		return failf(t, "%s() with FILTER, ORDER BY or WITHIN GROUP is not translated",
			     name);
	if (f->func_variadic)
		return fail(t, "VARIADIC calls are not translated");
	const char *out = name;
	if (!t->native) {
		if (strcmp(name, "now") == 0 || strcmp(name, "statement_timestamp") == 0 ||
		    strcmp(name, "transaction_timestamp") == 0 ||
		    strcmp(name, "clock_timestamp") == 0) {
			if (f->n_args)
				return failf(t, "%s() takes no arguments", name);
			strbuf_addstr(sb, "CURRENT_TIMESTAMP");
			return true;
		}
		if (strcmp(name, "gen_random_uuid") == 0 || strcmp(name, "uuid_generate_v4") == 0) {
			strbuf_addstr(sb, SQLITE_UUID_EXPR);
			return true;
		}
		if (strcmp(name, "left") == 0 && f->n_args == 2) {
			strbuf_addstr(sb, "substr(");
			if (!expr(t, sb, f->args[0], 0))
				return false;
			strbuf_addstr(sb, ", 1, ");
			if (!expr(t, sb, f->args[1], 0))
				return false;
			strbuf_addch(sb, ')');
			return true;
		}
		out = NULL;
		for (size_t i = 0; i < sizeof(func_map) / sizeof(func_map[0]); i++)
			if (strcmp(func_map[i].pg, name) == 0 &&
			    (int)f->n_args >= func_map[i].min_args &&
			    (int)f->n_args <= func_map[i].max_args)
				out = func_map[i].sqlite;
		if (!out)
			return failf(t,
				     "SQLite has no counterpart of the function %s() with %zu "
				     "argument%s",
				     name, f->n_args, f->n_args == 1 ? "" : "s");
	}
	strbuf_addf(sb, "%s(", out);
	if (f->agg_star) {
		strbuf_addch(sb, '*');
	} else {
		if (f->agg_distinct)
			strbuf_addstr(sb, "DISTINCT ");
		if (!expr_list(t, sb, f->args, f->n_args))
			return false;
	}
	strbuf_addch(sb, ')');
	return true;
}

static bool column_ref(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__ColumnRef *cr)
{
	size_t start = 0;
	/* public.table.column: the schema goes, SQLite has one */
	if (cr->n_fields == 3 && ast_string(cr->fields[0]) &&
	    strcmp(ast_string(cr->fields[0]), "public") == 0)
		start = 1;
	for (size_t i = start; i < cr->n_fields; i++) {
		const PgQuery__Node *f = cr->fields[i];
		if (i > start)
			strbuf_addch(sb, '.');
		if (f->node_case == PG_QUERY__NODE__NODE_A_STAR)
			strbuf_addch(sb, '*');
		else if (ast_string(f))
			add_ident(t, sb, ast_string(f));
		else
			return fail(t, "a column reference that is not a name");
	}
	return true;
}

static bool sub_link(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__SubLink *s,
		     bool negated)
{
	const char *op = ast_last_name(s->oper_name, s->n_oper_name);
	switch (s->sub_link_type) {
	case PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK:
		strbuf_addstr(sb, "EXISTS (");
		break;
	case PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK:
		strbuf_addch(sb, '(');
		break;
	case PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK:
	case PG_QUERY__SUB_LINK_TYPE__ALL_SUBLINK: {
		bool any = (s->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK) != negated;
		/* x IN (SELECT ...) is = ANY; x NOT IN (SELECT ...) is <> ALL */
		bool is_any = s->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK;
		if (!(is_any && (!op || strcmp(op, "=") == 0)) &&
		    !(!is_any && op && strcmp(op, "<>") == 0))
			return fail(t,
				    "SQLite compares with a subquery only through IN and NOT IN");
		if (!expr(t, sb, s->testexpr, P_EQ + 1))
			return false;
		strbuf_addstr(sb, any ? " IN (" : " NOT IN (");
		break;
	}
	default:
		return fail(t, "this kind of subquery is not translated");
	}
	if (!sqlite_tr_select(t, sb, s->subselect))
		return false;
	strbuf_addch(sb, ')');
	return true;
}

static bool expr_node(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST:
		return a_const(t, sb, n->a_const);
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		return column_ref(t, sb, n->column_ref);
	case PG_QUERY__NODE__NODE_A_EXPR:
		return a_expr(t, sb, n->a_expr);
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		return func_call(t, sb, n->func_call);
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return type_cast(t, sb, n->type_cast);
	case PG_QUERY__NODE__NODE_BOOL_EXPR: {
		const PgQuery__BoolExpr *b = n->bool_expr;
		if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR) {
			/* NOT (x = ANY (SELECT ...)) is how x NOT IN (SELECT ...) parses */
			const PgQuery__Node *arg = b->n_args == 1 ? b->args[0] : NULL;
			if (arg && arg->node_case == PG_QUERY__NODE__NODE_SUB_LINK &&
			    arg->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK)
				return sub_link(t, sb, arg->sub_link, true);
			strbuf_addstr(sb, "NOT ");
			return b->n_args == 1 && expr(t, sb, b->args[0], P_NOT);
		}
		int p = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR ? P_AND : P_OR;
		for (size_t i = 0; i < b->n_args; i++) {
			if (i)
				strbuf_addstr(sb, p == P_AND ? " AND " : " OR ");
			if (!expr(t, sb, b->args[i], p))
				return false;
		}
		return true;
	}
	case PG_QUERY__NODE__NODE_NULL_TEST:
		if (!expr(t, sb, n->null_test->arg, P_EQ + 1))
			return false;
		strbuf_addstr(sb, n->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL
				      ? " IS NULL"
				      : " IS NOT NULL");
		return true;
	case PG_QUERY__NODE__NODE_BOOLEAN_TEST: {
		static const char *const tests[] = {
		    [PG_QUERY__BOOL_TEST_TYPE__IS_TRUE] = " IS TRUE",
		    [PG_QUERY__BOOL_TEST_TYPE__IS_NOT_TRUE] = " IS NOT TRUE",
		    [PG_QUERY__BOOL_TEST_TYPE__IS_FALSE] = " IS FALSE",
		    [PG_QUERY__BOOL_TEST_TYPE__IS_NOT_FALSE] = " IS NOT FALSE",
		    [PG_QUERY__BOOL_TEST_TYPE__IS_UNKNOWN] = " IS NULL",
		    [PG_QUERY__BOOL_TEST_TYPE__IS_NOT_UNKNOWN] = " IS NOT NULL",
		};
		unsigned k = (unsigned)n->boolean_test->booltesttype;
		if (k == 0 || k >= sizeof(tests) / sizeof(tests[0]))
			return fail(t, "an unknown boolean test");
		if (!expr(t, sb, n->boolean_test->arg, P_EQ + 1))
			return false;
		strbuf_addstr(sb, tests[k]);
		return true;
	}
	case PG_QUERY__NODE__NODE_CASE_EXPR: {
		const PgQuery__CaseExpr *c = n->case_expr;
		strbuf_addstr(sb, "CASE");
		if (c->arg) {
			strbuf_addch(sb, ' ');
			if (!expr(t, sb, c->arg, 0))
				return false;
		}
		for (size_t i = 0; i < c->n_args; i++) {
			const PgQuery__Node *w = c->args[i];
			if (w->node_case != PG_QUERY__NODE__NODE_CASE_WHEN)
				return fail(t, "CASE without WHEN");
			strbuf_addstr(sb, " WHEN ");
			if (!expr(t, sb, w->case_when->expr, 0))
				return false;
			strbuf_addstr(sb, " THEN ");
			if (!expr(t, sb, w->case_when->result, 0))
				return false;
		}
		if (c->defresult) {
			strbuf_addstr(sb, " ELSE ");
			if (!expr(t, sb, c->defresult, 0))
				return false;
		}
		strbuf_addstr(sb, " END");
		return true;
	}
	case PG_QUERY__NODE__NODE_COALESCE_EXPR: {
		const PgQuery__CoalesceExpr *c = n->coalesce_expr;
		if (c->n_args == 1)
			return expr(t, sb, c->args[0], P_ATOM);
		strbuf_addstr(sb, "coalesce(");
		if (!expr_list(t, sb, c->args, c->n_args))
			return false;
		strbuf_addch(sb, ')');
		return true;
	}
	case PG_QUERY__NODE__NODE_SUB_LINK:
		return sub_link(t, sb, n->sub_link, false);
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
		switch (n->sqlvalue_function->op) {
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE:
			strbuf_addstr(sb, "CURRENT_DATE");
			return true;
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME_N:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME_N:
			strbuf_addstr(sb, "CURRENT_TIME");
			return true;
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N:
			strbuf_addstr(sb, "CURRENT_TIMESTAMP");
			return true;
		default:
			return fail(t, "SQLite has no users, roles or schemas to name");
		}
	case PG_QUERY__NODE__NODE_ROW_EXPR:
		strbuf_addch(sb, '(');
		if (!expr_list(t, sb, n->row_expr->args, n->row_expr->n_args))
			return false;
		strbuf_addch(sb, ')');
		return true;
	case PG_QUERY__NODE__NODE_PARAM_REF:
		return fail(t, "a migration has no parameters to bind");
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		return fail(t, "SQLite has no arrays");
	case PG_QUERY__NODE__NODE_A_INDIRECTION:
		return fail(t, "SQLite has no subscripts or field selection");
	case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
		return fail(t, "PostgreSQL collations have no SQLite counterpart");
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
		return fail(t, "GREATEST/LEAST ignore NULLs where SQLite's max()/min() do not");
	case PG_QUERY__NODE__NODE_SET_TO_DEFAULT:
		return fail(t, "SQLite has no DEFAULT placeholder in VALUES or SET");
	default:
		return fail(t, "this kind of expression is not translated");
	}
}

static bool expr(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__Node *n, int min_prec)
{
	if (!n)
		return fail(t, "an empty expression");
	bool paren = expr_prec(n) < min_prec;
	if (paren)
		strbuf_addch(sb, '(');
	if (!expr_node(t, sb, n))
		return false;
	if (paren)
		strbuf_addch(sb, ')');
	return true;
}

bool sqlite_tr_expr(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__Node *n)
{
	return expr(t, sb, n, 0);
}

/* ---- SELECT ---- */

static bool from_item(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_RANGE_VAR:
		return add_rangevar(t, sb, n->range_var);
	case PG_QUERY__NODE__NODE_RANGE_SUBSELECT: {
		const PgQuery__RangeSubselect *r = n->range_subselect;
		if (r->lateral)
			return fail(t, "SQLite has no LATERAL");
		strbuf_addch(sb, '(');
		if (!sqlite_tr_select(t, sb, r->subquery))
			return false;
		strbuf_addch(sb, ')');
		if (r->alias && has(r->alias->aliasname)) {
			if (r->alias->n_colnames)
				return fail(t,
					    "SQLite cannot name a subquery's columns in its alias");
			strbuf_addstr(sb, " AS ");
			add_ident(t, sb, r->alias->aliasname);
		}
		return true;
	}
	case PG_QUERY__NODE__NODE_JOIN_EXPR: {
		const PgQuery__JoinExpr *j = n->join_expr;
		static const char *const kinds[] = {
		    [PG_QUERY__JOIN_TYPE__JOIN_INNER] = "JOIN",
		    [PG_QUERY__JOIN_TYPE__JOIN_LEFT] = "LEFT JOIN",
		    [PG_QUERY__JOIN_TYPE__JOIN_FULL] = "FULL JOIN",
		    [PG_QUERY__JOIN_TYPE__JOIN_RIGHT] = "RIGHT JOIN",
		};
		if ((unsigned)j->jointype >= sizeof(kinds) / sizeof(kinds[0]) ||
		    !kinds[j->jointype])
			return fail(t, "this kind of join is not translated");
		if (j->alias || j->join_using_alias)
			return fail(t, "SQLite cannot alias a join");
		if (!from_item(t, sb, j->larg))
			return false;
		bool cross = j->jointype == PG_QUERY__JOIN_TYPE__JOIN_INNER && !j->quals &&
			     !j->n_using_clause && !j->is_natural;
		strbuf_addf(sb, " %s%s ", j->is_natural ? "NATURAL " : "",
			    cross ? "CROSS JOIN" : kinds[j->jointype]);
		if (!from_item(t, sb, j->rarg))
			return false;
		if (j->quals) {
			strbuf_addstr(sb, " ON ");
			return expr(t, sb, j->quals, 0);
		}
		if (j->n_using_clause) {
			strbuf_addstr(sb, " USING ");
			return name_list(t, sb, j->using_clause, j->n_using_clause);
		}
		return true;
	}
	default:
		return fail(t, "this kind of FROM item is not translated");
	}
}

static bool from_list(struct sqlite_tr *t, struct strbuf *sb, PgQuery__Node *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addstr(sb, ", ");
		if (!from_item(t, sb, items[i]))
			return false;
	}
	return true;
}

static bool target_list(struct sqlite_tr *t, struct strbuf *sb, PgQuery__Node *const *items,
			size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__Node *it = items[i];
		if (it->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
			return fail(t, "a target that is not an expression");
		const PgQuery__ResTarget *rt = it->res_target;
		if (i)
			strbuf_addstr(sb, ", ");
		if (!expr(t, sb, rt->val, 0))
			return false;
		if (has(rt->name)) {
			strbuf_addstr(sb, " AS ");
			add_ident(t, sb, rt->name);
		}
	}
	return true;
}

static bool with_clause(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__WithClause *w)
{
	if (!w)
		return true;
	strbuf_addstr(sb, w->recursive ? "WITH RECURSIVE " : "WITH ");
	for (size_t i = 0; i < w->n_ctes; i++) {
		const PgQuery__Node *n = w->ctes[i];
		if (n->node_case != PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR)
			return fail(t, "a WITH item that is not a query");
		const PgQuery__CommonTableExpr *c = n->common_table_expr;
		if (c->search_clause || c->cycle_clause)
			return fail(t, "SQLite has no SEARCH or CYCLE clause");
		if (!c->ctequery || c->ctequery->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
			return fail(t, "SQLite's WITH holds SELECT queries only");
		if (i)
			strbuf_addstr(sb, ", ");
		add_ident(t, sb, c->ctename);
		if (c->n_aliascolnames) {
			strbuf_addch(sb, ' ');
			if (!name_list(t, sb, c->aliascolnames, c->n_aliascolnames))
				return false;
		}
		strbuf_addstr(sb, " AS (");
		if (!sqlite_tr_select(t, sb, c->ctequery))
			return false;
		strbuf_addch(sb, ')');
	}
	strbuf_addch(sb, ' ');
	return true;
}

static bool select_stmt(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__SelectStmt *s,
			bool force_where);

static bool set_operand(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__SelectStmt *s)
{
	if (s->n_sort_clause || s->limit_count || s->limit_offset || s->with_clause)
		return fail(t, "SQLite cannot order or limit one side of a UNION");
	return select_stmt(t, sb, s, false);
}

static bool select_stmt(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__SelectStmt *s,
			bool force_where)
{
	if (s->into_clause)
		return fail(t, "SELECT INTO is not translated: write CREATE TABLE and INSERT");
	if (s->n_window_clause)
		return fail(t, "window definitions are not translated");
	if (s->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES)
		return fail(t, "SQLite has no FETCH ... WITH TIES");
	if (!with_clause(t, sb, s->with_clause))
		return false;
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE &&
	    s->op != PG_QUERY__SET_OPERATION__SET_OPERATION_UNDEFINED) {
		if (!set_operand(t, sb, s->larg))
			return false;
		strbuf_addstr(sb, s->op == PG_QUERY__SET_OPERATION__SETOP_UNION ? " UNION "
				  : s->op == PG_QUERY__SET_OPERATION__SETOP_INTERSECT
				      ? " INTERSECT "
				      : " EXCEPT ");
		if (s->all) {
			if (s->op != PG_QUERY__SET_OPERATION__SETOP_UNION)
				return fail(t, "SQLite has INTERSECT and EXCEPT without ALL only");
			strbuf_addstr(sb, "ALL ");
		}
		if (!set_operand(t, sb, s->rarg))
			return false;
	} else if (s->n_values_lists) {
		strbuf_addstr(sb, "VALUES ");
		for (size_t i = 0; i < s->n_values_lists; i++) {
			const PgQuery__Node *row = s->values_lists[i];
			if (row->node_case != PG_QUERY__NODE__NODE_LIST)
				return fail(t, "a VALUES row that is not a list");
			strbuf_addstr(sb, i ? ", (" : "(");
			if (!expr_list(t, sb, row->list->items, row->list->n_items))
				return false;
			strbuf_addch(sb, ')');
		}
	} else {
		strbuf_addstr(sb, "SELECT ");
		if (s->n_distinct_clause) {
			const PgQuery__Node *d = s->distinct_clause[0];
			if (s->n_distinct_clause > 1 ||
			    (d && d->node_case != PG_QUERY__NODE__NODE__NOT_SET))
				return fail(t, "SQLite has no DISTINCT ON");
			strbuf_addstr(sb, "DISTINCT ");
		}
		if (!target_list(t, sb, s->target_list, s->n_target_list))
			return false;
		if (s->n_from_clause) {
			strbuf_addstr(sb, " FROM ");
			if (!from_list(t, sb, s->from_clause, s->n_from_clause))
				return false;
		}
		if (s->where_clause) {
			strbuf_addstr(sb, " WHERE ");
			if (!expr(t, sb, s->where_clause, 0))
				return false;
		} else if (force_where) {
			/* INSERT ... SELECT ... ON CONFLICT: SQLite's parser needs a WHERE to tell
			 * them apart */
			strbuf_addstr(sb, " WHERE 1");
		}
		if (s->n_group_clause) {
			strbuf_addstr(sb, " GROUP BY ");
			if (!expr_list(t, sb, s->group_clause, s->n_group_clause))
				return false;
		}
		if (s->having_clause) {
			strbuf_addstr(sb, " HAVING ");
			if (!expr(t, sb, s->having_clause, 0))
				return false;
		}
	}
	for (size_t i = 0; i < s->n_sort_clause; i++) {
		const PgQuery__Node *n = s->sort_clause[i];
		if (n->node_case != PG_QUERY__NODE__NODE_SORT_BY)
			return fail(t, "an ORDER BY item that is not an expression");
		const PgQuery__SortBy *o = n->sort_by;
		if (o->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING)
			return fail(t, "SQLite has no ORDER BY ... USING");
		strbuf_addstr(sb, i ? ", " : " ORDER BY ");
		if (!expr(t, sb, o->node, 0))
			return false;
		if (o->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC)
			strbuf_addstr(sb, " DESC");
		else if (o->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_ASC)
			strbuf_addstr(sb, " ASC");
		if (o->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST)
			strbuf_addstr(sb, " NULLS FIRST");
		else if (o->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST)
			strbuf_addstr(sb, " NULLS LAST");
	}
	if (s->limit_count || s->limit_offset) {
		strbuf_addstr(sb, " LIMIT ");
		if (s->limit_count) {
			if (!expr(t, sb, s->limit_count, 0))
				return false;
		} else {
			strbuf_addstr(sb, "-1");
		}
		if (s->limit_offset) {
			strbuf_addstr(sb, " OFFSET ");
			if (!expr(t, sb, s->limit_offset, 0))
				return false;
		}
	}
	return true;
}

bool sqlite_tr_select(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__Node *n)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return fail(t, "a subquery that is not a SELECT");
	return select_stmt(t, sb, n->select_stmt, false);
}

/* ---- DML ---- */

static bool returning(struct sqlite_tr *t, struct strbuf *sb, PgQuery__Node *const *items, size_t n)
{
	if (!n)
		return true;
	strbuf_addstr(sb, " RETURNING ");
	return target_list(t, sb, items, n);
}

static bool set_list(struct sqlite_tr *t, struct strbuf *sb, PgQuery__Node *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__Node *it = items[i];
		if (it->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
			return fail(t, "an assignment that is not column = value");
		const PgQuery__ResTarget *rt = it->res_target;
		if (rt->n_indirection)
			return fail(t, "SQLite cannot assign to a subscript or field");
		if (rt->val && rt->val->node_case == PG_QUERY__NODE__NODE_MULTI_ASSIGN_REF)
			return fail(t, "(a, b) = ... assignments are not translated");
		if (i)
			strbuf_addstr(sb, ", ");
		add_ident(t, sb, rt->name ? rt->name : "");
		strbuf_addstr(sb, " = ");
		if (!expr(t, sb, rt->val, 0))
			return false;
	}
	return true;
}

static bool insert_stmt(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__InsertStmt *s)
{
	if (!with_clause(t, sb, s->with_clause))
		return false;
	strbuf_addstr(sb, "INSERT INTO ");
	if (!add_rangevar(t, sb, s->relation))
		return false;
	if (s->n_cols) {
		strbuf_addstr(sb, " (");
		for (size_t i = 0; i < s->n_cols; i++) {
			const PgQuery__Node *c = s->cols[i];
			if (c->node_case != PG_QUERY__NODE__NODE_RES_TARGET ||
			    c->res_target->n_indirection)
				return fail(t, "SQLite inserts into plain columns only");
			if (i)
				strbuf_addstr(sb, ", ");
			add_ident(t, sb, c->res_target->name);
		}
		strbuf_addch(sb, ')');
	}
	const PgQuery__OnConflictClause *oc = s->on_conflict_clause;
	if (!s->select_stmt) {
		strbuf_addstr(sb, " DEFAULT VALUES");
		if (oc)
			return fail(t, "SQLite has no ON CONFLICT after DEFAULT VALUES");
	} else {
		strbuf_addch(sb, ' ');
		if (s->select_stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
			return fail(t, "INSERT from something that is not a query");
		if (!select_stmt(t, sb, s->select_stmt->select_stmt,
				 oc && !s->select_stmt->select_stmt->n_values_lists))
			return false;
	}
	if (oc) {
		strbuf_addstr(sb, " ON CONFLICT");
		if (oc->infer) {
			if (has(oc->infer->conname))
				return fail(t, "SQLite has no ON CONFLICT ON CONSTRAINT: name the "
					       "columns");
			strbuf_addstr(sb, " (");
			for (size_t i = 0; i < oc->infer->n_index_elems; i++) {
				const PgQuery__Node *e = oc->infer->index_elems[i];
				if (e->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM)
					return fail(t, "a conflict target that is not a column");
				if (i)
					strbuf_addstr(sb, ", ");
				if (has(e->index_elem->name)) {
					add_ident(t, sb, e->index_elem->name);
				} else if (!expr(t, sb, e->index_elem->expr, P_ATOM)) {
					return false;
				}
			}
			strbuf_addch(sb, ')');
			if (oc->infer->where_clause) {
				strbuf_addstr(sb, " WHERE ");
				if (!expr(t, sb, oc->infer->where_clause, 0))
					return false;
			}
		}
		if (oc->action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_NOTHING) {
			strbuf_addstr(sb, " DO NOTHING");
		} else {
			if (!oc->infer)
				return fail(t,
					    "ON CONFLICT DO UPDATE needs the conflicting columns");
			strbuf_addstr(sb, " DO UPDATE SET ");
			if (!set_list(t, sb, oc->target_list, oc->n_target_list))
				return false;
			if (oc->where_clause) {
				strbuf_addstr(sb, " WHERE ");
				if (!expr(t, sb, oc->where_clause, 0))
					return false;
			}
		}
	}
	return returning(t, sb, s->returning_list, s->n_returning_list);
}

static bool update_stmt(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__UpdateStmt *s)
{
	if (!with_clause(t, sb, s->with_clause))
		return false;
	strbuf_addstr(sb, "UPDATE ");
	if (!add_rangevar(t, sb, s->relation))
		return false;
	strbuf_addstr(sb, " SET ");
	if (!set_list(t, sb, s->target_list, s->n_target_list))
		return false;
	if (s->n_from_clause) {
		strbuf_addstr(sb, " FROM ");
		if (!from_list(t, sb, s->from_clause, s->n_from_clause))
			return false;
	}
	if (s->where_clause) {
		if (s->where_clause->node_case == PG_QUERY__NODE__NODE_CURRENT_OF_EXPR)
			return fail(t, "SQLite has no cursors");
		strbuf_addstr(sb, " WHERE ");
		if (!expr(t, sb, s->where_clause, 0))
			return false;
	}
	return returning(t, sb, s->returning_list, s->n_returning_list);
}

static bool delete_stmt(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__DeleteStmt *s)
{
	if (s->n_using_clause)
		return fail(t, "SQLite's DELETE has no USING: write WHERE ... IN (SELECT ...)");
	if (!with_clause(t, sb, s->with_clause))
		return false;
	strbuf_addstr(sb, "DELETE FROM ");
	if (!add_rangevar(t, sb, s->relation))
		return false;
	if (s->where_clause) {
		if (s->where_clause->node_case == PG_QUERY__NODE__NODE_CURRENT_OF_EXPR)
			return fail(t, "SQLite has no cursors");
		strbuf_addstr(sb, " WHERE ");
		if (!expr(t, sb, s->where_clause, 0))
			return false;
	}
	return returning(t, sb, s->returning_list, s->n_returning_list);
}

/* ---- CREATE TABLE ---- */

static const char *join_names(struct arena *a, PgQuery__Node *const *names, size_t n)
{
	const char *out = "";
	for (size_t i = 0; i < n; i++)
		out = arena_printf(a, "%s%s%s", out, i ? "_" : "",
				   ast_string(names[i]) ? ast_string(names[i]) : "expr");
	return out;
}

static const char *unique_name(struct sqlite_tr *t, const char *base)
{
	const char *name = base;
	for (int i = 1; name_taken(t, name); i++)
		name = arena_printf(t->a, "%s%d", base, i);
	sqlite_tr_take_name(t, name);
	return name;
}

const char *sqlite_tr_constraint_name(struct sqlite_tr *t, const PgQuery__Constraint *c,
				      const char *column)
{
	const char *table = t->table ? t->table : "table";
	switch (c->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		return unique_name(t, arena_printf(t->a, "%s_pkey", table));
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		return unique_name(
		    t, arena_printf(t->a, "%s_%s_key", table,
				    column ? column : join_names(t->a, c->keys, c->n_keys)));
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		return unique_name(
		    t,
		    arena_printf(t->a, "%s_%s_fkey", table,
				 column ? column : join_names(t->a, c->fk_attrs, c->n_fk_attrs)));
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK: {
		/* as PostgreSQL: the column when the expression reads exactly one */
		const char **refs;
		size_t n;
		sqlite_column_refs(t->a, c->raw_expr, &refs, &n);
		if (n == 1)
			return unique_name(t, arena_printf(t->a, "%s_%s_check", table, refs[0]));
		return unique_name(t, arena_printf(t->a, "%s_check", table));
	}
	default:
		return NULL;
	}
}

static const char *fk_action(char c)
{
	switch (c) {
	case 'r':
		return "RESTRICT";
	case 'c':
		return "CASCADE";
	case 'n':
		return "SET NULL";
	case 'd':
		return "SET DEFAULT";
	default:
		return NULL; /* NO ACTION, the default */
	}
}

static bool references(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__Constraint *c)
{
	if (c->fk_matchtype && *c->fk_matchtype == 'f')
		return fail(t, "SQLite does not enforce MATCH FULL");
	if (c->n_fk_del_set_cols)
		return fail(t, "SQLite has no ON DELETE SET NULL (columns)");
	strbuf_addstr(sb, "REFERENCES ");
	if (!add_rangevar(t, sb, c->pktable))
		return false;
	if (c->n_pk_attrs) {
		strbuf_addch(sb, ' ');
		if (!name_list(t, sb, c->pk_attrs, c->n_pk_attrs))
			return false;
	}
	const char *del = c->fk_del_action ? fk_action(*c->fk_del_action) : NULL;
	const char *upd = c->fk_upd_action ? fk_action(*c->fk_upd_action) : NULL;
	if (del)
		strbuf_addf(sb, " ON DELETE %s", del);
	if (upd)
		strbuf_addf(sb, " ON UPDATE %s", upd);
	if (c->deferrable)
		strbuf_addstr(sb,
			      c->initdeferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE");
	return true;
}

static bool check_expr(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__Constraint *c)
{
	if (c->is_no_inherit)
		return fail(t, "SQLite has no table inheritance (NO INHERIT)");
	strbuf_addstr(sb, "CHECK (");
	if (!expr(t, sb, c->raw_expr, 0))
		return false;
	strbuf_addch(sb, ')');
	return true;
}

/* A default: a constant or CURRENT_* as it is, anything else in parentheses as SQLite asks. */
static bool default_expr(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__Node *n)
{
	struct strbuf e = STRBUF_INIT;
	bool ok = expr(t, &e, n, 0);
	if (ok) {
		const char *s = e.buf;
		bool bare = strcmp(s, "CURRENT_TIMESTAMP") == 0 || strcmp(s, "CURRENT_DATE") == 0 ||
			    strcmp(s, "CURRENT_TIME") == 0 || strcmp(s, "NULL") == 0 ||
			    number_text(s) ||
			    (s[0] == '\'' && n->node_case != PG_QUERY__NODE__NODE_A_EXPR &&
			     n->node_case != PG_QUERY__NODE__NODE_FUNC_CALL);
		strbuf_addstr(sb, "DEFAULT ");
		if (bare) {
			strbuf_addstr(sb, s);
		} else {
			strbuf_addch(sb, '(');
			strbuf_addstr(sb, s);
			strbuf_addch(sb, ')');
		}
	}
	strbuf_release(&e);
	return ok;
}

/* Does a table-level PRIMARY KEY hold exactly this one column? */
static bool pk_is_column(const PgQuery__Constraint *pk, const char *col)
{
	return pk && pk->n_keys == 1 && ast_string(pk->keys[0]) &&
	       strcmp(ast_string(pk->keys[0]), col) == 0;
}

static bool add_constraint_name(struct sqlite_tr *t, struct strbuf *sb, PgQuery__Constraint *c,
				const char *column)
{
	const char *name = has(c->conname) ? c->conname : NULL;
	if (!name && !t->native)
		name = sqlite_tr_constraint_name(t, c, column);
	if (name) {
		strbuf_addstr(sb, "CONSTRAINT ");
		add_ident(t, sb, name);
		strbuf_addch(sb, ' ');
	}
	return true;
}

bool sqlite_tr_column_def(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__ColumnDef *cd,
			  const PgQuery__Constraint *table_pk)
{
	struct sqlite_type ty;
	if (!cd->colname)
		return fail(t, "a column without a name");
	if (!sqlite_tr_type(t, cd->type_name, &ty))
		return false;
	if (cd->coll_clause)
		return fail(t, "PostgreSQL collations have no SQLite counterpart");
	bool identity = ty.serial, primary = pk_is_column(table_pk, cd->colname);
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *c = ast_constraint(cd->constraints[i]);
		if (c && c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY)
			identity = true;
		if (c && c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
			primary = true;
	}
	if (identity && (!primary || !ty.integer))
		return failf(t,
			     "SQLite generates values only for an INTEGER PRIMARY KEY, and '%s' "
			     "is not the table's one-column primary key",
			     cd->colname);
	add_ident(t, sb, cd->colname);
	strbuf_addf(sb, " %s", ty.name);
	/* DEFERRABLE and INITIALLY DEFERRED come as their own nodes after the foreign key */
	PgQuery__Constraint *last_fk = NULL;
	for (size_t i = 0; i < cd->n_constraints; i++) {
		PgQuery__Constraint *c =
		    cd->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT
			? cd->constraints[i]->constraint
			: NULL;
		if (!c)
			return fail(t, "a column constraint that is not a constraint");
		switch (c->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_DEFERRABLE:
		case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_DEFERRED:
			if (!last_fk)
				return fail(t, "SQLite defers foreign keys only");
			strbuf_addstr(sb,
				      c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_DEFERRABLE
					  ? " DEFERRABLE"
					  : " INITIALLY DEFERRED");
			continue;
		case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_NOT_DEFERRABLE:
		case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_IMMEDIATE:
			continue;
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
			continue; /* INTEGER PRIMARY KEY generates it */
		default:
			break;
		}
		strbuf_addch(sb, ' ');
		switch (c->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_NULL:
			strbuf_addstr(sb, "NULL");
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
			strbuf_addstr(sb, "NOT NULL");
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT: {
			/* a boolean column's 't' or 'off' is the 1 or 0 SQLite stores */
			const char *s = ty.boolean ? const_string(c->raw_expr) : NULL;
			if (s) {
				int b = bool_text(s);
				if (b < 0)
					return failf(t, "'%s' is not a boolean", s);
				strbuf_addf(sb, "DEFAULT %d", b);
				break;
			}
			if (!default_expr(t, sb, c->raw_expr))
				return false;
			break;
		}
		case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
			add_constraint_name(t, sb, c, cd->colname);
			if (!check_expr(t, sb, c))
				return false;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
			add_constraint_name(t, sb, c, cd->colname);
			strbuf_addstr(sb, "PRIMARY KEY");
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
			if (c->nulls_not_distinct)
				return fail(t, "SQLite has no UNIQUE NULLS NOT DISTINCT");
			add_constraint_name(t, sb, c, cd->colname);
			strbuf_addstr(sb, "UNIQUE");
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
			add_constraint_name(t, sb, c, cd->colname);
			if (!references(t, sb, c))
				return false;
			last_fk = c;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
			return fail(t, "generated columns are not translated");
		default:
			return fail(t, "this column constraint has no SQLite counterpart");
		}
	}
	return true;
}

bool sqlite_tr_table_constraint(struct sqlite_tr *t, struct strbuf *sb, PgQuery__Constraint *c)
{
	if (c->n_including)
		return fail(t, "SQLite constraints have no INCLUDE columns");
	switch (c->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		if (has(c->indexname))
			return fail(t, "a constraint USING INDEX needs the live table");
		if (c->nulls_not_distinct)
			return fail(t, "SQLite has no UNIQUE NULLS NOT DISTINCT");
		add_constraint_name(t, sb, c, NULL);
		strbuf_addstr(sb, c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY
				      ? "PRIMARY KEY "
				      : "UNIQUE ");
		return name_list(t, sb, c->keys, c->n_keys);
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		add_constraint_name(t, sb, c, NULL);
		return check_expr(t, sb, c);
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		add_constraint_name(t, sb, c, NULL);
		strbuf_addstr(sb, "FOREIGN KEY ");
		if (!name_list(t, sb, c->fk_attrs, c->n_fk_attrs))
			return false;
		strbuf_addch(sb, ' ');
		return references(t, sb, c);
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		return fail(t, "SQLite has no exclusion constraints");
	default:
		return fail(t, "this table constraint has no SQLite counterpart");
	}
}

/* Marks the names a table's constraints already carry. */
void sqlite_tr_take_table_names(struct sqlite_tr *t, const PgQuery__CreateStmt *cs)
{
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *e = cs->table_elts[i];
		if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
			sqlite_tr_take_name(t, e->constraint->conname);
		} else if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			for (size_t k = 0; k < e->column_def->n_constraints; k++) {
				const PgQuery__Constraint *c =
				    ast_constraint(e->column_def->constraints[k]);
				if (c)
					sqlite_tr_take_name(t, c->conname);
			}
		}
	}
}

bool sqlite_tr_create_table(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__CreateStmt *cs)
{
	if (cs->n_inh_relations)
		return fail(t, "SQLite has no table inheritance");
	if (cs->partspec || cs->partbound)
		return fail(t, "SQLite has no partitioned tables");
	if (cs->of_typename)
		return fail(t, "SQLite has no typed tables");
	t->table = cs->relation ? cs->relation->relname : NULL;
	sqlite_tr_take_table_names(t, cs);
	const PgQuery__Constraint *table_pk = NULL;
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Constraint *c = ast_constraint(cs->table_elts[i]);
		if (c && c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
			table_pk = c;
	}
	strbuf_addstr(sb, "CREATE TABLE ");
	if (cs->if_not_exists)
		strbuf_addstr(sb, "IF NOT EXISTS ");
	if (!add_rangevar(t, sb, cs->relation))
		return false;
	strbuf_addstr(sb, " (");
	size_t written = 0;
	/* columns first, then table constraints: both grammars take that order */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < cs->n_table_elts; i++) {
			const PgQuery__Node *e = cs->table_elts[i];
			bool col = e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF;
			if (!col && e->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
				return fail(t, "LIKE and other table elements are not translated");
			if (col != (pass == 0))
				continue;
			if (written++)
				strbuf_addstr(sb, ", ");
			if (col ? !sqlite_tr_column_def(t, sb, e->column_def, table_pk)
				: !sqlite_tr_table_constraint(t, sb, e->constraint))
				return false;
		}
	}
	strbuf_addch(sb, ')');
	return true;
}

/* ---- indexes ---- */

const char *sqlite_index_default_name(struct arena *a, const PgQuery__IndexStmt *is)
{
	const char *cols = "";
	for (size_t i = 0; i < is->n_index_params; i++) {
		const PgQuery__Node *n = is->index_params[i];
		const char *c =
		    n->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM && has(n->index_elem->name)
			? n->index_elem->name
			: "expr";
		cols = arena_printf(a, "%s%s%s", cols, i ? "_" : "", c);
	}
	return arena_printf(a, "%s_%s_%s", is->relation ? is->relation->relname : "index", cols,
			    is->unique ? "key" : "idx");
}

bool sqlite_tr_create_index(struct sqlite_tr *t, struct strbuf *sb, const PgQuery__IndexStmt *is,
			    const char *name)
{
	/* hash answers equality as a b-tree does; the others index what SQLite cannot */
	if (has(is->access_method) && strcmp(is->access_method, "btree") != 0 &&
	    strcmp(is->access_method, "hash") != 0)
		return failf(t, "SQLite has only b-tree indexes, not %s", is->access_method);
	if (is->nulls_not_distinct)
		return fail(t, "SQLite has no UNIQUE NULLS NOT DISTINCT");
	if (is->primary || is->isconstraint)
		return fail(t, "a constraint index is made by its constraint");
	strbuf_addf(sb, "CREATE %sINDEX %s", is->unique ? "UNIQUE " : "",
		    is->if_not_exists ? "IF NOT EXISTS " : "");
	add_ident(t, sb, name);
	strbuf_addstr(sb, " ON ");
	if (!add_rangevar(t, sb, is->relation))
		return false;
	strbuf_addstr(sb, " (");
	for (size_t i = 0; i < is->n_index_params; i++) {
		const PgQuery__Node *n = is->index_params[i];
		if (n->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM)
			return fail(t, "an index element that is not a column or expression");
		const PgQuery__IndexElem *e = n->index_elem;
		if (e->n_collation)
			return fail(t, "PostgreSQL collations have no SQLite counterpart");
		if (i)
			strbuf_addstr(sb, ", ");
		if (has(e->name)) {
			add_ident(t, sb, e->name);
		} else {
			strbuf_addch(sb, '(');
			if (!expr(t, sb, e->expr, 0))
				return false;
			strbuf_addch(sb, ')');
		}
		if (e->ordering == PG_QUERY__SORT_BY_DIR__SORTBY_DESC)
			strbuf_addstr(sb, " DESC");
		else if (e->ordering == PG_QUERY__SORT_BY_DIR__SORTBY_ASC)
			strbuf_addstr(sb, " ASC");
	}
	strbuf_addch(sb, ')');
	if (is->where_clause) {
		strbuf_addstr(sb, " WHERE ");
		if (!expr(t, sb, is->where_clause, 0))
			return false;
	}
	return true;
}

/* ---- statements ---- */

static void add_sql(struct arena *a, struct sqlite_translation *r, const char *sql)
{
	ARENA_GROW(a, r->sql, r->n, r->alloc, r->n + 1);
	r->sql[r->n++] = sql;
}

/* Runs one emitter into a fresh buffer; the text lands in r, a failure in rc. */
#define EMIT(t, r, call)                                                                           \
	do {                                                                                       \
		struct strbuf sb_ = STRBUF_INIT;                                                   \
		struct strbuf *sb = &sb_;                                                          \
		bool ok_ = (call);                                                                 \
		if (ok_)                                                                           \
			add_sql((t)->a, (r), arena_strdup((t)->a, sb_.buf));                       \
		strbuf_release(&sb_);                                                              \
		if (!ok_)                                                                          \
			rc = SQLITE_UNSUPPORTED;                                                   \
	} while (0)

static enum sqlite_translate_result drop_stmt(struct sqlite_tr *t, const PgQuery__DropStmt *ds,
					      struct sqlite_translation *r)
{
	const char *kind;
	switch (ds->remove_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		kind = "TABLE";
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		kind = "INDEX";
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		kind = "VIEW";
		break;
	default:
		fail(t, "SQLite has no such kind of object to drop");
		return SQLITE_UNSUPPORTED;
	}
	if (ds->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
		fail(t, "SQLite has no DROP ... CASCADE: drop what depends on it first");
		return SQLITE_UNSUPPORTED;
	}
	for (size_t i = 0; i < ds->n_objects; i++) {
		const char *schema, *name;
		ast_object_name(ds->objects[i], &schema, &name);
		if (!name) {
			fail(t, "the dropped object has no name");
			return SQLITE_UNSUPPORTED;
		}
		if (schema && strcmp(schema, "public") != 0 && strcmp(schema, "main") != 0) {
			failf(t, "SQLite has no schema '%s': a database file is one schema",
			      schema);
			return SQLITE_UNSUPPORTED;
		}
		add_sql(t->a, r,
			arena_printf(t->a, "DROP %s %s%s", kind, ds->missing_ok ? "IF EXISTS " : "",
				     sqlite_ident(t->a, name)));
	}
	return SQLITE_TRANSLATED;
}

static enum sqlite_translate_result view_stmt(struct sqlite_tr *t, const PgQuery__ViewStmt *vs,
					      struct sqlite_translation *r)
{
	if (vs->with_check_option != PG_QUERY__VIEW_CHECK_OPTION__NO_CHECK_OPTION &&
	    vs->with_check_option != PG_QUERY__VIEW_CHECK_OPTION__VIEW_CHECK_OPTION_UNDEFINED) {
		fail(t, "SQLite views are read-only: WITH CHECK OPTION has no meaning there");
		return SQLITE_UNSUPPORTED;
	}
	if (vs->replace) {
		struct strbuf sb_ = STRBUF_INIT;
		bool ok = add_rangevar(t, &sb_, vs->view);
		if (ok)
			add_sql(t->a, r, arena_printf(t->a, "DROP VIEW IF EXISTS %s", sb_.buf));
		strbuf_release(&sb_);
		if (!ok)
			return SQLITE_UNSUPPORTED;
	}
	struct strbuf sb_ = STRBUF_INIT;
	struct strbuf *sb = &sb_;
	strbuf_addstr(sb, "CREATE VIEW ");
	bool ok = add_rangevar(t, sb, vs->view);
	if (ok && vs->n_aliases) {
		strbuf_addch(sb, ' ');
		ok = name_list(t, sb, vs->aliases, vs->n_aliases);
	}
	if (ok) {
		strbuf_addstr(sb, " AS ");
		ok = sqlite_tr_select(t, sb, vs->query);
	}
	if (ok)
		add_sql(t->a, r, arena_strdup(t->a, sb->buf));
	strbuf_release(sb);
	return ok ? SQLITE_TRANSLATED : SQLITE_UNSUPPORTED;
}

static enum sqlite_translate_result rename_stmt(struct sqlite_tr *t, const PgQuery__RenameStmt *rs,
						struct sqlite_translation *r)
{
	struct strbuf sb_ = STRBUF_INIT;
	bool ok;
	switch (rs->rename_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		strbuf_addstr(&sb_, "ALTER TABLE ");
		ok = add_rangevar(t, &sb_, rs->relation);
		strbuf_addf(&sb_, " RENAME TO %s", sqlite_ident(t->a, rs->newname));
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
		if (rs->relation_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
			strbuf_release(&sb_);
			fail(t, "SQLite renames columns of tables only");
			return SQLITE_UNSUPPORTED;
		}
		strbuf_addstr(&sb_, "ALTER TABLE ");
		ok = add_rangevar(t, &sb_, rs->relation);
		strbuf_addf(&sb_, " RENAME COLUMN %s TO %s", sqlite_ident(t->a, rs->subname),
			    sqlite_ident(t->a, rs->newname));
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
		strbuf_release(&sb_);
		/* SQLite renames neither: the index is made again, the table rebuilt */
		return SQLITE_NEEDS_TABLE;
	default:
		strbuf_release(&sb_);
		fail(t, "SQLite renames tables, columns, indexes and constraints only");
		return SQLITE_UNSUPPORTED;
	}
	if (ok)
		add_sql(t->a, r, arena_strdup(t->a, sb_.buf));
	strbuf_release(&sb_);
	if (ok && rs->missing_ok) {
		fail(t, "SQLite has no ALTER TABLE IF EXISTS");
		return SQLITE_UNSUPPORTED;
	}
	return ok ? SQLITE_TRANSLATED : SQLITE_UNSUPPORTED;
}

/* Checks every part of an ALTER TABLE that has a form of its own (types, defaults, constraints). */
static enum sqlite_translate_result alter_table_check(struct sqlite_tr *t,
						      const PgQuery__AlterTableStmt *as)
{
	if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		fail(t, "SQLite alters tables only");
		return SQLITE_UNSUPPORTED;
	}
	struct strbuf sb = STRBUF_INIT;
	bool ok = add_rangevar(t, &sb, as->relation);
	t->table = as->relation ? as->relation->relname : NULL;
	for (size_t i = 0; ok && i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
		if (!cmd) {
			ok = fail(t, "an ALTER TABLE action that is not a command");
			break;
		}
		strbuf_reset(&sb);
		const PgQuery__ColumnDef *cd =
		    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF
			? cmd->def->column_def
			: NULL;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			ok = cd && sqlite_tr_column_def(t, &sb, cd, NULL);
			if (ok) {
				struct sqlite_type ty;
				sqlite_tr_type(t, cd->type_name, &ty);
				for (size_t k = 0; k < cd->n_constraints; k++) {
					const PgQuery__Constraint *c =
					    ast_constraint(cd->constraints[k]);
					if (c &&
					    c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
						ok = fail(
						    t, "SQLite cannot add a primary key column to "
						       "a table");
				}
			}
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			if (cmd->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
				ok = fail(t, "SQLite has no DROP COLUMN ... CASCADE");
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType: {
			struct sqlite_type ty;
			ok = cd && sqlite_tr_type(t, cd->type_name, &ty);
			if (ok && cd->coll_clause)
				ok = fail(t, "PostgreSQL collations have no SQLite counterpart");
			if (ok && cd->raw_default)
				ok = sqlite_tr_expr(t, &sb, cd->raw_default);
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
			if (cmd->def)
				ok = default_expr(t, &sb, cmd->def);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
			if (cmd->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
				ok = fail(t, "SQLite has no DROP CONSTRAINT ... CASCADE");
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint: {
			PgQuery__Constraint *c =
			    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT
				? cmd->def->constraint
				: NULL;
			if (!c) {
				ok = fail(t, "ADD CONSTRAINT without a constraint");
			} else if (has(c->indexname)) {
				if (c->contype != PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE)
					ok = fail(t,
						  "SQLite cannot make an existing index a primary "
						  "key");
			} else {
				/* a copy: naming it here must not name the statement's tree */
				PgQuery__Constraint copy = *c;
				ok = sqlite_tr_table_constraint(t, &sb, &copy);
			}
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIndexConstraint:
			break;
		default:
			ok = fail(t, "SQLite's ALTER TABLE has no counterpart of this action");
			break;
		}
	}
	strbuf_release(&sb);
	return ok ? SQLITE_NEEDS_TABLE : SQLITE_UNSUPPORTED;
}

static enum sqlite_translate_result unsupported(struct sqlite_tr *t, const char *why)
{
	fail(t, why);
	return SQLITE_UNSUPPORTED;
}

enum sqlite_translate_result translate_sqlite_statement(struct arena *a, const PgQuery__Node *stmt,
							struct sqlite_translation *ret,
							const char **ret_why)
{
	struct sqlite_tr t;
	sqlite_tr_init(&t, a, false);
	memset(ret, 0, sizeof(*ret));
	*ret_why = NULL;
	enum sqlite_translate_result rc = SQLITE_TRANSLATED;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		EMIT(&t, ret, sqlite_tr_create_table(&t, sb, stmt->create_stmt));
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *is = stmt->index_stmt;
		const char *name =
		    is->idxname && *is->idxname ? is->idxname : sqlite_index_default_name(a, is);
		EMIT(&t, ret, sqlite_tr_create_index(&t, sb, is, name));
		break;
	}
	case PG_QUERY__NODE__NODE_DROP_STMT:
		rc = drop_stmt(&t, stmt->drop_stmt, ret);
		break;
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		rc = view_stmt(&t, stmt->view_stmt, ret);
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		rc = rename_stmt(&t, stmt->rename_stmt, ret);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		rc = alter_table_check(&t, stmt->alter_table_stmt);
		break;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		EMIT(&t, ret, insert_stmt(&t, sb, stmt->insert_stmt));
		break;
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		EMIT(&t, ret, update_stmt(&t, sb, stmt->update_stmt));
		break;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		EMIT(&t, ret, delete_stmt(&t, sb, stmt->delete_stmt));
		break;
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		EMIT(&t, ret, select_stmt(&t, sb, stmt->select_stmt, false));
		break;
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
		ret->note = "COMMENT ON skipped: SQLite keeps no comments";
		break;
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
		ret->note = "SET skipped: SQLite has no such setting (the driver sets its own "
			    "timeouts)";
		break;
	case PG_QUERY__NODE__NODE_GRANT_STMT:
	case PG_QUERY__NODE__NODE_GRANT_ROLE_STMT:
		ret->note = "GRANT/REVOKE skipped: SQLite has no users or privileges";
		break;
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		ret->note = "VACUUM/ANALYZE skipped: SQLite cannot vacuum inside the phase's "
			    "transaction";
		break;
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
		rc = unsupported(&t, "SQLite has no extensions");
		break;
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
	case PG_QUERY__NODE__NODE_DO_STMT:
		rc = unsupported(&t, "SQLite runs no PL/pgSQL or SQL functions");
		break;
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
		rc = unsupported(&t, "a PostgreSQL trigger calls a function, which SQLite cannot "
				     "run");
		break;
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
		rc = unsupported(&t, "SQLite has no user-defined types: use TEXT with a CHECK");
		break;
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		rc = unsupported(&t, "SQLite has no schemas: a database file is one schema");
		break;
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
	case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
		rc = unsupported(&t, "SQLite has no sequences: use an INTEGER PRIMARY KEY");
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		rc = unsupported(&t, "CREATE TABLE AS / materialized views are not translated: "
				     "write CREATE TABLE and INSERT ... SELECT");
		break;
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
		rc = unsupported(&t, "SQLite has no materialized views");
		break;
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		rc =
		    unsupported(&t, "a phase already runs in one transaction: remove BEGIN/COMMIT");
		break;
	case PG_QUERY__NODE__NODE_LOCK_STMT:
		rc = unsupported(&t, "SQLite has no LOCK TABLE: the phase's transaction holds the "
				     "database");
		break;
	default:
		rc = unsupported(&t, "this kind of statement has no SQLite counterpart");
		break;
	}
	if (rc == SQLITE_UNSUPPORTED)
		*ret_why = t.why ? t.why : "it has no SQLite counterpart";
	return rc;
}

/* ---- reading SQLite's schema text back ---- */

static const PgQuery__Node *parse_one(struct arena *a, const char *sql)
{
	struct sql_section sec;
	struct mg_error err = MG_ERROR_INIT;
	if (!sql || sql_parse_string(a, sql, &sec, &err) < 0 || sec.n_stmts != 1)
		return NULL;
	return sec.stmts[0].node;
}

PgQuery__CreateStmt *sqlite_table_parse(struct arena *a, const char *create_sql)
{
	const PgQuery__Node *n = parse_one(a, create_sql);
	return n && n->node_case == PG_QUERY__NODE__NODE_CREATE_STMT ? n->create_stmt : NULL;
}

PgQuery__IndexStmt *sqlite_index_parse(struct arena *a, const char *create_sql)
{
	const PgQuery__Node *n = parse_one(a, create_sql);
	return n && n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT ? n->index_stmt : NULL;
}
