"""The process-wide persistent worker pool of the JIT runtime (see :mod:`xlaish.codegen.cpu.pool`).

Started on the first program that has a parallel kernel, with one worker per
usable CPU but one (the calling thread works too); never restarted. A forked
child, or a second Python thread calling while the pool is busy, falls back
to threads of its own inside the compiled code.
"""
from __future__ import annotations

import threading

from .. import config

_lock = threading.Lock()
_state: dict = {}


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
            _state["workers"] = started
            _state["run"] = engine.get_function_address("xl_pool_run") if started else None
            if not started:
                _state["failed"] = True
        except Exception:
            _state["failed"] = True
            _state["run"] = None
        return _state.get("run")
