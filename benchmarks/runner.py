"""The benchmark runner: ``xlaish bench`` / ``python -m benchmarks``.

Runs the workloads of :mod:`benchmarks.workloads` for every implementation
(xlaish fused, xlaish unfused, NumPy, and numexpr / Numba / JAX where
installed) in one process: a first call (compilation, timed and checked
against NumPy), a warm-up call, then batches of calls timed with
``time.perf_counter`` until the time budget is spent; the median is reported.
Progress goes to stderr, the table to stdout, and the results to
``<out>/<machine>-<date>[-quick|-tiny][-cuda].json`` / ``.md`` / ``.png``.

The runner never changes thread or BLAS settings (``OPENBLAS_*``,
``OMP_NUM_THREADS``, ...): it records the ones that are set.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time

import numpy as np

from . import report, timing
from .workloads import BY_NAME, WORKLOADS, chain10

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")

# mode -> timing budget per (workload, implementation)
BUDGETS = {
    "full": dict(budget_s=1.0, min_samples=7, max_samples=200),
    "quick": dict(budget_s=0.15, min_samples=3, max_samples=25),
    "tiny": dict(budget_s=0.005, min_samples=2, max_samples=3, target_sample_s=2e-4),
}

IMPL_NOTES = {
    "xlaish": "`xlaish.jit(f)`: traced, optimised, fused, LLVM; multi-threaded over the outer loop",
    "xlaish-unfused": "`xlaish.jit(f, fuse=False)`: same compiler, one kernel per op",
    "numpy": "the plain NumPy function (single-threaded, except BLAS matmul)",
    "numexpr": "`numexpr.evaluate` (multi-threaded); row-wise and matmul workloads are hybrids with "
               "NumPy reductions / BLAS; no erf, so Black-Scholes uses the A&S 7.1.26 approximation",
    "numba": "`@numba.njit(parallel=True)` explicit loops, no fastmath; matmuls call BLAS via `@`",
    "jax": "`jax.jit` of the `jax.numpy` spelling, timed with `block_until_ready`",
    "xlaish-cuda": "`xlaish.jit(f, device=\"cuda\")`",
    "xlaish-cuda-unfused": "`xlaish.jit(f, device=\"cuda\", fuse=False)`",
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- implementations

class Impl:
    """One way of running a workload: ``build(workload) -> callable | None``."""

    def __init__(self, name, build, *, prepare=None, sync=None, available=True, reason=""):
        self.name = name
        self.build = build
        self.prepare = prepare or (lambda args: args)
        self.sync = sync or (lambda out: out)
        self.available = available
        self.reason = reason


def _try_import(name):
    try:
        return __import__(name), None
    except Exception as e:  # ImportError, or a broken install
        return None, f"{name} is not installed" if isinstance(e, ImportError) else f"{name}: {e}"


def _versions_impl(name, versions_fn, module, reason, **kw):
    if module is None:
        return Impl(name, lambda w: None, available=False, reason=reason)
    cache = {}

    def build(w):
        if "v" not in cache:
            cache["v"] = versions_fn(module)
        return cache["v"].get(w.name)
    return Impl(name, build, **kw)


def make_impls(device: str) -> list[Impl]:
    import xlaish as xl

    from . import baselines

    jax, jax_reason = _try_import("jax")
    jax_kw = {}
    if jax is not None:
        jax_kw = dict(prepare=lambda args: tuple(jax.device_put(a) for a in args),
                      sync=jax.block_until_ready)
    if device == "cuda":
        def xl_build(fuse):
            return lambda w: xl.jit(w.xlaish_fn, fuse=fuse, device="cuda")
        nb_cuda = _cuda_sync()
        impls = [Impl("xlaish-cuda", xl_build(True), sync=nb_cuda),
                 Impl("xlaish-cuda-unfused", xl_build(False), sync=nb_cuda),
                 Impl("numpy", lambda w: w.numpy)]
        if jax is not None and not any(d.platform == "gpu" for d in jax.devices()):
            jax, jax_reason = None, "jax has no GPU device"
        impls.append(_versions_impl("jax", baselines.jax_versions, jax, jax_reason, **jax_kw))
        return impls
    ne, ne_reason = _try_import("numexpr")
    nb, nb_reason = _try_import("numba")
    return [
        Impl("xlaish", lambda w: xl.jit(w.xlaish_fn)),
        Impl("xlaish-unfused", lambda w: xl.jit(w.xlaish_fn, fuse=False)),
        Impl("numpy", lambda w: w.numpy),
        _versions_impl("numexpr", baselines.numexpr_versions, ne, ne_reason),
        _versions_impl("numba", baselines.numba_versions, nb, nb_reason),
        _versions_impl("jax", baselines.jax_versions, jax, jax_reason, **jax_kw),
    ]


def _cuda_simulator() -> bool:
    try:
        from numba import config
        return bool(config.ENABLE_CUDASIM)
    except Exception:
        return False


def _cuda_sync():
    try:
        from numba import cuda
    except Exception:
        return None

    def sync(out):
        cuda.synchronize()
        return out
    return sync


def _as_list(out):
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    res = []
    for o in outs:
        if hasattr(o, "copy_to_host"):
            o = o.copy_to_host()
        res.append(np.asarray(o))
    return res


def check(out, ref, rtol, atol):
    """(ok, max abs error) of an implementation's outputs against NumPy's."""
    got, want = _as_list(out), _as_list(ref)
    if len(got) != len(want):
        return False, float("inf")
    ok, err = True, 0.0
    for g, r in zip(got, want):
        if g.shape != r.shape:
            return False, float("inf")
        g64, r64 = g.astype(np.float64), r.astype(np.float64)
        if g64.size:
            err = max(err, float(np.nanmax(np.abs(g64 - r64))))
        ok = ok and bool(np.allclose(g64, r64, rtol=rtol, atol=atol, equal_nan=True))
    return ok, err


def _short_error(e: BaseException) -> str:
    msg = f"{type(e).__name__}: {e}".strip().splitlines()
    return (msg[0] if msg else type(e).__name__)[:300]


def run_one(impl: Impl, w, args, ref, budget) -> dict:
    """First call + check, warm-up, timed batches -> a result record."""
    if not impl.available:
        return {"status": "unavailable", "reason": impl.reason}
    try:
        fn = impl.build(w)
    except Exception as e:
        return {"status": "error", "error": _short_error(e)}
    if fn is None:
        return {"status": "n/a", "reason": f"no {impl.name} version of {w.name}"}
    try:
        a = impl.prepare(args)
        sync = impl.sync
        t0 = time.perf_counter()
        out = sync(fn(*a))
        first = time.perf_counter() - t0
        ok, err = check(out, ref, w.rtol, w.atol)
        del out
        sync(fn(*a))
        st = timing.measure(lambda: sync(fn(*a)), **budget)
    except Exception as e:
        return {"status": "error", "error": _short_error(e)}
    return {"status": "ok" if ok else "mismatch", "max_abs_err": err, "first_call_s": first,
            **st.as_dict()}


def _fusion_info(impl_fns, args):
    """Kernels and bytes from the fused program's fusion report (None if it did not compile)."""
    try:
        rep = impl_fns.lower(*args).fusion_report()
        return {"kernels": rep.num_kernels, "bytes_read": rep.bytes_read,
                "bytes_written": rep.bytes_written, "unfused_kernels": rep.unfused_kernels,
                "unfused_bytes_read": rep.unfused_bytes_read,
                "unfused_bytes_written": rep.unfused_bytes_written}
    except Exception:
        return None


# --------------------------------------------------------------------------- special measurements

def first_call_times(device: str, n: int = 1000) -> dict:
    """chain10 compile time without the on-disk cache (``jit(..., disk_cache=False)``)."""
    import xlaish as xl
    x = np.random.default_rng(7).standard_normal(n, dtype=np.float32)
    times = {}

    def first(**kw):
        t0 = time.perf_counter()
        xl.jit(chain10, device=device, disk_cache=False, **kw)(x)
        return time.perf_counter() - t0
    label = " (includes LLVM start-up)" if device == "cpu" else ""
    times[f"fused, first compile in this process{label}"] = first()
    t0 = time.perf_counter()
    xl.make_ir(chain10)(x)
    times["trace only (make_ir)"] = time.perf_counter() - t0
    times["fused, a later fresh jit (median of 3)"] = float(np.median([first() for _ in range(3)]))
    times["unfused, a later fresh jit (median of 3)"] = float(np.median([first(fuse=False)
                                                                         for _ in range(3)]))
    return {"workload": "chain10", "n": n, "device": device, "times": times,
            "description": f"chain10 on {n} float32 elements, a fresh `xlaish.jit` with "
                           "`disk_cache=False`: trace + passes + LLVM + first run."}


def overhead(impls, budget, n=10) -> dict:
    w = BY_NAME["chain10"]
    x = np.random.default_rng(3).standard_normal(n, dtype=np.float32)
    ref = w.numpy(x)
    res = {}
    for impl in impls:
        r = run_one(impl, w, (x,), ref, budget)
        res[impl.name] = {k: r[k] for k in ("status", "median_s", "min_s", "reason", "error") if k in r}
        if r.get("status") in report.OK:
            log(f"  overhead  {impl.name:<20} {report.fmt_time(r['median_s'])}/call")
    return {"workload": "chain10", "n": n, "results": res}


def probe_cuda():
    """None if ``xlaish.jit(f, device="cuda")`` compiles and runs correctly, else the error text."""
    import xlaish as xl
    x = np.linspace(-2, 2, 257, dtype=np.float32)
    try:
        out = xl.jit(chain10, device="cuda")(x)
        ok, err = check(out, chain10(x), 1e-4, 1e-5)
        return None if ok else f"wrong result from the CUDA backend (max error {err:.3g})"
    except Exception as e:
        return _short_error(e)


# --------------------------------------------------------------------------- main

def _set_threads(n: int) -> list:
    """``--threads N``: cap xlaish, numexpr and Numba threads (never BLAS or JAX)."""
    from xlaish import config
    config.configure(num_threads=n)
    notes = [f"--threads {n}: xlaish.config.configure(num_threads={n})"]
    for mod, setter in (("numexpr", "set_num_threads"), ("numba", "set_num_threads")):
        m, _ = _try_import(mod)
        if m is not None:
            try:
                getattr(m, setter)(n)
                notes.append(f"{mod}.{setter}({n})")
            except Exception as e:
                notes.append(f"{mod}.{setter}({n}) failed: {_short_error(e)}")
    notes.append("BLAS (NumPy matmul) and JAX threads left at their defaults")
    return notes


def _split_list(values):
    out = []
    for v in values or ():
        out += [s.strip() for s in v.split(",") if s.strip()]
    return out


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="xlaish bench", description="xlaish fused vs unfused vs NumPy (and numexpr/Numba/JAX "
                                         "when installed) benchmark suite")
    p.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats (under a minute)")
    p.add_argument("--tiny", action="store_true", help="tiny sizes and a few repeats (for tests)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="workloads to run (repeatable or a comma list); see --list")
    p.add_argument("--impl", action="append", metavar="NAME",
                   help="implementations to run (repeatable or comma list), e.g. xlaish,numpy")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"results directory (default {DEFAULT_OUT})")
    p.add_argument("--machine", default=None, help="machine name for the file names")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-plot", action="store_true", help="do not write the PNG chart")
    p.add_argument("--no-extras", action="store_true",
                   help="skip the copy-bandwidth, first-call and per-call-overhead measurements")
    p.add_argument("--threads", type=int, default=None,
                   help="cap the threads of xlaish (config.configure(num_threads=N)), numexpr and Numba "
                        "(default: each library's own default; BLAS and JAX are left alone)")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    return p.parse_args(argv)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:          # `xlaish bench -- --quick` (argparse REMAINDER keeps the "--")
        argv = argv[1:]
    args = parse_args(argv)
    if args.list:
        for w in WORKLOADS:
            print(f"{w.name:<18} {w.title}  [{w.describe(w.sizes.get('full', {}))}]")
        return 0
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    budget = BUDGETS[mode]
    names = _split_list(args.only) or [w.name for w in WORKLOADS]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        print(f"xlaish bench: unknown workload(s) {', '.join(unknown)}; known: "
              f"{', '.join(BY_NAME)}", file=sys.stderr)
        return 2

    if args.device == "cuda":
        err = probe_cuda()
        if err is not None:
            print(f"xlaish bench: --device cuda: CUDA is unavailable: {err}", file=sys.stderr)
            return 3
        if _cuda_simulator():
            log("xlaish bench: warning: NUMBA_ENABLE_CUDASIM=1: running on Numba's CUDA simulator; "
                "the timings say nothing about a GPU")

    thread_notes = _set_threads(args.threads) if args.threads else []
    wanted = _split_list(args.impl)
    first_call = None
    if not args.no_extras and (not wanted or any(n.startswith("xlaish") for n in wanted)):
        # before numba/jax are imported, so that LLVM start-up is part of the first compile
        log("measuring first-call (compile) time of chain10 with the disk cache off ...")
        try:
            first_call = first_call_times(args.device)
        except Exception as e:
            thread_notes.append(f"first-call measurement failed: {_short_error(e)}")
    impls = make_impls(args.device)
    if wanted:
        known = {i.name for i in impls}
        bad = [n for n in wanted if n not in known]
        if bad:
            print(f"xlaish bench: unknown implementation(s) {', '.join(bad)}; known: "
                  f"{', '.join(sorted(known))}", file=sys.stderr)
            return 2
        impls = [i for i in impls if i.name in wanted]

    from xlaish import config
    t_start = time.perf_counter()
    results = {
        "schema": 1, "mode": mode, "device": args.device,
        "machine_name": args.machine or timing.machine_name(), "date": time.strftime("%Y-%m-%d"),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": timing.machine_info(),
        "xlaish_threads": config.num_threads(), "loadavg_before": timing.loadavg(),
        "budget": budget, "seed": args.seed, "impls": [i.name for i in impls],
        "impl_notes": {i.name: IMPL_NOTES.get(i.name, "") for i in impls},
        "unavailable": {i.name: i.reason for i in impls if not i.available},
        "threads_option": args.threads, "notes": thread_notes,
    }
    if args.device == "cuda" and _cuda_simulator():
        results["notes"].append("run on Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1): not GPU timings")
    try:
        import numexpr
        results["numexpr_threads"] = numexpr.get_num_threads()
    except Exception:
        pass
    for i in impls:
        if not i.available:
            log(f"xlaish bench: {i.name}: {i.reason}; skipped")
    log(f"xlaish bench: {mode} suite on {results['machine']['cpu']} ({results['machine']['cores']} cores), "
        f"{len(names)} workload(s) x {len(impls)} implementation(s)")

    if first_call:
        results["first_call"] = first_call
    if not args.no_extras:
        log("measuring copy bandwidth (np.copyto) ...")
        nbytes = {"full": 256 << 20, "quick": 64 << 20, "tiny": 4 << 20}[mode]
        results["copy_bandwidth"] = timing.copy_bandwidth(nbytes, budget_s=min(1.0, budget["budget_s"] * 4),
                                                          min_samples=budget["min_samples"])
        log(f"  copy bandwidth: {results['copy_bandwidth']['gbs']:.1f} GB/s")

    rng = np.random.default_rng(args.seed)
    total, step = len(names) * len(impls), 0
    results["workloads"] = []
    for name in names:
        w = BY_NAME[name]
        params = w.sizes.get(mode) or w.sizes.get("quick") or w.sizes["full"]
        inputs = w.make_inputs(rng, **params)
        ref = w.numpy(*inputs)
        outs = _as_list(ref)
        rec = {"name": w.name, "title": w.title, "size": w.describe(params), "params": params,
               "bytes": int(sum(a.nbytes for a in inputs) + sum(o.nbytes for o in outs)),
               "flops": w.flops(**params) if w.flops else None, "note": w.note,
               "inputs": [f"{a.dtype}{list(a.shape)}" for a in inputs], "results": {}}
        for impl in impls:
            step += 1
            log(f"[{step:>3}/{total}] {w.name:<17} {impl.name:<20} ...")
            gc.collect()
            r = run_one(impl, w, inputs, ref, budget)
            rec["results"][impl.name] = r
            if r["status"] in report.OK:
                msg = f"{report.fmt_time(r['median_s'])} median of {r['samples']}"
                if r["status"] == "mismatch":
                    msg += f"  MISMATCH vs NumPy (max abs err {r['max_abs_err']:.3g})"
            else:
                msg = f"{r['status']}: {r.get('error') or r.get('reason', '')}"
            log(f"          {'':<17} {impl.name:<20} {msg}")
        if args.device == "cpu" and any(i.name == "xlaish" for i in impls):
            import xlaish as xl
            rec["fusion"] = _fusion_info(xl.jit(w.xlaish_fn), inputs)
        results["workloads"].append(rec)
        del inputs, ref, outs

    if not args.no_extras:
        log("measuring per-call overhead (chain10, N=10) ...")
        results["overhead"] = overhead(impls, budget)
    results["loadavg_after"] = timing.loadavg()
    results["wall_s"] = time.perf_counter() - t_start
    report.derive(results)

    stem = f"{results['machine_name']}-{results['date']}" + ("" if mode == "full" else f"-{mode}") \
        + ("-cuda" if args.device == "cuda" else "")
    paths = report.output_paths(args.out, stem)
    if not args.no_plot:
        why = report.write_png(results, paths["png"])
        if why:
            results["notes"].append(why)
            log(f"xlaish bench: {why}")
            paths.pop("png")
    else:
        paths.pop("png")
    md = report.to_markdown(results)
    report.write_json(results, paths["json"])
    with open(paths["md"], "w") as f:
        f.write(md)
    print("\n".join(report.summary_table(results)))
    if results.get("overhead"):
        ov = results["overhead"]["results"]
        print("\nper-call overhead, chain10 N=10: " + ", ".join(
            f"{k} {report.fmt_time(v.get('median_s'))}" for k, v in ov.items()
            if v.get("status") in report.OK))
    if results.get("first_call"):
        print("first call, chain10 (cache off): " + ", ".join(
            f"{k}: {report.fmt_time(v)}" for k, v in results["first_call"]["times"].items()))
    if results.get("copy_bandwidth"):
        print(f"copy bandwidth: {results['copy_bandwidth']['gbs']:.1f} GB/s")
    bad = [(w["name"], i, r["status"]) for w in results["workloads"] for i, r in w["results"].items()
           if r["status"] in ("error", "mismatch")]
    for name, impl, st in bad:
        print(f"note: {name} / {impl}: {st}")
    print("wrote " + ", ".join(paths.values()))
    log(f"xlaish bench: done in {results['wall_s']:.0f} s")
    return 0
