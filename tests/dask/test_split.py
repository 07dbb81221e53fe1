"""How programs split over chunks, on dask's synchronous scheduler (no cluster): results against
NumPy over several chunkings, and the clear refusals of what needs a whole chunked axis."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import xlaish as xl
import xlaish.dask  # noqa: F401  (xl.dask)

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")


@pytest.fixture(autouse=True)
def _sync():
    with dask.config.set(scheduler="sync"):
        yield


def _data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


CHUNKS = [((3, 3, 1), (4, 2)), ((7,), (6,)), ((2, 0, 5), (1, 5)), ((1,) * 7, (6,))]


@pytest.mark.parametrize("chunks", CHUNKS, ids=str)
def test_mixed_program_matches_numpy(chunks):
    xn = _data((7, 6))

    def f(a, scale):
        c = a - a.mean(axis=0, keepdims=True)
        s = np.sqrt((c * c).sum(axis=0) / (a.shape[0] - 1))
        return {"z": c / s * scale, "total": np.abs(a).max(), "rowmin": a.min(axis=1)}

    out = xl.jit(f)(da.from_array(xn, chunks=chunks), scale=2.0)
    exp = f(xn, 2.0)
    assert set(out) == set(exp)
    for k in exp:
        got = out[k].compute()
        assert got.dtype == exp[k].dtype and got.shape == exp[k].shape
        np.testing.assert_allclose(got, exp[k], rtol=1e-5, atol=1e-6)


def test_int_and_bool_reductions_keep_numpy_dtypes():
    xn = np.arange(30, dtype=np.int32).reshape(10, 3) - 7
    x = da.from_array(xn, chunks=(4, 2))
    f = lambda a: (a.sum(axis=0), a.prod(axis=1), (a > 3).all(axis=0), a.max())   # noqa: E731
    for got, exp in zip(xl.jit(f)(x), f(xn)):
        got = got.compute()
        assert got.dtype == exp.dtype
        np.testing.assert_array_equal(got, exp)


def test_transpose_and_reshape_that_keep_the_chunked_axis():
    xn = _data((8, 5))
    f = lambda a: (a.T * 2)[:, None, :].sum(axis=0)   # noqa: E731
    got = xl.jit(f)(da.from_array(xn, chunks=(3, 5))).compute()
    np.testing.assert_allclose(got, f(xn), rtol=1e-6)


@pytest.mark.parametrize("fun, op", [
    (lambda a: np.argmax(a, axis=0), "argmax"),
    (lambda a: a[1:] - a[:-1], "slice"),
    (lambda a: np.concatenate([a, a], axis=0), "concatenate"),
    (lambda a: a.reshape(-1), "reshape"),
    (lambda a: a * np.arange(8, dtype=np.float32)[:, None], "constant"),
])
def test_what_needs_a_whole_chunked_axis_is_refused_by_name(fun, op):
    x = da.from_array(_data((8, 4)), chunks=(3, 4))
    with pytest.raises(xl.dask.SplitError, match=rf"'{op}' at .*test_split.py:\d+ needs the whole of "
                                                 rf"axis 0 of argument 'a'.*rechunk"):
        xl.jit(fun)(x)
    xn = _data((8, 4))
    ok = (8, 4) if op == "reshape" else (8, 2)       # a flattening reshape needs both axes whole
    got = xl.jit(fun)(da.from_array(xn, chunks=ok)).compute()    # the suggested rechunk runs
    np.testing.assert_allclose(got, fun(xn), rtol=1e-6)


def test_debug_ops_are_refused_on_dask_arrays():
    x = da.from_array(_data((6, 2)), chunks=(3, 2))
    with pytest.raises(xl.dask.SplitError, match=r"'debug_print' at .*test_split.py:\d+.*once per block"):
        xl.jit(lambda a: (xl.debug.print("s={}", a.sum()), a + 1)[1])(x)


def test_unknown_chunk_sizes_are_refused():
    x = da.from_array(_data((6, 2)), chunks=(3, 2))
    x = x[x[:, 0] > 0]
    with pytest.raises(ValueError, match="unknown chunk sizes.*compute_chunk_sizes"):
        xl.jit(lambda a: a + 1)(x)


def test_one_kernel_per_distinct_block_shape_compiled_in_the_client():
    before = xl.dask.STATS["client_compiles"]
    x = da.from_array(_data((10, 4)), chunks=((3, 3, 3, 1), 4))
    y = xl.jit(lambda a: np.exp(a) + 1)(x)
    assert xl.dask.STATS["client_compiles"] - before == 2         # (3, 4) and (1, 4)
    np.testing.assert_allclose(y.compute(), np.exp(x.compute()) + 1, rtol=1e-6)


def test_import_xlaish_does_not_import_dask():
    code = ("import sys, xlaish, numpy as np; xlaish.jit(lambda a: a + 1)(np.ones(3)); "
            "print('dask' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
