"""xlaish: a tracing compiler for numerical Python.

Put ``@xlaish.jit`` on ordinary NumPy code; it is traced into a typed SSA IR,
optimised and fused, and compiled to native kernels.
"""
from .errors import (XlaishError, TraceError, ConcretizationError, ShapeError, UnsupportedError,
                     IRError, CheckError)
from .jit import jit, make_ir, disable_jit, clear_caches, JitFunction, Lowered
from .trace.tracing import ShapeDtype
from .control import cond, while_loop, fori_loop
from .autodiff import grad, value_and_grad, custom_vjp
from . import numpy, special, aot, debug, test_util

__version__ = "0.1.0"

__all__ = ["jit", "make_ir", "disable_jit", "clear_caches", "JitFunction", "Lowered", "ShapeDtype", "numpy",
           "special", "aot", "cond", "while_loop", "fori_loop",
           "grad", "value_and_grad", "custom_vjp", "debug", "test_util", "XlaishError", "TraceError", "ConcretizationError", "ShapeError",
           "UnsupportedError", "IRError", "CheckError", "__version__"]
