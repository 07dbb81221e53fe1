"""Compile a fused program for the CPU: LLVM module -> object code -> NativeExecutable.

Compiled object code is cached in memory by the JIT and on disk by
:mod:`.cache`; a disk hit loads the object into a fresh MCJIT engine without
running LLVM's optimiser or code generator.
"""
from __future__ import annotations

import llvmlite
import llvmlite.binding as llvm

from ..codegen.cpu import halfsupport, llvm_target
from ..codegen.cpu.program import build_module
from ..ir.printer import print_function
from . import cache
from .native import NativeExecutable

STATS = {"llvm_compiles": 0}


_FINGERPRINT = None


def _codegen_fingerprint() -> str:
    """Hash of the CPU backend's own source, so a changed code generator never reuses old objects."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        import glob
        import hashlib
        import os
        from ..codegen import cpu as cpu_pkg
        h = hashlib.sha256()
        here = os.path.dirname(cpu_pkg.__file__)
        for path in sorted(glob.glob(os.path.join(here, "*.py")) + [__file__]):
            with open(path, "rb") as f:
                h.update(f.read())
        _FINGERPRINT = h.hexdigest()[:16]
    return _FINGERPRINT


def _target_id():
    llvm_target.initialize()
    tm = llvm_target.target_machine()
    return f"{tm.triple}|{llvm.get_host_cpu_name()}|{llvm_target._host_features()}"


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
    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), llvm_target.new_target_machine())
    engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
    engine.finalize_object()
    return engine


def compile_cpu(fn, traced=None):
    from .. import __version__, config
    nans = config.debug_nans()
    k = cache.key(print_function(fn), _target_id(), __version__, llvmlite.__version__, f"nans={nans}",
                  _codegen_fingerprint())
    hit = cache.load(k)
    if hit is not None:
        obj, layout = hit
        try:
            engine = _engine_from_object(obj)
            addr = engine.get_function_address("xl_entry")
            py_addr = engine.get_function_address("xl_entry_py")
            if not addr or not py_addr:
                raise RuntimeError("entry points missing from cached object")
            exe = NativeExecutable(addr, layout, keepalive=engine, py_address=py_addr,
                                   hook_address=engine.get_global_value_address(layout.hook_name),
                                   program=fn, traced=traced, pool_address=_pool_slot(engine, layout),
                                   scratch=_scratch(engine, layout))
            exe.artifact = CpuArtifact(fn)
            exe.object_code = (k, obj)      # for xlaish.serialize (shipping compiled functions)
            return exe
        except Exception:
            cache.STATS["corrupt"] += 1
            cache.invalidate(k)
    module, layout = build_module(fn, debug_nans=nans, cache_scratch=True)
    llvm_target.initialize()
    ref = llvm.parse_assembly(str(module))
    ref.verify()
    tm = llvm_target.target_machine()
    llvm_target.optimize(ref, tm)
    STATS["llvm_compiles"] += 1
    obj = tm.emit_object(ref)
    cache.store(k, obj, layout)
    engine = _engine_from_object(obj)
    exe = NativeExecutable(engine.get_function_address("xl_entry"), layout, keepalive=engine,
                           py_address=engine.get_function_address("xl_entry_py"),
                           hook_address=engine.get_global_value_address(layout.hook_name),
                           program=fn, traced=traced, pool_address=_pool_slot(engine, layout),
                           scratch=_scratch(engine, layout))
    exe.artifact = CpuArtifact(fn, ref)
    exe.object_code = (k, obj)              # for xlaish.serialize (shipping compiled functions)
    return exe
