"""The process-wide persistent worker pool of the JIT runtime (see :mod:`xlaish.codegen.cpu.pool`).

Started on the first program that has a parallel kernel, with one worker per
usable CPU but one (the calling thread works too). A forked child has none of
the parent's worker threads: it forgets the parent's pool (kept alive, since
kernels compiled before the fork still point at it and fall back to threads
of their own when they find it is not theirs) and starts its own on its first
parallel program; the lock is new in the child (a parent thread may have held
it at fork time). A second Python thread calling while the pool is busy also
falls back to threads of its own inside the compiled code.
"""
from __future__ import annotations

import os
import threading

from .. import config

_lock = threading.Lock()
_state: dict = {}
_inherited: list = []    # pools of parent processes (their code must stay mapped)


def _after_fork_child() -> None:
    global _lock
    _lock = threading.Lock()
    if _state:
        _inherited.append(dict(_state))
        _state.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_child)


def run_address() -> int | None:
    """Address of ``xl_pool_run`` (starting the pool on first use), or None if it cannot start."""
    addr = _state.get("run")
    if addr is not None or _state.get("failed"):
        return addr
    with _lock:
        if "run" in _state or _state.get("failed"):
            return _state.get("run")
        try:
            import ctypes

            from ..codegen.cpu import llvm_target
            from ..codegen.cpu.pool import build_pool_module
            engine, _ = llvm_target.compile_module(str(build_pool_module()))
            start = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64)(
                engine.get_function_address("xl_pool_start"))
            workers = max(config.cpu_count() - 1, 0)
            started = start(workers) if workers else 0
            _state["engine"] = engine
            _state["pid"] = os.getpid()
            _state["workers"] = started
            _state["run"] = engine.get_function_address("xl_pool_run") if started else None
            if not started:
                _state["failed"] = True
        except Exception:
            _state["failed"] = True
            _state["run"] = None
        return _state.get("run")
