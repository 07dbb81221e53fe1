"""plan_buffers: intermediates between kernels share slots, and the plan is consistent
(checked by simulating it over the IR)."""
from __future__ import annotations

import numpy as np

import xlaish as xl
from xlaish.ir import verify
from xlaish.passes.buffers import plan_buffers, slot_sizes
from xlaish.passes.pipeline import run_pipeline

from ._plan import check_plan
from ._util import assert_equals_numpy, ir, run, trace

F32 = np.float32


def chain10(x):
    return np.tanh(((x * 1.5 + 2) * x - 0.5) / (1 + x * x)) * 3 + x


def reductions_on_alternating_axes(x):
    a = x - x.sum(axis=0)
    b = a - a.sum(axis=1, keepdims=True)
    c = b * b.max(axis=0)
    return c.sum(axis=1)


def long_lived(x):
    a = np.exp(x)          # read again by the last kernel: its slot must survive the chain
    b = np.sin(a)
    c = np.cos(b)
    d = np.tanh(c)
    return d * a


def _planned(f, *args, fuse=True):
    fn = run_pipeline(trace(f, *args), fuse=fuse, check=True)
    verify(fn)
    return fn


def test_unfused_chain_reuses_slots():
    x = np.linspace(-2, 2, 16, dtype=F32)
    fn = _planned(chain10, x, fuse=False)
    stats = check_plan(fn)
    assert stats["intermediates"] == 9
    assert stats["slots"] < stats["intermediates"]
    assert stats["slots"] <= 3
    assert_equals_numpy(fn, chain10, x, bitwise=False)


def test_kernels_of_reductions_on_different_axes_reuse_slots():
    x = np.random.default_rng(0).uniform(-1, 1, (8, 16)).astype(F32)
    fn = _planned(reductions_on_alternating_axes, x)
    kernels = [op for op in fn.ops if op.name == "fused"]
    assert len(kernels) == 4
    stats = check_plan(fn)
    assert stats["intermediates"] == 3 and stats["slots"] == 2
    assert stats["bytes"] == 2 * x.nbytes
    assert_equals_numpy(fn, reductions_on_alternating_axes, x, bitwise=False)


def test_long_lived_value_keeps_its_slot():
    x = np.linspace(-1, 1, 32)
    fn = _planned(long_lived, x, fuse=False)
    stats = check_plan(fn)
    assert stats["intermediates"] == 4
    a_slot = fn.ops[0].attrs["buffers"][0]
    later = [op.attrs["buffers"][0] for op in fn.ops[1:] if op.name == "fused"]
    assert a_slot not in later[:-1]                  # nobody overwrites exp(x) before d * a
    assert_equals_numpy(fn, long_lived, x, bitwise=False)


def test_slot_grows_to_the_largest_value_it_holds():
    x = np.random.default_rng(1).uniform(-1, 1, (6, 10))

    def f(x):
        s = np.exp(x).sum(axis=1, keepdims=True)     # small intermediate (6, 1)
        t = np.tanh(x / s)                             # big intermediate (6, 10)
        return t.sum(axis=0) + np.sin(t).max(axis=0)

    fn = _planned(f, x, fuse=False)
    check_plan(fn)
    sizes = slot_sizes(fn)
    held = {}
    for op in fn.ops:
        for r, s in zip(op.results, op.attrs.get("buffers", ())):
            if s >= 0:
                held.setdefault(s, []).append(r.type.nbytes)
    assert sizes == {s: max(v) for s, v in held.items()}
    assert_equals_numpy(fn, f, x, bitwise=False)


def test_golden_plan():
    fn = ir("""
        func @f(%x: f32[4]) -> f32[4] {
          %0 = fused %x : f32[4] {
            func @kernel0(%in0: f32[4]) -> f32[4] {
              %0 = exp %in0 : f32[4]
              return %0
            }
          }
          %1 = fused %0 : f32[4] {
            func @kernel1(%in0: f32[4]) -> f32[4] {
              %0 = sin %in0 : f32[4]
              return %0
            }
          }
          %2 = fused %1 : f32[4] {
            func @kernel2(%in0: f32[4]) -> f32[4] {
              %0 = cos %in0 : f32[4]
              return %0
            }
          }
          %3 = fused %2, %x : f32[4] {
            func @kernel3(%in0: f32[4], %in1: f32[4]) -> f32[4] {
              %0 = add %in0, %in1 : f32[4]
              return %0
            }
          }
          return %3
        }""")
    out = run(plan_buffers, fn)
    assert [op.attrs["buffers"] for op in out.ops] == [(0,), (1,), (0,), (-1,)]
    check_plan(out)
    assert "buffers = [0]" in str(out)
    x = np.array([0.0, -0.0, 1.0, np.inf], F32)
    assert_equals_numpy(out, lambda x: np.cos(np.sin(np.exp(x))) + x, x)


def test_returned_intermediates_are_fresh_arrays():
    x = np.linspace(-1, 1, 8)

    def f(x):
        a = np.exp(x)
        return a, np.sin(a), np.cos(a) * a

    fn = _planned(f, x, fuse=False)
    check_plan(fn)
    first = fn.ops[0]
    assert first.attrs["buffers"] == (-1,)
    assert_equals_numpy(fn, f, x, bitwise=False)


def test_report_shows_the_plan():
    x = np.linspace(-2, 2, 16, dtype=F32)
    low = xl.jit(chain10, fuse=False, device="interpreter").lower(x)
    rep = low.fusion_report()
    stats = check_plan(low.optimized)
    assert rep.slots == slot_sizes(low.optimized)
    assert rep.intermediate_bytes == stats["bytes"] < stats["intermediates"] * x.nbytes
    assert "slot 0" in str(rep)
    assert all(len(k.buffers) == 1 for k in rep.kernels)
