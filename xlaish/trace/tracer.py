"""``Tracer``: a stand-in for an array while a function is traced.

It carries an IR ``Value`` (shape and dtype are static) and overloads every
operator, NumPy's ``__array_ufunc__`` and ``__array_function__``, so plain
NumPy code builds IR. ``weak`` is ``int``/``float`` for values that came from
Python scalars (NumPy 2's weak promotion), else ``None``.

In-place operators (``x += 1``) build a new value and rebind the name, which
is NumPy's result whenever nobody else can see the array. Where NumPy would
change memory that others see, they raise instead of silently differing:
``alias`` is ``"argument"`` for an array argument of the traced function (the
caller's array), ``"view"`` for a view (basic indexing, reshape, transpose,
...) of another value; and a value with a view of it still reachable from
Python (weak references: a temporary view, as in ``y.reshape(-1).sum()``,
does not count) is refused too.
"""
from __future__ import annotations

import weakref

import numpy as np

from ..errors import ConcretizationError, TraceError, UnsupportedError
from . import context


def _xnp():
    from .. import numpy as xnp
    return xnp


def _bin(name, reflected=False):
    if reflected:
        def op(self, other):
            return getattr(_xnp(), name)(other, self)
    else:
        def op(self, other):
            return getattr(_xnp(), name)(self, other)
    op.__name__ = name
    return op


_INPLACE_SYMBOL = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "floor_divide": "//",
                   "remainder": "%", "power": "**", "bitwise_and": "&", "bitwise_or": "|",
                   "bitwise_xor": "^", "left_shift": "<<", "right_shift": ">>"}
_ALIASED = {
    "argument": "an array argument of the traced function: NumPy would change the caller's array, "
                "which a compiled function cannot do",
    "view": "a view (a slice, reshape, transpose, ...) of another array: NumPy would change that "
            "array too, which a traced function cannot do",
    "viewed": "an array that a view (a slice, reshape, transpose, ...) was taken of: NumPy would "
              "change the view too, which a traced function cannot do",
}


def refuse_inplace(x, sym: str) -> None:
    """Raise if ``x`` is memory that others see (see the module docstring): ``x {sym}= ...``."""
    alias = getattr(x, "alias", None)
    if alias is None and isinstance(x, Tracer) and x._views:
        x._views = [r for r in x._views if r() is not None]
        alias = "viewed" if x._views else None
    if alias is not None:
        raise context.with_location(UnsupportedError(
            f"in-place `{sym}=` on {_ALIASED[alias]}. Write `y = x {sym} ...` (a new array) and "
            f"return y instead"))


def _inplace(name):
    sym = _INPLACE_SYMBOL[name]

    def op(self, other):
        refuse_inplace(self, sym)
        out = getattr(_xnp(), name)(self, other)
        if out.shape != self.shape:
            raise context.with_location(ValueError(
                f"non-broadcastable output operand with shape {self.shape} doesn't match the "
                f"broadcast shape {out.shape}"))
        if out.dtype != self.dtype:
            if not np.can_cast(out.dtype, self.dtype, "same_kind"):
                raise context.with_location(TypeError(
                    f"Cannot cast ufunc '{name}' output from {out.dtype} to {self.dtype} with "
                    f"casting rule 'same_kind'"))
            out = out.astype(self.dtype)
        return out
    return op


_CONCRETE_HINT = ("use xlaish.numpy.where(cond, a, b) for an elementwise choice, or "
                  "xlaish.cond / xlaish.while_loop for control flow on traced values; or mark the "
                  "argument static with static_argnums")


_VIEW_FUNCS = {"reshape", "transpose", "ravel", "squeeze", "swapaxes", "moveaxis", "expand_dims",
               "broadcast_to", "atleast_1d", "atleast_2d", "atleast_3d", "diagonal", "real", "imag",
               "matrix_transpose", "permute_dims", "rollaxis"}


def _basic_index(key) -> bool:
    """Does ``x[key]`` give a view in NumPy (basic indexing), not a copy?"""
    items = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))
               and not isinstance(k, bool) for k in items)


def _mark_view(out, base):
    """``out`` is a NumPy view of ``base``: both are then shared memory (see ``alias``)."""
    if isinstance(base, Tracer):
        root = base._root if base._root is not None else base
        if out is base:         # the op had nothing to do: the view is a new object all the same
            out = Tracer(base._value, base.trace, base.weak)
        for o in (out if isinstance(out, (tuple, list)) else (out,)):
            if isinstance(o, Tracer) and o is not base:
                if o.alias is None:
                    o.alias = "view"
                o._root = root
                root._views.append(weakref.ref(o))
    return out


class Tracer:
    __slots__ = ("_value", "trace", "weak", "alias", "_root", "_views", "__weakref__")
    __array_priority__ = 1000
    __hash__ = None

    def __init__(self, value, trace, weak=None):
        self._value = value
        self.trace = trace
        self.weak = weak
        self.alias = None       # "argument" | "view": in-place ops refuse (see above)
        self._root = None       # a view: the value it views
        self._views = []        # weak references to the views of this value

    @property
    def value(self):
        """The IR value, in the trace being built now (closures are captured into nested traces)."""
        cur = context.current()
        if cur is self.trace:
            return self._value
        if cur is None:
            raise context.with_location(TraceError(
                f"a traced value ({self!r}) was used after the function that traced it returned: it "
                f"escaped while that function was being traced (stored in a global, a list, an "
                f"attribute or a closure). Return it from the function instead"))
        return cur.capture(self)

    # static facts -------------------------------------------------------------
    shape = property(lambda self: self._value.type.shape)
    dtype = property(lambda self: self._value.type.dtype)
    ndim = property(lambda self: len(self._value.type.shape))
    size = property(lambda self: self._value.type.size)
    itemsize = property(lambda self: self._value.type.dtype.itemsize)
    nbytes = property(lambda self: self._value.type.nbytes)
    T = property(lambda self: _mark_view(_xnp().transpose(self), self))
    mT = property(lambda self: _mark_view(_xnp().swapaxes(self, -1, -2), self))

    def __repr__(self):
        return f"Tracer<{self._value.type}{', weak' if self.weak else ''}>"

    def __len__(self):
        if not self.shape:
            raise context.with_location(TypeError(f"len() of unsized object (a 0-d traced array, "
                                                  f"{self._value.type}); use .size or .shape"))
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise context.with_location(TypeError(f"iteration over a 0-d array (a traced "
                                                  f"{self._value.type})"))
        return (self[i] for i in range(self.shape[0]))

    # no concrete values at trace time --------------------------------------------
    def _concrete(self, what):
        raise context.with_location(ConcretizationError(
            f"{what} of a traced array {self._value.type} is not known while tracing; {_CONCRETE_HINT}"))

    def __bool__(self):
        self._concrete("the truth value")

    def __float__(self):
        self._concrete("float()")

    def __int__(self):
        self._concrete("int()")

    def __index__(self):
        self._concrete("using it as an index: the value")

    def __complex__(self):
        self._concrete("complex()")

    def __array__(self, *args, **kwargs):
        self._concrete("converting it to a NumPy array: the value")

    def item(self, *args):
        self._concrete("item()")

    def tolist(self):
        self._concrete("tolist()")

    # operators -------------------------------------------------------------------
    __add__, __radd__, __iadd__ = _bin("add"), _bin("add", True), _inplace("add")
    __sub__, __rsub__, __isub__ = _bin("subtract"), _bin("subtract", True), _inplace("subtract")
    __mul__, __rmul__, __imul__ = _bin("multiply"), _bin("multiply", True), _inplace("multiply")
    __truediv__, __rtruediv__, __itruediv__ = _bin("divide"), _bin("divide", True), _inplace("divide")
    __floordiv__, __rfloordiv__, __ifloordiv__ = (_bin("floor_divide"), _bin("floor_divide", True),
                                                  _inplace("floor_divide"))
    __mod__, __rmod__, __imod__ = _bin("remainder"), _bin("remainder", True), _inplace("remainder")
    __ipow__ = _inplace("power")

    def __rpow__(self, other):
        return _xnp().power(other, self)
    __matmul__, __rmatmul__ = _bin("matmul"), _bin("matmul", True)
    __and__, __rand__, __iand__ = _bin("bitwise_and"), _bin("bitwise_and", True), _inplace("bitwise_and")
    __or__, __ror__, __ior__ = _bin("bitwise_or"), _bin("bitwise_or", True), _inplace("bitwise_or")
    __xor__, __rxor__, __ixor__ = _bin("bitwise_xor"), _bin("bitwise_xor", True), _inplace("bitwise_xor")
    __lshift__, __rlshift__, __ilshift__ = (_bin("left_shift"), _bin("left_shift", True),
                                            _inplace("left_shift"))
    __rshift__, __rrshift__, __irshift__ = (_bin("right_shift"), _bin("right_shift", True),
                                            _inplace("right_shift"))
    __eq__, __ne__ = _bin("equal"), _bin("not_equal")
    __lt__, __le__ = _bin("less"), _bin("less_equal")
    __gt__, __ge__ = _bin("greater"), _bin("greater_equal")

    def __pow__(self, other):
        if self.dtype == np.bool_ and type(other) is int and other == 2:
            return _xnp().square(self)  # NumPy's `**` fast path: bool_array ** 2 is square (int8)
        if type(other) in (float, int) and other == 0.5 and self.dtype.kind == "f":
            return _xnp().sqrt(self)    # ... and float_array ** 0.5 is sqrt (differs at -0.0, -inf)
        return _xnp().power(self, other)

    def __neg__(self):
        return _xnp().negative(self)

    def __pos__(self):
        return _xnp().positive(self)

    def __abs__(self):
        return _xnp().abs(self)

    def __invert__(self):
        return _xnp().invert(self)

    def __divmod__(self, other):
        return _xnp().floor_divide(self, other), _xnp().remainder(self, other)

    def __getitem__(self, key):
        out = _xnp()._getitem(self, key)
        if _basic_index(key) and isinstance(out, Tracer) and out.ndim:   # (a 0-d result is a copy)
            out = _mark_view(out, self)
        return out

    def __setitem__(self, key, value):
        raise context.with_location(UnsupportedError(
            "in-place assignment to a traced array is not supported; build a new array "
            "(xlaish.numpy.where, concatenate) and return it instead"))

    # methods -----------------------------------------------------------------------
    def astype(self, dtype, copy=True):
        return _xnp().astype(self, dtype)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return _mark_view(_xnp().reshape(self, shape, order=order), self)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = axes[0]
        return _mark_view(_xnp().transpose(self, axes or None), self)

    def ravel(self):
        return _mark_view(_xnp().ravel(self), self)

    def flatten(self):
        return self.copy() if self.ndim == 1 else _xnp().ravel(self)

    def copy(self):
        return Tracer(self._value, self.trace, self.weak)     # the same value, not shared memory

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        if out is not None and out != ():
            outs = out if isinstance(out, tuple) else (out,)
            arg = any(getattr(o, "alias", None) == "argument" for o in outs)
            raise context.with_location(UnsupportedError(
                f"numpy.{ufunc.__name__}(..., out=...) writes into an existing array, which a traced "
                f"function cannot do{' (here: an argument, the caller would not see it)' if arg else ''}. "
                f"Write `y = numpy.{ufunc.__name__}(...)` and return y instead"))
        return _xnp()._array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        out = _xnp()._array_function(func, args, kwargs)
        if func.__name__ in _VIEW_FUNCS and args:
            out = _mark_view(out, args[0])
        return out


def _method(name):
    def m(self, *args, **kwargs):
        return getattr(_xnp(), name)(self, *args, **kwargs)
    m.__name__ = name
    return m


def _view_method(name):
    def m(self, *args, **kwargs):
        return _mark_view(getattr(_xnp(), name)(self, *args, **kwargs), self)
    m.__name__ = name
    return m


for _m in ("sum", "prod", "mean", "var", "std", "max", "min", "argmax", "argmin", "any", "all",
           "clip", "round", "dot"):
    setattr(Tracer, _m, _method(_m))
for _m in ("squeeze", "swapaxes"):
    setattr(Tracer, _m, _view_method(_m))
