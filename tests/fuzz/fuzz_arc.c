/*
 * The archive verifier on hostile bytes: whatever sits in archive_dir under
 * an archive's name is read by `verify` and by the re-read before
 * publication. arc_verify wants a directory and a name, so each input is
 * written to a private directory as a .tar (or a .tar.gz when it starts
 * like gzip) with a sidecar that matches, and checked both ways: on its
 * own and against an expected member list.
 */
#include "config.h"

#include <fcntl.h>
#include <time.h>
#include <sys/stat.h>

#include "arc.h"
#include "fuzz.h"
#include "hash.h"

static char	 fuzz_dir[] = "/tmp/evmaint-fuzz-arc.XXXXXX";
static int	 fuzz_dirfd = -1;

#define FUZZ_TAR	"event-20261125T020001.tar"
#define FUZZ_TGZ	"event-20261125T020001.tar.gz"

static void
fuzz_arc_cleanup(void)
{
	(void)unlinkat(fuzz_dirfd, FUZZ_TAR, 0);
	(void)unlinkat(fuzz_dirfd, FUZZ_TAR ".sha256", 0);
	(void)unlinkat(fuzz_dirfd, FUZZ_TGZ, 0);
	(void)unlinkat(fuzz_dirfd, FUZZ_TGZ ".sha256", 0);
	(void)rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_ASSERT(mkdtemp(fuzz_dir) != NULL);
	fuzz_dirfd = open(fuzz_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FUZZ_ASSERT(fuzz_dirfd != -1);
	atexit(fuzz_arc_cleanup);
	return 0;
}

static void
fuzz_put(const char *name, const void *data, size_t size)
{
	int fd;

	fd = openat(fuzz_dirfd, name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600);
	FUZZ_ASSERT(fd != -1);
	FUZZ_ASSERT(size == 0 || write(fd, data, size) == (ssize_t)size);
	FUZZ_ASSERT(close(fd) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arc_member	 exp[2];
	hash_ctx		 ctx;
	uint8_t			 h[HASH_LEN];
	char			 hex[HASH_HEX_LEN], line[256], side[64];
	char			**problems, *err;
	char			*s;
	const char		*name;
	size_t			 nproblems, i;
	time_t			 t;
	int			 seq, rc;
	bool			 gz;

	if (fuzz_dirfd == -1)
		LLVMFuzzerInitialize(NULL, NULL);
	name = size >= 2 && data[0] == 0x1f && data[1] == 0x8b ? FUZZ_TGZ :
	    FUZZ_TAR;
	fuzz_put(name, data, size);
	hash_init(&ctx);
	hash_update(&ctx, data, size);
	hash_final(&ctx, h);
	hash_hex(h, hex);
	snprintf(line, sizeof line, "%s  %s\n", hex, name);
	snprintf(side, sizeof side, "%s.sha256", name);
	fuzz_put(side, line, strlen(line));

	rc = arc_verify(fuzz_dirfd, name, &problems, &nproblems);
	FUZZ_ASSERT((rc == 0) == (nproblems == 0));
	for (i = 0; i < nproblems; i++)
		free(problems[i]);
	free(problems);

	memset(exp, 0, sizeof exp);
	exp[0].name = "deploy/deploy.log-20261118.gz";
	exp[1].name = "error.log-20261118";
	exp[1].size = 5;
	rc = arc_check(fuzz_dirfd, name, exp, 2, &err);
	FUZZ_ASSERT((rc == 0) == (err == NULL));
	free(err);

	s = fuzz_cstr(data, size);
	if (arc_parse_name(s, &t, &seq, &gz))
		FUZZ_ASSERT(seq >= 0 && seq <= 999);
	(void)arc_member_name_safe(s);
	free(s);
	return 0;
}
