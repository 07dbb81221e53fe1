"""Device helper of ``threefry2x32`` (:mod:`xlaish.ir.ops.rng`), the CUDA column's rule, merged
into :data:`xlaish.codegen.cuda.ops.TEMPLATES` the way :mod:`.bitfuncs` is.

The 20 rounds are unrolled into straight-line code when this module is imported. Each 32-bit
word is held in a uint64 masked to 32 bits after every add and rotation: numba widens unsigned
arithmetic to 64 bits, and a uint64 never overflows here, so the kernel and the CUDA simulator
(plain NumPy scalars) compute the same bits as the CPU rule and the NumPy reference.
"""
from __future__ import annotations

from ...ir.ops.rng import PARITY, ROTATIONS


def _u(v) -> str:
    return f"np.uint64({v})"


def _template() -> str:
    m = "M"
    lines = ["@device", "def {fn}(key, ctr):", f"    M = {_u(0xFFFFFFFF)}",
             f"    k0 = key >> {_u(32)}", f"    k1 = key & {m}",
             f"    k2 = k0 ^ k1 ^ {_u(PARITY)}",
             f"    x0 = ((ctr >> {_u(32)}) + k0) & {m}", f"    x1 = ((ctr & {m}) + k1) & {m}"]
    for i in range(5):
        for r in ROTATIONS[i % 2]:
            lines.append(f"    x0 = (x0 + x1) & {m}")
            lines.append(f"    x1 = (((x1 << {_u(r)}) | (x1 >> {_u(32 - r)})) & {m}) ^ x0")
        lines.append(f"    x0 = (x0 + k{(i + 1) % 3}) & {m}")
        lines.append(f"    x1 = (x1 + k{(i + 2) % 3} + {_u(i + 1)}) & {m}")
    lines.append(f"    return (x0 << {_u(32)}) | x1")
    return "\n" + "\n".join(lines) + "\n"


# helper name -> the m_* math functions it calls
HELPERS = {"threefry2x32": ()}
TEMPLATES = {"threefry2x32": _template()}


def threefry2x32(c, a, dt, out):
    """The rule: a call of the helper on the packed key and counter (both uint64)."""
    return f"{c.helper('threefry2x32', dt)}({a[0]}, {a[1]})"


RULES = {"threefry2x32": threefry2x32}
