"""Building blocks of kernel source text: module context, typed constants, index spaces.

``ModuleSource`` collects what kernels share (math bindings, device helpers);
``KernelText`` is one kernel's context (its constants, its unique names) and
implements the ``c`` interface the op table (:mod:`.ops`) writes through.

Index arithmetic: every buffer a kernel touches is a flat contiguous array,
read through strides over the kernel's domain (see :mod:`xlaish.ir.kernel`).
A ``FlatSpace`` derives the coordinates of some domain dims from one flat
index variable (``i`` of a grid-stride loop, ``row``, ``r``) and turns strides
into an offset expression: the longest trailing run of dims the access walks
contiguously becomes ``(i % P) * s`` (just ``i`` for a contiguous operand),
and only the remaining dims need a coordinate ``(i // S) % n``. Extents are
compile-time constants, so the divisions become multiplies.
"""
from __future__ import annotations

import math

import numpy as np

from ...errors import UnsupportedError
from ...ir.kernel import contiguous_strides, domain_strides, view_layout  # noqa: F401 (re-exported)
from . import ops as OPS
from .target import Target, compute_dtype, np_name


class Access:
    """How a value is read: buffer name, dtype, base offset and per-domain-dim strides."""

    def __init__(self, buf, dtype, shape, strides, base, ndomain):
        self.buf, self.dtype, self.base = buf, np.dtype(dtype), base
        self.dstrides = domain_strides(shape, strides, ndomain)


def const_text(value, dt) -> str:
    """A typed literal of dtype dt (in its compute type)."""
    dt = np.dtype(dt)
    v = np.asarray(value).reshape(()).astype(dt)[()]
    if dt.kind == "b":
        return "True" if bool(v) else "False"
    ct = compute_dtype(dt)
    if dt.kind == "f":
        x = float(v)
        if math.isnan(x):
            lit = "math.nan"
        elif math.isinf(x):
            lit = "math.inf" if x > 0 else "-math.inf"
        else:
            lit = repr(x)
        return f"{np_name(ct)}({lit})"
    return f"{np_name(ct)}({int(v)})"


class ModuleSource:
    """Everything kernels of one module share: math bindings and device helpers."""

    def __init__(self, target: Target):
        self.target = target
        self.math_used: set[str] = set()
        self.helpers: dict[tuple, str] = {}       # (name, compute dtype) -> function name
        self.helper_text: list[str] = []

    def math(self, name: str) -> str:
        self.math_used.add(name)
        return f"m_{name}"

    def helper(self, name: str, dt) -> str:
        dt = np.dtype(dt)
        key = (name, dt.str)
        fn = self.helpers.get(key)
        if fn is None:
            fn = self.helpers[key] = f"h_{name}_{dt.name}"
            for m in OPS.HELPERS[name]:
                self.math(m)
            self.helper_text.append(OPS.instantiate(name, dt, fn))
        return fn


class Block:
    """Lines of one scope, at one indentation."""

    def __init__(self, indent: int):
        self.indent = indent
        self.lines: list[str] = []

    def add(self, line: str, extra: int = 0):
        self.lines.append("    " * (self.indent + extra) + line)

    def extend(self, other: Block):
        self.lines.extend(other.lines)


class KernelText:
    """One kernel's source context (the ``c`` of the op table)."""

    def __init__(self, mod: ModuleSource):
        self.mod = mod
        self.n = 0
        self.consts: dict[str, str] = {}
        self.prologue = Block(1)

    def fresh(self, prefix="v") -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def math(self, name):
        return self.mod.math(name)

    def helper(self, name, dt):
        return self.mod.helper(name, dt)

    def const(self, value, dt) -> str:
        text = const_text(value, dt)
        if text in ("True", "False"):
            return text
        name = self.consts.get(text)
        if name is None:
            name = self.consts[text] = self.fresh("c")
            self.prologue.add(f"{name} = {text}")
        return name

    def cast(self, expr: str, dt) -> str:
        dt = np.dtype(dt)
        if dt == np.float16:
            return f"np.float32(np.float16({expr}))"
        return f"{np_name(dt)}({expr})"

    def load(self, buf: str, dt, index: str) -> str:
        """A load in the compute type (float16 widens to float32)."""
        if np.dtype(dt) == np.float16:
            return f"np.float32({buf}[{index}])"
        return f"{buf}[{index}]"

    def store_value(self, value: str, dt) -> str:
        if np.dtype(dt) == np.float16:
            return f"np.float16({value})"
        return value


class FlatSpace:
    """Coordinates of domain dims ``dims`` (extents ``ext``) from the flat C-order index ``var``."""

    def __init__(self, kt: KernelText, var: str, dims, ext, block: Block):
        self.kt, self.var, self.dims, self.ext, self.block = kt, var, list(dims), list(ext), block
        self.flat = {}
        s = 1
        for d, e in reversed(list(zip(self.dims, self.ext))):
            self.flat[d] = s
            s *= e
        self.total = s
        nonunit = [d for d, e in zip(self.dims, self.ext) if e != 1]
        self.first = nonunit[0] if nonunit else None
        self.coords: dict[int, str] = {}

    def extent(self, d):
        return self.ext[self.dims.index(d)]

    def coord(self, d) -> str:
        if self.extent(d) == 1:
            return "0"
        c = self.coords.get(d)
        if c is None:
            e = self.var if self.flat[d] == 1 else f"({self.var} // {self.flat[d]})"
            if d != self.first:
                e = f"{e} % {self.extent(d)}"
            c = self.coords[d] = self.kt.fresh("x")
            self.block.add(f"{c} = {e}")
        return c

    def terms(self, strides) -> list[str]:
        """Offset terms of this space's dims for per-domain-dim strides."""
        live = [d for d, e in zip(self.dims, self.ext) if e != 1]
        run_start, s = None, None
        for d in reversed(live):
            st = strides[d]
            if st == 0:
                break
            if s is None:
                if st % self.flat[d]:
                    break
                s = st // self.flat[d]
            elif st != s * self.flat[d]:
                break
            run_start = d
        out = []
        if run_start is not None:
            if run_start == self.first:
                t = self.var
            else:
                t = f"({self.var} % {self.flat[run_start] * self.extent(run_start)})"
            out.append(t if s == 1 else f"{t} * {s}")
        for d in live:
            if run_start is not None and self.dims.index(d) >= self.dims.index(run_start):
                break
            if strides[d]:
                out.append(f"{self.coord(d)} * {strides[d]}" if strides[d] != 1 else self.coord(d))
        return out


class CoordSpace:
    """Domain dims whose coordinates are given expressions (matmul, copy kernels)."""

    def __init__(self, coords: dict):
        self.dims = list(coords)
        self.coords = coords

    def coord(self, d) -> str:
        return self.coords[d]

    def terms(self, strides) -> list[str]:
        out = []
        for d in self.dims:
            st = strides[d]
            if st:
                out.append(self.coords[d] if st == 1 else f"{self.coords[d]} * {st}")
        return out


def unsupported(op, why="has no CUDA lowering") -> UnsupportedError:
    where = f" (at {op.loc})" if getattr(op, "loc", None) else ""
    return UnsupportedError(f"op '{op.name}'{where} {why}: device='cuda' cannot compile this program")
