"""From traced IR to an executable: the pass pipeline, then the device's backend.

``compile_traced(..., stats=d)`` records the seconds each stage took in ``d`` (``passes_s``,
``backend_s``; the CPU backend adds its own stages and the disk cache's ``hit``/``miss``/``off``):
what ``Lowered.compile_stats()`` and ``XLAISH_LOG_COMPILES`` report.

A program with host callbacks (``pure_callback``/``io_callback``) is compiled for the CPU without
the disk cache (it names this process's Python functions) and refused for CUDA.
"""
from __future__ import annotations

import time

from .ir.ops.callback import has_callbacks
from .ir.ops.callback import refuse as refuse_callbacks
from .options import CompileOptions
from .runtime.executable import InterpretedExecutable


def optimize(fn, options):
    """The optimised (fused, buffer-planned) function. ``options``: CompileOptions or a mapping
    of its fields."""
    from .passes.pipeline import run_pipeline
    options = CompileOptions.of(options)
    return run_pipeline(fn, fuse=options.fuse, passes=options.passes)


def compile_traced(fn, options, stats: dict | None = None):
    """-> (optimised Function, executable). ``options``: CompileOptions or a mapping of its
    fields; environment-derived fields left open are resolved now. ``stats``: a dict to record
    the time per stage in (see the module docstring)."""
    options = CompileOptions.of(options).resolve()
    t0 = time.perf_counter()
    opt = optimize(fn, options)
    t1 = time.perf_counter()
    if options.device == "interpreter":
        exe = InterpretedExecutable(opt)
    elif options.device == "cpu":
        from .runtime.cpu import compile_cpu
        # a program calling back into Python names this process's callbacks: never stored on disk
        exe = compile_cpu(opt, traced=fn, debug_nans=options.debug_nans,
                          disk_cache=options.disk_cache and not has_callbacks(opt), stats=stats)
    else:
        refuse_callbacks(opt, "the CUDA backend")
        from .runtime.cuda import compile_cuda
        exe = compile_cuda(opt, traced=fn, debug_nans=options.debug_nans, disk_cache=options.disk_cache)
    if stats is not None:
        stats["passes_s"] = t1 - t0
        stats["backend_s"] = time.perf_counter() - t1
    return opt, exe
