/* The one parser of the numbers and durations users type: strict, whole string, no overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "target/target.h"
#include "util/number.h"

static void test_numbers(void **state)
{
	static const struct {
		const char *text;
		int64_t min, max;
		bool ok;
		int64_t value;
	} rows[] = {
	    {"0", 0, 100, true, 0},
	    {"10", 0, 100, true, 10},
	    {"100", 0, 100, true, 100},
	    {"007", 0, 100, true, 7},
	    {"9223372036854775807", 0, INT64_MAX, true, INT64_MAX},
	    {"9223372036854775808", 0, INT64_MAX, false, 0},
	    {"99999999999999999999", 0, INT64_MAX, false, 0},
	    {"101", 0, 100, false, 0},
	    {"0", 1, 100, false, 0},
	    {"", 0, 100, false, 0},
	    {"abc", 0, 100, false, 0},
	    {"10k", 0, 100000, false, 0},
	    {"2x", 0, 100, false, 0},
	    {"-1", 0, 100, false, 0},
	    {"+1", 0, 100, false, 0},
	    {" 1", 0, 100, false, 0},
	    {"1 ", 0, 100, false, 0},
	    {"0x10", 0, 100, false, 0},
	    {"1e3", 0, 10000, false, 0},
	    {"1.0", 0, 100, false, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t v = -42;
		bool ok = number_parse(rows[i].text, rows[i].min, rows[i].max, &v);
		if (ok != rows[i].ok || (ok && v != rows[i].value))
			fail_msg("number_parse('%s', %lld, %lld): %d %lld, expected %d %lld",
				 rows[i].text, (long long)rows[i].min, (long long)rows[i].max, ok,
				 (long long)v, rows[i].ok, (long long)rows[i].value);
		if (!ok)
			assert_int_equal(v, -42); /* untouched on failure */
	}
	assert_false(number_parse(NULL, 0, 1, &(int64_t){0}));
}

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		int64_t ms; /* -1: refused */
	} rows[] = {
	    {"0", 0},
	    {"0s", 0},
	    {"2", 2000},
	    {"2s", 2000},
	    {"500ms", 500},
	    {"1.5s", 1500},
	    {"0.25m", 15000},
	    {"1m", 60000},
	    {"1min", 60000},
	    {"2h", 7200000},
	    {"14d", 14 * 86400000LL},
	    {"1w", 7 * 86400000LL},
	    {"1.0001ms", 1},
	    {"", -1},
	    {"s", -1},
	    {"2x", -1},
	    {"1e3", -1},
	    {"1e3s", -1},
	    {"inf", -1},
	    {"nan", -1},
	    {"infinity", -1},
	    {"-1s", -1},
	    {"+1s", -1},
	    {" 1s", -1},
	    {"1s ", -1},
	    {"1 s", -1},
	    {"1.s", -1},
	    {".5s", -1},
	    {"0x10s", -1},
	    {"1ss", -1},
	    {"2S", -1},
	    {"9223372036854775807ms", INT64_MAX},
	    {"9223372036854775808ms", -1},
	    {"9223372036854775807s", -1},
	    {"99999999999999999999d", -1},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t got = duration_parse_ms(rows[i].text);
		if (got != rows[i].ms)
			fail_msg("duration_parse_ms('%s') = %lld, expected %lld", rows[i].text,
				 (long long)got, (long long)rows[i].ms);
	}
	int64_t v;
	assert_false(number_parse_duration_ms("25h", 24 * 3600000LL, &v));
	assert_true(number_parse_duration_ms("24h", 24 * 3600000LL, &v));
	assert_int_equal(v, 24 * 3600000LL);
	assert_int_equal(duration_parse_ms(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_durations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
