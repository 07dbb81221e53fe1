"""Per-call cost of ``xl.jit(f)(x)`` written inline (a fresh wrapper every call) against a hoisted
``g = xl.jit(f)`` called in the loop, and ``jax.jit(f)(x)`` inline (``jax[cpu]`` is in the bench extra).

Usage: python -m benchmarks.inline_jit [N] [--rounds R] [--out benchmarks/results]

A fresh ``xl.jit(f)`` of the same function object reuses the compiled versions of every earlier
one (the signature cache is keyed by the function, held weakly), so the inline figure is the
hoisted one plus the cost of building the wrapper. The goal: inline within 2x of hoisted.
"""
from __future__ import annotations

import time
from datetime import date

import numpy as np

import xlaish as xl

from . import timing


def f(x):
    return x * 2.0 + 1.0


def _block_us(call, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - t0) / n * 1e6


def main(n: int = 20000, rounds: int = 9, out: str | None = None) -> dict:
    """Rounds of ``n`` calls of each form, interleaved (the VM's load drifts); per form the
    median and the minimum of the rounds' per-call times, in microseconds."""
    x = np.ones(8, dtype=np.float32)
    g = xl.jit(f)
    g(x)                                   # compiled once, outside the timing
    forms = {
        "xlaish hoisted   g(x)": (lambda: g(x), n),
        "xlaish inline    xl.jit(f)(x)": (lambda: xl.jit(f)(x), n),
    }
    import jax
    xj = jax.numpy.asarray(x)
    jg = jax.jit(f)
    jg(xj).block_until_ready()
    forms["jax    hoisted   jg(x)"] = (lambda: jg(xj).block_until_ready(), n // 10)
    forms["jax    inline    jax.jit(f)(x)"] = (lambda: jax.jit(f)(xj).block_until_ready(), n // 10)
    load_before = timing.loadavg()
    times: dict = {name: [] for name in forms}
    for _ in range(rounds):
        for name, (call, k) in forms.items():
            times[name].append(_block_us(call, k))
    rows = {name: {"median_us": float(np.median(v)), "min_us": float(np.min(v))}
            for name, v in times.items()}
    ratio = rows["xlaish inline    xl.jit(f)(x)"]["median_us"] / rows["xlaish hoisted   g(x)"]["median_us"]
    lines = [f"# Inline `xl.jit(f)(x)` against a hoisted jit: {timing.machine_name()}, {date.today()}", "",
             f"f(x) = x * 2 + 1 on 8 float32; {rounds} interleaved rounds of {n} calls (JAX {n // 10}); "
             f"load before/after {load_before} / {timing.loadavg()}.", "",
             "| form | median us/call | min us/call |", "|---|---|---|"]
    for name, r in rows.items():
        lib, _, form = name.split(maxsplit=2)
        lines.append(f"| `{form}` ({lib}) | {r['median_us']:.2f} | {r['min_us']:.2f} |")
    lines += ["", f"xlaish inline / hoisted (medians): {ratio:.2f}x (goal: <= 2x)", ""]
    md = "\n".join(lines)
    print(md)
    if out:
        data = {"date": str(date.today()), "machine": timing.machine_info(), "rows": rows,
                "inline_over_hoisted": ratio, "load_before": load_before, "load_after": timing.loadavg()}
        print("wrote", timing.save_results(out, "inline-jit", md, data))
    return rows


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("n", nargs="?", type=int, default=20000, help="calls per round (JAX: n/10)")
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--out", default=None, help="directory for the .md/.json (e.g. benchmarks/results)")
    a = p.parse_args()
    main(a.n, a.rounds, a.out)
