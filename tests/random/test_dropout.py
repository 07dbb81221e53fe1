"""Dropout in a jitted step: a fresh mask per call when the key changes, the same mask for the same
key, bits generated inside the fused kernel; ``np.random`` inside a trace points at xlaish.random."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish import random as xr
from xlaish.errors import UnsupportedError
from xlaish.ir.opnames import CONSTANT, FUSED, THREEFRY2X32

RATE = 0.25


def dropout(k, x):
    keep = xr.bernoulli(k, 1.0 - RATE, x.shape)
    return np.where(keep, x / (1.0 - RATE), 0.0)


def step(k, w, x):
    """One SGD step of a linear layer with dropout on its input; returns the next key too."""
    k, sub = xr.split(k)
    h = dropout(sub, x)
    loss = lambda w: np.sum((h @ w) ** 2)
    return k, w - 0.01 * xl.grad(loss)(w), h


def test_fresh_mask_per_call_same_mask_per_key(jit):
    f = jit(dropout)
    x = np.ones((64, 40), np.float32)
    k0, k1 = xr.split(xr.key(0))
    a, b, c = f(k0, x), f(k1, x), f(k0, x)
    np.testing.assert_array_equal(a, c)
    assert (a != b).mean() > 0.2
    np.testing.assert_array_equal(a, dropout(k0, x))          # outside jit: the same mask
    assert abs((a == 0).mean() - RATE) < 0.05
    assert set(np.unique(a).tolist()) <= {0.0, np.float32(1 / (1 - RATE))}


def test_training_steps_carry_the_key(jit):
    f = jit(step)
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal((16, 4)).astype(np.float32), rng.standard_normal((8, 16)).astype(np.float32)
    k = xr.key(42)
    masks = []
    for _ in range(3):
        k, w, h = f(k, w, x)
        masks.append(h == 0)
    assert not (masks[0] == masks[1]).all() and not (masks[1] == masks[2]).all()
    # replaying from the same key reproduces every mask
    k2, w2 = xr.key(42), w * 0
    for m in masks:
        k2, w2, h = f(k2, w2, x)
        np.testing.assert_array_equal(h == 0, m)


def test_the_mask_is_generated_inside_the_fused_kernel():
    x = np.ones((200, 300), np.float32)
    fn = xl.jit(dropout).lower(xr.key(0), x).optimized
    top = [op.name for op in fn.ops]
    assert THREEFRY2X32 not in top and FUSED in top
    inside = [op.name for op in fn.ops if op.name == FUSED for op in op.regions[0].ops]
    assert THREEFRY2X32 in inside
    # nothing of the mask's size is a constant of the program
    assert all(op.result.type.size < x.size for op in fn.ops if op.name == CONSTANT)


@pytest.mark.parametrize("call", [lambda x: np.random.uniform(size=x.shape),
                                  lambda x: np.random.default_rng().random(x.shape)])
def test_np_random_inside_a_trace_points_at_xlaish_random(call):
    f = xl.jit(lambda x: x * (call(x) < 0.5))
    with pytest.raises(UnsupportedError, match=r"xlaish\.random"):
        f(np.ones(3))


def test_aot_library_gives_the_same_masks(tmp_path):
    aot = pytest.importorskip("xlaish.aot")
    x = np.ones((30, 20), np.float32)
    k = xr.key(3)
    aot.export(dropout, (k, x), out_dir=str(tmp_path), name="dropout")
    lib = aot.load(str(tmp_path / "libdropout.so"))
    for key in (k, *xr.split(k, 2)):
        np.testing.assert_array_equal(lib(key, x), dropout(key, x))
