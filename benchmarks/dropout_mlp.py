"""``python -m benchmarks.dropout_mlp``: an MLP classifier (784-256-10, ReLU, dropout on the hidden
layer, softmax cross-entropy, plain SGD) trained with one jitted step per minibatch, in xlaish and
in JAX side by side (issue 17's "loss curve beside the same model in JAX").

One model source serves both: ``loss_fn(xp, rnd)`` is written against a NumPy namespace ``xp``
(``numpy`` under ``xlaish.jit``, ``jax.numpy`` under ``jax.jit``) and a random module ``rnd``
(``xlaish.random`` or ``jax.random``). Both start from the same initial weights (NumPy's generator),
see the same minibatches of a fixed synthetic data set (Gaussian inputs labelled by a random
teacher network: no download) and use the same hyperparameters and the same key, ``key(seed)``,
split once per step and carried by the step function. ``xlaish.random.split`` and ``bernoulli``
are bit-identical to ``jax.random``'s, so both frameworks drop the same units at every step (the
carried keys are compared at every step) and the loss curves differ only by float32 rounding
(the order of the matrix products' sums, ``exp``/``log``): the report gives the largest per-step
difference.

Timing: the first call of each step function (trace + compile + one step; xlaish's on-disk
cache is off for it, JAX has none by default; each library's one-time start-up is paid first by
an unrelated function), then the per-step
median (and minimum) of calls interleaved between the two frameworks (``timing.measure_interleaved``,
the same inputs every call, JAX blocked on its results, its arrays already on the device). The
load average before and after is recorded: on a shared machine the figures are "loaded".

Results: ``benchmarks/results/<machine>-<date>-dropout.{md,json,png}`` (``--mode tiny``:
``-dropout-tiny``); the plot shows both loss curves and their difference per step.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time

import numpy as np

from . import timing

CONFIGS = {
    "full": dict(n_in=784, hidden=256, classes=10, batch=128, n_train=8192, steps=300, lr=0.1,
                 rate=0.5, seed=0, budget_s=10.0),
    "tiny": dict(n_in=64, hidden=32, classes=10, batch=32, n_train=512, steps=40, lr=0.1,
                 rate=0.5, seed=0, budget_s=0.2),
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def make_data(cfg):
    """``(x float32[n_train, n_in], one-hot y float32[n_train, classes])``: Gaussian inputs
    labelled by the argmax of a random ReLU teacher network."""
    rng = np.random.default_rng(cfg["seed"] + 1)
    x = rng.standard_normal((cfg["n_train"], cfg["n_in"]), dtype=np.float32)
    t1 = rng.standard_normal((cfg["n_in"], 64)) / np.sqrt(cfg["n_in"])
    t2 = rng.standard_normal((64, cfg["classes"])) / 8.0
    labels = np.argmax(np.maximum(x @ t1, 0) @ t2, axis=1)
    return x, np.eye(cfg["classes"], dtype=np.float32)[labels]


def init_params(cfg):
    """He-initialised ``(w1, b1, w2, b2)``, float32."""
    rng = np.random.default_rng(cfg["seed"] + 2)
    n_in, h, c = cfg["n_in"], cfg["hidden"], cfg["classes"]
    return (rng.standard_normal((n_in, h), dtype=np.float32) * np.float32(np.sqrt(2.0 / n_in)),
            np.zeros(h, np.float32),
            rng.standard_normal((h, c), dtype=np.float32) * np.float32(np.sqrt(1.0 / h)),
            np.zeros(c, np.float32))


def batch(data, cfg, i):
    """Minibatch ``i``: the data set read in order, wrapping around."""
    x, y = data
    start = (i * cfg["batch"]) % (cfg["n_train"] - cfg["batch"] + 1)
    return x[start:start + cfg["batch"]], y[start:start + cfg["batch"]]


def loss_fn(xp, rnd, rate):
    """Mean softmax cross-entropy of the MLP with dropout (``rate``) on its hidden layer."""
    def loss(params, x, y, key):
        w1, b1, w2, b2 = params
        h = xp.maximum(x @ w1 + b1, 0.0)
        keep = rnd.bernoulli(key, 1.0 - rate, h.shape)
        h = xp.where(keep, h / (1.0 - rate), 0.0)
        logits = h @ w2 + b2
        m = xp.max(logits, axis=1, keepdims=True)
        lse = m[:, 0] + xp.log(xp.sum(xp.exp(logits - m), axis=1))
        return xp.mean(lse - xp.sum(y * logits, axis=1))
    return loss


def step_fn(xp, rnd, value_and_grad, cfg):
    """``step(params, key, x, y) -> (params, key, loss)``: split the key, one SGD step."""
    loss = loss_fn(xp, rnd, cfg["rate"])
    lr = cfg["lr"]

    def step(params, key, x, y):
        key, sub = rnd.split(key)
        value, grads = value_and_grad(loss)(params, x, y, sub)
        return tuple(p - lr * g for p, g in zip(params, grads)), key, value
    return step


def xlaish_impl(cfg):
    import xlaish as xl
    from xlaish import random as xr
    return dict(step=xl.jit(step_fn(np, xr, xl.value_and_grad, cfg)), key=xr.key(cfg["seed"]),
                put=lambda a: a, finish=lambda out: out,
                cold=lambda: xl.config.override(cache_dir=None),    # a compile, not a disk-cache hit
                warm=lambda: xl.jit(lambda a: a * 2 + 1)(np.ones(3)))


def jax_impl(cfg):
    import jax
    import jax.numpy as jnp
    return dict(step=jax.jit(step_fn(jnp, jax.random, jax.value_and_grad, cfg)),
                key=jax.random.PRNGKey(cfg["seed"]), put=jax.device_put,
                finish=jax.block_until_ready, cold=contextlib.nullcontext,
                warm=lambda: jax.jit(lambda a: a * 2 + 1)(np.ones(3)).block_until_ready())


IMPLS = {"xlaish": xlaish_impl, "jax": jax_impl}


def train(cfg, impls=("xlaish", "jax")):
    """Train each implementation ``cfg["steps"]`` steps from the same start; -> ``{name: dict(
    losses, keys, params, first_s, impl)}`` (``keys``: the carried key after each step)."""
    data = make_data(cfg)
    out = {}
    for name in impls:
        impl = IMPLS[name](cfg)
        step, put = impl["step"], impl["put"]
        impl["warm"]()                  # the library's one-time start-up, outside the first call
        params, key = tuple(put(p) for p in init_params(cfg)), impl["key"]
        losses, keys, first_s = [], [], None
        for i in range(cfg["steps"]):
            xb, yb = batch(data, cfg, i)
            t0 = time.perf_counter()
            with impl["cold"]() if i == 0 else contextlib.nullcontext():
                params, key, value = step(params, key, put(xb), put(yb))
                impl["finish"](value)
            if first_s is None:
                first_s = time.perf_counter() - t0
            losses.append(float(value))
            keys.append(np.asarray(key).copy())
        out[name] = dict(losses=np.array(losses), keys=keys, params=[np.asarray(p) for p in params],
                         first_s=first_s, impl=impl)
        log(f"  {name}: first step {first_s:.2f} s, loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    return out


def ulps(a, b):
    """``|a - b|`` in units of the float32 spacing at ``b`` (the losses are float32 values)."""
    b32 = np.asarray(b, np.float32)
    return np.abs(np.asarray(a, np.float64) - b32) / np.spacing(np.abs(b32)).astype(np.float64)


def compare(runs):
    """Per-step agreement of xlaish's and JAX's losses, keys and final weights."""
    a, b = runs["xlaish"], runs["jax"]
    diff = np.abs(a["losses"] - b["losses"])
    rel = diff / np.maximum(np.abs(b["losses"]), 1e-30)
    wdiff = max(float(np.max(np.abs(p - q)) / max(float(np.max(np.abs(q))), 1e-30))
                for p, q in zip(a["params"], b["params"]))
    return dict(keys_identical=all(np.array_equal(p, q) for p, q in zip(a["keys"], b["keys"])),
                identical_steps=int((diff == 0).sum()), max_ulps=float(ulps(a["losses"], b["losses"]).max()),
                max_abs_diff=float(diff.max()), max_rel_diff=float(rel.max()),
                step_of_max=int(diff.argmax()), final_weights_max_rel_diff=wdiff)


def time_steps(runs, cfg):
    """Per-step statistics, interleaved across implementations, on one fixed minibatch."""
    data = make_data(cfg)
    calls = {}
    for name, r in runs.items():
        impl = r["impl"]
        put = impl["put"]
        params = tuple(put(p) for p in init_params(cfg))
        xb, yb = (put(v) for v in batch(data, cfg, 0))
        key, step = impl["key"], impl["step"]
        impl["finish"](step(params, key, xb, yb))
        calls[name] = ((lambda step=step, params=params, key=key, xb=xb, yb=yb: step(params, key, xb, yb)),
                       impl["finish"])
    stats = timing.measure_interleaved(calls, budget_s=cfg["budget_s"], min_samples=5, max_samples=2000)
    return {n: s.as_dict() for n, s in stats.items()}


def to_markdown(res):
    c, cmp_, t = res["config"], res["agreement"], res["timing"]
    lines = [f"# Dropout MLP, xlaish vs JAX: {res['machine']['cpu']}, {res['machine']['cores']} cores, "
             f"{res['date']}", "",
             f"Load average before/after: {res['load_before']} / {res['load_after']} "
             "(a shared machine: the timings are **loaded** figures).", "",
             f"Model {c['n_in']}-{c['hidden']}-{c['classes']}, ReLU, dropout rate {c['rate']} on the hidden "
             f"layer, softmax cross-entropy, SGD lr {c['lr']}, batch {c['batch']}, {c['steps']} steps over "
             f"{c['n_train']} synthetic teacher-labelled samples; the same initial weights, minibatches and "
             f"key (seed {c['seed']}) in both.", "",
             "| | xlaish | JAX |", "|---|---|---|"]
    losses = {n: res["losses"][n] for n in ("xlaish", "jax")}
    lines.append(f"| first loss | {losses['xlaish'][0]:.5f} | {losses['jax'][0]:.5f} |")
    lines.append(f"| last loss | {losses['xlaish'][-1]:.5f} | {losses['jax'][-1]:.5f} |")
    tail = max(1, len(losses["jax"]) // 10)
    lines.append(f"| mean loss, last {tail} steps | {np.mean(losses['xlaish'][-tail:]):.5f} | "
                 f"{np.mean(losses['jax'][-tail:]):.5f} |")
    lines.append(f"| first call (trace + compile + step) | {res['first_s']['xlaish']:.2f} s | "
                 f"{res['first_s']['jax']:.2f} s |")
    lines.append(f"| step, median of interleaved calls | {t['xlaish']['median_s'] * 1e3:.3f} ms | "
                 f"{t['jax']['median_s'] * 1e3:.3f} ms |")
    lines.append(f"| step, minimum | {t['xlaish']['min_s'] * 1e3:.3f} ms | "
                 f"{t['jax']['min_s'] * 1e3:.3f} ms |")
    lines.append(f"| samples x calls | {t['xlaish']['samples']} x {t['xlaish']['calls_per_sample']} | "
                 f"{t['jax']['samples']} x {t['jax']['calls_per_sample']} |")
    lines += ["", f"Carried keys identical at every step (so the same dropout masks): "
              f"**{cmp_['keys_identical']}**. Losses bit-identical at {cmp_['identical_steps']} of "
              f"{c['steps']} steps; largest per-step difference {cmp_['max_ulps']:.0f} float32 ulp, "
              f"{cmp_['max_abs_diff']:.2e} "
              f"absolute, {cmp_['max_rel_diff']:.2e} relative (step {cmp_['step_of_max']}); final weights "
              f"differ by at most {cmp_['final_weights_max_rel_diff']:.2e} of their largest magnitude.", "",
              f"xlaish/JAX step time (medians): {t['xlaish']['median_s'] / t['jax']['median_s']:.2f}x."]
    return "\n".join(lines) + "\n"


def plot(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4))
    xs, js = np.array(res["losses"]["xlaish"]), np.array(res["losses"]["jax"])
    steps = np.arange(len(xs))
    ax.plot(steps, xs, "-", label="xlaish", lw=1.2)
    ax.plot(steps, js, "--", label="JAX", lw=1.2)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (minibatch)")
    ax.set_title("MLP 784-256-10 with dropout, same keys")
    ax.legend()
    bx.plot(steps, ulps(xs, js), ".", ms=3)
    bx.set_xlabel("step")
    bx.set_ylabel("|loss xlaish - loss JAX| (float32 ulps)")
    bx.set_title(f"difference (load {res['load_before'][0] if res['load_before'] else '?'}: loaded)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(cfg):
    """Train both, compare, time: the results dict (without machine facts)."""
    runs = train(cfg)
    return dict(config=dict(cfg), losses={n: r["losses"].tolist() for n, r in runs.items()},
                first_s={n: r["first_s"] for n, r in runs.items()}, agreement=compare(runs),
                timing=time_steps(runs, cfg))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", choices=tuple(CONFIGS), default="full")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = p.parse_args(argv)
    cfg = dict(CONFIGS[args.mode])
    if args.steps:
        cfg["steps"] = args.steps
    res = dict(machine=timing.machine_info(), date=time.strftime("%Y-%m-%d"), load_before=timing.loadavg())
    res.update(run(cfg))
    res["load_after"] = timing.loadavg()
    md = to_markdown(res)
    print(md)
    suffix = "" if args.mode == "full" else f"-{args.mode}"
    base = timing.save_results(args.out, f"dropout{suffix}", md, res)
    plot(res, base + ".png")
    log(f"wrote {base}.md / .json / .png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
