"""Pytrees: nested tuples, lists and dicts of leaves, flattened in a fixed order.

Dict entries are ordered by sorted key (as in JAX); ``None`` is an empty node.
A non-empty list whose leaves are all Python numbers (``[1.0, 2.0]``, ``[[1, 2], [3, 4]]``)
is an array literal, not a container: it is one leaf (``[]`` is an empty container).
"""
from __future__ import annotations

from typing import Any, NamedTuple


class TreeDef(NamedTuple):
    kind: str            # "leaf" | "none" | "tuple" | "list" | "dict"
    meta: Any            # dict keys (tuple) for dicts, else None
    children: tuple

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)


LEAF = TreeDef("leaf", None, ())
NONE = TreeDef("none", None, ())


def _is_number_list(x) -> bool:
    if not isinstance(x, list):
        return False
    stack, numbers = [x], 0
    while stack:
        for item in stack.pop():
            if isinstance(item, list):
                stack.append(item)
            elif not isinstance(item, (bool, int, float)):
                return False
            else:
                numbers += 1
    return numbers > 0  # [] (and [[], []]) is an empty container, not an array literal


def flatten(tree) -> tuple[list, TreeDef]:
    leaves: list = []

    def go(x):
        if x is None:
            return NONE
        if isinstance(x, tuple) and not hasattr(x, "_fields"):
            return TreeDef("tuple", None, tuple(go(c) for c in x))
        if isinstance(x, list) and not _is_number_list(x):
            return TreeDef("list", None, tuple(go(c) for c in x))
        if isinstance(x, dict):
            keys = tuple(sorted(x))
            return TreeDef("dict", keys, tuple(go(x[k]) for k in keys))
        leaves.append(x)
        return LEAF

    try:
        return leaves, go(tree)
    finally:
        go = None   # go's closure holds go: left alone, the call leaves a cycle holding the leaves


def unflatten(treedef: TreeDef, leaves) -> Any:
    it = iter(leaves)

    def go(td):
        if td.kind == "leaf":
            return next(it)
        if td.kind == "none":
            return None
        kids = [go(c) for c in td.children]
        if td.kind == "tuple":
            return tuple(kids)
        if td.kind == "list":
            return kids
        return dict(zip(td.meta, kids))

    try:
        return go(treedef)
    finally:
        go = None   # (as in flatten: the cycle would keep the leaves alive until a collection)


def leaf_paths(treedef: TreeDef, prefix: str) -> list[str]:
    """Readable names of the leaves, e.g. ``params_w``, ``batch_0``."""
    out: list[str] = []

    def go(td, name):
        if td.kind == "leaf":
            out.append(name)
        elif td.kind == "dict":
            for k, c in zip(td.meta, td.children):
                go(c, f"{name}_{k}")
        else:
            for i, c in enumerate(td.children):
                go(c, f"{name}_{i}")

    go(treedef, prefix)
    return out
