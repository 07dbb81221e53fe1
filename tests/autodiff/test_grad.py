"""Reverse mode: every VJP against central finite differences (float64), plus the seed programs."""
import numpy as np
import pytest

import xlaish as xl
import xlaish.numpy as xnp
from xlaish.autodiff.rules import NON_DIFFERENTIABLE, VJP
from xlaish.ir import all_ops
from xlaish.special import erf, erfc, expit

RNG = np.random.default_rng(7)


def numeric_grad(f, x, eps=1e-6):
    """Central differences of a scalar function of one float64 array."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        hi = float(f(x))
        flat[i] = old - eps
        lo = float(f(x))
        flat[i] = old
        gflat[i] = (hi - lo) / (2 * eps)
    return g


def check(f, *args, argnums=0, rtol=1e-5, atol=1e-7):
    """xl.grad(f) (compiled) equals finite differences of f evaluated by NumPy."""
    got = xl.jit(xl.grad(f, argnums=argnums))(*args)

    def fx(v):
        a = list(args)
        a[argnums] = v
        return f(*a)
    want = numeric_grad(fx, args[argnums])
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def test_registry_every_float_op_has_a_rule():
    missing = [n for n, od in all_ops().items()
               if n not in VJP and n not in NON_DIFFERENTIABLE and not od.has("region")]
    assert missing == []


UNARY = {
    "negative": (np.negative, (-2, 2)), "positive": (np.positive, (-2, 2)),
    "abs": (np.abs, (0.1, 2)), "exp": (np.exp, (-2, 2)), "exp2": (np.exp2, (-2, 2)),
    "expm1": (np.expm1, (-2, 2)), "log": (np.log, (0.2, 3)), "log2": (np.log2, (0.2, 3)),
    "log10": (np.log10, (0.2, 3)), "log1p": (np.log1p, (-0.5, 3)), "sqrt": (np.sqrt, (0.2, 3)),
    "cbrt": (np.cbrt, (0.2, 3)), "square": (np.square, (-2, 2)),
    "reciprocal": (np.reciprocal, (0.3, 3)), "sin": (np.sin, (-3, 3)), "cos": (np.cos, (-3, 3)),
    "tan": (np.tan, (-1, 1)), "arcsin": (np.arcsin, (-0.8, 0.8)),
    "arccos": (np.arccos, (-0.8, 0.8)), "arctan": (np.arctan, (-3, 3)),
    "sinh": (np.sinh, (-2, 2)), "cosh": (np.cosh, (-2, 2)), "tanh": (np.tanh, (-2, 2)),
    "arcsinh": (np.arcsinh, (-2, 2)), "arccosh": (np.arccosh, (1.2, 3)),
    "arctanh": (np.arctanh, (-0.8, 0.8)), "erf": (erf, (-2, 2)), "erfc": (erfc, (-2, 2)),
    "expit": (expit, (-3, 3)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_vjp(name):
    fn, (lo, hi) = UNARY[name]
    x = RNG.uniform(lo, hi, 7)
    check(lambda v: np.sum(fn(v) * np.arange(1.0, 8.0)), x)


BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
    "power": np.power, "maximum": np.maximum, "minimum": np.minimum, "fmax": np.fmax,
    "fmin": np.fmin, "arctan2": np.arctan2, "hypot": np.hypot, "logaddexp": np.logaddexp,
    "copysign": np.copysign, "remainder": np.remainder, "fmod": np.fmod,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("which", [0, 1])
def test_binary_vjp_with_broadcasting(name, which):
    fn = BINARY[name]
    a = RNG.uniform(0.5, 2.0, (3, 4))
    b = RNG.uniform(0.5, 2.0, (4,)) + 0.013          # no ties, away from kinks
    w = RNG.standard_normal((3, 4))
    check(lambda a, b: np.sum(fn(a, b) * w), a, b, argnums=which)


def test_ldexp_and_i0_vjps():
    """ldexp (differentiable in its float operand) and i0 (a composition) against central
    differences."""
    x = RNG.uniform(-3.0, 3.0, (3, 4))
    n = np.array([-2, 0, 1, 5], np.int32)
    check(lambda v: np.sum(np.ldexp(v, n) * np.arange(12.0).reshape(3, 4)), x)
    check(lambda v: np.sum(np.i0(v) * np.arange(12.0).reshape(3, 4)), RNG.uniform(-12.0, 12.0, (3, 4)))


@pytest.mark.parametrize("f", [
    lambda x: np.sum(np.sum(x, axis=0) ** 2),
    lambda x: np.sum(np.mean(x, axis=1, keepdims=True) * x),
    lambda x: np.sum(np.prod(x, axis=1)),
    lambda x: np.sum(np.max(x, axis=0) * np.arange(4.0)),
    lambda x: np.sum(np.min(x, axis=1)),
    lambda x: np.var(x) + np.std(x, axis=0).sum(),
    lambda x: np.sum(x.reshape(2, 6) ** 2 * np.arange(12.0).reshape(2, 6)),
    lambda x: np.sum(x.T @ np.arange(3.0)),
    lambda x: np.sum(np.broadcast_to(x[None], (2, 3, 4)) * np.arange(24.0).reshape(2, 3, 4)),
    lambda x: np.sum(x[::2, ::-3] ** 2) + np.sum(x[1:, 1:3] * 3),
    lambda x: np.sum(np.concatenate([x, x[:1] * 2], axis=0) ** 2),
    lambda x: np.sum(np.stack([x, x * x], axis=1) ** 2),
    lambda x: np.sum(np.where(x > 1.0, x * x, -x)),
    lambda x: np.sum(np.matmul(x, x.T) ** 2),
    lambda x: np.sum(np.matmul(x[0], x.T)),
    lambda x: np.matmul(x[0], x[1]) + np.dot(x[2], x[1] * 2) + np.inner(x[0], x[2]),   # vector . vector
    lambda x: np.sum(np.matmul(x, x[0]) ** 2) + np.sum(np.matmul(x[:, 0], x) ** 2),   # matrix-vector
    lambda x: np.sum(xl.special.softmax(x, axis=-1) * np.arange(12.0).reshape(3, 4)),
    lambda x: xl.special.logsumexp(x),
])
def test_structural_vjps(f):
    x = RNG.uniform(0.5, 2.0, (3, 4))
    check(f, x, rtol=1e-4, atol=1e-6)


def test_grad_through_casts():
    got = xl.grad(lambda x: np.sum(x.astype(np.float32).astype(np.float64) * 2))(np.arange(1.0, 4.0))
    np.testing.assert_allclose(got, numeric_grad(lambda x: np.sum(x * 2), np.arange(1.0, 4.0)))
    assert got.dtype == np.float64


def test_seed_examples():
    assert xl.grad(lambda x: x * x)(3.0) == 6.0
    assert xl.grad(xl.grad(lambda x: x * x))(3.0) == 2.0
    assert xl.grad(abs)(2.0) == 1.0 and xl.grad(abs)(-2.0) == -1.0
    leaky = lambda x: xnp.where(x > 0, x, 0.1 * x)  # noqa: E731
    assert xl.grad(leaky)(4.0) == 1.0
    assert np.isclose(xl.grad(leaky)(-3.0), 0.1)
    v, g = xl.value_and_grad(lambda x: x ** 3)(2.0)
    assert (v, g) == (8.0, 12.0)


def test_custom_vjp_fixes_the_softplus_gradient():
    naive = lambda x: np.log(1 + np.exp(x))  # noqa: E731
    assert np.isnan(xl.grad(naive)(np.float32(100.0)))

    @xl.custom_vjp
    def softplus(x):
        return np.log(1 + np.exp(x))

    softplus.defvjp(lambda x: (softplus(x), x), lambda x, g: (g * (1 - 1 / (1 + np.exp(x))),))
    assert xl.grad(softplus)(np.float32(100.0)) == 1.0
    np.testing.assert_allclose(xl.grad(softplus)(0.5), 1 / (1 + np.exp(-0.5)))


def test_quadratic_fit_by_gradient_descent():
    x = np.linspace(-1, 1, 200)
    y = 5 * x ** 2 + 3

    def loss(w, x, y):
        f = xnp.stack([x * x, x, xnp.ones_like(x)], axis=1)
        return np.mean((f @ w - y) ** 2)

    step = xl.jit(lambda w, x, y: w - 0.5 * xl.grad(loss)(w, x, y))
    w = np.zeros(3)
    for _ in range(2000):
        w = step(w, x, y)
    np.testing.assert_allclose(w, [5, 0, 3], atol=1e-2)


def test_grad_through_cond_and_fori_loop():
    f = lambda x, p: xl.cond(p, lambda v: np.sin(v) * 3, lambda v: v ** 3, x)  # noqa: E731
    g = xl.jit(xl.grad(f))
    assert np.isclose(g(0.7, True), 3 * np.cos(0.7))
    assert np.isclose(g(0.7, False), 3 * 0.7 ** 2)
    h = lambda x: xl.fori_loop(0, 5, lambda i, v: v * x + 1.0, x)  # noqa: E731
    np.testing.assert_allclose(xl.grad(h)(1.1), numeric_grad(lambda v: h(float(v)), 1.1), rtol=1e-6)


def test_grad_errors_are_clear():
    with pytest.raises(TypeError, match="scalar float"):
        xl.grad(lambda x: x * 2)(np.ones(3))


def test_grad_pytrees_argnums_and_aux():
    def f(params, x):
        return np.sum((params["w"] * x + params["b"]) ** 2), "aux"
    params = {"w": np.array([1.0, 2.0]), "b": np.array(0.5)}
    x = np.array([3.0, -1.0])
    (v, aux), g = xl.value_and_grad(lambda p, x: (f(p, x)[0], x * 2), has_aux=True)(params, x)
    r = params["w"] * x + params["b"]
    np.testing.assert_allclose(g["w"], 2 * r * x)
    np.testing.assert_allclose(g["b"], np.sum(2 * r))
    np.testing.assert_allclose(aux, x * 2)
    gw, gx = xl.grad(lambda p, x: f(p, x)[0], argnums=(0, 1))(params, x)
    np.testing.assert_allclose(gx, 2 * r * params["w"])


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 2.0], [1.5, -2.0, 3.0], [0.0]])
def test_prod_gradient_with_zeros(x):
    """d prod(x)/dx_i is the product of the other elements, also where x has zeros (no 0/0)."""
    x = np.array(x)
    expected = np.array([np.prod(np.delete(x, i)) for i in range(x.size)])
    np.testing.assert_allclose(xl.jit(xl.grad(lambda x: xnp.prod(x)))(x), expected)
    m = np.array([[2.0, 0.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])
    w = np.array([1.0, 2.0, 3.0])
    got = xl.grad(lambda m: xnp.sum(xnp.prod(m, axis=1) * w))(m)
    want = np.array([[w[r] * np.prod(np.delete(m[r], c)) for c in range(3)] for r in range(3)])
    np.testing.assert_allclose(got, want)
