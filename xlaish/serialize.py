"""Pickling jitted functions together with their compiled object code.

``pickle.dumps(f)`` of a :class:`~xlaish.jit.JitFunction` (plain ``pickle`` for a module-level
function, ``cloudpickle`` for closures and lambdas, as Dask does) carries, for every signature
compiled for the CPU, one :class:`Payload`: the object code, the program layout, the optimised and
traced IR as text, the argument/result trees, and the *compile key* -- the same key the on-disk
cache uses (IR hash + target triple, CPU name and features + xlaish and llvmlite versions + the
code generator's source hash + the NaN-check flag; see :mod:`xlaish.runtime.cpu`).

Unpickling (in a Dask worker, say):

* the receiving process recomputes the compile key from the IR text and *its own* CPU and
  versions. Equal: the object code is linked into a fresh MCJIT engine (no tracing, no LLVM
  optimiser or code generator; llvmlite still links the object, about a millisecond) and the
  signature goes straight into the function's cache. Different (other CPU features, other
  xlaish/llvmlite version, changed code generator): the payload is dropped and the function
  retraces and recompiles that signature on its first call, exactly as a fresh ``jit`` would.
* loaded payloads are memoised per process by compile key, so unpickling the same function again
  (Dask deserialises a task's function many times) costs a dict lookup, not a link.
* the IR text is parsed lazily (only ``Lowered.as_text``/``fusion_report``/the NaN debugger need
  it).
* a function ``@jit``-decorated at module level is pickled by reference (module + name), as plain
  ``pickle`` pickles functions; the payloads are merged into the receiving process's own object.
  Anything else (closures, lambdas, ``__main__``) pickles ``fun`` by value, which needs
  ``cloudpickle``.

Signatures for ``device="cuda"``/``"interpreter"`` carry no payload (they recompile on first
call). The CPU runtime's thread pool is one small module LLVM compiles once per process for the
first program with a parallel kernel; a loaded payload does not start it when the process may
use one thread only (``XLAISH_NUM_THREADS=1``, as in Dask workers of 1 thread): such a program
then splits its work on threads of its own if the limit is raised later (correct, slower).

Security: unpickling is trusted input by definition -- ``pickle`` runs code -- and a payload's
object code is executed as-is. Only unpickle what you would import. The on-disk cache keeps its own
integrity checks; nothing here reads or writes it.
"""
from __future__ import annotations

import importlib
import threading

__all__ = ["Payload", "reduce_jit", "payloads", "STATS"]

STATS = {"loaded": 0, "memo_hits": 0, "mismatched": 0}
_MEMO: dict = {}          # compile key -> Lowered (loaded once per process)
_LOCK = threading.Lock()


class Payload:
    """One compiled signature, as shipped: everything to run it without tracing or LLVM."""

    __slots__ = ("key", "compile_key", "opt_text", "traced_text", "in_tree", "out_tree", "in_specs",
                 "int_bounds", "mutated", "obj", "layout")

    def __init__(self, key, compile_key, opt_text, traced_text, in_tree, out_tree, in_specs,
                 int_bounds, mutated, obj, layout):
        self.key, self.compile_key = key, compile_key
        self.opt_text, self.traced_text = opt_text, traced_text
        self.in_tree, self.out_tree, self.in_specs, self.int_bounds = in_tree, out_tree, in_specs, int_bounds
        self.mutated = mutated            # arguments written back after each call (Traced.mutated)
        self.obj, self.layout = obj, layout

    def __reduce__(self):
        return (Payload, tuple(getattr(self, s) for s in self.__slots__))


def payload_of(key, low) -> Payload | None:
    """The payload of one cached ``Lowered`` (None if it has no CPU object code)."""
    oc = getattr(low.executable, "object_code", None)
    if oc is None:
        return None
    from .ir.printer import print_function
    k, obj = oc
    t = low.traced
    return Payload(key, k, print_function(low.optimized), print_function(t.function), t.in_tree,
                   t.out_tree, t.in_specs, t.int_bounds, t.mutated, obj, low.executable.layout)


def payloads(jf) -> list:
    return [p for p in (payload_of(k, low) for k, low in list(jf._cache.items())) if p is not None]


def local_compile_key(opt_text: str) -> str:
    """The compile key this process would give the optimised IR text (cf. runtime.cpu.compile_cpu)."""
    from . import config
    from .runtime import cpu
    return cpu.compile_key(opt_text, config.debug_nans())


class _LazyTraced:
    """``Traced`` with its IR parsed on first use."""

    def __init__(self, p: Payload):
        self._text, self._fn = p.traced_text, None
        self.in_tree, self.out_tree = p.in_tree, p.out_tree
        self.in_specs, self.int_bounds, self.mutated = p.in_specs, p.int_bounds, p.mutated

    @property
    def function(self):
        if self._fn is None:
            from .ir.parser import parse
            self._fn = parse(self._text)
        return self._fn


def _lowered_class():
    from .lowered import Lowered
    from .runtime.native import NativeExecutable

    class LoadedExecutable(NativeExecutable):
        """A ``NativeExecutable`` over shipped object code; IR for debugging parsed on demand."""
        traced = property(lambda s: s._lazy.function, lambda s, v: None)

        @property
        def artifact(self):
            from .runtime.cpu import CpuArtifact
            return CpuArtifact(self._opt())

    class LoadedLowered(Lowered):
        """A ``Lowered`` rebuilt from a payload: the optimised IR is parsed on first use."""

        def __init__(self, traced, opt_text, executable, options):
            self.traced, self._opt_text, self._opt = traced, opt_text, None
            self.executable, self.options = executable, options

        @property
        def optimized(self):
            if self._opt is None:
                from .ir.parser import parse
                self._opt = parse(self._opt_text)
            return self._opt

    return LoadedExecutable, LoadedLowered


_CLASSES: list = []


def load(p: Payload, options):
    """The ``Lowered`` of a payload, or None if this process's CPU/versions differ."""
    low = _MEMO.get(p.compile_key)
    if low is not None:
        STATS["memo_hits"] += 1
        return low
    with _LOCK:
        low = _MEMO.get(p.compile_key)
        if low is not None:
            return low
        if local_compile_key(p.opt_text) != p.compile_key:
            STATS["mismatched"] += 1
            return None
        if not _CLASSES:
            _CLASSES.extend(_lowered_class())
        exe_cls, low_cls = _CLASSES
        from .runtime import cpu
        engine = cpu._engine_from_object(p.obj)
        addr, py_addr = engine.get_function_address("xl_entry"), engine.get_function_address("xl_entry_py")
        if not addr or not py_addr:
            raise RuntimeError("xlaish: shipped object code lacks its entry points")
        traced = _LazyTraced(p)
        layout = p.layout
        from . import config
        # a one-thread process (a Dask worker of 1 thread) does not start the runtime's thread
        # pool, whose module LLVM would compile: the program then runs on the calling thread
        pool = cpu._pool_slot(engine, layout) if config.num_threads() > 1 else None
        exe = exe_cls.__new__(exe_cls)
        exe._lazy = traced
        exe.__init__(addr, layout, keepalive=engine, py_address=py_addr,
                     hook_address=engine.get_global_value_address(layout.hook_name), program=None,
                     traced=None, pool_address=pool,
                     scratch=cpu._scratch(engine, layout))
        exe.object_code = (p.compile_key, p.obj)
        low = low_cls(traced, p.opt_text, exe, options)
        exe._opt = lambda: low.optimized
        _MEMO[p.compile_key] = low
        STATS["loaded"] += 1
        return low


def _install(jf, entries):
    for p in entries:
        if p.key in jf._cache:
            continue
        low = load(p, jf.options)
        if low is not None:
            jf._cache[p.key] = low
    return jf


def _by_reference(jf) -> tuple[str, str] | None:
    mod, qual = getattr(jf.fun, "__module__", None), getattr(jf.fun, "__qualname__", "")
    if not mod or mod == "__main__" or "<" in qual:
        return None
    try:
        obj = importlib.import_module(mod)
        for part in qual.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None
    return (mod, qual) if obj is jf else None


def rebuild_ref(module, qualname, entries):
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return _install(obj, entries)


def rebuild(cls, fun, static_argnames, options, entries):
    """A by-value function: ``cls`` (JitFunction, pickled by reference) wraps it again."""
    jf = cls(fun, static_argnames=tuple(static_argnames), fuse=options["fuse"],
             passes=options["passes"], device=options["device"])
    return _install(jf, entries)


def reduce_jit(jf):
    """``JitFunction.__reduce__``: by reference when importable, else the function by value."""
    entries = payloads(jf)
    ref = _by_reference(jf)
    if ref is not None:
        return (rebuild_ref, (*ref, entries))
    return (rebuild, (type(jf), jf.fun, tuple(sorted(jf.argspec.static)), dict(jf.options), entries))
