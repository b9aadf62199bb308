#ifndef MG_LINT_PG_RELEASE_H
#define MG_LINT_PG_RELEASE_H

#include <stdbool.h>

/*
 * What changed between PostgreSQL releases that lint and the planner must
 * know: each feature with the first major release that has it, in one table
 * (pg_release.c), asked through pg_release_has().
 */
enum pg_feature {
	PG_FEATURE_FAST_DEFAULT, /* ADD COLUMN with a non-volatile DEFAULT rewrites nothing */
	PG_FEATURE_NOT_NULL_FROM_CHECK,	 /* SET NOT NULL skips its scan when a valid CHECK proves it
					  */
	PG_FEATURE_REINDEX_CONCURRENTLY, /* REINDEX ... CONCURRENTLY */
	PG_FEATURE_DETACH_CONCURRENTLY,	 /* ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY */
	PG_FEATURE_NULLS_NOT_DISTINCT,	 /* UNIQUE NULLS NOT DISTINCT */
	PG_FEATURE_NOT_NULL_CONSTRAINTS, /* NOT NULL recorded, named, in pg_constraint */
	PG_FEATURE_TIMESTAMPTZ_UTC, /* timestamp -> timestamptz under TimeZone UTC: no rewrite */
	PG_FEATURE__COUNT,
};

/* The first major release with the feature (11 for PG_FEATURE_FAST_DEFAULT). */
int pg_release_since(enum pg_feature feature);

/* What the feature is, for messages ("REINDEX CONCURRENTLY"). */
const char *pg_release_feature_name(enum pg_feature feature);

/*
 * Whether PostgreSQL `major` (15, 18; 0 when unknown: assumed to have
 * everything) has the feature.
 */
bool pg_release_has(int major, enum pg_feature feature);

/* The major release of a server_version_num: 150004 -> 15, 90624 -> 9; 0 for 0. */
int pg_release_major(int server_version_num);

#endif
