"""IR text form. ``parse(print_function(f)) == f`` (see :mod:`xlaish.ir.parser`).

```
func @softplus(%x: f32[1000]) -> f32[1000] {
  %0 = abs %x : f32[1000]
  %1 = sum %0 {axes = [0], keepdims = false} : f32[]
  return %1
}
```
Attribute values: ``true``/``false``, ints, floats (``nan``, ``inf``, ``-inf``),
``"strings"``, dtypes as bare names (``f32``), ``[lists]``, ``none`` and
arrays as ``dense<[[1, 2], [3, 4]] : i64[2,2]>``.
"""
from __future__ import annotations

import json
import re

import numpy as np

from .. import dtypes
from .types import TensorType


def format_scalar(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return "nan"
        if np.isinf(v):
            return "inf" if v > 0 else "-inf"
        s = str(v) if isinstance(v, np.floating) and not isinstance(v, np.float64) else repr(float(v))
        return s if any(c in s for c in ".eE") else s + ".0"
    raise TypeError(f"not a scalar attribute: {v!r}")


def _nested(a: np.ndarray) -> str:
    if a.ndim == 0:
        return format_scalar(a[()])
    return "[" + ", ".join(_nested(x) for x in a) + "]"


def format_attr(v) -> str:
    if v is None:
        return "none"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, np.dtype) or (isinstance(v, type) and issubclass(v, np.generic)):
        return dtypes.short_name(v)
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "c":      # complex: (re, im) pairs in one more axis
            pairs = np.ascontiguousarray(v).view(dtypes.real_dtype(v.dtype)).reshape(v.shape + (2,))
            return f"dense<{_nested(pairs)} : {TensorType(v.shape, v.dtype)}>"
        return f"dense<{_nested(v)} : {TensorType(v.shape, v.dtype)}>"
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(format_attr(x) for x in v) + "]"
    return format_scalar(v)


class _Names:
    def __init__(self):
        self.names: dict[int, str] = {}
        self.used: set[str] = set()
        self.counter = 0

    def param(self, v, i):
        h = v.hint
        ok = h and h.isascii() and h.replace("_", "a").replace(".", "a").isalnum() and not h[0].isdigit()
        base = h if ok else f"arg{i}"
        name, k = base, 1
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        self.names[id(v)] = "%" + name

    def result(self, v):
        self.names[id(v)] = f"%{self.counter}"
        self.counter += 1

    def __getitem__(self, v):
        try:
            return self.names[id(v)]
        except KeyError:
            return f"%<undefined {v!r}>"


def _types(ts) -> str:
    ts = list(ts)
    return str(ts[0]) if len(ts) == 1 else "(" + ", ".join(map(str, ts)) + ")"


def print_function(fn, indent: str = "", locs: bool = False) -> str:
    """The text of ``fn``. ``locs=True`` adds each op's source location as a comment."""
    names = _Names()
    for i, p in enumerate(fn.params):
        names.param(p, i)
    params = ", ".join(f"{names[p]}: {p.type}" for p in fn.params)
    fname = re.sub(r"[^A-Za-z0-9_.]", "_", fn.name) or "fn"  # what the parser reads back
    lines = [f"{indent}func @{fname}({params}) -> {_types(fn.result_types)} {{"]
    inner = indent + "  "
    for op in fn.ops:
        for r in op.results:
            names.result(r)
        lhs = (", ".join(names[r] for r in op.results) + " = ") if op.results else ""
        text = f"{inner}{lhs}{op.name}"
        if op.operands:
            text += " " + ", ".join(names[o] for o in op.operands)
        if op.attrs:
            text += " {" + ", ".join(f"{k} = {format_attr(v)}" for k, v in sorted(op.attrs.items())) + "}"
        text += " : " + (", ".join(str(r.type) for r in op.results) if op.results else "()")
        if op.regions:
            text += " {\n" + "\n".join(print_function(r, inner + "  ", locs) for r in op.regions) \
                + f"\n{inner}}}"
        if locs and op.loc:
            text += f"  // {op.loc}"
        lines.append(text)
    lines.append(f"{inner}return " + ", ".join(names[r] for r in fn.results))
    lines.append(f"{indent}}}")
    return "\n".join(lines)
