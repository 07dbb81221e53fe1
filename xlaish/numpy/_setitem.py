"""Assignment into traced arrays: ``x[k] = v``, ``x[mask] = v``, ``out=`` of ufuncs and ``clip``,
``np.copyto``; constant arrays made inside a traced function.

Every form is a functional update: it builds the new value of the whole array in the IR and
rebinds the Tracer to it (``Tracer._write``, which also writes through views to their base).

Basic indices (ints, slices with any step, ``None``, ``...``; traced integers too) are one
set-``scatter`` of the region at its linear positions (:func:`._dynamic.write`), so every backend
and autodiff handle them unchanged: it fuses with the kernel that computes ``v`` and writes only
the region, in place when the old value is dead afterwards (a loop-carried array, an
intermediate). Assigning the whole array is ``v`` itself.

A boolean mask update is ``select(mask, v, x)``. A masked read ``x[mask]`` has a shape that
depends on the values: it is a ``MaskedRead`` that only elementwise arithmetic and assignment back
under the same mask accept (``x[m] += 1``, ``x[m] = 2 * y[m]``); anything else raises, showing
``np.where(mask, x, 0)``.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import UnsupportedError
from ..ir.opnames import ASTYPE, SELECT
from ..trace import context
from ..trace.bind import const, emit1, wrap
from ..trace.tracer import Tracer, _basic_index, _static_key, inplace_result
from . import _dynamic
from ._masked_slice import MaskedSlice
from ._shape import broadcast_to, clip, data_dependent, reshape

DATA_DEPENDENT = {"nonzero", "argwhere", "flatnonzero", "extract", "unique", "unique_all",
                  "unique_counts", "unique_inverse", "unique_values", "intersect1d", "union1d",
                  "setdiff1d", "setxor1d", "trim_zeros"}


# constants made inside the function -------------------------------------------------
def constant_tracer(arr) -> Tracer:
    """A traced array holding the NumPy array ``arr`` (which it keeps, for conversions)."""
    arr = np.array(arr)            # a private copy: never changed in place
    t = wrap(const(arr))
    t._concrete, t._arr0 = arr, True
    return t


def _flat(args):
    for a in args:
        if isinstance(a, (list, tuple)):
            yield from a
        else:
            yield a


def all_concrete(args) -> bool:
    """Are the traced arguments all constant arrays made inside the function (and one at least)?"""
    seen = False
    for a in _flat(args):
        if isinstance(a, Tracer):
            if a.concrete() is None:
                return False
            seen = True
    return seen


def _conc(a):
    if isinstance(a, Tracer):
        return a.concrete()
    if isinstance(a, (list, tuple)):
        return type(a)(_conc(x) for x in a)
    return a


def eager(func, args, kwargs):
    """Run ``func`` with NumPy on constant arrays: an array result is a constant Tracer again."""
    r = func(*[_conc(a) for a in args], **{k: _conc(v) for k, v in kwargs.items()})
    if isinstance(r, tuple):
        return tuple(constant_tracer(x) if isinstance(x, np.ndarray) else x for x in r)
    return constant_tracer(r) if type(r) is np.ndarray and r.dtype.kind in "biuf" else r


# values ------------------------------------------------------------------------------
def _as_dtype(v, dt) -> Tracer:
    """``v`` cast as NumPy's assignment casts it (unsafe; a Python number must fit)."""
    if isinstance(v, Tracer):
        return v if v.dtype == dt else wrap(emit1(ASTYPE, [v.value], {"dtype": dt}))
    if dt.kind in "iu" and type(v) is int and not np.iinfo(dt).min <= v <= np.iinfo(dt).max:
        raise context.with_location(OverflowError(f"Python integer {v} out of bounds for {dt}"))
    if dt.kind in "iu" and type(v) is float and not math.isfinite(v):
        raise context.with_location((ValueError if v != v else OverflowError)(
            f"cannot convert float {v} to integer"))
    with np.errstate(all="ignore"):
        a = np.asarray(v)
        if a.dtype.kind not in "biufc":
            raise context.with_location(TypeError(f"cannot assign a value of type {type(v).__name__} "
                                                  f"({a.dtype}) into a traced {dt} array"))
        return wrap(const(a.astype(dt)))


def _fit(v: Tracer, shape) -> Tracer:
    """``v`` broadcast to ``shape`` as assignment does (extra leading 1-dims are dropped)."""
    while v.ndim > len(shape) and v.shape[0] == 1:
        v = reshape(v, v.shape[1:])
    ok = v.ndim <= len(shape) and all(a in (1, b) for a, b in zip(v.shape[::-1], shape[::-1]))
    if not ok:
        raise context.with_location(ValueError(
            f"could not broadcast input array from shape {v.shape} into shape {tuple(shape)}"))
    return broadcast_to(v, tuple(shape))


# basic indices ----------------------------------------------------------------------------
def _normalize(shape, key):
    """-> ([(start, count, step)] per axis of x, the shape of ``x[key]``), as NumPy reads ``key``."""
    key = key if isinstance(key, tuple) else (key,)
    n_consume = sum(1 for k in key if k is not None and k is not Ellipsis)
    if sum(1 for k in key if k is Ellipsis) > 1:
        raise context.with_location(IndexError("an index can only have a single ellipsis ('...')"))
    if n_consume > len(shape):
        raise context.with_location(IndexError(
            f"too many indices for array: array is {len(shape)}-dimensional, but {n_consume} were indexed"))
    if Ellipsis in key:
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (len(shape) - n_consume) + key[i + 1:]
    else:
        key = key + (slice(None),) * (len(shape) - n_consume)
    ranges, out_shape, dim = [], [], 0
    for k in key:
        if k is None:
            out_shape.append(1)
            continue
        n = shape[dim]
        if isinstance(k, slice):
            a, b, s = k.indices(n)
            cnt = len(range(a, b, s))
            ranges.append((a, cnt, s))
            out_shape.append(cnt)
        else:
            i = int(k)
            if not -n <= i < n:
                raise context.with_location(IndexError(
                    f"index {i} is out of bounds for axis {dim} with size {n}"))
            ranges.append((i % n, 1, 1))
        dim += 1
    return ranges, tuple(out_shape)


def basic_update(p: Tracer, key, value) -> Tracer:
    """The value of ``p`` after ``p[key] = value`` (basic indices, traced integer scalars
    included: :mod:`._dynamic`), as a new Tracer."""
    if _dynamic.is_dynamic(key):
        return _dynamic_update(p, key, value)
    ranges, out_shape = _normalize(p.shape, key)
    v = _fit(_as_dtype(value, p.dtype), out_shape)
    v = reshape(v, tuple(c for _, c, _ in ranges))
    if any(c == 0 for _, c, _ in ranges):
        return Tracer(p._value, p.trace, p.weak)
    if any(r != (0, n, 1) for r, n in zip(ranges, p.shape)):
        # one set-scatter of the region (fused with the computation of v; in place when the old
        # value is dead: a loop-carried array, an intermediate), not a select over the whole array
        return _dynamic.write(p, [("slice", a, c, s) for a, c, s in ranges], v)
    return Tracer(v._value, p.trace, p.weak)      # the whole array


def _dynamic_update(p: Tracer, key, value) -> Tracer:
    """``p[key] = value`` with traced integer scalars in the basic index ``key``."""
    axes, out_shape, _, masked = _dynamic.parse(p.shape, key)
    if masked is not None:
        from ._indexing import getitem
        full_key, _, _ = _dynamic.split_masked(p.ndim, key, axes)
        new_full = getitem(p, key).assign(value, p.dtype)
        return basic_update(p, full_key, new_full)
    if isinstance(value, MaskedSlice):
        raise value.error("assigning x[:i] (a slice of traced length) into a slice of static length")
    return _dynamic.write(p, axes, _fit(_as_dtype(value, p.dtype), out_shape))


# boolean masks --------------------------------------------------------------------------------
def is_traced_mask(key) -> bool:
    return isinstance(key, Tracer) and key.dtype == np.bool_ and key.ndim > 0


def _mask_of(x: Tracer, key):
    """The boolean mask in ``key`` broadcast to ``x``'s shape, or None if ``key`` is not one."""
    if isinstance(key, Tracer):
        if key.dtype != np.bool_ or key.ndim == 0:
            return None
        m = key
    elif isinstance(key, np.ndarray) and key.dtype == np.bool_ and key.ndim > 0:
        m = wrap(const(key))
    else:
        return None
    if m.ndim > x.ndim:
        raise context.with_location(IndexError(
            f"too many indices for array: array is {x.ndim}-dimensional, but {m.ndim} were indexed"))
    for ax, (a, b) in enumerate(zip(m.shape, x.shape)):
        if a != b:
            raise context.with_location(IndexError(
                f"boolean index did not match indexed array along axis {ax}; size of axis is {b} "
                f"but size of corresponding boolean axis is {a}"))
    return broadcast_to(reshape(m, m.shape + (1,) * (x.ndim - m.ndim)), x.shape), m


class MaskedRead:
    """``x[mask]`` for a traced mask: its shape depends on the values, so it is kept as the whole
    of ``x`` plus the mask. Elementwise arithmetic with scalars and with masked reads under the
    same mask works on the whole arrays, and ``y[mask] = ...`` takes it back; anything else
    raises (see ``data_dependent``)."""
    __array_priority__ = 2000

    def __init__(self, full, mask):
        self.full, self.mask = full, mask
        self.loc = context.user_location()     # the user's line that wrote x[mask], for errors

    def _operand(self, other):
        if isinstance(other, MaskedRead):
            if other.mask is not self.mask:
                raise data_dependent("combining x[mask1] with y[mask2] (different masks)")
            return other.full
        if np.ndim(other):
            raise data_dependent(f"combining x[mask] with an array of shape {np.shape(other)}")
        return other

    def _combine(self, other, fn):
        return MaskedRead(fn(self.full, self._operand(other)), self.mask)

    def __getattr__(self, name):
        raise data_dependent(f"x[mask].{name} (a boolean-mask read)")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs or ufunc.nout != 1:
            raise data_dependent(f"numpy.{ufunc.__name__} of x[mask]")
        return MaskedRead(ufunc(*[self._operand(i) for i in inputs]), self.mask)

    def __array_function__(self, func, types, args, kwargs):
        raise data_dependent(f"numpy.{func.__name__}(x[mask])")

    def __array__(self, *a, **k):
        raise data_dependent("converting x[mask] to an array")

    def __len__(self):
        raise data_dependent("len(x[mask])")

    def __bool__(self):
        raise data_dependent("the truth value of x[mask]")


def _masked_op(name, reflected=False):
    def op(self, other):
        f = getattr(np, name)
        return self._combine(other, (lambda a, b: f(b, a)) if reflected else f)
    return op


for _n, _u in (("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "divide"),
               ("floordiv", "floor_divide"), ("mod", "remainder"), ("pow", "power"),
               ("and", "bitwise_and"), ("or", "bitwise_or"), ("xor", "bitwise_xor")):
    setattr(MaskedRead, f"__{_n}__", _masked_op(_u))
    setattr(MaskedRead, f"__r{_n}__", _masked_op(_u, True))
MaskedRead.__neg__ = lambda self: MaskedRead(-self.full, self.mask)
MaskedRead.__abs__ = lambda self: MaskedRead(abs(self.full), self.mask)


def _masked_update(x: Tracer, mask_full: Tracer, key, m_ndim: int, value) -> Tracer:
    if isinstance(value, MaskedRead):
        if value.mask is not key:
            raise data_dependent("x[mask1] = y[mask2] with two different masks")
        v = _as_dtype(value.full, x.dtype)
    else:
        v = _as_dtype(value, x.dtype)
        rest = x.shape[m_ndim:]
        if v.ndim > len(rest) and not (v.size == 1):
            raise context.with_location(UnsupportedError(
                f"x[mask] = v with v of shape {v.shape}: NumPy assigns v's elements in order to the "
                f"True positions, whose number is only known at run time. Assign a scalar, or write "
                f"x = np.where(mask, v, x) (v of x's shape), or x[mask] = v[mask]"))
        if v.size == 1:
            v = reshape(v, ())
        v = _fit(v, rest)
    v = broadcast_to(v, x.shape)
    return wrap(emit1(SELECT, [mask_full.value, v.value, x.value]), x.weak)


# entry points -----------------------------------------------------------------------------------
def setitem(x: Tracer, key, value) -> None:
    """``x[key] = value`` on a traced array."""
    if not x.is_array:
        raise context.with_location(TypeError(
            f"'{'float' if x.weak is float else 'int' if x.weak is int else 'numpy.' + x.dtype.name}' "
            f"object does not support item assignment (a scalar, not an array)"))
    c = x.concrete() if _static_key(key) else None
    m = _mask_of(x, key)
    if m is not None:
        new = _masked_update(x, m[0], key if isinstance(key, Tracer) else None, m[1].ndim, value)
    elif _basic_index(key):
        if isinstance(value, MaskedRead):
            raise data_dependent("assigning x[mask] (a boolean-mask read) through a basic index")
        new = basic_update(Tracer(x._value, x.trace, x.weak), key, value)
    else:                             # integer arrays / lists: a scatter (NumPy's buffered rule)
        from ._indexing import setitem_value
        if isinstance(value, MaskedRead):
            raise data_dependent("assigning x[mask] (a boolean-mask read) through an index array")
        new = setitem_value(Tracer(x._value, x.trace, x.weak), key, value)
    x._write(new._value)
    if c is not None and x._parent is None and not isinstance(value, (Tracer, MaskedRead)):
        c = c.copy()                  # a constant array stays constant under constant writes
        c[key] = value
        x._concrete = c


def write_out(out, res, name):
    """``ufunc(..., out=out)``: ``res`` written into the traced array ``out``; returns ``out``."""
    if isinstance(out, tuple):
        raise context.with_location(UnsupportedError(f"numpy.{name}(..., out=(...)) with several "
                                                     f"outputs is not supported on traced arrays"))
    if not isinstance(out, Tracer):
        raise context.with_location(UnsupportedError(
            f"numpy.{name}(..., out=a NumPy array) with traced inputs: the NumPy array cannot hold "
            f"traced values; create it with np.empty/np.zeros inside the traced function"))
    if not out.is_array:
        raise context.with_location(TypeError(f"return arrays must be of ArrayType (out= of "
                                              f"numpy.{name} is a scalar)"))
    if not isinstance(res, Tracer):
        res = wrap(const(res))
    if res.shape != out.shape:
        res = broadcast_to(res, out.shape) if _broadcastable(res.shape, out.shape) else res
    res = inplace_result(out, res, name)
    out._write(res._value)
    return out


def _broadcastable(a, b) -> bool:
    return len(a) <= len(b) and all(x in (1, y) for x, y in zip(a[::-1], b[::-1]))


def clip_or_copyto(func, args, kwargs):
    """``np.clip(..., out=x)`` and ``np.copyto(dst, src, where=...)`` on traced arrays."""
    kwargs = dict(kwargs)
    if func.__name__ == "clip":
        out = kwargs.pop("out")
        res = clip(*args, **kwargs)
        return write_out(out, res, "clip")
    dst, src = (list(args) + [kwargs.pop("dst", None), kwargs.pop("src", None)])[:2]
    casting = kwargs.pop("casting", "same_kind")
    where = kwargs.pop("where", True)
    src_t = src if isinstance(src, Tracer) else wrap(const(np.asarray(src)))
    if not np.can_cast(src_t.dtype, dst.dtype, casting):
        raise context.with_location(TypeError(
            f"Cannot cast array data from dtype('{src_t.dtype}') to dtype('{dst.dtype}') according to "
            f"the rule '{casting}'"))
    v = _fit(_as_dtype(src_t, dst.dtype), dst.shape)
    if where is True:
        dst._write(v._value)
        return None
    w = _fit(where if isinstance(where, Tracer) else wrap(const(np.asarray(where, bool))), dst.shape)
    dst._write(emit1(SELECT, [w.value, v.value, dst.value]))
    return None
