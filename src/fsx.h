/*
 * The safe filesystem layer. Every path operation in evmaint goes through
 * here: relative to a directory fd, never following a symlink, close-on-exec,
 * retrying EINTR and short writes, and making renames durable. Keeping it
 * thin and in one place is what lets the tests inject a fault at each step.
 */
#ifndef FSX_H
#define FSX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

int	 fsx_open_dir(int, const char *);
int	 fsx_dir_each(int, int (*)(void *, const char *), void *);
int	 fsx_open_read(int, const char *, struct stat *);
int	 fsx_open_append(int, const char *);
int	 fsx_create(int, const char *, mode_t, uid_t, gid_t);
int	 fsx_mkdir(int, const char *, mode_t);
int	 fsx_fstatat(int, const char *, struct stat *);
int	 fsx_fstat(int, struct stat *);
int	 fsx_fchown(int, uid_t, gid_t);
int	 fsx_fchmod(int, mode_t);
int	 fsx_futimens(int, const struct timespec *);
ssize_t	 fsx_read(int, void *, size_t);
ssize_t	 fsx_pread(int, void *, size_t, off_t);
int	 fsx_write_all(int, const void *, size_t);
int	 fsx_write_done(int, const void *, size_t, size_t *);
int	 fsx_fsync(int);
int	 fsx_syncfs(int);
int	 fsx_rename_noreplace(int, const char *, int, const char *);
int	 fsx_rename_replace(int, const char *, int, const char *);
int	 fsx_exchange(int, const char *, int, const char *);
int	 fsx_unlink(int, const char *);
int	 fsx_unlink_tmp(int, const char *);
int	 fsx_rmdir(int, const char *);
int	 fsx_close(int);
int	 fsx_writers_absent(int);

const char	*fsx_refusal(const struct stat *);
const char	*fsx_own_refusal(const struct stat *);
const char	*fsx_user_name(uid_t, char *, size_t);
int		 fsx_open_own(int, const char *, int, struct stat *);
struct sbuf;
int		 fsx_slurp_own(int, const char *, size_t, struct sbuf *,
		    char **);
const char	*fsx_type_name(mode_t);
bool		 fsx_is_tmp_name(const char *);
bool		 fsx_is_tmp_name_of(const char *, const char *);
char		*fsx_tmp_name(const char *);
int		 fsx_create_tmp(int, const char *, mode_t, uid_t, gid_t,
		    char **);
int		 fsx_publish_file(int, const char *, const void *, size_t,
		    mode_t, uid_t, gid_t, bool);
int		 fsx_publish_done(int, const char *, int, char *, int, bool);

#endif
