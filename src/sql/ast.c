#include "sql/ast.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *ast_string(const PgQuery__Node *n)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_STRING && n->string)
		return n->string->sval;
	return NULL;
}

const char *ast_last_name(PgQuery__Node *const *names, size_t n)
{
	return n ? ast_string(names[n - 1]) : NULL;
}

void ast_qualified_name(PgQuery__Node *const *names, size_t n, const char **ret_schema,
			const char **ret_name)
{
	*ret_schema = n >= 2 ? ast_string(names[n - 2]) : NULL;
	*ret_name = n >= 1 ? ast_string(names[n - 1]) : NULL;
}

void ast_object_name(const PgQuery__Node *obj, const char **ret_schema, const char **ret_name)
{
	*ret_schema = NULL;
	*ret_name = NULL;
	if (!obj)
		return;
	switch (obj->node_case) {
	case PG_QUERY__NODE__NODE_LIST:
		ast_qualified_name(obj->list->items, obj->list->n_items, ret_schema, ret_name);
		break;
	case PG_QUERY__NODE__NODE_STRING:
		*ret_name = obj->string->sval;
		break;
	case PG_QUERY__NODE__NODE_TYPE_NAME:
		ast_qualified_name(obj->type_name->names, obj->type_name->n_names, ret_schema,
				   ret_name);
		break;
	case PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS:
		ast_qualified_name(obj->object_with_args->objname, obj->object_with_args->n_objname,
				   ret_schema, ret_name);
		break;
	default:
		break;
	}
}

bool ast_const_int(const PgQuery__Node *n, int64_t *ret)
{
	if (!n)
		return false;
	if (n->node_case == PG_QUERY__NODE__NODE_INTEGER) {
		*ret = n->integer->ival;
		return true;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST) {
		const PgQuery__AConst *c = n->a_const;
		if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
			*ret = c->ival ? c->ival->ival : 0;
			return true;
		}
		if (c->val_case == PG_QUERY__A__CONST__VAL_FVAL && c->fval && c->fval->fval) {
			char *end;
			long long v = strtoll(c->fval->fval, &end, 10);
			if (*end)
				return false;
			*ret = v;
			return true;
		}
	}
	return false;
}

const PgQuery__Constraint *ast_constraint(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT ? n->constraint : NULL;
}

const PgQuery__AlterTableCmd *ast_alter_cmd(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD ? n->alter_table_cmd
									 : NULL;
}

const PgQuery__DefElem *ast_option(PgQuery__Node *const *options, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__Node *o = options[i];
		if (o && o->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && o->def_elem->defname &&
		    strcmp(o->def_elem->defname, name) == 0)
			return o->def_elem;
	}
	return NULL;
}

/* What PostgreSQL's parse_bool reads as false: prefixes of "false" and "no", "off", "0". */
static bool option_word_is_false(const char *s)
{
	size_t len = strlen(s);
	if (len == 0)
		return false;
	if (strncasecmp(s, "false", len) == 0 || strncasecmp(s, "no", len) == 0)
		return true;
	return (len >= 2 && strncasecmp(s, "off", len) == 0) || strcmp(s, "0") == 0;
}

bool ast_option_enabled(PgQuery__Node *const *options, size_t n, const char *name)
{
	const PgQuery__DefElem *d = ast_option(options, n, name);
	if (!d)
		return false;
	const PgQuery__Node *arg = d->arg;
	if (!arg)
		return true;
	switch (arg->node_case) {
	case PG_QUERY__NODE__NODE_INTEGER:
		return arg->integer->ival != 0;
	case PG_QUERY__NODE__NODE_BOOLEAN:
		return arg->boolean->boolval;
	case PG_QUERY__NODE__NODE_STRING:
		return !option_word_is_false(arg->string->sval ? arg->string->sval : "");
	default:
		return true;
	}
}

bool ast_stmt_is_concurrent(const PgQuery__Node *stmt)
{
	if (!stmt)
		return false;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return stmt->index_stmt->concurrent;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return stmt->drop_stmt->concurrent;
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
		return ast_option_enabled(stmt->reindex_stmt->params, stmt->reindex_stmt->n_params,
					  "concurrently");
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
		return stmt->refresh_mat_view_stmt->concurrent;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
		const PgQuery__AlterTableStmt *as = stmt->alter_table_stmt;
		for (size_t i = 0; i < as->n_cmds; i++) {
			const PgQuery__AlterTableCmd *cmd = ast_alter_cmd(as->cmds[i]);
			if (cmd && cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition &&
			    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
			    cmd->def->partition_cmd->concurrent)
				return true;
		}
		return false;
	}
	default:
		return false;
	}
}

/* Visits msg and every message below it, through the protobuf-c descriptors. */
static void ast_walk(ProtobufCMessage *msg, ast_visit_fn fn, void *ctx)
{
	fn(msg, ctx);
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		char *base = (char *)msg;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which = *(uint32_t *)(base + f->quantifier_offset);
			if (which != f->id)
				continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(size_t *)(base + f->quantifier_offset);
			ProtobufCMessage **items = *(ProtobufCMessage ***)(base + f->offset);
			for (size_t k = 0; k < n; k++)
				if (items[k])
					ast_walk(items[k], fn, ctx);
		} else {
			ProtobufCMessage *sub = *(ProtobufCMessage **)(base + f->offset);
			if (sub)
				ast_walk(sub, fn, ctx);
		}
	}
}

struct column_rename {
	const char *from;
	const char *to;
};

static void rename_visit(ProtobufCMessage *msg, void *ctx)
{
	const struct column_rename *cr = ctx;
	if (msg->descriptor == &pg_query__column_ref__descriptor) {
		PgQuery__ColumnRef *ref = (PgQuery__ColumnRef *)msg;
		if (!ref->n_fields)
			return;
		PgQuery__Node *last = ref->fields[ref->n_fields - 1];
		if (last->node_case == PG_QUERY__NODE__NODE_STRING && last->string->sval &&
		    strcmp(last->string->sval, cr->from) == 0)
			last->string->sval = (char *)cr->to;
	} else if (msg->descriptor == &pg_query__index_elem__descriptor) {
		PgQuery__IndexElem *e = (PgQuery__IndexElem *)msg;
		if (e->name && strcmp(e->name, cr->from) == 0)
			e->name = (char *)cr->to;
	}
}

struct column_mention {
	const char *name;
	bool found;
};

static bool names_hold(PgQuery__Node *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (names[i]->node_case == PG_QUERY__NODE__NODE_STRING && names[i]->string->sval &&
		    strcmp(names[i]->string->sval, name) == 0)
			return true;
	return false;
}

static void mention_visit(ProtobufCMessage *msg, void *ctx)
{
	struct column_mention *cm = ctx;
	if (msg->descriptor == &pg_query__column_ref__descriptor) {
		const PgQuery__ColumnRef *ref = (PgQuery__ColumnRef *)msg;
		cm->found |=
		    ref->n_fields && names_hold(&ref->fields[ref->n_fields - 1], 1, cm->name);
	} else if (msg->descriptor == &pg_query__index_elem__descriptor) {
		const PgQuery__IndexElem *e = (PgQuery__IndexElem *)msg;
		cm->found |= e->name && strcmp(e->name, cm->name) == 0;
	} else if (msg->descriptor == &pg_query__constraint__descriptor) {
		const PgQuery__Constraint *k = (PgQuery__Constraint *)msg;
		cm->found |= names_hold(k->keys, k->n_keys, cm->name) ||
			     names_hold(k->fk_attrs, k->n_fk_attrs, cm->name) ||
			     names_hold(k->including, k->n_including, cm->name);
	}
}

bool ast_mentions_column(const PgQuery__Node *tree, const char *name)
{
	struct column_mention cm = {name, false};
	if (tree)
		ast_walk((ProtobufCMessage *)&tree->base, mention_visit, &cm);
	return cm.found;
}

/* ---- a column renamed in a view's query ---- */

struct view_rename {
	const char *table, *from, *to;
	const char *aliases[16]; /* the names the query gives the table */
	size_t n_aliases;
	bool sole_table;  /* the query reads the table alone: a bare `from` is its column */
	bool unqualified; /* a reference to `from` without a table: cannot tell whose */
};

/*
 * PostgreSQL 16 and later print a view over one table without qualifying its
 * columns (SELECT id, a FROM t); such a bare name can only be the table's when
 * nothing else in the query (another table, a subquery, a function, a CTE)
 * brings names of its own.
 */
struct view_sources {
	const char *table;
	size_t n_table, n_other;
};

static void count_sources(ProtobufCMessage *msg, void *ctx)
{
	struct view_sources *vs = ctx;
	if (msg->descriptor == &pg_query__range_var__descriptor) {
		const PgQuery__RangeVar *rv = (PgQuery__RangeVar *)msg;
		if (rv->relname && strcmp(rv->relname, vs->table) == 0)
			vs->n_table++;
		else
			vs->n_other++;
	} else if (msg->descriptor == &pg_query__range_subselect__descriptor ||
		   msg->descriptor == &pg_query__range_function__descriptor ||
		   msg->descriptor == &pg_query__range_table_func__descriptor ||
		   msg->descriptor == &pg_query__common_table_expr__descriptor) {
		vs->n_other++;
	}
}

static void collect_aliases(ProtobufCMessage *msg, void *ctx)
{
	struct view_rename *vr = ctx;
	if (msg->descriptor != &pg_query__range_var__descriptor)
		return;
	const PgQuery__RangeVar *rv = (PgQuery__RangeVar *)msg;
	if (!rv->relname || strcmp(rv->relname, vr->table) != 0 || vr->n_aliases == 16)
		return;
	vr->aliases[vr->n_aliases++] =
	    rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
}

static bool names_table(const struct view_rename *vr, const PgQuery__Node *qualifier)
{
	const char *q =
	    qualifier->node_case == PG_QUERY__NODE__NODE_STRING ? qualifier->string->sval : NULL;
	for (size_t i = 0; q && i < vr->n_aliases; i++)
		if (strcmp(vr->aliases[i], q) == 0)
			return true;
	return false;
}

/* Is ref a reference to the table's column `from`? */
static bool is_renamed_ref(struct view_rename *vr, const PgQuery__ColumnRef *ref)
{
	if (!ref->n_fields || !names_hold(&ref->fields[ref->n_fields - 1], 1, vr->from))
		return false;
	if (ref->n_fields == 1) {
		vr->unqualified |= !vr->sole_table;
		return vr->sole_table;
	}
	return names_table(vr, ref->fields[ref->n_fields - 2]);
}

static void rename_in_view(ProtobufCMessage *msg, void *ctx)
{
	struct view_rename *vr = ctx;
	if (msg->descriptor == &pg_query__res_target__descriptor) {
		/* an output column named after the column keeps its name */
		PgQuery__ResTarget *rt = (PgQuery__ResTarget *)msg;
		if (!(rt->name && *rt->name) && rt->val &&
		    rt->val->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
		    is_renamed_ref(vr, rt->val->column_ref))
			rt->name = (char *)vr->from;
	} else if (msg->descriptor == &pg_query__column_ref__descriptor) {
		PgQuery__ColumnRef *ref = (PgQuery__ColumnRef *)msg;
		if (is_renamed_ref(vr, ref))
			ref->fields[ref->n_fields - 1]->string->sval = (char *)vr->to;
	}
}

bool ast_rename_view_column(PgQuery__Node *view, const char *table, const char *from,
			    const char *to)
{
	struct view_rename vr = {.table = table, .from = from, .to = to};
	if (view->node_case == PG_QUERY__NODE__NODE_VIEW_STMT && view->view_stmt->query) {
		struct view_sources vs = {.table = table};
		ast_walk((ProtobufCMessage *)&view->view_stmt->query->base, count_sources, &vs);
		vr.sole_table = vs.n_table == 1 && vs.n_other == 0;
	}
	ast_walk((ProtobufCMessage *)&view->base, collect_aliases, &vr);
	ast_walk((ProtobufCMessage *)&view->base, rename_in_view, &vr);
	return !vr.unqualified;
}

void ast_visit(const ProtobufCMessage *msg, ast_visit_fn fn, void *ctx)
{
	ast_walk((ProtobufCMessage *)msg, fn, ctx);
}

void ast_rename_column_refs(PgQuery__Node *tree, const char *from, const char *to)
{
	struct column_rename cr = {from, to};
	if (tree)
		ast_walk(&tree->base, rename_visit, &cr);
}

/* ALTER INDEX parent ATTACH PARTITION child: how an index on a partitioned table is built. */
bool ast_is_index_attach(const PgQuery__AlterTableStmt *as)
{
	const PgQuery__AlterTableCmd *cmd = as->n_cmds == 1 ? ast_alter_cmd(as->cmds[0]) : NULL;
	return as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX && as->relation && cmd &&
	       cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition;
}
