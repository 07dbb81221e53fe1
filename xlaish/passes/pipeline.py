"""The pass manager: an explicit ordered list of passes.

``XLAISH_DUMP=all`` prints the IR after every pass to stderr (or a comma list
of pass names). ``XLAISH_VERIFY=1`` (or ``check=True``) runs the verifier
after every pass; the test suite sets it. ``run_pipeline(fn, passes=[...])``
runs only the named passes, in the default order; the ``canonicalize`` step
(:mod:`.legalize`, :mod:`.canonicalize` and :mod:`.complex`, the forms the backends rely on)
always runs first, fusion and buffer planning always run last because the
backends compile kernels, not loose ops.
"""
from __future__ import annotations

import sys

from .. import config
from ..ir.verifier import verify
from .buffers import plan_buffers
from .canonicalize import canonicalize
from .complex import lower_complex
from .cse import cse
from .dce import dce
from .fold import fold
from .fusion import fuse
from .legalize import legalize
from .simplify import simplify


def _canonical(fn):
    """The forms the backends rely on: legalize, canonicalize, then complex ops lowered to real
    ones (:mod:`.complex`; reported as one step)."""
    return lower_complex(canonicalize(legalize(fn)))


OPTIMIZATIONS = {
    "canonicalize": _canonical,
    "simplify": simplify,
    "fold": fold,
    "cse": cse,
    "dce": dce,
}
DEFAULT = ("canonicalize", "simplify", "fold", "simplify", "cse", "dce")
_REQUIRED = ("canonicalize",)


def run_pipeline(fn, fuse: bool = True, passes=None, check: bool = False):
    """Optimise, fuse and plan buffers. ``check=True`` (or ``XLAISH_VERIFY=1``) verifies the IR
    after each pass."""
    check = check or config.verify_passes()
    if passes is None:
        order = DEFAULT
    else:
        unknown = [p for p in passes if p not in OPTIMIZATIONS and p not in ("fuse", "plan_buffers")]
        if unknown:
            raise ValueError(f"unknown passes {unknown}; known: {sorted(OPTIMIZATIONS)}")
        order = tuple(p for p in DEFAULT if p in passes or p in _REQUIRED)
        order = tuple(dict.fromkeys(order))
    dump = config.dump_passes()
    steps = [(name, OPTIMIZATIONS[name]) for name in order]
    steps.append(("fuse", lambda f: _fuse(f, fuse)))
    steps.append(("dce", dce))
    steps.append(("plan_buffers", plan_buffers))
    for name, p in steps:
        fn = p(fn)
        if check:
            verify(fn)
        if "all" in dump or name in dump:
            print(f"// ----- after {name} -----\n{fn}", file=sys.stderr)
    return fn


def _fuse(fn, enabled):
    return fuse(fn, enabled=enabled)
