/*
 * zlib, libdeflate and nettle, loaded on first use (configure
 * --enable-dlopen, the default), as libarchive is (arc-dl.h): a run with
 * nothing to compress, inflate or hash (most nights, most runs of status
 * and run) does not map them. Their load and relocation were a tenth of
 * such a run. gz.c, gzb.c and hash.c define CODEC_DL_REDIRECT and include
 * this last: their calls then go through the tables, every one by way of a
 * function that loads the library the first time.
 */
#ifndef CODEC_DL_H
#define CODEC_DL_H

#include <zlib.h>
#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif
#include <nettle/sha2.h>

#define CODEC_DL_ZLIB		"libz.so.1"
#define CODEC_DL_DEFLATE	"libdeflate.so.0"
#define CODEC_DL_NETTLE		"libnettle.so.8"

/*
 * Who to tell when a library cannot be loaded (main: the run's report,
 * so that error.log and syslog have it too), before exit 1. Without
 * --enable-dlopen nothing is loaded and FN is never called.
 */
typedef void	codec_dl_fail_fn(void *, const char *);
void		codec_dl_on_fail(codec_dl_fail_fn *, void *);

#ifdef EVM_DLOPEN

/* Every function evmaint calls, with the libraries' own prototypes. */
#define CODEC_DL_ZLIB_FUNCS(X) \
	X(crc32) \
	X(crc32_combine) \
	X(deflate) \
	X(deflateEnd) \
	X(deflateInit2_) \
	X(deflateParams) \
	X(deflateReset) \
	X(deflateSetDictionary) \
	X(inflate) \
	X(inflateEnd) \
	X(inflateInit2_) \
	X(inflateReset) \
	X(zError)

#define CODEC_DL_DEFLATE_FUNCS(X) \
	X(libdeflate_alloc_compressor) \
	X(libdeflate_alloc_decompressor) \
	X(libdeflate_crc32) \
	X(libdeflate_deflate_compress) \
	X(libdeflate_free_compressor) \
	X(libdeflate_free_decompressor) \
	X(libdeflate_gzip_decompress_ex)

#define CODEC_DL_NETTLE_FUNCS(X) \
	X(nettle_sha256_digest) \
	X(nettle_sha256_init) \
	X(nettle_sha256_update)

/*
 * The argument expanded first, through a second macro: zlib.h may name
 * crc32_combine crc32_combine64 (a 64-bit z_off_t), and the table must
 * hold, and dlsym look up, the function the header declares.
 */
#define CODEC_DL_MEMBER(f)	CODEC_DL_MEMBER_(f)
#define CODEC_DL_MEMBER_(f)	__typeof__(f) *p_##f;
struct codec_dl_zlib {
	CODEC_DL_ZLIB_FUNCS(CODEC_DL_MEMBER)
};
#ifdef HAVE_LIBDEFLATE
struct codec_dl_deflate {
	CODEC_DL_DEFLATE_FUNCS(CODEC_DL_MEMBER)
};
#endif
struct codec_dl_nettle {
	CODEC_DL_NETTLE_FUNCS(CODEC_DL_MEMBER)
};
#undef CODEC_DL_MEMBER
#undef CODEC_DL_MEMBER_

/*
 * The library's table, loaded by the first call (thread-safe). A library
 * that cannot be loaded ends the run with exit 1 and a message naming it
 * and the symbol, as running out of memory does: the installation is
 * broken, and every change evmaint makes is restartable.
 */
struct codec_dl_zlib	*codec_dl_zlib(void);
#ifdef HAVE_LIBDEFLATE
struct codec_dl_deflate	*codec_dl_deflate(void);
#endif
struct codec_dl_nettle	*codec_dl_nettle(void);

/*
 * Loads zlib and nettle now if they can be, failing later, if at all,
 * when they are called: for arc-dl.c, before libarchive, which needs
 * both. Loaded first as its dependencies and then by name, each would
 * have its dependency list rebuilt, the old one left to a free that
 * glibc defers while threads run (valgrind: 40 bytes lost a library).
 */
void			 codec_dl_preload(void);

#ifdef CODEC_DL_REDIRECT
#define crc32			(codec_dl_zlib()->p_crc32)
#ifdef crc32_combine	/* zlib.h's, for a 64-bit z_off_t */
#define crc32_combine64		(codec_dl_zlib()->p_crc32_combine64)
#else
#define crc32_combine		(codec_dl_zlib()->p_crc32_combine)
#endif
#define deflate			(codec_dl_zlib()->p_deflate)
#define deflateEnd		(codec_dl_zlib()->p_deflateEnd)
#define deflateInit2_		(codec_dl_zlib()->p_deflateInit2_)
#define deflateParams		(codec_dl_zlib()->p_deflateParams)
#define deflateReset		(codec_dl_zlib()->p_deflateReset)
#define deflateSetDictionary	(codec_dl_zlib()->p_deflateSetDictionary)
#define inflate			(codec_dl_zlib()->p_inflate)
#define inflateEnd		(codec_dl_zlib()->p_inflateEnd)
#define inflateInit2_		(codec_dl_zlib()->p_inflateInit2_)
#define inflateReset		(codec_dl_zlib()->p_inflateReset)
#define zError			(codec_dl_zlib()->p_zError)
#ifdef HAVE_LIBDEFLATE
#define libdeflate_alloc_compressor \
	(codec_dl_deflate()->p_libdeflate_alloc_compressor)
#define libdeflate_alloc_decompressor \
	(codec_dl_deflate()->p_libdeflate_alloc_decompressor)
#define libdeflate_crc32	(codec_dl_deflate()->p_libdeflate_crc32)
#define libdeflate_deflate_compress \
	(codec_dl_deflate()->p_libdeflate_deflate_compress)
#define libdeflate_free_compressor \
	(codec_dl_deflate()->p_libdeflate_free_compressor)
#define libdeflate_free_decompressor \
	(codec_dl_deflate()->p_libdeflate_free_decompressor)
#define libdeflate_gzip_decompress_ex \
	(codec_dl_deflate()->p_libdeflate_gzip_decompress_ex)
#endif
/* sha2.h names them sha256_*, defined as nettle_sha256_* */
#define nettle_sha256_digest	(codec_dl_nettle()->p_nettle_sha256_digest)
#define nettle_sha256_init	(codec_dl_nettle()->p_nettle_sha256_init)
#define nettle_sha256_update	(codec_dl_nettle()->p_nettle_sha256_update)
#endif /* CODEC_DL_REDIRECT */

#endif /* EVM_DLOPEN */

#endif
