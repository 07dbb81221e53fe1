"""Matmul: xlaish against NumPy (OpenBLAS), Numba and JAX, and against the machine's FMA peak.

    python -m benchmarks.matmul [--sizes 256,512,1024,2048] [--reps 7] [--skip numba,jax]
    OPENBLAS_NUM_THREADS=1 XLAISH_NUM_THREADS=1 python -m benchmarks.matmul --cpu-time

* Peak: a tight loop of independent vector FMAs (AVX-512 ``<16 x float>`` / ``<8 x double>``,
  12 accumulators, so neither latency nor loads limit it) written with llvmlite and compiled
  for the host, run on 1 and 2 threads (plain Python threads; the loop releases the GIL as a
  ctypes call). Reported as GFLOP/s (2 flops per FMA lane).
* Cubes ``n x n @ n x n`` for float32 and float64, and the batch-1 inference product
  ``(1, 784) @ (784, 256)`` float32 (the MLP's first layer).
* Contenders: ``xl.jit(a @ b)``; ``np.matmul`` (OpenBLAS in NumPy's wheels); Numba
  ``np.dot`` in an ``@njit`` function -- Numba calls BLAS (SciPy's cblas) for it, so it
  measures BLAS plus Numba's dispatch, not Numba-generated code; ``jax.jit(a @ b)`` (XLA:CPU,
  Eigen/oneDNN), with ``block_until_ready``. Missing libraries are skipped and said so.
* Timing: the contenders are interleaved round by round (so a burst of load on a shared
  machine hits them all alike); the medians and minimums of wall time are printed, with
  GFLOP/s, xlaish's ratio to each contender (>1: xlaish faster) and the share of the
  measured 2-thread peak. The 1-minute load average before and after is printed: numbers
  taken under load are for comparison between contenders only.
* ``--cpu-time`` (for a shared, loaded machine): every contender on one thread (OpenBLAS and
  xlaish through the environment variables above, checked; JAX through ``XLA_FLAGS``), timed
  by the process's CPU time, so time slices lost to other processes do not count (their
  cache pollution still does); percentages are of the 1-thread peak, itself CPU-timed.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import threading
import time

import numpy as np


def _fma_peak_fn(dtype):
    """A compiled ``double f(i64 iters)`` running iters x 12 vector FMAs; returns a sum of the
    accumulators (so nothing is optimised away)."""
    from llvmlite import binding as llvm
    from llvmlite import ir

    from xlaish.codegen.cpu import llvm_target

    llvm_target.initialize()
    st = ir.FloatType() if dtype == np.float32 else ir.DoubleType()
    vl = 16 if dtype == np.float32 else 8
    vty = ir.VectorType(st, vl)
    m = ir.Module(name="peak")
    i64 = ir.IntType(64)
    fn = ir.Function(m, ir.FunctionType(ir.DoubleType(), [i64, vty.as_pointer()]), name="peak")
    fma = ir.Function(m, ir.FunctionType(vty, [vty] * 3),
                      name=f"llvm.fma.v{vl}{'f32' if vl == 16 else 'f64'}")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    nacc = 12
    def ld(k):                        # values the optimiser cannot see
        v = b.load(b.gep(fn.args[1], [ir.Constant(i64, k)]))
        v.align = 4
        return v
    x, y = ld(0), ld(1)
    init = [ld(2 + k) for k in range(nacc)]
    pre = b.block
    loop = b.append_basic_block("loop")
    done = b.append_basic_block("done")
    b.branch(loop)
    b.position_at_end(loop)
    i = b.phi(i64)
    i.add_incoming(ir.Constant(i64, 0), pre)
    phis = []
    for k in range(nacc):
        p = b.phi(vty)
        p.add_incoming(init[k], pre)
        phis.append(p)
    new = [b.call(fma, [x, y, p]) for p in phis]
    new = [b.call(fma, [x, y, v]) for v in new]       # two rounds per iteration
    nxt = b.add(i, ir.Constant(i64, 1))
    i.add_incoming(nxt, loop)
    for p, v in zip(phis, new):
        p.add_incoming(v, loop)
    b.cbranch(b.icmp_signed("<", nxt, fn.args[0]), loop, done)
    b.position_at_end(done)
    acc = new[0]
    for v in new[1:]:
        acc = b.fadd(acc, v)
    s = b.extract_element(acc, ir.Constant(ir.IntType(32), 0))
    b.ret(b.fpext(s, ir.DoubleType()) if vl == 16 else s)
    tm = llvm_target.new_target_machine()
    mod = llvm.parse_assembly(str(m))
    llvm_target.optimize(mod, tm)
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    proto = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int64, ctypes.c_void_p)
    cfn = proto(engine.get_function_address("peak"))
    data = np.full((2 + nacc) * vl, 1e-9, dtype=dtype)
    return (engine, tm, mod), cfn, data, 2 * nacc * vl * 2      # flops per iteration


def measure_peak(dtype, threads: int, seconds: float = 0.3, clock=time.perf_counter) -> float:
    """GFLOP/s of the FMA loop on ``threads`` threads (best of 5 runs)."""
    engine, fn, data, flops = _fma_peak_fn(dtype)
    iters = 1 << 16
    while True:                           # size a run to ~seconds
        t0 = clock()
        fn(iters, data.ctypes.data)
        dt = clock() - t0
        if dt > 0.05:
            break
        iters *= 4
    iters = max(1, int(iters * seconds / dt))
    best = 0.0
    for _ in range(5):
        ts = [threading.Thread(target=fn, args=(iters, data.ctypes.data)) for _ in range(threads)]
        t0 = clock()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        best = max(best, threads * iters * flops / (clock() - t0) / 1e9)
    del engine
    return best


def _contenders(skip):
    import xlaish as xl
    out = {"xlaish": lambda: xl.jit(lambda a, b: a @ b), "numpy": lambda: np.matmul}
    if "numba" not in skip:
        try:
            import numba

            out["numba(BLAS)"] = lambda: numba.njit(lambda a, b: np.dot(a, b))
        except ImportError:
            print("numba: not installed, skipped")
    if "jax" not in skip:
        try:
            import jax
            jax.config.update("jax_enable_x64", True)

            def make():
                f = jax.jit(lambda a, b: a @ b)
                return lambda a, b: f(a, b).block_until_ready()
            out["jax"] = make
        except ImportError:
            print("jax: not installed, skipped")
    return out


def bench(shape_a, shape_b, dtype, reps, contenders, clock=time.perf_counter):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape_a).astype(dtype)
    b = rng.standard_normal(shape_b).astype(dtype)
    fns = {}
    for name, make in contenders.items():
        f = make()
        if name == "jax":
            import jax.numpy as jnp
            ja, jb = jnp.asarray(a), jnp.asarray(b)
            fns[name] = (f, (ja, jb))
        else:
            fns[name] = (f, (a, b))
        f(*fns[name][1])      # compile / warm up
    inner = max(1, int(2e8 // (2 * a.size * shape_b[-1] + 1)))   # calls per sample for tiny products
    ts = {n: [] for n in fns}
    for _ in range(reps):
        for n, (f, args) in fns.items():
            t0 = clock()
            for _ in range(inner):
                f(*args)
            ts[n].append((clock() - t0) / inner)
    return {n: (float(np.median(v)), float(np.min(v))) for n, v in ts.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="256,512,1024,2048")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--skip", default="", help="comma-separated: numba,jax")
    ap.add_argument("--cpu-time", action="store_true", help="one thread each, timed by process CPU time")
    args = ap.parse_args(argv)
    clock = time.perf_counter
    if args.cpu_time:
        for var in ("OPENBLAS_NUM_THREADS", "XLAISH_NUM_THREADS"):
            if os.environ.get(var) != "1":
                raise SystemExit(f"--cpu-time needs {var}=1 in the environment (set before NumPy loads)")
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
        clock = time.process_time
    sizes = [int(s) for s in args.sizes.split(",")]
    skip = set(args.skip.split(","))
    import xlaish.config as xc

    print(f"load average before: {os.getloadavg()}; cpus: {os.cpu_count()}; "
          f"xlaish threads: {xc.num_threads()}")
    peaks = {}
    for dt in (np.float32, np.float64):
        if args.cpu_time:
            peaks[dt] = measure_peak(dt, 1, clock=clock)
            print(f"FMA peak {np.dtype(dt).name}: 1 thread {peaks[dt]:.1f} GFLOP/s (CPU time)")
            continue
        p1, p2 = measure_peak(dt, 1), measure_peak(dt, 2)
        peaks[dt] = p2
        print(f"FMA peak {np.dtype(dt).name}: 1 thread {p1:.1f} GFLOP/s, 2 threads {p2:.1f} GFLOP/s")
    cont = _contenders(skip)
    cases = [((n, n), (n, n), dt) for dt in (np.float32, np.float64) for n in sizes]
    cases.append(((1, 784), (784, 256), np.float32))
    for sa, sb, dt in cases:
        r = bench(sa, sb, dt, args.reps, cont, clock)
        flops = 2 * sa[0] * sa[1] * sb[1]
        name = f"{sa[0]}x{sa[1]} @ {sb[0]}x{sb[1]} {np.dtype(dt).name}"
        print(f"\n{name}   (load {os.getloadavg()[0]:.2f})")
        xmed = r["xlaish"][0]
        for n, (med, mn) in r.items():
            ratio = "" if n == "xlaish" else \
                f"  xlaish speed-up {med / xmed:5.2f}x (min {mn / r['xlaish'][1]:5.2f}x)"
            pct = f"  {100 * flops / med / 1e9 / peaks[dt]:5.1f}% of peak" if sa[0] > 1 else ""
            print(f"  {n:12s} median {med * 1e6:10.1f} us  min {mn * 1e6:10.1f} us  "
                  f"{flops / med / 1e9:7.1f} GFLOP/s{pct}{ratio}")
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
