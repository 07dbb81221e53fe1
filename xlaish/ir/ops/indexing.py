"""Index-array ops: ``gather``, ``scatter`` and the bounds check ``index_check``.

Every NumPy index-array form (``x[i]``, ``x[i, j]`` mixed with slices, ``np.take``,
``np.take_along_axis``, ``np.add.at``, ``x[i] = v``, ...) is composed by
:mod:`xlaish.numpy._indexing` from these three ops over one axis (several index arrays
become one index into a reshaped operand). Basic indices with traced integer scalars
(``x[i]``, ``x[i:i+3]``, ``x[i, 1:-1] = v``: JAX's dynamic_slice / dynamic_update_slice) are
the same two ops over the flattened operand (:mod:`xlaish.numpy._dynamic`); a ``scatter``
writes into its operand's buffer when that value is dead afterwards (the aliasing rule of
:mod:`xlaish.passes.buffers`).

``gather(x, idx) {axis}``
    ``out[o..., i..., r...] = x[o..., idx[i...], r...]``: NumPy's ``np.take(x, idx, axis)``.
    Result shape ``x.shape[:axis] + idx.shape + x.shape[axis+1:]``. ``idx`` is int64 and
    already normalised (negative indices wrapped) by the tracer; kernels clamp it into
    ``[0, n)`` so memory outside ``x`` is never read, and ``index_check`` reports a bad index.
``scatter(x, idx, updates) {axis, mode}``
    ``x`` with ``updates`` combined into it at ``idx`` along ``axis``, one update after
    another in C order of ``updates`` (NumPy's unbuffered ``ufunc.at``; repeated indices
    accumulate; ``mode="set"``: the last write wins). ``mode``: add, multiply, maximum,
    minimum, set. ``updates`` has the gather's result shape. Indices clamp as for gather.
``index_check(idx) {axis, size}``
    A side effect: if an element of the (raw, unwrapped) int64 ``idx`` is outside
    ``[-size, size)`` the call raises NumPy's ``IndexError`` ("index 7 is out of bounds for
    axis 0 with size 5") once the program has run (see :data:`INDEX_CHECK_PREFIX`).
"""
from __future__ import annotations

import numpy as np

from ...errors import INDEX_CHECK_PREFIX, IRError, ShapeError
from ..opdef import PURE, SIDE_EFFECT, OpDef, register

INDEXING = "indexing"      # trait: the ops of this module (their tests live in tests/indexing)
SCATTER_MODES = ("add", "multiply", "maximum", "minimum", "set")
_T = frozenset({PURE, INDEXING})


def _check_idx(dt):
    if np.dtype(dt) != np.int64:
        raise IRError(f"index operand must be int64, got {np.dtype(dt)}")


def _axis(shape, attrs):
    ax = attrs["axis"]
    if not 0 <= ax < len(shape):
        raise IRError(f"bad axis {ax} for an operand of rank {len(shape)}")
    return ax


def gather_shape(shapes, attrs):
    x, idx = shapes
    ax = _axis(x, attrs)
    return tuple(x[:ax]) + tuple(idx) + tuple(x[ax + 1:])


def _gather_dtype(dts, attrs):
    _check_idx(dts[1])
    return dts[0]


def clip_index(idx, n):
    """What kernels do with an index: clamp into [0, n) (0 when the axis is empty)."""
    return np.clip(np.asarray(idx, np.int64), 0, max(n - 1, 0))


def gather_ref(x, idx, axis):
    if x.shape[axis] == 0:
        return np.zeros(gather_shape((x.shape, idx.shape), {"axis": axis}), x.dtype)
    return np.take(x, clip_index(idx, x.shape[axis]), axis=axis)


register(OpDef(name="gather", arity=2, dtype_rule=_gather_dtype, shape_rule=gather_shape,
               reference=gather_ref, traits=_T, differentiable=True,
               doc="np.take(x, idx, axis) with idx normalised (kernels clamp it)"))


def _scatter_shape(shapes, attrs):
    x, idx, upd = shapes
    if attrs["mode"] not in SCATTER_MODES:
        raise IRError(f"scatter mode {attrs['mode']!r} is not one of {SCATTER_MODES}")
    want = gather_shape((x, idx), attrs)
    if tuple(upd) != want:
        raise ShapeError(f"scatter updates of shape {tuple(upd)} do not match the indexed shape {want}")
    return tuple(x)


def _scatter_dtype(dts, attrs):
    _check_idx(dts[1])
    if dts[0] != dts[2]:
        raise IRError(f"scatter updates ({dts[2]}) must have the operand's dtype ({dts[0]})")
    return dts[0]


_UFUNC = {"add": np.add, "multiply": np.multiply, "maximum": np.maximum, "minimum": np.minimum}


def scatter_ref(x, idx, updates, axis, mode):
    out = np.array(x, copy=True)
    n = x.shape[axis]
    if n == 0 or idx.size == 0:
        return out
    key = (slice(None),) * axis + (clip_index(idx, n),)
    with np.errstate(all="ignore"):
        if mode == "set":     # sequential: the last write wins (as NumPy's x[idx] = v does)
            flat_i = key[-1].reshape(-1)
            upd = np.moveaxis(updates.reshape(x.shape[:axis] + (flat_i.size,) + x.shape[axis + 1:]),
                              axis, 0)
            view = np.moveaxis(out, axis, 0)
            for k, i in enumerate(flat_i):
                view[i] = upd[k]
        else:
            _UFUNC[mode].at(out, key, updates)
    return out


register(OpDef(name="scatter", arity=3, dtype_rule=_scatter_dtype, shape_rule=_scatter_shape,
               reference=scatter_ref, traits=_T, differentiable=True,
               doc="x with updates combined (attrs mode) at idx along attrs axis, in order"))


def index_message(value, axis, size) -> str:
    return f"index {value} is out of bounds for axis {axis} with size {size}"


def index_check_message(op) -> str:
    """The static message of a failed ``index_check`` (a CheckError with it is an IndexError;
    runtimes that hold the arguments name the bad value with :func:`index_error`)."""
    return f"{INDEX_CHECK_PREFIX} for axis {op.attrs['axis']} with size {op.attrs['size']}"


def first_bad(idx, size):
    """The first index of ``idx`` (C order) outside [-size, size), or None."""
    flat = np.asarray(idx).reshape(-1)
    bad = np.flatnonzero((flat < -size) | (flat >= size))
    return int(flat[bad[0]]) if bad.size else None


def _check_rule(in_types, attrs, regions):
    if len(in_types) != 1:
        raise IRError("index_check takes one operand")
    _check_idx(in_types[0].dtype)
    return ()


def _check_interp(op, args, interpret):
    v = first_bad(args[0], op.attrs["size"])
    if v is not None:
        raise IndexError(index_message(v, op.attrs["axis"], op.attrs["size"]))
    return ()


def index_error(traced, args, msg) -> IndexError:
    """The IndexError for a failed index check: NumPy's message naming the bad value, found by
    re-running the traced IR on the host arguments (only on this error path); without them,
    the static message ``msg``."""
    if traced is not None and args is not None:
        from ..interpreter import interpret
        try:
            interpret(traced, [np.asarray(a) for a in args], check_types=False)
        except IndexError as e:
            return IndexError(str(e))
        except Exception:      # noqa: BLE001  (anything else: fall back to the static message)
            pass
    return IndexError(msg)


register(OpDef(name="index_check", arity=1, dtype_rule=None, shape_rule=None, reference=None,
               region_rule=_check_rule, traits=frozenset({SIDE_EFFECT, INDEXING}),
               lower={"interp": _check_interp},
               doc="raise IndexError after the call if an index is outside [-size, size) on attrs axis"))
