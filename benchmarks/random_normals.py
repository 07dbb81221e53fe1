"""1e8 float32 standard normals: ``xlaish.random.normal`` (compiled: Threefry bits, erfinv, one
fused kernel) against ``jax.random.normal`` (``jax.jit``, blocked on the result) and NumPy's
``np.random.default_rng().standard_normal(n, dtype=np.float32)`` (PCG64 + ziggurat, one thread);
also ``xlaish.random.default_rng().standard_normal`` inside ``jit`` (the same kernel plus one
host callback fetching the key).

Usage: python benchmarks/random_normals.py [N] [ROUNDS]     (default N = 1e8, 7 rounds)

The implementations are timed interleaved (one call of each per round, compiles and a warm-up
call outside the timing), so load from other processes hits all of them alike; the report gives
the median and the minimum per implementation, normals per second (from the median), each
one's median time over xlaish's, the threads xlaish used and the load average (``uptime``)
before and after. On a shared machine the minimum is the better estimate of each one's speed.
"""
from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

import xlaish as xl
from xlaish import config
from xlaish import random as xr


def _load() -> str:
    try:
        a, b, c = os.getloadavg()
        return f"load average {a:.2f} {b:.2f} {c:.2f}"
    except OSError:
        return "load average n/a"


def implementations(n: int) -> dict:
    """name -> a callable drawing n float32 normals (compiled and warmed up)."""
    k = xr.key(0)
    f = xl.jit(lambda key: xr.normal(key, (n,), np.float32))
    rng = xr.default_rng(0)
    g = xl.jit(lambda: rng.standard_normal((n,), np.float32))
    nrng = np.random.default_rng(0)
    impls = {"xlaish.random.normal": lambda: f(k),
             "xlaish default_rng (jit)": g,
             "numpy default_rng": lambda: nrng.standard_normal(n, dtype=np.float32)}
    try:
        import jax
    except ImportError:
        jax = None
    if jax is not None:
        jk = jax.random.PRNGKey(0)
        jf = jax.jit(lambda key: jax.random.normal(key, (n,), jax.numpy.float32))
        impls["jax.random.normal"] = lambda: jf(jk).block_until_ready()
    for call in impls.values():
        call()
    return impls


def main(n: int = 10 ** 8, rounds: int = 7) -> dict:
    before = _load()
    impls = implementations(n)
    times = {name: [] for name in impls}
    for _ in range(rounds):
        for name, call in impls.items():
            t0 = time.perf_counter()
            out = call()
            times[name].append(time.perf_counter() - t0)
            del out
    after = _load()
    base = statistics.median(times["xlaish.random.normal"])
    print(f"{n:.0e} float32 normals, {rounds} interleaved rounds; xlaish threads: "
          f"{config.num_threads()}, CPUs: {os.cpu_count()}")
    print(f"before: {before}; after: {after}")
    print(f"{'implementation':28s} {'median s':>9s} {'min s':>8s} {'Gnormals/s':>11s} {'x xlaish':>9s}")
    rows = {}
    for name, ts in times.items():
        med, best = statistics.median(ts), min(ts)
        rows[name] = {"median_s": med, "min_s": best, "per_s": n / med, "ratio": med / base}
        print(f"{name:28s} {med:9.3f} {best:8.3f} {n / med / 1e9:11.3f} {med / base:9.2f}")
    return rows


if __name__ == "__main__":
    args = [int(float(a)) for a in sys.argv[1:3]]
    main(*args)
