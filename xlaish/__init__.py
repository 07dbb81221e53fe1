"""xlaish: a tracing compiler for numerical Python.

Put ``@xlaish.jit`` on ordinary NumPy code; it is traced into a typed SSA IR,
optimised and fused, and compiled to native kernels.
"""
from . import aot, debug, numpy, random, special, test_util
from ._version import __version__
from .autodiff import custom_vjp, grad, value_and_grad
from .callback import io_callback, pure_callback
from .control import cond, fori_loop, while_loop
from .errors import (
                     CheckError,
                     ConcretizationError,
                     IRError,
                     ShapeError,
                     TraceError,
                     UnsupportedError,
                     XlaishError,
)
from .jit import JitFunction, Lowered, clear_caches, disable_jit, jit, make_ir
from .trace.tracing import ShapeDtype

__all__ = ["jit", "make_ir", "disable_jit", "clear_caches", "JitFunction", "Lowered", "ShapeDtype",
           "numpy", "random", "special", "aot", "cond", "while_loop", "fori_loop", "grad",
           "value_and_grad", "custom_vjp", "pure_callback", "io_callback", "debug", "test_util",
           "XlaishError", "TraceError",
           "ConcretizationError", "ShapeError", "UnsupportedError", "IRError", "CheckError", "__version__"]
