#!/usr/bin/env python3
"""The stress run behind tests/stress.sh (issue 7).

One tree lives through STRESS_RUNS nights. Each run appends a bulk of lines
and starts writers (tests/evm-writer: open without O_CREAT, append, close,
and counting ENOENT and wrong modes) that go on through the whole run, then
does one of evmaint's commands (rotate, rotate -f, archive, init) under a
fault:
  kill      SIGKILL at a random instant of the run;
  killcall  SIGKILL before the Nth call of a system call (strace inject);
  fault     EIO or ENOSPC from the Nth call of a system call (strace inject),
            for every system call evmaint makes, N spread from 1 to ~150;
  full      the tmpfs holding tree, archives and state is full (a filler
            leaves 0 bytes to a few MB free; the writers pause: their own
            writes would fail, which is not evmaint's doing).
After the fault: what may already be asserted (no line lost, live logs in
place with their mode, no corrupt visible .gz, published archives whole),
then a clean rerun (and the night's rotate), and the full check: every line
once across live logs, generations, archives and the archives retired by
this script; no temporary file, no journal; modes and owners; at most
`rotate` generations; every archive and .gz whole (read here with Python's
own tar and gzip) and `evmaint verify` clean; every writer saw no ENOENT and
no wrong mode.

It ends with "N runs, L lines lost, V invariant violations" and, at the
first violation, stops with the reproduction (the seed, the run, the exact
command) and keeps the work directory.
"""

import gzip
import hashlib
import io
import os
import random
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import time
import zlib

EVMAINT = os.environ["EVMAINT"]
WRITER = os.environ["EVM_WRITER"]
RUNS = int(os.environ.get("STRESS_RUNS", "200"))
SEED = int(os.environ.get("STRESS_SEED", str(int(time.time()))))
WORK = os.environ["STRESS_WORK"]          # the directory (a tmpfs when root)
FS = os.environ["STRESS_FS"]              # mounted tmpfs, or "" if none
VERBOSE = os.environ.get("STRESS_VERBOSE", "0") == "1"
# Data per run: small enough for hundreds of runs, big enough that a run
# takes long enough (tens of ms) for random kills to land inside it.
BULK = int(os.environ.get("STRESS_BULK", "20000"))
WRITER_LINES = int(os.environ.get("STRESS_WRITER_LINES", "300"))
WRITER_DELAY_US = int(os.environ.get("STRESS_WRITER_DELAY", "2000"))

ROOT = os.path.join(WORK, "srv/event")
ARCH = os.path.join(WORK, "srv/archives")
STATE = os.path.join(WORK, "var/lib/evmaint/state")
CONF = os.path.join(os.environ["STRESS_CONFDIR"], "evmaint.conf")
ROTATE = 2
TMP_PREFIX = ".evmaint-tmp."
LOGS = ["deploy/deploy.log", "backup/backup.log",
        "config_update/config_update.log", "error.log",
        "newscript/newscript.log"]
WRITTEN_LOGS = ["deploy/deploy.log", "backup/backup.log",
                "newscript/newscript.log"]
LINE_RE = re.compile(rb"^([bw][0-9]+(?:\.[0-9]+)?) ([0-9]+)$")
ARC_RE = re.compile(r"^event-[0-9]{8}T[0-9]{6}(\.[0-9]+)?\.tar(\.gz)?$")
MEMBER_RE = re.compile(r"^([a-z_]+/)*[a-z_]+\.log-[0-9]{8}(_[0-9]{6})?(\.gz)?$")
BASE_EPOCH = 1793502000   # 2026-11-01 02:00:00 +01:00
# Injecting EIO or ENOSPC into these tests the C library and the kernel,
# not evmaint: neither error exists for them, and glibc answers some with
# abort() (futex), others with a failed malloc, which xmalloc turns into
# abort() on purpose. Every other system call evmaint makes is faulted.
NOT_FAULTED = {"mmap", "munmap", "mprotect", "brk", "madvise", "mremap",
               "futex", "rt_sigaction", "rt_sigprocmask", "set_robust_list",
               "rseq", "set_tid_address", "arch_prctl", "prlimit64",
               "exit_group", "exit", "execve", "clone", "clone3", "getpid",
               "gettid", "getuid", "geteuid", "getgid", "getegid",
               "sched_getaffinity", "sched_yield", "total", "tgkill",
               "nanosleep", "clock_nanosleep"}
# Those a short run may not make, but a night with work to do does.
ALWAYS_FAULTED = {"mkdirat", "syncfs", "renameat2", "unlinkat", "fsync",
                  "fchmod", "fchown", "utimensat", "ftruncate", "write",
                  "read", "pread64", "openat", "getdents64", "newfstatat",
                  "fdatasync", "sendto", "linkat"}
SPREAD = [1, 2, 3, 4, 5, 6, 8, 10, 13, 17, 22, 28, 36, 46, 60, 78, 100, 130,
          170]


class Violation(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def vlog(msg):
    if VERBOSE:
        log(msg)


class Stress:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.run = 0
        self.expected = {}        # prefix -> number of lines written
        self.retired = {}         # prefix -> bytearray, counts per line
        self.retired_names = set()
        self.writers = []
        self.dur = {}             # op -> duration of a clean run (s)
        self.base = {}            # (op, syscall) -> calls before evmaint's work
        self.calls = {}           # (op, syscall) -> calls seen in a whole run
        self.syscalls = []
        self.counts = {"kill": 0, "killcall": 0, "fault": 0, "full": 0,
                       "landed": 0, "notfired": 0, "runs": 0}
        self.last_cmd = ""
        self.broken = set()       # modes spoilt on purpose for init to repair
        self.nbulk = 0
        self.env = dict(os.environ, TZ="Europe/Paris", LC_ALL="C")
        self.env.pop("EVMAINT_NOW", None)

    # ------------------------------------------------------------ running

    def now(self, extra=0):
        return "@%d" % (BASE_EPOCH + self.run * 86400 + extra)

    def evm_argv(self, op):
        return [EVMAINT, "-c", CONF, "-q"] + op.split()

    def evm(self, op, when, want=(0,), jobs=None, what="clean run"):
        env = dict(self.env, EVMAINT_NOW=when)
        if jobs:
            env["EVMAINT_JOBS"] = str(jobs)
        argv = self.evm_argv(op)
        self.last_cmd = "EVMAINT_NOW=%s %s" % (when, shlex.join(argv))
        t0 = time.monotonic()
        p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        dt = time.monotonic() - t0
        if p.returncode not in want:
            raise Violation("%s '%s' exited %d (wanted %s): %s" % (
                what, op, p.returncode, want,
                p.stderr.decode(errors="replace")[:2000]))
        return p, dt

    # ------------------------------------------------------------ writers

    def bulk(self):
        self.nbulk += 1
        prefix = "b%d" % self.nbulk
        log_rel = self.rng.choice(WRITTEN_LOGS)
        n = self.rng.randint(BULK // 2, BULK)
        fd = os.open(os.path.join(ROOT, log_rel), os.O_WRONLY | os.O_APPEND)
        try:
            data = "".join("%s %d\n" % (prefix, i) for i in range(1, n + 1))
            os.write(fd, data.encode())
        finally:
            os.close(fd)
        self.expected[prefix] = n

    def start_writers(self):
        self.writers = []
        for k, rel in enumerate(WRITTEN_LOGS):
            prefix = "w%d.%d" % (self.run, k)
            argv = [WRITER, "-d", str(WRITER_DELAY_US), "-m", "0640", "-u",
                    "0", "-g", "0", os.path.join(ROOT, rel), prefix,
                    str(WRITER_LINES)]
            p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
            self.writers.append((prefix, p))

    def wait_writers(self):
        for prefix, p in self.writers:
            out = p.communicate()[0].decode(errors="replace")
            m = re.search(r"written=(\d+) enoent=(\d+) badmode=(\d+) "
                          r"errors=(\d+)", out)
            if not m:
                raise Violation("writer %s said: %r" % (prefix, out))
            self.expected[prefix] = int(m.group(1))
            if int(m.group(2)) or int(m.group(3)) or int(m.group(4)):
                raise Violation(
                    "writer %s: %s (invariant 2: the live log vanished or "
                    "had another mode or owner)" % (prefix, out.strip()))
        self.writers = []

    # -------------------------------------------------------- the tree

    def tree_files(self):
        """Regular files below ROOT, temporaries apart."""
        files, tmps, odd = [], [], []
        for d, dirs, names in os.walk(ROOT):
            for n in names + dirs:
                p = os.path.join(d, n)
                st = os.lstat(p)
                if n.startswith(TMP_PREFIX):
                    tmps.append(p)
                elif stat.S_ISREG(st.st_mode):
                    if n in names:
                        files.append(p)
                elif not stat.S_ISDIR(st.st_mode):
                    odd.append(p)
        return files, tmps, odd

    def archives(self):
        """(nightly, snapshots, sidecars, others) in archive_dir."""
        nightly, snaps, sides, other = [], [], [], []
        if not os.path.isdir(ARCH):
            return nightly, snaps, sides, other
        for n in sorted(os.listdir(ARCH)):
            if n.endswith(".sha256") and ARC_RE.match(n[:-7]):
                sides.append(n)
            elif ARC_RE.match(n):
                (snaps if n.endswith(".gz") else nightly).append(n)
            else:
                other.append(n)
        return nightly, snaps, sides, other

    @staticmethod
    def read_content(path):
        with open(path, "rb") as f:
            data = f.read()
        if path.endswith(".gz"):
            return gzip.decompress(data)
        return data

    @staticmethod
    def read_tar(path):
        """Members of a tar (or tar.gz) as (name, bytes), read by Python."""
        with open(path, "rb") as f:
            raw = f.read()
        if path.endswith(".gz"):
            raw = gzip.decompress(raw)
        out = []
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as t:
            for m in t.getmembers():
                if not m.isfile():
                    raise Violation("%s: member %s is not a regular file"
                                    % (path, m.name))
                data = t.extractfile(m).read()
                out.append((m.name, data))
        return out

    @staticmethod
    def count_lines(counts, data, where):
        for line in data.split(b"\n"):
            if not line:
                continue
            m = LINE_RE.match(line)
            if not m:
                continue      # evmaint's own ERROR lines in error.log
            prefix, n = m.group(1).decode(), int(m.group(2))
            c = counts.get(prefix)
            if c is None:
                c = counts[prefix] = bytearray()
            if n >= len(c):
                c.extend(b"\0" * (n + 1 - len(c)))
            if c[n] < 255:
                c[n] += 1

    def member_lines(self, name, data, counts, where):
        if name.endswith(".gz"):
            data = gzip.decompress(data)
        self.count_lines(counts, data, where)

    def account(self, strict):
        """Lines lost (and, when strict, duplicated) across everything."""
        counts = {p: bytearray(c) for p, c in self.retired.items()}
        files, _, _ = self.tree_files()
        for p in files:
            self.count_lines(counts, self.read_content(p), p)
        nightly, _, _, _ = self.archives()
        for n in nightly:
            for name, data in self.read_tar(os.path.join(ARCH, n)):
                self.member_lines(name, data, counts, n)
        lost = dup = 0
        first = None
        for prefix, want in self.expected.items():
            c = counts.get(prefix, bytearray())
            if len(c) < want + 1:
                c = c + bytearray(want + 1 - len(c))
            seen = c[1:want + 1]
            missing = seen.count(0)
            twice = want - missing - seen.count(1) if strict else 0
            if missing and first is None:
                first = "%s %d missing" % (prefix, seen.index(0) + 1)
            if twice and first is None:
                i = next(i for i, k in enumerate(seen) if k > 1)
                first = "%s %d found %d times" % (prefix, i + 1, seen[i])
            lost += missing
            dup += twice
        return lost, dup, first

    # ----------------------------------------------------------- checks

    def check_faulted(self, what):
        """What holds at any instant: after a fault, before the rerun."""
        lost, _, first = self.account(strict=False)
        if lost:
            raise Violation("%s: %d lines lost before the rerun (%s)"
                            % (what, lost, first))
        for rel in LOGS:
            p = os.path.join(ROOT, rel)
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                raise Violation("%s: live log %s missing" % (what, rel))
            if not stat.S_ISREG(st.st_mode) or (rel not in self.broken and
                                                stat.S_IMODE(st.st_mode) != 0o640):
                raise Violation("%s: live log %s has mode %o" % (
                    what, rel, stat.S_IMODE(st.st_mode)))
        files, _, _ = self.tree_files()
        for p in files:
            if p.endswith(".gz"):
                try:
                    self.read_content(p)
                except (OSError, EOFError, zlib.error) as e:
                    raise Violation("%s: a corrupt .gz is visible: %s (%s)"
                                    % (what, p, e))
        nightly, snaps, sides, _ = self.archives()
        for n in nightly + snaps:
            self.check_archive(n, what)

    def check_archive(self, n, what):
        p = os.path.join(ARCH, n)
        if n + ".sha256" not in os.listdir(ARCH):
            raise Violation("%s: archive %s published without its sidecar"
                            % (what, n))
        with open(p, "rb") as f:
            h = hashlib.sha256(f.read()).hexdigest()
        with open(p + ".sha256") as f:
            side = f.read()
        if side != "%s  %s\n" % (h, n):
            raise Violation("%s: sidecar of %s does not match: %r"
                            % (what, n, side[:200]))
        try:
            members = self.read_tar(p)
        except (OSError, EOFError, zlib.error, tarfile.TarError) as e:
            raise Violation("%s: archive %s unreadable: %s" % (what, n, e))
        for name, data in members:
            if not n.endswith(".gz") and not MEMBER_RE.match(name):
                raise Violation("%s: nightly archive %s has member %r, not "
                                "in the dateext form" % (what, n, name))
            if name.endswith(".gz"):
                try:
                    gzip.decompress(data)
                except (OSError, EOFError, zlib.error) as e:
                    raise Violation("%s: %s member %s corrupt: %s"
                                    % (what, n, name, e))

    def check_full(self, what):
        lost, dup, first = self.account(strict=True)
        if lost or dup:
            raise Violation("%s: %d lines lost, %d duplicated (%s)"
                            % (what, lost, dup, first))
        files, tmps, odd = self.tree_files()
        for d in (os.path.dirname(STATE),):
            tmps += [os.path.join(d, n) for n in os.listdir(d)
                     if n.startswith(TMP_PREFIX)]
        nightly, snaps, sides, other = self.archives()
        if tmps or other:
            raise Violation("%s: temporary or stray files left: %s"
                            % (what, tmps + other))
        if odd:
            raise Violation("%s: odd files in the tree: %s" % (what, odd))
        if os.path.exists(STATE + ".journal"):
            raise Violation("%s: the journal is left after a clean run" % what)
        for n in sides:
            if n[:-7] not in nightly + snaps:
                raise Violation("%s: sidecar %s without its archive"
                                % (what, n))
        for d, dirs, names in os.walk(ROOT):
            for n in dirs:
                self.check_mode(os.path.join(d, n), 0o750, what)
            for n in names:
                self.check_mode(os.path.join(d, n), 0o640, what)
        self.check_mode(ROOT, 0o750, what)
        self.check_mode(ARCH, 0o750, what)
        for n in nightly + snaps + sides:
            self.check_mode(os.path.join(ARCH, n), 0o640, what)
        for rel in LOGS:
            d, base = os.path.split(os.path.join(ROOT, rel))
            gens = [n for n in os.listdir(d) if n != base and
                    (n.startswith(base + ".") or n.startswith(base + "-"))]
            if len(gens) > ROTATE:
                raise Violation("%s: %s has %d generations, rotate is %d: %s"
                                % (what, rel, len(gens), ROTATE, sorted(gens)))
        for n in nightly + snaps:
            self.check_archive(n, what)
        self.check_faulted(what)
        p, _ = self.evm("verify", self.now(80000), want=(0, 1),
                        what="verify")
        if p.returncode != 0:
            raise Violation("%s: evmaint verify failed: %s" % (
                what, p.stderr.decode(errors="replace")[:2000]))

    @staticmethod
    def check_mode(p, want, what):
        st = os.lstat(p)
        if stat.S_IMODE(st.st_mode) != want or st.st_uid != 0 or st.st_gid != 0:
            raise Violation("%s: %s has mode %04o owner %d:%d, wanted %04o "
                            "root:root" % (what, p, stat.S_IMODE(st.st_mode),
                                           st.st_uid, st.st_gid, want))

    def retire(self):
        """Keeps archive_dir small: archives checked whole go to the ledger
        (as an operator moves old archives to tape)."""
        nightly, snaps, sides, _ = self.archives()
        if len(nightly) + len(snaps) < 12:
            return
        for n in nightly[: len(nightly) // 2]:
            for name, data in self.read_tar(os.path.join(ARCH, n)):
                self.member_lines(name, data, self.retired, n)
            self.retired_names.add(n)
            os.unlink(os.path.join(ARCH, n))
            os.unlink(os.path.join(ARCH, n + ".sha256"))
        for n in snaps[: len(snaps) // 2]:
            os.unlink(os.path.join(ARCH, n))
            os.unlink(os.path.join(ARCH, n + ".sha256"))

    # ----------------------------------------------------------- faults

    def strace_argv(self, inject, trace_out):
        sc = inject.split(":")[0]
        return ["strace", "-f", "-y", "-o", trace_out, "-e", "trace=" + sc,
                "-e", "inject=" + inject]

    def startup_calls(self, op, sc):
        """Calls of sc before evmaint opens its config (loader, libc):
        faults there are not evmaint's to handle."""
        key = (op, sc)
        if key not in self.base:
            tr = os.path.join(os.environ["STRESS_CONFDIR"], "trace0")
            env = dict(self.env, EVMAINT_NOW=self.now(60), EVMAINT_JOBS="1")
            # counted on a dry run: the same start-up, nothing changed
            argv = ["strace", "-f", "-y", "-o", tr, "-e",
                    "trace=%s,openat" % sc, "--"] + self.evm_argv("-n " + op)
            subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            n = 0
            with open(tr, errors="replace") as f:
                for line in f:
                    if "evmaint.conf" in line:
                        break
                    parts = line.split(None, 1)
                    if len(parts) > 1 and parts[1].startswith(sc + "("):
                        n += 1
            self.base[key] = n
        return self.base[key]

    def find_syscalls(self):
        seen = set()
        tr = os.path.join(os.environ["STRESS_CONFDIR"], "count")
        for op in ("init", "rotate", "archive", "rotate -f", "verify"):
            env = dict(self.env, EVMAINT_NOW=self.now(100))
            subprocess.run(["strace", "-f", "-c", "-o", tr] +
                           self.evm_argv(op), env=env,
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            with open(tr) as f:
                for line in f:
                    w = line.split()
                    if w and re.match(r"^[0-9]", w[0]) and \
                            re.match(r"^[a-z_0-9]+$", w[-1]):
                        seen.add(w[-1])
                        # % time, seconds, usecs/call, calls, [errors]
                        for o in ((op, "rotate") if op == "rotate -f"
                                  else (op,)):
                            self.calls[(o, w[-1])] = max(
                                self.calls.get((o, w[-1]), 0), int(w[3]))
        self.syscalls = sorted((seen | ALWAYS_FAULTED) - NOT_FAULTED)
        log("stress: system calls faulted: %s" % " ".join(self.syscalls))
        log("stress: not faulted (no such error for them; glibc aborts): %s"
            % " ".join(sorted(seen & NOT_FAULTED)))

    def op_kill(self, op, when):
        """SIGKILL at a random instant of the run."""
        dur = self.dur.get(op, 0.05)
        delay = self.rng.uniform(0, dur * 1.2)
        env = dict(self.env, EVMAINT_NOW=when)
        argv = self.evm_argv(op)
        self.last_cmd = ("EVMAINT_NOW=%s %s & sleep %.4f; kill -KILL $!"
                         % (when, shlex.join(argv), delay))
        p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        rc = p.wait()
        self.counts["kill"] += 1
        if rc == -signal.SIGKILL:
            self.counts["landed"] += 1
        elif rc not in (0, 1):
            raise Violation("'%s' exited %d before the kill" % (op, rc))
        return "kill after %.4fs" % delay

    def op_strace(self, op, when, kind):
        # Learnt from earlier traces: how often op makes each call, so that
        # N lands inside the run rather than after it.
        cands = [sc for sc in self.syscalls
                 if self.calls.get((op, sc), 1) > self.startup_calls(op, sc)]
        sc = self.rng.choice(cands or self.syscalls)
        base = self.startup_calls(op, sc)
        known = self.calls.get((op, sc))
        # A pair never traced yet gets a small N: most calls are made a
        # few times only, and a fault that is not reached tests nothing.
        spread = [k for k in SPREAD if base + k <= (known if known is not None
                                                     else base + 10)]
        n = base + self.rng.choice(spread or [1])
        if kind == "killcall":
            inject = "%s:signal=SIGKILL:when=%d" % (sc, n)
        else:
            inject = "%s:error=%s:when=%d" % (
                sc, self.rng.choice(["EIO", "ENOSPC"]), n)
        jobs = self.rng.choice(["1", "2"])
        tr = os.path.join(os.environ["STRESS_CONFDIR"], "trace")
        env = dict(self.env, EVMAINT_NOW=when, EVMAINT_JOBS=jobs)
        argv = self.strace_argv(inject, tr) + self.evm_argv(op)
        self.last_cmd = "EVMAINT_NOW=%s EVMAINT_JOBS=%s %s" % (
            when, jobs, shlex.join(argv))
        p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with open(tr, errors="replace") as f:
            lines = f.readlines()
        if kind == "killcall":
            # strace marks no call as INJECTED when its signal kills: the
            # call shows "= ?", then the process is "killed by SIGKILL"
            killed = [i for i, l in enumerate(lines)
                      if "+++ killed by SIGKILL +++" in l]
            injected = [l for l in lines[:killed[0]]
                        if l.rstrip().endswith("= ?")][-1:] if killed else []
            if killed and not injected:
                injected = [lines[killed[0]]]
        else:
            injected = [l for l in lines if "INJECTED" in l]
        made = sum(1 for l in lines if l.split(None, 1)[-1].startswith(sc + "("))
        self.calls[(op, sc)] = max(self.calls.get((op, sc), 0), made)
        if not injected:
            self.counts["notfired"] += 1
            return None
        self.counts[kind] += 1
        rc = p.returncode
        if kind == "killcall":
            if rc != 137 and rc != -9:
                raise Violation("killed at %s: exit %d" % (inject, rc))
        elif rc == 78:
            if "evmaint.conf" not in injected[0]:
                raise Violation("%s: exit 78, yet the fault was not on the "
                                "config: %s" % (inject, injected[0][:300]))
        elif rc not in (0, 1):
            raise Violation("%s: exit %d (a crash?): %s" % (
                inject, rc, p.stderr.decode(errors="replace")[:2000]))
        return "%s (%s)" % (inject, injected[0].strip()[:140])

    def op_full(self, op, when):
        """The file system holding everything is full, or nearly."""
        free_left = self.rng.choice([0, 0, 4096, 16384, 65536, 262144,
                                     1 << 20, 4 << 20])
        filler = os.path.join(WORK, "filler")
        st = os.statvfs(WORK)
        avail = st.f_bavail * st.f_frsize
        with open(filler, "wb") as f:
            left = max(0, avail - free_left)
            chunk = b"\0" * (1 << 20)
            try:
                while left > 0:
                    left -= f.write(chunk[: min(len(chunk), left)])
            except OSError:
                pass
        self.counts["full"] += 1
        env = dict(self.env, EVMAINT_NOW=when)
        argv = self.evm_argv(op)
        self.last_cmd = ("(tmpfs %s with %d bytes free) EVMAINT_NOW=%s %s" % (
            FS, free_left, when, shlex.join(argv)))
        p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            if p.returncode not in (0, 1):
                raise Violation("full disk (%d bytes free): exit %d: %s" % (
                    free_left, p.returncode,
                    p.stderr.decode(errors="replace")[:2000]))
            self.check_faulted("full disk, %d bytes free" % free_left)
        finally:
            os.unlink(filler)
        return "full disk, %d bytes free" % free_left

    # -------------------------------------------------------------- runs

    def setup(self):
        os.makedirs(os.path.dirname(CONF), exist_ok=True)
        with open(CONF, "w") as f:
            f.write("root = %s\narchive_dir = %s\nstate_file = %s\n"
                    "rotate = %d\n"
                    "logs = %s\n"
                    "[backup/backup.log]\ndateext = yes\n"
                    "[config_update/config_update.log]\n"
                    "delaycompress = yes\n"
                    "[newscript/newscript.log]\nmaxsize = 100k\n"
                    % (ROOT, ARCH, STATE, ROTATE, " ".join(LOGS)))
        self.evm("init", self.now())
        for op in ("rotate", "archive", "init"):
            self.bulk()
            _, dt = self.evm(op, self.now(10))
            self.dur[op] = dt
        self.dur["rotate -f"] = self.dur["rotate"]
        vlog("stress: clean runs took %s" % ", ".join(
            "%s %.3fs" % kv for kv in sorted(self.dur.items())))
        self.find_syscalls()
        self.check_full("set-up")

    def one(self):
        self.run += 1
        r = self.rng.random()
        kind = ("kill" if r < 0.35 else "killcall" if r < 0.50 else
                "fault" if r < 0.90 else "full" if FS else "fault")
        op = self.rng.choice(["rotate", "rotate", "rotate", "rotate -f",
                              "archive", "init"])
        when = self.now(self.rng.randint(0, 3600))
        if op == "init":
            # something for init to repair
            os.chmod(os.path.join(ROOT, "config_update"), 0o755)
            os.chmod(os.path.join(ROOT, "error.log"), 0o600)
            self.broken.add("error.log")
        self.bulk()
        if kind != "full":
            self.start_writers()
        try:
            if kind == "kill":
                what = self.op_kill(op, when)
            elif kind == "full":
                what = self.op_full(op, when)
            else:
                what = self.op_strace(op, when, kind)
            what = "run %d: %s '%s': %s" % (self.run, kind, op, what or
                                             "(fault not reached)")
            vlog(what)
            vlog("  " + self.last_cmd)
            if kind in ("kill", "killcall", "fault"):
                self.check_faulted(what)
            # a clean rerun finishes it, then the night's rotation
            self.evm(op, when, what=what + ", then the clean rerun")
            self.broken = set()
            if op != "rotate":
                self.evm("rotate", self.now(3700), what=what +
                         ", then the night's rotate")
        finally:
            self.wait_writers()
        self.check_full(what + ", after the clean rerun")
        self.counts["runs"] += 1
        self.retire()
        return what


def main():
    s = Stress()
    log("stress: seed %d, %d runs, work in %s%s" % (
        SEED, RUNS, WORK, " (tmpfs)" if FS else ""))
    t0 = time.monotonic()
    try:
        s.setup()
        for _ in range(RUNS):
            s.one()
            if s.run % 25 == 0:
                log("stress: %d runs, %.0fs, %s" % (
                    s.run, time.monotonic() - t0, s.counts))
    except Violation as v:
        for _, p in s.writers:
            p.kill()
        log("stress: VIOLATION in run %d: %s" % (s.run, v))
        log("  last command: %s" % s.last_cmd)
        log("  reproduce:    STRESS_SEED=%d STRESS_RUNS=%d make stress "
            "(STRESS_KEEP=1 keeps %s)" % (SEED, s.run, WORK))
        lost = re.search(r"(\d+) lines lost", str(v))
        log("%d runs, %s lines lost, 1 invariant violations" % (
            s.counts["runs"], lost.group(1) if lost else 0))
        return 1
    c = s.counts
    lines = sum(s.expected.values())
    log("stress: %d SIGKILLs at random instants (%d landed mid-run), %d "
        "SIGKILLs before a system call, %d injected EIO/ENOSPC, %d full "
        "file systems (%d injections not reached), %d lines written, "
        "%.0fs" % (c["kill"], c["landed"], c["killcall"], c["fault"],
                   c["full"], c["notfired"], lines, time.monotonic() - t0))
    log("%d runs, 0 lines lost, 0 invariant violations" % c["runs"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
