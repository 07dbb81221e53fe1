"""xl.test_util.check_grads: passes on correct gradients (orders 1 and 2, float32/float64,
array-valued and pytree outputs) and fails, naming the order, on a wrong custom VJP."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.test_util import check_grads


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def layernorm(x, g):
    m = np.mean(x, axis=-1, keepdims=True)
    v = np.var(x, axis=-1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-5) * g


FUNCS = {
    "tanh_chain": (lambda x: np.sum(np.tanh(x) ** 2 * np.sin(x)), [(5,)]),
    "softmax": (softmax, [(3, 4)]),
    "layernorm": (layernorm, [(3, 6), (6,)]),
    "matmul_pytree": (lambda a, b: {"p": np.tanh(a @ b), "q": (a * 2).sum()}, [(2, 3), (3, 4)]),
    "einsum": (lambda a, b: np.einsum("ij,jk->ik", a, b) ** 2, [(2, 3), (3, 2)]),
}


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_correct_gradients_pass(name, order, dt):
    f, shapes = FUNCS[name]
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s).astype(dt) for s in shapes]
    check_grads(f, args, order=order)


def test_integer_arguments_are_held_fixed():
    check_grads(lambda x, k: np.sum(x ** 2 * k), [np.linspace(0.1, 1, 4), np.arange(4)])


def test_a_wrong_vjp_fails_with_the_order():
    @xl.custom_vjp
    def f(x):
        return np.sin(x)

    f.defvjp(lambda x: (np.sin(x), x), lambda x, g: (g * np.sin(x),))     # should be cos
    x = np.linspace(0.1, 1.0, 5)
    with pytest.raises(AssertionError, match="order 1"):
        check_grads(lambda x: np.sum(f(x)), [x])


def test_second_order_error_is_found():
    """A VJP right to first order whose residual is a rounded (piecewise-constant) copy of x:
    its own derivative, the second order, is wrong."""
    @xl.custom_vjp
    def f(x):
        return x ** 3

    f.defvjp(lambda x: (x ** 3, np.round(x * 1e6) / 1e6), lambda r, g: (g * 3 * r ** 2,))
    x = np.linspace(0.5, 2.0, 4)
    check_grads(lambda x: np.sum(f(x)), [x], order=1)
    with pytest.raises(AssertionError, match="order 2"):
        check_grads(lambda x: np.sum(f(x)), [x], order=2)


def test_bad_arguments():
    with pytest.raises(ValueError, match="reverse mode"):
        check_grads(np.sum, [np.ones(3)], modes=("fwd",))
    with pytest.raises(ValueError, match="floating-point"):
        check_grads(np.sum, [np.ones(3, np.int32)])
