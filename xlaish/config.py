"""The only place xlaish reads environment variables.

``XLAISH_DUMP``         ``all`` prints the IR after every pass to stderr; a comma list of
                        pass names prints after those passes only.
``XLAISH_CACHE_DIR``    directory of the on-disk compile cache; ``off`` disables it.
``XLAISH_NUM_THREADS``  cap on worker threads of the CPU backend.
``XLAISH_DEBUG_NANS``   ``1``: raise on the first NaN produced by a kernel.
``CC``                  the C compiler that links AOT libraries (default: cc, gcc or clang).
Values are read at each call of the accessor so tests can change them.
"""
from __future__ import annotations

import os


def dump_passes() -> frozenset[str]:
    v = os.environ.get("XLAISH_DUMP", "").strip()
    return frozenset(p.strip() for p in v.split(",") if p.strip())


def cache_dir() -> str | None:
    v = os.environ.get("XLAISH_CACHE_DIR")
    if v is not None and v.strip().lower() in ("off", "0", "none", ""):
        return None
    if v:
        return v
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "xlaish")


def cpu_count() -> int:
    """CPUs this process may run on."""
    return _cpu_count()


def _cpu_count() -> int:
    global _CPUS
    if _CPUS is None:
        try:
            _CPUS = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            _CPUS = os.cpu_count() or 1
    return _CPUS


_CPUS = None


def num_threads() -> int:
    v = os.environ.get("XLAISH_NUM_THREADS")
    n = _cpu_count()
    if v:
        try:
            return max(1, min(int(v), n))
        except ValueError:
            pass
    return n


def debug_nans() -> bool:
    return os.environ.get("XLAISH_DEBUG_NANS", "") not in ("", "0")


def c_compiler() -> str | None:
    """``$CC`` if set (the AOT linker then uses exactly it), else None (search cc, gcc, clang)."""
    return os.environ.get("CC") or None


def verify_passes() -> bool:
    """``XLAISH_VERIFY=1``: the pass pipeline runs the IR verifier after every pass."""
    return os.environ.get("XLAISH_VERIFY", "").strip().lower() in ("1", "true", "yes", "on")
