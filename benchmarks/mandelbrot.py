"""``python -m benchmarks.mandelbrot``: escape-time Mandelbrot on a complex grid, written in NumPy,
side by side with NumPy, Numba and JAX (issue 16), plus the layout study behind
:mod:`xlaish.passes.complex` (complex values interleaved in memory vs. separate real arrays).

* ``mandelbrot(c, maxit)``: ``z = z*z + c`` in a Python ``for`` loop over a traced trip count
  (one IR while loop carrying ``z`` and the counts), ``np.abs(z) <= 2`` masks, ``np.where``.
  xlaish and Numba (``njit``) run this same source; JAX runs it as ``lax.fori_loop``.
* ``chain`` vs ``chain_soa``: the same complex multiply-add chain on complex arrays (NumPy's
  interleaved layout, read and written as pairs by xlaish's kernels) and on separate real and
  imaginary arrays (structure of arrays), both under ``xlaish.jit``: what the interleaved memory
  layout costs a memory-bound kernel.

Run time = median of calls interleaved round-robin across implementations (after one warm-up call
each, which includes compilation). Ratios are NumPy's time / the implementation's. The machine's
load average is recorded (this machine is shared). Results go to
``benchmarks/results/<machine>-<date>-mandelbrot.{md,json}``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

from . import timing


def mandelbrot(c, maxit):
    z = np.zeros_like(c)
    count = np.zeros(c.shape, np.int32)
    for _ in range(maxit):
        z = z * z + c
        alive = np.abs(z) <= 2.0
        count = count + alive
        z = np.where(alive, z, 2.0)       # escaped points stay bounded (no overflow warnings)
    return count


def chain(z, a):
    for _ in range(4):
        z = z * a + 0.5j
    return z


def chain_soa(zr, zi, ar, ai):
    for _ in range(4):
        zr, zi = zr * ar - zi * ai, zr * ai + zi * ar + 0.5
    return zr, zi


def grid(n, dtype=np.complex128):
    x = np.linspace(-2.0, 0.6, n)
    y = np.linspace(-1.2, 1.2, n)
    return (x[None, :] + 1j * y[:, None]).astype(dtype)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def _jax_mandelbrot():
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    @jax.jit
    def f(c, maxit):
        def body(_, s):
            z, count = s
            z = z * z + c
            alive = jnp.abs(z) <= 2.0
            return jnp.where(alive, z, 2.0), count + alive
        z0 = jnp.zeros_like(c)
        return jax.lax.fori_loop(0, maxit, body, (z0, jnp.zeros(c.shape, jnp.int32)))[1]
    return lambda c, maxit: np.asarray(jax.block_until_ready(f(c, maxit)))


def implementations(only):
    impls = {"numpy": mandelbrot}
    if "xlaish" in only:
        import xlaish
        impls["xlaish"] = xlaish.jit(mandelbrot)
    if "numba" in only:
        import numba
        impls["numba"] = numba.njit(mandelbrot)
    if "jax" in only:
        impls["jax"] = _jax_mandelbrot()
    return impls


def interleaved(calls: dict, args_of, rounds: int, budget_s: float):
    """(median seconds, minimum seconds) per implementation, one call of each per round."""
    times = {k: [] for k in calls}
    start = time.perf_counter()
    k = 0
    while k < rounds or (time.perf_counter() - start < budget_s and k < 50):
        for name, f in calls.items():
            a = args_of(name)
            t = time.perf_counter()
            f(*a)
            times[name].append(time.perf_counter() - t)
        k += 1
    return {n: statistics.median(v) for n, v in times.items()}, {n: min(v) for n, v in times.items()}, k


def bench_mandelbrot(n, maxit, only, rounds, budget):
    c = grid(n)
    impls = implementations(only)
    ref = mandelbrot(c, maxit)
    first, agree = {}, {}
    for name, f in impls.items():
        t = time.perf_counter()
        out = f(c, maxit)
        first[name] = time.perf_counter() - t
        agree[name] = float(np.mean(np.asarray(out) == ref))
        log(f"  mandelbrot {name}: first call {first[name]:.2f} s, pixels equal to NumPy {agree[name]:.6f}")
    med, low, k = interleaved(impls, lambda name: (c, maxit), rounds, budget)
    return dict(n=n, maxit=maxit, rounds=k, first_call_s=first, run_s=med, min_s=low, equal_fraction=agree)


def bench_layout(n, rounds, budget):
    import xlaish
    rng = np.random.default_rng(0)
    z = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.5
    a = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.5
    zr, zi, ar, ai = (np.ascontiguousarray(v) for v in (z.real, z.imag, a.real, a.imag))
    f_aos, f_soa = xlaish.jit(chain), xlaish.jit(chain_soa)
    got, (gr, gi) = f_aos(z, a), f_soa(zr, zi, ar, ai)
    want = chain(z, a)
    assert np.allclose(got, want) and np.allclose(gr + 1j * gi, want)
    calls = {"numpy (complex)": chain, "xlaish interleaved (complex arrays)": f_aos,
             "xlaish separate re/im arrays": f_soa}
    args = {"numpy (complex)": (z, a), "xlaish interleaved (complex arrays)": (z, a),
            "xlaish separate re/im arrays": (zr, zi, ar, ai)}
    med, low, k = interleaved(calls, lambda name: args[name], rounds, budget)
    return dict(n=n, rounds=k, run_s=med, min_s=low)


def to_markdown(r):
    m = r["mandelbrot"]
    lines = [f"# Mandelbrot (complex128): {r['machine']['cpu']}, {r['machine']['cores']} cores, {r['date']}",
             "", f"Load average before/after: {r['load_before']} / {r['load_after']} (shared machine). "
             f"Grid {m['n']}x{m['n']}, {m['maxit']} iterations, {m['rounds']} interleaved rounds; "
             "run time = median; ratio = NumPy time / implementation time.", "",
             "| impl | first call (compile + run) | run time (median) | min | vs NumPy "
             "| pixels equal to NumPy |",
             "|---|---|---|---|---|---|"]
    np_t = m["run_s"]["numpy"]
    for name, t in m["run_s"].items():
        lines.append(f"| {name} | {m['first_call_s'][name]:.2f} s | {t * 1e3:.1f} ms | "
                     f"{m['min_s'][name] * 1e3:.1f} ms | {np_t / t:.2f}x | {m['equal_fraction'][name]:.6f} |")
    lay = r["layout"]
    lines += ["", f"## Layout: complex multiply-add chain, {lay['n']} complex128 elements "
              f"({lay['rounds']} rounds)", "", "| variant | run time (median) | min | vs NumPy |",
              "|---|---|---|---|"]
    np_t = lay["run_s"]["numpy (complex)"]
    for name, t in lay["run_s"].items():
        lines.append(f"| {name} | {t * 1e3:.2f} ms | {lay['min_s'][name] * 1e3:.2f} ms | {np_t / t:.2f}x |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1000, help="grid side (default 1000: 1000x1000 points)")
    p.add_argument("--maxit", type=int, default=50)
    p.add_argument("--impls", default="numpy,xlaish,numba,jax")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--budget", type=float, default=20.0, help="seconds of interleaved rounds at most")
    p.add_argument("--layout-n", type=int, default=1 << 22)
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = p.parse_args(argv)
    only = set(args.impls.split(","))
    res = dict(machine=timing.machine_info(), date=time.strftime("%Y-%m-%d"), load_before=timing.loadavg())
    res["mandelbrot"] = bench_mandelbrot(args.n, args.maxit, only, args.rounds, args.budget)
    res["layout"] = bench_layout(args.layout_n, args.rounds, args.budget)
    res["load_after"] = timing.loadavg()
    md = to_markdown(res)
    print(md)
    if args.out:
        timing.save_results(args.out, "mandelbrot", md, res)
    return res


if __name__ == "__main__":
    main()
