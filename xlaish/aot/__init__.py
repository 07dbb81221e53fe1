"""Ahead-of-time export: a shared library and a plain C header that run without Python.

``export(fun, args, out_dir=..., name=...)`` traces and compiles ``fun`` for
the given shapes/dtypes and writes ``lib<name>.so``, ``<name>.h`` and
``<name>.json`` (plus ``<name>.o`` and ``<name>.sha256``, the library's
checksum); ``load(path)`` returns a Python callable for an exported library
that needs only ctypes, NumPy and json (no tracing, no LLVM), after checking
the file is whole (see :mod:`.loader`). Importing this package does not
import llvmlite.
"""
from .errors import CpuFeatureError, LinkError
from .exporter import ExportPaths, export
from .loader import AotFunction, load
from .targets import DEFAULT_TARGET

__all__ = ["export", "load", "AotFunction", "ExportPaths", "LinkError", "CpuFeatureError",
           "DEFAULT_TARGET"]
