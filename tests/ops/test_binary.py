"""Every binary elementwise op of the registry (``xlaish.ir.groups.BINARY``: a new row is tested
here with no edit) against NumPy: dtypes (same and mixed), broadcasting, memory layouts, and
Python scalar operands on either side."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from tests.helpers import (
    BROADCAST_PAIRS,
    DTYPE_GROUPS,
    assert_matches_numpy,
    eps,
    layout_batches,
    make_input,
    numpy_result,
)
from tests.ops.registry import BINARY, oracle, user_fn
from xlaish.ir.ops import elementwise as ew

# the Python operator each op is reached through (the jitted code uses it, as users do)
OPERATORS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "floor_divide": "//",
             "remainder": "%", "power": "**", "equal": "==", "not_equal": "!=", "less": "<",
             "less_equal": "<=", "greater": ">", "greater_equal": ">=", "bitwise_and": "&",
             "bitwise_or": "|", "bitwise_xor": "^", "left_shift": "<<", "right_shift": ">>"}

# Some sampled mixed-dtype pairs (every pair's result *dtype* is checked in test_result_dtypes.py)
MIXED_PAIRS = [(np.int8, np.uint8), (np.int32, np.float32), (np.bool_, np.float16),
               (np.uint64, np.int64), (np.float16, np.float64), (np.uint16, np.int8),
               (np.int64, np.float32), (np.uint32, np.bool_)]


def np_fn(name):
    """The oracle of op ``name`` (NumPy's ufunc)."""
    return oracle(name)


def traced_fn(name, via_operator=False):
    if via_operator and name in OPERATORS:
        return eval(f"lambda x, y: x {OPERATORS[name]} y")
    f = user_fn(name)
    return lambda x, y: f(x, y)


def safe_operands(name, x, y):
    """Adjust operands so integer ops stay defined (NumPy's C loops would hit undefined behaviour):

    * division/remainder by zero of integers: divisor 0 -> 1;
    * INT_MIN // -1 and INT_MIN % -1 overflow: dividend INT_MIN -> INT_MIN + 1 where divisor is -1;
    * power: integers to negative powers are an error in NumPy: exponents |y| % 6 (also keeps the
      wrapped results small enough to read);
    * shifts by a negative count or by >= the bit width: count taken modulo the bit width.
    Floats keep every value (division by zero, inf and NaN are IEEE-defined).
    """
    x, y = np.array(x), np.array(y)
    int_y = y.dtype.kind in "iub"
    if name in ("divide", "floor_divide", "remainder") and y.dtype.kind in "iub" and x.dtype.kind in "iub":
        y = np.where(y == 0, np.ones((), y.dtype), y).astype(y.dtype)
        if x.dtype.kind == "i" and y.dtype.kind == "i":
            x_min = np.iinfo(x.dtype).min
            x = np.where((x == x_min) & (y == -1), x_min + 1, x).astype(x.dtype)
    if name == "power" and int_y and x.dtype.kind in "iub":
        if y.dtype.kind == "b":
            pass
        else:
            y = (np.abs(y.astype(np.int64)) % 6).astype(y.dtype)
    if name in ("left_shift", "right_shift") and int_y and y.dtype.kind != "b":
        res = np.result_type(x.dtype, y.dtype)
        bits = 8 * (res.itemsize if res.kind in "iu" else 8)
        y = (np.abs(y.astype(np.int64)) % bits).astype(y.dtype)
    return x, y


def _accepted(name, pairs, fn=None):
    """Split operand pairs into those NumPy accepts (with NumPy's results) and those it rejects;
    for the rejected ones, check that xlaish refuses them while tracing."""
    f = fn or np_fn(name)
    ok, expected = [], []
    for x, y in pairs:
        x, y = safe_operands(name, x, y)
        e, err = numpy_result(f, x, y)
        if err is not None:
            with pytest.raises((TypeError, ValueError, xl.UnsupportedError)):
                xl.make_ir(lambda x, y: f(x, y))(x, y)
            continue
        ok.append((x, y))
        expected.append(e)
    return ok, expected


@pytest.mark.parametrize("group", DTYPE_GROUPS)
@pytest.mark.parametrize("name", BINARY)
def test_binary_dtypes(jit, rng, name, group):
    """Same-dtype operands (one program per dtype group, through the Python operator where there
    is one) with edge values on both sides (dtype min/max, 0, +-1, inf, NaN, ...), in every
    memory layout and with a zero-stride (broadcast_to) operand."""
    pairs = [(make_input(rng, (6, 16), dt), make_input(rng, (6, 16), dt)) for dt in DTYPE_GROUPS[group]]
    ok, expected = _accepted(name, pairs)
    if not ok:
        return
    f = traced_fn(name, via_operator=True)
    jf = jit(lambda xs, ys: [f(x, y) for x, y in zip(xs, ys)])
    xs, ys = [p[0] for p in ok], [p[1] for p in ok]
    for (kx, xb), (ky, yb) in zip(layout_batches(xs), reversed(list(layout_batches(ys)))):
        for g, e, x, y in zip(jf(xb, yb), expected, xs, ys):
            assert_matches_numpy(g, e, err_msg=f"np.{name}({x.dtype}, {y.dtype}) on {kx}/{ky} inputs")
    yb = [np.broadcast_to(y[:1], y.shape) for y in ys]
    for g, x, y in zip(jf(xs, yb), xs, yb):
        with np.errstate(all="ignore"):
            e = np_fn(name)(x, y)
        assert_matches_numpy(g, e, err_msg=f"np.{name}({x.dtype}, broadcast_to {y.dtype})")


@pytest.mark.parametrize("name", BINARY)
def test_binary_mixed_dtypes(jit, rng, name):
    """Sampled mixed-dtype pairs, both orders, in one program per op."""
    pairs = []
    for d1, d2 in MIXED_PAIRS:
        x, y = make_input(rng, (40,), d1), make_input(rng, (40,), d2)
        pairs += [(x, y), (y, x)]
    ok, expected = _accepted(name, pairs)
    f = user_fn(name)
    got = jit(lambda xs, ys: [f(x, y) for x, y in zip(xs, ys)])([p[0] for p in ok], [p[1] for p in ok])
    for g, e, (x, y) in zip(got, expected, ok):
        assert_matches_numpy(g, e, err_msg=f"np.{name}({x.dtype}, {y.dtype})")


def _takes(name, dtype):
    """Has NumPy a loop for op ``name`` on two ``dtype`` operands?"""
    try:
        ew.loop_dtypes(name, (np.dtype(dtype),) * 2)
        return True
    except xl.UnsupportedError:
        return False


@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcasting(jit, rng, name):
    """0-d, empty and broadcasting shape pairs; one jitted program per op."""
    dtype = np.float32 if _takes(name, np.float32) else np.int32      # gcd, ldexp, bitwise_and: ints
    xs = [make_input(rng, sx, dtype) for sx, _ in BROADCAST_PAIRS]
    ys = [make_input(rng, sy, dtype) for _, sy in BROADCAST_PAIRS]
    xs, ys = zip(*(safe_operands(name, x, y) for x, y in zip(xs, ys)))
    f = user_fn(name)
    got = jit(lambda xs, ys: [f(x, y) for x, y in zip(xs, ys)])(list(xs), list(ys))
    for g, x, y in zip(got, xs, ys):
        with np.errstate(all="ignore"):
            expected = np_fn(name)(x, y)
        assert_matches_numpy(g, expected, err_msg=f"np.{name} shapes {x.shape} and {y.shape}")


SCALARS = [3, -2, 1.5, True]  # int, negative int (an error with unsigned arrays), float, bool


def _with_scalar(f, s, side):
    """``x -> f(x, s)`` or ``x -> f(s, x)``: the scalar is a constant of the function."""
    if side == "left":
        return lambda x: f(x, s)
    return lambda x: f(s, x)


@pytest.mark.parametrize("group", DTYPE_GROUPS)
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "power", "maximum",
                                  "less", "equal", "bitwise_and", "arctan2", "floor_divide"])
def test_binary_python_scalars(jit, rng, name, group):
    """Python scalars written in the function (weak typing): ``f32_array * 1.5`` stays float32,
    ``int8_array + 2`` stays int8; scalar on either side. NumPy decides; where NumPy rejects a
    combination (a negative int with an unsigned array, ``-`` of bools, int ** negative int)
    xlaish must reject it while tracing. One program per dtype group holds every accepted case."""
    f = np_fn(name)
    cases, expected = [], []
    for dt in DTYPE_GROUPS[group]:
        x = make_input(rng, (16,), dt)
        if name == "power" and np.dtype(dt).kind in "iu":
            x = (np.abs(x.astype(np.int64)) % 4).astype(dt)  # integer exponents must be >= 0
        for s in SCALARS:
            if name in ("floor_divide", "divide") and s == 0 and np.dtype(dt).kind in "iub":
                continue  # integer division by zero is undefined
            for side in ("left", "right"):
                fn = _with_scalar(f, s, side)
                e, err = numpy_result(fn, x)
                if err is not None:
                    with pytest.raises((TypeError, ValueError, OverflowError, xl.UnsupportedError)):
                        xl.make_ir(fn)(x)
                    continue
                cases.append((fn, x, f"np.{name} {side} scalar {s!r} with {x.dtype}"))
                expected.append(e)
    got = jit(lambda xs: [fn(x) for (fn, _, _), x in zip(cases, xs)])([c[1] for c in cases])
    for g, e, (_, _, what) in zip(got, expected, cases):
        assert_matches_numpy(g, e, err_msg=what)


@pytest.mark.parametrize("name", ["add", "multiply", "subtract", "divide", "maximum", "less"])
def test_binary_python_scalar_arguments(jit, rng, name):
    """Python scalars passed as (dynamic) arguments are weak too."""
    f = np_fn(name)
    jf = jit(lambda xs, s: [f(x, s) for x in xs])
    xs = [make_input(rng, (8,), dt) for dt in (np.float16, np.float32, np.int8, np.uint16)]
    for s in (3, 1.5):
        for g, x in zip(jf(xs, s), xs):
            with np.errstate(all="ignore"):
                expected = f(x, s)
            assert_matches_numpy(g, expected, err_msg=f"np.{name}({x.dtype} array, {s!r})")


def test_out_of_range_python_int_is_an_error(jit):
    """NumPy 2 raises OverflowError for ``int8_array + 300``; so does xlaish, at trace time."""
    x = np.ones(3, np.int8)
    with pytest.raises(OverflowError):
        x + 300
    with pytest.raises(OverflowError, match="300"):
        jit(lambda x: x + 300)(x)


def test_comparison_with_out_of_range_python_int(jit):
    """NumPy 2 compares integer arrays with out-of-range Python ints exactly."""
    x = np.array([-128, 0, 127], np.int8)
    u = np.array([0, 7, 2**64 - 1], np.uint64)
    for fn, a in [(lambda x: x < 300, x), (lambda x: x > -1000, x), (lambda x: x == 1000, x),
                  (lambda x: x < -1, u), (lambda x: x >= -5, u)]:
        assert_matches_numpy(jit(fn)(a), fn(a))


def test_float_edge_semantics(jit):
    """Signed zeros, NaN propagation of maximum vs fmax, remainder's sign, floor_divide of floats."""
    v = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 5.5, -5.5, 1e-300], np.float64)
    x, y = np.meshgrid(v, v)
    for name in ["maximum", "minimum", "fmax", "fmin", "remainder", "floor_divide", "copysign",
                 "arctan2", "power", "logaddexp", "hypot", "divide"]:
        f = np_fn(name)
        with np.errstate(all="ignore"):
            expected = f(x, y)
        got = jit(lambda x, y: f(x, y))(x, y)
        assert_matches_numpy(got, expected, err_msg=name)
        if name in ("copysign", "remainder"):
            # signs of zero results are part of these ops' results (not of maximum/minimum:
            # which zero max(-0.0, 0.0) gives is unspecified, and differs inside NumPy itself)
            z = (expected == 0)
            assert np.array_equal(np.signbit(got[z]), np.signbit(expected[z])), name


def test_float32_precision_ops(jit, rng):
    """logaddexp, hypot and power on float32 values spread over many magnitudes."""
    x = (rng.standard_normal(200) * 10.0 ** rng.integers(-3, 4, 200)).astype(np.float32)
    y = (rng.standard_normal(200) * 10.0 ** rng.integers(-3, 4, 200)).astype(np.float32)
    for name in ["logaddexp", "hypot", "arctan2"]:
        f = np_fn(name)
        assert_matches_numpy(jit(lambda x, y: f(x, y))(x, y), f(x, y), err_msg=name)
    base = np.abs(x) + np.float32(0.5)
    expo = np.clip(y, -8, 8).astype(np.float32)
    with np.errstate(all="ignore"):
        expected = np.power(base, expo)
    assert_matches_numpy(jit(lambda x, y: x ** y)(base, expo), expected, rtol=4 * eps(np.float32))


def test_divmod_and_inplace_operators(jit, rng):
    """``divmod`` gives (floor_divide, remainder); in-place operators on traced values build new
    values with NumPy's casting (``int8 += 1`` stays int8; ``int8 /= 2`` is an error)."""
    x = make_input(rng, (4, 5), np.float32, edges=False)
    i = make_input(rng, (4, 5), np.int8)
    i = np.where(i == 0, np.int8(1), i).astype(np.int8)  # integer division by zero is undefined

    def inplace(a, b):
        a = a.copy()
        a += b
        a *= 3
        a -= b
        a //= 2
        return a

    fns = [lambda x, i: divmod(x, 1.5), lambda x, i: divmod(i, 7), lambda x, i: divmod(i, i[0]),
           lambda x, i: inplace(x, x), lambda x, i: inplace(i, i), lambda x, i: inplace(x, i)]
    got = jit(lambda x, i: [f(x, i) for f in fns])(x, i)
    for k, (g, f) in enumerate(zip(got, fns)):
        with np.errstate(all="ignore"):
            e = f(x, i)
        if isinstance(e, tuple):
            for gg, ee in zip(g, e):
                assert_matches_numpy(gg, ee, err_msg=f"function #{k}")
        else:
            assert_matches_numpy(g, e, err_msg=f"function #{k}")

    def bad(a):
        a = a.copy()
        a /= 2
        return a
    with pytest.raises(TypeError):
        bad(i)
    with pytest.raises(TypeError):
        xl.make_ir(bad)(i)


def test_float16_chains_round_after_every_op(jit, rng):
    """NumPy rounds each float16 operation's result to float16 (computing in float32): a fused
    chain must too, so arithmetic chains match NumPy exactly, and a value minus its own mean
    over one element is exactly 0."""
    x, y, z = (make_input(rng, (257,), np.float16, edges=False) for _ in range(3))

    def chain(x, y, z):
        return ((x * y + z) / (y - 0.5)) * x - z * z

    assert_matches_numpy(jit(chain)(x, y, z), chain(x, y, z), rtol=0.0, atol=0.0)
    b = np.array([True])

    def centred(b):
        c = np.cosh(b)                 # float16 (from bool)
        return c - np.mean(c), np.exp2(c).astype(np.float64)

    for g, e in zip(jit(centred)(b), centred(b)):
        assert_matches_numpy(g, e, rtol=0.0, atol=0.0)
