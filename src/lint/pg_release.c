#include "lint/pg_release.h"

static const struct {
	int since;
	const char *name;
} features[PG_FEATURE__COUNT] = {
    [PG_FEATURE_FAST_DEFAULT] = {11, "ADD COLUMN with a constant DEFAULT without a rewrite"},
    [PG_FEATURE_NOT_NULL_FROM_CHECK] = {12, "SET NOT NULL proven by a validated CHECK"},
    [PG_FEATURE_REINDEX_CONCURRENTLY] = {12, "REINDEX CONCURRENTLY"},
    [PG_FEATURE_DETACH_CONCURRENTLY] = {14, "DETACH PARTITION CONCURRENTLY"},
    [PG_FEATURE_NULLS_NOT_DISTINCT] = {15, "NULLS NOT DISTINCT"},
    [PG_FEATURE_NOT_NULL_CONSTRAINTS] = {18, "NOT NULL constraints in pg_constraint"},
    [PG_FEATURE_TIMESTAMPTZ_UTC] = {12, "timestamp to timestamptz under UTC without a rewrite"},
};

int pg_release_since(enum pg_feature feature)
{
	return feature >= 0 && feature < PG_FEATURE__COUNT ? features[feature].since : 0;
}

const char *pg_release_feature_name(enum pg_feature feature)
{
	return feature >= 0 && feature < PG_FEATURE__COUNT ? features[feature].name : "?";
}

bool pg_release_has(int major, enum pg_feature feature)
{
	return major <= 0 || major >= pg_release_since(feature);
}

int pg_release_major(int server_version_num)
{
	/* 180001 is 18.1; 90624 is 9.6.24, which counts as 9 here (every 9.x is before 10) */
	return server_version_num > 0 ? server_version_num / 10000 : 0;
}
