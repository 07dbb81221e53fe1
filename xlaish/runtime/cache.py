"""The on-disk compile cache of every backend. It trusts nothing it reads.

Where: ``config.cache_dir()`` (``XLAISH_CACHE_DIR``; ``off`` disables it), one
subdirectory per backend (``cpu/``, ``cuda/``), then the key's first two hex
digits. An entry is one file:

    <magic><HMAC-SHA256 hex> <header JSON, one line>\\n<payload bytes>

The payload is plain data (object code for the CPU, generated source for
CUDA); nothing read from the cache is ever unpickled. The header records the
full key, the requesting program's identity (a SHA-256 of its IR text and
target) and the payload's size; the HMAC covers header and payload and is
keyed by a per-user secret (``config.cache_key_file()``, created 0600 outside
the cache directory). An entry is used only if its MAC verifies *and* its key
and identity equal the requester's: a forged entry (whoever can write the
cache cannot compute the MAC), a swapped one (another program's valid entry
under this key), a truncated or random file are all counted as ``corrupt``,
ignored and recompiled, never executed.

The directory is checked before use: it and every subdirectory on the way to
an entry must belong to this user and not be group/world-writable (unless
sticky). A directory that fails, or a key file that is not ours or is
readable by others, disables the disk cache for the process with one
warning (compiling still works).

Bounds and housekeeping: a hit refreshes the entry's mtime; the total size is
kept in a ledger file (``<root>/size``, updated under a lock at each store), and
when it passes ``config.cache_max_bytes()`` the least recently used entries are
removed. Nothing scans the whole cache on the way to a compile except a missing
ledger or an eviction. Writes go to a temporary file then ``os.replace`` (readers
never see half an entry); a failed write removes its temporary file, and
temporary files older than an hour are removed from the directory a store writes to.
``lock(kind, key)`` serialises compiles of one key across processes
(``fcntl.flock`` on a lock file per key), so cold processes compile each
program once. Safe after ``fork``: no state but the secret and the checked
directories is kept, and both stay valid in the child.
"""
from __future__ import annotations

import contextlib
import glob
import hashlib
import hmac
import json
import os
import stat
import tempfile
import threading
import time
import warnings

from .. import config

MAGIC = b"XLAISH-CACHE-2 "
STATS = {"hits": 0, "misses": 0, "corrupt": 0, "writes": 0, "evicted": 0}
_TMP_MAX_AGE = 3600.0
_lock = threading.Lock()
_checked: dict[str, bool] = {}        # directory -> usable
_secrets: dict[str, bytes | None] = {}
_warned: set = set()
_held: set = set()                    # descriptors of the lock files this process holds


def key(*parts: str) -> str:
    """A hex SHA-256 of the parts (separated, so ("ab", "c") != ("a", "bc"))."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()


_FINGERPRINTS: dict[tuple, str] = {}


def fingerprint(*packages) -> str:
    """Hash of the source of the given modules/packages (every ``.py`` file of a package's
    directory, a module's own file), so a changed code generator or runtime never reuses
    entries written by an older one."""
    names = tuple(p.__name__ for p in packages)
    fp = _FINGERPRINTS.get(names)
    if fp is None:
        h = hashlib.sha256()
        for p in packages:
            f = p.__file__
            files = (sorted(glob.glob(os.path.join(os.path.dirname(f), "*.py")))
                     if os.path.basename(f) == "__init__.py" else [f])
            for path in files:
                h.update(os.path.basename(path).encode() + b"\0")
                with open(path, "rb") as fh:
                    h.update(fh.read())
        fp = _FINGERPRINTS[names] = h.hexdigest()[:16]
    return fp


# ---- trust: the directory and the secret ---------------------------------------------------------
def _warn_once(what: str, why: str) -> None:
    if what not in _warned:
        _warned.add(what)
        warnings.warn(f"xlaish: on-disk compile cache disabled: {why}", RuntimeWarning, stacklevel=4)


def _dir_ok(d: str) -> bool:
    """``d`` exists (made 0700 if missing), belongs to us and only we can write it (or it is
    sticky). Cached per process."""
    ok = _checked.get(d)
    if ok is not None:
        return ok
    try:
        os.makedirs(d, mode=0o700, exist_ok=True)
        st = os.stat(d)
        if not stat.S_ISDIR(st.st_mode):
            raise OSError(f"{d} is not a directory")
    except OSError as e:
        _warn_once(d, f"cannot use {d}: {e}")
        ok = False
    else:
        uid = os.getuid() if hasattr(os, "getuid") else st.st_uid
        if st.st_uid != uid:
            _warn_once(d, f"{d} belongs to another user (uid {st.st_uid})")
            ok = False
        elif st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
            _warn_once(d, f"{d} is writable by group or others (mode {oct(st.st_mode & 0o7777)})")
            ok = False
        else:
            ok = True
    _checked[d] = ok
    return ok


def _root() -> str | None:
    """The cache root if it is usable (checked, with the secret available), else None."""
    d = config.cache_dir()
    if d is None:
        return None
    d = os.path.abspath(d)
    if not _dir_ok(d) or _secret(d) is None:
        return None
    return d


def _secret(root: str) -> bytes | None:
    path = os.path.abspath(config.cache_key_file())
    if path in _secrets:
        return _secrets[path]
    with _lock:
        if path not in _secrets:
            _secrets[path] = _load_secret(path, root)
    return _secrets[path]


def _load_secret(path: str, root: str) -> bytes | None:
    if os.path.commonpath([path, root]) == root:
        _warn_once(path, f"the key file {path} lies inside the cache directory {root}")
        return None
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        if not os.path.exists(path):            # create it atomically: first writer wins
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".cache-key.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w") as f:
                    f.write(os.urandom(32).hex() + "\n")
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    pass
            finally:
                os.unlink(tmp)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd) as f:
            st = os.fstat(f.fileno())
            text = f.read().strip()
    except OSError as e:
        _warn_once(path, f"cannot read or create the key file {path}: {e}")
        return None
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        _warn_once(path, f"the key file {path} belongs to another user")
        return None
    if st.st_mode & 0o077:
        _warn_once(path, f"the key file {path} is accessible by others (mode {oct(st.st_mode & 0o777)}; "
                         f"chmod 600 it)")
        return None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < 16:
        _warn_once(path, f"the key file {path} does not hold a key (delete it to make a new one)")
        return None
    return secret


def _entry_path(kind: str, k: str, name: str | None = None) -> str | None:
    root = _root()
    if root is None:
        return None
    for d in (os.path.join(root, kind), os.path.join(root, kind, k[:2])):
        if not _dir_ok(d):
            return None
    return os.path.join(root, kind, k[:2], name or f"{k}.xlc")


def entry_path(kind: str, k: str, name: str | None = None) -> str | None:
    """Where key ``k``'s entry lives (None without a usable cache)."""
    return _entry_path(kind, k, name)


def _mac(secret: bytes, header: bytes, payload: bytes) -> str:
    m = hmac.new(secret, header, hashlib.sha256)
    m.update(b"\n")
    m.update(payload)
    return m.hexdigest()


# ---- entries -------------------------------------------------------------------------------------
def load(kind: str, k: str, ident: str, name: str | None = None, magic: bytes = MAGIC):
    """``(header dict, payload bytes)`` of the entry for key ``k`` if it is authentic and was
    written for this key and program identity, else None (a bad entry counts as corrupt)."""
    path = _entry_path(kind, k, name)
    if path is None or not os.path.exists(path):
        STATS["misses"] += 1
        return None
    try:
        with open(path, "rb") as f:
            data = f.read()
        if not data.startswith(magic):
            raise ValueError("bad magic")
        nl = data.index(b"\n")
        line = data[len(magic):nl]
        mac, header = line[:64].decode("ascii"), line[65:]
        payload = data[nl + 1:]
        secret = _secret(os.path.dirname(os.path.dirname(os.path.dirname(path))))
        if secret is None or not hmac.compare_digest(mac, _mac(secret, header, payload)):
            raise ValueError("MAC mismatch")
        meta = json.loads(header)
        if meta.get("key") != k or meta.get("ident") != ident or meta.get("size") != len(payload):
            raise ValueError("entry written for another program")
    except (OSError, ValueError, UnicodeDecodeError):
        STATS["corrupt"] += 1
        return None
    STATS["hits"] += 1
    with contextlib.suppress(OSError):      # least recently used = oldest mtime
        os.utime(path)
    return meta, payload


def store(kind: str, k: str, ident: str, payload: bytes, meta: dict | None = None,
          name: str | None = None, magic: bytes = MAGIC) -> str | None:
    """Write the entry; its path, or None when there is no usable cache or the write failed."""
    path = _entry_path(kind, k, name)
    if path is None:
        return None
    root = os.path.dirname(os.path.dirname(os.path.dirname(path)))
    secret = _secret(root)
    header = json.dumps({**(meta or {}), "key": k, "ident": ident, "size": len(payload)},
                        separators=(",", ":"), sort_keys=True).encode()
    blob = magic + _mac(secret, header, payload).encode() + b" " + header + b"\n" + payload
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
        tmp = None
        STATS["writes"] += 1
    except OSError:
        return None                     # a read-only or full disk only costs the cache
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _sweep_tmp(os.path.dirname(path))
    _sweep_tmp(root)                    # the ledger's own temporary files
    _account(root, len(blob))
    return path


def invalidate(kind: str, k: str, name: str | None = None) -> None:
    path = _entry_path(kind, k, name)
    if path and os.path.exists(path):
        with contextlib.suppress(OSError):
            os.remove(path)


@contextlib.contextmanager
def lock(kind: str, k: str, name: str | None = None):
    """Hold the cross-process lock of key ``k``'s entry (``<entry>.lock``; a no-op without a
    usable cache or ``fcntl``)."""
    path = _entry_path(kind, k, name)
    with _flocked(None if path is None else path + ".lock"):
        yield


@contextlib.contextmanager
def _flocked(path: str | None):
    """Hold an exclusive ``flock`` on ``path`` (created 0600); a no-op for None or without fcntl."""
    try:
        import fcntl
    except ImportError:                 # pragma: no cover (not POSIX)
        fcntl = None
    fd = None
    if path is not None and fcntl is not None:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            _held.add(fd)
        except OSError:
            if fd is not None:
                os.close(fd)
            fd = None
    try:
        yield
    finally:
        if fd is not None:
            _held.discard(fd)
            os.close(fd)                # closing releases the lock


# ---- housekeeping --------------------------------------------------------------------------------
def _files(root: str):
    """Every file two levels under each backend directory: (path, stat)."""
    for kind in os.scandir(root):
        if not kind.is_dir(follow_symlinks=False):
            continue
        for sub in os.scandir(kind.path):
            if not sub.is_dir(follow_symlinks=False):
                continue
            for e in os.scandir(sub.path):
                with contextlib.suppress(OSError):
                    if e.is_file(follow_symlinks=False):
                        yield e.path, e.stat(follow_symlinks=False)


def _sweep_tmp(directory: str) -> None:
    """Remove the temporary files a crashed writer left in ``directory`` more than an hour ago
    (each store sweeps the directory it writes to: one small directory, never the whole cache)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for e in os.scandir(directory):
            with contextlib.suppress(OSError):
                if e.name.endswith(".tmp") and now - e.stat(follow_symlinks=False).st_mtime > _TMP_MAX_AGE:
                    os.unlink(e.path)


def _account(root: str, n: int) -> None:
    """Add ``n`` stored bytes to the cache's size ledger (``<root>/size``, under its lock) and evict
    when the total passes the bound. The ledger is what keeps the first compile of a process from
    scanning the cache (a second or more for 10^4-10^5 entries): the whole cache is scanned only
    when the ledger is missing or unreadable, and when evicting (which rewrites it exactly)."""
    ledger = os.path.join(root, "size")
    with _flocked(ledger + ".lock"):
        try:
            with open(ledger) as f:
                total = int(f.read()) + n
        except (OSError, ValueError):
            total = sum(st.st_size for _, st in _files(root))
        if total > config.cache_max_bytes():
            total = evict(root, config.cache_max_bytes())
        with contextlib.suppress(OSError):
            fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                f.write(str(total))
            os.replace(tmp, ledger)


def evict(root: str, limit: int) -> int:
    """Remove the least recently used entries (oldest mtime) until the cache holds at most
    ~90% of ``limit`` bytes; returns the size left. Lock files go with their entries."""
    entries = []
    total = 0
    for path, st in _files(root):
        if path.endswith(".lock"):
            continue
        total += st.st_size
        entries.append((st.st_mtime, st.st_size, path))
    entries.sort()
    target = int(limit * 0.9)
    for _, size, path in entries:
        if total <= target:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
            total -= size
            STATS["evicted"] += 1
            with contextlib.suppress(OSError):
                os.unlink(path + ".lock")
    return total


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()        # held by another thread at fork time: it would stay held
    # a forked child shares the parent's held lock files (flock belongs to the open file): close
    # its copies, or the lock would outlive the parent's compile and block the child forever
    for fd in list(_held):
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def clear_memory() -> None:
    """Forget this process's view of the cache (checked directories, the secret, sizes): the
    next use checks again. Entries on disk are kept."""
    with _lock:
        _checked.clear()
        _secrets.clear()
        _warned.clear()
