"""Shared shape rules (broadcasting) used by several op families."""
from __future__ import annotations

from ...errors import ShapeError


def broadcast_shapes(*shapes) -> tuple[int, ...]:
    """NumPy broadcasting of static shapes; raises ShapeError naming every shape."""
    nd = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(nd):
        dim = 1
        for s in shapes:
            k = i - (nd - len(s))
            if k < 0:
                continue
            d = s[k]
            if d == 1:
                continue
            if dim == 1:
                dim = d
            elif d != dim:
                raise ShapeError("shapes " + ", ".join(str(tuple(s)) for s in shapes)
                                 + " cannot be broadcast together")
        out.append(dim)
    return tuple(out)


def broadcast_rule(shapes, attrs):
    return broadcast_shapes(*shapes)
