"""``threefry2x32``: the Threefry-2x32 block cipher (20 rounds), the bit source of ``xlaish.random``.

An elementwise binary op on uint64 operands, each holding two 32-bit words packed as
``hi << 32 | lo``: ``threefry2x32(key, counter)`` encrypts the counter pair ``(hi, lo)`` with the
key pair and returns the cipher pair ``(x0, x1)`` packed the same way (``x0 << 32 | x1``). One
result instead of two keeps it an ordinary fusible elementwise op (the kernel generators lower it
with one rule like any other); the packing is free once lowered (shifts and truncations the
compiler folds into the surrounding ops). The counter is an index grid (an ``iota``), so the bits
are computed inside the kernel that consumes them and never stored.

The algorithm is Salmon et al.'s Threefry-2x32 with 20 rounds and the rotation constants and key
schedule of the Random123 library, exactly as ``jax.random``'s ``threefry2x32`` primitive computes
it, so ``(x0, x1)`` here equals JAX's ``threefry_2x32(key, (hi, lo))`` bit for bit.
:func:`threefry2x32` below is the NumPy definition: the op's reference (interpreter, constant
folding) and the eager path of ``xlaish.random``. Not differentiable (integer bits).
"""
from __future__ import annotations

import numpy as np

from ...errors import IRError
from ..opdef import ELEMENTWISE, PURE, OpDef, register
from ._rules import broadcast_rule

ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
PARITY = 0x1BD11BDA          # Threefry's key-schedule constant (Skein's C240 for 32-bit words)
_M32 = np.uint64(0xFFFFFFFF)
_U64 = np.dtype(np.uint64)


def split_words(v):
    """(hi, lo) uint32 words of uint64 value(s)."""
    v = np.asarray(v, dtype=np.uint64)
    return (v >> np.uint64(32)).astype(np.uint32), (v & _M32).astype(np.uint32)


def pack_words(hi, lo):
    """uint64 ``hi << 32 | lo`` of uint32 word(s)."""
    return (np.asarray(hi).astype(np.uint64) << np.uint64(32)) | np.asarray(lo).astype(np.uint64)


def _rotl(x, r):
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def threefry_words(k0, k1, x0, x1):
    """Threefry-2x32, 20 rounds, on uint32 words (broadcast): the cipher pair ``(x0, x1)``."""
    k0, k1, x0, x1 = (np.asarray(a, dtype=np.uint32) for a in (k0, k1, x0, x1))
    ks = (k0, k1, k0 ^ k1 ^ np.uint32(PARITY))
    with np.errstate(over="ignore"):
        x0 = x0 + ks[0]
        x1 = x1 + ks[1]
        for i in range(5):
            for r in ROTATIONS[i % 2]:
                x0 = x0 + x1
                x1 = _rotl(x1, r) ^ x0
            x0 = x0 + ks[(i + 1) % 3]
            x1 = x1 + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x0, x1


def threefry2x32(key, counter):
    """The op's definition on packed uint64 arrays (broadcast): ``x0 << 32 | x1``."""
    k0, k1 = split_words(key)
    c0, c1 = split_words(counter)
    return pack_words(*threefry_words(k0, k1, c0, c1))


def _dtype_rule(dts, attrs):
    if tuple(np.dtype(d) for d in dts) != (_U64, _U64):
        raise IRError(f"threefry2x32 takes (uint64 key, uint64 counter), got {tuple(map(str, dts))}")
    return _U64


register(OpDef(
    name="threefry2x32", arity=2, dtype_rule=_dtype_rule, shape_rule=broadcast_rule,
    reference=threefry2x32, traits=frozenset({ELEMENTWISE, PURE}), differentiable=False,
    doc="Threefry-2x32 (20 rounds) of a packed counter pair under a packed key pair, elementwise"))
