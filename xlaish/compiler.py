"""From traced IR to an executable: the pass pipeline, then the device's backend."""
from __future__ import annotations

from .runtime.executable import InterpretedExecutable


def optimize(fn, options):
    try:
        from .passes.pipeline import run_pipeline
    except ImportError:
        return fn
    return run_pipeline(fn, fuse=options.get("fuse", True), passes=options.get("passes"))


def compile_traced(fn, options):
    """-> (optimised Function, executable)."""
    opt = optimize(fn, options)
    return opt, InterpretedExecutable(opt)
