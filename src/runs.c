/*
 * Run records (see runs.h). Format, one record per line, oldest first:
 *	evmaint-runs 1
 *	run rotate START DURATION_MS EXIT rotated=3 compressed=3 ...
 * Counters are key=value so that a later version can add one. Written with
 * fsx_publish_file: temp, fsync, rename, fsync of the directory.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evmaint.h"
#include "conf.h"
#include "fsx.h"
#include "report.h"
#include "runs.h"
#include "xmalloc.h"

#define RUNS_MAX_BYTES	(1024 * 1024)

struct runs_field {
	const char	*name;
	size_t		 off;
};

static const struct runs_field runs_fields[] = {
	{ "rotated",	offsetof(struct run_rec, rotated) },
	{ "compressed",	offsetof(struct run_rec, compressed) },
	{ "archived",	offsetof(struct run_rec, archived) },
	{ "archives",	offsetof(struct run_rec, archives) },
	{ "deleted",	offsetof(struct run_rec, deleted) },
	{ "bytes_in",	offsetof(struct run_rec, bytes_in) },
	{ "bytes_out",	offsetof(struct run_rec, bytes_out) },
	{ "errors",	offsetof(struct run_rec, errors) },
	{ NULL, 0 }
};

#define RUNS_FIELD(rec, f) (*(uint64_t *)((char *)(rec) + (f)->off))

void
runs_free(struct runs *rs)
{
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

/* "/var/lib/evmaint/state" -> "state.runs", the name beside it. */
char *
runs_name(const char *state_base)
{
	char *s;

	xasprintf(&s, "%s.runs", state_base);
	return s;
}

static int
runs_parse_line(char *line, struct run_rec *r)
{
	const struct runs_field	*f;
	char			*tok, *save, *end, *eq;
	long long		 v[3];
	int			 i;

	memset(r, 0, sizeof *r);
	if ((tok = strtok_r(line, " ", &save)) == NULL ||
	    strcmp(tok, "run") != 0)
		return -1;
	if ((tok = strtok_r(NULL, " ", &save)) == NULL ||
	    strlen(tok) >= sizeof r->command || strspn(tok,
	    "abcdefghijklmnopqrstuvwxyz-") != strlen(tok))
		return -1;
	strcpy(r->command, tok);
	for (i = 0; i < 3; i++) {
		if ((tok = strtok_r(NULL, " ", &save)) == NULL)
			return -1;
		errno = 0;
		v[i] = strtoll(tok, &end, 10);
		if (*end != '\0' || end == tok || errno != 0 || v[i] < 0)
			return -1;
	}
	if (v[2] > 255)
		return -1;
	r->start = (time_t)v[0];
	r->duration_ms = v[1];
	r->exit_status = (int)v[2];
	while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
		if ((eq = strchr(tok, '=')) == NULL)
			return -1;
		*eq = '\0';
		for (f = runs_fields; f->name != NULL; f++)
			if (strcmp(f->name, tok) == 0)
				break;
		if (f->name == NULL)
			continue;	/* a later version's counter */
		errno = 0;
		RUNS_FIELD(r, f) = strtoull(eq + 1, &end, 10);
		if (*end != '\0' || end == eq + 1 || errno != 0)
			return -1;
	}
	return 0;
}

int
runs_parse(struct runs *rs, const char *text, size_t len, char **err)
{
	char	*copy, *line, *next;
	int	 lineno = 0;

	memset(rs, 0, sizeof *rs);
	*err = NULL;
	if (memchr(text, '\0', len) != NULL) {
		*err = xstrdup("contains a NUL byte");
		return -1;
	}
	copy = xstrndup(text, len);
	for (line = copy; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (++lineno == 1) {
			if (strcmp(line, "evmaint-runs 1") != 0) {
				xasprintf(err, "line 1: not an evmaint run "
				    "record file of version %d", RUNS_VERSION);
				goto fail;
			}
			continue;
		}
		if (*line == '\0' || *line == '#')
			continue;
		rs->v = xgrowarray(rs->v, rs->n + 1, sizeof *rs->v);
		if (runs_parse_line(line, &rs->v[rs->n]) != 0) {
			xasprintf(err, "line %d: expected 'run COMMAND START "
			    "DURATION_MS EXIT [COUNTER=N]...'", lineno);
			goto fail;
		}
		rs->n++;
	}
	free(copy);
	return 0;
fail:
	free(copy);
	runs_free(rs);
	return -1;
}

void
runs_format(const struct runs *rs, struct sbuf *b)
{
	const struct runs_field	*f;
	size_t			 i;

	sbuf_addf(b, "evmaint-runs %d\n", RUNS_VERSION);
	for (i = 0; i < rs->n; i++) {
		sbuf_addf(b, "run %s %lld %lld %d", rs->v[i].command,
		    (long long)rs->v[i].start,
		    (long long)rs->v[i].duration_ms, rs->v[i].exit_status);
		for (f = runs_fields; f->name != NULL; f++)
			sbuf_addf(b, " %s=%" PRIu64, f->name,
			    RUNS_FIELD(&rs->v[i], f));
		sbuf_adds(b, "\n");
	}
}

/*
 * Loads the records. A missing file is none (0); a corrupt one is none
 * with the reason in err (-1); one that cannot be read is -2.
 */
int
runs_load(int dirfd, const char *name, struct runs *rs, char **err)
{
	struct sbuf	 b;
	int		 rc;

	memset(rs, 0, sizeof *rs);
	*err = NULL;
	if ((rc = fsx_slurp_own(dirfd, name, RUNS_MAX_BYTES, &b, err)) != 1)
		return rc;
	rc = runs_parse(rs, b.s, b.len, err);
	sbuf_free(&b);
	return rc;
}

/*
 * The newest record of COMMAND (any command when NULL), or of its newest
 * run that exited 0 when success.
 */
const struct run_rec *
runs_last(const struct runs *rs, const char *command, bool success)
{
	size_t i;

	for (i = rs->n; i-- > 0;)
		if ((command == NULL || strcmp(rs->v[i].command, command) == 0)
		    && (!success || rs->v[i].exit_status == 0))
			return &rs->v[i];
	return NULL;
}

/* Whether record i must stay: among the newest RUNS_KEEP, or the last
 * success of its command, which monitoring needs however many failed. */
static bool
runs_keep(const struct runs *rs, size_t i)
{
	return i + RUNS_KEEP >= rs->n ||
	    runs_last(rs, rs->v[i].command, true) == &rs->v[i];
}

/*
 * Adds a record and rewrites the file. A corrupt file is replaced (its
 * records are lost, not the new one): 1, with *why saying what was wrong
 * with it. An unreadable or refused one is left alone: -1, with *why
 * saying why (a refusal's words, or errno's). 0 otherwise, *why NULL.
 */
int
runs_append(int dirfd, const char *name, const struct run_rec *rec,
    mode_t mode, gid_t gid, char **why)
{
	struct runs	 rs, out;
	struct sbuf	 b;
	char		*err;
	size_t		 i;
	int		 rc, loaded;

	*why = NULL;
	if ((loaded = runs_load(dirfd, name, &rs, &err)) == -2) {
		*why = err;
		return -1;
	}
	if (loaded == -1)
		*why = err;
	else
		free(err);
	rs.v = xgrowarray(rs.v, rs.n + 1, sizeof *rs.v);
	rs.v[rs.n++] = *rec;
	memset(&out, 0, sizeof out);
	out.v = xreallocarray(NULL, rs.n, sizeof *out.v);
	for (i = 0; i < rs.n; i++)
		if (runs_keep(&rs, i))
			out.v[out.n++] = rs.v[i];
	sbuf_init(&b);
	runs_format(&out, &b);
	rc = fsx_publish_file(dirfd, name, b.s, b.len, mode, geteuid(), gid,
	    true);
	sbuf_free(&b);
	runs_free(&out);
	runs_free(&rs);
	if (rc == -1) {
		free(*why);
		*why = xstrdup(strerror(errno));
		return -1;
	}
	return loaded == -1 ? 1 : 0;
}

/*
 * The record of this command's run, made at its end: RC is what the
 * command returns (errors reported on the way make it 1, as at exit).
 * Nothing is recorded for a dry run, which changes nothing.
 */
void
runs_record(struct evm_ctx *ctx, int dirfd, const char *state_base,
    const struct timespec *t0, int rc)
{
	struct report_tally	 t;
	struct run_rec		 rec;
	struct runs		 old;
	struct timespec		 t1;
	char			*name, *why;

	if (ctx->dry_run || dirfd < 0 || state_base == NULL)
		return;
	name = runs_name(state_base);
	/*
	 * A corrupt file is an error of this run, as a corrupt state file is
	 * (run.c), told before the record is made so that it says exit 1.
	 */
	if (runs_load(dirfd, name, &old, &why) == -1)
		report_error(ctx->rep, NULL, "%s.runs: unusable (%s): rewritten "
		    "with this run's record; the earlier records are lost",
		    ctx->cfg->state_file, why);
	runs_free(&old);
	free(why);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	report_tally(ctx->rep, &t);
	memset(&rec, 0, sizeof rec);
	snprintf(rec.command, sizeof rec.command, "%s", ctx->cmd->name);
	rec.start = ctx->now;
	rec.duration_ms = (int64_t)(t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
	rec.exit_status = rc == 0 && report_failed(ctx->rep) ?
	    EVM_EXIT_FAIL : rc;
	rec.rotated = t.rotated;
	rec.compressed = t.compressed;
	rec.archived = t.archived;
	rec.archives = t.archives;
	rec.deleted = t.deleted;
	rec.bytes_in = t.bytes_in;
	rec.bytes_out = t.bytes_out;
	rec.errors = t.errors;
	/* 1, a corrupt file replaced, was told above */
	if (runs_append(dirfd, name, &rec, EVM_META_MODE(ctx->cfg->mode),
	    ctx->cfg->gid, &why) == -1)
		report_error(ctx->rep, NULL, "%s.runs: cannot record this run: "
		    "%s", ctx->cfg->state_file, why);
	free(why);
	free(name);
}
