#!/usr/bin/python3
"""What a run left, as text, for comparing two runs (crash-lib.sh's
crash_listing): every entry of the tree with its mode and the SHA-256 of its
decompressed content, every archive's members the same way, each sidecar
checked, the state file, and any journal or temporary file left behind.

One process instead of a handful per file: the crash and fault tests list
the tree after every one of their hundreds of kills, and forking zcat, grep,
sha256sum and stat per file was most of the suite's time.

Usage: crash_listing.py ROOT ARCH STATE T
"""

import gzip
import hashlib
import io
import os
import re
import stat
import sys
import tarfile
import zlib

# evmaint's own error lines (a faulted run reports into error.log, as it
# should) are left out of the comparison.
OWN_ERROR = re.compile(rb' evmaint\[[0-9]+\]: ERROR ')

KINDS = {
    stat.S_IFDIR: 'directory',
    stat.S_IFLNK: 'symbolic link',
    stat.S_IFIFO: 'fifo',
    stat.S_IFSOCK: 'socket',
    stat.S_IFCHR: 'character special file',
    stat.S_IFBLK: 'block special file',
}


def content(name, data):
    """The first 16 hex digits of the SHA-256 of the lines the scripts
    wrote; a .gz that does not decompress says so in the digest."""
    bad = b''
    if name.endswith('.gz'):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            data, bad = b'', ('!' + type(e).__name__).encode()
    h = hashlib.sha256()
    for line in io.BytesIO(data):
        if OWN_ERROR.search(line):
            continue
        h.update(line if line.endswith(b'\n') else line + b'\n')
    return h.hexdigest()[:16] + bad.decode()


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def tree(root, out):
    paths = ['.']
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        for n in dirs + files:
            paths.append('./' + n if rel == '.' else './' + rel + '/' + n)
    for p in sorted(paths, key=os.fsencode):
        full = os.path.join(root, p)
        st = os.lstat(full)
        if not stat.S_ISREG(st.st_mode):
            kind = KINDS.get(stat.S_IFMT(st.st_mode), 'unknown')
            out.append('tree %s %s' % (p, kind))
            continue
        out.append('tree %s %o %s' % (p, stat.S_IMODE(st.st_mode),
                                      content(p, read(full))))


def sidecar(arch, name):
    try:
        for line in read(os.path.join(arch, name)).decode().splitlines():
            digest, member = line.split(None, 1)
            member = member.lstrip('*')
            got = hashlib.sha256(read(os.path.join(arch, member)))
            if got.hexdigest() != digest:
                return ''
    except (OSError, ValueError, UnicodeDecodeError):
        return ''
    return 'ok'


def archive(arch, name, out):
    members = {}
    try:
        with tarfile.open(os.path.join(arch, name), 'r:*') as tf:
            for m in tf:
                if m.isfile():
                    p = './' + os.path.normpath(m.name).lstrip('/')
                    members[p] = tf.extractfile(m).read()
    except (OSError, EOFError, tarfile.TarError, zlib.error) as e:
        out.append('archive %s UNREADABLE %s' % (name, type(e).__name__))
    for p in sorted(members, key=os.fsencode):
        out.append('archive %s %s %s' % (name, p, content(p, members[p])))


def main():
    root, arch, state, t = sys.argv[1:5]
    out = []
    tree(root, out)
    if os.path.isdir(arch):
        for name in sorted(os.listdir(arch), key=os.fsencode):
            if name.startswith('.'):
                continue  # temporary files: TEMP LEFT below
            if name.endswith('.sha256'):
                out.append('sidecar %s %s' % (name, sidecar(arch, name)))
            else:
                archive(arch, name, out)
    out.append('state ' + read(state).decode(errors='replace').rstrip('\n'))
    if os.path.lexists(state + '.journal'):
        out.append('JOURNAL LEFT')
    for top in (os.path.join(t, 'srv'), os.path.join(t, 'var')):
        for d, dirs, files in sorted(os.walk(top)):
            for n in sorted(dirs + files):
                if n.startswith('.evmaint-tmp.'):
                    out.append('TEMP LEFT %s' % os.path.join(d, n))
    sys.stdout.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
