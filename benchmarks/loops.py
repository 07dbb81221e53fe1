"""``python -m benchmarks.loops``: Python loops over traced values, side by side with NumPy,
Numba and JAX (issue 14's benchmark family).

Each kernel of :mod:`benchmarks.loop_kernels` is one Python source run four ways: as plain
NumPy, under ``xlaish.jit`` (its ``for`` loop becomes an IR loop), under ``numba.njit`` (the
same source), and JAX's ``lax.fori_loop`` rewrite under ``jax.jit``. Reported per
implementation:

* **first call** at the small and the full size: compile (cold: xlaish without its disk cache,
  a fresh Numba dispatcher, a fresh ``jax.jit``) plus one run. Each library's one-time start-up
  (LLVM / XLA initialisation, Numba's first import of its typing machinery) is paid by a warm-up
  compile of an unrelated function first, so the figure is the kernel's own compile;
* **run time**: the median of calls interleaved round-robin across implementations (one call of
  each per round, fresh input copies made outside the timed region);
* the outputs of the first call, compared with NumPy's (the arrays the kernel writes).

Results go to ``benchmarks/results/<machine>-<date>-loops.{md,json}``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

from . import timing
from .loop_kernels import KERNELS, OUTPUTS, jax_versions, make_inputs

# kernel -> mode -> ((n, T) small, (n, T) full); trisolv has no T: its loop runs n rows
SIZES = {
    "jacobi_1d": {"full": ((4000, 10), (4000, 1000)), "quick": ((400, 10), (400, 200)),
                  "tiny": ((16, 2), (16, 30))},
    "jacobi_2d": {"full": ((250, 10), (250, 1000)), "quick": ((60, 10), (60, 100)),
                  "tiny": ((8, 2), (8, 30))},
    "heat_3d": {"full": ((40, 10), (40, 500)), "quick": ((16, 10), (16, 50)),
                "tiny": ((6, 2), (6, 30))},
    "trisolv": {"full": ((200, 0), (2000, 0)), "quick": ((100, 0), (400, 0)),
                "tiny": ((8, 0), (40, 0))},
}
ROUNDS = {"full": (7, 20.0), "quick": (3, 3.0), "tiny": (1, 0.5)}   # min rounds, budget s


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Impl:
    """``make()`` gives a fresh (uncompiled) callable taking the kernel's arguments and returning
    the arrays it writes (in OUTPUTS order); ``warm()`` pays the library's one-time start-up."""

    def __init__(self, name, make, warm=lambda: None):
        self.name, self.make, self.warm = name, make, warm


def _writer(fn, outs):
    def run(*args):
        fn(*args)
        return tuple(args[k] for k in outs)
    return run


def implementations(name, only=None):
    """NumPy always (the reference), then those of xlaish, Numba, JAX in ``only`` (all if None);
    a library is imported only when asked for."""
    fn, outs = KERNELS[name], OUTPUTS[name]
    impls = [Impl("numpy", lambda: _writer(fn, outs))]
    want = (lambda n: True) if only is None else (lambda n: n in only)
    if want("xlaish"):
        impls.append(_xlaish_impl(fn, outs))
    if want("numba"):
        impls.append(_numba_impl(fn, outs))
    if want("jax"):
        impls.append(_jax_impl(name))
    return impls


def _xlaish_impl(fn, outs):
    import xlaish

    def xl_make():
        xlaish.clear_caches()       # compiled versions belong to fn: a cold compile needs this
        jf = xlaish.jit(fn)

        def run(*args):
            with xlaish.config.override(cache_dir=None):
                jf(*args)
            return tuple(args[k] for k in outs)
        return run
    return Impl("xlaish", xl_make, lambda: xlaish.jit(lambda a: a * 2 + 1)(np.ones(3)))


def _numba_impl(fn, outs):
    import numba

    def nb_warm():
        numba.njit(lambda a: a * 2 + 1)(np.ones(3))
    return Impl("numba", lambda: _writer(numba.njit(fn), outs), nb_warm)


def _jax_impl(name):
    import jax
    jax.config.update("jax_enable_x64", True)       # the kernels are float64, as in PolyBench
    jv = jax_versions(jax)[name]

    def jax_make():
        jax.clear_caches()          # a cold compile: the same kernel was compiled before
        f = jax.jit(jv)

        def run(*args):
            res = f(*args)
            jax.block_until_ready(res)
            return tuple(np.asarray(r) for r in res)
        return run
    return Impl("jax", jax_make, lambda: jax.jit(lambda a: a * 2 + 1)(np.ones(3)).block_until_ready())


def _copies(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def _first_call(impl, args):
    run = impl.make()
    a = _copies(args)
    t0 = time.perf_counter()
    out = run(*a)
    return time.perf_counter() - t0, run, out


def bench_kernel(name, mode, rng, only=None):
    (n0, t0), (n1, t1) = SIZES[name][mode]
    small = make_inputs(name, rng, n0, t0)
    full = make_inputs(name, rng, n1, t1)
    impls = implementations(name, only)
    for impl in impls:
        impl.warm()
    ref = _writer(KERNELS[name], OUTPUTS[name])(*_copies(full))
    rows = {}
    for impl in impls:
        first_small, _, _ = _first_call(impl, small)
        first_full, run, out = _first_call(impl, full)
        err = max(float(np.max(np.abs(o - r) / (1 + np.abs(r)))) if r.size else 0.0
                  for o, r in zip(out, ref))
        rows[impl.name] = dict(first_small_s=first_small, first_full_s=first_full, run=run,
                               max_rel_err=err, times=[])
        log(f"  {name} {impl.name}: first call {first_small:.3f} s (small) {first_full:.3f} s (full), "
            f"max rel err {err:.1e}")
    min_rounds, budget = ROUNDS[mode]
    start = time.perf_counter()
    k = 0
    while k < min_rounds or time.perf_counter() - start < budget:
        for impl in impls:                     # interleaved: one call of each per round
            a = _copies(full)
            r = rows[impl.name]
            t = time.perf_counter()
            r["run"](*a)
            r["times"].append(time.perf_counter() - t)
        k += 1
        if k >= 200:
            break
    for r in rows.values():
        r["run_s"] = statistics.median(r.pop("times"))
        r.pop("run")
        r["rounds"] = k
    return dict(small=dict(n=n0, T=t0), full=dict(n=n1, T=t1), impls=rows)


def to_markdown(results):
    lines = [f"# Loop kernels: {results['machine']['cpu']}, {results['machine']['cores']} cores, "
             f"{results['date']}", "",
             f"Load average before/after: {results['load_before']} / {results['load_after']}. "
             "Run time = median of interleaved calls; first call = cold compile + one run "
             "(small size / full size). Ratios are NumPy time / implementation time (higher is "
             "faster).", "",
             "| kernel | size | impl | first call small | first call full | run time | vs NumPy | "
             "max rel err |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in results["kernels"].items():
        np_run = r["impls"]["numpy"]["run_s"]
        size = f"n={r['full']['n']}" + (f", T={r['full']['T']}" if r['full']['T'] else "")
        for impl, v in r["impls"].items():
            lines.append(f"| {name} | {size} | {impl} | {v['first_small_s']:.3f} s | "
                         f"{v['first_full_s']:.3f} s | {v['run_s'] * 1e3:.2f} ms | "
                         f"{np_run / v['run_s']:.2f}x | {v['max_rel_err']:.1e} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", choices=("full", "quick", "tiny"), default="full")
    p.add_argument("--kernels", default=",".join(KERNELS))
    p.add_argument("--impls", default="numpy,xlaish,numba,jax", help="comma list (numpy always runs: "
                   "it is the reference)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    results = dict(machine=timing.machine_info(), date=time.strftime("%Y-%m-%d"),
                   load_before=timing.loadavg(), kernels={})
    for name in args.kernels.split(","):
        log(f"{name} ({args.mode})")
        results["kernels"][name] = bench_kernel(name, args.mode, rng, set(args.impls.split(",")))
    results["load_after"] = timing.loadavg()
    md = to_markdown(results)
    print(md)
    suffix = "" if args.mode == "full" else f"-{args.mode}"
    base = timing.save_results(args.out, f"loops{suffix}", md, results)
    log(f"wrote {base}.md / .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
