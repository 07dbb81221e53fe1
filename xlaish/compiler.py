"""From traced IR to an executable: the pass pipeline, then the device's backend."""
from __future__ import annotations

from .runtime.executable import InterpretedExecutable


def optimize(fn, options):
    from .passes.pipeline import run_pipeline
    return run_pipeline(fn, fuse=options.get("fuse", True), passes=options.get("passes"))


def compile_traced(fn, options):
    """-> (optimised Function, executable)."""
    opt = optimize(fn, options)
    device = options.get("device", "cpu")
    if device == "interpreter":
        return opt, InterpretedExecutable(opt)
    if device == "cpu":
        from .runtime.cpu import compile_cpu
        return opt, compile_cpu(opt, traced=fn)
    if device == "cuda":
        from .runtime.cuda import compile_cuda
        return opt, compile_cuda(opt, traced=fn)
    raise ValueError(f"unknown device {device!r}")
