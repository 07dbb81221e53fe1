"""``python -m benchmarks.compile_time``: first-call time of xlaish beside JAX's (issue 18).

Every figure is taken in a fresh Python process with xlaish's disk cache off (JAX keeps no
persistent cache unless configured): the process imports the library (timed separately), builds
the inputs, then times the first call of the jitted program (tracing, optimisation, code
generation, loading and one run). Each (program, implementation) is measured ``--repeat`` times,
interleaving implementations, and the median is reported.

Programs are written once against an ``xp`` namespace (:mod:`benchmarks.backends`: NumPy's
spelling with xlaish's ``value_and_grad`` for xlaish, ``jax.numpy`` with JAX's for JAX), and are
the speed benchmarks' own definitions: chain10, softmax, layernorm (:mod:`benchmarks.workloads`),
the MLP classifier's training step (784-256-10, batch 128) and the tutorial CNN's (batch 32) from
:mod:`benchmarks.models`; plus chains of 3n elementwise ops written as a Python loop, with their
gradients (``--plot`` draws time against n).
Under xlaish the forward chain's loop (in the jitted function itself) compiles to one loop op,
so its first call does not grow with n; in the gradient programs the loop sits in a function
the differentiated lambda calls, which is not converted, so the gradient is unrolled (as in
JAX, which unrolls both): those figures are the compile-time-versus-program-size curve.

Results go to ``benchmarks/results/<machine>-<date>-compile.{md,json,png}``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import backends, models, workloads

CHAIN_SIZES = (10, 33, 100, 333)           # repetitions of a 3-op step: ~30 to ~1,000 ops


# programs: xp (a benchmarks.backends namespace) -> (function to jit, argument builder(rng)) -------

def _chain(xp, n):
    def f(x):
        for _ in range(n):
            x = xp.tanh(x) * 0.9 + 0.1
        return x
    return f


def p_chain10(xp):
    def chain10(x):
        return workloads.chain10(x, xp=xp)
    return chain10, lambda rng: (rng.standard_normal(1 << 20, dtype=np.float32),)


def p_softmax(xp):
    def softmax(x):
        return workloads.softmax(x, xp=xp)
    return softmax, lambda rng: (rng.standard_normal((1024, 512), dtype=np.float32),)


def p_layernorm(xp):
    def layernorm(x, g, b):
        return workloads.layernorm(x, g, b, xp=xp)
    return layernorm, lambda rng: (rng.standard_normal((1024, 512), dtype=np.float32),
                                   rng.standard_normal(512, dtype=np.float32),
                                   rng.standard_normal(512, dtype=np.float32))


def p_mlp_train(xp):
    return models.mlp_step(xp), lambda rng: models.mlp_step_inputs(rng, 128)


def p_cnn_train(xp):
    return models.cnn_step(xp), lambda rng: models.cnn_step_inputs(rng, 32)


def _p_chain(n, grad):
    def make(xp):
        f = _chain(xp, n)
        if grad:
            def g(x):
                return xp.value_and_grad(lambda y: xp.sum(f(y)))(x)
            return g, lambda rng: (rng.standard_normal(4096),)
        return f, lambda rng: (rng.standard_normal(4096),)
    return make


PROGRAMS = {"chain10": p_chain10, "softmax": p_softmax, "layernorm": p_layernorm,
            "mlp_train": p_mlp_train, "cnn_train": p_cnn_train}
for _n in CHAIN_SIZES:
    PROGRAMS[f"chain{3 * _n}"] = _p_chain(_n, False)
    PROGRAMS[f"chain{3 * _n}_grad"] = _p_chain(_n, True)


# one measurement (run in a fresh process) ---------------------------------------------------

def measure_one(name, impl):
    t0 = time.perf_counter()
    if impl == "xlaish":
        os.environ["XLAISH_CACHE_DIR"] = "off"
        import xlaish
        jit, block = xlaish.jit, lambda r: r
        t_import = time.perf_counter() - t0
        xp = backends.xlaish_backend()
    else:
        import jax
        jax.config.update("jax_enable_x64", True)     # float64 chains stay float64, as in NumPy
        jit, block = jax.jit, jax.block_until_ready
        t_import = time.perf_counter() - t0
        xp = backends.jax_backend()
    fn, make_args = PROGRAMS[name](xp)
    args = make_args(np.random.default_rng(0))
    f = jit(fn)
    t0 = time.perf_counter()
    block(f(*args))
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    block(f(*args))
    t_second = time.perf_counter() - t0
    return dict(import_s=t_import, first_s=t_first, second_s=t_second)


def _fresh(name, impl):
    code = ("import json, sys; from benchmarks.compile_time import measure_one; "
            f"print(json.dumps(measure_one({name!r}, {impl!r})))")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # bytecode caching on, as for a user (this repo's CI machines set PYTHONDONTWRITEBYTECODE,
    # which would add ~0.5 s of compiling Python sources to every import)
    env = dict(os.environ, PYTHONPYCACHEPREFIX=os.path.join(tempfile.gettempdir(), "xlaish-bench-pyc"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    r = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                       timeout=900, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{name} on {impl} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def run(names, impls, repeat, log):
    out = {}
    for name in names:
        samples = {i: [] for i in impls}
        for _ in range(repeat):
            for impl in impls:               # interleaved
                samples[impl].append(_fresh(name, impl))
        out[name] = {impl: {k: statistics.median(s[k] for s in samples[impl]) for k in samples[impl][0]}
                     for impl in impls}
        log(f"{name}: " + ", ".join(f"{i} {out[name][i]['first_s'] * 1e3:.0f} ms" for i in impls))
    return out


def to_markdown(results):
    from .timing import machine_info
    m = machine_info()
    lines = [f"# First-call (compile) time: {m['cpu']}, {m['cores']} cores, {results['date']}", "",
             f"Fresh process per figure, disk cache off, median of {results['repeat']}; load average "
             f"before/after {results['load_before']} / {results['load_after']}. First call = trace + "
             "optimise + code generation + load + one run; import timed separately.", "",
             "| program | xlaish first call | JAX first call | xlaish / JAX | xlaish import | "
             "JAX import |", "|---|---|---|---|---|---|"]
    def ms(row, key):               # an implementation left out with --impls: "-"
        return f"{row[key] * 1e3:.0f} ms" if row else "-"
    for name, r in results["programs"].items():
        x, j = r.get("xlaish"), r.get("jax")
        ratio = f"{x['first_s'] / j['first_s']:.2f}" if x and j else "-"
        lines.append(f"| {name} | {ms(x, 'first_s')} | {ms(j, 'first_s')} | {ratio} | "
                     f"{ms(x, 'import_s')} | {ms(j, 'import_s')} |")
    return "\n".join(lines) + "\n"


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for impl, style in (("xlaish", "o-"), ("jax", "s--")):
        for grad in (False, True):
            pts = [(3 * n, results["programs"][f"chain{3 * n}" + ("_grad" if grad else "")][impl]["first_s"])
                   for n in CHAIN_SIZES if f"chain{3 * n}" in results["programs"]]
            if pts:
                ax.plot(*zip(*pts), style, label=f"{impl}{' gradient' if grad else ''}")
    ax.set_xlabel("elementwise ops in the chain")
    ax.set_ylabel("first call (s)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title("Compile time against program size")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    from . import timing
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--programs", default=",".join(PROGRAMS))
    p.add_argument("--impls", default="xlaish,jax")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--plot", action="store_true")
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    a = p.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)
    results = dict(date=time.strftime("%Y-%m-%d"), repeat=a.repeat, load_before=timing.loadavg())
    results["programs"] = run(a.programs.split(","), a.impls.split(","), a.repeat, log)
    results["load_after"] = timing.loadavg()
    md = to_markdown(results)
    print(md)
    base = timing.save_results(a.out, "compile", md, results)
    if a.plot:
        plot(results, base + ".png")
    log(f"wrote {base}.md / .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
