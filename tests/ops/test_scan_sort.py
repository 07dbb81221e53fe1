"""The ``scan`` and ``sort``/``sort_by``/``kth_smallest`` ops (every op with the ``scan`` or ``sort`` trait)
against their registry reference (NumPy), called as ops: every dtype, every kind, every axis of
a 3-D input, plus 1-D, long rows (several radix passes), empty and non-contiguous inputs.

Scans are sequential in the result dtype exactly as NumPy's ``accumulate`` loop, so results are
compared exactly (bit for bit, NaN where NumPy has NaN); sorts are exact too (stable, NaN last).
"""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from tests.helpers import ALL_DTYPES, dtype_id, make_input
from xlaish.ir import all_ops
from xlaish.ir.ops.scan import KINDS, SCAN
from xlaish.ir.ops.sort import SORT
from xlaish.trace.bind import emit1, to_value, wrap

SCAN_OPS = sorted(n for n, od in all_ops().items() if od.has(SCAN))
SORT_OPS = sorted(n for n, od in all_ops().items() if od.has(SORT))


def _op(name, *xs, **attrs):
    return wrap(emit1(name, [to_value(x) for x in xs], attrs))


def _assert_same(got, exp):
    got = np.asarray(got)
    assert got.dtype == exp.dtype and got.shape == exp.shape
    if exp.dtype.kind == "f":
        np.testing.assert_array_equal(got, exp)           # NaN positions equal, values exact
    else:
        assert np.array_equal(got, exp)


def _attrs(name, axis, n):
    return {"axis": axis, "kth": (0, n // 2, n - 1)} if name == "kth_smallest" else {"axis": axis}


def _payload_for(x, rng):
    return rng.permutation(x.size).reshape(x.shape).astype(np.float32)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("name", SCAN_OPS + SORT_OPS)
def test_op_against_reference(name, dtype):
    od = all_ops()[name]
    rng = np.random.default_rng(7)
    x = make_input(rng, (3, 5, 7), dtype)
    if od.has(SCAN) and dtype.kind == "f":
        x = np.where(np.isinf(x) | (np.abs(x) > 1e4), np.asarray(2.0, x.dtype), x).astype(x.dtype)
    cases = ([(k, a) for k in KINDS for a in range(3)] if od.has(SCAN) else [(None, a) for a in range(3)])
    p = _payload_for(x, rng)

    def f(x, p):
        out = []
        for kind, a in cases:
            if name == "scan":
                out.append(_op("scan", x, kind=kind, axis=a))
            elif name == "sort_by":
                out.append(_op(name, x, p, axis=a))
            else:
                out.append(_op(name, x, **_attrs(name, a, x.shape[a])))
        return out
    got = xl.jit(f)(x, p)
    for (kind, a), g in zip(cases, got):
        args = (x, p) if name == "sort_by" else (x,)
        attrs = {"kind": kind, "axis": a} if name == "scan" else _attrs(name, a, x.shape[a])
        (exp,) = od.evaluate(args, attrs)
        _assert_same(g, exp)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint16", "float16"])
@pytest.mark.parametrize("name", SORT_OPS)
def test_sort_long_rows(name, dtype):
    """Rows long enough for 11-bit digits and several passes; ties, NaN, -0.0 and a strided input."""
    od = all_ops()[name]
    rng = np.random.default_rng(1)
    n = 70001
    x = make_input(rng, (2 * n,), dtype)[::2]                # non-contiguous
    if np.dtype(dtype).kind in "iu":
        x[: n // 2] = rng.integers(0, 5, n // 2).astype(dtype)  # many ties: stability shows
    p = np.arange(n, dtype=np.int64)

    def f(x, p):
        return _op(name, x, p, axis=0) if name == "sort_by" else _op(name, x, **_attrs(name, 0, n))
    got = xl.jit(f)(x, p)
    (exp,) = od.evaluate((x, p) if name == "sort_by" else (x,), _attrs(name, 0, n))
    _assert_same(got, exp)


@pytest.mark.parametrize("name", SCAN_OPS + SORT_OPS)
def test_empty_and_fused_producers(name):
    od = all_ops()[name]
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4) % 5 - 2.0
    e = np.zeros((0, 4))

    def f(x, e):
        y = x * 3.0 + 1.0                                     # fused producer
        if name == "scan":
            return _op("scan", y, kind="add", axis=2) * 2.0, _op("scan", e, kind="mul", axis=1)
        if name == "sort_by":
            return _op(name, -y, y, axis=1), _op(name, e, e, axis=0)
        return _op(name, y, **_attrs(name, 0, 2)), _op(name, e, **_attrs(name, 1, 4))
    got = xl.jit(f)(x, e)
    y = x * 3.0 + 1.0
    if name == "scan":
        exp = (od.evaluate((y,), {"kind": "add", "axis": 2})[0] * 2.0,
               od.evaluate((e,), {"kind": "mul", "axis": 1})[0])
    elif name == "sort_by":
        exp = (od.evaluate((-y, y), {"axis": 1})[0], od.evaluate((e, e), {"axis": 0})[0])
    else:
        exp = (od.evaluate((y,), _attrs(name, 0, 2))[0], od.evaluate((e,), _attrs(name, 1, 4))[0])
    for g, x_ in zip(got, exp):
        _assert_same(g, x_)
