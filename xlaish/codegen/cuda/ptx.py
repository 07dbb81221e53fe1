"""Compile generated kernel source to PTX without a GPU (``numba.cuda.compile_ptx``).

Needs the real ``numba.cuda`` (not the simulator) and NVVM, which the
``numba-cuda[cu13]`` wheels bring; no driver or device is needed. Used by
the tests to check that every kernel they generate compiles for ``cc=(9, 0)``,
and by anyone who wants to read the PTX of a program.

Device helpers (``cuda.jit(device=True)``) ask numba for the current
device's compute capability when a kernel calling them is typed, which needs
a driver; while compiling here that query answers ``cc`` instead.
"""
from __future__ import annotations


def compile_module_ptx(text: str, cc=(9, 0)) -> dict[str, str]:
    """PTX of every kernel in a generated module, by kernel name."""
    from numba import cuda
    recorded = []

    def kernel(sig):
        def deco(fn):
            recorded.append((fn, sig))
            return fn
        return deco

    ns = {"kernel": kernel, "device": cuda.jit(device=True), "__name__": "xlaish_cuda_ptx"}
    exec(compile(text, "<xlaish-cuda-ptx>", "exec"), ns)
    out = {}
    from numba.cuda import dispatcher
    real = dispatcher.get_current_device
    dispatcher.get_current_device = lambda: _Device(tuple(cc))
    try:
        for fn, sig in recorded:
            ptx, _ = cuda.compile_ptx(fn, sig, cc=cc)
            out[fn.__name__] = ptx
    finally:
        dispatcher.get_current_device = real
    return out


class _Device:
    def __init__(self, cc):
        self.compute_capability = cc
