#include "target/history_json.h"

#include <bson/bson.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

const char *steps_to_json(struct arena *a, const struct step_list *l)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addch(&sb, '[');
	for (size_t i = 0; i < l->n; i++) {
		const struct step *s = &l->items[i];
		strbuf_addstr(&sb, i ? ", {\"sql\": " : "{\"sql\": ");
		strbuf_add_json_string(&sb, s->sql);
		strbuf_addf(&sb, ", \"flags\": %u", s->flags);
		if (s->backfill) {
			const struct backfill *b = s->backfill;
			strbuf_addstr(&sb, ", \"backfill\": {\"table\": ");
			strbuf_add_json_string(&sb, b->table);
			strbuf_addstr(&sb, ", \"key\": ");
			strbuf_add_json_string(&sb, b->key);
			strbuf_addstr(&sb, ", \"key_type\": ");
			strbuf_add_json_string(&sb, b->key_type);
			strbuf_addstr(&sb, ", \"set\": ");
			strbuf_add_json_string(&sb, b->set_sql);
			strbuf_addstr(&sb, ", \"where\": ");
			strbuf_add_json_string(&sb, b->where_sql);
			strbuf_addstr(&sb, ", \"label\": ");
			strbuf_add_json_string(&sb, b->label);
			strbuf_addch(&sb, '}');
		}
		if (s->file) {
			strbuf_addstr(&sb, ", \"file\": ");
			strbuf_add_json_string(&sb, s->file);
			strbuf_addf(&sb, ", \"line\": %d, \"column\": %d", s->line, s->column);
		}
		strbuf_addch(&sb, '}');
	}
	strbuf_addch(&sb, ']');
	const char *out = arena_strndup(a, sb.buf, sb.len);
	strbuf_release(&sb);
	return out;
}

/*
 * A JSON array as a document libbson can read (it reads documents, not bare
 * arrays: wrapped as {"a": ...}); *ret_array says whether it is an array,
 * ret_items then iterates its elements. NULL, with berr, when it is not JSON;
 * else the caller destroys it.
 */
static bson_t *json_array_open(struct arena *a, const char *json, bson_iter_t *ret_items,
			       bool *ret_array, bson_error_t *berr)
{
	size_t n = strlen(json);
	char *doc = arena_alloc(a, n + 16);
	memcpy(doc, "{\"a\": ", 6);
	memcpy(doc + 6, json, n);
	memcpy(doc + 6 + n, "}", 2);
	bson_t *b = bson_new_from_json((const uint8_t *)doc, -1, berr);
	bson_iter_t it;
	*ret_array = b && bson_iter_init_find(&it, b, "a") && BSON_ITER_HOLDS_ARRAY(&it) &&
		     bson_iter_recurse(&it, ret_items);
	return b;
}

const char *objects_to_json(struct arena *a, const struct object_set *set)
{
	if (!set->recorded)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addch(&sb, '[');
	for (size_t i = 0; i < set->n; i++) {
		const struct object_ref *o = &set->items[i];
		strbuf_addf(&sb, "%s{\"does\": \"%s\", \"kind\": \"%s\"", i ? ", " : "",
			    object_does_name(o->does), object_kind_name(o->kind));
		const char *keys[] = {"schema", "table", "name", "via"};
		const char *values[] = {o->schema && *o->schema ? o->schema : NULL, o->table,
					o->name, o->via};
		for (size_t k = 0; k < 4; k++) {
			if (!values[k])
				continue;
			strbuf_addf(&sb, ", \"%s\": ", keys[k]);
			strbuf_add_json_string(&sb, values[k]);
		}
		strbuf_addch(&sb, '}');
	}
	strbuf_addch(&sb, ']');
	const char *out = arena_strndup(a, sb.buf, sb.len);
	strbuf_release(&sb);
	return out;
}

int objects_from_json(struct arena *a, const char *json, struct object_set *ret,
		      struct mg_error *err)
{
	memset(ret, 0, sizeof(*ret));
	if (!json || !*json || strcmp(json, "null") == 0)
		return 0;
	bson_error_t berr;
	bson_iter_t arr;
	bool array;
	bson_t *b = json_array_open(a, json, &arr, &array, &berr);
	if (!b)
		return mg_error_set(err, 2, "history holds unreadable object sets: %s",
				    berr.message);
	ret->recorded = true;
	if (array) {
		while (bson_iter_next(&arr)) {
			bson_iter_t f;
			if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &f))
				continue;
			struct object_ref o = {.schema = ""};
			int kind = -1, does = -1;
			while (bson_iter_next(&f)) {
				if (!BSON_ITER_HOLDS_UTF8(&f))
					continue;
				const char *k = bson_iter_key(&f);
				const char *v = arena_strdup(a, bson_iter_utf8(&f, NULL));
				if (strcmp(k, "does") == 0)
					does = object_does_parse(v);
				else if (strcmp(k, "kind") == 0)
					kind = object_kind_parse(v);
				else if (strcmp(k, "schema") == 0)
					o.schema = v;
				else if (strcmp(k, "table") == 0)
					o.table = v;
				else if (strcmp(k, "name") == 0)
					o.name = v;
				else if (strcmp(k, "via") == 0)
					o.via = v;
			}
			/* an object of a kind a newer release knows is kept out of the comparison
			 */
			if (kind < 0 || does < 0 || !o.name)
				continue;
			o.kind = (enum object_kind)kind;
			o.does = (enum object_does)does;
			ARENA_GROW(a, ret->items, ret->n, ret->alloc, ret->n + 1);
			ret->items[ret->n++] = o;
		}
	}
	bson_destroy(b);
	return 0;
}

static int iter_int(const bson_iter_t *it)
{
	if (BSON_ITER_HOLDS_INT32(it))
		return bson_iter_int32(it);
	if (BSON_ITER_HOLDS_INT64(it))
		return (int)bson_iter_int64(it);
	if (BSON_ITER_HOLDS_DOUBLE(it))
		return (int)bson_iter_double(it);
	return 0;
}

int steps_from_json(struct arena *a, const char *json, struct step_list *ret, struct mg_error *err)
{
	memset(ret, 0, sizeof(*ret));
	if (!json || !*json)
		return 0;
	bson_error_t berr;
	bson_iter_t arr;
	bool array;
	bson_t *b = json_array_open(a, json, &arr, &array, &berr);
	if (!b)
		return mg_error_set(err, 2, "history holds unreadable revert steps: %s",
				    berr.message);
	if (array) {
		while (bson_iter_next(&arr)) {
			bson_iter_t f;
			if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &f))
				continue;
			const char *sql = NULL, *file = NULL;
			unsigned flags = 0;
			int line = 0, column = 0;
			struct backfill *bf = NULL;
			while (bson_iter_next(&f)) {
				const char *k = bson_iter_key(&f);
				if (strcmp(k, "backfill") == 0 && BSON_ITER_HOLDS_DOCUMENT(&f)) {
					bson_iter_t bi;
					bf = arena_alloc(a, sizeof(*bf));
					if (!bson_iter_recurse(&f, &bi))
						continue;
					while (bson_iter_next(&bi)) {
						const char *bk = bson_iter_key(&bi);
						const char *bv =
						    BSON_ITER_HOLDS_UTF8(&bi)
							? arena_strdup(a, bson_iter_utf8(&bi, NULL))
							: NULL;
						if (strcmp(bk, "table") == 0)
							bf->table = bv;
						else if (strcmp(bk, "key") == 0)
							bf->key = bv;
						else if (strcmp(bk, "key_type") == 0)
							bf->key_type = bv;
						else if (strcmp(bk, "set") == 0)
							bf->set_sql = bv;
						else if (strcmp(bk, "where") == 0)
							bf->where_sql = bv;
						else if (strcmp(bk, "label") == 0)
							bf->label = bv;
					}
				} else if (strcmp(k, "sql") == 0 && BSON_ITER_HOLDS_UTF8(&f))
					sql = arena_strdup(a, bson_iter_utf8(&f, NULL));
				else if (strcmp(k, "file") == 0 && BSON_ITER_HOLDS_UTF8(&f))
					file = arena_strdup(a, bson_iter_utf8(&f, NULL));
				else if (strcmp(k, "flags") == 0)
					flags = (unsigned)iter_int(&f);
				else if (strcmp(k, "line") == 0)
					line = iter_int(&f);
				else if (strcmp(k, "column") == 0)
					column = iter_int(&f);
			}
			if (sql) {
				step_list_add(a, ret, sql, flags, file, line, column);
				ret->items[ret->n - 1].backfill = bf;
			}
		}
	}
	bson_destroy(b);
	return 0;
}

void history_entry_params(struct arena *a, const struct history_entry *e,
			  const char *ret_params[HISTORY_PARAMS])
{
	ret_params[0] = arena_printf(a, "%lld", (long long)e->version);
	ret_params[1] = e->name;
	ret_params[2] = e->checksum;
	ret_params[3] = history_phase_name(e->phase);
	ret_params[4] = e->applied_by ? e->applied_by : "unknown";
	ret_params[5] = e->expand_seq ? arena_printf(a, "%lld", (long long)e->expand_seq) : NULL;
	ret_params[6] =
	    e->contract_seq ? arena_printf(a, "%lld", (long long)e->contract_seq) : NULL;
	ret_params[7] = arena_printf(a, "%lld", (long long)history_steps_stored(e));
	ret_params[8] = e->expand_seq ? arena_printf(a, "%lld", (long long)e->expand_ms) : NULL;
	ret_params[9] = e->contract_seq ? arena_printf(a, "%lld", (long long)e->contract_ms) : NULL;
	ret_params[10] = steps_to_json(a, &e->revert_expand);
	ret_params[11] = steps_to_json(a, &e->revert_contract);
	ret_params[12] = steps_to_json(a, &e->planned_expand);
	ret_params[13] = steps_to_json(a, &e->planned_contract);
	ret_params[14] = objects_to_json(a, &e->objects_expand);
	ret_params[15] = objects_to_json(a, &e->objects_contract);
}

static int64_t row_i64(const struct driver_rows *rows, size_t r, size_t c)
{
	const char *v = driver_rows_get(rows, r, c);
	return v ? strtoll(v, NULL, 10) : 0;
}

int history_from_rows(struct arena *a, const struct driver_rows *rows, struct history *ret,
		      struct mg_error *err)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t r = 0; r < rows->n_rows; r++) {
		ARENA_GROW(a, ret->items, ret->n, ret->alloc, ret->n + 1);
		struct history_entry *e = &ret->items[ret->n++];
		memset(e, 0, sizeof(*e));
		e->version = row_i64(rows, r, 0);
		e->name = driver_rows_get(rows, r, 1);
		e->checksum = driver_rows_get(rows, r, 2);
		e->phase = history_phase_parse(driver_rows_get(rows, r, 3));
		e->expanded_at = driver_rows_get(rows, r, 4);
		e->contracted_at = driver_rows_get(rows, r, 5);
		e->applied_by = driver_rows_get(rows, r, 6);
		e->expand_seq = row_i64(rows, r, 7);
		e->contract_seq = row_i64(rows, r, 8);
		history_steps_load(e, row_i64(rows, r, 9));
		e->expand_ms = row_i64(rows, r, 10);
		e->contract_ms = row_i64(rows, r, 11);
		if (steps_from_json(a, driver_rows_get(rows, r, 12), &e->revert_expand, err) < 0 ||
		    steps_from_json(a, driver_rows_get(rows, r, 13), &e->revert_contract, err) < 0)
			return -1;
		if (rows->n_cols > 15 && (steps_from_json(a, driver_rows_get(rows, r, 14),
							  &e->planned_expand, err) < 0 ||
					  steps_from_json(a, driver_rows_get(rows, r, 15),
							  &e->planned_contract, err) < 0))
			return -1;
		if (rows->n_cols > 17 && (objects_from_json(a, driver_rows_get(rows, r, 16),
							    &e->objects_expand, err) < 0 ||
					  objects_from_json(a, driver_rows_get(rows, r, 17),
							    &e->objects_contract, err) < 0))
			return -1;
	}
	return 0;
}
