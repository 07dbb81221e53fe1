"""Masked-range reductions (xlaish.ir.kernel_masked): a reduction of
``select(lo <= iota < hi, v, identity)`` loops over ``[lo, hi)`` only, with NumPy's results."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.compiler import compile_traced
from xlaish.ir import parse, verify
from xlaish.ir.kernel_masked import masked_range
from xlaish.ir.ops.reduction import identity_for

from ..helpers import assert_matches_numpy

SHAPE = (5, 37)
NP = {"f64": "f8", "f32": "f4", "i32": "i4", "i64": "i8", "u64": "u8", "bool": "?"}


def _literal(value, dtype):
    if dtype == "bool":
        return "true" if value else "false"
    if dtype.startswith("f"):
        return "inf" if value == np.inf else "-inf" if value == -np.inf else repr(float(value))
    return str(int(value))


def _program(red, dtype, bound_dtype, bound_shape, sides):
    """``red`` over axis 1 of ``select(lo <= iota(axis 1) < hi, x, identity)``."""
    b = f"{bound_dtype}[{','.join(map(str, bound_shape))}]"
    t = f"{dtype}[5,37]"
    ident = _literal(identity_for(red, np.dtype(NP[dtype])), dtype)
    lines = [f"func @f(%x: {t}, %lo: {b}, %hi: {b}) -> {dtype}[5,1] {{",
             f"  %0 = iota {{axis = 1, dtype = {bound_dtype}, shape = [5, 37]}} : {bound_dtype}[5,37]"]
    conds = []
    if "lo" in sides:
        lines.append("  %1 = greater_equal %0, %lo : bool[5,37]")
        conds.append("%1")
    if "hi" in sides:
        lines.append("  %2 = less %0, %hi : bool[5,37]")
        conds.append("%2")
    if len(conds) == 2:
        lines.append("  %3 = logical_and %1, %2 : bool[5,37]")
        conds = ["%3"]
    lines += [f"  %4 = constant {{value = dense<{ident} : {dtype}[]>}} : {dtype}[]",
              f"  %5 = select {conds[0]}, %x, %4 : {t}",
              f"  %6 = {red} %5 {{axes = [1], keepdims = true}} : {dtype}[5,1]",
              "  return %6", "}"]
    return verify(parse("\n".join(lines)))


def _expected(red, x, lo, hi, sides):
    i = np.arange(SHAPE[1])
    mask = np.ones(SHAPE, bool)
    if "lo" in sides:
        mask &= i >= lo
    if "hi" in sides:
        mask &= i < hi
    fill = np.array(identity_for(red, x.dtype), x.dtype)
    kw = {"dtype": x.dtype} if red in ("sum", "prod") else {}    # the IR op keeps its dtype
    return getattr(np, red)(np.where(mask, x, fill), axis=1, keepdims=True, **kw)


CASES = [("sum", "f64"), ("sum", "f32"), ("sum", "i32"), ("prod", "f64"), ("max", "f32"),
         ("min", "f64"), ("max", "i64"), ("any", "bool"), ("all", "bool")]


@pytest.mark.parametrize("red,dtype", CASES)
@pytest.mark.parametrize("sides", [("hi",), ("lo",), ("lo", "hi")])
@pytest.mark.parametrize("bound_dtype,bound_shape", [("i64", ()), ("i32", (5, 1)), ("u64", ())])
def test_masked_reductions_match_numpy(red, dtype, sides, bound_dtype, bound_shape):
    fn = _program(red, dtype, bound_dtype, bound_shape, sides)
    kernel_ops = [op for op in fn.ops]
    defs = {id(r): op for op in kernel_ops for r in op.results}
    found = masked_range(defs, kernel_ops[-1], SHAPE, (1,))
    assert found is not None and found[0] == 1
    _, exe = compile_traced(fn, {"device": "cpu", "fuse": True, "passes": None})
    rng = np.random.default_rng(7)
    npdt = np.dtype(NP[dtype])
    x = (rng.random(SHAPE) < 0.8) if npdt.kind == "b" else (rng.random(SHAPE) * 2 + 0.5).astype(npdt)
    if npdt.kind == "f":
        x[:, -3:] = np.nan                      # outside most ranges: must not leak in
    bdt = np.dtype(NP[bound_dtype])
    pairs = [(0, 37), (3, 20), (-4, 5), (10, 2), (20, 20), (36, 60), (0, 0)]
    for lo, hi in pairs:
        if bdt.kind == "u" and min(lo, hi) < 0:
            continue
        lo_a = np.full(bound_shape, lo, bdt)
        hi_a = np.full(bound_shape, hi, bdt)
        if bound_shape:                          # a different bound per row
            lo_a = (lo_a + np.arange(5, dtype=bdt).reshape(5, 1)).astype(bdt)
            hi_a = (hi_a + np.arange(5, dtype=bdt).reshape(5, 1)).astype(bdt)
        (got,) = exe([x, lo_a, hi_a])
        assert_matches_numpy(np.asarray(got), _expected(red, x, lo_a, hi_a, sides),
                             err_msg=f"{red} {dtype} lo={lo} hi={hi}")


def test_a_huge_unsigned_bound_is_the_end_of_the_axis():
    fn = _program("sum", "f64", "u64", (), ("lo", "hi"))
    _, exe = compile_traced(fn, {"device": "cpu", "fuse": True, "passes": None})
    x = np.random.default_rng(0).random(SHAPE)
    lo, hi = np.uint64(4), np.uint64(2**64 - 5)
    (got,) = exe([x, lo, hi])
    assert_matches_numpy(np.asarray(got), x[:, 4:].sum(axis=1, keepdims=True))


def test_other_masks_are_not_ranges():
    """A mask that is not ``lo <= iota < hi`` along a reduced axis keeps the full loop."""
    fn = verify(parse("""func @f(%x: f64[5,37], %m: bool[5,37]) -> f64[5,1] {
  %0 = constant {value = dense<0.0 : f64[]>} : f64[]
  %1 = select %m, %x, %0 : f64[5,37]
  %2 = sum %1 {axes = [1], keepdims = true} : f64[5,1]
  return %2
}"""))
    defs = {id(r): op for op in fn.ops for r in op.results}
    assert masked_range(defs, fn.ops[-1], SHAPE, (1,)) is None
    fn = _program("sum", "f64", "i64", (), ("hi",))
    defs = {id(r): op for op in fn.ops for r in op.results}
    assert masked_range(defs, fn.ops[-1], SHAPE, (0,)) is None      # iota along a kept axis


N = 40      # above the unroll limit: the loops below compile as loops with a traced index


def _trisolv(L, b, x):
    for i in range(b.shape[0]):
        x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]


def _suffix_dot(A, v):
    out = np.zeros(N)
    for i in range(N):
        out[i] = A[i, i:] @ v[i:]
    return out


def _rows_above(A, v):
    out = np.zeros(N)
    for i in range(N):
        out[i] = A[:i, :].sum() + v[:i].sum()
    return out


def _batched(B, v):
    out = np.zeros((N, 4))
    for i in range(N):
        out[i] = B[i, :i].sum(axis=0)
    return out


@pytest.mark.parametrize("f", [_suffix_dot, _rows_above, _batched])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_masked_slices_in_loops_match_numpy(f, dtype):
    rng = np.random.default_rng(3)
    a = rng.random((N, N, 4) if f is _batched else (N, N)).astype(dtype)
    v = rng.random(N).astype(dtype)
    # float32 sums stored into a float64 result: float32 rounding, whatever the summation order
    assert_matches_numpy(xl.jit(f)(a, v), f(a, v), rtol=1e-5 if dtype == np.float32 else None)


def test_triangular_solve_reads_only_the_triangle():
    """Row by row: the masked dot is a reduce kernel over ``[0, i)`` (recognised), NaNs above
    the diagonal never reach the result, and ``x`` holds NumPy's values."""
    rng = np.random.default_rng(5)
    L = np.tril(rng.random((N, N))) + N * np.eye(N)
    L[np.triu_indices(N, 1)] = np.nan
    b = rng.random(N)
    got, want = np.zeros(N), np.zeros(N)
    xl.jit(_trisolv)(L, b, got)
    _trisolv(L, b, want)
    assert_matches_numpy(got, want)
    lowered = xl.jit(_trisolv).lower(L, b, np.zeros(N))
    regions = [op.regions[0] for op in lowered.optimized.walk() if op.name == "fused"]
    hits = []
    for r in regions:
        defs = {id(v): op for op in r.ops for v in op.results}
        hits += [masked_range(defs, op, op.operands[0].type.shape, tuple(op.attrs["axes"]))
                 for op in r.ops if op.name == "sum"]
    assert any(h is not None for h in hits)
