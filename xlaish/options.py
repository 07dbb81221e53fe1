"""``CompileOptions``: everything besides the program and its signature that compiled code depends on.

One frozen, validated value per ``jit``: the device, whether to fuse, which
passes run, whether kernels scan their outputs for NaN, whether the
on-disk compile cache is used, and whether the function's Python control flow
is converted (``autograph``, :mod:`xlaish.autograph`). It is validated
once, when built, and is part of every cache key (the in-memory signature
cache of a ``JitFunction`` and, through the backends, the disk cache).

``debug_nans=None`` (the default) means "as ``XLAISH_DEBUG_NANS`` says at the
call": :meth:`CompileOptions.resolve` fills it in from :mod:`xlaish.config`,
and ``jit`` resolves per call (cheaply: see ``config.compiled_env_stamp``), so
setting the variable after a function's first call takes effect on its next
call. An explicit ``jit(f, debug_nans=True)`` ignores the variable.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from . import config

DEVICES = ("cpu", "cuda", "interpreter")


@dataclass(frozen=True)
class CompileOptions:
    device: str = "cpu"
    fuse: bool = True
    passes: tuple | None = None        # None: the default pipeline; else the optimisations to run
    debug_nans: bool | None = None     # None: from XLAISH_DEBUG_NANS at each call
    disk_cache: bool = True            # read and write the on-disk compile cache (not compiled in)
    autograph: bool = True             # Python if/for/while on traced values become cond/while ops

    def __post_init__(self):
        if self.device not in DEVICES:
            raise ValueError(f"unknown device {self.device!r} ({' | '.join(DEVICES)})")
        object.__setattr__(self, "fuse", bool(self.fuse))
        object.__setattr__(self, "disk_cache", bool(self.disk_cache))
        object.__setattr__(self, "autograph", bool(self.autograph))
        if self.passes is not None:
            if isinstance(self.passes, str):
                raise TypeError(f"passes must be a sequence of pass names, not the string {self.passes!r}")
            passes = tuple(self.passes)
            from .passes.pipeline import OPTIMIZATIONS
            unknown = [p for p in passes if p not in OPTIMIZATIONS and p not in ("fuse", "plan_buffers")]
            if unknown:
                raise ValueError(f"unknown passes {unknown}; known: {sorted(OPTIMIZATIONS)}")
            object.__setattr__(self, "passes", passes)
        if self.debug_nans is not None:
            object.__setattr__(self, "debug_nans", bool(self.debug_nans))

    def resolve(self) -> CompileOptions:
        """These options with every environment-derived field filled in (what code compiles for)."""
        if self.debug_nans is not None:
            return self
        return replace(self, debug_nans=config.debug_nans())

    @classmethod
    def of(cls, options) -> CompileOptions:
        """``options`` as CompileOptions: one already, or a mapping of its field names."""
        if isinstance(options, cls):
            return options
        if isinstance(options, Mapping):
            names = {f.name for f in fields(cls)}
            unknown = sorted(set(options) - names)
            if unknown:
                raise TypeError(f"unknown compile options {unknown} (known: {sorted(names)})")
            return cls(**options)
        raise TypeError(f"compile options must be CompileOptions or a mapping, got {type(options).__name__}")

    # read-only mapping view (``dict(options)``, ``options["device"]``) for callers that take a dict
    def keys(self):
        return [f.name for f in fields(self)]

    def __getitem__(self, name):
        if name not in self.keys():
            raise KeyError(name)
        return getattr(self, name)
