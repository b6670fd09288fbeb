/*
 * libarchive, loaded on first use (configure --enable-dlopen, the
 * default): a run with nothing to archive or read back never maps it nor
 * the dozen libraries it pulls in. Include after <archive.h> and
 * <archive_entry.h>, in arc-read.c and arc-write.c only.
 */
#ifndef ARC_DL_H
#define ARC_DL_H

#include <archive.h>
#include <archive_entry.h>

#define ARC_DL_SONAME	"libarchive.so.13"

/*
 * 0 once libarchive is usable; -1 with *err (malloc'd: the library, the
 * symbol, dlerror's words) when it cannot be loaded. Thread-safe; the
 * first call does the work, the others return its result.
 */
int	arc_dl_load(char **);

#ifdef EVM_DLOPEN

/* Every archive_* function evmaint calls, with libarchive's prototypes. */
#define ARC_DL_FUNCS(X) \
	X(entry_copy_gname) \
	X(entry_copy_pathname) \
	X(entry_copy_uname) \
	X(entry_filetype) \
	X(entry_free) \
	X(entry_mtime) \
	X(entry_mtime_nsec) \
	X(entry_new) \
	X(entry_pathname) \
	X(entry_pathname_utf8) \
	X(entry_set_filetype) \
	X(entry_set_gid) \
	X(entry_set_mtime) \
	X(entry_set_perm) \
	X(entry_set_size) \
	X(entry_set_uid) \
	X(entry_size) \
	X(entry_size_is_set) \
	X(error_string) \
	X(read_data) \
	X(read_free) \
	X(read_new) \
	X(read_next_header) \
	X(read_open) \
	X(read_open1) \
	X(read_set_callback_data) \
	X(read_set_read_callback) \
	X(read_set_skip_callback) \
	X(read_support_format_tar) \
	X(set_error) \
	X(write_close) \
	X(write_data) \
	X(write_finish_entry) \
	X(write_free) \
	X(write_header) \
	X(write_new) \
	X(write_open2) \
	X(write_set_format_pax_restricted)

#define ARC_DL_MEMBER(f)	__typeof__(archive_##f) *f;
struct arc_dl_table {
	ARC_DL_FUNCS(ARC_DL_MEMBER)
};
#undef ARC_DL_MEMBER

/* Filled once by arc_dl_load; read only after it returned 0. */
extern struct arc_dl_table arc_dl;

#ifndef ARC_DL_IMPL
/* The calls in arc-read.c and arc-write.c go through the table. */
#define archive_entry_copy_gname	(arc_dl.entry_copy_gname)
#define archive_entry_copy_pathname	(arc_dl.entry_copy_pathname)
#define archive_entry_copy_uname	(arc_dl.entry_copy_uname)
#define archive_entry_filetype		(arc_dl.entry_filetype)
#define archive_entry_free		(arc_dl.entry_free)
#define archive_entry_mtime		(arc_dl.entry_mtime)
#define archive_entry_mtime_nsec	(arc_dl.entry_mtime_nsec)
#define archive_entry_new		(arc_dl.entry_new)
#define archive_entry_pathname		(arc_dl.entry_pathname)
#define archive_entry_pathname_utf8	(arc_dl.entry_pathname_utf8)
#define archive_entry_set_filetype	(arc_dl.entry_set_filetype)
#define archive_entry_set_gid		(arc_dl.entry_set_gid)
#define archive_entry_set_mtime		(arc_dl.entry_set_mtime)
#define archive_entry_set_perm		(arc_dl.entry_set_perm)
#define archive_entry_set_size		(arc_dl.entry_set_size)
#define archive_entry_set_uid		(arc_dl.entry_set_uid)
#define archive_entry_size		(arc_dl.entry_size)
#define archive_entry_size_is_set	(arc_dl.entry_size_is_set)
#define archive_error_string		(arc_dl.error_string)
#define archive_read_data		(arc_dl.read_data)
#define archive_read_free		(arc_dl.read_free)
#define archive_read_new		(arc_dl.read_new)
#define archive_read_next_header	(arc_dl.read_next_header)
#define archive_read_open		(arc_dl.read_open)
#define archive_read_open1		(arc_dl.read_open1)
#define archive_read_set_callback_data	(arc_dl.read_set_callback_data)
#define archive_read_set_read_callback	(arc_dl.read_set_read_callback)
#define archive_read_set_skip_callback	(arc_dl.read_set_skip_callback)
#define archive_read_support_format_tar	(arc_dl.read_support_format_tar)
#define archive_set_error		(arc_dl.set_error)
#define archive_write_close		(arc_dl.write_close)
#define archive_write_data		(arc_dl.write_data)
#define archive_write_finish_entry	(arc_dl.write_finish_entry)
#define archive_write_free		(arc_dl.write_free)
#define archive_write_header		(arc_dl.write_header)
#define archive_write_new		(arc_dl.write_new)
#define archive_write_open2		(arc_dl.write_open2)
#define archive_write_set_format_pax_restricted \
	(arc_dl.write_set_format_pax_restricted)
#endif /* !ARC_DL_IMPL */

#endif /* EVM_DLOPEN */

#endif
