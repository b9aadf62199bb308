#ifndef MG_CONFIG_H
#define MG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/error.h"

/* One `rule = value` setting from migrate.conf, kept with its line for errors. */
struct config_rule_setting {
	const char *rule;
	const char *value; /* "on", "off", "error", "warning" */
	int line;
};

/* How migrate new numbers a file: [migrations] versions. */
enum config_versions {
	CONFIG_VERSIONS_UNSET,
	CONFIG_VERSIONS_SEQUENTIAL, /* 0001, 0002, ... */
	CONFIG_VERSIONS_TIMESTAMP,  /* YYYYMMDDHHMMSS, UTC */
};

/* A database of many: [target "NAME"] with db = URL and optionally dir = DIR. */
struct config_target {
	const char *name;
	const char *db;
	const char *dir; /* NULL: the common migrations directory */
	int line;	 /* of the section's first setting */
};

/*
 * migrate.conf, an INI file in the current directory:
 *
 *   [database]   url = postgres://...   history_schema = migrate
 *   [migrations] dir = migrations   versions = sequential | timestamp (for migrate new)
 *                strict_order = true (up refuses a migration numbered below applied ones)
 *   [lint]       postgres_version = 15   enable = prefer-bigint, ...   disable = ...
 *   [rules]      drop-not-null = off     prefer-text = error
 *   [target "orders"]  db = postgres://...   dir = services/orders/migrations
 *
 * A value in double or single quotes is read without them.
 */
struct config {
	const char *path; /* NULL when there was no file */
	const char *db_url;
	const char *dir;
	const char *history_schema;
	const char *max_replica_lag; /* [database] max_replica_lag, a duration as written */
	int max_replica_lag_line;
	enum config_versions versions;
	bool strict_order; /* [migrations] strict_order: refuse migrations out of order */
	int pg_version;	   /* 0 when not set */
	struct config_rule_setting *rules;
	size_t n_rules, alloc_rules;
	struct config_target *targets; /* in the order of the file */
	size_t n_targets, alloc_targets;
};

/* The target of that name, or NULL. */
const struct config_target *config_target_find(const struct config *cfg, const char *name);

/* Reads path when it exists; a missing file is an empty configuration. */
int config_load(struct arena *a, const char *path, struct config *ret, struct mg_error *err);

#endif
