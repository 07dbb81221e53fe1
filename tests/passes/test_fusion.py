"""fuse: what the top level and the regions look like after fusion (the guarantees in the
pass's docstring), plus regressions found by the property tests."""
from __future__ import annotations

import numpy as np
import pytest

from xlaish import numpy as xnp
from xlaish.ir.kernel import analyze
from xlaish.passes.canonicalize import canonicalize
from xlaish.passes.dce import dce
from xlaish.passes.fusion import fuse
from xlaish.passes.pipeline import run_pipeline

from ._plan import check_plan
from ._util import assert_equals_numpy, run, trace


def _fused(f, *args, enabled=True):
    return run(fuse, canonicalize(trace(f, *args)), enabled=enabled)


def _kernels(fn):
    return [op for op in fn.ops if op.name == "fused"]


@pytest.mark.parametrize("enabled", [True, False])
def test_top_level_is_kernels_and_data_and_regions_are_kernels(enabled):
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    table = np.arange(12.0).reshape(3, 4) ** 2

    def f(x):
        return (np.tanh(x.T) + xnp.arange(3.0)).sum(axis=0) * table.sum(), x.T

    out = _fused(f, x, enabled=enabled)
    assert {op.name for op in out.ops} <= {"fused", "constant"}
    for op in _kernels(out):
        analyze(op.regions[0])
    consts = [op for op in out.ops if op.name == "constant"]
    assert all(np.asarray(op.attrs["value"]).ndim > 0 for op in consts)    # scalars are cloned
    assert_equals_numpy(out, f, x, bitwise=False)


def test_scalars_splats_and_iota_are_cloned_never_buffers():
    x = np.linspace(-1, 1, 8, dtype=np.float32)
    f = lambda x: (x * 2 + xnp.arange(8, dtype=np.float32) + xnp.full(8, 3, np.float32),
                   np.sin(x) - xnp.arange(8, dtype=np.float32))
    for enabled in (True, False):
        out = _fused(f, x, enabled=enabled)
        params = {id(p) for p in out.params}
        kernel_results = {id(r) for op in _kernels(out) for r in op.results}
        for op in _kernels(out):   # kernels read parameters and other kernels' results only
            assert all(id(v) in params | kernel_results for v in op.operands)
            analyze(op.regions[0])
        assert_equals_numpy(out, lambda x: (x * 2 + np.arange(8, dtype=np.float32) + np.float32(3),
                                            np.sin(x) - np.arange(8, dtype=np.float32)), x)


@pytest.mark.parametrize("f", [
    lambda x: np.maximum(x, xnp.zeros_like(x)),
    lambda x: x * xnp.full(x.shape, 2.0, np.float32) + xnp.ones(x.shape, np.float32),
    lambda x: x + xnp.arange(x.shape[0], dtype=np.float32),
], ids=["relu-zeros_like", "full-ones", "iota"])
def test_splats_fuse_into_one_kernel(f):
    # regression: kernel analysis rejected ``broadcast_to`` of a cloned scalar constant, so any
    # splat (zeros_like, full, ones and every uniform value fold makes) blocked fusion and the
    # regions holding one were not valid kernels
    x = np.array([-2.0, -0.0, 0.0, 0.5, np.inf, -np.inf, np.nan, 3.0], np.float32)
    for passes in (None, []):
        out = run_pipeline(trace(f, x), passes=passes, check=True)
        (k,) = _kernels(out)
        assert analyze(k.regions[0]).kind == "map"
        data = {id(op.result) for op in out.ops if op.name == "constant"}   # fold's dense arange
        assert k.operands[0] is out.params[0] and all(id(v) in data for v in k.operands[1:])
        assert_equals_numpy(out, f, x)


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("f", [
    lambda a: a[:, 0] * 2,
    lambda a: a.T.reshape(-1) + 1,
    lambda a: np.broadcast_to(a[:, :1], (3, 4)).reshape(12).sum(),
    lambda a: (a * 2).T.reshape(12),
    lambda a: (a[1:, ::2].reshape(4), a.reshape(4, 3)[::2].T),
], ids=["column", "transpose-reshape", "broadcast-reshape", "computed-transpose-reshape", "mixed"])
def test_reshape_of_a_strided_view_is_materialised_first(f, enabled):
    # regression: a reshape cannot read through a transpose/slice/broadcast (no strides express
    # it); fusion cloned such chains into regions that kernel analysis rejects
    a = np.arange(12.0).reshape(3, 4) - 5.5
    out = run_pipeline(trace(f, a), fuse=enabled, check=True)
    for op in _kernels(out):
        analyze(op.regions[0])
    check_plan(out)
    assert_equals_numpy(out, f, a, bitwise=False)


def test_views_of_inputs_are_read_not_materialised():
    a = np.arange(12.0).reshape(3, 4)
    f = lambda a: np.exp(a.T[1:, :]) + a[:, 1:2].T + np.broadcast_to(a[0:1, :3], (3, 3)).T
    out = _fused(f, a)
    (k,) = _kernels(out)
    assert k.operands == (out.params[0],)
    assert analyze(k.regions[0]).kind == "map"
    assert_equals_numpy(out, f, a)


@pytest.mark.parametrize("enabled", [True, False])
def test_view_that_is_also_an_output_feeds_other_kernels(enabled):
    # regression: the reshape dropping a reduction's dims was both an output and the input of
    # another kernel; that kernel re-derived it from the reduction's (unexported) keepdims value
    # and fusion failed with "fusion produced a cyclic kernel graph"
    x = np.array([0.82177013], np.float32)
    f = lambda x0: (np.abs(np.max(x0)), np.max(x0))
    out = run_pipeline(trace(f, x), fuse=enabled, check=True)
    check_plan(out)
    assert_equals_numpy(out, f, x)
    y = np.linspace(-2, 2, 12).reshape(3, 4)
    g = lambda y: (y.sum(axis=1), np.exp(y.sum(axis=1)) * 2, y.T, np.sin(y.T))
    out = run_pipeline(trace(g, y), fuse=enabled, check=True)
    check_plan(out)
    assert_equals_numpy(out, g, y, bitwise=False)


def test_fused_kernel_after_dce_is_still_a_kernel():
    x = np.linspace(-1, 1, 6).reshape(2, 3)

    def f(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True), e.sum(axis=1)

    out = _fused(f, x)
    (k,) = _kernels(out)
    assert len(k.results) == 2
    only_first = run(dce, out.replace(results=[out.results[0]]))
    (k1,) = _kernels(only_first)
    assert len(k1.results) == 1
    analyze(k1.regions[0])
    assert_equals_numpy(only_first, lambda x: f(x)[0], x, bitwise=False)


SHAPE_OUTPUTS = [
    lambda x: np.reshape(x, (4, 6)),
    lambda x: x.reshape(-1),
    lambda x: np.transpose(x, (1, 0, 2)),
    lambda x: np.moveaxis(x, 0, -1),
    lambda x: np.broadcast_to(x, (5, 2, 3, 4)),
    lambda x: np.broadcast_to(x[:, :1, :], (2, 7, 4)),
    lambda x: np.expand_dims(x, (0, 4)),
    lambda x: np.squeeze(x[:1, :, :1]),
    lambda x: np.concatenate([x, x[:1]], axis=0),
    lambda x: np.concatenate([x, x[0]], axis=None),
    lambda x: np.stack([x[0], x[1]], axis=-1),
    lambda x: x[:, ::2].T,
    lambda x: x.reshape(-1, 4),     # with the next one: a (6,4) and a (4,3) output in one merge
    lambda x: np.transpose(x.reshape(6, 4)[::2], (1, 0)).reshape(-1)[1:-1],
]


@pytest.mark.parametrize("enabled", [True, False])
def test_many_data_movement_outputs(enabled):
    # regression: kernel analysis raised ShapeError (not NotFusible) for values of unrelated
    # shapes, which escaped the fusion pass's "is this merge a valid kernel" check
    x = np.arange(24.0).reshape(2, 3, 4) - 11.5
    f = lambda x: tuple(g(x) for g in SHAPE_OUTPUTS)
    out = run_pipeline(trace(f, x), fuse=enabled, check=True)
    for op in _kernels(out):
        analyze(op.regions[0])
    check_plan(out)
    assert_equals_numpy(out, f, x)


def test_sibling_kernels_reading_a_common_input_share_one_loop():
    import xlaish as xl
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal(64, dtype=np.float32), rng.standard_normal(64, dtype=np.float32)
    f = lambda x, y: (x * 2, x + 1, np.exp(y) * x)  # noqa: E731
    low = xl.jit(f).lower(x, y)
    assert low.fusion_report().num_kernels == 1
    for got, want in zip(xl.jit(f)(x, y), f(x, y)):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    # nothing shared: separate kernels
    assert xl.jit(lambda x, y: (x * 2, y * 3)).lower(x, y).fusion_report().num_kernels == 2
    # row reductions of one array share a kernel; a column reduction does not fit its domain
    m = rng.standard_normal((6, 9), dtype=np.float32)
    g = lambda m: (m.sum(axis=1), m.max(axis=1), m.sum(axis=0))  # noqa: E731
    assert xl.jit(g).lower(m).fusion_report().num_kernels == 2
    for got, want in zip(xl.jit(g)(m), g(m)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_merge_never_puts_a_kernel_on_both_sides_of_another():
    """Merging two groups is refused when a third *group* both feeds and reads them through
    different ops (op-level paths alone showed no cycle): these used to fail with "fusion
    produced a cyclic kernel graph"."""
    import xlaish as xl
    import xlaish.numpy as xnp_

    def f(np_, b, x):
        s = np_.sum(x)
        t = -s
        return (t + s) * b, np_.where(x > 0, t, b)

    b = np.array([True, False, True, True, False])
    x = np.arange(15.0).reshape(3, 5) - 4
    out = run_pipeline(trace(lambda b, x: f(xnp_, b, x), b, x), check=True)
    check_plan(out)
    for got, want in zip(xl.jit(lambda b, x: f(xnp_, b, x))(b, x), f(np, b, x)):
        np.testing.assert_array_equal(got, want)

    def g(np_, a, b):
        r = b[::-1]
        lg = np_.log(np_.abs(r) + 1)          # traced before the matmul: op order matters
        return np_.sum((b @ a) / (1 + np_.abs(r))) + np_.sum(np_.abs(lg))

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    grad = xl.jit(xl.grad(lambda a, b: g(xnp_, a, b), argnums=1))(a, b)
    h = 1e-6
    num = np.zeros_like(b)
    for idx in np.ndindex(b.shape):
        d = np.zeros_like(b)
        d[idx] = h
        num[idx] = (g(np, a, b + d) - g(np, a, b - d)) / (2 * h)
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-7)
