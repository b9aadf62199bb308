/* PostgreSQL's records of the names a later command must find (target/pg/names_pg.h). */
#include "target/pg/names_pg.h"

#include <string.h>

#include "sql/quote.h"
#include "util/strbuf.h"

const char *names_pg_record(struct arena *a, const char *function, const char *kind,
			    const char *column, const char *name, int64_t version)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "{\"migrate\": ");
	strbuf_add_json_string(&sb, kind);
	strbuf_addstr(&sb, ", \"column\": ");
	strbuf_add_json_string(&sb, column);
	strbuf_addstr(&sb, ", \"name\": ");
	strbuf_add_json_string(&sb, name);
	strbuf_addf(&sb, ", \"version\": %lld}", (long long)version);
	const char *sql =
	    arena_printf(a, "COMMENT ON FUNCTION %s() IS %s", function, sql_literal(a, sb.buf));
	strbuf_release(&sb);
	return sql;
}

const char *names_pg_recorded_sql(struct arena *a, const char *rel_oid)
{
	/* the cast to jsonb only of what is a record: a user's comment is left alone */
	return arena_printf(
	    a,
	    "SELECT r.j->>'name' AS name, r.j->>'migrate' AS kind, r.j->>'column' AS col, "
	    "(r.j->>'version')::bigint AS version, r.tgname FROM (SELECT t.tgname, CASE "
	    "WHEN " NAMES_PG_IS_RECORD(
		"c.c") " THEN c.c::jsonb END AS j FROM pg_trigger t CROSS JOIN "
		       "LATERAL obj_description(t.tgfoid, 'pg_proc') AS c(c) WHERE t.tgrelid = %s) "
		       "AS r "
		       "WHERE r.j IS NOT NULL",
	    rel_oid);
}

int names_pg_recorded(struct driver *d, struct arena *a, const char *rel, const char *kind,
		      const char *column, int64_t version, struct driver_rows *ret,
		      struct mg_error *err)
{
	const char *v = arena_printf(a, "%lld", (long long)version);
	const char *params[] = {rel, kind, column, v};
	return d->ops->query(
	    d, a,
	    arena_printf(a,
			 "SELECT x.name FROM (%s) AS x WHERE x.kind = $2 AND "
			 "x.col = $3 AND ($4::bigint = 0 OR x.version = $4::bigint) "
			 "ORDER BY x.tgname",
			 names_pg_recorded_sql(a, "to_regclass($1)")),
	    4, params, ret, err);
}

/*
 * The name PostgreSQL gives a constraint or index it names itself, as its
 * makeObjectName does: name1_name2_label, the longer of the two names cut a
 * character at a time until the whole fits 63 bytes (never half a UTF-8
 * character). A name already taken gets a number from PostgreSQL, which this
 * does not guess.
 */
const char *names_pg_object(struct arena *a, const char *name1, const char *name2,
			    const char *label)
{
	size_t overhead = (label ? strlen(label) + 1 : 0) + (name2 ? 1 : 0);
	size_t avail = 63 - overhead;
	size_t n1 = strlen(name1), n2 = name2 ? strlen(name2) : 0;
	while (n1 + n2 > avail) {
		if (n1 > n2)
			n1--;
		else
			n2--;
	}
	while (n1 && ((unsigned char)name1[n1] & 0xC0) == 0x80)
		n1--;
	while (name2 && n2 && ((unsigned char)name2[n2] & 0xC0) == 0x80)
		n2--;
	return arena_printf(a, "%.*s%s%.*s%s%s", (int)n1, name1, name2 ? "_" : "", (int)n2,
			    name2 ? name2 : "", label ? "_" : "", label ? label : "");
}
