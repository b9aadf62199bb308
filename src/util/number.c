#include "util/number.h"

#include <string.h>

/* Leading decimal digits of s as a value, with overflow detection. */
static const char *parse_digits(const char *s, int64_t *ret, bool *ret_overflow)
{
	int64_t v = 0;
	*ret_overflow = false;
	for (; *s >= '0' && *s <= '9'; s++) {
		int d = *s - '0';
		if (v > (INT64_MAX - d) / 10)
			*ret_overflow = true;
		else
			v = v * 10 + d;
	}
	*ret = v;
	return s;
}

bool number_parse(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	int64_t v;
	bool overflow;
	if (!s || *s < '0' || *s > '9')
		return false;
	const char *end = parse_digits(s, &v, &overflow);
	if (*end || overflow || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

bool number_parse_duration_ms(const char *s, int64_t max_ms, int64_t *ret)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {
	    {"", 1000},	    {"ms", 1},	    {"s", 1000},     {"m", 60000},
	    {"min", 60000}, {"h", 3600000}, {"d", 86400000}, {"w", 7 * 86400000LL},
	};
	int64_t whole, frac = 0, frac_scale = 1;
	bool overflow;
	if (!s || *s < '0' || *s > '9')
		return false;
	const char *p = parse_digits(s, &whole, &overflow);
	if (overflow)
		return false;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		/* nine digits are more than a millisecond needs: the rest are dropped */
		for (; *p >= '0' && *p <= '9'; p++)
			if (frac_scale < 1000000000) {
				frac = frac * 10 + (*p - '0');
				frac_scale *= 10;
			}
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit) != 0)
			continue;
		int64_t mult = units[i].ms;
		if (whole > INT64_MAX / mult)
			return false;
		/* frac < 1e9 and mult <= 6.048e8: their product fits */
		int64_t part = frac * mult / frac_scale;
		if (whole * mult > INT64_MAX - part || whole * mult + part > max_ms)
			return false;
		*ret = whole * mult + part;
		return true;
	}
	return false;
}
