"""The LLVM backend on the workloads it must get right: kernels, reductions, threads, layouts."""
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import xlaish as xl
from tests.helpers import assert_matches_numpy
from xlaish.codegen.cpu.elementwise import LOWER
from xlaish.ir import all_ops
from xlaish.ir.opdef import ELEMENTWISE

RNG = np.random.default_rng(1234)


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def test_every_elementwise_op_has_a_cpu_lowering():
    missing = [n for n, od in all_ops().items() if od.has(ELEMENTWISE) and n not in LOWER
               and n != "astype"]
    assert missing == []


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 1e-6), (np.float64, 1e-14)])
def test_full_sum_at_least_as_accurate_as_numpy_pairwise(dtype, rtol):
    x = (RNG.random(10**7) * 2 - 0.5).astype(dtype)
    exact = math.fsum(x.astype(np.float64).tolist())
    got = xl.jit(lambda v: v.sum())(x)
    ref = np.sum(x)
    assert got.dtype == ref.dtype
    err_ours = abs(float(got) - exact)
    err_numpy = abs(float(ref) - exact)
    # ours must not be worse than NumPy's pairwise sum (one rounding of the result allowed)
    ulp = float(np.spacing(dtype(abs(exact))))
    assert err_ours <= max(err_numpy, ulp), (err_ours, err_numpy, ulp)
    assert abs(float(got) - exact) <= rtol * abs(exact) + ulp


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def layernorm(x, g, b):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-5) * g + b


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (64, 1000), (1000, 7)])
def test_row_kernels_softmax_layernorm(shape):
    x = randn(*shape)
    g, b = randn(shape[-1]), randn(shape[-1])
    np.testing.assert_allclose(xl.jit(softmax)(x), softmax(x), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(xl.jit(layernorm)(x, g, b), layernorm(x, g, b), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("axis", [0, 1, -1, (0, 1), None])
@pytest.mark.parametrize("op", ["sum", "prod", "max", "min", "mean", "argmax", "argmin"])
def test_reductions_over_axes(op, axis):
    if op.startswith("arg") and isinstance(axis, tuple):
        pytest.skip("NumPy's argmax takes one axis")
    x = randn(37, 129)
    if op == "prod":
        x = (1 + 0.05 * x).astype(np.float32)    # keep products in the normal range
    x[3, 5] = np.nan if op in ("max", "min", "argmax", "argmin") else x[3, 5]
    f = lambda v: getattr(np, op)(v, axis=axis)  # noqa: E731
    got, ref = xl.jit(f)(x), f(x)
    assert np.asarray(got).dtype == np.asarray(ref).dtype
    if op in ("sum", "mean"):
        # NumPy sums float32 columns sequentially in float32; compare against float64 with a
        # tolerance scaled by the magnitudes summed (we accumulate in float64)
        exact = f(x.astype(np.float64))
        scale = getattr(np, op)(np.abs(x.astype(np.float64)), axis=axis)
        assert np.all(np.abs(got - exact) <= 1e-6 * scale + 1e-30) or np.isnan(exact).any()
        assert np.all(np.abs(ref - exact) <= 1e-5 * scale + 1e-30) or np.isnan(exact).any()
    else:
        np.testing.assert_allclose(got, ref, rtol=3e-5 if op == "prod" else 2e-6)


def test_threads_give_the_same_answer(monkeypatch):
    x = randn(3000, 512)
    f = xl.jit(lambda v: (softmax(v), np.tanh(v) * 2 + 1, v.sum()))
    monkeypatch.setenv("XLAISH_NUM_THREADS", "1")
    one = f(x)
    monkeypatch.setenv("XLAISH_NUM_THREADS", "8")
    many = f(x)
    for a, b in zip(one, many):
        np.testing.assert_array_equal(a, b)


def test_non_contiguous_read_only_and_broadcast_inputs():
    base = randn(64, 80)
    x = base[::2, 1::3]          # strided view
    y = np.asfortranarray(randn(32, 27))
    y.setflags(write=False)
    f = xl.jit(lambda a, b, c: np.maximum(a * b + c, 0))
    c = randn(27)
    np.testing.assert_allclose(f(x, y, c), np.maximum(x * y + c, 0), rtol=1e-6)


def test_matmul_with_epilogue_matches_numpy():
    for (m, k, n) in [(1, 1, 1), (7, 13, 300), (128, 64, 96)]:
        a, b, bias = randn(m, k), randn(k, n), randn(n)
        f = xl.jit(lambda a, b, bias: np.maximum(a @ b + bias, 0))
        np.testing.assert_allclose(f(a, b, bias), np.maximum(a @ b + bias, 0), rtol=1e-4, atol=1e-4)
    a3, b3 = randn(4, 5, 6), randn(6, 3)
    np.testing.assert_allclose(xl.jit(np.matmul)(a3, b3), a3 @ b3, rtol=1e-5, atol=1e-5)
    v = randn(6)
    np.testing.assert_allclose(xl.jit(lambda a, v: a @ v)(a3, v), a3 @ v, rtol=1e-5, atol=1e-5)


def test_lowered_exposes_llvm_ir_and_asm():
    low = xl.jit(lambda v: np.exp(v) * 2).lower(randn(1000))
    ir_text = low.llvm_ir()
    assert "define" in ir_text and "xl_entry" in ir_text
    assert "@expf" not in ir_text and "call float @exp" not in ir_text   # no scalar libm
    assert "<" in ir_text and "x float>" in ir_text                        # vectorised
    asm = low.asm()
    assert "xl_entry" in asm


_CHILD = r"""
import sys, numpy as np, xlaish as xl
from xlaish.runtime import cpu, cache
f = xl.jit(lambda v: np.tanh(v) * 3 + v)
x = np.linspace(-3, 3, 1001, dtype=np.float32)
np.testing.assert_allclose(f(x), np.tanh(x) * 3 + x, rtol=1e-6, atol=1e-6)
print(cpu.STATS["llvm_compiles"], cache.STATS["hits"], cache.STATS["corrupt"])
"""


def _child(env):
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True,
                         check=True)
    return [int(t) for t in out.stdout.split()]


def test_disk_cache_second_process_skips_llvm_and_recovers_from_damage(tmp_path):
    env = dict(os.environ, XLAISH_CACHE_DIR=str(tmp_path))
    assert _child(env) == [1, 0, 0]             # first process compiles
    assert _child(env) == [0, 1, 0]             # second loads object code, no LLVM
    entries = list(tmp_path.rglob("*.xlc"))
    assert len(entries) == 1
    data = entries[0].read_bytes()
    entries[0].write_bytes(data[: len(data) // 2] + b"garbage")
    assert _child(env) == [1, 0, 1]             # damaged: detected, recompiled, rewritten
    assert _child(env) == [0, 1, 0]             # and the rewritten entry is good
    env_off = dict(os.environ, XLAISH_CACHE_DIR="off")
    assert _child(env_off) == [1, 0, 0]


def test_import_does_not_pull_numba_or_llvmlite():
    code = "import sys, xlaish; print('numba' in sys.modules, 'llvmlite' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_small_programs_and_edge_shapes():
    f = xl.jit(lambda a, b: (a + b, (a * b).sum(), a[..., None] * b[..., None]))
    for shape in [(), (0,), (1,), (5, 0), (3, 1)]:
        a, b = randn(*shape), randn(*shape)
        got = f(a, b)
        ref = (a + b, (a * b).sum(), a[..., None] * b[..., None])
        for g, r in zip(got, ref):
            assert np.shape(g) == np.shape(r) and np.asarray(g).dtype == np.asarray(r).dtype
            np.testing.assert_allclose(g, r, rtol=1e-6)


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 0), (3, 0, 4), (0, 3, 4)])
def test_fused_outputs_and_row_reductions_over_empty_extents(jit, shape):
    """A multi-output kernel (map + row reduction) with no rows, or empty rows: the kernel must
    not run over rows that do not exist (its index arithmetic divided by the zero extent, which
    LLVM took as unreachable code, and the program jumped into nothing)."""
    a = np.zeros(shape, np.float32)

    def prog(a):
        return a + 1, (a + 1).sum(axis=-1), np.exp(a * 2).sum(axis=0)

    got, exp = jit(prog)(a), prog(a)
    for g, e in zip(got, exp):
        assert_matches_numpy(g, e)
