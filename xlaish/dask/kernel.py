"""``BlockKernel``: one stage of a split program, as the picklable callable of a dask task.

A kernel holds the stage's IR at global shapes (text) and, for the block shapes the client
expected, the compiled object code (:class:`xlaish.serialize.Payload`). Called with numpy blocks,
it looks the block shapes up: shipped object code is linked once per process (no tracing, no LLVM);
an unexpected shape is retyped (:func:`.partition.retype`) and compiled there, once per process
and shape. Executables are memoised per process by (stage digest, block shapes), so the kernel
being unpickled for every task costs a dict lookup.
"""
from __future__ import annotations

import hashlib
import itertools
import threading

import numpy as np

STATS = {"worker_compiles": 0, "client_compiles": 0}
_EXES: dict = {}
_LOCK = threading.Lock()
PRECOMPILE_LIMIT = 16     # block-shape combinations compiled in the client; the rest lazily


def _compile(fn, options):
    from ..compiler import compile_traced
    _, exe = compile_traced(fn, options)
    return exe


class BlockKernel:
    def __init__(self, stage_text: str, options: dict, compiled: dict | None = None,
                 digest: str | None = None, name: str = "kernel"):
        self.stage_text = stage_text
        self.options = options
        self.compiled = compiled or {}
        self.digest = digest or hashlib.sha256(stage_text.encode() + repr(sorted(options.items())).encode()
                                               ).hexdigest()[:24]
        self.__name__ = name

    @classmethod
    def from_function(cls, fn, options, combos):
        """A kernel for stage ``fn``, compiled here for each combination of parameter block shapes
        in ``combos`` (up to PRECOMPILE_LIMIT of them; more are compiled where they are met)."""
        from ..ir.printer import print_function
        k = cls(print_function(fn), dict(options), name=f"xl-{fn.name}")
        combos = list(itertools.islice(combos, PRECOMPILE_LIMIT + 1))
        if len(combos) <= PRECOMPILE_LIMIT:
            for shapes in combos:
                k.precompile(fn, shapes)
        return k

    def precompile(self, fn, shapes):
        from ..serialize import Payload
        from .partition import retype
        shapes = tuple(tuple(s) for s in shapes)
        rfn = retype(fn, shapes)
        exe = _compile(rfn, self.options)
        STATS["client_compiles"] += 1
        with _LOCK:
            _EXES[(self.digest, shapes)] = exe
        oc = getattr(exe, "object_code", None)
        if oc is not None:
            from ..ir.printer import print_function
            self.compiled[shapes] = Payload(shapes, oc[0], print_function(exe.artifact.fn), "", None, None,
                                            (), (), (), oc[1], exe.layout)

    def executable(self, shapes):
        exe = _EXES.get((self.digest, shapes))
        if exe is not None:
            return exe
        with _LOCK:
            exe = _EXES.get((self.digest, shapes))
            if exe is not None:
                return exe
            p = self.compiled.get(shapes)
            if p is not None:
                from ..serialize import load
                low = load(p, self.options)
                exe = low.executable if low is not None else None
            if exe is None:    # a block shape not compiled in the client, or another CPU/version
                from ..ir.parser import parse
                from .partition import retype
                exe = _compile(retype(parse(self.stage_text), shapes), self.options)
                STATS["worker_compiles"] += 1
            _EXES[(self.digest, shapes)] = exe
            return exe

    def __call__(self, *blocks):
        shapes = tuple(np.shape(b) for b in blocks)
        out = self.executable(shapes)(list(blocks))[0]
        return np.asarray(out)

    def __reduce__(self):
        return (BlockKernel, (self.stage_text, self.options, self.compiled, self.digest, self.__name__))

    def __dask_tokenize__(self):
        return ("xlaish.BlockKernel", self.digest)

    def __repr__(self):
        return f"<xlaish BlockKernel {self.__name__} {self.digest[:8]}: {len(self.compiled)} shapes compiled>"
