"""The benchmark runner: ``xlaish bench`` / ``python -m benchmarks``.

Runs the workloads of :mod:`benchmarks.workloads` for every implementation of
:mod:`benchmarks.impls` (on the CPU: xlaish fused, xlaish unfused, NumPy,
numexpr, Numba, JAX; with ``--device cuda``: xlaish on CUDA fused and unfused,
NumPy, CuPy, JAX on the GPU) in one process. Per workload: every
implementation's first call (compilation, timed, and its result checked
against NumPy's with the tolerance of the output's dtype) and a warm-up call;
then the implementations are timed interleaved (:func:`timing.measure_interleaved`)
and the median (and minimum) per call is reported, with the ratios against
NumPy and against JAX. The load average is recorded before, after and per
workload. Progress goes to stderr, the table to stdout, and the results to
``<out>/<machine>-<date>[-quick|-tiny][-cuda].json`` / ``.md`` / ``.png``.
``--check`` runs only the correctness check (every implementation's first call against
NumPy, one line each, exit status 1 on an error or a mismatch).

The runner never changes thread or BLAS settings (``OPENBLAS_*``,
``OMP_NUM_THREADS``, ...) unless ``--threads`` asks: it records the ones that are set.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time

import numpy as np

from . import report, timing
from .impls import IMPL_NOTES, Unavailable, make_impls, to_host, try_import
from .workloads import BY_NAME, WORKLOADS, chain10

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
MODES = ("full", "quick", "tiny")

# mode -> timing budget per (workload, implementation)
BUDGETS = {
    "full": dict(budget_s=1.0, min_samples=7, max_samples=200),
    "quick": dict(budget_s=0.15, min_samples=3, max_samples=25),
    "tiny": dict(budget_s=0.005, min_samples=2, max_samples=3, target_sample_s=2e-4),
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- checking and timing

def check(out, ref, w) -> tuple[bool, float]:
    """(ok, max abs error) of an implementation's outputs against NumPy's ``ref``; each output
    within ``w.tolerance(ref's dtype)`` (``np.allclose``: |got - ref| <= atol + rtol |ref|)."""
    got, want = to_host(out), to_host(ref)
    if len(got) != len(want):
        return False, float("inf")
    ok, err = True, 0.0
    for g, r in zip(got, want):
        if g.shape != r.shape:
            return False, float("inf")
        rtol, atol = w.tolerance(r.dtype)
        g64, r64 = g.astype(np.float64), r.astype(np.float64)
        if g64.size:
            err = max(err, float(np.nanmax(np.abs(g64 - r64))))
        ok = ok and bool(np.allclose(g64, r64, rtol=rtol, atol=atol, equal_nan=True))
    return ok, err


def _short_error(e: BaseException) -> str:
    msg = f"{type(e).__name__}: {e}".strip().splitlines()
    return (msg[0] if msg else type(e).__name__)[:300]


def first_call(impl, w, args, ref):
    """Build, first call (timed) + check, warm-up call: ``(record, (call, finish) or None)``."""
    if not impl.available:
        return {"status": "unavailable", "reason": impl.reason}, None
    try:
        fn = impl.build(w)
    except Unavailable as e:
        return {"status": "unavailable", "reason": str(e)}, None
    except Exception as e:
        return {"status": "error", "error": _short_error(e)}, None
    if fn is None:
        return {"status": "n/a", "reason": f"no {impl.name} version of {w.name}"}, None
    try:
        a = impl.prepare(args)
        sync = impl.sync
        t0 = time.perf_counter()
        out = sync(fn(*a))
        first = time.perf_counter() - t0
        ok, err = check(out, ref, w)
        del out
        sync(fn(*a))
    except Exception as e:
        return {"status": "error", "error": _short_error(e)}, None
    rec = {"status": "ok" if ok else "mismatch", "max_abs_err": err, "first_call_s": first}
    if impl.sync_each:
        return rec, (lambda: sync(fn(*a)), lambda out: out)
    return rec, (lambda: fn(*a), sync)


def run_workload(impls, w, args, ref, budget, progress=None) -> dict:
    """Every implementation's first call and check, then the interleaved timing: {impl: record}."""
    res, calls = {}, {}
    for impl in impls:
        if progress:
            progress(impl.name)
        gc.collect()
        res[impl.name], call = first_call(impl, w, args, ref)
        if call is not None:
            calls[impl.name] = call
    if calls:
        try:
            stats = timing.measure_interleaved(calls, **budget)
        except Exception as e:
            for name in calls:
                res[name] = {"status": "error", "error": f"while timing: {_short_error(e)}"}
        else:
            for name, st in stats.items():
                res[name].update(st.as_dict())
    return res


def check_all(names=None, impls=None, mode="tiny", device="cpu", seed=0) -> dict:
    """The correctness check alone: ``{(workload, impl): record}`` of every first call."""
    impls = impls if impls is not None else make_impls(device)
    rng = np.random.default_rng(seed)
    out = {}
    for name in names or [w.name for w in WORKLOADS]:
        w = BY_NAME[name]
        args = w.make_inputs(rng, **w.params(mode))
        ref = w.reference(*args)
        for impl in impls:
            out[(name, impl.name)], _ = first_call(impl, w, args, ref)
    return out


def _check_main(names, impls, mode, device, seed) -> int:
    bad = 0
    for (name, impl), r in check_all(names, impls, mode, device, seed).items():
        if r["status"] in report.OK:
            detail = f"max abs err {r['max_abs_err']:.3g}, first call {report.fmt_time(r['first_call_s'])}"
        else:
            detail = r.get("error") or r.get("reason", "")
        bad += r["status"] in ("error", "mismatch")
        print(f"{name:<18} {impl:<20} {r['status']:<11} {detail}", flush=True)
    return 1 if bad else 0


def _fusion_info(jitted, args):
    """Kernels and bytes from the fused program's fusion report (None if it did not compile)."""
    try:
        rep = jitted.lower(*args).fusion_report()
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
                           "`disk_cache=False`: trace + passes + code generation + first run."}


def overhead(impls, budget, n=10) -> dict:
    w = BY_NAME["chain10"]
    x = np.random.default_rng(3).standard_normal(n, dtype=np.float32)
    res = run_workload(impls, w, (x,), w.reference(x), budget)
    out = {}
    for name, r in res.items():
        out[name] = {k: r[k] for k in ("status", "median_s", "min_s", "reason", "error") if k in r}
        if r.get("status") in report.OK:
            log(f"  overhead  {name:<20} {report.fmt_time(r['median_s'])}/call")
    return {"workload": "chain10", "n": n, "results": out}


def probe_cuda():
    """None if ``xlaish.jit(f, device="cuda")`` compiles and runs correctly, else the error text."""
    import xlaish as xl
    x = np.linspace(-2, 2, 257, dtype=np.float32)
    try:
        out = xl.jit(chain10, device="cuda")(x)
        ok, err = check(out, chain10(x), BY_NAME["chain10"])
        return None if ok else f"wrong result from the CUDA backend (max error {err:.3g})"
    except Exception as e:
        return _short_error(e)


def _cuda_simulator() -> bool:
    try:
        from numba import config
        return bool(config.ENABLE_CUDASIM)
    except Exception:
        return False


def device_copy_bandwidth(nbytes: int, budget: dict) -> dict:
    """GB/s of a device-to-device copy of ``nbytes`` of float32 (read + write counted)."""
    from numba import cuda
    n = nbytes // 4
    src = cuda.to_device(np.random.default_rng(1).standard_normal(n, dtype=np.float32))
    dst = cuda.device_array(n, np.float32)
    dst.copy_to_device(src)
    cuda.synchronize()
    st = timing.measure(lambda: dst.copy_to_device(src), finish=lambda _o: cuda.synchronize(), **budget)
    return {"bytes": 2 * 4 * n, "array_mib": 4 * n / 2**20, "median_s": st.median_s,
            "gbs": 2 * 4 * n / st.median_s / 1e9, "best_gbs": 2 * 4 * n / st.min_s / 1e9,
            "what": "device-to-device copy"}


# --------------------------------------------------------------------------- main

def _set_threads(n: int) -> list:
    """``--threads N``: cap xlaish, numexpr and Numba threads (never BLAS or JAX)."""
    from xlaish import config
    config.configure(num_threads=n)
    notes = [f"--threads {n}: xlaish.config.configure(num_threads={n})"]
    for mod, setter in (("numexpr", "set_num_threads"), ("numba", "set_num_threads")):
        m, _ = try_import(mod)
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


def parse_args(argv, prog="xlaish bench", device="cpu"):
    p = argparse.ArgumentParser(
        prog=prog, description="the xlaish benchmark suite: xlaish fused and unfused against NumPy, "
                               "numexpr, Numba and JAX (CPU) or CuPy and JAX (--device cuda)")
    p.add_argument("--mode", choices=MODES, default=None,
                   help="full (default): the issue's sizes; quick: smaller sizes, fewer repeats "
                        "(about a minute); tiny: tiny sizes, a few repeats (for tests)")
    p.add_argument("--quick", action="store_true", help="the same as --mode quick")
    p.add_argument("--tiny", action="store_true", help="the same as --mode tiny")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="workloads to run (repeatable or a comma list); see --list")
    p.add_argument("--impl", action="append", metavar="NAME",
                   help="implementations to run (repeatable or comma list), e.g. xlaish,numpy")
    p.add_argument("--device", choices=["cpu", "cuda"], default=device)
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
    p.add_argument("--check", action="store_true",
                   help="only check every implementation against NumPy (first calls, no timing): one "
                        "line per workload and implementation; exit status 1 on an error or a mismatch")
    args = p.parse_args(argv)
    flags = [m for m, on in (("tiny", args.tiny), ("quick", args.quick)) if on]
    args.mode = args.mode or (flags[0] if flags else "full")   # --tiny wins over --quick
    return args


def main(argv=None, *, prog="xlaish bench", device="cpu") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:          # `xlaish bench -- --quick` (argparse REMAINDER keeps the "--")
        argv = argv[1:]
    args = parse_args(argv, prog, device)
    if args.list:
        for w in WORKLOADS:
            print(f"{w.name:<18} {w.title}  [{w.describe(w.params('full'))}]")
        return 0
    mode = args.mode
    budget = BUDGETS[mode]
    names = _split_list(args.only) or [w.name for w in WORKLOADS]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        print(f"{prog}: unknown workload(s) {', '.join(unknown)}; known: {', '.join(BY_NAME)}",
              file=sys.stderr)
        return 2

    if args.device == "cuda":
        err = probe_cuda()
        if err is not None:
            print(f"{prog}: --device cuda: CUDA is unavailable: {err}", file=sys.stderr)
            return 3
        if _cuda_simulator():
            log(f"{prog}: warning: NUMBA_ENABLE_CUDASIM=1: running on Numba's CUDA simulator; "
                "the timings say nothing about a GPU")

    notes = _set_threads(args.threads) if args.threads else []
    wanted = _split_list(args.impl)
    first = None
    if not (args.no_extras or args.check) and (not wanted or any(n.startswith("xlaish") for n in wanted)):
        # before numba/jax are imported, so that LLVM start-up is part of the first compile
        log("measuring first-call (compile) time of chain10 with the disk cache off ...")
        try:
            first = first_call_times(args.device)
        except Exception as e:
            notes.append(f"first-call measurement failed: {_short_error(e)}")
    impls = make_impls(args.device)
    if wanted:
        known = {i.name for i in impls}
        bad = [n for n in wanted if n not in known]
        if bad:
            print(f"{prog}: unknown implementation(s) {', '.join(bad)}; known: "
                  f"{', '.join(sorted(known))}", file=sys.stderr)
            return 2
        impls = [i for i in impls if i.name in wanted]
    if args.check:
        return _check_main(names, impls, mode, args.device, args.seed)

    from xlaish import config
    t_start = time.perf_counter()
    results = {
        "schema": 2, "mode": mode, "device": args.device,
        "machine_name": args.machine or timing.machine_name(), "date": time.strftime("%Y-%m-%d"),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": timing.machine_info(),
        "xlaish_threads": config.num_threads(), "loadavg_before": timing.loadavg(),
        "budget": budget, "seed": args.seed, "impls": [i.name for i in impls],
        "impl_notes": {i.name: IMPL_NOTES.get(i.name, "") for i in impls},
        "unavailable": {i.name: i.reason for i in impls if not i.available},
        "threads_option": args.threads, "notes": notes,
        "timing": "implementations interleaved per workload (one sample of each per round, order "
                  "rotated); median and min per call",
    }
    if args.device == "cuda" and _cuda_simulator():
        results["notes"].append("run on Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1): not GPU timings")
    ne, _ = try_import("numexpr")
    if ne is not None:
        results["numexpr_threads"] = ne.get_num_threads()
    for i in impls:
        if not i.available:
            log(f"{prog}: {i.name}: {i.reason}; skipped")
    log(f"{prog}: {mode} suite on {results['machine']['cpu']} ({results['machine']['cores']} cores, "
        f"load {results['loadavg_before']}), {len(names)} workload(s) x {len(impls)} implementation(s)")

    if first:
        results["first_call"] = first
    if not args.no_extras:
        nbytes = {"full": 256 << 20, "quick": 64 << 20, "tiny": 4 << 20}[mode]
        cb_budget = dict(budget_s=min(1.0, budget["budget_s"] * 4), min_samples=budget["min_samples"],
                         max_samples=200)
        if args.device == "cuda":
            log("measuring device copy bandwidth ...")
            results["copy_bandwidth"] = device_copy_bandwidth(nbytes, cb_budget)
        else:
            log("measuring copy bandwidth (np.copyto) ...")
            results["copy_bandwidth"] = timing.copy_bandwidth(nbytes, **cb_budget)
        log(f"  copy bandwidth: {results['copy_bandwidth']['gbs']:.1f} GB/s")

    rng = np.random.default_rng(args.seed)
    results["workloads"] = []
    for k, name in enumerate(names):
        w = BY_NAME[name]
        params = w.params(mode)
        inputs = w.make_inputs(rng, **params)
        ref = w.reference(*inputs)
        outs = to_host(ref)
        rec = {"name": w.name, "title": w.title, "size": w.describe(params), "params": params,
               "bytes": int(sum(a.nbytes for a in inputs) + sum(o.nbytes for o in outs)),
               "flops": w.flops(**params) if w.flops else None, "note": w.note,
               "inputs": [f"{a.dtype}{list(a.shape)}" for a in inputs],
               "tolerance": {o.dtype.name: w.tolerance(o.dtype) for o in outs},
               "loadavg": timing.loadavg()}
        log(f"[{k + 1:>2}/{len(names)}] {w.name} ({rec['size']}), load {rec['loadavg']}")
        rec["results"] = run_workload(impls, w, inputs, ref, budget,
                                      progress=lambda i: log(f"        first call: {i}"))
        for impl in impls:
            r = rec["results"][impl.name]
            if r["status"] in report.OK:
                msg = f"{report.fmt_time(r['median_s'])} median, {report.fmt_time(r['min_s'])} min " \
                      f"of {r['samples']}"
                if r["status"] == "mismatch":
                    msg += f"  MISMATCH vs NumPy (max abs err {r['max_abs_err']:.3g})"
            else:
                msg = f"{r['status']}: {r.get('error') or r.get('reason', '')}"
            log(f"        {impl.name:<20} {msg}")
        if args.device == "cpu" and any(i.name == "xlaish" for i in impls):
            import xlaish as xl

            from .backends import xlaish_backend
            from .impls import bind
            rec["fusion"] = _fusion_info(xl.jit(bind(w, xlaish_backend())), inputs)
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
            log(f"{prog}: {why}")
            paths.pop("png")
    else:
        paths.pop("png")
    md = report.to_markdown(results)
    report.write_json(results, paths["json"])
    with open(paths["md"], "w") as f:
        f.write(md)
    print("\n".join(report.summary_table(results)))
    print()
    print("\n".join(report.ratio_table(results)))
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
    print(f"load average before/after: {results['loadavg_before']} / {results['loadavg_after']}")
    bad = [(w["name"], i, r["status"]) for w in results["workloads"] for i, r in w["results"].items()
           if r["status"] in ("error", "mismatch")]
    for name, impl, st in bad:
        print(f"note: {name} / {impl}: {st}")
    print("wrote " + ", ".join(paths.values()))
    log(f"{prog}: done in {results['wall_s']:.0f} s")
    return 0
