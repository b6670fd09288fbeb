/*
 * What arc-write.c, arc-read.c and arcdir.c share and nobody else needs:
 * the names in archive_dir, the re-read from disk that writing and
 * checking an archive both rest on, and the locale libarchive works in.
 */
#ifndef ARC_INT_H
#define ARC_INT_H

#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "arc.h"

#define ARC_PREFIX	"event-"
#define ARC_SIDECAR	".sha256"
#define ARC_SEQ_MAX	999

/* arcdir.c: names and opening */
bool		 arc_has_suffix(const char *, const char *);
const char	*arc_open_why(int, const struct stat *);
char		*arc_name(time_t, int, bool);
bool		 arc_name_taken(int, const char *);

/* arc-read.c */
char		*arc_vmsg(const char *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
locale_t	 arc_locale_enter(void);
void		 arc_locale_leave(locale_t);
char		*arc_reread(int, bool, const struct arc_member *const *,
		    const bool *, size_t, uint8_t *);

#endif
