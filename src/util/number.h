#ifndef MG_NUMBER_H
#define MG_NUMBER_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The numbers and durations users type (flags, migrate.conf, environment),
 * parsed strictly: the whole string, decimal digits only. No sign, no
 * surrounding spaces, no 0x, no exponent, no "inf" or "nan", no overflow.
 */

/* A whole number from min to max (min >= 0); false when s is not one. */
bool number_parse(const char *s, int64_t min, int64_t max, int64_t *ret);

/*
 * A duration, DIGITS[.DIGITS][UNIT] with UNIT one of ms, s (the default), m
 * or min, h, d, w, in milliseconds from 0 to max_ms (fractions of a
 * millisecond are dropped); false when s is not one.
 */
bool number_parse_duration_ms(const char *s, int64_t max_ms, int64_t *ret);

#endif
