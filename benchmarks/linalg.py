"""``python -m benchmarks.linalg``: np.linalg under ``xlaish.jit`` beside NumPy, Numba and JAX.

Two workloads (issue 16):

* ``solve4``: ``np.linalg.solve`` of a batch of 4x4 systems (10,000 by default), right-hand side
  (batch, 4). xlaish computes it inline (unrolled LU over the batch, one fused kernel); NumPy and
  JAX call their batched LAPACK-style solvers; Numba loops over the batch calling
  ``np.linalg.solve`` per system (what Numba supports);
* ``chol``: ``np.linalg.cholesky`` of one 2048x2048 SPD matrix (xlaish: a LAPACK kernel calling
  the OpenBLAS NumPy loads; so do NumPy and Numba; JAX: XLA's).

Run time: the median of calls interleaved round-robin (one call of each implementation per round);
ratios are against NumPy. The machine load (``os.getloadavg``) is printed before and after.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def _impls(name, args):
    import xlaish as xl
    out = {}
    if name == "solve4":
        out["numpy"] = lambda a, b: np.linalg.solve(a, b[..., None])[..., 0]
        out["xlaish"] = xl.jit(lambda a, b: np.linalg.solve(a, b[..., None])[..., 0])
    else:
        out["numpy"] = np.linalg.cholesky
        out["xlaish"] = xl.jit(np.linalg.cholesky)
    try:
        import numba
        if name == "solve4":
            @numba.njit(cache=False)
            def nb(a, b):
                x = np.empty_like(b)
                for i in range(a.shape[0]):
                    x[i] = np.linalg.solve(a[i], b[i])
                return x
        else:
            @numba.njit(cache=False)
            def nb(a):
                return np.linalg.cholesky(a)
        out["numba"] = nb
    except ImportError:
        log("numba not installed: skipped")
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        if name == "solve4":
            jf = jax.jit(lambda a, b: jnp.linalg.solve(a, b[..., None])[..., 0])
        else:
            jf = jax.jit(jnp.linalg.cholesky)
        dev = [jax.device_put(x) for x in args]
        out["jax"] = lambda *_: jf(*dev).block_until_ready()
    except ImportError:
        log("jax not installed: skipped")
    return out


def inputs(name, batch, n, seed=0):
    rng = np.random.default_rng(seed)
    if name == "solve4":
        a = rng.standard_normal((batch, 4, 4)) + 4 * np.eye(4)
        return a, rng.standard_normal((batch, 4))
    m = rng.standard_normal((n, n))
    return (m @ m.T + n * np.eye(n),)


def run(name, args, rounds, budget):
    impls = _impls(name, args)
    ref = impls["numpy"](*args)
    first = {}
    for k, f in impls.items():
        t0 = time.perf_counter()
        r = np.asarray(f(*args) if k != "jax" else _jax_value(f, name, args))
        first[k] = time.perf_counter() - t0
        err = float(np.max(np.abs(r - ref))) if r is not None and r.shape == ref.shape else float("nan")
        log(f"  {k:7s} first call {first[k]:.3f}s  max|diff vs numpy| {err:.2e}")
    samples = {k: [] for k in impls}
    start = time.perf_counter()
    i = 0
    while i < rounds or time.perf_counter() - start < budget:
        for k, f in impls.items():
            t0 = time.perf_counter()
            f(*args)
            samples[k].append(time.perf_counter() - t0)
        i += 1
        if i >= 10 * rounds and time.perf_counter() - start >= budget:
            break
    med = {k: statistics.median(v) for k, v in samples.items()}
    return med, {k: len(v) for k, v in samples.items()}


def _jax_value(f, name, args):
    import jax
    import jax.numpy as jnp
    if name == "solve4":
        return np.asarray(jax.jit(lambda a, b: jnp.linalg.solve(a, b[..., None])[..., 0])(*args))
    return np.asarray(jax.jit(jnp.linalg.cholesky)(*args))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=10_000)
    p.add_argument("--n", type=int, default=2048)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--budget", type=float, default=10.0, help="seconds per workload")
    a = p.parse_args(argv)
    print(f"load average before: {os.getloadavg()}")
    for name, label in (("solve4", f"solve: {a.batch} systems 4x4, float64"),
                        ("chol", f"cholesky: {a.n}x{a.n}, float64")):
        log(label)
        med, counts = run(name, inputs(name, a.batch, a.n), a.rounds, a.budget)
        print(f"\n{label}")
        print(f"{'impl':8s} {'median':>12s} {'vs numpy':>9s} {'samples':>8s}")
        for k, v in sorted(med.items(), key=lambda kv: kv[1]):
            print(f"{k:8s} {v * 1e3:10.3f}ms {v / med['numpy']:9.2f} {counts[k]:8d}")
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
