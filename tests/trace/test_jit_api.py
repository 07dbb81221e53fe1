"""The jit API: static arguments, Python scalar (weak) arguments, disable_jit, the
per-signature cache, nested jit, lower()/make_ir, and tracing speed."""
from __future__ import annotations

import math
import time

import numpy as np
import pytest

import xlaish as xl
import xlaish.numpy as xnp
from tests.helpers import assert_matches_numpy, assert_same_result, make_input


class Counter:
    """Wraps a function and counts how often Python runs it (= how often jit traces it)."""

    def __init__(self, fn):
        self.fn = fn
        self.calls = 0
        self.__name__ = getattr(fn, "__name__", "counted")
        import inspect
        self.__signature__ = inspect.signature(fn)

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


# ------------------------------------------------------------------------ static args
def test_static_argnums(jit, rng):
    x = make_input(rng, (3, 4), np.float32, edges=False)

    def f(x, axis, power):
        return np.sum(x ** power, axis=axis)

    c = Counter(f)
    jf = jit(c, static_argnums=(1, 2))
    for axis, power in [(0, 2), (1, 2), (0, 2), (None, 3), (1, 2)]:
        assert_matches_numpy(jf(x, axis, power), f(x, axis, power), rtol=1e-5)
    assert c.calls == 3  # one trace per distinct static value


def test_static_argnames(jit, rng):
    x = make_input(rng, (3, 4), np.float64, edges=False)

    def f(x, *, mode="sum", keepdims=False):
        r = np.sum(x, axis=0, keepdims=keepdims) if mode == "sum" else np.max(x, axis=0, keepdims=keepdims)
        return r

    c = Counter(f)
    jf = jit(c, static_argnames=("mode", "keepdims"))
    for kw in [{}, {"mode": "max"}, {"mode": "sum", "keepdims": True}, {}, {"mode": "max"}]:
        assert_matches_numpy(jf(x, **kw), f(x, **kw))
    assert c.calls == 3


def test_static_arg_allows_python_control_flow(jit, rng):
    x = make_input(rng, (5,), np.float32, edges=False)

    def f(x, n, flag):
        for _ in range(n):
            x = x * 2 if flag else x - 1
        return x

    jf = jit(f, static_argnums=(1,), static_argnames="flag")
    for n, flag in [(3, True), (2, False)]:
        assert_matches_numpy(jf(x, n, flag=flag), f(x, n, flag))


def test_static_shape_tuple_argument(jit, rng):
    x = make_input(rng, (2, 6), np.float32)
    jf = jit(lambda x, shape: x.reshape(shape), static_argnums=1)
    for shape in [(3, 4), (12,), (4, -1)]:
        assert_matches_numpy(jf(x, shape), x.reshape(shape))


def test_static_argument_must_be_hashable(jit):
    with pytest.raises(TypeError, match="hashable"):
        jit(lambda x, s: x, static_argnums=1)(np.ones(2), [1, 2])


def test_static_argnums_out_of_range():
    with pytest.raises(ValueError, match="static_argnums"):
        xl.jit(lambda x: x, static_argnums=3)


# -------------------------------------------------------------- Python scalar arguments
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.int8, np.uint8, np.int32, np.bool_])
def test_python_scalar_arguments_are_weak(jit, rng, dtype):
    """``f(x, 1.5)`` with a float32 x gives float32, as ``x * 1.5`` does in NumPy."""
    x = make_input(rng, (4,), dtype, edges=False, low=0, high=10)
    fns = [lambda x, s: x * s, lambda x, s: s + x, lambda x, s: np.maximum(x, s),
           lambda x, s: np.where(x > 1, s, x), lambda x, s: x / s]
    for s in (2, 1.5):
        for i, fn in enumerate(fns):
            expected, got = None, None
            with np.errstate(all="ignore"):
                try:
                    expected = fn(x, s)
                except TypeError:
                    with pytest.raises((TypeError, xl.UnsupportedError)):
                        jit(fn)(x, s)
                    continue
            got = jit(fn)(x, s)
            assert_matches_numpy(got, expected, err_msg=f"function #{i} with {s!r}")


def test_python_scalar_only_function(jit):
    """All-scalar programs take NumPy's default dtypes (int64, float64)."""
    for fn, args in [(lambda a, b: a * b + 1, (3, 4)), (lambda a, b: a / b, (3, 4)),
                     (lambda a, b: a * b, (2.5, 2)), (lambda a: np.sqrt(a), (2,)), (lambda a: a, (2.5,)),
                     (lambda a, b: a > b, (1, 2.0))]:
        got = jit(fn)(*args)
        expected = fn(*args)
        assert_matches_numpy(got, np.asarray(expected))


def test_weak_scalar_signature_is_separate_from_numpy_scalar(jit):
    c = Counter(lambda x, s: x * s)
    jf = jit(c)
    x = np.ones(3, np.float32)
    assert jf(x, 2.0).dtype == np.float32          # weak: stays float32
    assert jf(x, np.float64(2.0)).dtype == np.float64  # strong NumPy scalar: float64
    assert jf(x, 3.0).dtype == np.float32          # cache hit on the weak signature
    assert c.calls == 2


# --------------------------------------------------------------------------- disable_jit
def test_disable_jit_runs_python(rng):
    x = make_input(rng, (4,), np.float32, edges=False)
    seen = []

    @xl.jit
    def f(x):
        seen.append(type(x))
        if x.sum() > -1e9:           # Python control flow on values: fine without jit
            return x * 2
        return x

    with xl.disable_jit():
        r1 = f(x)
        r2 = f(x)
    assert seen == [np.ndarray, np.ndarray]
    assert_matches_numpy(r1, x * 2)
    assert_matches_numpy(r2, x * 2)
    assert_matches_numpy(f(x), x * 2)    # outside the block it traces again (the `if` becomes a cond)
    assert seen[-1] is not np.ndarray


def test_disable_jit_nests_and_restores():
    calls = Counter(lambda x: x + 1)
    f = xl.jit(calls)
    x = np.ones(2)
    with xl.disable_jit():
        with xl.disable_jit():
            f(x)
        f(x)
    assert calls.calls == 2
    f(x)
    f(x)
    assert calls.calls == 3  # traced once, then cached


# ----------------------------------------------------------------------------- the cache
def test_same_signature_does_not_retrace(jit, rng):
    c = Counter(lambda x, y: np.exp(x) + y)
    jf = jit(c)
    x, y = make_input(rng, (3, 4), np.float32, edges=False), make_input(rng, (4,), np.float32, edges=False)
    for _ in range(3):
        jf(x, y)
    assert c.calls == 1
    jf(np.asfortranarray(x), y[::-1])       # other layout, same shape and dtype
    jf(x.copy(), y.copy())                  # other buffers
    assert c.calls == 1
    jf(x[:2], y)                            # new shape
    assert c.calls == 2
    jf(x.astype(np.float64), y)             # new dtype
    assert c.calls == 3
    jf(x, y=y)                              # keyword: same signature
    assert c.calls == 3
    jf(x[:2], y)
    jf(x.astype(np.float64), y)
    assert c.calls == 3


@pytest.mark.parametrize("shape", [(), (0,), (5,), (3, 4)])
def test_repeated_calls_match_numpy_on_every_layout(jit, rng, shape):
    """The second and later calls of a signature take the fast path (keyed on dtypes and
    shapes only): contiguous, Fortran-order, strided and 0-d inputs must all still agree."""
    def f(*xs):            # a lone *args, as the xlaish.numpy functions themselves
        return np.exp(xs[0]) + xs[1] * xs[1]

    jf = jit(f)
    x = make_input(rng, shape + (2,), np.float32, edges=False)
    y = make_input(rng, shape + (2,), np.float32, edges=False)
    inputs = [(x[..., 0], y[..., 0]), (x[..., 0].copy(), y[..., 0].copy())]
    if len(shape) == 2:
        inputs.append((np.asfortranarray(x[..., 0]), y[..., 1]))
    for _ in range(2):
        for a, b in inputs:
            assert_same_result(jf(a, b), f(a, b))
    assert_same_result(xl.jit(xnp.exp)(x), np.exp(x))


def test_each_jit_object_has_its_own_cache(jit):
    c = Counter(lambda x: x * 2)
    f1, f2 = jit(c), jit(c)
    f1(np.ones(2))
    f2(np.ones(2))
    assert c.calls == 2


def test_lower_exposes_stages(rng):
    x = make_input(rng, (8,), np.float32, edges=False)
    jf = xl.jit(lambda x: np.tanh(x) * 2 + 1)
    low = jf.lower(x)
    assert "tanh" in low.as_text("traced")
    assert isinstance(low.as_text("optimized"), str)
    assert low.traced.function == xl.make_ir(lambda x: np.tanh(x) * 2 + 1)(x)
    assert jf.lower(x) is low           # cached
    assert_matches_numpy(jf(x), np.tanh(x) * 2 + 1)


def test_shape_dtype_arguments_for_lower():
    f = xl.make_ir(lambda x, y: x @ y)
    fn = f(xl.ShapeDtype((3, 4), np.float32), xl.ShapeDtype((4,), "float32"))
    (t,) = fn.result_types
    assert (t.shape, t.dtype) == ((3,), np.dtype(np.float32))


def test_nested_jit_is_inlined(jit, rng):
    inner = xl.jit(lambda x: np.sin(x) * 2)
    outer = jit(lambda x: inner(x) + inner(x * 2))
    x = make_input(rng, (5,), np.float64)
    with np.errstate(all="ignore"):
        expected = (np.sin(x) * 2) + (np.sin(x * 2) * 2)
    assert_matches_numpy(outer(x), expected)
    fn = xl.make_ir(lambda x: inner(x) + 1)(x)
    assert [op.name for op in fn.ops].count("sin") == 1


def test_jit_as_decorator_with_options(rng):
    @xl.jit(static_argnums=1)
    def f(x, n):
        return x * n

    x = make_input(rng, (3,), np.float32)
    assert_matches_numpy(f(x, 3), x * 3)
    assert f.__name__ == "f"


def test_closures_over_numpy_constants(jit, rng):
    w = make_input(rng, (4, 3), np.float64, edges=False)
    b = make_input(rng, (3,), np.float64, edges=False)
    x = make_input(rng, (2, 4), np.float64, edges=False)
    f = lambda x: np.tanh(x @ w + b)  # noqa: E731
    assert_matches_numpy(jit(f)(x), f(x), rtol=1e-12, atol=1e-12)


def test_xlaish_numpy_works_outside_jit(rng):
    """xlaish.numpy functions run NumPy eagerly outside a trace."""
    x = make_input(rng, (3, 4), np.float32, edges=False)
    for name, args in [("exp", (x,)), ("sum", (x,)), ("reshape", (x, (4, 3))), ("where", (x > 0, x, 0)),
                       ("matmul", (x, x.T)), ("mean", (x,)), ("transpose", (x,)), ("concatenate", ([x, x],))]:
        assert_same_result(getattr(xnp, name)(*args), getattr(np, name)(*args), rtol=1e-6)
    assert_same_result(xl.special.erf(np.float64(0.5)), np.float64(math.erf(0.5)))


# ------------------------------------------------------------------------ tracing speed
def test_tracing_100_ops_is_fast():
    """A generous sanity bound (not a benchmark): tracing 100+ ops takes well under 0.5 s."""
    def f(x, y):
        for i in range(25):
            x = np.tanh(x * y + i) - np.sqrt(np.abs(y))
        return x

    a = np.ones((64, 64), np.float32)
    xl.make_ir(f, autograph=False)(a, a)  # warm caches (imports, dtype resolution)
    t0 = time.perf_counter()
    fn = xl.make_ir(f, autograph=False)(a, a)    # unrolled (autograph would make the loop one op)
    elapsed = time.perf_counter() - t0
    assert len(fn.ops) >= 100
    assert elapsed < 0.5, f"tracing {len(fn.ops)} ops took {elapsed:.3f} s"


def test_static_values_equal_but_of_other_types_trace_separately(jit):
    x = np.arange(3, dtype=np.int32)
    g = jit(lambda x, n: x * n, static_argnums=1)
    assert_matches_numpy(g(x, 3), x * 3)
    assert_matches_numpy(g(x, 3.0), x * 3.0)            # float64, not the int32 of n=3
    h = jit(lambda x, flag: x * 2 if flag is True else x - 1, static_argnums=1)
    assert_matches_numpy(h(x, True), x * 2)
    assert_matches_numpy(h(x, 1), x - 1)
    t = jit(lambda x, s: x * s[0], static_argnums=1)
    assert_matches_numpy(t(x, (2,)), x * 2)
    assert_matches_numpy(t(x, (2.0,)), x * 2.0)


def test_static_argnames_must_name_parameters():
    with pytest.raises(ValueError, match="not parameters"):
        xl.jit(lambda x, n: x, static_argnames=("m",))


@pytest.mark.parametrize("dtype,value", [(np.int8, 300), (np.int8, -129), (np.uint8, -1),
                                         (np.uint16, 70000), (np.int32, 2 ** 31)])
def test_python_int_argument_out_of_range_for_the_array_dtype(jit, dtype, value):
    """NumPy 2 raises OverflowError for ``int8_array * 300``: a Python int *argument* used
    that way must too (it used to wrap silently), on every call, fast path included."""
    x = np.arange(3, dtype=dtype)
    f = jit(lambda x, k: x * k)
    assert_matches_numpy(f(x, 1), x * 1)
    for _ in range(2):
        with pytest.raises(OverflowError, match="out of bounds"):
            f(x, value)
        with pytest.raises(OverflowError):
            x * value
    assert_matches_numpy(f(x, 2), x * 2)


def test_long_unrolled_chain_compiles(jit):
    """A Python loop unrolled while tracing into 1,200 ops: no RecursionError in code
    generation (values are evaluated bottom-up past a depth) and fusion stays near-linear
    (this took ~25 s for 2,000 ops before, and failed past ~300)."""
    def chain(x):
        for _ in range(600):
            x = x * 1.001 + 0.001
        return x
    x = np.linspace(-1, 1, 1000).astype(np.float32)
    t0 = time.perf_counter()
    got = jit(chain)(x)
    assert time.perf_counter() - t0 < 60
    assert_matches_numpy(got, chain(x), rtol=1e-4)


def test_bad_shape_dtype_and_axis_arguments_are_clear_errors():
    for shape in [(3.5,), (True,)]:
        with pytest.raises(TypeError, match="must hold integers"):
            xl.ShapeDtype(shape, "float32")
    with pytest.raises(ValueError, match="negative dimensions"):
        xl.ShapeDtype((-3,), "float32")
    with pytest.raises(TypeError, match="cannot be interpreted as an integer"):
        xl.jit(lambda x: np.sum(x, axis=0.0))(np.ones(3))

    class Model:
        @xl.jit
        def forward(self, x):
            return x * 2
    with pytest.raises(xl.errors.UnsupportedError, match="make `self` static"):
        Model().forward(np.ones(2))


def test_python_int_argument_must_fit_every_dtype_it_meets(jit):
    """One Python int multiplying an int8 and a uint8 array: it must fit both ranges."""
    a, b = np.ones(2, np.int8), np.ones(2, np.uint8)
    f = jit(lambda a, b, k: (a * k, b * k))
    for g, e in zip(f(a, b, 5), (a * 5, b * 5)):
        assert_matches_numpy(g, e)
    for k in (200, -1):
        with pytest.raises(OverflowError, match="out of bounds for int8 and uint8"):
            f(a, b, k)
