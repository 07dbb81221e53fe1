"""The on-disk compile cache trusts nothing it reads: forged, swapped, truncated and random
entries are ignored and recompiled (never executed); a cache directory or key file others can
write is not used; writes never leave temporary files; the size bound holds."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import xlaish as xl
from xlaish.runtime import cache, cpu

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def disk(tmp_path, monkeypatch):
    """A private cache directory and key file for this test."""
    d = tmp_path / "cache"
    monkeypatch.setenv("XLAISH_CACHE_DIR", str(d))
    monkeypatch.setenv("XLAISH_CACHE_KEY_FILE", str(tmp_path / "conf" / "cache-key"))
    monkeypatch.delenv("XLAISH_CACHE_MAX_BYTES", raising=False)
    cache.clear_memory()
    yield d
    cache.clear_memory()


def f_a(x):
    return np.tanh(x) * 3 + x


def f_b(x):
    return np.exp(-x) - 2 * x


X = np.linspace(-2, 2, 101)


def _entries(d):
    return sorted(p for p in d.rglob("*.xlc"))


def _compile_fresh(fun):
    """Compile ``fun`` through the disk cache as a new process would (a fresh JitFunction):
    -> (result, llvm compiles done, corrupt entries seen)."""
    c0, k0 = cpu.STATS["llvm_compiles"], cache.STATS["corrupt"]
    jf = xl.jit(fun)
    jf.clear_cache()        # a fresh jit of fun shares its compiled signatures: drop them
    out = jf(X)
    return out, cpu.STATS["llvm_compiles"] - c0, cache.STATS["corrupt"] - k0


def test_round_trip_uses_the_entry(disk):
    _, compiles, _ = _compile_fresh(f_a)
    assert compiles == 1 and len(_entries(disk)) == 1
    out2, compiles2, corrupt = _compile_fresh(f_a)
    assert compiles2 == 0 and corrupt == 0
    np.testing.assert_allclose(out2, f_a(X), rtol=1e-12)
    assert not any(b"\x80\x04" == e.read_bytes()[:2] for e in _entries(disk))   # no pickle


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


_CHILD = textwrap.dedent("""
    import numpy as np, xlaish as xl
    from xlaish.runtime import cache, cpu
    x = np.linspace(-2, 2, 101)
    out = xl.jit(lambda x: np.tanh(x) * 3 + x)(x)
    np.testing.assert_allclose(out, np.tanh(x) * 3 + x, rtol=1e-12)
    print(cpu.STATS["llvm_compiles"], cache.STATS["hits"], cache.STATS["corrupt"])
""")


def _child(env):
    env = dict(env, PYTHONPATH=ROOT + os.pathsep + env.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True,
                         timeout=300, cwd=ROOT, check=False)
    assert out.returncode == 0, out.stderr
    return [int(t) for t in out.stdout.split()]


def test_forged_entries_are_never_executed(disk, tmp_path):
    env = dict(os.environ)
    assert _child(env) == [1, 0, 0]
    assert _child(env) == [0, 1, 0]
    (entry,) = _entries(disk)
    good = entry.read_bytes()
    marker = tmp_path / "pwned"
    payload = pickle.dumps((b"\x00" * 64, _Evil(marker)), protocol=4)
    # 1. the old format: a SHA-256 that matches its own (malicious pickle) payload
    entry.write_bytes(b"XLAISH-CACHE-1\n" + hashlib.sha256(payload).hexdigest().encode() + payload)
    assert _child(env) == [1, 0, 1]
    assert not marker.exists()
    # 2. the current format, MAC'd with a key the forger made up
    header = json.loads(good[len(cache.MAGIC) + 65:good.index(b"\n")])
    forged_header = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    junk = os.urandom(4096)
    mac = hmac.new(b"not-the-secret" * 4, forged_header + b"\n" + junk, hashlib.sha256).hexdigest()
    entry.write_bytes(cache.MAGIC + mac.encode() + b" " + forged_header + b"\n" + junk)
    assert _child(env) == [1, 0, 1]          # refused, recompiled (a child that ran junk would crash)
    assert _child(env) == [0, 1, 0]          # and the rewritten entry is good again


def test_swapped_entries_are_rejected(disk):
    _compile_fresh(f_a)
    (ea,) = _entries(disk)
    _compile_fresh(f_b)
    (eb,) = [e for e in _entries(disk) if e != ea]
    a, b = ea.read_bytes(), eb.read_bytes()
    ea.write_bytes(b)
    eb.write_bytes(a)                        # both authentic, each under the other's key
    out, compiles, corrupt = _compile_fresh(f_a)
    np.testing.assert_allclose(out, f_a(X), rtol=1e-12)
    assert compiles == 1 and corrupt == 1
    out, compiles, corrupt = _compile_fresh(f_b)
    np.testing.assert_allclose(out, f_b(X), rtol=1e-12)
    assert compiles == 1 and corrupt == 1


@pytest.mark.parametrize("damage", ["truncated", "random", "empty", "header_only", "flipped_bit"])
def test_damaged_entries_are_recompiled(disk, damage):
    _compile_fresh(f_a)
    (entry,) = _entries(disk)
    data = entry.read_bytes()
    nl = data.index(b"\n")
    bad = {"truncated": data[: len(data) // 2],
           "random": os.urandom(len(data)),
           "empty": b"",
           "header_only": data[: nl + 1],
           "flipped_bit": data[:-10] + bytes([data[-10] ^ 1]) + data[-9:]}[damage]
    entry.write_bytes(bad)
    out, compiles, corrupt = _compile_fresh(f_a)
    np.testing.assert_allclose(out, f_a(X), rtol=1e-12)
    assert compiles == 1 and corrupt == 1
    out, compiles, corrupt = _compile_fresh(f_a)
    assert compiles == 0 and corrupt == 0


def _no_cache_used(d):
    out, compiles, _ = _compile_fresh(f_a)
    np.testing.assert_allclose(out, f_a(X), rtol=1e-12)
    assert compiles == 1
    assert not _entries(d)


def test_group_or_world_writable_directory_is_not_used(disk):
    disk.mkdir(parents=True)
    os.chmod(disk, 0o777)
    with pytest.warns(RuntimeWarning, match="writable by group or others"):
        _no_cache_used(disk)
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # warned once per process, not per compile
        _no_cache_used(disk)


def test_sticky_shared_directory_is_used_but_its_subdirectories_are_checked(disk):
    disk.mkdir(parents=True)
    os.chmod(disk, 0o1777)
    (disk / "cpu").mkdir(mode=0o777)
    os.chmod(disk / "cpu", 0o777)            # planted by someone else: not trusted
    with pytest.warns(RuntimeWarning, match="writable by group or others"):
        _no_cache_used(disk)


def test_directory_of_another_user_is_not_used(disk, monkeypatch):
    disk.mkdir(parents=True)
    uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: uid + 1)
    with pytest.warns(RuntimeWarning, match="belongs to another user"):
        _no_cache_used(disk)


def test_key_file_readable_by_others_is_refused(disk, tmp_path):
    key = tmp_path / "conf" / "cache-key"
    key.parent.mkdir()
    key.write_text(os.urandom(32).hex())
    os.chmod(key, 0o644)
    with pytest.warns(RuntimeWarning, match="accessible by others"):
        _no_cache_used(disk)


def test_key_file_is_made_private_and_outside_the_cache(disk, tmp_path, monkeypatch):
    _compile_fresh(f_a)
    key = tmp_path / "conf" / "cache-key"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
    cache.clear_memory()
    monkeypatch.setenv("XLAISH_CACHE_KEY_FILE", str(disk / "cache-key"))
    with pytest.warns(RuntimeWarning, match="inside the cache directory"):
        out, compiles, _ = _compile_fresh(f_b)
    assert compiles == 1
    np.testing.assert_allclose(out, f_b(X), rtol=1e-12)


def test_failed_write_leaves_no_temporary_file(disk, monkeypatch):
    real = os.replace

    def failing(src, dst):
        if str(src).endswith(".tmp"):
            raise OSError(28, "No space left on device")
        return real(src, dst)
    monkeypatch.setattr(os, "replace", failing)
    out, compiles, _ = _compile_fresh(f_a)
    np.testing.assert_allclose(out, f_a(X), rtol=1e-12)
    assert compiles == 1
    assert not list(disk.rglob("*.tmp")) and not _entries(disk)


def test_stale_temporary_files_are_removed_by_the_next_store_there(disk):
    _compile_fresh(f_a)
    (entry,) = _entries(disk)
    stale, fresh = entry.parent / "abc.tmp", entry.parent / "def.tmp"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    entry.unlink()
    cache.clear_memory()                     # as a new process
    _compile_fresh(f_a)                      # stores into the same directory
    assert not stale.exists() and fresh.exists()


def test_the_size_ledger_spares_a_scan_of_the_cache(disk, monkeypatch):
    """The first store of a process reads the ledger instead of walking every entry."""
    _compile_fresh(f_a)
    assert (disk / "size").read_text() == str(sum(e.stat().st_size for e in _entries(disk)))
    cache.clear_memory()
    walked = []
    real = cache._files
    monkeypatch.setattr(cache, "_files", lambda root: walked.append(root) or real(root))
    _compile_fresh(f_b)
    assert walked == []
    assert int((disk / "size").read_text()) == sum(e.stat().st_size for e in _entries(disk))


def test_total_size_is_bounded_lru_by_mtime(disk, monkeypatch):
    _compile_fresh(f_a)
    (ea,) = _entries(disk)
    size = ea.stat().st_size
    monkeypatch.setenv("XLAISH_CACHE_MAX_BYTES", str(int(size * 2.5)))
    old = time.time() - 100
    os.utime(ea, (old, old))
    cache.clear_memory()
    fs = [lambda x: np.tanh(x) * 4 + x, lambda x: np.tanh(x) * 5 + x, lambda x: np.tanh(x) * 6 + x]
    for f in fs:
        _compile_fresh(f)
    total = sum(e.stat().st_size for e in _entries(disk))
    assert total <= size * 2.5
    assert not ea.exists()                   # the least recently used one went first
    assert cache.STATS["evicted"] >= 1
