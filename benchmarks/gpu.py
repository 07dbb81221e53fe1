"""GPU benchmark: xlaish (fused, unfused) vs CuPy vs torch.compile vs JAX, in GB/s.

    python -m benchmarks.gpu [--reps 30] [--batch 10] [--out DIR] [--quick | --tiny]

Workloads (float32, normal random data, never zeros):

* ``chain10``   tanh(((x*1.5+2)*x-0.5)/(1+x*x))*3+x on 2**26 elements
* ``softplus``  log1p(exp(-|x|)) + maximum(x, 0) on 2**26 elements
* ``softmax``   row softmax of 8192 x 4096
* ``layernorm`` row layernorm of 8192 x 4096 with gamma, beta (eps 1e-5)

GB/s counts the bytes every implementation must move at least: inputs read
once plus outputs written once. The device-to-device copy of 2**26 float32
(read + write) is measured beside them as the ceiling.

Timing: after a warm-up (which also compiles), each sample enqueues
``--batch`` back-to-back calls between two CUDA events on the stream the
library launches on (so host launch overhead overlaps the GPU work) and
divides; the reported time is the median of ``--reps`` samples. JAX launches
on its own streams, so it is timed by the host clock around a batch ended by
``block_until_ready``. Every implementation's result is checked against NumPy
first; a mismatch is reported (``ok: false``) rather than hidden.

xlaish runs through its executable with device-array inputs and preallocated
outputs (``exe(arrays, out=...)``): no host copies and no allocation per call,
as torch/CuPy/JAX get from their caching allocators. Missing libraries are
skipped with the reason. Results (JSON and a markdown table naming the GPU)
go to ``benchmarks/results/`` of the checkout unless ``--out`` says otherwise.
``--tiny`` runs small sizes (it also works under NUMBA_ENABLE_CUDASIM=1, with
host-clock timings that mean nothing, to check the script itself).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import statistics
import sys
import time

import numpy as np

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")   # JAX: leave memory to the others

SIZES = {
    "full": {"n": 1 << 26, "rows": 8192, "cols": 4096},
    "quick": {"n": 1 << 22, "rows": 1024, "cols": 4096},
    "tiny": {"n": 1 << 12, "rows": 16, "cols": 256},
}


# ---- the workloads, written once for NumPy-like modules ---------------------------------------------
def chain10(x, xp=np):
    return xp.tanh(((x * 1.5 + 2) * x - 0.5) / (1 + x * x)) * 3 + x


def softplus(x, xp=np):
    return xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(x, 0)


def softmax(x, xp=np):
    e = xp.exp(x - xp.max(x, axis=-1, keepdims=True))
    return e / xp.sum(e, axis=-1, keepdims=True)


def layernorm(x, g, b, xp=np):
    mean = xp.mean(x, axis=-1, keepdims=True)
    xc = x - mean
    var = xp.mean(xc * xc, axis=-1, keepdims=True)
    return xc / xp.sqrt(var + 1e-5) * g + b


def _torch_fns(torch):
    def t_chain10(x):
        return torch.tanh(((x * 1.5 + 2) * x - 0.5) / (1 + x * x)) * 3 + x

    def t_softplus(x):
        return torch.log1p(torch.exp(-torch.abs(x))) + torch.clamp_min(x, 0)

    def t_softmax(x):
        e = torch.exp(x - torch.amax(x, dim=-1, keepdim=True))
        return e / torch.sum(e, dim=-1, keepdim=True)

    def t_layernorm(x, g, b):
        mean = torch.mean(x, dim=-1, keepdim=True)
        xc = x - mean
        var = torch.mean(xc * xc, dim=-1, keepdim=True)
        return xc / torch.sqrt(var + 1e-5) * g + b
    return {"chain10": t_chain10, "softplus": t_softplus, "softmax": t_softmax, "layernorm": t_layernorm}


def workloads(mode, rng):
    p = SIZES[mode]
    n, r, c = p["n"], p["rows"], p["cols"]
    x1 = rng.standard_normal(n, dtype=np.float32)
    x2 = rng.standard_normal((r, c), dtype=np.float32)
    g = (1 + 0.1 * rng.standard_normal(c, dtype=np.float32)).astype(np.float32)
    b = (0.1 * rng.standard_normal(c, dtype=np.float32)).astype(np.float32)
    f4 = 4
    return [
        {"name": "chain10", "fn": chain10, "inputs": (x1,), "bytes": 2 * f4 * n, "shape": f"{n}",
         "rtol": 1e-5, "atol": 1e-5},
        {"name": "softplus", "fn": softplus, "inputs": (x1,), "bytes": 2 * f4 * n, "shape": f"{n}",
         "rtol": 1e-5, "atol": 1e-6},
        {"name": "softmax", "fn": softmax, "inputs": (x2,), "bytes": 2 * f4 * r * c, "shape": f"{r}x{c}",
         "rtol": 1e-4, "atol": 1e-7},
        {"name": "layernorm", "fn": layernorm, "inputs": (x2, g, b), "bytes": f4 * (2 * r * c + 2 * c),
         "shape": f"{r}x{c}", "rtol": 1e-4, "atol": 1e-4},
    ]


# ---- timing ---------------------------------------------------------------------------------------
def _median_events(run, reps, batch, event_factory, elapsed_ms):
    for _ in range(2):                       # warm-up batches
        for _ in range(batch):
            run()
    samples = []
    for _ in range(reps):
        e0, e1 = event_factory(), event_factory()
        e0.record()
        for _ in range(batch):
            run()
        e1.record()
        e1.synchronize()
        samples.append(elapsed_ms(e0, e1) / batch)
    return statistics.median(samples)


def _median_wall(run, reps, batch, block):
    for _ in range(2):
        out = None
        for _ in range(batch):
            out = run()
        block(out)
    samples = []
    for _ in range(reps):
        t = time.perf_counter()
        out = None
        for _ in range(batch):
            out = run()
        block(out)
        samples.append((time.perf_counter() - t) * 1e3 / batch)
    return statistics.median(samples)


def numba_timer(cuda, simulated):
    if simulated:      # simulator events carry no time: host clock (meaningless, checks the script)
        return lambda run, reps, batch: _median_wall(run, reps, batch, lambda _o: cuda.synchronize())
    return lambda run, reps, batch: _median_events(run, reps, batch, cuda.event,
                                                   lambda a, b: cuda.event_elapsed_time(a, b))


# ---- implementations ------------------------------------------------------------------------------
def _check(got, ref, rtol, atol):
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape:
        return False, f"shape {got.shape} != {ref.shape}"
    err = np.abs(got - ref) - (atol + rtol * np.abs(ref))
    bad = int(np.count_nonzero(~(err <= 0)))
    return bad == 0, (f"{bad} elements out of tolerance, max err {float(np.nanmax(np.abs(got - ref))):.3g}"
                      if bad else "")


def impl_xlaish(fused):
    def setup(w, env):
        import xlaish as xl
        cuda = env["cuda"]
        jf = xl.jit(lambda *a: w["fn"](*a), device="cuda", fuse=fused)
        low = jf.lower(*w["inputs"])
        exe = low.executable
        dev = [cuda.to_device(a) for a in w["inputs"]]
        outs = [cuda.device_array(t.shape, t.dtype) for t in exe.out_types]
        run = lambda: exe(dev, out=outs)  # noqa: E731
        run()
        cuda.synchronize()
        info = {"kernels": sum(len(e["launches"]) for e in exe.plan)}
        return run, lambda: outs[0].copy_to_host(), env["numba_timer"], info
    return setup


def impl_cupy(fuse):
    def setup(w, env):
        import cupy as cp
        dev = [cp.asarray(a) for a in w["inputs"]]
        if fuse:
            if w["name"] not in ("chain10", "softplus"):
                raise Skip("cupy.fuse is for elementwise kernels")
            f = cp.fuse(lambda x: w["fn"](x, xp=cp))
        else:
            f = lambda *a: w["fn"](*a, xp=cp)  # noqa: E731
        box = {}

        def run():
            box["out"] = f(*dev)
        run()
        cp.cuda.Device().synchronize()
        timer = lambda r, reps, batch: _median_events(  # noqa: E731
            r, reps, batch, lambda: cp.cuda.Event(), lambda a, b: cp.cuda.get_elapsed_time(a, b))
        return run, lambda: cp.asnumpy(box["out"]), timer, {}
    return setup


def impl_torch(compiled):
    def setup(w, env):
        import torch
        if not torch.cuda.is_available():
            raise Skip("torch has no CUDA device")
        f = _torch_fns(torch)[w["name"]]
        if compiled:
            f = torch.compile(f)
        dev = [torch.from_numpy(a).cuda() for a in w["inputs"]]
        box = {}

        def run():
            box["out"] = f(*dev)
        for _ in range(3):
            run()
        torch.cuda.synchronize()
        timer = lambda r, reps, batch: _median_events(  # noqa: E731
            r, reps, batch, lambda: torch.cuda.Event(enable_timing=True), lambda a, b: a.elapsed_time(b))
        return run, lambda: box["out"].cpu().numpy(), timer, {}
    return setup


def impl_jax(w, env):
    import jax
    import jax.numpy as jnp
    if not any(d.platform == "gpu" for d in jax.devices()):
        raise Skip("jax has no GPU device")
    f = jax.jit(lambda *a: w["fn"](*a, xp=jnp))
    dev = [jax.device_put(a) for a in w["inputs"]]
    box = {}

    def run():
        box["out"] = f(*dev)
        return box["out"]
    run().block_until_ready()
    timer = lambda r, reps, batch: _median_wall(r, reps, batch, lambda o: o.block_until_ready())  # noqa
    return run, lambda: np.asarray(box["out"]), timer, {}


class Skip(Exception):
    pass


IMPLS = [("xlaish", impl_xlaish(True)), ("xlaish-unfused", impl_xlaish(False)),
         ("cupy", impl_cupy(False)), ("cupy.fuse", impl_cupy(True)),
         ("torch.compile", impl_torch(True)), ("torch", impl_torch(False)), ("jax.jit", impl_jax)]


def _module_available(name):
    import importlib.util
    return importlib.util.find_spec(name) is not None


_NEEDS = {"cupy": "cupy", "cupy.fuse": "cupy", "torch.compile": "torch", "torch": "torch", "jax.jit": "jax"}


def copy_ceiling(env, n, reps, batch):
    cuda = env["cuda"]
    src = cuda.to_device(np.random.default_rng(1).standard_normal(n, dtype=np.float32))
    dst = cuda.device_array(n, np.float32)
    ms = env["numba_timer"](lambda: dst.copy_to_device(src), reps, batch)
    return {"ms": ms, "gbps": 2 * 4 * n / ms / 1e6, "bytes": 2 * 4 * n}


def versions():
    out = {"python": platform.python_version(), "numpy": np.__version__}
    for pkg in ("xlaish", "numba", "numba_cuda", "cupy", "torch", "jax", "jaxlib", "triton"):
        try:
            from importlib.metadata import version
            out[pkg] = version(pkg.replace("_", "-"))
        except Exception:
            pass
    return out


def run(args) -> dict:
    from numba import cuda

    from xlaish.runtime.cuda import device, simulating
    dev = device()           # the clear error when there is no GPU
    sim = simulating()
    env = {"cuda": cuda, "numba_timer": numba_timer(cuda, sim)}
    mode = "tiny" if args.tiny else ("quick" if args.quick else "full")
    rng = np.random.default_rng(0)
    result = {"gpu": dev.name, "compute_capability": dev.cc, "sms": dev.nsm, "simulated": sim,
              "mode": mode, "reps": args.reps, "batch": args.batch, "versions": versions(),
              "date": _dt.datetime.now().isoformat(timespec="seconds"),
              "copy": copy_ceiling(env, SIZES[mode]["n"], args.reps, args.batch), "workloads": []}
    only = set(args.impls.split(",")) if args.impls else None
    for w in workloads(mode, rng):
        with np.errstate(all="ignore"):
            ref = w["fn"](*w["inputs"])
        row = {"name": w["name"], "shape": w["shape"], "bytes": w["bytes"], "impls": {}}
        for name, setup in IMPLS:
            if only and name not in only:
                continue
            rec = {}
            try:
                need = _NEEDS.get(name)
                if need and not _module_available(need):
                    raise Skip(f"{need} is not installed")
                runner, fetch, timer, info = setup(w, env)
                ok, why = _check(fetch(), ref, w["rtol"], w["atol"])
                ms = timer(runner, args.reps, args.batch)
                rec = {"ms": ms, "gbps": w["bytes"] / ms / 1e6, "ok": ok, **info}
                if why:
                    rec["error"] = why
            except Skip as e:
                rec = {"skipped": str(e)}
            except Exception as e:          # a failing library is reported, not fatal
                rec = {"failed": f"{type(e).__name__}: {str(e)[:300]}"}
            row["impls"][name] = rec
            if "ms" in rec:
                bad = "" if rec.get("ok") else "  MISMATCH " + rec.get("error", "")
                shown = f"{rec['ms']:9.3f} ms {rec['gbps']:8.1f} GB/s{bad}"
            else:
                shown = rec.get("skipped") or rec.get("failed")
            print(f"{w['name']:10s} {name:15s} " + shown, flush=True)
        result["workloads"].append(row)
    return result


def markdown(res) -> str:
    names = [n for n, _ in IMPLS]
    lines = [f"# xlaish GPU benchmark: {res['gpu']} ({res['compute_capability']}, {res['sms']} SMs)", "",
             f"{res['date']}, mode `{res['mode']}`, median of {res['reps']} samples of {res['batch']} "
             f"back-to-back calls (CUDA events; JAX: host clock). GB/s = (bytes read + written) / time.",
             "", f"Device-to-device copy ceiling: **{res['copy']['gbps']:.0f} GB/s** "
             f"({res['copy']['bytes'] / 1e6:.0f} MB moved in {res['copy']['ms']:.3f} ms).", "",
             "| workload | shape | " + " | ".join(names) + " |",
             "|---|---|" + "---:|" * len(names)]
    for w in res["workloads"]:
        cells = []
        for n in names:
            r = w["impls"].get(n, {})
            if "gbps" in r:
                cells.append(f"{r['gbps']:.0f}" + ("" if r.get("ok") else " (mismatch)"))
            else:
                cells.append("n/a")
        lines.append(f"| {w['name']} | {w['shape']} | " + " | ".join(cells) + " |")
    lines += ["", "n/a: " + "; ".join(sorted({f"{n}: {r.get('skipped') or r.get('failed')}"
                                              for w in res["workloads"] for n, r in w["impls"].items()
                                              if "gbps" not in r})) or "none",
              "", "Versions: " + ", ".join(f"{k} {v}" for k, v in res["versions"].items())]
    if res["simulated"]:
        lines.insert(1, "\n**Simulator run: the numbers are meaningless (checks the script only).**")
    return "\n".join(lines) + "\n"


def default_out() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--out", default=None, help="results directory (default: benchmarks/results)")
    ap.add_argument("--impls", default="", help="comma list of implementations to run (default: all)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="smaller sizes")
    g.add_argument("--tiny", action="store_true", help="tiny sizes (script check; simulator ok)")
    args = ap.parse_args(argv)
    res = run(args)
    out = args.out or default_out()
    os.makedirs(out, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", res["gpu"].lower()).strip("-")
    stem = os.path.join(out, f"gpu-{slug}-{res['mode']}-{res['date'][:10]}")
    with open(stem + ".json", "w") as f:
        json.dump(res, f, indent=1, default=float)
    with open(stem + ".md", "w") as f:
        f.write(markdown(res))
    print(f"wrote {stem}.json and {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
