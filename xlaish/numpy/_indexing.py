"""Index arrays: advanced indexing, ``take``/``put`` and friends, ``ufunc.at``, built on the
``gather`` / ``scatter`` / ``index_check`` ops (:mod:`xlaish.ir.ops.indexing`).

Several index arrays become one linear index into the indexed axes merged by a reshape
(moved to the front first when NumPy's rules put the result axes first), so every form is
one ``gather`` or ``scatter`` over one axis. Indices are normalised here: a concrete index
array is checked and wrapped while tracing (no run-time check: ``np.arange(n)`` costs
nothing); a traced one gets an ``index_check`` (NumPy's ``IndexError`` after the call) and
its negative entries wrapped with elementwise ops, which fuse with the gather.

For the in-place mechanism (the ``inplace`` branch): :func:`setitem_value` is the new value
of ``x`` after ``x[key] = v`` or ``x[key] op= v`` (NumPy's buffered semantics: a repeated
index is written once), and :func:`_rebind` is where ``ufunc.at`` / ``np.put`` make the
Tracer hold its new value.
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from ..errors import UnsupportedError
from ..ir.opnames import GATHER, INDEX_CHECK, IOTA, SCATTER
from ..ir.ops.indexing import first_bad, index_message
from ..trace import context
from ..trace.bind import cast, const, emit, emit1, to_value, wrap
from ..trace.tracer import Tracer
from . import _dynamic
from ._dynamic import dynamic_slice, dynamic_update_slice  # noqa: F401  (builders, JAX's names)
from ._masked_slice import masked_slice
from ._shape import _getitem

DATA_DEPENDENT = ("the result's shape depends on the values; use np.where(mask, x, 0)")


def _rebind(tracer: Tracer, new: Tracer, what: str) -> None:
    """Make ``tracer`` hold ``new``'s value (``what``: a NumPy function that mutates its argument,
    ``ufunc.at``, ``np.put``, ``np.put_along_axis``), through the in-place mechanism every write
    uses: views see it, and an argument's new value is written back to the caller's array."""
    tracer._write(cast(new.value, tracer.dtype) if new.dtype != tracer.dtype else new.value)


def _is_index_array(k) -> bool:
    return isinstance(k, (Tracer, np.ndarray, list)) or (
        isinstance(k, np.generic) and k.dtype == bool) or isinstance(k, bool)


def is_advanced(key) -> bool:
    """Does this index (a tuple) need a gather?"""
    return any(_is_index_array(k) for k in key)


def _refuse_mask():
    return context.with_location(UnsupportedError(f"boolean mask index: {DATA_DEPENDENT}"))


def _index_value(i, n, axis, mode="raise"):
    """The int64 Value of index array ``i`` for an axis of size ``n``, wrapped (mode "raise" also
    checks it; "wrap"/"clip" as np.take's modes)."""
    if isinstance(i, Tracer):
        if i.dtype.kind not in "iu":
            raise context.with_location(IndexError(
                "arrays used as indices must be of integer (or boolean) type"))
        v = cast(i.value, np.int64)
        if mode == "raise":
            emit(INDEX_CHECK, [v], {"axis": int(axis), "size": int(n)})
        if i.dtype.kind == "u" and mode == "raise":
            return v
        t = wrap(v)
        from . import _ufuncs
        from ._shape import clip, where
        if mode == "wrap":
            return _ufuncs.FUNCS["remainder"](t, max(n, 1)).value if n else v
        if mode == "clip":
            return clip(t, 0, max(n - 1, 0)).value
        return where(_ufuncs.FUNCS["less"](t, 0), _ufuncs.FUNCS["add"](t, n), t).value
    a = np.asarray(i)
    if a.dtype == bool:
        raise _refuse_mask()
    if a.size == 0:
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise context.with_location(IndexError(
            "arrays used as indices must be of integer (or boolean) type"))
    a = a.astype(np.int64)
    if mode == "wrap":
        a = a % n if n else a
    elif mode == "clip":
        a = np.clip(a, 0, max(n - 1, 0))
    else:
        bad = first_bad(a, n)
        if bad is not None:
            raise context.with_location(IndexError(index_message(bad, axis, n)))
        a = np.where(a < 0, a + n, a)
    return _iota_or_const(a)


def _iota_or_const(a):
    """An index grid (np.arange(n), maybe reshaped to broadcast along one axis) as an ``iota``
    (computed in the kernel, no memory), anything else as a constant."""
    live = [d for d, s in enumerate(a.shape) if s != 1]
    if a.size > 1 and len(live) == 1:
        d = live[0]
        if np.array_equal(a.reshape(-1), np.arange(a.shape[d])):
            return emit1(IOTA, [], {"shape": tuple(a.shape), "dtype": np.dtype(np.int64), "axis": d})
    return const(a, np.int64)


def gather_op(x: Tracer, idx, axis: int) -> Tracer:
    """``np.take(x, idx, axis)`` for a normalised int64 index (a Value or Tracer)."""
    iv = idx.value if isinstance(idx, Tracer) else idx
    return wrap(emit1(GATHER, [x.value, iv], {"axis": int(axis)}), x.weak)


def scatter_op(x: Tracer, idx, updates, axis: int, mode: str) -> Tracer:
    """x with ``updates`` (broadcast to the indexed shape, cast to x's dtype) combined in at
    ``idx`` along ``axis``, in order (``mode``: add, multiply, maximum, minimum, set)."""
    from ._shape import broadcast_to
    iv = idx.value if isinstance(idx, Tracer) else idx
    shape = x.shape[:axis] + tuple(iv.type.shape) + x.shape[axis + 1:]
    u = broadcast_to(updates if isinstance(updates, Tracer) else wrap(to_value(updates, x.dtype)), shape)
    uv = cast(u.value, x.dtype)
    return wrap(emit1(SCATTER, [x.value, iv, uv], {"axis": int(axis), "mode": mode}), x.weak)


def scatter_vjp(g, axis, mode, x, idx, upd):
    """Cotangents (x, idx, updates) of ``scatter``."""
    from . import _ufuncs
    from ._shape import where
    if g is None:
        return [None, None, None]
    if mode == "add":
        return [g, None, gather_op(g, idx, axis)]
    if mode != "set":
        raise context.with_location(UnsupportedError(
            f"the gradient of np.{mode}.at (a '{mode}' scatter) is not implemented"))
    ids = wrap(const(np.arange(math.prod(upd.shape), dtype=np.int64).reshape(upd.shape)))
    owner = scatter_op(wrap(const(np.full(x.shape, -1, np.int64))), idx, ids, axis, "set")
    won = _ufuncs.FUNCS["equal"](gather_op(owner, idx, axis), ids)
    gx = scatter_op(g, idx, wrap(const(np.zeros((), g.dtype))), axis, "set")
    return [gx, None, where(won, gather_op(g, idx, axis), np.zeros((), g.dtype))]


# -- advanced indexing ----------------------------------------------------------------------
def _expand(x_ndim, key):
    """key with the ellipsis expanded and trailing slices added; concrete boolean arrays become
    their nonzero() index arrays (a static shape); traced masks are refused."""
    out = []
    for k in key:
        if isinstance(k, Tracer) and k.dtype == np.bool_ or isinstance(k, (bool, np.bool_)):
            raise _refuse_mask()
        if isinstance(k, (np.ndarray, list)) and np.asarray(k).dtype == bool:
            out.extend(np.nonzero(np.asarray(k)))
            continue
        if isinstance(k, list):
            k = np.asarray(k)
        out.append(k)
    consume = sum(1 for k in out if k is not None and k is not Ellipsis)
    if sum(1 for k in out if k is Ellipsis) > 1:
        raise context.with_location(IndexError("an index can only have a single ellipsis ('...')"))
    if consume > x_ndim:
        raise context.with_location(IndexError(
            f"too many indices for array: array is {x_ndim}-dimensional, but {consume} were indexed"))
    if Ellipsis in [k for k in out if not isinstance(k, (np.ndarray, Tracer))]:
        i = next(j for j, k in enumerate(out) if k is Ellipsis)
        out = out[:i] + [slice(None)] * (x_ndim - consume) + out[i + 1:]
    else:
        out = out + [slice(None)] * (x_ndim - consume)
    return out


def _split(x: Tracer, key):
    """Apply the basic part of ``key`` (slices, None) and return (y, positions of the advanced
    dims in y, their index arrays). Advanced dims adjacent in the key are consecutive in y
    (a None between them adds a dim)."""
    key = _expand(x.ndim, key)
    basic, adv, pos, ydim = [], [], [], 0
    for k in key:
        if k is None:
            basic.append(None)
            ydim += 1
        elif isinstance(k, slice):
            basic.append(k)
            ydim += 1
        else:      # int, np.integer, array, Tracer: advanced (ints too, as NumPy does with arrays)
            basic.append(slice(None))
            adv.append(k)
            pos.append(ydim)
            ydim += 1
    y = _getitem(x, tuple(basic)) if any(not (isinstance(k, slice) and k == slice(None)) for k in basic) \
        else x
    return y, pos, adv


def _linear(y, pos, adv):
    """(y with the advanced dims merged into one axis, that axis, the int64 linear index Value)."""
    from . import _ufuncs
    from ._shape import broadcast_arrays, reshape, transpose
    sizes = [y.shape[p] for p in pos]
    idx = [wrap(_index_value(a, n, p)) for a, n, p in zip(adv, sizes, pos)]
    if len(idx) > 1:
        idx = broadcast_arrays(*idx)
    lin = idx[-1]
    stride = sizes[-1]
    for i, n in zip(reversed(idx[:-1]), reversed(sizes[:-1])):
        lin = _ufuncs.FUNCS["add"](lin, _ufuncs.FUNCS["multiply"](i, stride))
        stride *= n
    if len(pos) == 1:
        return y, pos[0], lin.value
    if pos != list(range(pos[0], pos[0] + len(pos))):       # separated: the advanced dims go first
        rest = [d for d in range(y.ndim) if d not in pos]
        y = transpose(y, tuple(pos) + tuple(rest))
        ax = 0
    else:
        ax = pos[0]
    y = reshape(y, y.shape[:ax] + (math.prod(sizes),) + y.shape[ax + len(pos):])
    return y, ax, lin.value


def getitem(x: Tracer, key) -> Tracer:
    """``x[key]`` (what ``Tracer.__getitem__`` calls): index arrays make a gather, a basic index
    with traced integer scalars a dynamic slice (:mod:`._dynamic`), anything else is basic
    indexing (:func:`._shape._getitem`)."""
    key = key if isinstance(key, tuple) else (key,)
    if _dynamic.is_dynamic(key):          # traced integer scalars in a basic index
        axes, out_shape, _, masked = _dynamic.parse(x.shape, key)
        if masked is None:
            return _dynamic.read(x, axes, out_shape)
        full_key, sl, d = _dynamic.split_masked(x.ndim, key, axes)
        return masked_slice(getitem(x, full_key), masked, sl, x.shape[d])
    return advanced_getitem(x, key) if is_advanced(key) else _getitem(x, key)


def advanced_getitem(x: Tracer, key) -> Tracer:
    """``x[key]`` for a key holding index arrays (NumPy's advanced indexing)."""
    y, pos, adv = _split(x, key)
    merged, ax, lin = _linear(y, pos, adv)
    return gather_op(merged, lin, ax)


def _scatter_key(x: Tracer, key, updates, mode, buffered=False):
    """x after ``x[key] (mode)= updates`` (unbuffered, as ufunc.at; ``buffered``: NumPy's
    ``x[key] op= v``, each position written once)."""
    from ._shape import reshape, transpose
    if not isinstance(key, tuple):
        key = (key,)
    y, pos, adv = _split(x, key)
    if y is not x:
        raise context.with_location(UnsupportedError(
            "an index-array assignment mixing index arrays with slices other than ':' or None is "
            "not supported; index the full axes (x[:, idx])"))
    merged, ax, lin = _linear(y, pos, adv)
    u = updates if isinstance(updates, Tracer) else wrap(to_value(updates, x.dtype))
    if buffered and mode != "set":
        from . import _ufuncs
        fn = {"add": "add", "multiply": "multiply", "maximum": "maximum", "minimum": "minimum",
              "subtract": "subtract"}[mode]
        u = _ufuncs.FUNCS[fn](gather_op(merged, lin, ax), u)
        mode = "set"
    elif mode == "subtract":
        from . import _ufuncs
        u, mode = _ufuncs.FUNCS["negative"](u), "add"
    out = scatter_op(merged, lin, u, ax, mode)
    if merged.shape != y.shape:
        if ax == 0 and pos != list(range(pos[0], pos[0] + len(pos))):
            rest = [d for d in range(y.ndim) if d not in pos]
            shape_t = tuple(y.shape[p] for p in pos) + tuple(y.shape[d] for d in rest)
            out = reshape(out, shape_t)
            perm = tuple(pos) + tuple(rest)
            out = transpose(out, tuple(int(i) for i in np.argsort(perm)))
        else:
            out = reshape(out, y.shape)
    return out


def setitem_value(x: Tracer, key, value, op: str | None = None) -> Tracer:
    """The new value of ``x`` after ``x[key] = value`` (``op=None``) or ``x[key] op= value``
    (``op``: "add", "subtract", "multiply", "maximum", "minimum"), with NumPy's buffered
    semantics (a repeated index is written once, the last write wins) for a key holding
    index arrays. Does not mutate ``x``."""
    return _scatter_key(x, key, value, op or "set", buffered=True)


def ufunc_at(ufunc, a, indices, b=None):
    """``ufunc.at(a, indices, b)``: unbuffered (repeated indices accumulate), mutates ``a``."""
    name = ufunc.__name__
    if name not in ("add", "subtract", "multiply", "maximum", "minimum"):
        raise context.with_location(UnsupportedError(f"numpy.{name}.at is not supported by xlaish"))
    if not isinstance(a, Tracer):
        raise context.with_location(UnsupportedError(
            f"numpy.{name}.at on a NumPy array with traced indices or values: make the array with "
            f"xlaish (e.g. np.zeros inside the function) or pass it as an argument"))
    if b is None:
        raise context.with_location(TypeError(f"numpy.{name}.at needs a second operand"))
    _rebind(a, _scatter_key(a, indices, b, name), f"np.{name}.at")
    return None


# -- NumPy functions ------------------------------------------------------------------------
def _np_fallback(name, *args, **kw):
    return getattr(np, name)(*args, **kw)


def take(a, indices, axis=None, out=None, mode="raise"):
    if not isinstance(a, Tracer) and not isinstance(indices, Tracer):
        return np.take(a, indices, axis=axis, out=out, mode=mode)
    if out is not None:
        raise context.with_location(UnsupportedError(
            "np.take(..., out=) is not supported on traced arrays"))
    from ._shape import ravel
    a = a if isinstance(a, Tracer) else wrap(to_value(a))
    if axis is None:
        a, axis = ravel(a), 0
    axis = _axis(axis, a.ndim)
    idx = _index_value(indices, a.shape[axis], axis, mode)
    return gather_op(a, idx, axis)


def _axis(axis, ndim):
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise context.with_location(np.exceptions.AxisError(axis, ndim))
    return axis % ndim


def _along_key(arr_shape, indices, axis):
    """The advanced-index key of take_along_axis / put_along_axis: aranges on the other axes."""
    nd = len(arr_shape)
    if np.ndim(indices) != nd:
        raise context.with_location(ValueError(
            "`indices` and `arr` must have the same number of dimensions"))
    key = []
    for d in range(nd):
        if d == axis:
            key.append(indices)
        else:
            shape = [1] * nd
            shape[d] = arr_shape[d]
            key.append(np.arange(arr_shape[d]).reshape(shape))
    return tuple(key)


def take_along_axis(arr, indices, axis=-1):
    if not isinstance(arr, Tracer) and not isinstance(indices, Tracer):
        return np.take_along_axis(arr, indices, axis=axis)
    from ._shape import ravel
    arr = arr if isinstance(arr, Tracer) else wrap(to_value(arr))
    if axis is None:
        arr, axis = ravel(arr), 0
    axis = _axis(axis, arr.ndim)
    return advanced_getitem(arr, _along_key(arr.shape, indices, axis))


def put_along_axis(arr, indices, values, axis):
    if not isinstance(arr, Tracer):
        if isinstance(indices, Tracer) or isinstance(values, Tracer):
            raise _mutating_ndarray("put_along_axis")
        return np.put_along_axis(arr, indices, values, axis)
    axis = _axis(axis, arr.ndim)
    _rebind(arr, setitem_value(arr, _along_key(arr.shape, indices, axis), values), "np.put_along_axis")


def _mutating_ndarray(name):
    return context.with_location(UnsupportedError(
        f"np.{name} writes traced values into a NumPy array: make the array with xlaish (np.zeros "
        f"inside the function) or pass it as an argument"))


def put(a, ind, v, mode="raise"):
    if not isinstance(a, Tracer):
        if isinstance(ind, Tracer) or isinstance(v, Tracer):
            raise _mutating_ndarray("put")
        return np.put(a, ind, v, mode=mode)
    from ._shape import ravel, reshape
    flat = ravel(a)
    idx = _index_value(ind, flat.size, 0, mode)
    n = math.prod(idx.type.shape)
    vt = v if isinstance(v, Tracer) else wrap(to_value(np.asarray(v), a.dtype))
    vt = ravel(vt)
    if vt.size != n:            # NumPy repeats v cyclically over the indices
        if vt.size == 0:
            return None
        reps = -(-n // vt.size)
        from ._shape import concatenate
        vt = concatenate([vt] * reps)[:n] if reps > 1 else vt[:n]
    vt = reshape(vt, idx.type.shape)
    _rebind(a, reshape(scatter_op(flat, idx, vt, 0, "set"), a.shape), "np.put")
    return None


def choose(a, choices, out=None, mode="raise"):
    if not isinstance(a, Tracer) and not any(isinstance(c, Tracer) for c in choices):
        return np.choose(a, choices, out=out, mode=mode)
    if out is not None:
        raise context.with_location(UnsupportedError(
            "np.choose(..., out=) is not supported on traced arrays"))
    from .. import debug
    from . import _ufuncs
    from ._shape import clip, where
    a = a if isinstance(a, Tracer) else wrap(to_value(np.asarray(a)))
    n = len(choices)
    if mode == "raise":
        ok = _ufuncs.FUNCS["logical_and"](_ufuncs.FUNCS["greater_equal"](a, 0), _ufuncs.FUNCS["less"](a, n))
        debug.check(ok, "invalid entry in choice array")
    elif mode == "wrap":
        a = _ufuncs.FUNCS["remainder"](a, n)
    else:
        a = clip(a, 0, n - 1)
    out = choices[n - 1]
    for k in range(n - 2, -1, -1):
        out = where(_ufuncs.FUNCS["equal"](a, k), choices[k], out)
    from ._shape import broadcast_arrays, broadcast_to
    shape = broadcast_arrays(a, *[c if isinstance(c, Tracer) else np.asarray(c) for c in choices])[0].shape
    return broadcast_to(out, shape)


def compress(condition, a, axis=None, out=None):
    if isinstance(condition, Tracer):
        raise context.with_location(UnsupportedError(
            f"np.compress with a traced condition: {DATA_DEPENDENT}"))
    if not isinstance(a, Tracer):
        return np.compress(condition, a, axis=axis, out=out)
    if out is not None:
        raise context.with_location(UnsupportedError(
            "np.compress(..., out=) is not supported on traced arrays"))
    cond = np.asarray(condition, dtype=bool).reshape(-1)
    from ._shape import ravel
    if axis is None:
        a, axis = ravel(a), 0
    axis = _axis(axis, a.ndim)
    if cond.size > a.shape[axis]:
        raise context.with_location(IndexError(
            f"index {cond.size - 1} is out of bounds for axis {axis} with size {a.shape[axis]}"))
    return gather_op(a, const(np.nonzero(cond)[0].astype(np.int64), np.int64), axis)


def bincount(x, weights=None, minlength=None):
    if not isinstance(x, Tracer) and not isinstance(weights, Tracer) and not isinstance(minlength, Tracer):
        return np.bincount(x, weights=weights, minlength=minlength or 0)
    if minlength is None or isinstance(minlength, Tracer) or int(minlength) <= 0:
        raise context.with_location(UnsupportedError(
            "np.bincount without a static minlength: the result's length depends on the values; "
            "pass minlength=N (a Python int, at least max(x) + 1)"))
    n = int(minlength)
    x = x if isinstance(x, Tracer) else wrap(to_value(np.asarray(x)))
    if x.ndim != 1:
        raise context.with_location(ValueError("object too deep for desired array"))
    if weights is None:
        dt, w = np.dtype(np.int64), 1
    else:
        w = weights if isinstance(weights, Tracer) else wrap(to_value(np.asarray(weights)))
        dt = np.dtype(np.float64) if w.dtype.kind != "c" else w.dtype
    # a value outside [0, minlength) has no bin under jit (NumPy would grow the result)
    from . import _ufuncs
    from ._shape import where
    xv = cast(x.value, np.int64)
    raw = where(_ufuncs.FUNCS["less"](wrap(xv), 0), n, wrap(xv))
    emit(INDEX_CHECK, [raw.value], {"axis": 0, "size": n})
    return scatter_op(wrap(const(np.zeros((n,), dt))), raw, w, 0, "add")


__all__ = ["take", "take_along_axis", "put", "put_along_axis", "choose", "compress", "bincount"]


def histogram(a, bins=10, range=None, density=None, weights=None):
    """np.histogram with a static number of bins (or static edges) and a static range: NumPy's
    bin search (with its rounding corrections) as elementwise ops, the counts a scatter-add."""
    if not isinstance(a, Tracer) and not isinstance(weights, Tracer):
        return np.histogram(a, bins=bins, range=range, density=density, weights=weights)
    if isinstance(bins, Tracer) or isinstance(range, Tracer) or isinstance(bins, str) or (
            np.ndim(bins) == 0 and range is None):
        raise context.with_location(UnsupportedError(
            "np.histogram under jit needs static bins and a static range (range=(lo, hi) or bins "
            "as an array of edges): with the data's min/max the edges depend on the values"))
    from . import _ufuncs
    from ._shape import clip, ravel, where
    edges = np.histogram_bin_edges(np.zeros(0, a.dtype if a.dtype.kind == "f" else np.float64),
                                   bins=bins, range=range)     # NumPy's edges, in its dtype
    n = edges.size - 1
    x = ravel(a).astype(np.float64) if a.dtype.kind != "f" else ravel(a)
    fe = _ufuncs.FUNCS
    inside = fe["logical_and"](fe["greater_equal"](x, edges[0]), fe["less_equal"](x, edges[-1]))
    e = wrap(const(edges.astype(x.dtype)))
    if np.ndim(bins) == 0:         # uniform bins: NumPy computes the index, then corrects it
        norm = n / (edges[-1] - edges[0])
        i = clip(fe["multiply"](fe["subtract"](x, edges[0]), norm).astype(np.int64), 0, n - 1)
        i = where(fe["less"](x, gather_op(e, i.value, 0)), i - 1, i)
        up = fe["logical_and"](fe["greater_equal"](x, gather_op(e, clip(i + 1, 0, n).value, 0)),
                               fe["not_equal"](i, n - 1))
        i = clip(where(up, i + 1, i), 0, n - 1)
    else:                          # given edges: count the edges at or below x
        sum_le = None
        for k in builtins.range(1, n):
            t = fe["greater_equal"](x, float(edges[k])).astype(np.int64)
            sum_le = t if sum_le is None else sum_le + t
        i = sum_le if sum_le is not None else fe["multiply"](x, 0).astype(np.int64)
    if weights is None:
        w, dt = where(inside, 1, 0).astype(np.int64), np.int64
    else:
        wt = weights if isinstance(weights, Tracer) else wrap(to_value(np.asarray(weights)))
        dt = wt.dtype
        w = where(inside, ravel(wt), np.zeros((), dt))
    counts = scatter_op(wrap(const(np.zeros((n,), dt))), i.value, w, 0, "add")
    if density:
        widths = np.diff(edges)
        counts = fe["divide"](fe["divide"](counts, widths), counts.sum())
    return counts, edges


__all__.append("histogram")
