"""Basic indexing with traced integers: ``x[i]``, ``x[i, :]``, ``x[:, i]``, ``x[i:i+3]``,
``x[i, 1:-1] = v``, ``x[i] += v`` where ``i`` is a traced integer scalar (a loop index, an
argument).

Every such index is one ``gather`` (a read) or one ``scatter`` with mode ``set`` (a write) over
the flattened array, indexed by the linear position of each element of ``x[key]``: ``start +
step * iota`` per sliced axis, the (wrapped) scalar per integer axis, times the axis's stride.
The index is computed inside the kernel from ``iota`` and the traced scalars, so a read costs
``O(len(x[key]))``; a write is a scatter, which the buffer planner lets update its operand in
place when the old value is dead afterwards (:mod:`xlaish.passes.buffers`,
:meth:`xlaish.codegen.cpu.program._ProgramEmitter._while`): a row update inside a loop costs
the row, not the array. No op of its own is needed (``gather``/``scatter`` already have both
backends, the reference, fusion and VJPs); :func:`dynamic_slice` and
:func:`dynamic_update_slice` are the builders with JAX's names.

Semantics (decided here):

- a traced integer index wraps when negative and raises NumPy's ``IndexError`` from the
  compiled call when outside ``[-n, n)`` (an ``index_check`` op);
- a slice with traced bounds must have a *static length*: the stop is the start plus a Python
  int (``x[i:i+3]``, ``x[i-1:i+2]``, ``x[i:i+k:2]``). This is found by a small symbolic check
  (:func:`offset_form`): each bound is peeled of ``+ c`` / ``- c`` with integer constants down
  to a common traced base. Unlike NumPy (which would return a shorter slice), such a slice
  must fit: its start wraps when negative and an element outside the axis raises
  ``IndexError`` (as ``x[i]`` does), so the shape never depends on the value;
- a slice whose length depends on a traced value (``x[:i]``, ``x[i:]``) is a
  :class:`~._masked_slice.MaskedSlice` (the full-length axis plus a mask, NumPy's clamping
  for bounds beyond the axis); see that module for what works on it.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import UnsupportedError
from ..ir.opnames import ADD, ASTYPE, CONSTANT, GATHER, INDEX_CHECK, IOTA, SCATTER, SUBTRACT
from ..trace import context
from ..trace.bind import cast, const, emit, emit1, to_value, wrap
from ..trace.tracer import Tracer
from . import _ufuncs
from ._shape import broadcast_to, reshape, where

_PEEL_WINDOW = 256      # how far back in the trace the defining op of a bound is looked for


def _traced_int(k) -> bool:
    return isinstance(k, Tracer) and k.ndim == 0 and k.concrete() is None


def is_dynamic(key) -> bool:
    """Is ``key`` a basic index (ints, slices, None, ...) with a traced integer scalar in it
    (as an index or a slice bound), and no index array?"""
    items = key if isinstance(key, tuple) else (key,)
    dyn = False
    for k in items:
        if isinstance(k, slice):
            dyn |= any(isinstance(b, Tracer) for b in (k.start, k.stop, k.step))
        elif isinstance(k, Tracer):
            if k.ndim != 0 or k.dtype == np.bool_:
                return False
            dyn = True
        elif not (k is None or k is Ellipsis or isinstance(k, (int, np.integer))) or isinstance(k, bool):
            return False
    return dyn


# -- symbolic bounds ----------------------------------------------------------------------
def _def_op(v, ops):
    for op in reversed(ops[-_PEEL_WINDOW:]):
        if any(r is v for r in op.results):
            return op
    return None


def _const_int(v, ops):
    op = _def_op(v, ops)
    while op is not None and op.name == ASTYPE:
        op = _def_op(op.operands[0], ops)
    if op is not None and op.name == CONSTANT:
        a = np.asarray(op.attrs["value"])
        if a.ndim == 0 and a.dtype.kind in "iu":
            return int(a)
    return None


def offset_form(b):
    """``b`` (a slice bound: int, None or a traced integer scalar) as (base Value or None,
    Python int): the traced base and the constant added to it (``i + 3`` -> (i, 3))."""
    if not isinstance(b, Tracer):
        return None, (None if b is None else int(b))
    v, k, ops = b._value, 0, b.trace.builder.ops     # in the trace the bound was made in
    while True:
        op = _def_op(v, ops)
        if op is None or op.name not in (ADD, SUBTRACT):
            return v, k
        x, y = op.operands
        cy, cx = _const_int(y, ops), _const_int(x, ops)
        if cy is not None:
            v, k = x, k + (cy if op.name == ADD else -cy)
        elif cx is not None and op.name == ADD:
            v, k = y, k + cx
        else:
            return v, k


# -- parsing ------------------------------------------------------------------------------
def _int_dtype_check(t: Tracer):
    if t.dtype.kind not in "iu":
        raise context.with_location(IndexError(
            "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer or "
            "boolean arrays are valid indices"))


def _expand(ndim, key):
    items = list(key if isinstance(key, tuple) else (key,))
    consume = sum(1 for k in items if k is not None and k is not Ellipsis)
    if sum(1 for k in items if k is Ellipsis) > 1:
        raise context.with_location(IndexError("an index can only have a single ellipsis ('...')"))
    if consume > ndim:
        raise context.with_location(IndexError(
            f"too many indices for array: array is {ndim}-dimensional, but {consume} were indexed"))
    if any(k is Ellipsis for k in items):
        i = next(j for j, k in enumerate(items) if k is Ellipsis)
        return items[:i] + [slice(None)] * (ndim - consume) + items[i + 1:]
    return items + [slice(None)] * (ndim - consume)


def parse(shape, key):
    """``key`` -> (per-axis descriptors, output shape, positions of None in it, masked axis or
    None). Descriptors: ("slice", start, count, step) with start an int or a traced scalar
    (unwrapped), ("int", i) with i an int or a traced scalar, ("masked", start, stop) for a
    slice whose length depends on a traced value."""
    axes, out_shape, nones, masked, d = [], [], [], None, 0
    for k in _expand(len(shape), key):
        if k is None:
            nones.append(len(out_shape))
            out_shape.append(1)
            continue
        n = shape[d]
        if isinstance(k, slice):
            if isinstance(k.step, Tracer):
                raise context.with_location(UnsupportedError(
                    "a slice step must be a Python int under jit (a traced step makes the "
                    "length depend on a traced value)"))
            if not any(isinstance(b, Tracer) for b in (k.start, k.stop)):
                a, b, s = k.indices(n)
                cnt = len(range(a, b, s))
                axes.append(("slice", a if cnt else 0, cnt, s))
                out_shape.append(cnt)
            else:
                for b in (k.start, k.stop):
                    if isinstance(b, Tracer):
                        _int_dtype_check(b)
                s = 1 if k.step is None else int(k.step)
                if s == 0:
                    raise context.with_location(ValueError("slice step cannot be zero"))
                (b0, o0), (b1, o1) = offset_form(k.start), offset_form(k.stop)
                if b0 is not None and b0 is b1:
                    cnt = len(range(0, o1 - o0, s))
                    axes.append(("slice", k.start, cnt, s))
                    out_shape.append(cnt)
                else:
                    if s != 1 or masked is not None:
                        raise context.with_location(UnsupportedError(
                            f"x[{_show(k)}]: the slice's length depends on a traced value; only one "
                            f"such slice with step 1 is supported, as a masked full-length read"))
                    masked = len(out_shape)
                    axes.append(("masked", k.start, k.stop))
                    out_shape.append(n)
        else:
            if isinstance(k, Tracer):
                _int_dtype_check(k)
            else:
                i = int(k)
                if not -n <= i < n:
                    raise context.with_location(IndexError(
                        f"index {i} is out of bounds for axis {d} with size {n}"))
                k = i % n
            axes.append(("int", k))
        d += 1
    return axes, tuple(out_shape), nones, masked


def _show(s: slice) -> str:
    f = lambda b: "" if b is None else ("i" if isinstance(b, Tracer) else str(b))
    return f"{f(s.start)}:{f(s.stop)}" + ("" if s.step is None else f":{s.step}")


# -- linear index -----------------------------------------------------------------------------
def _i64(v) -> Tracer:
    return wrap(cast(v.value, np.int64)) if isinstance(v, Tracer) else v


def wrapped(i: Tracer, n: int, axis: int) -> Tracer:
    """The traced index ``i`` as int64, wrapped when negative, with its bounds check
    (``index_check``: NumPy's IndexError from the compiled call)."""
    v = _i64(i)
    emit(INDEX_CHECK, [v.value], {"axis": int(axis), "size": int(n)})
    if i.dtype.kind == "u":
        return v
    return where(_ufuncs.FUNCS["less"](v, 0), _ufuncs.FUNCS["add"](v, n), v)


def _check_last(last: Tracer, n: int, axis: int, step: int):
    """Bounds check of the last position of a dynamic slice (its start is checked already)."""
    if step < 0:     # a negative position is outside: make it fail index_check's [-n, n) too
        last = where(last < 0, last - n, last)
    emit(INDEX_CHECK, [_i64(last).value], {"axis": int(axis), "size": int(n)})


def _iota(shape, axis):
    return wrap(emit1(IOTA, [], {"shape": tuple(shape), "dtype": np.dtype(np.int64), "axis": axis}))


def linear_index(shape, axes) -> Tracer | None:
    """The int64 linear index (shape: the non-None output dims) of ``x[key]`` in the flattened
    ``x``, with the bounds checks of the traced parts emitted; None when the result is empty."""
    lin_shape = tuple(a[2] for a in axes if a[0] == "slice")
    strides = [math.prod(shape[d + 1:]) for d in range(len(shape))]
    empty = 0 in lin_shape
    lin, j = 0, 0
    for d, a in enumerate(axes):
        n = shape[d]
        if a[0] == "int":
            pos = wrapped(a[1], n, d) if isinstance(a[1], Tracer) else a[1]
        else:
            _, start, cnt, s = a
            w = start
            if isinstance(start, Tracer) and not empty:
                w = wrapped(start, n, d)
                if cnt > 1:
                    _check_last(w + s * (cnt - 1), n, d, s)
            if empty:
                j += 1
                continue
            io = _iota(lin_shape, j)
            j += 1
            pos = io * s + w if s != 1 else io + w
        term = pos * strides[d] if strides[d] != 1 else pos
        lin = lin + term
    if empty:
        return None
    lin = _i64(lin)
    return broadcast_to(lin, lin_shape) if lin.shape != lin_shape else lin


# -- read and write ------------------------------------------------------------------------------
def _flat(x: Tracer) -> Tracer:
    return reshape(x, (x.size,))


def read(x: Tracer, axes, out_shape) -> Tracer:
    """``x[key]`` for a parsed dynamic basic index without a masked axis: one gather."""
    lin = linear_index(x.shape, axes)
    if lin is None:
        return wrap(const(np.zeros(out_shape, x.dtype)), x.weak)
    out = wrap(emit1(GATHER, [_flat(x).value, lin.value], {"axis": 0}), x.weak)
    return reshape(out, out_shape) if out.shape != out_shape else out


def write(x: Tracer, axes, v: Tracer) -> Tracer:
    """The new value of ``x`` after ``x[key] = v`` for a parsed dynamic basic index without a
    masked axis; ``v`` has ``x``'s dtype and the shape of ``x[key]``: one set-scatter."""
    lin = linear_index(x.shape, axes)
    if lin is None:
        return Tracer(x._value, x.trace, x.weak)
    return _scatter_set(x, lin, reshape(v, lin.shape))


def _scatter_set(x: Tracer, lin: Tracer, v: Tracer) -> Tracer:
    uv = cast(v.value, x.dtype)
    out = wrap(emit1(SCATTER, [_flat(x).value, lin.value, uv], {"axis": 0, "mode": "set"}), x.weak)
    return reshape(out, x.shape)


def split_masked(ndim, key, axes):
    """(the key with the slice of traced length replaced by ``:``, that slice, its axis in x)."""
    items = _expand(ndim, key)
    d = 0
    for j, k in enumerate(items):
        if k is None:
            continue
        if axes[d][0] == "masked":
            return tuple(items[:j] + [slice(None)] + items[j + 1:]), k, d
        d += 1
    raise AssertionError("no masked slice in the key")


# -- builders with JAX's names (for code that builds IR directly, e.g. a loop tape) ------------
def _starts_axes(x, starts, sizes):
    if len(starts) != x.ndim or len(sizes) != x.ndim:
        raise context.with_location(ValueError(
            f"dynamic slice of a {x.ndim}-d array needs {x.ndim} starts and sizes, got "
            f"{len(starts)} and {len(sizes)}"))
    axes = []
    for d, (s, k) in enumerate(zip(starts, sizes)):
        n, k = x.shape[d], int(k)
        if not 0 <= k <= n:
            raise context.with_location(ValueError(f"slice size {k} does not fit axis {d} of size {n}"))
        if not isinstance(s, Tracer):
            s = int(s)
            if k and not (-n <= s < n and (s % n) + k <= n):
                raise context.with_location(IndexError(
                    f"slice of size {k} at {s} is out of bounds for axis {d} with size {n}"))
            s = s % n if n else 0
        axes.append(("slice", s, k, 1))
    return axes


def dynamic_slice(x: Tracer, starts, sizes) -> Tracer:
    """``x[s0:s0+k0, s1:s1+k1, ...]`` with traced (or int) starts ``s`` and static sizes ``k``:
    a bounds-checked gather (a start wraps when negative; a slice that does not fit raises
    ``IndexError`` from the compiled call)."""
    sizes = tuple(int(k) for k in sizes)
    return read(x, _starts_axes(x, starts, sizes), sizes) if x.ndim else x


def dynamic_update_slice(x: Tracer, update, starts) -> Tracer:
    """``x`` with ``update`` (an array of ``x``'s rank, cast to its dtype) written at ``starts``
    (traced or int scalars, one per axis): a bounds-checked set-scatter, which updates ``x``'s
    buffer in place when the old value is dead afterwards. Returns the new value; the Tracer
    ``x`` is not mutated."""
    v = update if isinstance(update, Tracer) else wrap(to_value(np.asarray(update), x.dtype))
    if v.ndim != x.ndim:
        raise context.with_location(ValueError(
            f"an update of shape {v.shape} for an operand of shape {x.shape}: the ranks differ"))
    if not x.ndim:
        return wrap(cast(v.value, x.dtype), x.weak)
    return write(x, _starts_axes(x, starts, v.shape), v)
