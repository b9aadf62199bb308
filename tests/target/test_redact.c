/*
 * Connection strings as they are printed: each row is a string, the form
 * url_redact() prints and the secrets that must appear nowhere in it, nor
 * in a message secret_scrub() cleaned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "target/redact.h"

#define N(rows) (sizeof(rows) / sizeof((rows)[0]))

struct row {
	const char *url;
	const char *printed;
	const char *secrets[3]; /* NULL-terminated */
};

static const struct row rows[] = {
    /* conninfo: rebuilt from libpq's values, in the string's order */
    {"host=db user=app password=Pw1secret dbname=app",
     "host=db user=app password=*** dbname=app",
     {"Pw1secret"}},
    {"dbname=password_db password=Pw2secret", "dbname=password_db password=***", {"Pw2secret"}},
    {"user=password password=Pw3secret host=db",
     "user=password password=*** host=db",
     {"Pw3secret"}},
    {"sslpassword=Ssl4secret password=Pw4secret host=db",
     "sslpassword=*** password=*** host=db",
     {"Ssl4secret", "Pw4secret"}},
    {"password = 'Pw5it''s' host=db", "***", {"Pw5it"}},
    {"password='Pw6 \\'quoted\\' \\\\x' host=db",
     "password=*** host=db",
     {"Pw6 'quoted' \\x", "Pw6 \\'quoted\\' \\\\x"}},
    {"password=Pw7\\ escaped host=db", "password=*** host=db", {"Pw7 escaped", "Pw7\\ escaped"}},
    {"  host = db   password =Pw8spaced  ", "host=db password=***", {"Pw8spaced"}},
    {"password=Pw8first host=db password=Pw8second",
     "password=*** host=db",
     {"Pw8first", "Pw8second"}},
    {"host=db application_name='my app' password=Pw9secret",
     "host=db application_name='my app' password=***",
     {"Pw9secret"}},
    /* a URL as a database name is taken literally and printed back by the server */
    {"dbname=postgres://u:Pw10secret@h/db host=db",
     "dbname=postgres://u:***@h/db host=db",
     {"Pw10secret"}},
    /* URLs: the URL kept, its secrets cut where libpq cuts them */
    {"postgres://app:Pw11secret@db.example.com:5432/app",
     "postgres://app:***@db.example.com:5432/app",
     {"Pw11secret"}},
    {"postgresql://app:Pw12%40%2Fsecret@db/app",
     "postgresql://app:***@db/app",
     {"Pw12%40%2Fsecret", "Pw12@/secret"}},
    {"postgres://app@db/app?sslpassword=Ssl13secret&password=Pw13secret",
     "postgres://app@db/app?sslpassword=***&password=***",
     {"Ssl13secret", "Pw13secret"}},
    {"postgres:///app?host=/tmp/sock&pass%77ord=Pw14secret&user=app",
     "postgres:///app?host=/tmp/sock&pass%77ord=***&user=app",
     {"Pw14secret"}},
    {"postgres://app:Pw15secret@h1:5432,h2:5433/app?target_session_attrs=read-write",
     "postgres://app:***@h1:5432,h2:5433/app?target_session_attrs=read-write",
     {"Pw15secret"}},
    {"postgres://app:Pw16:colon@[::1]:5432/app",
     "postgres://app:***@[::1]:5432/app",
     {"Pw16:colon"}},
    {"postgres://Pw17same:Pw17same@db/app", "postgres://***:***@db/app", {"Pw17same"}},
    {"postgres://app:Pw18secret@db/app?password=Pw18query",
     "postgres://app:***@db/app?password=***",
     {"Pw18secret", "Pw18query"}},
    /* what libpq cannot parse: nothing of it after the scheme */
    {"postgres://app:Pw19secret@db/app?bogus=1", "postgres://***", {"Pw19secret"}},
    {"host=db password=Pw20 with space", "***", {"Pw20 with space", "Pw20"}},
    {"host=db password='Pw21unterminated", "***", {"Pw21unterminated"}},
    {"mysql://app:Pw22secret@db/app?x=1", "mysql://***", {"Pw22secret"}},
    {"app:Pw23secret@db/app", "***", {"Pw23secret"}},
    /* MongoDB */
    {"mongodb://app:Pw24secret@127.0.0.1:1/db?serverSelectionTimeoutMS=200",
     "mongodb://app:***@127.0.0.1:1/db?serverSelectionTimeoutMS=200",
     {"Pw24secret"}},
    {"mongodb+srv://app:Pw25%3Asecret@cluster.example.net/db",
     "mongodb+srv://app:***@cluster.example.net/db",
     {"Pw25%3Asecret", "Pw25:secret"}},
    {"mongodb://app:Pw26/with@slash@h1,h2/db?replicaSet=rs&tlsCertificateKeyFilePassword=Tls26"
     "secret",
     "mongodb://app:***@h1,h2/db?replicaSet=rs&tlsCertificateKeyFilePassword=***",
     {"Pw26/with@slash", "Tls26secret"}},
    {"mongodb://h/db?authMechanismProperties=AWS_SESSION_TOKEN:Tok27secret",
     "mongodb://h/db?authMechanismProperties=***",
     {"Tok27secret"}},
    /* no secret: printed as given */
    {"postgres://app@db/app?sslmode=require", "postgres://app@db/app?sslmode=require", {NULL}},
    {"sqlite:migrate.db", "sqlite:migrate.db", {NULL}},
};

static void test_url_redact(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		struct arena a = ARENA_INIT;
		const char *got = url_redact(&a, rows[i].url);
		if (strcmp(got, rows[i].printed) != 0)
			fail_msg("url_redact(\"%s\")\n  got      %s\n  expected %s", rows[i].url,
				 got, rows[i].printed);
		for (size_t k = 0; k < 3 && rows[i].secrets[k]; k++)
			if (strstr(got, rows[i].secrets[k]))
				fail_msg("url_redact(\"%s\") holds '%s'", rows[i].url,
					 rows[i].secrets[k]);
		arena_release(&a);
	}
}

/* A message that quotes everything back: the URL itself and each secret. */
static void test_secret_scrub(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		char msg[1024];
		int n = snprintf(msg, sizeof(msg), "could not use \"%s\": server said %s",
				 rows[i].url, rows[i].url);
		for (size_t k = 0; k < 3 && rows[i].secrets[k]; k++)
			n +=
			    snprintf(msg + n, sizeof(msg) - (size_t)n, " [%s]", rows[i].secrets[k]);
		secret_scrub(msg, sizeof(msg), rows[i].url);
		for (size_t k = 0; k < 3 && rows[i].secrets[k]; k++)
			if (strstr(msg, rows[i].secrets[k]))
				fail_msg("secret_scrub for \"%s\" left '%s' in: %s", rows[i].url,
					 rows[i].secrets[k], msg);
	}
}

/* What a message says besides the secrets stays; libpq's keywords stay quoted. */
static void test_secret_scrub_keeps(void **state)
{
	(void)state;
	char msg[256] = "missing \"=\" after \"Pw20\" in connection info string";
	secret_scrub(msg, sizeof(msg), "host=db password=Pw20 with space");
	assert_string_equal(msg, "missing \"=\" after \"***\" in connection info string");

	char msg2[256] = "invalid connection option \"bogus\"";
	secret_scrub(msg2, sizeof(msg2), "host=db bogus=1 password=Pw2");
	assert_string_equal(msg2, "invalid connection option \"bogus\"");

	/* after a password, a "key" may be the rest of a password with a space */
	char msg3[256] = "invalid connection option \"rest\"";
	secret_scrub(msg3, sizeof(msg3), "host=db password=my rest=1");
	assert_string_equal(msg3, "invalid connection option \"***\"");

	char msg4[256] = "connection to server at \"db\" (10.0.0.1), port 5432 failed: "
			 "FATAL:  password authentication failed for user \"app\"";
	char want4[256];
	memcpy(want4, msg4, sizeof(want4));
	secret_scrub(msg4, sizeof(msg4), "postgres://app:Pw4secret@db/app");
	assert_string_equal(msg4, want4);

	/* mongo-c-driver's messages: quoted values kept unless the URL did not parse */
	const char *mongo = "mongodb://app:Pw5m@h/db?appname=my%20Pw5secret";
	char msg5[256] = "duplicate key { email: \"a@b.example\" }";
	secret_scrub(msg5, sizeof(msg5), mongo);
	assert_string_equal(msg5, "duplicate key { email: \"a@b.example\" }");
	char msg6[256] = "Unsupported value for \"appname\": \"my Pw5secret\"";
	secret_scrub_unparsed(msg6, sizeof(msg6), mongo);
	assert_string_equal(msg6, "Unsupported value for \"appname\": \"***\"");

	/* a message cut to its buffer stays terminated */
	char small[8] = "Pw5secr";
	secret_scrub(small, sizeof(small), "password=Pw5secret");
	assert_string_equal(small, "Pw5secr");
	char small2[12] = "x Pw5secret";
	secret_scrub(small2, sizeof(small2), "password=Pw5secret");
	assert_string_equal(small2, "x ***");
}

static void test_pgpassword(void **state)
{
	(void)state;
	setenv("PGPASSWORD", "EnvPw6secret", 1);
	char msg[128] = "server said EnvPw6secret";
	secret_scrub(msg, sizeof(msg), "host=db user=app");
	unsetenv("PGPASSWORD");
	assert_string_equal(msg, "server said ***");
}

static void test_secret_keyword(void **state)
{
	(void)state;
	assert_true(secret_keyword("password"));
	assert_true(secret_keyword("sslpassword"));
	assert_true(secret_keyword("PASSWORD"));
	assert_true(secret_keyword("oauth_client_secret"));
	assert_true(secret_keyword("tlsCertificateKeyFilePassword"));
	assert_false(secret_keyword("passfile"));
	assert_false(secret_keyword("user"));
	assert_false(secret_keyword("dbname"));
	assert_false(secret_keyword("sslkey"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_url_redact),	       cmocka_unit_test(test_secret_scrub),
	    cmocka_unit_test(test_secret_scrub_keeps), cmocka_unit_test(test_pgpassword),
	    cmocka_unit_test(test_secret_keyword),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
