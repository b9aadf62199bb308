#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a file that is not a regular file is, for the message that refuses it. */
static const char *file_type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a named pipe";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "a special file";
}

int file_read_all(struct arena *a, const char *path, char **ret_data, size_t *ret_len,
		  struct mg_error *err)
{
	/* A named pipe blocks open() and read() until someone writes to it, a
	 * device may never end: only regular files are read. stat() refuses them
	 * before anything is opened; O_NONBLOCK and fstat() refuse one that was
	 * put there in between, without waiting on it. Symbolic links are
	 * followed: a link to a regular file is read. */
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return mg_error_set_at(err, 2, path, 0, 0, "not a regular file (%s)",
				       file_type_name(st.st_mode));
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return mg_error_set(err, 2, "cannot open '%s': %s", path, strerror(errno));
	int r = -1;
	if (fstat(fd, &st) < 0) {
		mg_error_set(err, 2, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		mg_error_set_at(err, 2, path, 0, 0, "not a regular file (%s)",
				file_type_name(st.st_mode));
		goto out;
	}
	size_t cap = (size_t)st.st_size;
	char *buf = arena_alloc(a, cap + 1);
	size_t n = 0;
	while (n < cap) {
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			mg_error_set(err, 2, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break; /* it shrank while being read: what is there */
		n += (size_t)got;
	}
	buf[n] = '\0';
	*ret_data = buf;
	*ret_len = n;
	r = 0;
out:
	close(fd);
	return r;
}

int path_kind(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	return S_ISDIR(st.st_mode) ? 1 : 0;
}
