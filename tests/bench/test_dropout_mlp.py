"""``python -m benchmarks.dropout_mlp`` on its tiny configuration: the dropout MLP trained in one
jitted step in xlaish and in JAX from the same weights, data and keys carries the same keys (so
drops the same units) and gives the same loss at every step up to float32 rounding; the loss goes
down; the report and the plot are written. No timing is asserted."""
from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import dropout_mlp as dm

pytest.importorskip("jax")

# The two frameworks differ only in the order of float32 sums (matrix products, the softmax's
# sum) and in exp/log's last bit: a few ulp per step, growing slowly through the SGD updates.
# 1e-5 relative is about 80 float32 ulp; the full 300-step run stays within 2e-6.
RTOL = 1e-5


def test_tiny_run_agrees_with_jax_step_by_step(tmp_path):
    cfg = dict(dm.CONFIGS["tiny"])
    runs = dm.train(cfg)
    xs, js = runs["xlaish"]["losses"], runs["jax"]["losses"]
    assert len(xs) == len(js) == cfg["steps"]
    for a, b in zip(runs["xlaish"]["keys"], runs["jax"]["keys"]):
        np.testing.assert_array_equal(a, b)                      # the same masks at every step
    assert len({k.tobytes() for k in runs["xlaish"]["keys"]}) == cfg["steps"]   # a fresh key per step
    np.testing.assert_allclose(xs, js, rtol=RTOL)
    for p, q in zip(runs["xlaish"]["params"], runs["jax"]["params"]):
        np.testing.assert_allclose(p, q, rtol=RTOL, atol=RTOL * float(np.max(np.abs(q))))
    # the loss goes down: the last quarter's mean well under the first quarter's
    quarter = cfg["steps"] // 4
    assert xs[-quarter:].mean() < 0.85 * xs[:quarter].mean(), xs

    # the first step's loss is NumPy's (the model evaluated eagerly, xlaish.random outside jit)
    from xlaish import random as xr
    _, sub = xr.split(xr.key(cfg["seed"]))
    x, y = dm.batch(dm.make_data(cfg), cfg, 0)
    want = dm.loss_fn(np, xr, cfg["rate"])(dm.init_params(cfg), x, y, sub)
    np.testing.assert_allclose(xs[0], want, rtol=1e-6)

    # the report: agreement, timing and the files
    res = dict(machine={"cpu": "cpu", "cores": 2}, date="d", load_before=[1.0], load_after=[1.0],
               config=cfg, losses={n: r["losses"].tolist() for n, r in runs.items()},
               first_s={n: r["first_s"] for n, r in runs.items()}, agreement=dm.compare(runs),
               timing=dm.time_steps(runs, dict(cfg, budget_s=0.01)))
    assert res["agreement"]["keys_identical"] and res["agreement"]["max_rel_diff"] < RTOL
    md = dm.to_markdown(res)
    assert "Carried keys identical at every step (so the same dropout masks): **True**" in md
    assert "loaded" in md and "| step, median of interleaved calls |" in md
    json.dumps(res, default=str)
    pytest.importorskip("matplotlib")
    dm.plot(res, str(tmp_path / "dropout.png"))
    assert (tmp_path / "dropout.png").stat().st_size > 1000
