"""Per-call cost of ``xl.jit(f)(x)`` written inline (a fresh wrapper every call) against a hoisted
``g = xl.jit(f)`` called in the loop, and ``jax.jit(f)(x)`` inline when JAX is importable.

Usage: python benchmarks/inline_jit.py [N]     (N calls per figure, default 20000)

A fresh ``xl.jit(f)`` of the same function object reuses the compiled versions of every earlier
one (the signature cache is keyed by the function, held weakly), so the inline figure is the
hoisted one plus the cost of building the wrapper. The goal: inline within 2x of hoisted.
"""
from __future__ import annotations

import sys
import time

import numpy as np

import xlaish as xl


def f(x):
    return x * 2.0 + 1.0


def per_call_us(call, n: int) -> float:
    """Best of 5 runs of ``n`` calls, in microseconds per call."""
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            call()
        best = min(best, (time.perf_counter() - t0) / n)
    return best * 1e6


def main(n: int = 20000) -> dict:
    x = np.ones(8, dtype=np.float32)
    g = xl.jit(f)
    g(x)                                   # compiled once, outside the timing
    rows = {
        "xlaish hoisted   g(x)": per_call_us(lambda: g(x), n),
        "xlaish inline    xl.jit(f)(x)": per_call_us(lambda: xl.jit(f)(x), n),
    }
    try:
        import jax
    except ImportError:
        jax = None
    if jax is not None:
        xj = jax.numpy.asarray(x)
        jg = jax.jit(f)
        jg(xj).block_until_ready()
        rows["jax    hoisted   jg(x)"] = per_call_us(lambda: jg(xj).block_until_ready(), n // 10)
        rows["jax    inline    jax.jit(f)(x)"] = per_call_us(lambda: jax.jit(f)(xj).block_until_ready(),
                                                             n // 10)
    for name, us in rows.items():
        print(f"{name:34s} {us:8.2f} us/call")
    ratio = rows["xlaish inline    xl.jit(f)(x)"] / rows["xlaish hoisted   g(x)"]
    print(f"inline / hoisted: {ratio:.2f}x (goal: <= 2x)")
    return rows


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
