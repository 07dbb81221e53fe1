"""The on-disk compile cache: object code keyed by IR hash + target + versions.

An entry is one file ``<key>.xlc``: a magic line, a SHA-256 of the payload,
then a pickle of ``(object code bytes, program layout)``. The key hashes the
optimised IR text, the target triple, CPU name and features, the xlaish and
llvmlite versions and a hash of the code generator's source, so a foreign or
stale entry never matches. A corrupt
entry (bad magic, wrong digest, unpicklable, or object code the JIT refuses)
is ignored and rewritten. Writes go to a temporary file then ``os.replace``,
so readers never see half an entry. ``XLAISH_CACHE_DIR=off`` disables it.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile

from .. import config

MAGIC = b"XLAISH-CACHE-1\n"
STATS = {"hits": 0, "misses": 0, "corrupt": 0, "writes": 0}


def key(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()


def _path(k: str) -> str | None:
    d = config.cache_dir()
    return None if d is None else os.path.join(d, k[:2], k + ".xlc")


def load(k: str):
    """The cached ``(object bytes, layout)`` for key k, or None."""
    path = _path(k)
    if path is None or not os.path.exists(path):
        STATS["misses"] += 1
        return None
    try:
        with open(path, "rb") as f:
            data = f.read()
        if not data.startswith(MAGIC):
            raise ValueError("bad magic")
        digest, payload = data[len(MAGIC):len(MAGIC) + 64], data[len(MAGIC) + 64:]
        if hashlib.sha256(payload).hexdigest().encode() != digest:
            raise ValueError("digest mismatch")
        obj, layout = pickle.loads(payload)
    except Exception:
        STATS["corrupt"] += 1
        return None
    STATS["hits"] += 1
    return obj, layout


def store(k: str, obj: bytes, layout) -> None:
    path = _path(k)
    if path is None:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        payload = pickle.dumps((obj, layout), protocol=4)
        blob = MAGIC + hashlib.sha256(payload).hexdigest().encode() + payload
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
        STATS["writes"] += 1
    except OSError:
        pass   # a read-only or full disk only costs the cache


def invalidate(k: str) -> None:
    path = _path(k)
    if path and os.path.exists(path):
        try:
            os.remove(path)
        except OSError:
            pass
