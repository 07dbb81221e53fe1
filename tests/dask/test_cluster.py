"""Jitted functions on dask arrays, run by a real ``distributed`` cluster of worker processes.

Expected values come from NumPy on the same data. Chunkings include an uneven last chunk and a
chunk of size 0. The client compiles every stage for its block shapes, so the workers run the
shipped object code: they never run LLVM (not even for the runtime's thread pool: the workers run
with XLAISH_NUM_THREADS=1) and never import numba.
"""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
import xlaish.dask  # noqa: F401  (xl.dask)
from tests.dask import _funcs
from tests.dask.conftest import compute

da = pytest.importorskip("dask.array")

ROW_CHUNKS = [(5, 5, 5, 5), (7, 7, 6), (6, 0, 9, 5), (20,)]


def _data(shape=(20, 24), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _stats_ok(client):
    stats = xl.dask.worker_stats(client)
    assert len(stats) == 2
    for s in stats.values():
        assert s["llvm_compiles"] == 0 and s["worker_compiles"] == 0, s
        assert not s["numba_imported"]
        assert not s["thread_pool_compiled"]           # 1-thread workers: no pool module compiled
    return stats


@pytest.mark.parametrize("chunks", ROW_CHUNKS, ids=lambda c: "-".join(map(str, c)))
def test_layernorm_softmax_rows_chunked(client, chunks):
    xn, g = _data(), _data((24,), 1)
    f = xl.jit(_funcs.layernorm_softmax)
    y = f(da.from_array(xn, chunks=(chunks, 24)), g)
    assert isinstance(y, da.Array) and y.chunks[0] == chunks
    (got,) = compute(client, y)
    np.testing.assert_allclose(got, _funcs.layernorm_softmax(xn, g), rtol=1e-5, atol=1e-6)
    _stats_ok(client)


def test_elementwise_broadcast_with_dask_and_numpy_operands(client):
    xn, yn, b = _data((12, 10)), _data((10,), 2), _data((12, 1), 3)
    x = da.from_array(xn, chunks=((5, 0, 7), (4, 4, 2)))
    y = da.from_array(yn, chunks=((3, 7),))          # chunked differently: dask aligns the blocks

    def f(x, y, b, s):
        return np.where(x > 0, np.exp(-x * s) + y, b * 2.0) - 1

    got, = compute(client, xl.jit(f)(x, y, b, 0.5))
    np.testing.assert_allclose(got, f(xn, yn, b, 0.5), rtol=1e-5, atol=1e-6)
    _stats_ok(client)


def test_reductions_over_chunked_axes(client):
    xn = _data((13, 9))
    x = da.from_array(xn, chunks=((4, 4, 0, 5), (5, 4)))

    def f(a):
        m = a.max(axis=0)
        lse = np.log(np.exp(a - m).sum(axis=0)) + m
        return a.sum(), a.mean(axis=1), np.var(a, axis=0), lse, (a > 0).any(axis=0)

    outs = xl.jit(f)(x)
    got = compute(client, *outs)
    for g, e in zip(got, f(xn)):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    _stats_ok(client)


def test_matmul_with_chunked_contraction(client):
    an, bn = _data((9, 16)), _data((16, 5), 4)
    a = da.from_array(an, chunks=((4, 5), (6, 6, 4)))
    b = da.from_array(bn, chunks=((6, 6, 4), (3, 2)))
    got, = compute(client, xl.jit(lambda a, b: np.tanh(a @ b))(a, b))
    np.testing.assert_allclose(got, np.tanh(an @ bn), rtol=1e-5, atol=1e-5)


def test_map_blocks(client):
    xn = _data((10, 6))
    y = xl.dask.map_blocks(lambda a: np.sqrt(np.abs(a)) * 2, da.from_array(xn, chunks=(3, 6)),
                           dtype=np.float32)
    got, = compute(client, y)
    np.testing.assert_allclose(got, np.sqrt(np.abs(xn)) * 2, rtol=1e-6)


def test_killed_worker_is_retried_and_the_answer_is_right(client, tmp_path):
    xn, g = _data((16, 8)), _data((8,), 5)
    x = da.from_array(xn, chunks=(4, 8)).map_blocks(_funcs.kill_worker_once, str(tmp_path / "killed"),
                                                     dtype=np.float32)
    got, = compute(client, xl.jit(_funcs.layernorm_softmax)(x, g))
    assert (tmp_path / "killed").exists()             # a worker process did die mid-computation
    np.testing.assert_allclose(got, _funcs.layernorm_softmax(xn, g), rtol=1e-5, atol=1e-6)
