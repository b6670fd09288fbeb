/*
 * status --check, a Nagios/Icinga plugin: one line, exit 0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

struct mon;

int	check_print(const struct mon *, FILE *);
int	check_unknown(FILE *, const char *);

#endif
