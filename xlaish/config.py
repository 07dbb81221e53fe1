"""The only place xlaish reads environment variables; ``VARIABLES`` (below) lists each one
with its effect, and the README's table is generated from it.

Values are read at each call of the accessor so tests can change them. Two are read on the
call path of every jitted function and so are read cheaply: ``XLAISH_NUM_THREADS`` (parsed
once per distinct value) and ``XLAISH_DEBUG_NANS`` (``compiled_env_stamp`` tells the jit when
it changed). Programs can set runtime settings without the environment: ``configure(num_threads=4)``
or ``with override(cache_dir=None): ...`` (an override wins over the variable).
"""
from __future__ import annotations

import contextlib
import functools
import os

# os.environ writes through to this dict (encoded keys and values); reading it directly costs a
# dict lookup instead of os.environ's decode, for the accessors on the call path
VARIABLES = {
    "XLAISH_DUMP": "`all` prints the IR after every pass to stderr; a comma list of pass names "
                   "(`canonicalize`, `simplify`, `fold`, `cse`, `dce`, ...) prints after those only",
    "XLAISH_CACHE_DIR": "directory of the on-disk compile cache (default `$XDG_CACHE_HOME/xlaish` or "
                        "`~/.cache/xlaish`); `off` disables it",
    "XLAISH_CACHE_KEY_FILE": "the per-user secret that authenticates disk-cache entries (HMAC-SHA256); "
                             "default `$XDG_CONFIG_HOME/xlaish/cache-key` (`~/.config/...`), made on "
                             "first use with mode 0600, kept outside the cache directory so whoever "
                             "can write the cache cannot forge entries",
    "XLAISH_CACHE_MAX_BYTES": "bound on the disk cache's total size (default 1 GiB); beyond it the least "
                              "recently used entries (by mtime) are removed",
    "XLAISH_MAX_SIGNATURES": "bound on the compiled signatures one jitted function keeps in memory "
                             "(default 256); beyond it the least recently used one is dropped",
    "XLAISH_RECOMPILE_WARNING": "a jitted function that has compiled more than this many signatures "
                                "(default 16) warns once (`xlaish.jit.RecompileWarning`); `0` never warns",
    "XLAISH_EXPLAIN_CACHE_MISSES": "`1`: every compile of a function that has compiled signatures already "
                                   "logs (logger `xlaish.jit`, level WARNING) which argument changed and "
                                   "how: shape, dtype, weak type, static value, pytree structure, compile "
                                   "options (`jitted.explain(*args)` returns the same without compiling)",
    "XLAISH_LOG_COMPILES": "`1`: every compile logs (logger `xlaish.jit`, level WARNING) the function, its "
                           "signature and the time per stage (trace, passes, codegen, LLVM optimise, LLVM "
                           "emit, load) and the disk cache's hit or miss (`Lowered.compile_stats()` returns "
                           "the same)",
    "XLAISH_NUM_THREADS": "cap on the CPU backend's worker threads (default: the CPUs this process "
                          "may use)",
    "XLAISH_RESULT_POOL_MB": "bound on the memory the CPU runtime keeps for recycling large result arrays "
                             "(default 256; results of 1 MiB or more reuse freed blocks instead of "
                             "page-faulting fresh memory, see `xlaish/runtime/results.py`); `0` turns "
                             "the pool off",
    "XLAISH_DEBUG_NANS": "`1`: raise on the first NaN a kernel produces (a compile option, see "
                         "`xlaish/options.py`; takes effect on the next call when it changes)",
    "XLAISH_VERIFY": "`1`: the pass pipeline runs the IR verifier after every pass (the test suite "
                     "sets it)",
    "XLAISH_UNROLL_MAX": "a Python `for` loop over a static `range` (or array) of at most this many "
                         "iterations (default 16) is unrolled while tracing, its index a Python int; a "
                         "longer one compiles to a loop op (see ARCHITECTURE.md, Python control flow). "
                         "Read when a function is traced",
    "CC": "the C compiler that links AOT libraries (default: cc, gcc or clang)",
    "XLAISH_AOT_VARIANT": "read by every exported AOT library (also from C, without Python) at its first "
                          "call: `v2`, `v3`, `v4` (or `x86-64-v3`, ...; `host` for a `target='host'` "
                          "export) runs that variant of the code instead of the best one the CPU "
                          "supports; one the CPU cannot run or the library lacks makes every call "
                          "return an error (1, resp. 4; `<name>_variant()` says why). Unset, empty or "
                          "`auto`: the best one",
    "XLAISH_AOT_CPU_LEVEL": "test hook read by exported AOT libraries at their first call: `v1` ... `v4` "
                            "makes the x86-64 levels above it count as absent from the CPU (the "
                            "choice, and the refusal below the floor, as on an older CPU)",
}

_ENV_DATA = getattr(os.environ, "_data", None)
_ENCODE = getattr(os.environ, "encodekey", None)
_UNSET = object()
_OVERRIDES: dict = {}


def _stamp_of(name: str):
    """A no-argument callable returning the variable's raw current value (compare with ``==``)."""
    if _ENV_DATA is not None and _ENCODE is not None:
        return functools.partial(_ENV_DATA.get, _ENCODE(name))     # a C-level call, no Python frame
    return functools.partial(os.environ.get, name)


def configure(**settings) -> None:
    """Set runtime settings for this process, overriding their variables: ``cache_dir`` (a path,
    or None for no disk cache), ``num_threads`` (int, or None to follow the variable again)."""
    for name, value in settings.items():
        if name not in ("cache_dir", "num_threads"):
            raise TypeError(f"config.configure: unknown setting {name!r} (cache_dir | num_threads)")
        if name == "num_threads" and value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"num_threads must be a positive int, got {value!r}")
        if name == "num_threads" and value is None:
            _OVERRIDES.pop(name, None)
        else:
            _OVERRIDES[name] = value


@contextlib.contextmanager
def override(**settings):
    """``with override(cache_dir=None, num_threads=1): ...``: settings for the block only."""
    saved = {k: _OVERRIDES.get(k, _UNSET) for k in settings}
    configure(**settings)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is _UNSET:
                _OVERRIDES.pop(k, None)
            else:
                _OVERRIDES[k] = v


def dump_passes() -> frozenset[str]:
    v = os.environ.get("XLAISH_DUMP", "").strip()
    return frozenset(p.strip() for p in v.split(",") if p.strip())


def cache_dir() -> str | None:
    if "cache_dir" in _OVERRIDES:
        return _OVERRIDES["cache_dir"]
    v = os.environ.get("XLAISH_CACHE_DIR")
    if v is not None and v.strip().lower() in ("off", "0", "none", ""):
        return None
    if v:
        return v
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "xlaish")


def cache_key_file() -> str:
    v = os.environ.get("XLAISH_CACHE_KEY_FILE")
    if v:
        return v
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "xlaish", "cache-key")


def _int_env(name: str, default: int, lo: int = 0) -> int:
    v = os.environ.get(name)
    if v:
        try:
            return max(lo, int(v))
        except ValueError:
            pass
    return default


def cache_max_bytes() -> int:
    return _int_env("XLAISH_CACHE_MAX_BYTES", 1 << 30)


def unroll_max() -> int:
    """Static ``for`` loops of at most this many iterations are unrolled by autograph."""
    return _int_env("XLAISH_UNROLL_MAX", 16)


def max_signatures() -> int:
    return _int_env("XLAISH_MAX_SIGNATURES", 256, lo=1)


def recompile_warning() -> int:
    """Warn when one function has compiled more than this many signatures (0: never)."""
    return _int_env("XLAISH_RECOMPILE_WARNING", 16)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def explain_cache_misses() -> bool:
    """``XLAISH_EXPLAIN_CACHE_MISSES=1``: log why each recompile happens (read per compile)."""
    return _flag("XLAISH_EXPLAIN_CACHE_MISSES")


def log_compiles() -> bool:
    """``XLAISH_LOG_COMPILES=1``: log each compile with its time per stage (read per compile)."""
    return _flag("XLAISH_LOG_COMPILES")


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
_THREADS = [_UNSET, 1]          # (raw XLAISH_NUM_THREADS last parsed, its value)


_threads_raw = _stamp_of("XLAISH_NUM_THREADS")


def num_threads() -> int:
    """Threads a parallel kernel may use (read on the call path: a dict lookup per call)."""
    o = _OVERRIDES.get("num_threads")
    if o is not None:
        return max(1, min(o, _cpu_count()))
    v = _threads_raw()
    if v == _THREADS[0]:
        return _THREADS[1]
    n = _cpu_count()
    s = v.decode() if isinstance(v, bytes) else v
    if s:
        try:
            n = max(1, min(int(s), n))
        except ValueError:
            pass
    _THREADS[:] = [v, n]
    return n


def result_pool_bytes() -> int:
    """``XLAISH_RESULT_POOL_MB`` in bytes (read per new pool block)."""
    return _int_env("XLAISH_RESULT_POOL_MB", 256) << 20


def debug_nans() -> bool:
    return os.environ.get("XLAISH_DEBUG_NANS", "") not in ("", "0")


#: ``compiled_env_stamp()``: a value that compares unequal to its previous one whenever an
#: environment variable compiled into code (today ``XLAISH_DEBUG_NANS``) may have changed: one
#: dict lookup, cheap enough for every call of a jitted function.
compiled_env_stamp = _stamp_of("XLAISH_DEBUG_NANS")


def c_compiler() -> str | None:
    """``$CC`` if set (the AOT linker then uses exactly it), else None (search cc, gcc, clang)."""
    return os.environ.get("CC") or None


def aot_variant() -> str:
    """``$XLAISH_AOT_VARIANT``: the AOT library variant to force (short name: ``v3`` for ``x86-64-v3``),
    or ``"auto"`` (unset or empty). The exported libraries read the variable themselves (so a C
    program honours it too); :func:`xlaish.aot.load` reads it here to refuse a name the library
    lacks or the CPU cannot run in its error message."""
    v = os.environ.get("XLAISH_AOT_VARIANT", "") or "auto"
    return {"x86-64": "v1", "x86-64-v2": "v2", "x86-64-v3": "v3", "x86-64-v4": "v4"}.get(v, v)


def verify_passes() -> bool:
    """``XLAISH_VERIFY=1``: the pass pipeline runs the IR verifier after every pass."""
    return _flag("XLAISH_VERIFY")
