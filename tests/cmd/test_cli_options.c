/*
 * The verbs' option tables against their help: every long option a verb
 * accepts (its own and the common ones) is in its --help, its own are in
 * its usage line, and help and usage name no option it does not accept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd/cmd.h"

static const struct option common[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};

/* What cmd_print_help writes to stdout, as a string the caller frees. */
static char *help_of(const struct cmd *cmd)
{
	char path[] = "/tmp/migrate-help.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	cmd_print_help(cmd);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	off_t len = lseek(fd, 0, SEEK_END);
	char *text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(pread(fd, text, (size_t)len, 0), len);
	close(fd);
	unlink(path);
	return text;
}

/* "--name" in text as a whole option name (not the start of a longer one). */
static bool mentions(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = strstr(text, "--"); p; p = strstr(p + 2, "--"))
		if (strncmp(p + 2, name, n) == 0 &&
		    !(p[2 + n] == '-' || (p[2 + n] >= 'a' && p[2 + n] <= 'z')))
			return true;
	return false;
}

static bool accepts(const struct cmd *cmd, const char *name, size_t n)
{
	for (const struct option *o = cmd->options; o && o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return true;
	for (const struct option *o = common; o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return true;
	return false;
}

/* Every --name in text is an option cmd accepts. */
static void only_accepted(const struct cmd *cmd, const char *what, const char *text)
{
	for (const char *p = strstr(text, "--"); p; p = strstr(p + 2, "--")) {
		const char *name = p + 2;
		size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz-");
		if (!n || (p > text && p[-1] == '-'))
			continue;
		if (!accepts(cmd, name, n))
			fail_msg("'migrate %s': %s names '--%.*s', which it does not accept",
				 cmd->name, what, (int)n, name);
	}
}

static void test_every_option_in_help(void **state)
{
	(void)state;
	size_t verbs = 0;
	for (const struct cmd *cmd = commands; cmd->name; cmd++, verbs++) {
		assert_non_null(cmd->options);
		char *help = help_of(cmd);
		for (const struct option *o = cmd->options; o->name; o++) {
			if (!mentions(help, o->name))
				fail_msg("'migrate %s --help' does not mention --%s", cmd->name,
					 o->name);
			if (!mentions(cmd->usage, o->name))
				fail_msg("the usage line of 'migrate %s' lacks --%s", cmd->name,
					 o->name);
		}
		for (const struct option *o = common; o->name; o++)
			if (!mentions(help, o->name))
				fail_msg("'migrate %s --help' does not mention the common --%s",
					 cmd->name, o->name);
		only_accepted(cmd, "--help", help);
		only_accepted(cmd, "the usage line", cmd->usage);
		free(help);
	}
	assert_true(verbs >= 8);
}

static void test_aliases(void **state)
{
	static const struct {
		const char *name, *verb;
	} rows[] = {
	    {"create", "new"},	  {"rollback", "revert"}, {"down", "revert"},
	    {"revert", "revert"}, {"new", "new"},	  {"nosuch", NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct cmd *c = cmd_find(rows[i].name);
		if (!rows[i].verb)
			assert_null(c);
		else if (!c || strcmp(c->name, rows[i].verb) != 0)
			fail_msg("'%s' should be 'migrate %s'", rows[i].name, rows[i].verb);
	}
}

static void test_suggestions(void **state)
{
	static const char *const verbs[] = {"lint",  "up",  "revert", "status", "plan",
					    "check", "new", "purge",  NULL};
	static const struct {
		const char *word, *want;
	} rows[] = {
	    {"stauts", "status"}, {"revret", "revert"}, {"lnit", "lint"}, {"purg", "purge"},
	    {"pu", NULL},	  {"frobnicate", NULL}, {"x", NULL},	  {"", NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *got = cmd_suggest(rows[i].word, verbs);
		if ((got == NULL) != (rows[i].want == NULL) ||
		    (got && strcmp(got, rows[i].want) != 0))
			fail_msg("suggestion for '%s': '%s', expected '%s'", rows[i].word,
				 got ? got : "(none)", rows[i].want ? rows[i].want : "(none)");
	}
	const struct cmd *up = cmd_find("up");
	assert_string_equal(cmd_suggest_option(up, "--dry-rn"), "--dry-run");
	assert_string_equal(cmd_suggest_option(up, "--retires=3"), "--retries");
	assert_string_equal(cmd_suggest_option(up, "--confg"), "--config");
	assert_null(cmd_suggest_option(up, "--frobnicate"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_option_in_help),
	    cmocka_unit_test(test_aliases),
	    cmocka_unit_test(test_suggestions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
