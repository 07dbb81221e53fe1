"""``jit``, ``make_ir``, ``disable_jit``: the user's entry points.

A ``JitFunction`` traces its Python function once per signature (pytree
structure, leaf shapes/dtypes/weak-ness, static argument values), runs the
pass pipeline, compiles with the backend for ``device`` and caches the
executable in memory. ``lower(*args)`` exposes every stage for inspection.
"""
from __future__ import annotations

import contextlib
import functools
import threading

import numpy as np

from .trace import context as _trace_context
from .trace import pytree
from .trace.tracing import ArgSpec, Traced, leaf_spec, trace

_disabled = threading.local()


@contextlib.contextmanager
def disable_jit():
    """Run jitted functions as plain Python/NumPy inside this block (for print and pdb)."""
    prev = getattr(_disabled, "on", False)
    _disabled.on = True
    try:
        yield
    finally:
        _disabled.on = prev


def jit_disabled() -> bool:
    return getattr(_disabled, "on", False)


class Lowered:
    """One signature of a jitted function at every stage: traced IR, optimised IR, kernels."""

    def __init__(self, traced: Traced, optimized, executable, options):
        self.traced = traced
        self.optimized = optimized
        self.executable = executable
        self.options = options

    def as_text(self, stage: str = "optimized") -> str:
        if stage == "traced":
            return str(self.traced.function)
        if stage == "optimized":
            return str(self.optimized)
        raise ValueError(f"unknown stage {stage!r} (traced | optimized)")

    def _artifact(self):
        art = getattr(self.executable, "artifact", None)
        if art is None:
            raise ValueError(f"no native code for device {self.options['device']!r}")
        return art

    def llvm_ir(self, optimized: bool = True) -> str:
        """The program's LLVM IR (after LLVM's O3 pipeline unless optimized=False)."""
        return self._artifact().llvm_ir(optimized)

    def asm(self) -> str:
        """The program's machine code as assembly text, for the host CPU."""
        return self._artifact().asm()

    def cuda_source(self) -> str:
        """The generated Numba CUDA kernel source of this program (device="cuda" only)."""
        src = getattr(self.executable, "source", None)
        if src is None:
            raise ValueError(f"no CUDA source for device {self.options['device']!r} (use device='cuda')")
        return src

    def fusion_report(self):
        from .passes.report import fusion_report
        return fusion_report(self.optimized, unfused=self.traced.function)

    def __str__(self):
        return self.as_text()


def _is_device(x) -> bool:
    """A GPU array (Numba, CuPy, PyTorch): passed to the CUDA backend without a host copy."""
    return type(x) is not np.ndarray and (hasattr(x, "__cuda_array_interface__")
                                          or bool(getattr(x, "__cuda_ndarray__", False)))


def _to_array(x, spec):
    if isinstance(x, np.ndarray) or _is_device(x):
        return x
    return np.asarray(x, dtype=spec.type.dtype)


def _result(a):
    if _is_device(a):            # CUDA results stay on the device
        return a
    a = np.asarray(a)
    if a.ndim == 0:
        return a[()]
    return a


_SCALAR_KEYS = {float: float, int: int, bool: bool}
for _t in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8,
           np.uint16, np.uint32, np.uint64, np.bool_):
    _SCALAR_KEYS[_t] = _t


def _runner(low):
    """The per-signature call path: run the executable, rebuild the result pytree."""
    run = _run(low)
    bounds = low.traced.int_bounds
    if not bounds:
        return run

    def checked(arrays):
        for pos, lo, hi, name in bounds:
            v = int(arrays[pos])       # a Python int (or, on the first call, its 0-d array)
            if not lo <= v <= hi:
                raise OverflowError(f"Python integer {v} out of bounds for {name}")
        return run(arrays)
    return checked


def _run(low):
    exe, t = low.executable, low.traced
    call = getattr(exe, "call_tuple", None)
    if t.out_tree.kind == "leaf" and call is not None:
        def run(arrays):
            out = call(tuple(arrays))[0]
            return out if out.ndim else out[()]
    elif t.out_tree.kind == "leaf":
        def run(arrays):
            return _result(exe(arrays)[0])
    else:
        def run(arrays):
            outs = exe(arrays)
            return pytree.unflatten(t.out_tree, [_result(o) for o in outs])
    return run


_ANY_ARITY = -2


def _has_dask(args, kwargs) -> bool:
    """Is any argument leaf a dask collection? (slow path only: one module-name test per leaf)"""
    leaves, _ = pytree.flatten((args, kwargs))
    return any(type(x).__module__.startswith("dask.") for x in leaves)


def _type_sig(v):
    """The types inside a static value (tuples walked: static values are hashable), for the
    cache key."""
    if isinstance(v, (tuple, list)):
        return (type(v), tuple(_type_sig(x) for x in v))
    return type(v)


class JitFunction:
    def __init__(self, fun, static_argnums=(), static_argnames=(), fuse=True, passes=None,
                 device="cpu"):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.argspec = ArgSpec(fun, static_argnums, static_argnames)
        if device not in ("cpu", "cuda", "interpreter"):
            raise ValueError(f"unknown device {device!r} (cpu | cuda | interpreter)")
        self.options = {"fuse": bool(fuse), "passes": tuple(passes) if passes is not None else None,
                        "device": device}
        self._cache: dict = {}
        self._fast: dict = {}
        sig = self.argspec.sig
        # The fast call path (a dict lookup keyed by the arrays' dtypes and shapes) serves calls
        # whose positional arguments are the leaves in order: a fixed list of positional
        # parameters (_nfast = their number) or a lone ``*args`` (_nfast = _ANY_ARITY, e.g. the
        # xlaish.numpy functions themselves).
        self._nfast = -1
        params = list(sig.parameters.values()) if sig is not None else []
        if sig is not None and not self.argspec.static:
            if all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
                self._nfast = len(params)
            elif len(params) == 1 and params[0].kind is params[0].VAR_POSITIONAL:
                self._nfast = _ANY_ARITY

    def _key(self, args, kwargs):
        dyn, static = self.argspec.split(args, kwargs)
        leaves, tree = pytree.flatten(tuple(dyn.values()))
        specs = tuple(leaf_spec(x) for x in leaves)
        # static values that compare equal but differ in type (3 and 3.0, True and 1) trace
        # differently: their types are part of the key
        return (tree, specs, static, _type_sig([v for _, v in static])), dyn, static, leaves, specs

    def _compile(self, dyn, static) -> Lowered:
        from .compiler import compile_traced
        traced = trace(self.argspec, dyn, static)
        optimized, exe = compile_traced(traced.function, self.options)
        return Lowered(traced, optimized, exe, self.options)

    def lower(self, *args, **kwargs) -> Lowered:
        key, dyn, static, _, _ = self._key(args, kwargs)
        low = self._cache.get(key)
        if low is None:
            low = self._cache[key] = self._compile(dyn, static)
        return low

    def __call__(self, *args, **kwargs):
        if not kwargs and (len(args) == self._nfast or self._nfast == _ANY_ARITY):
            try:
                key = tuple([(a.dtype, a.shape) if type(a) is np.ndarray else _SCALAR_KEYS[type(a)]
                             for a in args])
            except KeyError:
                key = None
            hit = self._fast.get(key) if key is not None else None
            if hit is not None and not getattr(_disabled, "on", False) and _trace_context.current() is None:
                return hit(args)
        else:
            key = None
        if jit_disabled():
            return self.fun(*args, **kwargs)
        from .trace import context
        if context.current() is not None:  # jit inside jit: inline
            return self.fun(*args, **kwargs)
        if _has_dask(args, kwargs):      # dask arrays: a blockwise dask graph (xlaish.dask)
            from .dask import call_jit
            return call_jit(self, args, kwargs)
        fkey = key
        key, dyn, static, leaves, specs = self._key(args, kwargs)
        low = self._cache.get(key)
        if low is None:
            low = self._cache[key] = self._compile(dyn, static)
        runner = _runner(low)
        if fkey is not None and all(s.type.shape == np.shape(a) for s, a in zip(specs, args)):
            fast = None
            if low.traced.out_tree.kind == "leaf" and all(type(a) is np.ndarray for a in args):
                matched = getattr(low.executable, "matched_runner", None)
                fast = matched() if matched is not None else None
            self._fast[fkey] = fast or runner
        return runner([_to_array(x, s) for x, s in zip(leaves, specs)])

    def __reduce__(self):
        # pickling ships the compiled object code of every signature (see xlaish.serialize)
        from .serialize import reduce_jit
        return reduce_jit(self)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)


def jit(fun=None, *, static_argnums=(), static_argnames=(), fuse=True, passes=None, device="cpu"):
    """Compile ``fun`` on first call per signature. Usable as ``@jit`` or ``@jit(fuse=False)``."""
    if fun is None:
        return lambda f: JitFunction(f, static_argnums, static_argnames, fuse, passes, device)
    return JitFunction(fun, static_argnums, static_argnames, fuse, passes, device)


def make_ir(fun, *, static_argnums=(), static_argnames=()):
    """``make_ir(f)(*args)`` -> the traced IR ``Function`` (prints as text)."""
    spec = ArgSpec(fun, static_argnums, static_argnames)

    def traced(*args, **kwargs):
        dyn, static = spec.split(args, kwargs)
        return trace(spec, dyn, static).function

    return traced


