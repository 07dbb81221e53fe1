"""``python -m benchmarks.fft``: a complex64 FFT of 2^20 points, xlaish beside NumPy, Numba and JAX.

Implementations, all given the same complex64 input (fresh random data, never zeros):

* **numpy**: ``np.fft.fft(z)`` (pocketfft, the reference);
* **xlaish**: ``xlaish.jit`` of the transform on the (re, im) pair view of the same memory
  (``z.view(np.float32).reshape(n, 2)``, zero copy) with ``xlaish.numpy.fft.pairs_fft``, the op
  ``np.fft.fft`` becomes inside jit; where complex dtypes exist (``xlaish.numpy._complex``),
  ``jit(np.fft.fft)`` on the complex array is timed too (row ``xlaish np.fft.fft``);
* **numba**: Numba has no FFT (``np.fft`` is not supported in ``nopython`` mode), so this row is a
  hand-written iterative radix-2 Stockham FFT under ``numba.njit`` (twiddles computed once outside
  the timed call), i.e. what a Numba user would write; not a library FFT;
* **jax**: ``jax.jit(jnp.fft.fft)`` on the CPU (``block_until_ready``).

Times are medians of calls interleaved round-robin (one call of each per round), after a warm-up
call each; the ratio column is time / NumPy's time. The first call (compile + run) is reported
too. Results go to ``benchmarks/results/<machine>-<date>-fft.{md,json}`` with the load average
before and after.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time

import numpy as np

from . import timing


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def _numba_fft():
    import numba

    @numba.njit(cache=False, fastmath=False)
    def stockham(x, tw):
        n = x.shape[0]
        a = x.copy()
        b = np.empty_like(x)
        s, m = 1, n // 2
        while m >= 1:          # radix-2 Stockham (DIF): length 2m sub-transforms, stride s
            for p in range(m):
                w = tw[p * s]
                for q in range(s):
                    u = a[q + s * p]
                    v = a[q + s * (p + m)]
                    b[q + s * 2 * p] = u + v
                    b[q + s * (2 * p + 1)] = (u - v) * w
            a, b = b, a
            s *= 2
            m //= 2
        return a
    return stockham


def implementations(z):
    n = z.shape[0]
    impls = {"numpy": lambda: np.fft.fft(z)}
    import xlaish as xl
    from xlaish.numpy import fft as xf
    p = z.view(np.float32).reshape(n, 2)
    f = xl.jit(lambda p: xf.pairs_fft(p))
    impls["xlaish"] = lambda: f(p)
    if importlib.util.find_spec("xlaish.numpy._complex") is not None:
        g = xl.jit(np.fft.fft)
        impls["xlaish np.fft.fft"] = lambda: g(z)
    try:
        if n & (n - 1):
            raise ValueError("the Numba row is a radix-2 FFT: n must be a power of two")
        st = _numba_fft()
        tw = np.exp(-2j * np.pi * np.arange(n // 2) / n).astype(np.complex64)
        impls["numba"] = lambda: st(z, tw)
    except ImportError as e:
        log(f"numba row absent: {e}")
    try:
        import jax
        import jax.numpy as jnp
        jf = jax.jit(jnp.fft.fft)
        zj = jax.device_put(z)
        impls["jax"] = lambda: jf(zj).block_until_ready()
    except ImportError as e:
        log(f"jax row absent: {e}")
    return impls


def _as_complex(r, n):
    r = np.asarray(r)
    return r.view(np.complex64).reshape(n) if r.dtype == np.float32 else r


def bench(n, rounds, budget_s):
    rng = np.random.default_rng(0)
    z = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
    ref = np.fft.fft(z)
    impls = implementations(z)
    first, err = {}, {}
    for name, call in impls.items():
        t0 = time.perf_counter()
        out = call()
        first[name] = time.perf_counter() - t0
        got = _as_complex(out, n)
        err[name] = float(np.abs(got - ref).max() / np.abs(ref).max())
    times = {k: [] for k in impls}
    start = time.perf_counter()
    while min(len(v) for v in times.values()) < rounds or time.perf_counter() - start < budget_s:
        for name, call in impls.items():
            t0 = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - t0)
        if len(times["numpy"]) >= 4 * rounds:
            break
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"n": n, "dtype": "complex64", "rounds": len(times["numpy"]), "median_s": med,
            "ratio_to_numpy": {k: med[k] / med["numpy"] for k in med}, "first_call_s": first,
            "rel_error_vs_numpy": err}


NOTES = {
    "numpy": "np.fft.fft (pocketfft), the reference",
    "xlaish": "xlaish.jit of the fft op on the (re, im) pair view of the same memory",
    "xlaish np.fft.fft": "xlaish.jit(np.fft.fft) on the complex64 array",
    "numba": "no FFT in Numba: a hand-written radix-2 Stockham under numba.njit",
    "jax": "jax.jit(jnp.fft.fft), CPU",
}


def to_markdown(res):
    r = res["result"]
    lines = [f"# fft of 2^{r['n'].bit_length() - 1} complex64 points ({res['date']})", "",
             f"Machine: {res['machine'].get('cpu', '?')}, {res['machine'].get('cores', '?')} cores; "
             f"load average before {res['load_before']}, after {res['load_after']}; "
             f"{r['rounds']} interleaved rounds, medians.", "",
             "| implementation | median ms | ratio to NumPy | first call ms | rel. error vs NumPy | what |",
             "|---|---|---|---|---|---|"]
    for k in r["median_s"]:
        lines.append(f"| {k} | {r['median_s'][k] * 1e3:.2f} | {r['ratio_to_numpy'][k]:.2f} | "
                     f"{r['first_call_s'][k] * 1e3:.0f} | {r['rel_error_vs_numpy'][k]:.1e} | {NOTES[k]} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--log2n", type=int, default=20)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--budget", type=float, default=10.0, help="seconds of timed rounds (at least)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = p.parse_args(argv)
    res = dict(machine=timing.machine_info(), date=time.strftime("%Y-%m-%d"), load_before=timing.loadavg())
    res["result"] = bench(1 << args.log2n, args.rounds, args.budget)
    res["load_after"] = timing.loadavg()
    md = to_markdown(res)
    print(md)
    base = timing.save_results(args.out, "fft", md, res)
    log(f"wrote {base}.md / .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
