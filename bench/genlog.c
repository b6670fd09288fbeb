/*
 * Generates a realistic operations-script log for the benchmark: timestamped
 * lines from a dozen message templates (deploys, backups, config pushes,
 * health checks, retries, errors) with varied hosts, paths, ids and numbers.
 * Deterministic for a given seed, so that every workload can be regenerated
 * byte for byte; gzip -6 compresses it about 9x, like real script logs.
 *
 *	genlog [-g N] SIZE SEED NAME FILE
 *
 * writes FILE (SIZE bytes, k/M/G suffixes) and, with -g, N older
 * generations FILE.1.gz .. FILE.N.gz (the same day's text, gzip level 6),
 * generation k dated k days before now, all mode 0640, as a tree that
 * logrotate or evmaint has been keeping for a week.
 */
#define _GNU_SOURCE		/* copy_file_range */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t	gl_state;
static unsigned	gl_job = 48213;	/* job ids only grow */

/* xorshift64*: fast, and the same sequence on every machine. */
static uint64_t
gl_rand(void)
{
	gl_state ^= gl_state >> 12;
	gl_state ^= gl_state << 25;
	gl_state ^= gl_state >> 27;
	return gl_state * 2685821657736338717ULL;
}

static unsigned
gl_below(unsigned n)
{
	return (unsigned)((gl_rand() >> 33) % n);
}

static const char *const gl_hosts[] = {
	"web01", "web02", "web03", "web04", "web05", "web06", "web07",
	"web08", "api01", "api02", "api03", "api04", "db01", "db02", "db03",
	"cache01", "cache02", "queue01", "queue02", "batch01", "batch02",
	"lb01", "lb02", "mon01", "backup01", "backup02", "stor01", "stor02",
};
static const char *const gl_paths[] = {
	"/etc/nginx/sites-enabled/app.conf", "/etc/app/settings.yml",
	"/var/lib/postgresql/15/main", "/srv/app/releases", "/srv/app/shared",
	"/etc/systemd/system/app.service", "/var/www/static", "/etc/hosts",
	"/opt/app/bin", "/srv/uploads", "/etc/cron.d/app", "/var/lib/redis",
	"/etc/ssl/private/app.pem", "/home/deploy/.ssh/authorized_keys",
};
static const char *const gl_users[] = {
	"deploy", "backup", "root", "ansible", "jenkins", "alice", "bob",
	"carol", "svc-sync",
};
static const char *const gl_keys[] = {
	"max_connections", "worker_processes", "keepalive_timeout",
	"shared_buffers", "log_level", "pool_size", "cache_ttl", "timeout",
	"retries", "batch_size", "gc_interval", "feature.new_checkout",
};
static const char *const gl_svcs[] = {
	"nginx", "postgresql", "redis", "app-web", "app-worker", "haproxy",
	"node-exporter", "cron", "sshd",
};
static const char *const gl_errs[] = {
	"connection timed out", "connection refused", "no route to host",
	"permission denied", "disk quota exceeded", "host key changed",
	"temporary failure in name resolution", "broken pipe",
};

#define PICK(a)	(a)[gl_below(sizeof (a) / sizeof (a)[0])]

static int
gl_msg(char *b, size_t n, const char *name)
{
	unsigned	t = gl_below(100);

	if (t < 4)
		return snprintf(b, n, "INFO rsync %s:%s -> %s: sent %u bytes  "
		    "received %u bytes  %u.%02u bytes/sec", PICK(gl_hosts),
		    PICK(gl_paths), PICK(gl_hosts), gl_below(90000000),
		    gl_below(200000), gl_below(9000000), gl_below(100));
	if (t < 28)
		return snprintf(b, n, "INFO %s: %s on %s: nothing to do, "
		    "already up to date", name, PICK(gl_svcs),
		    PICK(gl_hosts));
	if (t < 38)
		return snprintf(b, n, "DEBUG %s: running: ssh -o BatchMode=yes "
		    "-o ConnectTimeout=10 %s@%s 'sudo systemctl is-active %s'",
		    name, PICK(gl_users), PICK(gl_hosts), PICK(gl_svcs));
	if (t < 42)
		return snprintf(b, n, "INFO health check %s on %s: HTTP %u in "
		    "%u ms", PICK(gl_svcs), PICK(gl_hosts), gl_below(20) ? 200 :
		    503, 3 + gl_below(120));
	if (t < 46)
		return snprintf(b, n, "INFO %s: release %u.%u.%u deployed to %s "
		    "(%u files, %u.%u MB) by %s", name, 2 + gl_below(3),
		    gl_below(40), gl_below(20), PICK(gl_hosts), 100 +
		    gl_below(5000), gl_below(900), gl_below(10),
		    PICK(gl_users));
	if (t < 49)
		return snprintf(b, n, "INFO backup of %s on %s: %u files, %u "
		    "dirs, %u.%u MB in %u.%02us", PICK(gl_paths),
		    PICK(gl_hosts), gl_below(200000), gl_below(9000),
		    gl_below(50000), gl_below(10), gl_below(600),
		    gl_below(100));
	if (t < 52)
		return snprintf(b, n, "INFO config_update: %s %s = %u on %s "
		    "(was %u)", PICK(gl_svcs), PICK(gl_keys), gl_below(4096),
		    PICK(gl_hosts), gl_below(4096));
	if (t < 54)
		return snprintf(b, n, "INFO checksum sha256:%08x%08x ok for %s",
		    (unsigned)gl_rand(), (unsigned)gl_rand(), PICK(gl_paths));
	if (t < 64)
		return snprintf(b, n, "INFO %s: %s: ok", name,
		    PICK(gl_paths));
	if (t < 70)
		return snprintf(b, n, "INFO systemctl restart %s on %s: active "
		    "(running) since %u s", PICK(gl_svcs), PICK(gl_hosts),
		    gl_below(30));
	if (t < 76)
		return snprintf(b, n, "WARN %s: retrying ssh %s@%s (attempt "
		    "%u/5): %s", name, PICK(gl_users), PICK(gl_hosts),
		    1 + gl_below(5), PICK(gl_errs));
	if (t < 80)
		return snprintf(b, n, "ERROR command 'ssh %s@%s systemctl "
		    "reload %s' exited with status %u: %s", PICK(gl_users),
		    PICK(gl_hosts), PICK(gl_svcs), 1 + gl_below(255),
		    PICK(gl_errs));
	if (t < 88)
		return snprintf(b, n, "INFO job %u started by %s: %s on %s",
		    ++gl_job, PICK(gl_users), name, PICK(gl_hosts));
	if (t < 96)
		return snprintf(b, n, "INFO job %u finished in %u.%us, exit "
		    "%u", gl_job - gl_below(3), gl_below(90), gl_below(10),
		    gl_below(10) ? 0 : 1);
	return snprintf(b, n, "INFO disk %s on %s: %u%% used, %u GB free",
	    PICK(gl_paths), PICK(gl_hosts), gl_below(100), gl_below(2000));
}

static uint64_t
gl_size(const char *s)
{
	char		*end;
	uint64_t	 v = strtoull(s, &end, 10);

	switch (*end) {
	case 'k': case 'K': return v << 10;
	case 'm': case 'M': return v << 20;
	case 'g': case 'G': return v << 30;
	default: return v;
	}
}

static void
gl_die(const char *what, const char *path)
{
	fprintf(stderr, "genlog: %s: %s\n", path, what);
	exit(1);
}

/* The log itself, and the same text gzipped into FILE.1.gz if gz. */
static void
gl_write(FILE *f, gzFile gz, uint64_t want, const char *name)
{
	static char	 out[1 << 20];
	char		 line[512], ts[40], msg[400];
	uint64_t	 done = 0;
	size_t		 used = 0;
	time_t		 t = 1795474800;	/* 2026-11-24 00:00 +01:00 */
	time_t		 t_local;
	unsigned	 pid = 1000;
	struct tm	 tm;
	int		 len;

	while (done < want) {
		if (gl_below(4) == 0)
			t += gl_below(3);
		if (gl_below(200) == 0)		/* the next script run */
			pid = 1000 + gl_below(60000);
		t_local = t + 3600;
		gmtime_r(&t_local, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S+01:00", &tm);
		gl_msg(msg, sizeof msg, name);
		len = snprintf(line, sizeof line, "%s %s[%u]: %s\n", ts, name,
		    pid, msg);
		if ((uint64_t)len > want - done)
			len = (int)(want - done);
		if (used + (size_t)len > sizeof out) {
			fwrite(out, 1, used, f);
			if (gz != NULL && gzwrite(gz, out, (unsigned)used) !=
			    (int)used)
				gl_die("gzwrite failed", name);
			used = 0;
		}
		memcpy(out + used, line, (size_t)len);
		used += (size_t)len;
		done += (uint64_t)len;
	}
	fwrite(out, 1, used, f);
	if (gz != NULL && used > 0 && gzwrite(gz, out, (unsigned)used) !=
	    (int)used)
		gl_die("gzwrite failed", name);
}

/* FILE.k.gz for k = 2..n: copies of FILE.1.gz, each a day older. */
static void
gl_gens(const char *path, int n)
{
	char		 src[4096], dst[4096];
	struct timespec	 ts[2];
	struct stat	 st;
	int		 in, out, k;
	ssize_t		 c;

	snprintf(src, sizeof src, "%s.1.gz", path);
	for (k = 1; k <= n; k++) {
		snprintf(dst, sizeof dst, "%s.%d.gz", path, k);
		if (k > 1) {
			if ((in = open(src, O_RDONLY)) == -1 ||
			    fstat(in, &st) == -1)
				gl_die("cannot read", src);
			if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC,
			    0640)) == -1)
				gl_die("cannot create", dst);
			while ((c = copy_file_range(in, NULL, out, NULL,
			    1 << 30, 0)) > 0)
				;
			if (c == -1 || close(out) == -1)
				gl_die("copy failed", dst);
			close(in);
		}
		ts[0].tv_sec = ts[1].tv_sec = time(NULL) - (time_t)k * 86400;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		if (chmod(dst, 0640) == -1 || utimensat(AT_FDCWD, dst, ts, 0) ==
		    -1)
			gl_die("cannot set mode or times", dst);
	}
}

int
main(int argc, char **argv)
{
	char		 gzpath[4096];
	gzFile		 gz = NULL;
	FILE		*f;
	int		 ngens = 0;

	if (argc == 7 && strcmp(argv[1], "-g") == 0) {
		ngens = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc != 5 || ngens < 0) {
		fprintf(stderr, "usage: genlog [-g N] SIZE SEED NAME FILE\n");
		return 64;
	}
	gl_state = strtoull(argv[2], NULL, 10) * 0x9e3779b97f4a7c15ULL + 1;
	if ((f = fopen(argv[4], "w")) == NULL)
		gl_die("cannot create", argv[4]);
	if (ngens > 0) {
		snprintf(gzpath, sizeof gzpath, "%s.1.gz", argv[4]);
		if ((gz = gzopen(gzpath, "wb6")) == NULL)
			gl_die("cannot create", gzpath);
	}
	gl_write(f, gz, gl_size(argv[1]), argv[3]);
	if (fclose(f) != 0 || chmod(argv[4], 0640) == -1)
		gl_die("write failed", argv[4]);
	if (gz != NULL && gzclose(gz) != Z_OK)
		gl_die("gzclose failed", gzpath);
	if (ngens > 0)
		gl_gens(argv[4], ngens);
	return 0;
}
