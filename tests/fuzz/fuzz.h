/*
 * Shared by the libFuzzer targets (fuzz_*.c) and by the replay driver that
 * runs their corpora as an ordinary test in every build (replay.c): small
 * helpers, and FUZZ_ASSERT, which aborts so that libFuzzer keeps the input
 * when a property of a parser (a round trip, two readers agreeing) breaks.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#define FUZZ_ASSERT(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: property broken: %s\n",		\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

/* The input as a C string: parsers of text stop at a NUL anyway. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_ASSERT(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * The input as a file, for readers that take an fd: a memfd never touches
 * a disk and needs no cleanup.
 */
static inline int
fuzz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	FUZZ_ASSERT(fd != -1);
	FUZZ_ASSERT(size == 0 || write(fd, data, size) == (ssize_t)size);
	FUZZ_ASSERT(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

#endif
