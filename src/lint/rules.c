#include "lint/rules.h"

#include <string.h>

/* The catalogue reads as a table, one rule a row; the tests and the README read it too. */
/* clang-format off */

#define BREAKING(id_, sev_, fn_, summary_, help_)                                                 \
	{.id = id_, .kind = LINT_KIND_BREAKING, .severity = sev_, .enabled = true,                 \
	 .summary = summary_, .help = help_, .check = fn_}
/* breaking rules that also apply in contract: the app version running then uses the old form */
#define BREAKING_CONTRACT_PLANNED(id_, sev_, fn_, summary_, help_)                                \
	{.id = id_, .kind = LINT_KIND_BREAKING, .severity = sev_, .enabled = true,                 \
	 .summary = summary_, .help = help_, .check = fn_, .plannable = true, .in_contract = true}
#define BREAKING_CONTRACT(id_, sev_, fn_, summary_, help_)                                        \
	{.id = id_, .kind = LINT_KIND_BREAKING, .severity = sev_, .enabled = true,                 \
	 .summary = summary_, .help = help_, .check = fn_, .in_contract = true}
#define BLOCKING(id_, sev_, fn_, summary_, help_)                                                 \
	{.id = id_, .kind = LINT_KIND_BLOCKING, .severity = sev_, .enabled = true,                 \
	 .summary = summary_, .help = help_, .check = fn_}
/* rules whose hazard the planner turns into safe steps: `planned`, not error, in expand */
#define BREAKING_PLANNED(id_, sev_, fn_, summary_, help_)                                         \
	{.id = id_, .kind = LINT_KIND_BREAKING, .severity = sev_, .enabled = true,                 \
	 .summary = summary_, .help = help_, .check = fn_, .plannable = true}
#define BLOCKING_PLANNED(id_, sev_, fn_, summary_, help_)                                         \
	{.id = id_, .kind = LINT_KIND_BLOCKING, .severity = sev_, .enabled = true,                 \
	 .summary = summary_, .help = help_, .check = fn_, .plannable = true}
#define OPAQUE(id_, fn_, summary_, help_)                                                         \
	{.id = id_, .kind = LINT_KIND_OPAQUE, .severity = LINT_WARNING, .enabled = true,           \
	 .summary = summary_, .help = help_, .check = fn_}
#define STYLE(id_, fn_, summary_, help_)                                                          \
	{.id = id_, .kind = LINT_KIND_STYLE, .severity = LINT_WARNING, .enabled = false,           \
	 .summary = summary_, .help = help_, .check = fn_}
#define META(id_, sev_, summary_, help_)                                                          \
	{.id = id_, .kind = LINT_KIND_META, .severity = sev_, .enabled = true,                     \
	 .summary = summary_, .help = help_, .check = NULL}

const struct lint_rule lint_rules[] = {
	/* breaking: what running app versions still use */
	BREAKING("drop-table", LINT_ERROR, check_drop_table,
		 "DROP TABLE in expand: running app versions still read it",
		 "stop using the table in the app, then drop it in the contract section"),
	BREAKING("drop-column", LINT_ERROR, check_drop_column,
		 "DROP COLUMN in expand: running app versions still read it",
		 "stop using the column in the app, then drop it in the contract section"),
	BREAKING("drop-schema", LINT_ERROR, check_drop_schema,
		 "DROP SCHEMA in expand removes everything in it",
		 "empty the schema in contract steps, then drop it in the contract section"),
	BREAKING("drop-database", LINT_ERROR, check_drop_database,
		 "DROP DATABASE in a migration", "drop databases by hand, outside migrations"),
	BREAKING("drop-view", LINT_ERROR, check_drop_view,
		 "DROP VIEW in expand: running app versions still query it",
		 "drop the view in the contract section; use CREATE OR REPLACE VIEW to change it"),
	BREAKING("drop-function", LINT_ERROR, check_drop_function,
		 "DROP FUNCTION/PROCEDURE in expand: running code still calls it",
		 "drop it in the contract section; use CREATE OR REPLACE FUNCTION to change it"),
	BREAKING("drop-type", LINT_ERROR, check_drop_type,
		 "DROP TYPE in expand: columns and code still use it",
		 "drop the type in the contract section once nothing uses it"),
	BREAKING("drop-index", LINT_ERROR, check_drop_index,
		 "DROP INDEX in expand: running queries may depend on it",
		 "drop it with DROP INDEX CONCURRENTLY in the contract section"),
	BREAKING("truncate", LINT_ERROR, check_truncate,
		 "TRUNCATE deletes every row and takes an ACCESS EXCLUSIVE lock",
		 "delete rows in batches with DELETE ... WHERE, or do it outside migrations"),
	BREAKING_PLANNED("rename-table", LINT_ERROR, check_rename_table,
		 "RENAME TABLE breaks every query that uses the old name",
		 "create the new table (or an updatable view under the new name), move the app, "
		 "drop the old one in contract"),
	BREAKING_CONTRACT_PLANNED("rename-column", LINT_ERROR, check_rename_column,
		 "RENAME COLUMN (in expand or contract) breaks every query that uses the old name",
		 "add the new column, keep both in sync with a trigger and backfill, drop the old "
		 "one in contract"),
	BREAKING("rename-view", LINT_ERROR, check_rename_view,
		 "RENAME VIEW breaks every query that uses the old name",
		 "create a view under the new name beside the old one; drop the old in contract"),
	BREAKING("rename-schema", LINT_ERROR, check_rename_schema,
		 "RENAME SCHEMA breaks every qualified name in it",
		 "create the new schema and move objects one by one; drop the old in contract"),
	BREAKING("rename-enum-value", LINT_ERROR, check_rename_enum_value,
		 "ALTER TYPE ... RENAME VALUE breaks code and rows that use the old label",
		 "add the new value with ADD VALUE, migrate rows, stop using the old one"),
	BREAKING("rename-constraint", LINT_ERROR, check_rename_constraint,
		 "RENAME CONSTRAINT of a unique, primary key or exclusion constraint breaks ON "
		 "CONFLICT ON CONSTRAINT and error handling that name it",
		 "add a new constraint under the new name; drop the old one in contract"),
	BREAKING("rename-type", LINT_ERROR, check_rename_type,
		 "ALTER TYPE / DOMAIN ... RENAME TO breaks every cast and declaration that names "
		 "the type",
		 "create the type under the new name, move columns and code, drop the old one in "
		 "contract"),
	BREAKING("set-schema", LINT_ERROR, check_set_schema,
		 "ALTER ... SET SCHEMA breaks every name qualified with the old schema",
		 "create the object in the new schema (or a view there), move the app, drop the "
		 "old one in contract"),
	BREAKING_CONTRACT("enable-rls-without-policy", LINT_ERROR, check_enable_rls_without_policy,
		 "ENABLE ROW LEVEL SECURITY on a table with no policy: the app's queries see no "
		 "rows",
		 "CREATE POLICY for the app's role in the same migration, before or with the "
		 "ENABLE"),
	BREAKING("add-column-not-null", LINT_ERROR, check_add_column_not_null,
		 "ADD COLUMN ... NOT NULL without a default on an existing table fails old "
		 "inserts",
		 "add it nullable or with a constant DEFAULT, backfill, then SET NOT NULL through "
		 "a NOT VALID check"),
	BREAKING_PLANNED("set-not-null", LINT_ERROR, check_set_not_null,
		 "SET NOT NULL scans the table under ACCESS EXCLUSIVE and fails old inserts of NULL",
		 "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL in "
		 "contract"),
	BREAKING_PLANNED("change-column-type", LINT_ERROR, check_change_column_type,
		 "ALTER COLUMN TYPE that is not binary-coercible rewrites the table and breaks "
		 "readers",
		 "add a column of the new type, sync it with a trigger, backfill, swap in contract"),
	BREAKING_PLANNED("add-unique-constraint", LINT_ERROR, check_add_unique_constraint,
		 "ADD UNIQUE builds its index under an ACCESS EXCLUSIVE lock",
		 "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX"),
	BREAKING_PLANNED("add-primary-key", LINT_ERROR, check_add_primary_key,
		 "ADD PRIMARY KEY builds its index (and checks NOT NULL) under an ACCESS "
		 "EXCLUSIVE lock",
		 "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX"),
	BREAKING("planner-conflict", LINT_ERROR, check_planner_conflict,
		 "a rename or type change and another change of the same column in one "
		 "migration: planned together, one would lose the other",
		 "put the second change in a migration of its own (migrations expanded together "
		 "compose)"),
	BREAKING("drop-not-null", LINT_WARNING, check_drop_not_null,
		 "DROP NOT NULL lets NULLs in that old app versions may not expect",
		 "make sure every reader handles NULL before relaxing the column"),
	BREAKING_CONTRACT("in-flight-conflict", LINT_ERROR, check_in_flight_conflict,
		 "with a database (--db, up, check --db): a pending change renames, retypes, drops "
		 "or constrains an object that another migration in flight there (not contracted, "
		 "or not in this checkout) creates, changes or uses",
		 "wait until the other migration is contracted or reverted, or agree the change "
		 "with its branch and make it there"),

	/* blocking: what stalls the app's queries */
	BLOCKING_PLANNED("create-index-concurrently", LINT_ERROR, check_create_index_concurrently,
		 "CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds",
		 "CREATE INDEX CONCURRENTLY (it runs outside a transaction)"),
	BLOCKING("drop-index-concurrently", LINT_ERROR, check_drop_index_concurrently,
		 "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table",
		 "DROP INDEX CONCURRENTLY"),
	BLOCKING("reindex-concurrently", LINT_ERROR, check_reindex_concurrently,
		 "REINDEX without CONCURRENTLY blocks writes (and reads that use the index)",
		 "REINDEX ... CONCURRENTLY"),
	BLOCKING_PLANNED("add-foreign-key", LINT_ERROR, check_add_foreign_key,
		 "ADD FOREIGN KEY without NOT VALID scans the table while blocking writes on both "
		 "tables",
		 "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later transaction"),
	BLOCKING_PLANNED("add-check-constraint", LINT_ERROR, check_add_check_constraint,
		 "ADD CHECK without NOT VALID scans the table under an ACCESS EXCLUSIVE lock",
		 "ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT later"),
	BLOCKING("validate-same-transaction", LINT_ERROR, check_validate_same_transaction,
		 "VALIDATE CONSTRAINT in the same transaction as its ADD keeps the ACCESS EXCLUSIVE "
		 "lock during the scan",
		 "validate in the next migration (or the contract section)"),
	BLOCKING_PLANNED("add-column-volatile-default", LINT_ERROR, check_add_column_volatile_default,
		 "ADD COLUMN with a volatile DEFAULT rewrites the table under ACCESS EXCLUSIVE",
		 "add the column without a default, set the default, backfill in batches"),
	BLOCKING("add-column-generated", LINT_ERROR, check_add_column_generated,
		 "ADD COLUMN ... GENERATED ALWAYS AS (...) STORED rewrites the table",
		 "add a plain column, fill it with a trigger and a batched backfill"),
	BLOCKING("add-column-serial", LINT_ERROR, check_add_column_serial,
		 "ADD COLUMN of serial type rewrites the table to number every row",
		 "add a nullable bigint column with a sequence default and backfill in batches"),
	BLOCKING("add-column-identity", LINT_ERROR, check_add_column_identity,
		 "ADD COLUMN ... GENERATED AS IDENTITY rewrites the table to number every row",
		 "add a nullable bigint column with a sequence default and backfill in batches"),
	BLOCKING("vacuum-full", LINT_ERROR, check_vacuum_full,
		 "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock",
		 "plain VACUUM, or pg_repack outside migrations"),
	BLOCKING("cluster", LINT_ERROR, check_cluster,
		 "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock",
		 "run pg_repack outside migrations"),
	BLOCKING("set-logged", LINT_ERROR, check_set_logged,
		 "SET LOGGED / SET UNLOGGED rewrites the table under an ACCESS EXCLUSIVE lock",
		 "create the table with the persistence it needs"),
	BLOCKING("detach-partition", LINT_ERROR, check_detach_partition,
		 "DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the "
		 "partitioned table",
		 "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+, outside a "
		 "transaction)"),
	BLOCKING("attach-partition", LINT_ERROR, check_attach_partition,
		 "ATTACH PARTITION without a validated CHECK that proves the bound scans the "
		 "partition under lock",
		 "ADD a CHECK matching the bound NOT VALID, VALIDATE it in a later transaction, "
		 "then ATTACH"),
	BLOCKING("add-exclusion-constraint", LINT_ERROR, check_add_exclusion_constraint,
		 "ADD CONSTRAINT ... EXCLUDE builds its index under an ACCESS EXCLUSIVE lock",
		 "create the table with the constraint, or add it in a maintenance window (it "
		 "cannot be built CONCURRENTLY)"),
	BLOCKING("set-tablespace", LINT_ERROR, check_set_tablespace,
		 "SET TABLESPACE copies the table or index under an ACCESS EXCLUSIVE lock",
		 "move it with pg_repack --tablespace outside migrations"),
	BLOCKING("refresh-materialized-view", LINT_ERROR, check_refresh_materialized_view,
		 "REFRESH MATERIALIZED VIEW without CONCURRENTLY locks out every query of the view",
		 "REFRESH MATERIALIZED VIEW CONCURRENTLY (the view needs a unique index)"),
	BLOCKING("alter-domain-constraint", LINT_ERROR, check_alter_domain_constraint,
		 "ALTER DOMAIN ... ADD CONSTRAINT / SET NOT NULL checks every column of the "
		 "domain under lock",
		 "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later transaction"),
	BLOCKING("enum-value-same-transaction", LINT_ERROR, check_enum_value_same_transaction,
		 "an enum value used in the same transaction as the ADD VALUE that added it fails "
		 "on PostgreSQL",
		 "add the value in an earlier migration (or the expand section) and use it in a "
		 "later one"),
	BLOCKING("lock-table", LINT_ERROR, check_lock_table,
		 "LOCK TABLE stalls every query on the table until the phase commits",
		 "rely on the locks each statement takes, with lock_timeout"),
	BLOCKING("concurrently-in-transaction", LINT_ERROR, check_concurrently_in_transaction,
		 "CONCURRENTLY inside an explicit BEGIN ... COMMIT fails at run time",
		 "remove BEGIN/COMMIT; the engine runs CONCURRENTLY steps outside a transaction"),
	BLOCKING("explicit-transaction", LINT_WARNING, check_explicit_transaction,
		 "BEGIN/COMMIT in a migration: the engine owns transactions",
		 "remove BEGIN/COMMIT; each phase runs in one transaction"),

	/* opaque: what static analysis cannot see into */
	OPAQUE("do-block", check_do_block,
	       "DO block whose statements cannot be analysed",
	       "write the statements as plain SQL, or `migrate check` traces their locks"),
	OPAQUE("dynamic-sql", check_dynamic_sql,
	       "EXECUTE of a computed string: the statement is unknown until it runs",
	       "write the statement as plain SQL so it can be checked"),

	/* style: off unless enabled in migrate.conf */
	STYLE("prefer-bigint", check_prefer_bigint,
	      "integer/smallint columns (and serial) run out of values",
	      "use bigint (or bigint GENERATED ... AS IDENTITY)"),
	STYLE("prefer-text", check_prefer_text,
	      "varchar(n): changing n later needs a migration; limits belong in CHECKs",
	      "use text, with a CHECK (length(col) <= n) if a limit matters"),
	STYLE("prefer-timestamptz", check_prefer_timestamptz,
	      "timestamp without time zone loses the offset", "use timestamptz"),
	STYLE("prefer-identity", check_prefer_identity,
	      "serial types have ownership and permission quirks",
	      "use GENERATED BY DEFAULT AS IDENTITY"),
	STYLE("prefer-jsonb", check_prefer_jsonb,
	      "json keeps text as written and cannot be indexed well", "use jsonb"),
	STYLE("no-char", check_no_char, "char(n) pads with spaces and wastes space",
	      "use text (or varchar)"),

	/* reversible: what `migrate revert` could not undo */
	{.id = "irreversible", .kind = LINT_KIND_REVERSIBLE, .severity = LINT_ERROR,
	 .enabled = true,
	 .summary = "a statement whose undo cannot be derived, in a phase without a hand-written "
		    "revert section",
	 .help = "write the undo under '-- migrate:revert-expand' / 'revert-contract' (an empty "
		 "section says there is nothing to undo)",
	 .check = check_irreversible},

	/* MongoDB: a pass of their own over JSON migrations (rules_mongo.c) */
	BREAKING("mongo-drop-collection", LINT_ERROR, NULL,
		 "drop of a collection in expand: running app versions still read it",
		 "stop using the collection in the app, then drop it in the contract section "
		 "(its documents are kept aside for revert)"),
	BREAKING("mongo-drop-database", LINT_ERROR, NULL,
		 "dropDatabase in expand removes every collection",
		 "drop databases by hand, outside migrations"),
	BREAKING("mongo-rename-collection", LINT_ERROR, NULL,
		 "renameCollection in expand breaks every app version that uses the old name",
		 "create the new collection, move the app and the documents, drop the old one in "
		 "contract"),
	BREAKING("mongo-drop-index", LINT_ERROR, NULL,
		 "dropIndexes in expand: running queries may depend on the index",
		 "hide it first (collMod index hidden: true), then drop it in the contract section"),
	BREAKING("mongo-rename-field", LINT_ERROR, NULL,
		 "update with $rename in expand: running app versions still read the old field",
		 "write the new field beside the old one ($set), move the app, $unset the old one "
		 "in contract"),
	BREAKING("mongo-unset-field", LINT_ERROR, NULL,
		 "update with $unset in expand: running app versions still read the field",
		 "stop reading the field in the app, then $unset it in the contract section"),
	BREAKING("mongo-validator-strict", LINT_ERROR, NULL,
		 "collMod validator with validationAction error and level strict rejects writes "
		 "of running app versions",
		 "validationAction \"warn\" (or level \"moderate\") in expand; \"error\" in "
		 "contract once the app and the documents match"),
	BREAKING("mongo-unique-index", LINT_ERROR, NULL,
		 "unique index on an existing collection without prepareUnique: the build fails "
		 "on duplicates",
		 "build it without unique, collMod it with prepareUnique: true, then collMod "
		 "unique: true in a later phase"),
	BLOCKING("mongo-ttl-index", LINT_WARNING, NULL,
		 "TTL change (expireAfterSeconds): the server starts deleting documents at once",
		 "count the documents the new cutoff expires first; TTL deletes cannot be "
		 "reverted"),
	{.id = "mongo-irreversible", .kind = LINT_KIND_REVERSIBLE, .severity = LINT_ERROR,
	 .enabled = true,
	 .summary = "a MongoDB command whose undo cannot be derived, in a phase without a "
		    "hand-written revert section",
	 .help = "write the undo as \"revert-expand\" / \"revert-contract\" commands (an empty "
		 "array says there is nothing to undo)",
	 .check = NULL},

	/* meta: the allow comments themselves */
	META("syntax-error", LINT_ERROR,
	     "a file PostgreSQL's grammar (the release `migrate --version` names) cannot parse",
	     "fix the SQL; syntax newer than that grammar needs a migrate built with a newer libpg_query"),
	META("unknown-allow", LINT_ERROR, "`-- migrate:allow` names a rule that does not exist",
	     "use a rule id from the catalogue (migrate lint --list-rules lists them)"),
	META("unused-allow", LINT_WARNING,
	     "`-- migrate:allow` that suppresses nothing (the hazard is gone or misplaced)",
	     "remove the comment, or put it right above the statement it is for"),
};

/* clang-format on */

const size_t lint_rules_count = sizeof(lint_rules) / sizeof(lint_rules[0]);

const struct lint_rule *lint_rule_find(const char *id)
{
	for (size_t i = 0; i < lint_rules_count; i++)
		if (strcmp(lint_rules[i].id, id) == 0)
			return &lint_rules[i];
	return NULL;
}
