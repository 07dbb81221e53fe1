"""Compile a fused program for the CPU: LLVM module -> object code -> NativeExecutable.

Compiled object code is cached in memory by the JIT and on disk by
:mod:`.cache` (an entry: the object code, its layout as JSON in the header);
a disk hit loads the object into a fresh MCJIT engine without running LLVM's
optimiser or code generator.
"""
from __future__ import annotations

import sys
import time

import llvmlite
import llvmlite.binding as llvm
import numpy as np

from ..codegen.cpu import halfsupport, llvm_target
from ..codegen.cpu.program import ProgramLayout, build_module
from ..ir.printer import print_function
from ..ir.types import TensorType
from . import cache, lapack
from .native import NativeExecutable

STATS = {"llvm_compiles": 0}


def _fingerprint() -> str:
    """The CPU code generator's and this runtime's source: a changed one never reuses entries."""
    from ..codegen import cpu as cpu_pkg
    from . import native
    return cache.fingerprint(cpu_pkg, sys.modules[__name__], native)


def _target_id():
    llvm_target.initialize()
    tm = llvm_target.target_machine()
    return f"{tm.triple}|{llvm.get_host_cpu_name()}|{llvm_target._host_features()}"


# ---- the layout as plain data (a cache entry's header holds it; nothing is unpickled) -----------
def _type_json(t):
    return [list(t.shape), t.dtype.str]


def _type_of(v):
    shape, dt = v
    return TensorType(tuple(int(d) for d in shape), np.dtype(str(dt)))


def layout_to_json(layout: ProgramLayout) -> dict:
    return {
        "param_types": [_type_json(t) for t in layout.param_types],
        "result_types": [_type_json(t) for t in layout.result_types],
        "kernels": list(layout.kernels), "parallel": bool(layout.parallel),
        "prints": [[fmt, [_type_json(t) for t in types]] for fmt, types in layout.prints],
        "checks": list(layout.checks),
        "nan_kernels": [[k, [[n, loc] for n, loc in ops]] for k, ops in layout.nan_kernels],
        "hook_name": layout.hook_name, "pool_name": layout.pool_name,
        "scratch_name": layout.scratch_name, "scratch_cells": int(layout.scratch_cells),
        "interrupt_name": layout.interrupt_name,
    }


def layout_from_json(d: dict) -> ProgramLayout:
    """The layout back from its JSON form; ValueError if it is malformed."""
    try:
        return ProgramLayout(
            param_types=[_type_of(t) for t in d["param_types"]],
            result_types=[_type_of(t) for t in d["result_types"]],
            kernels=[str(k) for k in d["kernels"]], parallel=bool(d["parallel"]),
            prints=[(str(fmt), [_type_of(t) for t in types]) for fmt, types in d["prints"]],
            checks=[str(c) for c in d["checks"]],
            nan_kernels=[(str(k), [(str(n), None if loc is None else str(loc)) for n, loc in ops])
                         for k, ops in d["nan_kernels"]],
            hook_name=str(d["hook_name"]), pool_name=str(d["pool_name"]),
            scratch_name=str(d["scratch_name"]), scratch_cells=int(d["scratch_cells"]),
            interrupt_name=str(d["interrupt_name"]))
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"malformed layout: {e}") from None


class CpuArtifact:
    """The LLVM side of one compiled program, for inspection (built on demand after a cache hit)."""

    def __init__(self, fn, module_ref=None):
        self.fn = fn
        self._ref = module_ref

    def module_ref(self):
        if self._ref is None:
            module, _ = build_module(self.fn, cache_scratch=True)
            ref = llvm.parse_assembly(str(module))
            llvm_target.optimize(ref, llvm_target.target_machine())
            self._ref = ref
        return self._ref

    def llvm_ir(self, optimized: bool = True) -> str:
        if not optimized:
            return str(build_module(self.fn, cache_scratch=True)[0])
        return str(self.module_ref())

    def asm(self) -> str:
        return llvm_target.target_machine().emit_assembly(self.module_ref())


def _pool_slot(engine, layout):
    name = getattr(layout, "pool_name", "")
    return engine.get_global_value_address(name) if name else None


def _scratch(engine, layout):
    name = getattr(layout, "scratch_name", "")
    return (engine.get_global_value_address(name), layout.scratch_cells) if name else None


def _engine_from_object(obj: bytes):
    llvm_target.initialize()
    halfsupport.symbols_for(obj)
    lapack.symbols_for(obj)
    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), llvm_target.new_target_machine())
    engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
    engine.finalize_object()
    return engine


def _executable(engine, fn, traced, layout, key, obj, ref=None) -> NativeExecutable:
    addr = engine.get_function_address("xl_entry")
    py_addr = engine.get_function_address("xl_entry_py")
    if not addr or not py_addr:
        raise RuntimeError("entry points missing from the object code")
    exe = NativeExecutable(addr, layout, keepalive=engine, py_address=py_addr,
                           hook_address=engine.get_global_value_address(layout.hook_name),
                           program=fn, traced=traced, pool_address=_pool_slot(engine, layout),
                           scratch=_scratch(engine, layout))
    exe.artifact = CpuArtifact(fn, ref)
    exe.object_code = (key, obj)          # for xlaish.serialize (shipping compiled functions)
    return exe


def _check_layout(layout, fn) -> None:
    """The cached layout describes this program's parameters and results."""
    if (list(layout.param_types) != [p.type for p in fn.params]
            or list(layout.result_types) != [r.type for r in fn.results]):
        raise ValueError("cached layout does not match the program")


def compile_key(ir_text: str, nans: bool) -> str:
    """The one key of a program's object code: its optimised IR text, the target CPU, the
    versions, the NaN-check flag and the code generator's source (the disk cache and
    xlaish.serialize both use it)."""
    from .._version import __version__
    return cache.key(ir_text, _target_id(), __version__, llvmlite.__version__, f"nans={nans}",
                     _fingerprint())


def compile_cpu(fn, traced=None, debug_nans: bool | None = None, disk_cache: bool = True,
                stats: dict | None = None):
    """A NativeExecutable for an optimised function: from the disk cache when an authentic entry
    for exactly this program exists, else compiled by LLVM (once across processes: the compile
    holds the key's cache lock) and stored. ``stats``: a dict that receives the seconds spent
    in ``codegen_s``, ``llvm_optimize_s``, ``llvm_emit_s``, ``load_s`` and the disk cache's
    ``disk_cache`` (``hit`` | ``miss`` | ``off``)."""
    from .. import config
    stats = {} if stats is None else stats
    nans = config.debug_nans() if debug_nans is None else debug_nans
    k = compile_key(print_function(fn), nans)
    if not disk_cache or config.cache_dir() is None:
        stats["disk_cache"] = "off"
    if not disk_cache:
        return _compile(fn, traced, nans, k, store=False, stats=stats)
    with cache.lock("cpu", k):      # a process compiling k holds it: the others then load its entry
        exe = _from_cache(fn, traced, k, stats)
        if exe is not None:
            stats["disk_cache"] = "hit"
            return exe
        if stats.get("disk_cache") is None:
            stats["disk_cache"] = "miss"
        return _compile(fn, traced, nans, k, stats=stats)


def _from_cache(fn, traced, k, stats):
    hit = cache.load("cpu", k, ident=k)
    if hit is None:
        return None
    meta, obj = hit
    try:
        layout = layout_from_json(meta["layout"])
        _check_layout(layout, fn)
        t0 = time.perf_counter()
        exe = _executable(_engine_from_object(obj), fn, traced, layout, k, obj)
        stats["load_s"] = time.perf_counter() - t0
        return exe
    except Exception:
        cache.STATS["corrupt"] += 1
        cache.STATS["hits"] -= 1
        cache.invalidate("cpu", k)
        return None


def _compile(fn, traced, nans: bool, k: str, store: bool = True, stats=None):
    stats = {} if stats is None else stats
    t0 = time.perf_counter()
    module, layout = build_module(fn, debug_nans=nans, cache_scratch=True)
    llvm_target.initialize()
    # a private LLVM context per compile: types and constants uniqued in LLVM's global context
    # are never freed, so a process that compiles many programs would keep them all
    ref = llvm.parse_assembly(str(module), context=llvm.create_context())
    ref.verify()
    tm = llvm_target.target_machine()
    t1 = time.perf_counter()
    llvm_target.optimize(ref, tm)
    STATS["llvm_compiles"] += 1
    t2 = time.perf_counter()
    obj = tm.emit_object(ref)
    t3 = time.perf_counter()
    del ref                 # the optimised module is rebuilt on demand for inspection (CpuArtifact)
    if store:
        cache.store("cpu", k, ident=k, payload=obj, meta={"layout": layout_to_json(layout)})
    t4 = time.perf_counter()
    exe = _executable(_engine_from_object(obj), fn, traced, layout, k, obj)
    stats.update(codegen_s=t1 - t0, llvm_optimize_s=t2 - t1, llvm_emit_s=t3 - t2,
                 load_s=time.perf_counter() - t4)
    return exe
