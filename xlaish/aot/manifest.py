"""The manifest of an exported library: plain JSON, written next to the library
(``<name>.json``) and embedded in it (``<name>_manifest()``).

It records the xlaish version, the target (triple; the floor's CPU name and the
CPU features the library needs to run at all; each variant of the code, highest
first, with its CPU name and features: ``target.variants``), each argument's
and result's C name, leaf path, dtype and shape, the pytree structure of the
arguments and results, and the SHA-256 of the optimised IR text. Nothing in it
depends on the time or the build directory, so exporting twice gives byte-identical manifests and headers.

In/out arguments (a function that assigns into an argument, ``x[1:-1] = ...``,
``x += ...``): their entries carry ``"inout": true`` and the library writes their
final values into the caller's buffers. Such a manifest has format
:data:`FORMAT_INOUT` instead of :data:`FORMAT`, so that a loader which knows
only :data:`FORMAT` refuses the library rather than leaving the caller's array
unchanged; every other export keeps :data:`FORMAT`.

Pytrees are stored as ``{"kind": "leaf" | "none" | "tuple" | "list" | "dict",
"keys": [...] (dicts only), "children": [...]}``. :func:`flatten_as` and
:func:`unflatten` walk them; this module needs only the standard library and
NumPy, so the loader can use it without tracing or LLVM.
"""
from __future__ import annotations

import json

import numpy as np

FORMAT = "xlaish-aot/1"
FORMAT_INOUT = "xlaish-aot/2"        # the same, with in/out arguments
FORMATS = (FORMAT, FORMAT_INOUT)     # what the loader reads

# NumPy dtype name -> C type of the pointer in the header
C_TYPES = {
    "bool": "bool", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "int64": "int64_t",
    "uint8": "uint8_t", "uint16": "uint16_t", "uint32": "uint32_t", "uint64": "uint64_t",
    "float16": "uint16_t",            # IEEE binary16 bits: C99 has no half type
    "float32": "float", "float64": "double",
    "complex64": "float _Complex", "complex128": "double _Complex",   # C99, NumPy's layout
}

CHECK_BASE = 1000      # the program returns CHECK_BASE + i when xl.debug.check number i fails
RETURN_CODES = {
    "0": "success",
    "1": "the CPU lacks a feature the code was built for (see target.features_required); "
         "nothing was computed",
    "2": "allocation of an intermediate buffer failed; nothing was computed",
    "3": "<name>_checked only: the buffer count or a buffer's size in bytes differs from the shapes "
         "compiled into the library; nothing was computed",
    "4": "$XLAISH_AOT_VARIANT names no variant of the library (see target.variants); nothing was "
         "computed",
}


# ------------------------------------------------------------------ pytrees
def tree_to_json(td) -> dict:
    """An ``xlaish.trace.pytree.TreeDef`` -> JSON-able dict."""
    if td.kind in ("leaf", "none"):
        return {"kind": td.kind}
    out = {"kind": td.kind}
    if td.kind == "dict":
        for k in td.meta:
            if not isinstance(k, (str, int, bool)) and k is not None:
                raise TypeError(f"cannot export a pytree with dict key {k!r} of type "
                                f"{type(k).__name__} (str and int keys are supported)")
        out["keys"] = list(td.meta)
    out["children"] = [tree_to_json(c) for c in td.children]
    return out


def num_leaves(tree: dict) -> int:
    if tree["kind"] == "leaf":
        return 1
    return sum(num_leaves(c) for c in tree.get("children", ()))


def leaf_paths(tree: dict, prefix: str) -> list[str]:
    """Python accessor paths of the leaves: ``x``, ``params['w']``, ``result[1]``."""
    out: list[str] = []

    def go(t, path):
        if t["kind"] == "leaf":
            out.append(path)
        elif t["kind"] == "dict":
            for k, c in zip(t["keys"], t["children"]):
                go(c, f"{path}[{k!r}]")
        elif t["kind"] != "none":
            for i, c in enumerate(t["children"]):
                go(c, f"{path}[{i}]")

    go(tree, prefix)
    return out


def flatten_as(tree: dict, value, path: str) -> list:
    """The leaves of ``value``, which must have the structure ``tree``; TypeError names ``path``."""
    out: list = []

    def go(t, v, p):
        kind = t["kind"]
        if kind == "leaf":
            out.append((p, v))
        elif kind == "none":
            if v is not None:
                raise TypeError(f"argument {p}: expected None, got {type(v).__name__}")
        elif kind == "dict":
            if not isinstance(v, dict):
                raise TypeError(f"argument {p}: expected a dict with keys {t['keys']}, "
                                f"got {type(v).__name__}")
            if sorted(v, key=repr) != sorted(t["keys"], key=repr):
                raise TypeError(f"argument {p}: expected a dict with keys {t['keys']}, "
                                f"got keys {sorted(v, key=repr)}")
            for k, c in zip(t["keys"], t["children"]):
                go(c, v[k], f"{p}[{k!r}]")
        else:
            typ = tuple if kind == "tuple" else list
            n = len(t["children"])
            if not isinstance(v, (tuple, list)) or isinstance(v, str):
                raise TypeError(f"argument {p}: expected a {typ.__name__} of {n} items, "
                                f"got {type(v).__name__}")
            if len(v) != n:
                raise TypeError(f"argument {p}: expected a {typ.__name__} of {n} items, got {len(v)}")
            for i, (c, x) in enumerate(zip(t["children"], v)):
                go(c, x, f"{p}[{i}]")

    go(tree, value, path)
    return out


def unflatten(tree: dict, leaves):
    it = iter(leaves)

    def go(t):
        kind = t["kind"]
        if kind == "leaf":
            return next(it)
        if kind == "none":
            return None
        kids = [go(c) for c in t["children"]]
        if kind == "tuple":
            return tuple(kids)
        if kind == "list":
            return kids
        return dict(zip(t["keys"], kids))

    return go(tree)


# ------------------------------------------------------------------ manifest
def leaf_entry(c_name: str, path: str, ttype, weak=None, int_range=None, inout=False) -> dict:
    dt = np.dtype(ttype.dtype)
    e = {"c_name": c_name, "path": path, "dtype": dt.name, "shape": list(ttype.shape),
         "c_type": C_TYPES[dt.name]}
    if inout:                            # assigned into: the library writes its final value back
        e["inout"] = True
    if weak is not None:
        e["weak"] = weak.__name__        # a Python int/float at export: accepts Python scalars
    if int_range is not None:            # ... that the program casts to a narrower integer
        e["int_range"] = list(int_range)     # [lo, hi, dtype name]: others raise OverflowError
    return e


def to_json(manifest: dict) -> str:
    """The canonical text: 2-space indent, keys in insertion order, trailing newline."""
    return json.dumps(manifest, indent=2, ensure_ascii=True) + "\n"
