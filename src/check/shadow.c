/* The shadow database: one the user named, or a temporary PostgreSQL server. */
#include "check/shadow.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/strbuf.h"

#define SHADOW_HELP                                                                                \
	"give check an empty PostgreSQL database it may destroy with --shadow-db URL or "          \
	"MIGRATE_SHADOW_DB, or install PostgreSQL (initdb) so check can start a temporary one"

const char *conninfo_with_dbname(struct arena *a, const char *conninfo, const char *dbname)
{
	char *errmsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
	if (!opts) {
		PQfreemem(errmsg);
		return NULL;
	}
	struct strbuf sb = STRBUF_INIT;
	for (const PQconninfoOption *o = opts; o->keyword; o++) {
		const char *v = strcmp(o->keyword, "dbname") == 0 ? dbname : o->val;
		if (!v)
			continue;
		strbuf_addf(&sb, "%s%s='", sb.len ? " " : "", o->keyword);
		for (const char *p = v; *p; p++) {
			if (*p == '\'' || *p == '\\')
				strbuf_addch(&sb, '\\');
			strbuf_addch(&sb, *p);
		}
		strbuf_addch(&sb, '\'');
	}
	PQconninfoFree(opts);
	const char *ret = arena_strdup(a, sb.buf);
	strbuf_release(&sb);
	return ret;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A database of its own for this run, so nothing of a previous run (or of
 * another run at the same time) is in the way. Without CREATEDB the named
 * database itself is used and emptied.
 */
static void create_fresh_db(struct check_shadow *s, struct driver *admin)
{
	char name[64];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(name, sizeof(name), "migrate_check_%d_%ld", (int)getpid(),
		 (long)(ts.tv_nsec / 1000 % 1000000));
	struct step create = {
	    .sql = arena_printf(s->arena, "CREATE DATABASE \"%s\" TEMPLATE template0", name)};
	struct mg_error ignore = MG_ERROR_INIT;
	if (admin->ops->exec(admin, &create, &ignore) < 0)
		return;
	const char *url = conninfo_with_dbname(s->arena, s->admin_url, name);
	if (!url)
		return;
	s->created_db = arena_strdup(s->arena, name);
	s->url = url;
	s->fresh = true;
}

/* Connects to url, makes the run's database there; err says how to fix it. */
static int connect_server(struct check_shadow *s, const char *url, const char *source,
			  struct mg_error *err)
{
	struct driver admin;
	s->admin_url = url;
	s->url = url;
	if (driver_open(&admin, url, &s->settings, err) < 0) {
		driver_close(&admin);
		char msg[sizeof(err->message)];
		snprintf(msg, sizeof(msg), "%s", err->message);
		mg_error_clear(err);
		mg_error_set(err, 1, "shadow database (%s) unreachable: %s", source, msg);
		mg_error_set_help(err, "check the URL and that the server is up; " SHADOW_HELP);
		return -1;
	}
	if (!admin.ops->check_shadow) {
		driver_close(&admin);
		mg_error_set(err, 1, "shadow database (%s) is not PostgreSQL", source);
		mg_error_set_help(err, SHADOW_HELP);
		return -1;
	}
	create_fresh_db(s, &admin);
	driver_close(&admin);
	return 0;
}

/* ---- a temporary server ---- */

static bool bindir_usable(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/initdb", dir);
	if (access(path, X_OK) != 0)
		return false;
	snprintf(path, sizeof(path), "%s/postgres", dir);
	return access(path, X_OK) == 0;
}

/*
 * Where initdb and postgres are: MIGRATE_PG_BINDIR when set (and nowhere
 * else), else `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin
 * (Debian keeps them off PATH), else the directory of an initdb on PATH.
 */
static const char *find_bindir(struct arena *a)
{
	const char *forced = getenv("MIGRATE_PG_BINDIR");
	if (forced)
		return bindir_usable(forced) ? forced : NULL;
	FILE *p = popen("pg_config --bindir 2>/dev/null", "r");
	if (p) {
		char line[4096] = "";
		bool got = fgets(line, sizeof(line), p) != NULL;
		pclose(p);
		line[strcspn(line, "\n")] = '\0';
		if (got && bindir_usable(line))
			return arena_strdup(a, line);
	}
	glob_t g;
	const char *best = NULL;
	long best_major = -1;
	if (glob("/usr/lib/postgresql/*/bin", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			long major =
			    strtol(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"), NULL, 10);
			if (major > best_major && bindir_usable(g.gl_pathv[i])) {
				best_major = major;
				best = arena_strdup(a, g.gl_pathv[i]);
			}
		}
		globfree(&g);
	}
	if (best)
		return best;
	const char *path = getenv("PATH");
	while (path && *path) {
		size_t n = strcspn(path, ":");
		const char *dir = arena_strndup(a, path, n);
		if (n && bindir_usable(dir))
			return dir;
		path += n + (path[n] == ':');
	}
	return NULL;
}

/*
 * Runs argv in a child as user pw (NULL: as we are), output to log. A server
 * gets a session of its own (a ^C at the terminal is ours to handle) and dies
 * with us: the kernel sends it SIGQUIT, PostgreSQL's immediate shutdown.
 */
static pid_t spawn(char *const argv[], const char *log, const struct passwd *pw, const char *cwd,
		   bool server)
{
	pid_t parent = getpid();
	uid_t uid = pw ? pw->pw_uid : 0;
	gid_t gid = pw ? pw->pw_gid : 0;
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* the child: only async-signal-safe calls until exec */
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	int nul = open("/dev/null", O_RDONLY);
	if (fd < 0 || nul < 0)
		_exit(126);
	dup2(nul, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (server)
		setsid();
	if (pw && (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0))
		_exit(126);
	if (server) {
		prctl(PR_SET_PDEATHSIG, SIGQUIT);
		if (getppid() != parent)
			_exit(126);
	}
	if (chdir(cwd) != 0)
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

/* The last lines of a log file, for an error message. */
static const char *log_tail(struct arena *a, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return "";
	char buf[4096];
	size_t n = 0;
	if (fseek(f, -(long)(sizeof(buf) - 1), SEEK_END) != 0)
		rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	const char *last = buf;
	int lines = 0;
	for (size_t i = n; i-- > 0;)
		if (buf[i] == '\n' && ++lines == 3) {
			last = buf + i + 1;
			break;
		}
	return arena_strdup(a, last);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int start_server(struct check_shadow *s, struct mg_error *err)
{
	struct arena *a = s->arena;
	const char *bindir = find_bindir(a);
	if (!bindir) {
		mg_error_set(err, 1,
			     "no shadow database, and no PostgreSQL server programs (initdb) "
			     "to start a temporary one");
		mg_error_set_help(err, SHADOW_HELP);
		return -1;
	}
	/* initdb refuses to run as root: the server runs as an unprivileged user */
	const struct passwd *pw = NULL;
	struct passwd pw_copy;
	if (geteuid() == 0) {
		pw = getpwnam("postgres");
		if (!pw)
			pw = getpwnam("nobody");
		if (!pw) {
			mg_error_set(err, 1,
				     "running as root, and there is no 'postgres' or 'nobody' "
				     "user to run a temporary PostgreSQL server as");
			mg_error_set_help(err, SHADOW_HELP);
			return -1;
		}
		pw_copy = *pw;
		pw = &pw_copy;
	}
	/* a short path: the server's unix socket lives in it (108 bytes at most) */
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp || strlen(tmp) > 60 || pw)
		tmp = "/tmp";
	s->tmpdir = arena_printf(a, "%s/migrate-check.XXXXXX", tmp);
	if (!mkdtemp(s->tmpdir)) {
		mg_error_set(err, 1,
			     "cannot make a directory for a temporary PostgreSQL server in %s: "
			     "%s",
			     tmp, strerror(errno));
		s->tmpdir = NULL;
		return -1;
	}
	if (pw && chown(s->tmpdir, pw->pw_uid, pw->pw_gid) != 0) {
		mg_error_set(err, 1, "cannot hand %s to user %s: %s", s->tmpdir, pw->pw_name,
			     strerror(errno));
		return -1;
	}
	const char *data = arena_printf(a, "%s/data", s->tmpdir);
	const char *initdb_log = arena_printf(a, "%s/initdb.log", s->tmpdir);
	const char *server_log = arena_printf(a, "%s/server.log", s->tmpdir);

	char *initdb_argv[] = {arena_printf(a, "%s/initdb", bindir),
			       "-D",
			       (char *)data,
			       "-U",
			       "postgres",
			       "-A",
			       "trust",
			       "-E",
			       "UTF8",
			       "--locale=C",
			       "--no-sync",
			       NULL};
	pid_t pid = spawn(initdb_argv, initdb_log, pw, s->tmpdir, false);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		mg_error_set(err, 1, "initdb of a temporary PostgreSQL server failed: %s",
			     log_tail(a, initdb_log));
		mg_error_set_help(err, SHADOW_HELP);
		return -1;
	}

	/* no TCP, no durability: the server lives for one run */
	char *server_argv[] = {arena_printf(a, "%s/postgres", bindir),
			       "-D",
			       (char *)data,
			       "-k",
			       s->tmpdir,
			       "-p",
			       "5432",
			       "-c",
			       "listen_addresses=",
			       "-c",
			       "fsync=off",
			       "-c",
			       "full_page_writes=off",
			       "-c",
			       "synchronous_commit=off",
			       "-c",
			       "autovacuum=off",
			       "-c",
			       "max_connections=20",
			       NULL};
	s->postmaster = spawn(server_argv, server_log, pw, s->tmpdir, true);
	if (s->postmaster < 0) {
		s->postmaster = 0;
		return mg_error_set(err, 1, "cannot start a temporary PostgreSQL server: %s",
				    strerror(errno));
	}
	const char *url =
	    arena_printf(a, "host=%s port=5432 user=postgres dbname=postgres", s->tmpdir);
	int64_t deadline = now_ms() + 30000;
	for (;;) {
		if (PQping(url) == PQPING_OK)
			break;
		if (waitpid(s->postmaster, &status, WNOHANG) == s->postmaster) {
			s->postmaster = 0;
			mg_error_set(err, 1, "the temporary PostgreSQL server did not start: %s",
				     log_tail(a, server_log));
			return -1;
		}
		if (now_ms() > deadline) {
			mg_error_set(err, 1,
				     "the temporary PostgreSQL server did not start within "
				     "30 s: %s",
				     log_tail(a, server_log));
			return -1;
		}
		usleep(20 * 1000);
	}
	s->described =
	    arena_printf(a, "a temporary PostgreSQL server (%s, in %s)", bindir, s->tmpdir);
	/* the server is ours and new: its own database is as empty as a fresh one */
	s->admin_url = url;
	s->url = url;
	s->fresh = true;
	return 0;
}

int shadow_open(struct arena *a, struct check_shadow *s, const char *url, const char *source,
		const struct driver_settings *settings, struct mg_error *err)
{
	memset(s, 0, sizeof(*s));
	s->arena = a;
	s->settings = *settings;
	if (url) {
		s->described = arena_printf(a, "%s (%s)", url_redact(a, url), source);
		return connect_server(s, url, source, err);
	}
	return start_server(s, err);
}

int shadow_claim(struct driver *d, struct mg_error *err)
{
	/* polled: lock_timeout would cut a plain wait short */
	int64_t deadline = now_ms() + 15 * 60 * 1000;
	for (;;) {
		struct arena a = ARENA_INIT;
		struct driver_rows rows;
		int rc = d->ops->query(
		    d, &a, "SELECT pg_try_advisory_lock(hashtextextended('migrate check', 0))", 0,
		    NULL, &rows, err);
		bool got = rc == 0 && strcmp(driver_rows_get(&rows, 0, 0), "t") == 0;
		arena_release(&a);
		if (rc < 0 || got)
			return rc;
		if (now_ms() > deadline)
			return mg_error_set(err, 1,
					    "another migrate check has used the shadow "
					    "database for 15 minutes");
		usleep(200 * 1000);
	}
}

int shadow_reset(struct driver *d, struct mg_error *err)
{
	/* what the migrations made lives in schemas; a schema is the unit to throw away */
	static const struct step reset = {
	    .sql = "DO $mg$ DECLARE s text; BEGIN "
		   "FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT IN "
		   "('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE "
		   "'pg\\_temp\\_%' "
		   "AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%' LOOP "
		   "EXECUTE format('DROP SCHEMA %I CASCADE', s); END LOOP; "
		   "CREATE SCHEMA public; END $mg$"};
	return d->ops->exec(d, &reset, err);
}

void shadow_close(struct check_shadow *s)
{
	if (s->created_db && s->admin_url) {
		struct driver admin;
		struct mg_error ignore = MG_ERROR_INIT;
		if (driver_open(&admin, s->admin_url, &s->settings, &ignore) == 0) {
			struct step drop = {.sql = arena_printf(s->arena,
								"DROP DATABASE IF EXISTS \"%s\" "
								"WITH (FORCE)",
								s->created_db)};
			admin.ops->exec(&admin, &drop, &ignore);
		}
		driver_close(&admin);
		s->created_db = NULL;
	}
	if (s->postmaster > 0) {
		/* immediate shutdown: the files go right after, nothing needs to reach disk */
		int status;
		kill(s->postmaster, SIGQUIT);
		int64_t deadline = now_ms() + 10000;
		while (waitpid(s->postmaster, &status, WNOHANG) == 0) {
			if (now_ms() > deadline) {
				kill(s->postmaster, SIGKILL);
				waitpid(s->postmaster, &status, 0);
				break;
			}
			usleep(10 * 1000);
		}
		s->postmaster = 0;
	}
	if (s->tmpdir) {
		nftw(s->tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		s->tmpdir = NULL;
	}
}
