/*
 * A minimal streaming JSON writer over an sbuf: objects, arrays, strings
 * (escaped by esc_json, so non-UTF-8 names stay valid JSON), integers, bools.
 */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "sbuf.h"

#define JSON_MAX_DEPTH 16

struct json {
	struct sbuf	b;
	int		depth;
	bool		first[JSON_MAX_DEPTH];
};

void	json_init(struct json *);
void	json_free(struct json *);
void	json_obj_begin(struct json *, const char *);
void	json_obj_end(struct json *);
void	json_arr_begin(struct json *, const char *);
void	json_arr_end(struct json *);
void	json_str(struct json *, const char *, const char *);
void	json_int(struct json *, const char *, int64_t);
void	json_uint(struct json *, const char *, uint64_t);
void	json_bool(struct json *, const char *, bool);
void	json_null(struct json *, const char *);
void	json_raw(struct json *, const char *, const char *);

#endif
