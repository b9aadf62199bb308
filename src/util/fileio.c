#include "util/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int file_read_all(struct arena *a, const char *path, char **ret_data, size_t *ret_len,
		  struct mg_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return mg_error_set(err, 2, "cannot open '%s': %s", path, strerror(errno));
	int r = -1;
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		mg_error_set(err, 2, "'%s' is not a regular file", path);
		goto out;
	}
	size_t cap = (size_t)st.st_size;
	char *buf = arena_alloc(a, cap + 1);
	size_t n = fread(buf, 1, cap, f);
	if (ferror(f)) {
		mg_error_set(err, 2, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	*ret_data = buf;
	*ret_len = n;
	r = 0;
out:
	fclose(f);
	return r;
}

int path_kind(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	return S_ISDIR(st.st_mode) ? 1 : 0;
}
