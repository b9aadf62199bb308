/*
 * Many databases, one command: --target NAME (repeatable) and --all-targets
 * run the verb once per [target "NAME"] of migrate.conf. Each run is this
 * binary again (/proc/self/exe) with the target's database in DATABASE_URL
 * (never on a command line, where ps would show its password) and its
 * directory in --dir, so every target has its own history, lock and report.
 * The children's output is read through pipes and printed a whole line at a
 * time, each line after "[NAME] "; JSON reports are merged into one object.
 */
#include <bson/bson.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "migration/config.h"
#include "util/number.h"
#include "util/strbuf.h"

enum target_state { T_WAITING, T_RUNNING, T_DONE, T_SKIPPED };

struct target_run {
	const struct config_target *t;
	enum target_state state;
	pid_t pid;
	int fd[2];	       /* stdout, stderr of the child; -1 once closed */
	struct strbuf line[2]; /* a line not yet ended */
	struct strbuf out;     /* stdout kept whole (JSON reports) */
	struct strbuf err;     /* stderr kept, for a JSON report of a failure */
	int rc;
	int64_t start_ns, ms;
	const char *why_skipped;
};

/* How the children's stdout is shown. */
enum output_mode {
	OUT_LINES,  /* each line after [NAME] */
	OUT_RAW,    /* as it is, one target after the other (--format github) */
	OUT_JSON,   /* one object: {"targets": [{"target", "exit", ...the child's}]} */
	OUT_STATUS, /* status: one table of target x migration x phase */
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool fanout_arg(const char *arg)
{
	for (size_t i = 0; i < cli.n_fanout_args; i++)
		if (cli.fanout_args[i] == arg)
			return true;
	return false;
}

/* The --format the verb was given (the last one), or NULL. */
static const char *format_of(int argc, char **argv)
{
	const char *f = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			f = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			f = argv[i] + 9;
	}
	return f;
}

static void json_string(struct strbuf *sb, const char *s, size_t n)
{
	strbuf_addch(sb, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			strbuf_addf(sb, "\\%c", c);
		else if (c == '\n')
			strbuf_add(sb, "\\n", 2);
		else if (c < 0x20)
			strbuf_addf(sb, "\\u%04x", c);
		else
			strbuf_addch(sb, (char)c);
	}
	strbuf_addch(sb, '"');
}

static void print_prefixed(FILE *f, const char *name, const char *text, size_t n)
{
	fprintf(f, "[%s] %.*s\n", name, (int)n, text);
	fflush(f);
}

/* Hands what a child wrote on stream which (0 stdout, 1 stderr) to where it goes. */
static void child_output(struct target_run *r, int which, const char *buf, size_t n,
			 enum output_mode mode)
{
	if (which == 1)
		strbuf_add(&r->err, buf, n);
	if (which == 0 && mode != OUT_LINES) {
		strbuf_add(&r->out, buf, n);
		return;
	}
	struct strbuf *l = &r->line[which];
	strbuf_add(l, buf, n);
	FILE *f = which ? stderr : stdout;
	size_t start = 0;
	for (size_t i = 0; i < l->len; i++)
		if (l->buf[i] == '\n') {
			print_prefixed(f, r->t->name, l->buf + start, i - start);
			start = i + 1;
		}
	if (start) {
		memmove(l->buf, l->buf + start, l->len - start);
		l->len -= start;
		l->buf[l->len] = '\0';
	}
}

static int spawn(struct target_run *r, const struct cmd *cmd, int argc, char **argv,
		 enum output_mode mode)
{
	int out[2], err[2];
	if (pipe(out) < 0)
		return -1;
	if (pipe(err) < 0) {
		close(out[0]);
		close(out[1]);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		setenv("DATABASE_URL", r->t->db, 1);
		/* check and lint read a database only when one is named (cmd_named_db) */
		if (strcmp(cmd->name, "check") == 0 || strcmp(cmd->name, "lint") == 0)
			setenv("MIGRATE_TARGET_DB", r->t->db, 1);
		char **args = calloc((size_t)argc + 16, sizeof(*args));
		if (!args)
			_exit(3);
		int n = 0;
		args[n++] = "migrate";
		args[n++] = argv[0];
		for (int i = 1; i < argc; i++)
			if (!fanout_arg(argv[i]))
				args[n++] = argv[i];
		if (cli.config) {
			args[n++] = "--config";
			args[n++] = (char *)cli.config;
		}
		if (cli.lock_timeout) {
			args[n++] = "--lock-timeout";
			args[n++] = (char *)cli.lock_timeout;
		}
		if (cli.quiet)
			args[n++] = "--quiet";
		if (cli.verbose)
			args[n++] = "--verbose";
		if (r->t->dir) {
			args[n++] = "--dir";
			args[n++] = (char *)r->t->dir;
		} else if (cli.dir) {
			args[n++] = "--dir";
			args[n++] = (char *)cli.dir;
		}
		if (mode == OUT_STATUS) {
			args[n++] = "--format";
			args[n++] = "json";
		}
		args[n] = NULL;
		execv("/proc/self/exe", args);
		fprintf(stderr, "cannot run migrate again: %s\n", strerror(errno));
		_exit(3);
	}
	close(out[1]);
	close(err[1]);
	fcntl(out[0], F_SETFD, FD_CLOEXEC);
	fcntl(err[0], F_SETFD, FD_CLOEXEC);
	r->pid = pid;
	r->fd[0] = out[0];
	r->fd[1] = err[0];
	r->state = T_RUNNING;
	r->start_ns = now_ns();
	return 0;
}

/* Reads from the running children until one of them has ended. */
static void wait_one(struct target_run *runs, size_t n, enum output_mode mode)
{
	for (;;) {
		struct pollfd pfd[256];
		size_t who[256];
		int which[256];
		size_t k = 0;
		for (size_t i = 0; i < n && k + 2 <= 256; i++) {
			if (runs[i].state != T_RUNNING)
				continue;
			for (int s = 0; s < 2; s++)
				if (runs[i].fd[s] >= 0) {
					pfd[k] =
					    (struct pollfd){.fd = runs[i].fd[s], .events = POLLIN};
					who[k] = i;
					which[k++] = s;
				}
		}
		/* a child whose both pipes are closed has ended: reap it */
		for (size_t i = 0; i < n; i++) {
			struct target_run *r = &runs[i];
			if (r->state != T_RUNNING || r->fd[0] >= 0 || r->fd[1] >= 0)
				continue;
			int status = 0;
			while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
				;
			r->rc = WIFEXITED(status)     ? WEXITSTATUS(status)
				: WIFSIGNALED(status) ? 128 + WTERMSIG(status)
						      : 3;
			r->ms = (now_ns() - r->start_ns) / 1000000;
			for (int s = 0; s < 2; s++)
				if (r->line[s].len) {
					print_prefixed(s ? stderr : stdout, r->t->name,
						       r->line[s].buf, r->line[s].len);
					r->line[s].len = 0;
				}
			if (mode == OUT_RAW) {
				fwrite(r->out.buf ? r->out.buf : "", 1, r->out.len, stdout);
				fflush(stdout);
			}
			r->state = T_DONE;
			return;
		}
		if (!k)
			return;
		if (poll(pfd, k, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (size_t j = 0; j < k; j++) {
			if (!(pfd[j].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[8192];
			ssize_t got = read(pfd[j].fd, buf, sizeof(buf));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				close(pfd[j].fd);
				runs[who[j]].fd[which[j]] = -1;
				continue;
			}
			child_output(&runs[who[j]], which[j], buf, (size_t)got, mode);
		}
	}
}

static size_t running(const struct target_run *runs, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += runs[i].state == T_RUNNING;
	return k;
}

/* The child's JSON object without its braces, or NULL when it wrote none. */
static bool json_members(const struct strbuf *out, const char **ret, size_t *ret_len)
{
	const char *s = out->buf ? out->buf : "";
	size_t a = 0, b = out->len;
	while (a < b && (s[a] == ' ' || s[a] == '\n' || s[a] == '\t' || s[a] == '\r'))
		a++;
	while (b > a &&
	       (s[b - 1] == ' ' || s[b - 1] == '\n' || s[b - 1] == '\t' || s[b - 1] == '\r'))
		b--;
	if (b - a < 2 || s[a] != '{' || s[b - 1] != '}')
		return false;
	a++;
	b--;
	while (a < b && (s[a] == ' ' || s[a] == '\n'))
		a++;
	*ret = s + a;
	*ret_len = b - a;
	return true;
}

static void print_json(const struct target_run *runs, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "{\"targets\": [");
	for (size_t i = 0; i < n; i++) {
		const struct target_run *r = &runs[i];
		strbuf_addstr(&sb, i ? ",\n  {\"target\": " : "\n  {\"target\": ");
		json_string(&sb, r->t->name, strlen(r->t->name));
		if (r->state == T_SKIPPED) {
			strbuf_addstr(&sb, ", \"exit\": null, \"skipped\": ");
			json_string(&sb, r->why_skipped, strlen(r->why_skipped));
			strbuf_addch(&sb, '}');
			continue;
		}
		strbuf_addf(&sb, ", \"exit\": %d, \"ms\": %lld", r->rc, (long long)r->ms);
		const char *m;
		size_t len;
		if (json_members(&r->out, &m, &len)) {
			if (len) {
				strbuf_addstr(&sb, ", ");
				strbuf_add(&sb, m, len);
			}
		} else {
			strbuf_addstr(&sb, ", \"error\": ");
			json_string(&sb, r->err.buf ? r->err.buf : "", r->err.len);
		}
		strbuf_addch(&sb, '}');
	}
	strbuf_addstr(&sb, "\n]}\n");
	fputs(sb.buf, stdout);
	strbuf_release(&sb);
}

static const char *bson_str(const bson_t *doc, const char *key)
{
	bson_iter_t it;
	if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it))
		return bson_iter_utf8(&it, NULL);
	return NULL;
}

static bool bson_flag(const bson_t *doc, const char *key)
{
	bson_iter_t it;
	return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_BOOL(&it) &&
	       bson_iter_bool(&it);
}

static long long bson_int(const bson_t *doc, const char *key)
{
	bson_iter_t it;
	if (bson_iter_init_find(&it, doc, key) &&
	    (BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it) ||
	     BSON_ITER_HOLDS_DOUBLE(&it)))
		return (long long)bson_iter_as_int64(&it);
	return 0;
}

/* status --all-targets: one table, target x migration x phase. */
static void print_status_table(const struct target_run *runs, size_t n)
{
	size_t w = 6;
	for (size_t i = 0; i < n; i++)
		if (strlen(runs[i].t->name) > w)
			w = strlen(runs[i].t->name);
	printf("%-*s  %-14s  %-32s  %s\n", (int)w, "TARGET", "VERSION", "NAME", "PHASE");
	for (size_t i = 0; i < n; i++) {
		const struct target_run *r = &runs[i];
		if (r->state == T_SKIPPED) {
			printf("%-*s  %-14s  %-32s  not run: %s\n", (int)w, r->t->name, "-", "-",
			       r->why_skipped);
			continue;
		}
		bson_error_t berr;
		bson_t *doc = r->out.len ? bson_new_from_json((const uint8_t *)r->out.buf,
							      (ssize_t)r->out.len, &berr)
					 : NULL;
		bson_iter_t it, arr;
		if (!doc || !bson_iter_init_find(&it, doc, "migrations") ||
		    !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr)) {
			printf("%-*s  %-14s  %-32s  error (exit %d)\n", (int)w, r->t->name, "-",
			       "-", r->rc);
			if (doc)
				bson_destroy(doc);
			continue;
		}
		size_t rows = 0;
		while (bson_iter_next(&arr)) {
			if (!BSON_ITER_HOLDS_DOCUMENT(&arr))
				continue;
			const uint8_t *data;
			uint32_t len;
			bson_iter_document(&arr, &len, &data);
			bson_t m;
			if (!bson_init_static(&m, data, len))
				continue;
			const char *phase = bson_str(&m, "phase");
			const char *name = bson_str(&m, "name");
			char version[32];
			snprintf(version, sizeof(version), "%lld", bson_int(&m, "version"));
			printf("%-*s  %-14s  %-32s  %s%s%s%s\n", (int)w, r->t->name, version,
			       name ? name : "", phase ? phase : "?",
			       bson_flag(&m, "interrupted") ? ", interrupted" : "",
			       bson_flag(&m, "drift") ? ", drift" : "",
			       bson_flag(&m, "missing") ? ", file missing" : "");
			rows++;
		}
		if (!rows)
			printf("%-*s  %-14s  %-32s  (no migrations)\n", (int)w, r->t->name, "-",
			       "-");
		bson_destroy(doc);
	}
}

static void print_summary(const struct cmd *cmd, const struct target_run *runs, size_t n,
			  int64_t total_ms, FILE *f, bool quiet)
{
	size_t ok = 0, failed = 0, skipped = 0;
	for (size_t i = 0; i < n; i++) {
		const struct target_run *r = &runs[i];
		if (r->state == T_SKIPPED) {
			skipped++;
			fprintf(f, "[%s] not run: %s\n", r->t->name, r->why_skipped);
		} else if (r->rc == 0) {
			ok++;
			if (!quiet)
				fprintf(f, "[%s] ok in %.2f s\n", r->t->name, (double)r->ms / 1000);
		} else {
			failed++;
			fprintf(f, "[%s] failed (exit %d) in %.2f s\n", r->t->name, r->rc,
				(double)r->ms / 1000);
		}
	}
	if (!quiet || failed || skipped)
		fprintf(f, "migrate %s: %zu target%s in %.2f s: %zu ok, %zu failed, %zu not run\n",
			cmd->name, n, n == 1 ? "" : "s", (double)total_ms / 1000, ok, failed,
			skipped);
	fflush(f);
}

static int target_usage_error(const struct cmd *cmd, const struct config *cfg, const char *name)
{
	const char *names[256];
	size_t k = 0;
	for (size_t i = 0; i < cfg->n_targets && k < 255; i++)
		names[k++] = cfg->targets[i].name;
	names[k] = NULL;
	const char *near = cmd_suggest(name, names);
	if (!cfg->n_targets)
		return cmd_usage_error(cmd, "no target '%s': %s has no [target \"NAME\"] sections",
				       name, cfg->path ? cfg->path : "migrate.conf");
	if (near)
		return cmd_usage_error(cmd, "no target '%s' in %s\ndid you mean '%s'?", name,
				       cfg->path, near);
	return cmd_usage_error(cmd, "no target '%s' in %s", name, cfg->path);
}

int cmd_targets_run(const struct cmd *cmd, int argc, char **argv)
{
	if (!cli.n_targets && !cli.all_targets) {
		if (cli.parallel || cli.canary || cli.continue_on_error)
			return cmd_usage_error(
			    cmd, "--parallel, --canary and --continue-on-error go with --target "
				 "or --all-targets");
		return -1;
	}
	static const char *const verbs[] = {"up",   "revert", "status", "plan",
					    "lint", "check",  "purge",	NULL};
	bool fans = false;
	for (size_t i = 0; verbs[i]; i++)
		fans |= strcmp(cmd->name, verbs[i]) == 0;
	if (!fans)
		return cmd_usage_error(
		    cmd, "'migrate %s' runs on no database: it takes no --target", cmd->name);
	if (cli.db)
		return cmd_usage_error(cmd, "--db and --target/--all-targets go alone: a target's "
					    "database is its db in migrate.conf");
	if (cli.n_targets && cli.all_targets)
		return cmd_usage_error(cmd, "--target and --all-targets go alone");
	if (cli.n_targets >= sizeof(cli.targets) / sizeof(cli.targets[0]))
		return cmd_usage_error(cmd, "at most %zu --target flags",
				       sizeof(cli.targets) / sizeof(cli.targets[0]) - 1);
	int64_t parallel = 1;
	if (cli.parallel && !cmd_number_arg(cmd, "--parallel", cli.parallel, 1, 64, &parallel))
		return 2;

	struct arena a = ARENA_INIT;
	struct config cfg;
	struct mg_error err = MG_ERROR_INIT;
	if (config_load(&a, cli.config ? cli.config : "migrate.conf", &cfg, &err) < 0) {
		char prog[64];
		snprintf(prog, sizeof(prog), "migrate %s", cmd->name);
		mg_error_print(&err, prog);
		arena_release(&a);
		return 2;
	}
	int rc = 2;
	if (cli.all_targets && !cfg.n_targets) {
		cmd_usage_error(cmd, "--all-targets: %s has no [target \"NAME\"] sections",
				cfg.path ? cfg.path : "migrate.conf (there is none)");
		goto out;
	}
	/* the targets asked for, each once, in the order given (all: the file's order) */
	size_t n = 0;
	struct target_run *runs = arena_alloc(&a, sizeof(*runs) * (cfg.n_targets + 1));
	for (size_t i = 0; i < (cli.all_targets ? cfg.n_targets : cli.n_targets); i++) {
		const struct config_target *t =
		    cli.all_targets ? &cfg.targets[i] : config_target_find(&cfg, cli.targets[i]);
		if (!t) {
			target_usage_error(cmd, &cfg, cli.targets[i]);
			goto out;
		}
		bool dup = false;
		for (size_t j = 0; j < n; j++)
			dup |= runs[j].t == t;
		if (dup)
			continue;
		memset(&runs[n], 0, sizeof(runs[n]));
		runs[n].t = t;
		runs[n].fd[0] = runs[n].fd[1] = -1;
		n++;
	}
	size_t canary = n;
	if (cli.canary) {
		const struct config_target *t = config_target_find(&cfg, cli.canary);
		if (!t) {
			target_usage_error(cmd, &cfg, cli.canary);
			goto out;
		}
		for (size_t j = 0; j < n; j++)
			if (runs[j].t == t)
				canary = j;
		if (canary == n) {
			cmd_usage_error(cmd, "--canary '%s' is not one of the targets asked for",
					cli.canary);
			goto out;
		}
	}
	const char *format = format_of(argc, argv);
	enum output_mode mode = OUT_LINES;
	if (strcmp(cmd->name, "status") == 0)
		mode = format && strcmp(format, "json") == 0 ? OUT_JSON : OUT_STATUS;
	else if (format && strcmp(format, "json") == 0)
		mode = OUT_JSON;
	else if (format && strcmp(format, "github") == 0)
		mode = OUT_RAW;
	else if (format && strcmp(format, "text") != 0 && n == 1)
		mode = OUT_RAW; /* sarif, junit: the one report as it is */
	else if (format && strcmp(format, "text") != 0) {
		cmd_usage_error(cmd,
				"--format %s makes one report per database: name one --target, or "
				"use text, json or github",
				format);
		goto out;
	}

	/* a verb that only reads goes on past a failure: there is nothing to protect */
	bool writes = strcmp(cmd->name, "up") == 0 || strcmp(cmd->name, "revert") == 0 ||
		      strcmp(cmd->name, "purge") == 0;
	bool go_on = cli.continue_on_error || !writes;
	int64_t t0 = now_ns();
	rc = 0;
	bool stop = false;
	if (canary < n) {
		if (spawn(&runs[canary], cmd, argc, argv, mode) < 0) {
			runs[canary].state = T_DONE;
			runs[canary].rc = 3;
		} else {
			wait_one(runs, n, mode);
		}
		rc = runs[canary].rc;
		if (runs[canary].rc != 0)
			stop = true;
	}
	for (size_t next = 0;;) {
		while (!stop && next < n && running(runs, n) < (size_t)parallel) {
			struct target_run *r = &runs[next++];
			if (r->state != T_WAITING)
				continue;
			if (spawn(r, cmd, argc, argv, mode) < 0) {
				r->state = T_DONE;
				r->rc = 3;
				fprintf(stderr, "[%s] cannot start: %s\n", r->t->name,
					strerror(errno));
			}
		}
		if (!running(runs, n))
			break;
		wait_one(runs, n, mode);
		for (size_t i = 0; i < n; i++)
			if (runs[i].state == T_DONE && runs[i].rc && !go_on)
				stop = true;
	}
	for (size_t i = 0; i < n; i++) {
		struct target_run *r = &runs[i];
		if (r->state == T_WAITING) {
			r->state = T_SKIPPED;
			r->why_skipped =
			    canary < n && runs[canary].rc
				? arena_printf(&a, "the canary '%s' failed", runs[canary].t->name)
				: "an earlier target failed; --continue-on-error runs the rest";
		}
		if (r->state == T_DONE && r->rc > rc)
			rc = r->rc;
	}
	int64_t total_ms = (now_ns() - t0) / 1000000;
	if (mode == OUT_JSON)
		print_json(runs, n);
	else if (mode == OUT_STATUS)
		print_status_table(runs, n);
	/* a report of its own (JSON, the status table) says the rest; failures are told anyway */
	print_summary(cmd, runs, n, total_ms, mode == OUT_LINES ? stdout : stderr,
		      cli.quiet || mode == OUT_JSON || mode == OUT_STATUS);
	for (size_t i = 0; i < n; i++) {
		strbuf_release(&runs[i].line[0]);
		strbuf_release(&runs[i].line[1]);
		strbuf_release(&runs[i].out);
		strbuf_release(&runs[i].err);
	}
out:
	arena_release(&a);
	return rc;
}
