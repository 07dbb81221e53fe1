"""Shared llvmlite plumbing for the CPU backend.

* :func:`target_machine` -- a cached ``TargetMachine`` for the host (or a
  named) CPU, optimisation level 3, JIT code model.
* :func:`optimize` -- run LLVM's default ``O<level>`` pipeline through the
  *new* pass manager (loop and SLP vectorisation enabled), with the target
  machine's cost model so the vectorisers pick the right vector width.
* :func:`compile_module` -- parse, verify, optimise and JIT (MCJIT) a module
  given as LLVM IR text.  Returns ``(engine, module_ref)``; function
  addresses come from ``engine.get_function_address(name)``.

llvmlite is initialised lazily and once.  (``llvm.initialize()`` is
deprecated in llvmlite >= 0.45 and raises; the core initialises itself, only
the native target / asm printer / asm parser need initialising.)

Fork safety. llvmlite serialises every call into LLVM with one process-wide
re-entrant lock, held while LLVM's own C++ state (and its internal mutexes)
may be mid-update. A ``fork()`` while another thread is inside such a call
would give the child that lock (and LLVM's mutexes) held by a thread that
does not exist there: its first compile would hang forever. So ``fork()``
takes the lock first (``os.register_at_fork``: it waits for the call in
flight, never for a whole compile) and releases it on both sides; the child
also gets fresh Python locks for the lazily built pieces (initialisation
here, the float16 routines of :mod:`.halfsupport`), whose one-time work it
redoes if a thread of the parent was in the middle of it.
"""
from __future__ import annotations

import functools
import os
import sys
import threading

import llvmlite.binding as llvm

__all__ = ["initialize", "target_machine", "new_target_machine", "optimize", "compile_module"]

_init_lock = threading.Lock()
_initialized = False


def _llvmlite_lock():
    """The re-entrant lock llvmlite holds around every call into LLVM (None if this llvmlite
    version keeps it elsewhere). Taken directly, not through llvmlite's acquire/release
    callbacks, which may take other libraries' locks in an order that could deadlock here."""
    from llvmlite.binding import ffi
    lock = getattr(getattr(getattr(ffi, "lib", None), "_lock", None), "_lock", None)
    return lock if hasattr(lock, "acquire") and hasattr(lock, "release") else None


_LLVM_LOCK = _llvmlite_lock()


def _before_fork() -> None:
    if _LLVM_LOCK is not None:
        _LLVM_LOCK.acquire()     # no LLVM call is in flight in any thread from here to the fork


def _after_fork_parent() -> None:
    if _LLVM_LOCK is not None:
        _LLVM_LOCK.release()


def _after_fork_child() -> None:
    global _init_lock
    if _LLVM_LOCK is not None:
        _LLVM_LOCK.release()     # owned by this (the forking) thread, which exists here too
    _init_lock = threading.Lock()
    half = sys.modules.get(__package__ + ".halfsupport")
    if half is not None:         # a parent thread may have been building the routines: redo it here
        half._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_parent,
                        after_in_child=_after_fork_child)


def initialize() -> None:
    """Initialise the native target, asm printer and asm parser (idempotent)."""
    global _initialized
    if _initialized:
        return
    with _init_lock:
        if _initialized:
            return
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        llvm.initialize_native_asmparser()
        _initialized = True


def _host_features() -> str:
    try:
        return llvm.get_host_cpu_features().flatten()
    except RuntimeError:  # feature detection unavailable on this host
        return ""


def new_target_machine(cpu: str = "host", features: str | None = None):
    """Create a fresh (uncached) ``llvm.TargetMachine``; see :func:`target_machine`.

    An MCJIT engine takes ownership of the target machine it is built with,
    so every engine needs its own: :func:`compile_module` uses this.
    """
    initialize()
    target = llvm.Target.from_default_triple()
    if cpu == "host":
        name = llvm.get_host_cpu_name()
        feats = _host_features() if features is None else features
    else:
        name = cpu
        feats = features or ""
    return target.create_target_machine(
        cpu=name, features=feats, opt=3, reloc="default", codemodel="jitdefault", jit=True
    )


@functools.cache
def target_machine(cpu: str = "host", features: str | None = None):
    """Return a cached ``llvm.TargetMachine`` (opt level 3, JIT code model).

    ``cpu="host"`` uses the host CPU name and feature string, so the
    vectorisers may use AVX2 / AVX-512 where the machine has them.  The cached
    machine is for optimisation / code emission only -- never hand it to an
    execution engine (which would take ownership of it).
    """
    return new_target_machine(cpu, features)


def prepare_module(mod, tm) -> None:
    """Stamp the target triple and data layout of ``tm`` on ``mod``."""
    mod.triple = tm.triple
    mod.data_layout = str(tm.target_data)


def optimize(mod, tm=None, level: int = 3) -> None:
    """Optimise the ``llvm.ModuleRef`` *mod* in place with the default
    ``O<level>`` pipeline of the new pass manager (loop + SLP vectorisation on).
    """
    if tm is None:
        tm = target_machine()
    prepare_module(mod, tm)
    pto = llvm.PipelineTuningOptions(speed_level=level)
    on = level >= 2
    pto.loop_vectorization = on
    pto.slp_vectorization = on
    pto.loop_interleaving = on
    pto.loop_unrolling = on
    pb = llvm.create_pass_builder(tm, pto)
    mpm = pb.getModulePassManager()
    mpm.run(mod, pb)


def compile_module(llvm_ir: str, cpu: str = "host", level: int = 3):
    """Parse, verify, optimise (``O<level>``) and JIT-compile LLVM IR text.

    Returns ``(engine, module_ref)``.  Keep the engine alive as long as any
    function pointer obtained from ``engine.get_function_address(name)`` is
    used; ``module_ref`` is owned by the engine (its ``str()`` is the
    optimised IR).
    """
    initialize()
    mod = llvm.parse_assembly(str(llvm_ir))
    mod.verify()
    optimize(mod, target_machine(cpu), level)
    # the engine owns its target machine: give it a fresh one
    engine = llvm.create_mcjit_compiler(mod, new_target_machine(cpu))
    engine.finalize_object()
    engine.run_static_constructors()
    return engine, mod
