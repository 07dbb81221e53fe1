"""``Tracer``: a stand-in for an array while a function is traced.

It carries an IR ``Value`` (shape and dtype are static) and overloads every
operator, NumPy's ``__array_ufunc__`` and ``__array_function__``, so plain
NumPy code builds IR. ``weak`` is ``int``/``float`` for values that came from
Python scalars (NumPy 2's weak promotion), else ``None``.

Tracers are mutable like ndarrays (see ``Tracer``): ``x[k] = v``, ``x += v``,
``np.add(a, b, out=x)`` replace the array's IR value by a functional update
(:mod:`xlaish.numpy._setitem` builds it), views made by basic indexing,
reshape, transpose, ... write through to their base and re-derive from it,
and a mutated argument is written back to the caller's array after the call
(:mod:`xlaish.trace.tracing`). A 0-d result of an operation is a NumPy scalar:
``s += 1`` on it rebinds the name, as in NumPy.
"""
from __future__ import annotations

import operator

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
            if self._concrete is not None and (not isinstance(other, Tracer) or other._concrete is not None):
                _setitem = _xnp()._setitem
                if _setitem.all_concrete((self, other)):
                    return _setitem.eager(getattr(np, name), (self, other), {})
            return getattr(_xnp(), name)(self, other)
    op.__name__ = name
    return op


_INPLACE_SYMBOL = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "floor_divide": "//",
                   "remainder": "%", "power": "**", "bitwise_and": "&", "bitwise_or": "|",
                   "bitwise_xor": "^", "left_shift": "<<", "right_shift": ">>"}


def inplace_result(x, out, name):
    """NumPy's checks for writing ``out`` (a ufunc result) into ``x``: shape and same_kind cast."""
    if out.shape != x.shape:
        raise context.with_location(ValueError(
            f"non-broadcastable output operand with shape {x.shape} doesn't match the "
            f"broadcast shape {out.shape}"))
    if out.dtype != x.dtype:
        if not np.can_cast(out.dtype, x.dtype, "same_kind"):
            raise context.with_location(TypeError(
                f"Cannot cast ufunc '{name}' output from {out.dtype} to {x.dtype} with "
                f"casting rule 'same_kind'"))
        out = out.astype(x.dtype)
    return out


def _inplace(name):
    def op(self, other):
        out = getattr(_xnp(), name)(self, other)
        out = inplace_result(self, out, name)
        if not self.is_array:       # a NumPy scalar or Python number: `+=` rebinds the name
            return out
        self._write(out.value)
        return self
    return op


_CONCRETE_HINT = ("use xlaish.numpy.where(cond, a, b) for an elementwise choice, or "
                  "xlaish.cond / xlaish.while_loop for control flow on traced values; or mark the "
                  "argument static with static_argnums")


# NumPy functions whose result is a view of their first argument: how to re-derive the view from
# its base (forward) and how to write a new view value back into the base (inverse)
_RESHAPES = {"reshape", "ravel", "squeeze", "expand_dims", "atleast_1d", "atleast_2d", "atleast_3d",
             "real"}
_PERMUTES = {"transpose", "swapaxes", "moveaxis", "matrix_transpose", "permute_dims", "rollaxis"}
_INVOLUTIONS = {"flip", "flipud", "fliplr"}
_READ_ONLY = {"broadcast_to", "diagonal", "imag", "sliding_window_view"}
_VIEW_FUNCS = _RESHAPES | _PERMUTES | _INVOLUTIONS | _READ_ONLY | {"rot90"}
_VIEW_LISTS = {"split", "array_split", "hsplit", "vsplit", "dsplit", "unstack"}
READ_ONLY_MSG = "assignment destination is read-only"


def static_value(x):
    """``x``, or the NumPy value of a constant tracer (an array made inside the traced function
    from constants, ``np.array([...])``): where NumPy needs a value known before running (a
    quantile, a shape, a count), such an array is as static as the literal it was made from."""
    if isinstance(x, Tracer):
        c = x.concrete()
        if c is not None:
            return c
    return x


def _concrete_key(key):
    """An index whose arrays were made inside the function from constants (``np.array([...])``,
    ``np.arange(n)``: constant tracers) uses their NumPy values: a static mask or index array,
    checked while tracing, not a data-dependent one."""
    def one(k):
        if isinstance(k, Tracer):
            c = k.concrete()
            if c is not None:
                return c
        return k
    return tuple(one(k) for k in key) if isinstance(key, tuple) else one(key)


def _basic_index(key) -> bool:
    """Does ``x[key]`` give a view in NumPy (basic indexing), not a copy? A 0-d integer array
    (a traced loop index) is an integer there, as in NumPy."""
    items = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))
               and not isinstance(k, bool)
               or isinstance(k, Tracer) and k.ndim == 0 and k.dtype.kind in "iu" for k in items)


def _static_key(key) -> bool:
    """No traced value in ``key`` (an index a constant array can be read with while tracing)."""
    items = key if isinstance(key, tuple) else (key,)
    return not any(isinstance(k, Tracer) or isinstance(k, slice) and any(
        isinstance(b, Tracer) for b in (k.start, k.stop, k.step)) for k in items)


def _perm_of(apply, shape) -> tuple:
    """The axis permutation a transpose-like NumPy function makes: applied to a stand-in array
    whose strides name its axes (never read)."""
    d = np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), shape=shape,
                                        strides=tuple(range(1, len(shape) + 1)))
    return tuple(int(s) - 1 for s in apply(d).strides)


def _reshape_step(shape):
    return (lambda p: _xnp().reshape(p, shape)), (lambda p, c: _xnp().reshape(c, p.shape))


def _perm_step(perm):
    inv = tuple(int(i) for i in np.argsort(perm))
    return (lambda p: _xnp().transpose(p, perm)), (lambda p, c: _xnp().transpose(c, inv))


def _index_step(key):
    def inverse(p, c):
        return _xnp()._setitem.basic_update(p, key, c)
    return (lambda p: _xnp()._getitem(p, key)), inverse


def _function_step(func, base, out, args, kwargs):
    """(forward, inverse or a message) for ``out = func(base, *args[1:], **kwargs)``."""
    name = func.__name__
    rest = args[1:]

    def fwd(p):
        return _xnp()._array_function(func, (p,) + tuple(rest), kwargs)
    if name in _RESHAPES:
        return _reshape_step(out.shape)
    if name in _PERMUTES:
        return _perm_step(_perm_of(lambda d: func(d, *rest, **kwargs), base.shape))
    if name in _INVOLUTIONS:
        return fwd, (lambda p, c: _xnp()._array_function(func, (c,) + tuple(rest), kwargs))
    if name in _READ_ONLY:
        return fwd, READ_ONLY_MSG
    return fwd, f"writing through a view made by numpy.{name} is not supported"


def _mark_view(out, base, step):
    """``out`` is a NumPy view of ``base``; ``step`` = (forward, inverse) re-derives it from the
    base and writes a new value of it back into the base (inverse: a message where unsupported)."""
    if not isinstance(base, Tracer) or not isinstance(out, Tracer):
        return out
    if out is base:         # the op had nothing to do: the view is a new object all the same
        out = Tracer(base._value, base.trace, base.weak)
    root = base._root if base._root is not None else base
    out._parent, out._step, out._root, out._ver = base, step, root, root._ver
    out._arr0 = True
    return out


class Tracer:
    """A traced array. It is mutable like an ndarray: ``x[k] = v``, ``x += v`` and ``out=x``
    replace its IR value by a new one (a functional update), and views know their base.

    A root (an argument, a computed array) holds its current value and a version counter; a view
    holds its base (``_parent``), the ``_step`` that made it and the root version it was derived
    at: a write through a view is written back into its base up to the root, and every view whose
    root has moved on re-derives its value when next read (``_value``). ``_concrete`` is the
    NumPy value of an array created inside the traced function (``np.zeros`` ...) while it holds
    only constants: code that uses such arrays as constants (``int(a.sum())``) keeps working."""
    __slots__ = ("_val", "trace", "weak", "_parent", "_step", "_root", "_ver", "_arr0", "_concrete")
    __array_priority__ = 1000
    __hash__ = None

    def __init__(self, value, trace, weak=None):
        self._val = value
        self.trace = trace
        self.weak = weak
        self._parent = self._step = self._root = self._concrete = None
        self._ver = 0           # a root: its version; a view: the root version its value is of
        self._arr0 = False      # a 0-d array (mutable), not a NumPy scalar

    @property
    def _value(self):
        root = self._root
        if root is not None and self._ver != root._ver:
            self._rederive()
        return self._val

    def _rederive(self):
        pv = self._parent._value
        with context.activate(self.trace):
            self._val = self._step[0](Tracer(pv, self.trace, self._parent.weak))._value
        self._ver, self._concrete = self._root._ver, None

    @property
    def is_array(self) -> bool:
        """Mutable memory (an ndarray), not an immutable NumPy scalar or Python number."""
        return self.weak is None and (self._arr0 or bool(self._val.type.shape))

    def _write(self, new):
        """Replace this array's value by the IR value ``new`` (same type), through every view."""
        if context.current() is not self.trace:
            raise context.with_location(UnsupportedError(
                "assigning into an array of an enclosing function inside a cond/while_loop/scan body "
                "is not supported; return the new value from the body instead"))
        t = self
        while t._parent is not None:
            if isinstance(t._step[1], str):
                exc = ValueError if t._step[1] == READ_ONLY_MSG else UnsupportedError
                raise context.with_location(exc(t._step[1]))
            t = t._parent
        self._put(new)

    def _put(self, new):
        if self._parent is None:
            self._val, self._concrete = new, None
            self._ver += 1
            return
        parent = self._parent
        p = Tracer(parent._value, self.trace, parent.weak)
        parent._put(self._step[1](p, Tracer(new, self.trace, self.weak))._value)
        self._val, self._ver, self._concrete = new, self._root._ver, None

    def concrete(self):
        """The NumPy value of a constant array created inside the function, else None."""
        c = self._concrete
        if c is not None and (self._root is None or self._ver == self._root._ver):
            return c
        return None

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
    shape = property(lambda self: self._val.type.shape)
    dtype = property(lambda self: self._val.type.dtype)
    ndim = property(lambda self: len(self._val.type.shape))
    size = property(lambda self: self._val.type.size)
    itemsize = property(lambda self: self._val.type.dtype.itemsize)
    nbytes = property(lambda self: self._val.type.nbytes)
    real = property(lambda self: _xnp().real(self))
    imag = property(lambda self: _xnp().imag(self))
    T = property(lambda self: self.transpose())
    mT = property(lambda self: self.swapaxes(-1, -2))

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

    # no concrete values at trace time (except arrays created from constants) -------------
    def _concrete_or(self, what):
        c = self.concrete()
        if c is None:
            raise context.with_location(ConcretizationError(
                f"{what} of a traced array {self._val.type} is not known while tracing; {_CONCRETE_HINT}"))
        return c

    def __bool__(self):
        return bool(self._concrete_or("the truth value"))

    def __float__(self):
        return float(self._concrete_or("float()"))

    def __int__(self):
        return int(self._concrete_or("int()"))

    def __index__(self):
        return operator.index(self._concrete_or("using it as an index: the value"))

    def __complex__(self):
        return complex(self._concrete_or("complex()"))

    def __array__(self, dtype=None, copy=None):
        if self.concrete() is None and self.ndim == 0:
            raise context.with_location(ConcretizationError(
                f"converting a traced scalar ({self._val.type}) to a NumPy value (np.asarray, a "
                f"NumPy scalar type such as np.uint32(x) or np.float32(x), a Python container "
                f"holding it) needs its value, which is not known while tracing; change its dtype "
                f"with x.astype(np.uint32) inside the traced code (or run Python code on the value "
                f"at run time with xlaish.pure_callback)"))
        c = self.concrete()
        if c is None:
            raise context.with_location(ConcretizationError(
                f"converting a traced array {self._val.type} to a NumPy array (np.asarray, "
                f"np.array) needs its values, which are not known while tracing; to run NumPy or "
                f"other Python code on the values when the compiled function runs, use "
                f"xlaish.pure_callback(fn, result_shape_dtypes, x); or {_CONCRETE_HINT}"))
        return np.array(c, dtype=dtype, copy=True)

    def item(self, *args):
        return self._concrete_or("item()").item(*args)

    def tolist(self):
        return self._concrete_or("tolist()").tolist()

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
        _setitem = _xnp()._setitem
        key = _concrete_key(key)
        if _setitem.is_traced_mask(key):
            return _setitem.MaskedRead(self, key)
        c = self.concrete() if _static_key(key) else None
        out = _xnp()._getitem(self, key)
        if _basic_index(key) and isinstance(out, Tracer):
            if out.ndim or any(k is Ellipsis for k in (key if isinstance(key, tuple) else (key,))):
                out = _mark_view(out, self, _index_step(key))     # (a 0-d result is a copy)
            elif c is not None:
                return c[key]                                     # a NumPy scalar, as NumPy gives
            if c is not None:
                out._concrete = np.array(c[key])
        return out

    def __setitem__(self, key, value):
        _xnp()._setitem.setitem(self, _concrete_key(key), value)

    # methods -----------------------------------------------------------------------
    def _keep_concrete(self, out, numpy_fn):
        """``out`` (made from this array) keeps a constant's NumPy value: ``np.arange(20)
        .reshape(4, 5) % 3 == 0`` stays a static mask."""
        c = self.concrete()
        if c is not None and isinstance(out, Tracer) and out.concrete() is None:
            out._concrete = np.array(numpy_fn(c))
        return out

    def astype(self, dtype, copy=True):
        return self._keep_concrete(_fresh(_xnp().astype(self, dtype), self), lambda c: c.astype(dtype))

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        out = _xnp().reshape(self, shape, order=order)
        return self._keep_concrete(_mark_view(out, self, _reshape_step(out.shape)),
                                   lambda c: c.reshape(shape, order=order))

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = axes[0]
        axes = tuple(axes) or None
        perm = _perm_of(lambda d: d.transpose(axes), self.shape)
        return self._keep_concrete(_mark_view(_xnp().transpose(self, axes), self, _perm_step(perm)),
                                   lambda c: c.transpose(axes))

    def swapaxes(self, axis1, axis2):
        perm = _perm_of(lambda d: d.swapaxes(axis1, axis2), self.shape)
        return self._keep_concrete(_mark_view(_xnp().swapaxes(self, axis1, axis2), self, _perm_step(perm)),
                                   lambda c: c.swapaxes(axis1, axis2))

    def squeeze(self, axis=None):
        out = _xnp().squeeze(self, axis)
        return self._keep_concrete(_mark_view(out, self, _reshape_step(out.shape)),
                                   lambda c: c.squeeze(axis))

    def ravel(self):
        return self.reshape(-1)

    def flatten(self):
        return self.copy().reshape(-1) if self.ndim != 1 else self.copy()

    def copy(self, order="C"):
        t = Tracer(self._value, self.trace, self.weak)     # the same value, not shared memory
        t._arr0, t._concrete = True, self.concrete()
        return t

    def fill(self, value):
        self[...] = value

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _setitem = _xnp()._setitem
        out = kwargs.pop("out", None)
        if isinstance(out, tuple) and len(out) == 1:
            out = out[0]
        if _setitem.all_concrete(inputs) and out is None and not kwargs:
            return _setitem.eager(getattr(ufunc, method) if method != "__call__" else ufunc,
                                  inputs, kwargs)
        res = _xnp()._array_ufunc(ufunc, method, inputs, kwargs)
        if out is not None and not (isinstance(out, tuple) and not out):
            return _setitem.write_out(out, res, ufunc.__name__)
        return _fresh(res, *inputs)

    def __array_function__(self, func, types, args, kwargs):
        _setitem = _xnp()._setitem
        name = func.__name__
        if name in _setitem.DATA_DEPENDENT:
            raise _setitem.data_dependent(f"numpy.{name}")
        if name == "clip" and kwargs.get("out") is not None or name == "copyto":
            return _setitem.clip_or_copyto(func, args, kwargs)
        if _setitem.all_concrete(list(args) + list(kwargs.values())):
            return _setitem.eager(func, args, kwargs)
        out = _xnp()._array_function(func, args, kwargs)
        if name in _VIEW_FUNCS and args and isinstance(args[0], Tracer) and isinstance(out, Tracer):
            return _mark_view(out, args[0], _function_step(func, args[0], out, args, kwargs))
        if name in _VIEW_LISTS and args and isinstance(args[0], Tracer) and isinstance(out, (list, tuple)):
            return type(out)(_mark_view(o, args[0], (
                lambda p, i=i: _xnp()._array_function(func, (p,) + tuple(args[1:]), kwargs)[i],
                f"writing through a view made by numpy.{name} is not supported"))
                for i, o in enumerate(out))
        if name == "copy" and isinstance(out, Tracer):
            return out.copy()
        return _fresh(out, *args)


def _fresh(out, *inputs):
    """A new array object where a function handed back one of its inputs unchanged (NumPy's
    result is a new array: writing into it must not change the input)."""
    if isinstance(out, Tracer) and any(out is a for a in inputs):
        return Tracer(out._value, out.trace, out.weak)
    return out


def _method(name):
    def m(self, *args, **kwargs):
        if self._concrete is not None:
            _setitem = _xnp()._setitem
            if _setitem.all_concrete([self, *args, *kwargs.values()]):
                return _setitem.eager(getattr(np.ndarray, name), (self, *args), kwargs)
        return _fresh(getattr(_xnp(), name)(self, *args, **kwargs), self)
    m.__name__ = name
    return m


for _m in ("sum", "prod", "mean", "var", "std", "max", "min", "argmax", "argmin", "any", "all",
           "round", "dot", "conj", "conjugate"):
    setattr(Tracer, _m, _method(_m))


def _clip_method(self, min=None, max=None, out=None, **kwargs):
    return np.clip(self, min, max, out=out, **kwargs)


Tracer.clip = _clip_method
