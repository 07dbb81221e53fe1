"""``x[:i]``, ``x[i:]``, ``L[i, :i]``: a slice whose *length* depends on a traced value.

Its shape is not static, so it is kept as a :class:`MaskedSlice`: the full-length read (the
slice replaced by ``:``) plus a mask ``lo <= arange(n) < hi`` along that axis, with ``lo`` and
``hi`` clamped as NumPy clamps slice bounds (``x[:i]`` with ``i > n`` is all of ``x``, with
``i < -n`` it is empty). What works on it, as masked full-length operations:

- elementwise arithmetic (operators and NumPy ufuncs) with scalars and with another masked
  slice of the same bound (same traced base and offset, same axis length and position);
- ``a @ b``, ``np.dot``, ``np.matmul``, ``np.inner``, ``np.vdot`` contracting over the masked
  axis of both (``L[i, :i] @ x[:i]`` is ``np.sum(np.where(np.arange(n) < i, L[i, :] * x, 0))``);
- ``np.sum`` / ``.sum()`` over all axes or over the masked axis;
- assignment back: ``x[:i] = 0``, ``x[:i] = 2 * y[:i]``, ``x[:i] += 1``.

Anything else raises an ``UnsupportedError`` that says the shape would depend on a traced
value and shows the masked form.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from ..ir.opnames import IOTA
from ..trace import context
from ..trace.bind import cast, emit1, to_value, wrap
from ..trace.tracer import Tracer
from ._dynamic import offset_form

_HINT = ("its shape would depend on a traced value. Elementwise arithmetic with scalars and with "
         "slices of the same bound, @ / np.dot and np.sum / .sum() work on it as masked full-length "
         "operations; otherwise write the masked form, e.g. "
         "np.sum(np.where(np.arange(n) < i, L[i, :] * x, 0)) for L[i, :i] @ x[:i]")


def _f(name):
    from . import _ufuncs
    return _ufuncs.FUNCS[name]


def _clamped(b, n, default):
    """A slice bound as NumPy's slice.indices reads it for step 1: wrapped, clamped to [0, n]."""
    if b is None:
        return default
    if not isinstance(b, Tracer):
        b = int(b)
        return min(max(b + n if b < 0 else b, 0), n)
    from ._shape import clip, where
    t = wrap(cast(b.value, np.int64))
    return clip(where(t < 0, t + n, t), 0, n)


def masked_slice(full: Tracer, axis: int, sl: slice, n: int) -> MaskedSlice:
    """``x[key]`` where ``full`` is ``x[key]`` with the slice ``sl`` of traced length read as
    ``:`` (at ``axis`` of ``full``, of length ``n``)."""
    lo, hi = _clamped(sl.start, n, 0), _clamped(sl.stop, n, n)
    return MaskedSlice(full, axis, (lo, hi), (offset_form(sl.start), offset_form(sl.stop), n))


def _range_mask(lo, hi, shape, axis):
    """``lo <= iota < hi`` along ``axis`` of ``shape`` (built at the rank it is used at, so it
    fuses into the kernel that reads it; a reduce kernel then loops over ``[lo, hi)`` only:
    :mod:`xlaish.ir.kernel_masked`)."""
    io = wrap(emit1(IOTA, [], {"shape": tuple(shape), "dtype": np.dtype(np.int64), "axis": axis}))
    return _f("logical_and")(_f("greater_equal")(io, lo), _f("less")(io, hi))


class MaskedSlice:
    """A slice of traced length: ``full`` (the read with that slice as ``:``), ``axis`` (its
    position in ``full``), ``limits`` (the clamped ``(lo, hi)``: the mask is ``lo <= i < hi``)
    and ``bound`` (what decides the mask: two masked slices combine only with equal bounds)."""
    __array_priority__ = 2000

    def __init__(self, full, axis, limits, bound):
        self.full, self.axis, self.limits, self.bound = full, axis, limits, bound
        self.loc = context.user_location()

    @property
    def mask(self):
        """The 1-D mask along the masked axis."""
        return _range_mask(*self.limits, (self.full.shape[self.axis],), 0)

    def error(self, what: str):
        return context.with_location(UnsupportedError(
            f"{what}: x[:i] is a slice whose length depends on a traced value, so {_HINT}"))

    def _bmask(self):
        shape = [1] * self.full.ndim
        shape[self.axis] = self.full.shape[self.axis]
        return _range_mask(*self.limits, shape, self.axis)

    def _same(self, other) -> bool:
        return (other.bound == self.bound and other.axis == self.axis
                and other.full.shape == self.full.shape)

    def _operand(self, other, what):
        if isinstance(other, MaskedSlice):
            if not self._same(other):
                raise self.error(f"{what} with a slice of another traced bound or shape")
            return other.full
        if np.ndim(other) != 0:
            raise self.error(f"{what} with an array of shape {np.shape(other)}")
        return other

    def _combine(self, other, fn, what):
        return MaskedSlice(fn(self.full, self._operand(other, what)), self.axis, self.limits, self.bound)

    def assign(self, value, dtype) -> Tracer:
        """The new full-length value after ``x[:i] = value`` (a scalar or a masked slice of the
        same bound), cast to ``dtype``."""
        from ._shape import where
        v = self._operand(value, "assigning into x[:i]")
        v = v if isinstance(v, Tracer) else wrap(to_value(np.asarray(v), dtype))
        return where(self._bmask(), wrap(cast(v.value, dtype)), self.full)

    def _zeroed(self):
        from ._shape import where
        return where(self._bmask(), self.full, np.zeros((), self.full.dtype))

    # reductions ------------------------------------------------------------------------
    def sum(self, axis=None, dtype=None, out=None, keepdims=False, **kw):
        if out is not None or kw:
            raise self.error("np.sum(x[:i], out=/initial=/where=)")
        if axis is not None:
            ax = axis if isinstance(axis, tuple) else (axis,)
            ax = tuple(int(a) % self.full.ndim for a in ax)
            if self.axis not in ax:
                raise self.error(f"summing x[:i] over axis {axis} (not the masked axis)")
            axis = ax
        from ._reductions import sum as xsum
        return xsum(self._zeroed(), axis=axis, dtype=dtype, keepdims=keepdims)

    def dot(self, other):
        return _matmul(self, other, "np.dot")

    def __matmul__(self, other):
        return _matmul(self, other, "@")

    def __rmatmul__(self, other):
        return _matmul(other, self, "@")

    # protocols --------------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs or ufunc.nout != 1:
            raise self.error(f"numpy.{ufunc.__name__}.{method} of x[:i]")
        full = [i.full if isinstance(i, MaskedSlice) else i for i in inputs]
        for i in inputs:
            self._operand(i, f"numpy.{ufunc.__name__}")
        return MaskedSlice(ufunc(*full), self.axis, self.limits, self.bound)

    def __array_function__(self, func, types, args, kwargs):
        name = func.__name__
        if name == "sum" and args and args[0] is self:
            return self.sum(*args[1:], **kwargs)
        if name in ("dot", "matmul", "inner", "vdot") and len(args) == 2 and not kwargs:
            return _matmul(args[0], args[1], f"numpy.{name}")
        raise self.error(f"numpy.{name}(x[:i])")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise self.error(f"x[:i].{name}")

    def __array__(self, *a, **k):
        raise self.error("converting x[:i] to an array")

    def __len__(self):
        raise self.error("len(x[:i])")

    def __iter__(self):
        raise self.error("iterating over x[:i]")

    def __bool__(self):
        raise self.error("the truth value of x[:i]")

    def __getitem__(self, key):
        raise self.error("indexing x[:i] again")

    def __neg__(self):
        return MaskedSlice(-self.full, self.axis, self.limits, self.bound)

    def __pos__(self):
        return self

    def __abs__(self):
        return MaskedSlice(abs(self.full), self.axis, self.limits, self.bound)


def _matmul(a, b, what):
    """``a @ b`` contracting over the masked axis of both (zeros outside the mask on both
    sides, so a NaN or inf beyond the bound never reaches the result)."""
    if not (isinstance(a, MaskedSlice) and isinstance(b, MaskedSlice)):
        ms = a if isinstance(a, MaskedSlice) else b
        raise ms.error(f"{what} of x[:i] with an array of static shape")
    if a.bound != b.bound:
        raise a.error(f"{what} of two slices of different traced bounds")
    fa, fb = a.full, b.full
    if fa.ndim == 0 or fb.ndim == 0:
        raise a.error(f"{what} with a 0-d operand")
    if a.axis != fa.ndim - 1 or b.axis != (0 if fb.ndim == 1 else fb.ndim - 2):
        raise a.error(f"{what} not contracting over the masked axis of both operands")
    if fa.ndim == 1 and fb.ndim == 1:
        from ._reductions import sum as xsum
        from ._shape import where
        return xsum(where(a.mask, fa * fb, np.zeros((), np.result_type(fa.dtype, fb.dtype))))
    return a._zeroed() @ b._zeroed()


def _masked_op(name, reflected=False):
    def op(self, other):
        f = getattr(np, name)
        return self._combine(other, (lambda x, y: f(y, x)) if reflected else f, f"x[:i] {name}")
    return op


for _n, _u in (("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "divide"),
               ("floordiv", "floor_divide"), ("mod", "remainder"), ("pow", "power"),
               ("and", "bitwise_and"), ("or", "bitwise_or"), ("xor", "bitwise_xor"),
               ("lt", "less"), ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal")):
    setattr(MaskedSlice, f"__{_n}__", _masked_op(_u))
    if _n not in ("lt", "le", "gt", "ge"):
        setattr(MaskedSlice, f"__r{_n}__", _masked_op(_u, True))
