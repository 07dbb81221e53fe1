"""The IR: types, values, ops, functions, the op registry, text form and verifier."""
from .builder import Builder
from .core import Function, Op, Value
from .interpreter import interpret
from .opdef import OpDef, all_ops, register
from .opdef import get as get_op
from .parser import parse
from .printer import print_function
from .types import TensorType
from .verifier import verify

__all__ = ["TensorType", "Value", "Op", "Function", "OpDef", "get_op", "all_ops", "register",
           "Builder", "print_function", "parse", "verify", "interpret"]
