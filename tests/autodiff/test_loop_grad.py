"""Reverse mode through fori_loop / while_loop as loops (xlaish.autodiff.loops): checkpointed
carries, a backward loop; checked against central differences and JAX."""
import numpy as np
import pytest

import xlaish as xl
import xlaish.numpy as xnp
from xlaish.autodiff import loops
from xlaish.test_util import check_grads

FLOATS = [np.float32, np.float64]
RTOL = {np.float32: 2e-4, np.float64: 1e-9}


@pytest.fixture
def jax():
    """jax with float64 enabled for this test only."""
    jax = pytest.importorskip("jax")
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", prev)


@pytest.fixture
def no_unroll(monkeypatch):
    monkeypatch.setattr(loops, "UNROLL_MAX_OPS", 0)


def _ir_ops(fn):
    """Ops in the IR, nested ones included; constants left out (equal values share one)."""
    return sum(1 for op in fn.walk() if op.name != "constant")


def _fd(f, x, eps=1e-6):
    """Central difference of a scalar NumPy function of a scalar."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def _decay(np_):
    """A scalar recurrence written against a NumPy-like module (NumPy, xlaish.numpy, jax.numpy)."""
    return lambda i, v, x: np_.sin(v) * x + 0.001 * i


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("steps", [4, 1500])
def test_fori_static_bounds_matches_jax(jax, dtype, steps):
    jnp = jax.numpy
    x = dtype(0.8)

    def f(x):
        return xl.fori_loop(0, steps, lambda i, v: _decay(xnp)(i, v, x), x)

    def jf(x):
        return jax.lax.fori_loop(0, steps, lambda i, v: _decay(jnp)(i, v, x), x)

    g = xl.grad(f)(x)
    assert g.dtype == dtype
    np.testing.assert_allclose(g, jax.grad(jf)(x), rtol=RTOL[dtype])
    if steps < 10:
        check_grads(f, (x,))


def test_long_static_loop_is_not_unrolled():
    f = lambda x: xl.fori_loop(0, 2000, lambda i, v: xnp.sin(v) * x, x)  # noqa: E731
    fn = xl.make_ir(xl.grad(f))(0.5)
    assert _ir_ops(fn) < 400      # unrolled, it would be thousands


def test_gradient_ir_does_not_grow_with_the_trip_count(no_unroll):
    def heat(steps):
        def f(u, k):
            def step(i, u):
                lap = xnp.concatenate([u[:1] * 0, u[2:] - 2 * u[1:-1] + u[:-2], u[:1] * 0])
                return u + k * lap
            return xnp.sum(xl.fori_loop(0, steps, step, u) ** 2)
        return f
    u = np.linspace(0, 1, 16)
    sizes = [_ir_ops(xl.make_ir(xl.grad(heat(t), argnums=(0, 1)))(u, 0.1)) for t in (10, 10_000)]
    assert sizes[0] == sizes[1]


@pytest.mark.parametrize("dtype", FLOATS)
def test_fori_traced_trip_count(dtype):
    g = xl.jit(xl.grad(lambda x, n: xl.fori_loop(0, n, lambda i, v: _decay(xnp)(i, v, x), x)))

    def ref(x, n):
        v = x
        for i in range(n):
            v = _decay(np)(i, v, x)
        return v
    for n in (0, 1, 7, 300):
        got = g(dtype(0.8), n)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, _fd(lambda x: ref(x, n), 0.8), rtol=RTOL[dtype] * 10, atol=1e-6)


def test_traced_trip_count_beyond_the_tape_capacity(monkeypatch):
    # 2 x 2 slots with bottom segments of 4 steps cover 16 steps; longer loops get longer bottom
    # segments (recomputed step by step), shorter ones leave slots unused
    monkeypatch.setattr(loops, "SLOTS_TOP", 2)
    monkeypatch.setattr(loops, "SLOTS", 2)
    g = xl.jit(xl.grad(lambda x, n: xl.fori_loop(0, n, lambda i, v: xnp.sin(v + x), x)))

    def ref(x, n):
        v = x
        for _ in range(n):
            v = np.sin(v + x)
        return v
    for n in (3, 16, 17, 61):
        np.testing.assert_allclose(g(0.4, n), _fd(lambda x: ref(x, n), 0.4), rtol=1e-7)


def test_while_loop_traced_condition():
    f = lambda x: xl.while_loop(lambda v: v < 10, lambda v: v * 1.5, x)  # noqa: E731

    def ref(x):
        while x < 10:
            x = x * 1.5
        return x
    g = xl.jit(xl.grad(f))
    for x in (1.0, 3.0, 20.0):
        np.testing.assert_allclose(g(x), _fd(ref, x), rtol=1e-7)


@pytest.mark.parametrize("dtype", FLOATS)
def test_while_loop_newton(dtype):
    def newton_sqrt(a):
        def body(state):
            x, _ = state
            xn = 0.5 * (x + a / x)
            return xn, xnp.max(xnp.abs(xn - x))
        x, _ = xl.while_loop(lambda s: s[1] > 1e-5, body, (a, xnp.asarray(1.0, dtype)))
        return x
    a = np.array([2.0, 9.0, 0.5], dtype)
    g = xl.grad(lambda a: xnp.sum(newton_sqrt(a)))(a)
    np.testing.assert_allclose(g, 0.5 / np.sqrt(a), rtol=RTOL[dtype] * 10)


@pytest.mark.parametrize("dtype", FLOATS)
def test_heat_stencil_array_carry_and_extras(jax, dtype, no_unroll):
    jnp = jax.numpy
    steps = 400

    def step(np_, k, src):
        def s(i, u):
            lap = np_.concatenate([u[:1] * 0, u[2:] - 2 * u[1:-1] + u[:-2], u[:1] * 0])
            return u + k * lap + 0.001 * src
        return s

    def f(u, k, src):
        return xnp.sum(xl.fori_loop(0, steps, step(xnp, k, src), u) ** 2)

    def jf(u, k, src):
        return jnp.sum(jax.lax.fori_loop(0, steps, step(jnp, k, src), u) ** 2)
    u = np.sin(np.linspace(0, 3, 24)).astype(dtype)
    src = np.cos(np.linspace(0, 2, 24)).astype(dtype)
    k = dtype(0.2)
    got = xl.grad(f, argnums=(0, 1, 2))(u, k, src)
    want = jax.grad(jf, argnums=(0, 1, 2))(u, k, src)
    for a, b in zip(got, want):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=RTOL[dtype] * 10, atol=RTOL[dtype])


def test_matrix_recurrence_closed_over(jax):
    jnp = jax.numpy
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4)) * 0.4
    x0 = rng.standard_normal(4)

    def f(A, x):
        return xnp.sum(xl.fori_loop(0, 200, lambda i, v: xnp.tanh(A @ v + x), x))

    def jf(A, x):
        return jnp.sum(jax.lax.fori_loop(0, 200, lambda i, v: jnp.tanh(A @ v + x), x))
    got = xl.grad(f, argnums=(0, 1))(A, x0)
    want = jax.grad(jf, argnums=(0, 1))(A, x0)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_nested_loops(jax, no_unroll):
    jnp = jax.numpy

    def inner(np_, fori):
        def outer(i, v):
            return fori(0, 5, lambda j, w: np_.sin(w) + 0.1 * v, v * 0.9)
        return outer

    def f(x):
        return xnp.sum(xl.fori_loop(0, 30, inner(xnp, xl.fori_loop), x))

    def jf(x):
        return jnp.sum(jax.lax.fori_loop(0, 30, inner(jnp, jax.lax.fori_loop), x))
    x = np.array([0.3, -0.5])
    np.testing.assert_allclose(xl.grad(f)(x), jax.grad(jf)(x), rtol=1e-9)


def test_while_loop_inside_a_traced_fori_loop():
    def f(x, n):
        def outer(i, v):
            return xl.while_loop(lambda w: xnp.sum(w) < 5.0, lambda w: w * 1.3 + 0.01 * v, v)
        return xnp.sum(xl.fori_loop(0, n, outer, x))
    check_grads(lambda x: f(x, 4), (np.array([0.3, 0.5]),))
    check_grads(lambda x: f(x, 0), (np.array([0.3, 0.5]),))


def test_cond_inside_the_body(jax, no_unroll):
    jnp = jax.numpy

    def body(np_, cond):
        def b(i, v):
            return cond(np_.sum(v) > 1.0, lambda a: a * 0.5, lambda a: np_.exp(a) * 0.6, v)
        return b

    def f(x):
        return xnp.sum(xl.fori_loop(0, 25, body(xnp, xl.cond), x))

    def jf(x):
        return jnp.sum(jax.lax.fori_loop(0, 25, body(jnp, jax.lax.cond), x))
    x = np.array([0.3, 0.5])
    np.testing.assert_allclose(xl.grad(f)(x), jax.grad(jf)(x), rtol=1e-9)


def test_integer_carries():
    # an int carry (a step counter inside the value) gets no cotangent
    def f(x):
        def body(state):
            k, v = state
            return k + 1, xnp.sin(v) * 0.5 + x * 0.3
        return xl.while_loop(lambda s: s[0] < 40, body, (0, x))[1]
    check_grads(f, (0.7,))


def test_second_order(monkeypatch):
    # grad of grad differentiates the backward loops again; one checkpoint level keeps the
    # test's compile short (the two-level default gives the same result, slower to compile)
    monkeypatch.setattr(loops, "LEVELS", 1)
    f = lambda x: xl.fori_loop(0, 400, lambda i, v: xnp.sin(v) * 0.5 + x * 0.3, x)  # noqa: E731
    check_grads(f, (0.7,), order=2)


def test_errors_name_the_loop_and_the_users_line():
    @xl.custom_vjp
    def bad(x):
        return x * 2

    def bwd(res, g):
        raise xl.TraceError("bwd refused")
    bad.defvjp(lambda x: (x * 2, None), bwd)
    f = lambda x: xl.fori_loop(0, 1000, lambda i, v: bad(v), x)  # noqa: E731
    traced = lambda x, n: xl.fori_loop(0, n, lambda i, v: bad(v), x)  # noqa: E731
    w = lambda x: xl.while_loop(lambda v: v < 10, lambda v: bad(v), x)  # noqa: E731
    for fun, args, name in ((f, (1.0,), "fori_loop"), (traced, (1.0, 3), "fori_loop"),
                            (w, (1.0,), "while_loop")):
        where = rf"test_loop_grad.py:{fun.__code__.co_firstlineno}"
        with pytest.raises(xl.TraceError, match=rf"the {name} at .*{where}: bwd refused"):
            xl.grad(fun)(*args)


def test_recomputed_iterations_do_not_print(capsys, no_unroll):
    def f(x, n):
        def body(i, v):
            xl.debug.print("i={}", i)
            return xl.cond(v > 0, lambda a: a * 0.9, lambda a: a * 1.1, v)
        return xl.fori_loop(0, n, body, x)
    value, g = xl.jit(xl.value_and_grad(f))(1.0, 30)
    np.testing.assert_allclose((value, g), (0.9 ** 30, 0.9 ** 30))
    assert capsys.readouterr().out.split() == [f"i={i}" for i in range(30)]
