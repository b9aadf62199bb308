#ifndef MG_MIGRATION_H
#define MG_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/error.h"
#include "util/hash.h"

/*
 * The file format: SQL, which the core parses, or JSON commands, which
 * migration/ only loads and the target whose format it is reads
 * (target_format_of in target/target.h).
 */
enum migration_kind {
	MIGRATION_SQL,
	MIGRATION_JSON,
};

enum migration_section {
	SECTION_EXPAND,
	SECTION_CONTRACT,
	SECTION_REVERT_EXPAND,
	SECTION_REVERT_CONTRACT,
	SECTION__COUNT,
};

/* "expand", "contract", "revert-expand", "revert-contract". */
const char *migration_section_name(enum migration_section s);

/* A byte range [start, end) of the file that one section marker opens. */
struct migration_section_range {
	bool present;
	size_t start;
	size_t end;
	int marker_line; /* 0 when the section is implicit (a file without markers) */
};

/*
 * `-- migrate:allow RULE -- reason` (for the next statement) or
 * `-- migrate:allow-file RULE[, RULE]` (for the whole file).
 */
struct migration_allow {
	const char *rule;
	const char *reason;
	int line;
	int column;
	size_t offset; /* where the comment stands; it covers the first statement after it */
	bool file_wide;
	bool used;
};

struct migration {
	const char *path;
	const char *name; /* the slug: file name without version, '_' and extension */
	bool has_version;
	int64_t version;
	int order; /* position in the set, 0-based; a stable tie-breaker */
	enum migration_kind kind;
	const char *text;
	size_t text_len;
	/*
	 * What drift is judged by: SHA-256 of what runs (migration_statement_checksum)
	 * for SQL, of the whole file for JSON. file_checksum is the whole file's,
	 * what histories of layout 1 recorded.
	 */
	char checksum[SHA256_HEX_LEN + 1];
	char file_checksum[SHA256_HEX_LEN + 1];
	struct migration_section_range sections[SECTION__COUNT];
	struct migration_allow *allows;
	size_t n_allows;
};

/* SQL, which the core parses; else a file of a target's own format */
static inline bool migration_is_sql(const struct migration *m)
{
	return m->kind == MIGRATION_SQL;
}

struct migration_set {
	struct migration **items;
	size_t n;
	size_t alloc;
};

/*
 * Splits text into sections and reads allow comments. The migration keeps
 * pointers into text. An unknown `-- migrate:` marker fails at file:line (exit 2).
 */
int migration_parse_text(struct arena *a, const char *path, const char *text, size_t len,
			 struct migration **ret, struct mg_error *err);

/* Reads one file (.sql or .json) and parses it. */
int migration_load_file(struct arena *a, const char *path, struct migration **ret,
			struct mg_error *err);

/*
 * Loads every .sql and .json file of a migrations directory, sorted by version.
 * A file without a version or two files with one version fail (exit 2).
 */
int migration_load_dir(struct arena *a, const char *dir, struct migration_set *set,
		       struct mg_error *err);

/*
 * Loads command-line paths: directories as migration sets, files whatever
 * their names. The result is ordered by version where there is one, then the
 * files without one in the order given.
 */
int migration_load_paths(struct arena *a, const char *const *paths, size_t n_paths,
			 struct migration_set *set, struct mg_error *err);

void migration_set_add(struct arena *a, struct migration_set *set, struct migration *m);
/* Stable sort: versioned files by version, then those without one in the order given. */
void migration_set_sort(struct migration_set *set);

/* Reads the version prefix of a file name ("0012_add_x.sql" -> 12). false when none. */
bool migration_version_from_name(const char *basename, int64_t *ret_version,
				 const char **ret_slug_start);

/*
 * 1-based line and column (in bytes) of a byte offset in text. Lines end at
 * "\n", "\r\n" or a lone "\r" (PostgreSQL's lexer ends a comment at each);
 * columns of the first line count from after a byte-order mark.
 */
void text_offset_to_line_column(const char *text, size_t len, size_t offset, int *ret_line,
				int *ret_column);

/*
 * The end of the line that starts at pos (its "\n", "\r" or len); ret_next,
 * when not NULL, is where the next line starts ("\r\n" counts once).
 */
size_t text_line_end(const char *text, size_t pos, size_t len, size_t *ret_next);

/*
 * SHA-256 of the sections present, in file order, each with its marker and
 * its text without comments, whitespace runs outside literals as one space.
 */
void migration_statement_checksum(const struct migration *m, char ret_hex[SHA256_HEX_LEN + 1]);
/* Whether a checksum recorded in the history is this file's: the statements' or the whole file's.
 */
bool migration_checksum_matches(const struct migration *m, const char *stored);

/* 3 when text starts with the UTF-8 byte-order mark, else 0. */
size_t text_bom_len(const char *text, size_t len);

/* Offset of the first byte that is not part of valid UTF-8; len when all is. */
size_t text_invalid_utf8(const char *text, size_t len);

/* First offset in [pos, end) that is not white space or an SQL comment. */
size_t text_skip_blank(const char *text, size_t pos, size_t end);

#endif
