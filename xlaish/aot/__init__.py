"""Ahead-of-time export: a shared library and a plain C header that run without Python.

``export(fun, args, out_dir=..., name=...)`` traces and compiles ``fun`` for
the given shapes/dtypes and writes ``lib<name>.so``, ``<name>.h`` and
``<name>.json`` (plus ``<name>.o`` and ``<name>.sha256``, the library's
checksum); ``load(path)`` returns a Python callable for an exported library
that needs only ctypes, NumPy and json (no tracing, no LLVM), after checking
the file is whole (see :mod:`.loader`). A function that assigns into an
argument (``x[1:-1] = ...``, ``x += t``, ``out=x``) exports it as an in/out
parameter (``T *``, not ``const``; see :mod:`.header`): the library writes the
argument's final value (NumPy's) into the caller's buffer, and the loaded
callable mutates the caller's array as ``xl.jit`` does. Importing this package
does not import llvmlite.
"""
from .errors import CpuFeatureError, LinkError
from .exporter import ExportPaths, export
from .loader import AotFunction, load
from .targets import DEFAULT_TARGET

__all__ = ["export", "load", "AotFunction", "ExportPaths", "LinkError", "CpuFeatureError",
           "DEFAULT_TARGET"]
