"""Array creation. Inside a trace these emit a scalar constant broadcast to the
shape (or an ``iota``), never a materialised array; outside they are NumPy's.

``creation_returns_tracers`` makes NumPy's own ``np.zeros``/``np.empty``/... return traced
arrays while a function is traced, so arrays created and then filled by assignment work
(see the comment above it for the mechanism and its limit)."""
from __future__ import annotations

import contextlib
import dis
import functools
import math
import sys
import threading

import numpy as np

from .. import dtypes
from ..errors import ConcretizationError
from ..ir.opnames import IOTA, SELECT
from ..trace import context
from ..trace.bind import const, emit1, wrap
from ..trace.tracer import Tracer
from . import _random_guard, _ufuncs
from ._shape import _norm_shape, broadcast_to, where


def _tracing():
    return context.current() is not None


def _full(shape, value, dtype):
    with context.located():
        dt = dtypes.canonical(dtype)
    shape = _norm_shape(shape)
    if isinstance(value, Tracer):
        return broadcast_to(value.astype(dt), shape)
    return broadcast_to(wrap(const(np.asarray(value).astype(dt))), shape)


def zeros(shape, dtype=float, order="C", **kw):
    if not _tracing():
        return np.zeros(shape, dtype, order, **kw)
    return _full(shape, 0, dtype)


def ones(shape, dtype=float, order="C", **kw):
    if not _tracing():
        return np.ones(shape, dtype, order, **kw)
    return _full(shape, 1, dtype)


empty = zeros


def full(shape, fill_value, dtype=None, order="C", **kw):
    if not _tracing():
        return np.full(shape, fill_value, dtype, order, **kw)
    if dtype is None:
        dtype = fill_value.dtype if isinstance(fill_value, Tracer) else np.asarray(fill_value).dtype
    return _full(shape, fill_value, dtype)


def _like(fn_np, value):
    def f(a, dtype=None, order="K", subok=True, shape=None, **kw):
        if not isinstance(a, Tracer):
            return fn_np(a, dtype=dtype, order=order, subok=subok, shape=shape, **kw)
        return _full(shape if shape is not None else a.shape, value, dtype or a.dtype)
    return f


zeros_like = _like(np.zeros_like, 0)
ones_like = _like(np.ones_like, 1)
empty_like = zeros_like


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, **kw):
    if not isinstance(a, Tracer) and not isinstance(fill_value, Tracer):
        return np.full_like(a, fill_value, dtype=dtype, order=order, subok=subok, shape=shape, **kw)
    if not isinstance(a, Tracer):  # a traced fill value: only a's shape and dtype matter
        a = np.asarray(a)
    return _full(shape if shape is not None else a.shape, fill_value,
                 dtype if dtype is not None else a.dtype)


def arange(start, stop=None, step=None, dtype=None, **kw):
    if not _tracing():
        return np.arange(start, stop, step, dtype=dtype, **kw)
    if any(isinstance(v, Tracer) for v in (start, stop, step)):
        raise context.with_location(TypeError(
            "arange needs concrete (Python) bounds: its length is part of the array's type"))
    if dtype is None:
        dtype = np.arange(start, stop, step).dtype if stop is not None or step is not None \
            else np.arange(start).dtype
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    n = max(int(math.ceil((stop - start) / step)), 0)
    dt = dtypes.canonical(dtype)
    if dt.kind in "iu" and all(float(v).is_integer() for v in (start, step)):
        idx = wrap(emit1(IOTA, [], {"shape": (n,), "dtype": dt, "axis": 0}))
        return _ufuncs.FUNCS["add"](_ufuncs.FUNCS["multiply"](idx, int(step)), int(start)).astype(dt)
    idx = wrap(emit1(IOTA, [], {"shape": (n,), "dtype": np.dtype(np.float64), "axis": 0}))
    r = _ufuncs.FUNCS["add"](_ufuncs.FUNCS["multiply"](idx, float(step)), float(start))
    return r.astype(dt)


def eye(N, M=None, k=0, dtype=float, order="C", **kw):
    if not _tracing():
        return np.eye(N, M, k, dtype, order, **kw)
    M = N if M is None else M
    dt = dtypes.canonical(dtype)
    rows = wrap(emit1(IOTA, [], {"shape": (N, M), "dtype": np.dtype(np.int64), "axis": 0}))
    cols = wrap(emit1(IOTA, [], {"shape": (N, M), "dtype": np.dtype(np.int64), "axis": 1}))
    on = _ufuncs.FUNCS["equal"](_ufuncs.FUNCS["add"](rows, int(k)), cols)
    return wrap(emit1(SELECT, [on.value, const(np.asarray(1, dt)), const(np.asarray(0, dt))]))


def identity(n, dtype=float, **kw):
    return eye(n, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if not _tracing() or retstep or axis != 0:
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    div = (num - 1) if endpoint else num
    step = (stop - start) / div if div > 0 else 0.0
    idx = wrap(emit1(IOTA, [], {"shape": (num,), "dtype": np.dtype(np.float64), "axis": 0}))
    r = _ufuncs.FUNCS["add"](_ufuncs.FUNCS["multiply"](idx, float(step)), float(start))
    if endpoint and num > 1:
        last = wrap(emit1(IOTA, [], {"shape": (num,), "dtype": np.dtype(np.int64), "axis": 0}))
        r = where(_ufuncs.FUNCS["equal"](last, num - 1), float(stop), r)
    return r.astype(dtypes.canonical(dtype or np.float64))


__all__ = ["zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
           "arange", "eye", "identity", "linspace"]


# NumPy's creation functions while tracing ------------------------------------------------------
# ``out = np.empty(...); out[i] = traced`` must work, but ``np.empty`` makes an ndarray, which
# cannot hold traced values (nothing reaches xlaish: no argument is a Tracer). While a function is
# traced, these attributes of the ``numpy`` module are wrappers that, when called from the user's
# code on the tracing thread, return a traced constant array instead (``Tracer._concrete`` keeps
# the NumPy value, so code that uses it only as a constant (``int(a.sum())``, ``a.tolist()``)
# keeps working; calls from xlaish, NumPy and other threads get NumPy's function). Chosen over
# asking users for ``xlaish.numpy.zeros``: unchanged NumPy code is the promise. Limit: a name bound
# before tracing (``from numpy import zeros``) is NumPy's own and returns an ndarray.
_PATCHED = ("empty", "zeros", "ones", "full", "empty_like", "zeros_like", "ones_like", "full_like",
            "copy", "array", "arange", "linspace", "eye", "identity")
_ORIG = {n: getattr(np, n) for n in _PATCHED}
_patch_lock = threading.Lock()
_patch_depth = [0]
_OWN = ("xlaish.", "numpy")


def _wrapper(name):
    orig = _ORIG[name]
    make = np.zeros if name == "empty" else np.zeros_like if name == "empty_like" else orig

    def creation(*args, **kwargs):
        if context.current() is None or not _called_from_user_code(sys._getframe(1), name):
            return orig(*args, **kwargs)
        if any(isinstance(a, Tracer) for a in args) or any(isinstance(a, Tracer) for a in kwargs.values()):
            if name == "array":              # (np.array does not dispatch)
                from ._shape import astype
                a, dt = args[0], kwargs.get("dtype", args[1] if len(args) > 1 else None)
                return a.copy() if dt is None else astype(a, dt)
            # np.full does not dispatch (it converts the fill value first): ours takes a tracer
            out = full(*args, **kwargs) if name == "full" else orig(*args, **kwargs)
            if isinstance(out, Tracer) and name == "array" and kwargs.get("copy", True) is not False:
                out = out.copy()
            if isinstance(out, Tracer):
                out._arr0 = True
            return out
        try:
            out = (make if name in ("empty", "empty_like") else orig)(*args, **kwargs)
        except ConcretizationError:
            if name == "array" and isinstance(args[0], (list, tuple)):
                from ._shape import asarray
                return asarray(*args, **kwargs)
            raise
        if type(out) is not np.ndarray or out.dtype.kind not in "biuf":
            return out
        from ._setitem import constant_tracer
        return constant_tracer(out)
    creation.__name__ = creation.__qualname__ = name
    creation.__wrapped__ = orig
    creation.__doc__ = orig.__doc__
    return creation


def _called_from_user_code(frame, name: str) -> bool:
    """Is this call ``np.<name>(...)`` written in the user's own Python code? Not when xlaish or
    NumPy calls it, and not when compiled code (a Cython or C extension: NumPy's random
    generators, SciPy) that the user's line called looks ``np.<name>`` up itself: it would get a
    tracer where it needs an ndarray (a crash). The nearest Python frame of such a call is the
    user's, so the user's line itself must name the function: some ``<name>`` attribute or global
    is loaded on the line being executed."""
    if frame.f_globals.get("__name__", "").startswith(_OWN):
        return False
    return name in _names_loaded_on_line(frame.f_code, frame.f_lasti)


@functools.lru_cache(maxsize=4096)
def _names_loaded_on_line(code, lasti: int) -> frozenset:
    """Attribute and global names loaded on the source line of the instruction at ``lasti`` (the
    call in progress; ``lasti`` may point into the call's inline cache, past its offset)."""
    line, cur, by_line = None, None, {}
    for ins in dis.get_instructions(code):
        if ins.starts_line is not None and not isinstance(ins.starts_line, bool):
            line = ins.starts_line
        pos = getattr(ins, "positions", None)
        ln = pos.lineno if pos is not None and pos.lineno is not None else line
        if ins.offset <= lasti:
            cur = ln
        if ins.opname in ("LOAD_ATTR", "LOAD_METHOD", "LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF"):
            by_line.setdefault(ln, set()).add(ins.argval)
    return frozenset(by_line.get(cur, ()))


_WRAPPERS = {n: _wrapper(n) for n in _PATCHED}


@contextlib.contextmanager
def creation_returns_tracers():
    """While a function is traced: ``numpy.zeros`` & co. return traced arrays (see above)."""
    with _patch_lock:
        if _patch_depth[0] == 0:
            for n, w in _WRAPPERS.items():
                setattr(np, n, w)
            _random_guard.install()
        _patch_depth[0] += 1
    try:
        yield
    finally:
        with _patch_lock:
            _patch_depth[0] -= 1
            if _patch_depth[0] == 0:
                for n, f in _ORIG.items():
                    setattr(np, n, f)
                _random_guard.uninstall()
