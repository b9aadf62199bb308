#ifndef MG_LINT_INVERSE_CLASS_H
#define MG_LINT_INVERSE_CLASS_H

#include "lint/catalog.h"
#include "migration/migration.h"
#include "sql/parse.h"
#include "target/inverse.h"

/*
 * Statically (lint): can a statement be undone without a hand-written revert
 * section? The inverse builders of the targets (target/inverse.h) make the
 * undo steps at apply time.
 */
/* reason is set for INVERSE_IRREVERSIBLE. */
enum inverse_class inverse_classify(const PgQuery__Node *stmt, const struct catalog *cat, int order,
				    enum migration_section section, const char **ret_reason);

#endif
