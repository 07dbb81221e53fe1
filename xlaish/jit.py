"""``jit``, ``make_ir``, ``disable_jit``: the user's entry points.

A ``JitFunction`` traces its Python function once per signature (pytree
structure, leaf shapes/dtypes/weak-ness, static argument values, and the
resolved :class:`~xlaish.options.CompileOptions`), runs the pass pipeline,
compiles with the backend for ``device`` and caches the executable in memory.
``lower(*args)`` exposes every stage for inspection.

The compiled signatures belong to the underlying function object, not to the wrapper: every
``jit(f)`` of the same ``f`` with the same options shares one bounded (LRU) signature cache, so
``xl.jit(f)(x)`` written inline in a loop compiles once. The cache is held weakly by ``f`` (it
goes when ``f`` does); a bound method's is held by its function and its instance. Two closures
made by one ``def`` are different function objects and share nothing. Diagnostics: the
explanation of a recompile (``explain``; ``XLAISH_EXPLAIN_CACHE_MISSES``), the compile log
(``XLAISH_LOG_COMPILES``, :meth:`Lowered.compile_stats`) and a warning when one function has
compiled many signatures, all through the logger ``xlaish.jit`` and :mod:`warnings`.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import os
import sys
import threading
import time
import warnings
from types import FunctionType

import numpy as np

from . import config
from ._jit_cache import (
    _ALL,
    RecompileWarning,
    _compile_log_line,
    _explain_miss,
    _options_key,
    _shared_entry,
    _signature_text,
    _Signatures,
    _type_sig,
    default_signatures,
    remember_default,
)
from .lowered import Lowered
from .options import CompileOptions
from .trace import context as _trace_context
from .trace import pytree
from .trace.tracing import ArgSpec, check_int_leaves, leaf_spec, trace


def _autograph(fun):
    from .autograph import convert
    return convert(fun)

class _Disabled(threading.local):
    on = False          # a class default: reading it never raises (getattr with a default on a
                        # thread-local that lacks the attribute costs an exception, ~0.7 us)


_disabled = _Disabled()
STATS = {"compiles": 0}             # signatures compiled by every JitFunction of this process
log = logging.getLogger("xlaish.jit")


@contextlib.contextmanager
def disable_jit():
    """Run jitted functions as plain Python/NumPy inside this block (for print and pdb)."""
    prev = _disabled.on
    _disabled.on = True
    try:
        yield
    finally:
        _disabled.on = prev


def jit_disabled() -> bool:
    return _disabled.on


def _is_device(x) -> bool:
    """A GPU array (Numba, CuPy, PyTorch): passed to the CUDA backend without a host copy."""
    return type(x) is not np.ndarray and (hasattr(x, "__cuda_array_interface__")
                                          or bool(getattr(x, "__cuda_ndarray__", False)))


def _to_array(x, spec):
    """A leaf as the executable takes it: device arrays as they are, anything else an ndarray
    of exactly the traced dtype (a byte-swapped array is converted here, once per call)."""
    if (type(x) is np.ndarray and x.dtype == spec.type.dtype) or _is_device(x):
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
    if t.mutated:
        return _run_mutating(low)
    if t.out_tree.kind == "leaf":
        call = exe.call_tuple

        def run(arrays):
            out = call(tuple(arrays))[0]
            if type(out) is np.ndarray:
                return out if out.ndim else out[()]
            return _result(out)
    else:
        def run(arrays):
            outs = exe(arrays)
            return pytree.unflatten(t.out_tree, [_result(o) for o in outs])
    return run


def _run_mutating(low):
    """The call path of a function that assigns into arguments: its last results are those
    arguments' final values, copied into the caller's arrays (NumPy's semantics). Takes the
    caller's leaves themselves (the write-back needs them, not converted copies)."""
    exe, t = low.executable, low.traced
    mut, specs, name = t.mutated, t.in_specs, low.traced.function.name
    nres = len(t.function.results) - len(mut)

    def run(leaves):
        for k, arg in mut:
            x = leaves[k]
            if isinstance(x, np.ndarray) and not x.flags.writeable:
                raise ValueError(f"{name}: argument {arg} is assigned into, but the array passed is "
                                 f"read-only (NumPy: assignment destination is read-only)")
            if not isinstance(x, np.ndarray) and not _is_device(x):
                raise TypeError(f"{name}: argument {arg} is assigned into, but a "
                                f"{type(x).__name__} was passed: pass a NumPy (or device) array")
            for j, y in enumerate(leaves):
                if j != k and _may_share(x, y):
                    other = [n for p, n in enumerate(_leaf_names(t)) if p == j]
                    raise ValueError(
                        f"{name}: argument {arg} is assigned into and shares memory with argument "
                        f"{other[0] if other else j} (the same array passed twice, or "
                        f"overlapping views): a compiled function cannot honour the aliasing; "
                        f"pass a copy")
        outs = exe([_to_array(x, s) for x, s in zip(leaves, specs)])
        for (k, _), new in zip(mut, outs[nres:]):
            _write_back(leaves[k], new)
        return pytree.unflatten(t.out_tree, [_result(o) for o in outs[:nres]])
    return run


def _leaf_names(t):
    return [p.hint for p in t.function.params]


def _may_share(x, y) -> bool:
    """Do two argument leaves (host or device arrays) possibly overlap?"""
    if isinstance(x, np.ndarray) and isinstance(y, np.ndarray):
        try:
            return bool(np.shares_memory(x, y, max_work=10000))
        except np.exceptions.TooHardError:
            return True
    if _is_device(x) and _is_device(y):
        from .runtime.cuda import shares_memory
        return shares_memory(x, y)
    return False


def _write_back(dst, new) -> None:
    """Copy an argument's final value into the caller's array (host or device)."""
    if isinstance(dst, np.ndarray):
        np.copyto(dst, new if isinstance(new, np.ndarray) else new.copy_to_host(), casting="unsafe")
    else:      # a device array (Numba, CuPy, PyTorch; strided views too): copied on the device
        from .runtime.cuda import write_back
        write_back(dst, new)


_ANY_ARITY = -2
_env_stamp = config.compiled_env_stamp
_ndarray = np.ndarray
# this thread's trace state (its ``stack`` is non-empty while the thread traces), read through
# its dict: getattr with a default costs an exception in a thread that never traced
_trace_dict = functools.partial(getattr, _trace_context._state, "__dict__")


def _fast_ok(specs, args) -> bool:
    """May the fast path (keyed on each ndarray's dtype and shape, scalars' types) serve later
    calls like this one? Only when the key pins down everything the signature depends on: the
    shapes match, and every array's dtype is exactly the traced one (a byte-swapped ``>f4`` has
    its own fast key, but the signature canonicalises it to native ``float32``, so it must always
    take the converting path). Layout (contiguity, alignment) varies under one key: the fast
    runners check it per call."""
    for s, a in zip(specs, args):
        if s.type.shape != np.shape(a):
            return False
        if type(a) is np.ndarray and a.dtype != s.type.dtype:
            return False
    return True


def _has_dask(args, kwargs) -> bool:
    """Is any argument leaf a dask collection? (slow path only: one module-name test per leaf)"""
    leaves, _ = pytree.flatten((args, kwargs))
    return any(type(x).__module__.startswith("dask.") for x in leaves)




class JitFunction:
    def __init__(self, fun, static_argnums=(), static_argnames=(), fuse=True, passes=None,
                 device="cpu", debug_nans=None, disk_cache=True, autograph=True):
        default = (type(fun) is FunctionType and static_argnums == () and static_argnames == ()
                   and fuse is True and passes is None and device == "cpu" and debug_nans is None
                   and disk_cache is True and autograph is True)
        sigs = default_signatures(fun) if default else None
        if sigs is None:
            okey = _options_key(fun, static_argnums, static_argnames, fuse, passes, device, debug_nans,
                                disk_cache, autograph)
            shared = _shared_entry(fun) if okey is not None else None
            sigs = shared.get(okey) if shared is not None else None
            if default and sigs is not None:
                remember_default(fun, sigs)
        if sigs is not None and sigs.template is not None:
            # another jit of this function with these options was built: its state, no checks
            d = self.__dict__
            d.update(sigs.template)
            d["fun"] = d["__wrapped__"] = fun
            return              # self.argspec: made from sigs.spec_state when first needed
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.options = CompileOptions(device=device, fuse=fuse, passes=passes, debug_nans=debug_nans,
                                      disk_cache=disk_cache, autograph=autograph)
        self.argspec = ArgSpec(fun, static_argnums, static_argnames,
                               convert=_autograph if self.options.autograph else None)
        if sigs is None:
            sigs = _Signatures(self.options)
            if shared is not None:
                sigs = shared.setdefault(okey, sigs)
                if default:
                    remember_default(fun, sigs)
        # the compiled signatures (shared): _cache and _fast are sigs' own dicts, never rebound
        self._sigs = sigs
        self._cache = sigs.cache
        self._fast = sigs.fast
        self.compile_count = 0          # signatures compiled through this wrapper
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
        if shared is not None and sigs.template is None and not getattr(fun, "__dict__", None):
            # (a function with attributes of its own is wrapped in full each time: they may
            # refer to it, and the template must not keep it alive)
            sigs.spec_state = {k: v for k, v in vars(self.argspec).items() if k != "fun"}
            sigs.template = {k: v for k, v in self.__dict__.items()
                             if k not in ("fun", "__wrapped__", "argspec")}

    def _key(self, args, kwargs):
        dyn, static = self.argspec.split(args, kwargs)
        leaves, tree = pytree.flatten(tuple(dyn.values()))
        check_int_leaves(self.argspec, dyn, leaves)
        specs = tuple(leaf_spec(x) for x in leaves)
        # static values that compare equal but differ in type (3 and 3.0, True and 1) trace
        # differently: their types are part of the key
        return ((tree, specs, static, _type_sig([v for _, v in static]), self._sigs.resolved),
                dyn, static, leaves, specs)

    def _refresh_options(self) -> None:
        """The environment a compile option derives from changed: resolve the options again and
        drop the fast path (whose entries were compiled for the old value)."""
        env = config.compiled_env_stamp()
        sigs = self._sigs
        if env != sigs.env:
            sigs.fast.clear()
            sigs.resolved = self.options.resolve()
            sigs.env = env

    @property
    def _name(self) -> str:
        return getattr(self.fun, "__qualname__", None) or self.argspec.name

    def _compile(self, dyn, static, options: CompileOptions) -> Lowered:
        from .compiler import compile_traced
        stats = dict.fromkeys(("trace_s", "passes_s", "codegen_s", "llvm_optimize_s", "llvm_emit_s",
                               "load_s", "backend_s", "total_s"), 0.0)
        stats["disk_cache"] = None
        t0 = time.perf_counter()
        traced = trace(self.argspec, dyn, static)
        stats["trace_s"] = time.perf_counter() - t0
        optimized, exe = compile_traced(traced.function, options, stats=stats)
        stats["total_s"] = time.perf_counter() - t0
        stats["function"] = self._name
        stats["signature"] = _signature_text(tuple(dyn), traced.in_tree, traced.in_specs, static)
        stats["device"] = options.device
        low = Lowered(traced, optimized, exe, options, stats=stats)
        low.arg_names = tuple(dyn)
        if config.log_compiles():
            log.warning(_compile_log_line(stats))
        return low

    def _lowered(self, key, dyn, static) -> Lowered:
        """The compiled signature for ``key``: cached, or compiled by exactly one thread (the
        others wait on the key's lock and then find it cached)."""
        sigs = self._sigs
        cache = sigs.cache
        with sigs.mutex:
            low = cache.get(key)
            if low is not None:
                cache.move_to_end(key)
                return low
            lock = sigs.locks.get(key)
            if lock is None:
                lock = sigs.locks[key] = threading.Lock()
        try:
            with lock:
                low = cache.get(key)
                if low is None:
                    if cache and config.explain_cache_misses():
                        with sigs.mutex:
                            items = list(cache.items())
                        log.warning(_explain_miss(self._name, key, tuple(dyn), items))
                    low = self._compile(dyn, static, key[-1])
                    with sigs.mutex:
                        cache[key] = low
                        self.compile_count += 1
                        sigs.compiles += 1
                        STATS["compiles"] += 1
                        bound = config.max_signatures()
                        if len(cache) > bound:
                            while len(cache) > bound:
                                cache.popitem(last=False)
                            sigs.fast.clear()     # it may serve an evicted signature
                        warn = not sigs.warned and sigs.compiles > config.recompile_warning() > 0
                        if warn:
                            sigs.warned = True
                    if warn:
                        warnings.warn(
                            f"{self._name} has compiled {sigs.compiles} signatures (the argument shapes, "
                            f"dtypes, Python scalar types or static values keep changing); set "
                            f"XLAISH_EXPLAIN_CACHE_MISSES=1 or call .explain(*args) to see what changes",
                            RecompileWarning, stacklevel=3)
        finally:
            with sigs.mutex:
                if sigs.locks.get(key) is lock:
                    del sigs.locks[key]
        return low

    def explain(self, *args, **kwargs) -> str:
        """Why a call with these arguments would compile (which argument changed and how, against
        the closest compiled signature), or that it would not: a string, nothing compiled."""
        self._refresh_options()
        key, dyn, static, _, _ = self._key(args, kwargs)
        sigs = self._sigs
        with sigs.mutex:
            items = list(sigs.cache.items())
        if any(k == key for k, _ in items):
            return (f"{self._name}: compiled for this signature "
                    f"({_signature_text(tuple(dyn), key[0], key[1], static)}): no compile")
        if not items:
            return f"{self._name}: no compiled signature yet: the first call compiles"
        return _explain_miss(self._name, key, tuple(dyn), items)

    def clear_cache(self) -> None:
        """Forget every compiled signature of this function (they compile again on next use),
        for every ``jit`` of it with these options (they share them)."""
        self._sigs.clear()

    def lower(self, *args, **kwargs) -> Lowered:
        self._refresh_options()
        key, dyn, static, _, _ = self._key(args, kwargs)
        return self._lowered(key, dyn, static)

    def __getattr__(self, name):
        # only for attributes the instance lacks: a wrapper made from its signatures' template
        # (see __init__) builds its ArgSpec on first use (the fast call path never needs it)
        if name != "argspec" or "_sigs" not in self.__dict__:
            raise AttributeError(name)
        spec = ArgSpec.__new__(ArgSpec)
        spec.__dict__.update(self._sigs.spec_state)
        spec.fun = self.fun
        self.__dict__["argspec"] = spec
        return spec

    def __call__(self, *args, **kwargs):
        if not kwargs and (len(args) == self._nfast or self._nfast == _ANY_ARITY):
            # the fast path: one dict lookup keyed by the leaves' dtypes and shapes (scalars: their
            # types); a lone argument's key is its entry, not a 1-tuple (keys only ever meet keys
            # built here, and a multi-argument key never has a dtype as its first item)
            if len(args) == 1:
                a = args[0]
                key = (a.dtype, a.shape) if type(a) is _ndarray else _SCALAR_KEYS.get(type(a))
            else:
                try:
                    key = tuple([(a.dtype, a.shape) if type(a) is _ndarray else _SCALAR_KEYS[type(a)]
                                 for a in args])
                except KeyError:
                    key = None
            hit = self._fast.get(key)
            if (hit is not None and _env_stamp() == self._sigs.env and not _disabled.on
                    and not _trace_dict().get("stack")):     # (trace.context.current() is None)
                try:
                    return hit(args)
                except OverflowError:
                    pass        # a Python int beyond int64: the slow path names the argument
        else:
            key = None
        if jit_disabled():
            return self.fun(*args, **kwargs)
        from .trace import context
        if context.current() is not None:  # jit inside jit: inline
            fun = self.argspec.convert(self.fun) if self.argspec.convert is not None else self.fun
            return fun(*args, **kwargs)
        if _has_dask(args, kwargs):      # dask arrays: a blockwise dask graph (xlaish.dask)
            from .dask import call_jit
            return call_jit(self, args, kwargs)
        fkey = key
        self._refresh_options()
        key, dyn, static, leaves, specs = self._key(args, kwargs)
        low = self._lowered(key, dyn, static)
        runner = _runner(low)
        if low.traced.mutated:       # the runner writes back into the caller's own leaves
            if fkey is not None and _fast_ok(specs, args):
                self._fast[fkey] = runner
            return runner(leaves)
        if fkey is not None and _fast_ok(specs, args):
            fast = None
            tree = low.traced.out_tree
            if all(type(a) is np.ndarray for a in args) and not low.traced.int_bounds:
                if tree.kind == "leaf":
                    fast = low.executable.matched_runner()
                elif tree.kind == "tuple" and all(c.kind == "leaf" for c in tree.children):
                    fast = low.executable.matched_runner(as_tuple=True)
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


def jit(fun=None, *, static_argnums=(), static_argnames=(), fuse=True, passes=None, device="cpu",
        debug_nans=None, disk_cache=True, autograph=True):
    """Compile ``fun`` on first call per signature. Usable as ``@jit`` or ``@jit(fuse=False)``.

    Options (see :class:`xlaish.options.CompileOptions`): ``device`` (cpu | cuda | interpreter),
    ``fuse``, ``passes``, ``debug_nans`` (None: follow ``XLAISH_DEBUG_NANS``), ``disk_cache``
    (False: neither read nor write the on-disk compile cache), ``autograph`` (False: Python
    ``if``/``for``/``while`` run as Python while tracing, unrolled or refused on traced values;
    see :mod:`xlaish.autograph`)."""
    if fun is not None:
        return JitFunction(fun, static_argnums, static_argnames, fuse, passes, device, debug_nans,
                           disk_cache, autograph)

    def make(f):
        return JitFunction(f, static_argnums, static_argnames, fuse, passes, device, debug_nans, disk_cache,
                           autograph)
    return make


def clear_caches() -> None:
    """Drop every compiled program this process holds in memory (every jitted function's
    signatures, loaded CUDA modules) and its view of the disk cache (checked directories, the
    key); the on-disk entries stay. Programs compile (or load from disk) again on next use."""
    for sigs in list(_ALL):
        sigs.clear()
    cuda = sys.modules.get(__package__ + ".runtime.cuda")     # never imported here (numba)
    if cuda is not None:
        with cuda._MODULES_LOCK:
            cuda._MODULES.clear()
    from .runtime import cache
    cache.clear_memory()


def _after_fork_in_child() -> None:
    # a lock held by another thread at fork stays held in the child
    global _SHARED_LOCK
    _SHARED_LOCK = threading.Lock()
    for sigs in list(_ALL):
        sigs.mutex = threading.Lock()
        sigs.locks = {}


def _before_fork() -> None:
    """Let imports of xlaish's (lazily imported) compiler modules and llvmlite that another thread
    is running finish first: a child forked midway inherits their import locks held by a thread
    it does not have, and its first compile would wait on them forever. (Imports of other
    modules in flight at fork time hang the child the same way: CPython's behaviour.)"""
    for name, m in list(sys.modules.items()):
        if (name == __package__ or name.startswith((__package__ + ".", "llvmlite"))) and \
                getattr(getattr(m, "__spec__", None), "_initializing", False):
            with contextlib.suppress(Exception):      # importlib waits for the importing thread
                importlib.import_module(name)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


def make_ir(fun, *, static_argnums=(), static_argnames=(), autograph=True):
    """``make_ir(f)(*args)`` -> the traced IR ``Function`` (prints as text)."""
    spec = ArgSpec(fun, static_argnums, static_argnames, convert=_autograph if autograph else None)

    def traced(*args, **kwargs):
        dyn, static = spec.split(args, kwargs)
        return trace(spec, dyn, static).function

    return traced


