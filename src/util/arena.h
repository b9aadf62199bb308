#ifndef MG_ARENA_H
#define MG_ARENA_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A bump allocator for everything that lives until the command ends: parse
 * trees, findings, strings. Nothing is freed one by one; arena_release()
 * drops it all. An arena is not thread-safe: give each thread its own.
 */
struct arena_block;

struct arena {
	struct arena_block *head;
	size_t total;
};

#define ARENA_INIT                                                                                 \
	{                                                                                          \
		NULL, 0                                                                            \
	}

void arena_init(struct arena *a);
void arena_release(struct arena *a);
/* Moves every block of src into dst: what src allocated now lives as long as dst. */
void arena_adopt(struct arena *dst, struct arena *src);

/* Zeroed memory, aligned for any type; aborts when the system is out of memory. */
void *arena_alloc(struct arena *a, size_t size);
void *arena_realloc(struct arena *a, void *old, size_t old_size, size_t new_size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Grows an arena-backed array of elements of elem_size to hold at least need elements. */
#define ARENA_GROW(arena, ptr, nr, alloc, need)                                                    \
	do {                                                                                       \
		if ((need) > (alloc)) {                                                            \
			size_t arena_grow_new_ = (alloc) ? (alloc)*2 : 8;                          \
			while (arena_grow_new_ < (need))                                           \
				arena_grow_new_ *= 2;                                              \
			(ptr) = arena_realloc((arena), (ptr), (alloc) * sizeof(*(ptr)),            \
					      arena_grow_new_ * sizeof(*(ptr)));                   \
			(alloc) = arena_grow_new_;                                                 \
		}                                                                                  \
		(void)(nr);                                                                        \
	} while (0)

#endif
