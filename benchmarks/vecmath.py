"""float32 transcendentals, one thread, in cache: nanoseconds per element, ours vs NumPy.

For tanh, exp, log and sigmoid (``xlaish.special.expit``), on ``n`` float32 elements (default
32768: input and output together 256 KiB, in L2), three candidates, timed in interleaved rounds
(each round times every candidate once, ``reps`` calls each; the figure is the median over
rounds of the time per element). The time is this thread's CPU time (``time.thread_time``), so
that other processes on a shared machine do not count; everything runs on this thread:

* ``kernel`` -- the library's loop ``out[i] = f(x[i])`` as the JIT compiles it (O3, host CPU),
  called through ctypes: the math alone;
* ``jit`` -- ``xl.jit`` of the single op with ``XLAISH_NUM_THREADS=1`` (adds the call path);
* ``numpy`` -- the ufunc with ``out=`` (NumPy's own SIMD loop; for sigmoid, which NumPy lacks,
  ``1 / (1 + exp(-x))`` as four in-place ufunc calls; SciPy's ``expit`` has no SIMD float32
  loop and is ~20x slower).

Also prints the vector width the host target machine gives the elementwise loops (the widest
vector type in each optimised kernel) and ``uptime``'s load before and after.

    PYTHONPATH=$PWD python -m benchmarks.vecmath [--n 32768] [--rounds 21] [--reps 20]

``--sweep [tanh,log,...]`` instead measures the accuracy of the same kernels over all 2**32
float32 bit patterns (``--positive``: the 2**31 with the sign bit clear): the largest error in
ulp against the true value (NumPy's float64 function; for sigmoid ``1 / (1 + exp(-x))`` in
float64), and the number of values whose class (NaN, infinity, finite) differs.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import re
import statistics
import time

import numpy as np

FUNCS = ("tanh", "exp", "log", "expit")
LABEL = {"expit": "sigmoid"}


def _inputs(name, n, rng):
    if name == "log":
        return np.exp(rng.uniform(-20, 20, n)).astype(np.float32)
    if name == "exp":
        return rng.uniform(-80, 80, n).astype(np.float32)
    return rng.uniform(-10, 10, n).astype(np.float32)


def _kernels():
    """-> ({name: ctypes function(x, out, n)}, {name: widest vector type}, engine)."""
    import llvmlite.binding as llvm  # noqa: F401
    from llvmlite import ir

    from xlaish.codegen.cpu import llvm_target, vecmath
    f32, i64 = ir.FloatType(), ir.IntType(64)
    mod = ir.Module(name="vecmath_bench")
    for name in FUNCS:
        f = vecmath.get(mod, name, f32)
        k = ir.Function(mod, ir.FunctionType(ir.VoidType(), [f32.as_pointer()] * 2 + [i64]), name="k_" + name)
        for a in k.args[:2]:
            a.add_attribute("noalias")
        entry, loop, done = (k.append_basic_block(s) for s in ("entry", "loop", "done"))
        b = ir.IRBuilder(entry)
        b.cbranch(b.icmp_signed(">", k.args[2], ir.Constant(i64, 0)), loop, done)
        b.position_at_end(loop)
        i = b.phi(i64)
        i.add_incoming(ir.Constant(i64, 0), entry)
        b.store(b.call(f, [b.load(b.gep(k.args[0], [i], inbounds=True))]),
                b.gep(k.args[1], [i], inbounds=True))
        i1 = b.add(i, ir.Constant(i64, 1))
        i.add_incoming(i1, loop)
        b.cbranch(b.icmp_signed("<", i1, k.args[2]), loop, done)
        b.position_at_end(done)
        b.ret_void()
    engine, ref = llvm_target.compile_module(str(mod))
    text = str(ref)
    widths = {}
    proto = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
    fns = {}
    for name in FUNCS:
        start = text.find(f"@k_{name}(")
        body = text[start: text.find("\n}\n", start)]
        lanes = [int(m) for m in re.findall(r"<(\d+) x float>", body)]
        widths[name] = f"<{max(lanes)} x float>" if lanes else "scalar"
        fns[name] = proto(engine.get_function_address("k_" + name))
    return fns, widths, engine


def _numpy(name):
    if name != "expit":
        return lambda x, out: getattr(np, name)(x, out=out)

    def sig(x, out):
        np.negative(x, out=out)
        np.exp(out, out=out)
        np.add(out, 1, out=out)
        return np.reciprocal(out, out=out)
    return sig


def _true(name, x64):
    if name == "expit":
        return 1 / (1 + np.exp(-x64))
    return getattr(np, name)(x64)


def sweep(names=FUNCS, positive=False, chunk=1 << 24) -> None:
    """``positive``: the 2**31 bit patterns with the sign bit clear only (tanh is odd by
    construction, ``copysign(f(|x|), x)``; log of a negative is NaN, which the tests check)."""
    fns, _, _engine = _kernels()
    fmax = np.finfo(np.float32).max
    out = np.empty(chunk, np.float32)
    for name in names:
        t0 = time.perf_counter()
        worst, at, mismatches = 0.5, None, 0
        for start in range(0, 1 << (31 if positive else 32), chunk):
            x = np.arange(start, start + chunk, dtype=np.uint64).astype(np.uint32).view(np.float32)
            fns[name](x.ctypes.data, out.ctypes.data, chunk)
            with np.errstate(all="ignore"):
                true = _true(name, x.astype(np.float64))
                ref = true.astype(np.float32)
            differ = np.nonzero(out != ref)[0]           # equal: within half an ulp
            o, r, t = out[differ], ref[differ], true[differ]
            fin = np.isfinite(r) & np.isfinite(o)
            mismatches += int((~fin & ~(np.isnan(o) & np.isnan(r))).sum())
            o, r, t, xd = o[fin], r[fin], t[fin], x[differ][fin]
            ulp = np.maximum(np.spacing(np.minimum(np.abs(r), fmax)).astype(np.float64), 2.0**-149)
            err = np.abs(o.astype(np.float64) - t) / ulp
            if err.size and err.max() > worst:
                k = int(np.argmax(err))
                worst, at = float(err[k]), float(xd[k])
        print(f"{LABEL.get(name, name):8s} all 2**{31 if positive else 32} float32 "
              f"{'with the sign bit clear' if positive else ''}: max {worst:.3f} ulp (at x = {at!r}), "
              f"{mismatches} class mismatches, {time.perf_counter() - t0:.0f} s", flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", nargs="?", const=",".join(FUNCS), default=None, metavar="NAMES",
                    help="accuracy over all float32 instead of timing (comma list, default all four)")
    ap.add_argument("--positive", action="store_true", help="--sweep: the non-negative half only")
    ap.add_argument("--n", type=int, default=32768)
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args(argv)
    if a.sweep:
        return sweep(a.sweep.split(","), a.positive)
    os.environ["XLAISH_NUM_THREADS"] = "1"
    import xlaish as xl
    from xlaish import special
    fns, widths, _engine = _kernels()
    rng = np.random.default_rng(0)
    xs = {name: _inputs(name, a.n, rng) for name in FUNCS}
    out = np.empty(a.n, np.float32)
    cands = {}
    for name in FUNCS:
        x = xs[name]
        k = fns[name]
        px, po = x.ctypes.data, out.ctypes.data
        cands[(name, "kernel")] = lambda k=k, px=px, po=po: k(px, po, a.n)
        op = special.expit if name == "expit" else getattr(np, name)
        j = xl.jit(lambda x, op=op: op(x))
        j(x)
        cands[(name, "jit")] = lambda j=j, x=x: j(x)
        f = _numpy(name)
        cands[(name, "numpy")] = lambda f=f, x=x: f(x, out)
    times = {c: [] for c in cands}
    keys = list(cands)
    print("before:", os.popen("uptime").read().strip())
    for r in range(a.rounds):
        for key in keys[r % len(keys):] + keys[:r % len(keys)]:
            fn = cands[key]
            t = time.thread_time()
            for _ in range(a.reps):
                fn()
            times[key].append((time.thread_time() - t) / a.reps / a.n * 1e9)
    print("after: ", os.popen("uptime").read().strip())
    print(f"float32, n={a.n}, one thread, median ns/element over {a.rounds} interleaved rounds "
          f"of {a.reps} calls")
    print(f"{'':10s} {'kernel':>8s} {'jit':>8s} {'numpy':>8s}  {'kernel/numpy':>12s}  loop vector")
    for name in FUNCS:
        m = {w: statistics.median(times[(name, w)]) for w in ("kernel", "jit", "numpy")}
        print(f"{LABEL.get(name, name):10s} {m['kernel']:8.3f} {m['jit']:8.3f} {m['numpy']:8.3f}  "
              f"{m['kernel'] / m['numpy']:12.2f}  {widths[name]}")


if __name__ == "__main__":
    main()
