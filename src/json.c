/*
 * Streaming JSON writer. The caller's structure is trusted (begin/end pair
 * up); keys and string values go through esc_json.
 */
#include "config.h"

#include <inttypes.h>

#include "esc.h"
#include "json.h"

void
json_init(struct json *j)
{
	sbuf_init(&j->b);
	sbuf_add(&j->b, "", 0);
	j->depth = 0;
	j->first[0] = true;
}

void
json_free(struct json *j)
{
	sbuf_free(&j->b);
}

static void
json_key(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		sbuf_adds(&j->b, ",");
	j->first[j->depth] = false;
	if (key != NULL) {
		sbuf_adds(&j->b, "\"");
		esc_json(&j->b, key);
		sbuf_adds(&j->b, "\":");
	}
}

static void
json_open(struct json *j, const char *key, const char *c)
{
	json_key(j, key);
	sbuf_adds(&j->b, c);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void
json_close(struct json *j, const char *c)
{
	sbuf_adds(&j->b, c);
	if (j->depth > 0)
		j->depth--;
}

void
json_obj_begin(struct json *j, const char *key)
{
	json_open(j, key, "{");
}

void
json_obj_end(struct json *j)
{
	json_close(j, "}");
}

void
json_arr_begin(struct json *j, const char *key)
{
	json_open(j, key, "[");
}

void
json_arr_end(struct json *j)
{
	json_close(j, "]");
}

void
json_str(struct json *j, const char *key, const char *val)
{
	if (val == NULL) {
		json_null(j, key);
		return;
	}
	json_key(j, key);
	sbuf_adds(&j->b, "\"");
	esc_json(&j->b, val);
	sbuf_adds(&j->b, "\"");
}

void
json_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	sbuf_addf(&j->b, "%" PRId64, v);
}

void
json_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	sbuf_addf(&j->b, "%" PRIu64, v);
}

void
json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	sbuf_adds(&j->b, v ? "true" : "false");
}

void
json_null(struct json *j, const char *key)
{
	json_key(j, key);
	sbuf_adds(&j->b, "null");
}

/* Inserts an already-serialised JSON value. */
void
json_raw(struct json *j, const char *key, const char *raw)
{
	json_key(j, key);
	sbuf_adds(&j->b, raw);
}
