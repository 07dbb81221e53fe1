"""The IR: types, values, ops, functions, the op registry, text form and verifier."""
from .types import TensorType
from .core import Value, Op, Function
from .opdef import OpDef, get as get_op, all_ops, register
from .builder import Builder
from .printer import print_function
from .parser import parse
from .verifier import verify
from .interpreter import interpret

__all__ = ["TensorType", "Value", "Op", "Function", "OpDef", "get_op", "all_ops", "register",
           "Builder", "print_function", "parse", "verify", "interpret"]
