/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bench programs' one argument rule: a count is a whole decimal number
 * from 1 to max, nothing else (no sign, no suffix, no overflow). PROGRAM is
 * the program's name for the error, defined before this is included.
 */
#ifndef MINT_BENCH_NUMBER_H
#define MINT_BENCH_NUMBER_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int number(const char *arg, unsigned long long max, const char *what,
		  unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || *out < 1 || *out > max || arg[0] == '-') {
		fprintf(stderr, "%s: %s %s: give a whole number from 1 to %llu\n", PROGRAM,
			what, arg, max);
		return -1;
	}
	return 0;
}

#endif
