"""``xlaish demo``: the whole pipeline on one small function, in one command.

Traces a row-wise layernorm, prints the traced IR, the optimised (fused) IR
and the fusion report, checks the compiled result against NumPy, and times
xlaish fused, xlaish unfused (``fuse=False``) and NumPy on random float32
data. Finishes in a few seconds.
"""
from __future__ import annotations

import inspect
import statistics
import sys
import time

import numpy as np

from .jit import jit


def layernorm(x, gamma, beta):
    mean = np.mean(x, axis=-1, keepdims=True)
    xc = x - mean
    var = np.mean(xc * xc, axis=-1, keepdims=True)
    return xc / np.sqrt(var + 1e-5) * gamma + beta


def _median_time(fn, args, budget_s=0.5, min_runs=5, max_runs=200):
    fn(*args)                                   # warm-up
    times = []
    start = time.perf_counter()
    while len(times) < max_runs and (len(times) < min_runs or time.perf_counter() - start < budget_s):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


def _fmt(s):
    return f"{s * 1e3:.3f} ms" if s >= 1e-3 else f"{s * 1e6:.1f} µs"


def _section(title, out):
    print(f"\n== {title} " + "=" * max(0, 66 - len(title)), file=out)


def run_demo(size: int = 1 << 22, out=None) -> int:
    """Run the demo on about ``size`` float32 elements (rows of up to 1024); returns 0 on success."""
    out = out or sys.stdout
    t_all = time.perf_counter()
    size = max(1, int(size))
    cols = min(1024, size)
    rows = max(1, size // cols)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, cols), dtype=np.float32)
    gamma = rng.standard_normal(cols, dtype=np.float32)
    beta = rng.standard_normal(cols, dtype=np.float32)
    args = (x, gamma, beta)

    print(f"xlaish demo: layernorm over the rows of a float32[{rows},{cols}] matrix "
          f"({rows * cols:,} elements)", file=out)
    _section("1. the Python function", out)
    print(inspect.getsource(layernorm).rstrip(), file=out)

    fused = jit(layernorm)
    unfused = jit(layernorm, fuse=False)
    t0 = time.perf_counter()
    low = fused.lower(*args)
    t_compile = time.perf_counter() - t0

    _section("2. traced IR (what tracing records)", out)
    print(low.as_text("traced"), file=out)
    _section("3. optimised IR (after canonicalize/simplify/fold/cse/dce and fusion)", out)
    print(low.as_text("optimized"), file=out)
    _section("4. fusion report", out)
    rep = low.fusion_report()
    print(rep, file=out)

    _section("5. result and timing", out)
    got = fused(*args)
    want = layernorm(*args)
    err = float(np.max(np.abs(got.astype(np.float64) - want)))
    ok = bool(np.allclose(got, want, rtol=1e-3, atol=1e-4))
    print(f"compile (trace + passes + LLVM, or a disk-cache hit): {_fmt(t_compile)}", file=out)
    print(f"max |xlaish - NumPy| = {err:.3g}  ({'ok' if ok else 'MISMATCH'})", file=out)
    unfused(*args)
    t_np, n_np = _median_time(layernorm, args)
    t_f, n_f = _median_time(fused, args)
    t_u, n_u = _median_time(unfused, args)
    print(f"{'':22}{'median':>12}  {'vs NumPy':>9}  kernels", file=out)
    print(f"{'NumPy':22}{_fmt(t_np):>12}  {'1.00x':>9}  {rep.unfused_kernels} (one per op)", file=out)
    print(f"{'xlaish fuse=False':22}{_fmt(t_u):>12}  {t_np / t_u:>8.2f}x  {rep.unfused_kernels}", file=out)
    print(f"{'xlaish (fused)':22}{_fmt(t_f):>12}  {t_np / t_f:>8.2f}x  {rep.num_kernels}", file=out)
    print(f"fusion: {t_u / t_f:.2f}x faster than unfused; memory traffic "
          f"{(rep.unfused_bytes_read + rep.unfused_bytes_written) / 2**20:.1f} MiB -> "
          f"{(rep.bytes_read + rep.bytes_written) / 2**20:.1f} MiB per call", file=out)
    print(f"(medians of {n_np}/{n_u}/{n_f} runs; demo took {time.perf_counter() - t_all:.1f} s; "
          f"`xlaish bench` runs the full suite)", file=out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run_demo())
