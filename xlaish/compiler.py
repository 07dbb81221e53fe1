"""From traced IR to an executable: the pass pipeline, then the device's backend."""
from __future__ import annotations

from .options import CompileOptions
from .runtime.executable import InterpretedExecutable


def optimize(fn, options):
    """The optimised (fused, buffer-planned) function. ``options``: CompileOptions or a mapping
    of its fields."""
    from .passes.pipeline import run_pipeline
    options = CompileOptions.of(options)
    return run_pipeline(fn, fuse=options.fuse, passes=options.passes)


def compile_traced(fn, options):
    """-> (optimised Function, executable). ``options``: CompileOptions or a mapping of its
    fields; environment-derived fields left open are resolved now."""
    options = CompileOptions.of(options).resolve()
    opt = optimize(fn, options)
    if options.device == "interpreter":
        return opt, InterpretedExecutable(opt)
    if options.device == "cpu":
        from .runtime.cpu import compile_cpu
        return opt, compile_cpu(opt, traced=fn, debug_nans=options.debug_nans,
                                disk_cache=options.disk_cache)
    from .runtime.cuda import compile_cuda
    return opt, compile_cuda(opt, traced=fn, debug_nans=options.debug_nans, disk_cache=options.disk_cache)
