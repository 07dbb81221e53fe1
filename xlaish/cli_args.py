"""What the ``xlaish`` subcommands read from the command line: argument specs and function targets.

``parse_arg_spec("f32[1000]")`` -> a ``ShapeDtype`` (an ``argparse`` type), and
``load_function("pkg.module:func")`` / ``load_function("path/file.py:func")``
-> the function. Shared by ``xlaish inspect`` (:mod:`xlaish.cli`) and
``xlaish export`` (:mod:`xlaish.aot.cli`), so both accept the same spellings
and fail with the same messages (a :class:`TargetError`, which the command
prints as one line and exits with status 2, like any bad argument).
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import re
import sys

from . import dtypes


class TargetError(Exception):
    """A MODULE:FUNCTION target that cannot be loaded; the message names what is wrong."""


_SPEC = re.compile(r"^\s*([A-Za-z0-9_]+)\s*\[([0-9,\s]*)\]\s*$")


def parse_arg_spec(text: str):
    """``"f32[1000]"``, ``"float64[3,4]"``, ``"bool[]"`` -> ShapeDtype."""
    from .trace.tracing import ShapeDtype
    m = _SPEC.match(text)
    if not m:
        raise argparse.ArgumentTypeError(
            f"bad argument spec {text!r}: expected DTYPE[DIMS], e.g. f32[1000] or float64[3,4]")
    dims = [d for d in m.group(2).replace(" ", "").split(",") if d]
    try:
        return ShapeDtype(tuple(int(d) for d in dims), dtypes.canonical(m.group(1)))
    except Exception as e:
        raise argparse.ArgumentTypeError(f"bad argument spec {text!r}: {e}") from None


def load_function(target: str):
    """``package.module:function`` or ``path/to/file.py:function`` -> the object named, as it is
    (a function, or an ``xl.jit`` function with its options).

    A module is imported with the current directory on ``sys.path`` (as ``python -m`` does); a
    file is run as a module named after it, with its directory on ``sys.path`` (as ``python
    file.py`` does), so it can import its neighbours. Anything that cannot be found or is not
    callable raises :class:`TargetError` naming it; an exception raised by the target's own
    code propagates with its traceback.
    """
    where, sep, name = target.rpartition(":")
    if not sep or not where or not name:
        raise TargetError(f"expected MODULE:FUNCTION or path/file.py:FUNCTION, got {target!r}")
    if where.endswith(".py"):
        mod = _load_file(where)
    else:
        if "" not in sys.path:
            sys.path.insert(0, "")
        try:
            mod = importlib.import_module(where)
        except ImportError as e:
            raise TargetError(f"cannot import {where}: {e}") from None
    fn = getattr(mod, name, None)
    if fn is None:
        raise TargetError(f"{where} has no attribute {name!r}")
    if not callable(fn):
        raise TargetError(f"{target} is a {type(fn).__name__}, not a function")
    return fn


def _load_file(path: str):
    if not os.path.isfile(path):
        raise TargetError(f"no such file: {path}")
    modname = "_xlaish_target"
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise TargetError(f"cannot load {path}")
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod           # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        del sys.modules[modname]
        raise
    return mod
