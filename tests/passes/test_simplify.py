"""simplify: algebraic identities that keep IEEE semantics, checked as IR text and against NumPy
on inputs holding -0.0, +-inf and NaN."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.ir.kernel import analyze
from xlaish.passes.dce import dce
from xlaish.passes.pipeline import run_pipeline
from xlaish.passes.simplify import simplify

from ._util import assert_equals_numpy, edges, expect_text, ir, live_op_names, results, run, trace

F32 = np.float32

# (id, function, expected live ops after simplify (None: unchanged), dtypes)
FLOAT_RULES = [
    ("x+0.0 kept", lambda x: x + 0.0, None),
    ("0.0+x kept", lambda x: 0.0 + x, None),
    ("x+(-0.0)", lambda x: x + (-0.0), []),
    ("(-0.0)+x", lambda x: (-0.0) + x, []),
    ("x-0.0", lambda x: x - 0.0, []),
    ("x-(-0.0) kept", lambda x: x - (-0.0), None),
    ("0.0-x kept", lambda x: 0.0 - x, None),
    ("x*1", lambda x: x * 1, []),
    ("1*x", lambda x: 1.0 * x, []),
    ("x/1", lambda x: x / 1, []),
    ("1/x kept", lambda x: 1 / x, None),
    ("x**1", lambda x: x ** 1, []),
    ("--x", lambda x: -(-x), []),
    ("---x", lambda x: -(-(-x)), ["negative"]),
    ("x**2", lambda x: x ** 2, ["multiply"]),
    ("x*0 kept", lambda x: x * 0, None),
    ("0*x kept", lambda x: 0.0 * x, None),
    ("exp(log(x)) kept", lambda x: np.exp(np.log(x)), None),
    ("log(exp(x)) kept", lambda x: np.log(np.exp(x)), None),
    ("x*1+(-0.0)", lambda x: (x * 1) + (-0.0), []),
    ("(x**2)*1", lambda x: (x ** 2) * 1, ["multiply"]),
]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name,f,after", FLOAT_RULES, ids=[r[0] for r in FLOAT_RULES])
def test_float_rules_keep_ieee_semantics(name, f, after, dtype):
    x = edges(dtype)
    before = trace(f, x)
    out = run(simplify, before)
    if after is None:
        assert live_op_names(out) == live_op_names(before), f"{name} must not be simplified:\n{out}"
    else:
        assert [n for n in live_op_names(out) if n != "constant"] == after, str(out)
    assert_equals_numpy(out, f, x)
    assert_equals_numpy(dce(out), f, x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_power_half_becomes_sqrt(dtype):
    x = edges(dtype)
    out = run(simplify, trace(lambda x: x ** 0.5, x))
    assert [n for n in live_op_names(out) if n != "constant"] == ["sqrt"]
    assert_equals_numpy(out, lambda x: x ** 0.5, x)        # -0.0 -> -0.0, -inf -> nan, as NumPy


def test_power_half_float16_is_not_sqrt():
    # The IR's ``power`` means ``np.power``, whose float16 loop has no sqrt fast path:
    # np.power(f16(-0.0), 0.5) is +0.0 and np.power(f16(-inf), 0.5) is inf, unlike np.sqrt.
    # (``f16_array ** 0.5`` in NumPy is sqrt through ndarray.__pow__'s own fast path; mirroring
    # that is the tracer's job, not a reason for the pass to change what ``power`` computes.)
    x = edges(np.float16)
    f = lambda x: np.power(x, np.float16(0.5))
    out = run(simplify, trace(f, x))
    assert "sqrt" not in live_op_names(out)
    assert_equals_numpy(out, f, x)


def test_add_zero_is_not_identity_on_negative_zero():
    # the reason x + 0.0 stays: NumPy gives +0.0 for -0.0 + 0.0
    x = np.array([-0.0], F32)
    out = run(simplify, trace(lambda x: x + 0.0, x))
    (got,) = results(out, x)
    assert got[0] == 0 and not np.signbit(got[0])


INT_RULES = [
    ("x+0", lambda x: x + 0, []),
    ("0+x", lambda x: 0 + x, []),
    ("x-0", lambda x: x - 0, []),
    ("x*1", lambda x: x * 1, []),
    ("x**1", lambda x: x ** 1, []),
    ("x**2", lambda x: x ** 2, ["multiply"]),
    ("--x", lambda x: -(-x), []),
    ("x*0", lambda x: x * 0, ["broadcast_to"]),
    ("0*x", lambda x: 0 * x, ["broadcast_to"]),
    ("x//1 kept", lambda x: x // 1, None),
    ("x/1 (cast, then divide by 1.0)", lambda x: x / 1, ["astype"]),
    ("x+0.0 float result kept", lambda x: x + 0.0, None),
]


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name,f,after", INT_RULES, ids=[r[0] for r in INT_RULES])
def test_integer_rules(name, f, after, dtype):
    info = np.iinfo(dtype)
    x = np.array([0, 1, 2, 7, info.max, info.min, info.max - 1], dtype=dtype)
    before = trace(f, x)
    out = run(simplify, before)
    if after is None:
        assert live_op_names(out) == live_op_names(before), str(out)
    else:
        assert [n for n in live_op_names(out) if n != "constant"] == after, str(out)
    assert_equals_numpy(out, f, x)


def test_integer_times_zero_scalar_and_bool():
    x = np.int16(7)
    out = run(simplify, trace(lambda x: x * 0, np.asarray(x)))
    assert live_op_names(out) == ["constant"]
    assert_equals_numpy(out, lambda x: x * 0, np.asarray(x))
    b = np.array([True, False])
    out = run(simplify, ir("""
        func @f(%b: bool[2]) -> bool[2] {
          %0 = constant {value = dense<false : bool[]>} : bool[]
          %1 = multiply %b, %0 : bool[2]
          return %1
        }"""))
    assert "multiply" not in live_op_names(out)
    assert_equals_numpy(out, lambda b: b * False, b)


def test_golden_identities_removed():
    before = ir("""
        func @f(%x: f32[4]) -> f32[4] {
          %0 = constant {value = dense<1.0 : f32[]>} : f32[]
          %1 = multiply %x, %0 : f32[4]
          %2 = constant {value = dense<-0.0 : f32[]>} : f32[]
          %3 = add %1, %2 : f32[4]
          %4 = negative %3 : f32[4]
          %5 = negative %4 : f32[4]
          %6 = constant {value = dense<2.0 : f32[]>} : f32[]
          %7 = power %5, %6 : f32[4]
          %8 = astype %7 {dtype = f32} : f32[4]
          return %8
        }""")
    out = dce(run(simplify, before))
    expect_text(out, """
        func @f(%x: f32[4]) -> f32[4] {
          %0 = multiply %x, %x : f32[4]
          return %0
        }""")
    x = edges(F32)[:4]
    assert_equals_numpy(out, lambda x: (-(-(x * F32(1) + F32(-0.0)))) ** F32(2), x)


def test_golden_add_zero_kept():
    text = """
        func @f(%x: f32[4]) -> f32[4] {
          %0 = constant {value = dense<0.0 : f32[]>} : f32[]
          %1 = add %x, %0 : f32[4]
          %2 = subtract %1, %0 : f32[4]
          return %2
        }"""
    out = dce(run(simplify, ir(text)))
    expect_text(out, """
        func @f(%x: f32[4]) -> f32[4] {
          %0 = constant {value = dense<0.0 : f32[]>} : f32[]
          %1 = add %x, %0 : f32[4]
          return %1
        }""")


def test_golden_splat_operands():
    # a scalar broadcast (splat) counts as the scalar
    out = dce(run(simplify, ir("""
        func @f(%x: f64[2,3]) -> f64[2,3] {
          %0 = constant {value = dense<1.0 : f64[]>} : f64[]
          %1 = broadcast_to %0 {shape = [2, 3]} : f64[2,3]
          %2 = multiply %1, %x : f64[2,3]
          %3 = constant {value = dense<0.5 : f64[]>} : f64[]
          %4 = broadcast_to %3 {shape = [2, 3]} : f64[2,3]
          %5 = power %2, %4 : f64[2,3]
          return %5
        }""")))
    expect_text(out, """
        func @f(%x: f64[2,3]) -> f64[2,3] {
          %0 = sqrt %x : f64[2,3]
          return %0
        }""")


def test_identity_not_applied_when_it_changes_the_shape():
    # x[1] * ones[3]: replacing the product by x would change its shape
    fn = ir("""
        func @f(%x: f32[1]) -> f32[3] {
          %0 = constant {value = dense<1.0 : f32[]>} : f32[]
          %1 = broadcast_to %0 {shape = [3]} : f32[3]
          %2 = multiply %x, %1 : f32[3]
          return %2
        }""")
    out = run(simplify, fn)
    assert "multiply" in live_op_names(out)
    assert_equals_numpy(out, lambda x: x * np.ones(3, F32), np.array([-0.0], F32))


def test_same_dtype_cast_removed_other_casts_kept():
    fn = ir("""
        func @f(%x: f32[3]) -> (f32[3], f64[3]) {
          %0 = astype %x {dtype = f32} : f32[3]
          %1 = astype %x {dtype = f64} : f64[3]
          %2 = astype %1 {dtype = f64} : f64[3]
          return %0, %2
        }""")
    out = dce(run(simplify, fn))
    expect_text(out, """
        func @f(%x: f32[3]) -> (f32[3], f64[3]) {
          %0 = astype %x {dtype = f64} : f64[3]
          return %x, %0
        }""")
    x = edges(F32)[:3]
    assert_equals_numpy(out, lambda x: (x, x.astype(np.float64)), x)


def test_reshape_chain_collapsed():
    x = np.arange(24, dtype=F32)
    f = lambda x: x.reshape(2, 12).reshape(4, 6).reshape(3, 8)
    out = dce(run(simplify, trace(f, x)))
    expect_text(out, """
        func @lambda(%x: f32[24]) -> f32[3,8] {
          %0 = reshape %x {shape = [3, 8]} : f32[3,8]
          return %0
        }""")
    assert_equals_numpy(out, f, x)


def test_reshape_round_trip_removed():
    x = np.arange(24, dtype=F32).reshape(4, 6)
    f = lambda x: x.reshape(24).reshape(4, 6) + 1
    out = dce(run(simplify, trace(f, x)))
    assert "reshape" not in live_op_names(out)
    assert_equals_numpy(out, f, x)


def test_transpose_chains():
    x = np.arange(24, dtype=F32).reshape(2, 3, 4)
    f = lambda x: np.transpose(np.transpose(x, (1, 2, 0)), (2, 0, 1))      # identity
    out = dce(run(simplify, trace(f, x)))
    assert live_op_names(out) == []
    assert_equals_numpy(out, f, x)
    g = lambda x: np.transpose(np.transpose(x, (1, 0, 2)), (0, 2, 1))
    out = dce(run(simplify, trace(g, x)))
    expect_text(out, """
        func @lambda(%x: f32[2,3,4]) -> f32[3,4,2] {
          %0 = transpose %x {perm = [1, 2, 0]} : f32[3,4,2]
          return %0
        }""")
    assert_equals_numpy(out, g, x)
    h = lambda x: x.T.T.T
    out = dce(run(simplify, trace(h, x)))
    assert live_op_names(out) == ["transpose"]
    assert_equals_numpy(out, h, x)


def test_broadcast_chain_collapsed():
    x = np.arange(4, dtype=F32)
    f = lambda x: np.broadcast_to(np.broadcast_to(x, (3, 4)), (2, 3, 4))
    out = dce(run(simplify, trace(f, x)))
    expect_text(out, """
        func @lambda(%x: f32[4]) -> f32[2,3,4] {
          %0 = broadcast_to %x {shape = [2, 3, 4]} : f32[2,3,4]
          return %0
        }""")
    assert_equals_numpy(out, f, x)


def test_identity_views_removed():
    fn = ir("""
        func @f(%x: f32[2,3]) -> f32[2,3] {
          %0 = reshape %x {shape = [2, 3]} : f32[2,3]
          %1 = broadcast_to %0 {shape = [2, 3]} : f32[2,3]
          %2 = transpose %1 {perm = [0, 1]} : f32[2,3]
          return %2
        }""")
    out = dce(run(simplify, fn))
    assert live_op_names(out) == []
    assert out.results == out.params


def test_fixpoint_and_idempotent():
    x = edges(F32)
    f = lambda x: -(-(-(-(x * 1)))) / 1 - 0.0
    once = run(simplify, trace(f, x))
    assert live_op_names(once) == []
    assert str(run(simplify, once)) == str(once)
    assert_equals_numpy(once, f, x)


def test_regions_simplified():
    fn = ir("""
        func @f(%x: f32[4]) -> f32[4] {
          %0 = fused %x : f32[4] {
            func @kernel0(%in0: f32[4]) -> f32[4] {
              %0 = constant {value = dense<1.0 : f32[]>} : f32[]
              %1 = multiply %in0, %0 : f32[4]
              %2 = negative %1 : f32[4]
              %3 = negative %2 : f32[4]
              %4 = tanh %3 : f32[4]
              return %4
            }
          }
          return %0
        }""")
    out = run(simplify, fn)
    inner = [op.name for op in dce(out.ops[0].regions[0]).ops]
    assert inner == ["tanh"]
    assert_equals_numpy(out, np.tanh, edges(F32)[:4])


@pytest.mark.parametrize("view", [lambda z: z.T, lambda z: z.reshape(2, 1), lambda z: z.T[:, :1]],
                         ids=["transpose", "reshape", "slice"])
def test_view_of_a_splat_is_a_splat(view):
    """``x @ (x * 0).T``: simplify makes ``x * 0`` a splat; its view must be a splat too, or
    fusion clones the splat and the view into the matmul kernel, which cannot read a view of a
    computed value (found by the pass-order property test)."""
    x = np.array([[4, 2]], dtype=np.int32)
    f = lambda x: x @ view(x * 0)     # noqa: E731
    out = run_pipeline(trace(f, x), passes=["simplify"])
    for op in out.ops:
        if op.name == "fused":
            analyze(op.regions[0])
    assert not any(o.name in ("transpose", "slice") for o in out.walk())
    np.testing.assert_array_equal(xl.jit(f)(x), f(x))
