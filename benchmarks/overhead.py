"""Ad-hoc measurement of the CPU runtime's overheads (issue 20): run with
``PYTHONPATH=$PWD python -m benchmarks.overhead [--rounds R] [--only bs,call,mlp]``.

* Black-Scholes on 4e6 float32 (two fresh outputs per call): the jitted call vs the fused kernel
  alone (the compiled entry called on preallocated outputs) vs NumPy vs JAX.
* ``x * 2, x + 1`` on 16e6 float32 (two 64 MB results): with and without the result pool.
* Per-call overhead at N=10 (``x * 2 + 1``, float32): jitted vs NumPy vs Numba vs JAX.
* Batch-1 MLP inference (1x784 @ 784x256 + b, ReLU, @ 256x10 + b) and a bare ``x @ W1``:
  jitted vs NumPy vs JAX.

Candidates are interleaved (every round times each once, in batches lasting ~``target`` s), so a
shared machine's load spreads over all of them; the report gives the median and the min of the
per-round times, and ``uptime``'s load before and after. Numba and JAX are optional.
"""
from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import time

import numpy as np

import xlaish as xl
import xlaish.special as xsp

CLOCK = [time.perf_counter]


def _batch(call, target):
    clock = CLOCK[0]
    t0 = time.perf_counter()
    call()
    one = time.perf_counter() - t0
    inner = max(1, min(200_000, int(target / max(one, 1e-8))))
    t0 = clock()
    for _ in range(inner):
        call()
    return (clock() - t0) / inner


def interleave(cands: dict, rounds: int, target: float) -> dict:
    for c in cands.values():        # warm up (compiles)
        c()
        c()
    times = {k: [] for k in cands}
    gc.disable()
    try:
        for _ in range(rounds):
            for k, c in cands.items():
                times[k].append(_batch(c, target))
    finally:
        gc.enable()
    return {k: (statistics.median(v), min(v)) for k, v in times.items()}


def _fmt(t):
    return f"{t * 1e3:9.3f} ms" if t >= 1e-3 else f"{t * 1e6:9.2f} us"


def report(title, res):
    print(f"\n{title}")
    for k, (med, mn) in res.items():
        print(f"  {k:30s} median {_fmt(med)}   min {_fmt(mn)}")


def _load():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


# ----------------------------------------------------------------------------- Black-Scholes
R, V = 0.02, 0.30
INV_SQRT2 = 1 / math.sqrt(2)


def _bs(S, K, T, erf, exp, log, sqrt):
    st = sqrt(T)
    d1 = (log(S / K) + (R + 0.5 * V * V) * T) / (V * st)
    d2 = d1 - V * st
    n1 = 0.5 + 0.5 * erf(d1 * INV_SQRT2)
    n2 = 0.5 + 0.5 * erf(d2 * INV_SQRT2)
    disc = K * exp(-R * T)
    return S * n1 - disc * n2, disc * (1 - n2) - S * (1 - n1)


def _kernel_only(f, *args):
    """The compiled entry called on preallocated outputs: the fused kernels and nothing else."""
    exe = f.lower(*args).executable
    objs = tuple(args) + tuple(np.empty(s, d) for s, d in exe.out_specs)
    nt = xl.config.num_threads() if exe.parallel else 1
    if getattr(exe, "fast_entry", None) is not None:       # (an xlaish before issue 20: for comparisons)
        from xlaish.runtime import native
        fe, addr = exe.fast_entry, id(objs) + native._TUPLE_ITEMS
        return lambda objs=objs: fe(addr, nt)
    fe = exe.py_entry
    return lambda: fe(objs, nt)


def _pool_off(f, *args):
    os.environ["XLAISH_RESULT_POOL_MB"] = "0"
    try:
        return f(*args)
    finally:
        del os.environ["XLAISH_RESULT_POOL_MB"]


def bench_bs(rounds, target, n=4_000_000):
    rng = np.random.default_rng(0)
    S = rng.uniform(10, 100, n).astype(np.float32)
    K = rng.uniform(10, 100, n).astype(np.float32)
    T = rng.uniform(0.25, 2.0, n).astype(np.float32)
    f = xl.jit(lambda S, K, T: _bs(S, K, T, xsp.erf, np.exp, np.log, np.sqrt))
    try:
        from scipy.special import erf as np_erf
    except ImportError:
        np_erf = None
    held = [None]

    def keep(call):     # ``c, p = f(...)`` in a loop: the previous results live during the call
        held[0] = call()
    cands = {"xlaish jit": lambda: f(S, K, T), "xlaish jit, result pool off": lambda: _pool_off(f, S, K, T),
             "xlaish jit, last results kept": lambda: keep(lambda: f(S, K, T)),
             "xlaish jit, kept, pool off": lambda: keep(lambda: _pool_off(f, S, K, T)),
             "xlaish kernel only": _kernel_only(f, S, K, T)}
    if np_erf is not None:
        cands["numpy (scipy erf)"] = lambda: _bs(S, K, T, np_erf, np.exp, np.log, np.sqrt)
    try:
        import jax
        import jax.numpy as jnp
        from jax.scipy.special import erf as jerf
        jf = jax.jit(lambda S, K, T: _bs(S, K, T, jerf, jnp.exp, jnp.log, jnp.sqrt))
        js, jk, jt = (jax.device_put(a) for a in (S, K, T))
        cands["jax jit"] = lambda: jax.block_until_ready(jf(js, jk, jt))
    except ImportError:
        pass
    c, p = f(S, K, T)
    ec, ep = _bs(S.astype(np.float64), K, T, np_erf or xsp.erf, np.exp, np.log, np.sqrt)
    assert np.allclose(c, ec, atol=2e-3) and np.allclose(p, ep, atol=2e-3)
    report(f"Black-Scholes n={n} float32, two outputs", interleave(cands, rounds, target))


def bench_big(rounds, target, n=16_000_000):
    """Two 64 MB results: beyond glibc's largest mmap threshold (32 MB), so without the pool
    every call maps and faults in fresh memory."""
    x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    f = xl.jit(lambda x: (x * 2, x + 1))
    cands = {"xlaish jit": lambda: f(x), "xlaish jit, result pool off": lambda: _pool_off(f, x),
             "xlaish kernel only": _kernel_only(f, x), "numpy": lambda: (x * 2, x + 1)}
    report(f"x * 2, x + 1 on float32[{n}] (two 64 MB results)", interleave(cands, rounds, target))


# ----------------------------------------------------------------------------- per-call overhead
def bench_call(rounds, target, n=10):
    x = np.arange(n, dtype=np.float32)

    def g(x):
        return x * 2 + 1
    f = xl.jit(g)
    cands = {"xlaish jit": lambda: f(x), "numpy": lambda: g(x)}
    try:
        import numba
        nf = numba.njit(g)
        cands["numba njit"] = lambda: nf(x)
    except ImportError:
        pass
    try:
        import jax
        jf = jax.jit(g)
        jx = jax.device_put(x)
        cands["jax jit"] = lambda: jf(jx)
    except ImportError:
        pass
    np.testing.assert_array_equal(f(x), g(x))
    report(f"per-call overhead, x * 2 + 1 on float32[{n}]", interleave(cands, rounds, target))


# ----------------------------------------------------------------------------- batch-1 MLP
def _mlp(x, w1, b1, w2, b2):
    return np.maximum(x @ w1 + b1, 0) @ w2 + b2


def _mlp_jax(x, w1, b1, w2, b2):
    import jax.numpy as jnp
    return jnp.maximum(x @ w1 + b1, 0) @ w2 + b2


def bench_mlp(rounds, target):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 784)).astype(np.float32)
    w1 = (rng.standard_normal((784, 256)) / 28).astype(np.float32)
    b1 = rng.standard_normal(256).astype(np.float32)
    w2 = (rng.standard_normal((256, 10)) / 16).astype(np.float32)
    b2 = rng.standard_normal(10).astype(np.float32)
    f = xl.jit(_mlp)
    mm = xl.jit(lambda x, w: x @ w)
    cands = {"xlaish mlp": lambda: f(x, w1, b1, w2, b2),
             "xlaish mlp kernel only": _kernel_only(f, x, w1, b1, w2, b2),
             "numpy mlp": lambda: _mlp(x, w1, b1, w2, b2),
             "xlaish x@W1": lambda: mm(x, w1),
             "xlaish x@W1 kernel only": _kernel_only(mm, x, w1),
             "numpy x@W1": lambda: x @ w1}
    try:
        import jax
        jf = jax.jit(_mlp_jax)
        jargs = [jax.device_put(a) for a in (x, w1, b1, w2, b2)]
        cands["jax mlp"] = lambda: jax.block_until_ready(jf(*jargs))
    except ImportError:
        pass
    np.testing.assert_allclose(f(x, w1, b1, w2, b2), _mlp(x, w1, b1, w2, b2), rtol=1e-4, atol=1e-4)
    report("batch-1 MLP inference 1x784 @ 784x256 + ReLU + 256x10", interleave(cands, rounds, target))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--target", type=float, default=0.02, help="seconds per timed batch")
    ap.add_argument("--only", default="bs,big,call,mlp")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="cpu: the calling thread's CPU time (time.thread_time), steadier on a loaded "
                         "machine; meaningful for one-thread runs only (XLAISH_NUM_THREADS=1)")
    a = ap.parse_args(argv)
    if a.clock == "cpu":
        CLOCK[0] = time.thread_time
    print(f"load before: {_load()}  cpus: {os.cpu_count()}  threads: {xl.config.num_threads()}  "
          f"clock: {a.clock}")
    for name in a.only.split(","):
        {"bs": bench_bs, "big": bench_big, "call": bench_call, "mlp": bench_mlp}[name](a.rounds, a.target)
    print(f"\nload after: {_load()}")


if __name__ == "__main__":
    main()
