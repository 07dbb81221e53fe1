"""Turning a Python function plus example arguments into a ``Function``.

``Signature`` is everything a compiled program depends on besides the code:
the pytree structure of the dynamic arguments, each leaf's shape, dtype and
weak-ness, and the static arguments' values.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np

from .. import dtypes
from ..errors import UnsupportedError
from ..ir.types import TensorType
from . import context, pytree
from .bind import to_value
from .tracer import Tracer


@dataclass(frozen=True)
class LeafSpec:
    type: TensorType
    weak: type | None = None

    def __str__(self):
        return f"{self.type}{' (weak)' if self.weak else ''}"


@dataclass(frozen=True)
class ShapeDtype:
    """An argument described by shape and dtype only (for ``lower``/AOT export)."""
    shape: tuple
    dtype: object

    def __init__(self, shape, dtype):
        if isinstance(shape, (int, np.integer)):
            shape = (shape,)
        for s in shape:
            if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
                raise TypeError(f"ShapeDtype: shape {tuple(shape)} must hold integers, got "
                                f"{type(s).__name__} {s!r}")
        t = TensorType(shape, dtype)          # validates sizes and the dtype
        object.__setattr__(self, "shape", t.shape)
        object.__setattr__(self, "dtype", t.dtype)


def leaf_spec(x) -> LeafSpec:
    try:
        return _leaf_spec(x)
    except UnsupportedError as e:  # name the user's call site
        raise context.with_location(e) from None


def _leaf_spec(x) -> LeafSpec:
    if isinstance(x, ShapeDtype):
        return LeafSpec(TensorType(x.shape, x.dtype))
    w = dtypes.weak_type(x)
    if w is not None:
        return LeafSpec(TensorType((), dtypes.default_dtype(w)), w)
    if isinstance(x, Tracer):
        return LeafSpec(x.value.type, x.weak)
    if isinstance(x, (str, bytes)) or x is None:
        raise UnsupportedError(f"argument of type {type(x).__name__} is not an array; mark it static "
                               f"with static_argnums / static_argnames")
    cai = None if isinstance(x, np.ndarray) else getattr(x, "__cuda_array_interface__", None)
    if cai is not None:          # a GPU array: its shape and dtype, without a host copy
        return LeafSpec(TensorType(tuple(cai["shape"]), dtypes.canonical(np.dtype(cai["typestr"]))))
    if isinstance(x, np.ndarray) and type(x) is not np.ndarray:
        _check_subclass(x)
    a = x if isinstance(x, np.ndarray) else np.asarray(x)
    if a.dtype.kind == "O" and a.ndim == 0 and not isinstance(x, np.ndarray):
        raise UnsupportedError(f"argument of type {type(x).__name__} is not an array; mark it static "
                               f"with static_argnums / static_argnames (for a method, jit a function "
                               f"of the arrays, or make `self` static)")
    if a.dtype.kind in "OUSV":
        raise UnsupportedError(f"arguments of dtype {a.dtype} are not supported by xlaish "
                               f"(supported: bool, int8-64, uint8-64, float16/32/64, complex64/128)")
    return LeafSpec(TensorType(a.shape, dtypes.canonical(a.dtype)))


def _mutable(x) -> bool:
    """Is the argument memory the caller sees, which NumPy's in-place operators would change?"""
    if isinstance(x, Tracer):
        return x.weak is None
    return (isinstance(x, (np.ndarray, ShapeDtype)) or hasattr(x, "__cuda_array_interface__")
            or bool(getattr(x, "__cuda_ndarray__", False)))     # Numba's simulator arrays too


def _check_subclass(x) -> None:
    """Refuse an ndarray subclass whose semantics compiled code cannot honour: a masked array
    (its mask would be dropped), ``np.matrix`` (``*`` is a matrix product, shapes stay 2-d), or
    any subclass that overrides NumPy's ufunc / array-function protocols (units, lazy arrays...).
    Plain-data subclasses (``np.memmap``, user subclasses adding attributes) are read as arrays."""
    t = type(x)
    why = None
    if isinstance(x, np.ma.MaskedArray):
        why = "its mask would be ignored; pass x.filled(value) or x.data and the mask separately"
    elif isinstance(x, np.matrix):
        why = "np.matrix operators are matrix products; pass np.asarray(x)"
    elif (getattr(t, "__array_ufunc__", None) is not np.ndarray.__array_ufunc__
          or getattr(t, "__array_function__", None) is not np.ndarray.__array_function__):
        why = "it overrides NumPy's __array_ufunc__/__array_function__; pass np.asarray(x)"
    if why is not None:
        raise UnsupportedError(f"argument of type {t.__module__}.{t.__qualname__} (an ndarray subclass) "
                               f"is not supported: {why}")


class ArgSpec:
    """Binds call arguments to the function's parameters and splits static from dynamic."""

    def __init__(self, fun, static_argnums=(), static_argnames=(), convert=None):
        self.fun = fun
        # what is called while tracing: ``convert(fun)`` (the autograph rewrite) when given
        self.convert = convert
        self.name = getattr(fun, "__name__", "fn").replace("<", "").replace(">", "") or "fn"
        try:
            self.sig = inspect.signature(fun)
        except (TypeError, ValueError):
            self.sig = None
        if isinstance(static_argnums, int):
            static_argnums = (static_argnums,)
        if isinstance(static_argnames, str):
            static_argnames = (static_argnames,)
        names = list(self.sig.parameters) if self.sig else []
        self.static = set(static_argnames)
        if self.sig is not None:
            unknown = sorted(n for n in self.static if n not in self.sig.parameters
                             and not any(p.kind is p.VAR_KEYWORD for p in self.sig.parameters.values()))
            if unknown:
                raise ValueError(f"static_argnames {unknown} are not parameters of {self.name}{self.sig}")
        for i in static_argnums:
            if i >= len(names):
                raise ValueError(f"static_argnums {i} is out of range for {self.name}{self.sig}")
            self.static.add(names[i])

    def split(self, args, kwargs):
        """-> (dynamic dict name->value in order, static tuple of (name, value))."""
        if self.sig is None:
            dyn = {f"arg{i}": a for i, a in enumerate(args)}
            dyn.update(kwargs)
            return dyn, ()
        try:
            bound = self.sig.bind(*args, **kwargs)
        except TypeError as e:
            code = getattr(self.fun, "__code__", None)
            where = f" (defined at {code.co_filename}:{code.co_firstlineno})" if code else ""
            raise context.with_location(TypeError(f"{self.name}{self.sig}{where}: {e}")) from None
        # parameters left at their defaults are not traced: the function applies them itself
        dyn, static = {}, []
        for name, val in bound.arguments.items():
            if name in self.static:
                try:
                    hash(val)
                except TypeError:
                    raise TypeError(f"static argument '{name}' of {self.name} must be hashable, "
                                    f"got {type(val).__name__}") from None
                static.append((name, val))
            else:
                dyn[name] = val
        return dyn, tuple(static)

    def rebuild(self, dyn, static):
        """Positional/keyword arguments for calling ``fun`` again."""
        if self.sig is None:
            return list(dyn.values()), {}
        values = dict(dyn)
        values.update(static)
        args, kwargs = [], {}
        for name, p in self.sig.parameters.items():
            if name not in values:
                continue
            v = values[name]
            if p.kind is p.VAR_POSITIONAL:
                args.extend(v)
            elif p.kind is p.VAR_KEYWORD:
                kwargs.update(v)
            elif p.kind is p.KEYWORD_ONLY:
                kwargs[name] = v
            else:
                args.append(v)
        return args, kwargs


@dataclass
class Traced:
    """A traced program: the IR plus how to map Python arguments and results onto it."""
    function: object
    in_tree: object
    out_tree: object
    in_specs: tuple
    int_bounds: tuple = ()    # (leaf position, lo, hi, dtype name) for weak int arguments
    # arguments the function assigns into: (leaf position, name); their final values are the
    # function's last results, written back into the caller's arrays after each call
    mutated: tuple = ()


def _check_result(argspec: ArgSpec, o) -> None:
    """A result leaf must be an array or a number (pytrees of them are flattened already)."""
    from ..numpy._setitem import MaskedRead, data_dependent
    if type(o) is MaskedRead:
        raise data_dependent("returning x[mask] (boolean-mask indexing)", o.loc)
    if isinstance(o, (Tracer, np.ndarray, np.generic, bool, int, float)):
        if not isinstance(o, (np.ndarray, np.generic)) or o.dtype.kind in "biufc":
            return
        what = f"an array of dtype {o.dtype}"
    else:
        what = f"a {type(o).__name__} object" + (f" ({o!r:.40})" if isinstance(o, (str, bytes)) else "")
    code = getattr(argspec.fun, "__code__", None)
    where = f" (defined at {code.co_filename}:{code.co_firstlineno})" if code else ""
    raise context.with_location(UnsupportedError(
        f"{argspec.name}{where} returned {what}, which is not an array: a jitted function returns "
        f"arrays, numbers, or tuples, lists and dicts of them"))


def check_int_leaves(argspec: ArgSpec, dyn: dict, leaves) -> None:
    """A Python int argument is passed as int64: one beyond its range is refused on every call
    (its value is not part of the signature), naming the argument."""
    for i, x in enumerate(leaves):
        if type(x) is int and not -2**63 <= x < 2**63:
            _, in_tree = pytree.flatten(tuple(dyn.values()))
            names = [p for key, td in zip(dyn, in_tree.children) for p in pytree.leaf_paths(td, key)]
            n = names[i]
            raise context.with_location(OverflowError(
                f"argument {n} of {argspec.name}: Python int {x} does not fit in int64, the type a "
                f"Python int argument is passed as; pass float({n}) or an array of a dtype that holds "
                f"it, or mark it static (static_argnames)"))


def trace(argspec: ArgSpec, dyn: dict, static: tuple) -> Traced:
    leaves, in_tree = pytree.flatten(tuple(dyn.values()))   # parameter order
    specs = tuple(leaf_spec(x) for x in leaves)
    names = []  # in the leaves' order (parameter order)
    for key, td in zip(dyn, in_tree.children):
        names += pytree.leaf_paths(td, key)
    check_int_leaves(argspec, dyn, leaves)
    from ..numpy._creation import creation_returns_tracers
    with context.new_trace(argspec.name) as tr, creation_returns_tracers():
        tr.convert = argspec.convert     # functions traced inside (grad's) convert the same way
        tracers = [Tracer(tr.builder.param(s.type, n), tr, s.weak) for s, n in zip(specs, names)]
        for t, x in zip(tracers, leaves):
            t._arr0 = _mutable(x)          # a 0-d ndarray is an array; a NumPy scalar is not
        initial = [t._val for t in tracers]
        tr.param_pos = {id(t.value): k for k, t in enumerate(tracers)}
        args, kwargs = argspec.rebuild(dict(zip(dyn, pytree.unflatten(in_tree, tracers))), static)
        fun = argspec.convert(argspec.fun) if argspec.convert is not None else argspec.fun
        out = fun(*args, **kwargs)
        out_leaves, out_tree = pytree.flatten(out)
        results = []
        for o in out_leaves:
            _check_result(argspec, o)
            if isinstance(o, Tracer) and o.trace is not tr:
                raise UnsupportedError("a traced value escaped from another trace (a closure over a "
                                       "value of an outer jit is not supported)")
            results.append(to_value(o))
        mutated = []
        for k, (t, x, v0, n) in enumerate(zip(tracers, leaves, initial, names)):
            if t._val is not v0:
                if not _mutable(x):
                    raise UnsupportedError(
                        f"{argspec.name} assigns into its argument {n}, a {type(x).__name__}: the "
                        f"caller could not see the change; pass a NumPy array")
                mutated.append((k, n))
                results.append(t._val)
        fn = tr.builder.build(results)
    return Traced(fn, in_tree, out_tree, specs, tuple(sorted(tr.weak_bounds.values())), tuple(mutated))
