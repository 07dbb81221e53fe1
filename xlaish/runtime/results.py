"""Memory for the CPU runtime's large result arrays: a bounded pool of recycled blocks.

A fresh result array of many megabytes costs a page fault per page on the first write, and
NumPy asks the kernel for huge pages on such arrays (``MADV_HUGEPAGE``), which on a machine
with fragmented memory makes the kernel stall compacting it: for Black-Scholes on 4e6 float32
the faults took longer than the fused kernel itself. A result of ``MIN_BYTES`` or more is
therefore carved out of a block this pool keeps: a 1-D ``uint8`` NumPy array whose pages are
already mapped, sized in steps of ``_STEP`` bytes.

The caller still gets a new array that it alone owns: a block is handed out only while no array
refers to it, which the pool reads off the block's reference count (every view of a result, and
every view of those, holds the block: NumPy makes the block the ``.base`` of each), so a result
lives as long as the caller keeps it (or any view of it), however long after the jitted function
or a trim. What differs from ``np.empty``'s arrays: ``.base`` is the block (a 1-D ``uint8`` array
of at least the result's size), ``flags.owndata`` is False, and ``ndarray.resize`` refuses, as it
does for any view; copies, pickling, ``np.resize`` and everything else behave as for any array.

Bounds: at most ``XLAISH_RESULT_POOL_MB`` (default 256) in blocks (least recently used free
blocks are dropped to make room; when every block is in use a result is a plain ``np.empty``
array), and a block unused for ``IDLE_S`` seconds is released (a daemon thread trims while the
pool holds blocks; ``trim()`` releases every free block now). Thread-safe: one lock around the
lookup and the handing out. A forked child keeps its copies of the blocks; its next use starts
its own trimming thread.
"""
from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np

from .. import config

IDLE_S = 2.0          # a block unused this long is released
_STEP = 1 << 16       # block sizes are multiples of this

_lock = threading.Lock()
_blocks: dict = {}    # size -> list of [block, last use]
_state = {"bytes": 0, "trimmer": False}
_getrefcount = sys.getrefcount
_empty = np.empty
_uint8 = np.dtype(np.uint8)


def _base_refcount() -> int:
    """A free block's reference count as ``_take`` sees it (the list, the loop, the call)."""
    recs = [[_empty(1, _uint8), 0.0]]
    for rec in recs:
        blk = rec[0]
        return _getrefcount(blk)
    raise AssertionError


_FREE = _base_refcount()


MIN_BYTES = 1 << 20   # results this large or larger come from the pool


def max_bytes() -> int:
    """The pool's bound (``XLAISH_RESULT_POOL_MB``; 0 turns it off), read per new block."""
    return config.result_pool_bytes()


def _start_trimmer() -> None:
    if not _state["trimmer"]:
        _state["trimmer"] = True
        threading.Thread(target=_trim_loop, name="xlaish-result-pool-trim", daemon=True).start()


def empty(shape, dtype, nbytes: int):
    """A new C-contiguous array of ``shape`` and ``dtype`` (``nbytes`` bytes) for a result: from
    a free block of the pool, or a new block, or ``np.empty`` when the pool is off or full."""
    cap = max_bytes()
    if not cap:
        return _empty(shape, dtype)
    size = -(-nbytes // _STEP) * _STEP
    now = time.monotonic()
    with _lock:
        recs = _blocks.get(size)
        if recs is not None:
            for rec in recs:
                blk = rec[0]
                if _getrefcount(blk) == _FREE:
                    rec[1] = now
                    _start_trimmer()
                    return blk[:nbytes].view(dtype).reshape(shape)
        if size > cap or (_state["bytes"] + size > cap and not _evict(_state["bytes"] + size - cap)):
            return _empty(shape, dtype)
        blk = _empty(size, _uint8)
        rec = [blk, now]
        _blocks.setdefault(size, []).append(rec)
        _state["bytes"] += size
        _start_trimmer()
        return blk[:nbytes].view(dtype).reshape(shape)


def _free_records(older_than: float | None = None):
    """(size, record) of every block no array refers to (used before ``older_than``)."""
    out = []
    for size, recs in _blocks.items():
        for rec in recs:
            blk = rec[0]
            if _getrefcount(blk) == _FREE and (older_than is None or rec[1] < older_than):
                out.append((size, rec))
    return out


def _drop(size, rec) -> None:
    recs = _blocks[size]
    recs[:] = [r for r in recs if r is not rec]     # (by identity: == on a block compares arrays)
    if not recs:
        del _blocks[size]
    _state["bytes"] -= size


def _evict(need: int) -> bool:
    """Drop least recently used free blocks until ``need`` bytes are released (lock held);
    False (nothing dropped) if the free blocks cannot release that much."""
    free = sorted(_free_records(), key=lambda sr: sr[1][1])
    if sum(s for s, _ in free) < need:
        return False
    for size, rec in free:
        if need <= 0:
            break
        _drop(size, rec)
        need -= size
    return True


def trim(idle_s: float | None = None) -> int:
    """Release the free blocks (those unused for ``idle_s`` seconds or more when given); returns
    the bytes released. Results handed out stay valid: only blocks no array refers to go."""
    older = None if idle_s is None else time.monotonic() - idle_s
    with _lock:
        free = _free_records(older)
        for size, rec in free:
            _drop(size, rec)
        return sum(s for s, _ in free)


def held_bytes() -> int:
    """Bytes the pool holds in blocks (free or in use)."""
    return _state["bytes"]


def _trim_loop() -> None:
    while True:
        time.sleep(IDLE_S)
        trim(IDLE_S)
        with _lock:
            if not _blocks:
                _state["trimmer"] = False
                return


def _after_fork_child() -> None:
    global _lock
    _lock = threading.Lock()
    _state["trimmer"] = False         # the parent's thread is not here: the next use starts one


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_child)
