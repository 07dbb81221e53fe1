"""Gradients through gather and scatter: the cross-entropy loss ``logp[np.arange(n), labels]``
against central differences and its closed form; scatter-add, set-scatter and take_along_axis."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.test_util import check_grads


def _xent(z, labels):
    n = z.shape[0]
    m = z.max(axis=1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return -np.mean(logp[np.arange(n), labels])


def test_cross_entropy_gradient_closed_form_and_differences():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 4))
    labels = np.array([0, 3, 3, 1, 2, 3])
    g = xl.jit(xl.grad(_xent))(z, labels)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    onehot = np.eye(4)[labels]
    np.testing.assert_allclose(g, (p - onehot) / 6, rtol=1e-12, atol=1e-15)
    check_grads(lambda z: _xent(z, labels), (z,))


@pytest.mark.parametrize("device", ["cpu", "interpreter"])
def test_gather_with_repeated_indices_accumulates(device):
    idx = np.array([2, 0, 2, 2, -1])
    f = lambda x: np.sum(x[idx] ** 2) + np.sum(np.take(x, idx[:2]) * 3)
    x = np.linspace(-1, 1, 5)
    want = np.zeros(5)
    np.add.at(want, idx, 2 * x[idx])
    np.add.at(want, idx[:2], 3.0)
    np.testing.assert_allclose(xl.jit(xl.grad(f), device=device)(x), want, rtol=1e-14)


def test_scatter_gradients():
    idx = np.array([1, 1, 3, 0])

    def f(x, w):
        c = x.copy()
        np.add.at(c, idx, w * w)
        return np.sum(c * np.arange(1.0, 5.0))

    def g(x, w):      # set-scatter with a repeated index: only the last write gets gradient
        c = x.copy()
        np.put(c, idx, w)
        return np.sum(c ** 2 * np.arange(1.0, 5.0))
    x, w = np.linspace(0.5, 2, 4), np.array([0.3, -0.7, 1.1, 2.0])
    for fn in (f, g):
        check_grads(fn, (x, w))
    gw = xl.grad(g, argnums=1)(x, w)
    assert gw[0] == 0.0 and gw[1] != 0.0


def test_take_along_axis_gradient():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 5))
    k = np.array([[0, 4], [1, 1], [3, 2]])
    check_grads(lambda x: np.sum(np.sin(np.take_along_axis(x, k, axis=1))), (x,))


def test_gradient_of_a_multiplying_scatter_is_refused_clearly():
    def f(x):
        c = x.copy()
        np.multiply.at(c, np.array([0, 0]), 2.0)
        return c.sum()
    with pytest.raises(xl.UnsupportedError, match="multiply"):
        xl.grad(f)(np.ones(3))


def test_cross_entropy_gradient_equals_jaxs():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    rng = np.random.default_rng(2)
    z = rng.standard_normal((8, 5))
    labels = rng.integers(0, 5, 8)

    def jxent(z):
        logp = jax.nn.log_softmax(z, axis=1)
        return -jnp.mean(logp[jnp.arange(8), labels])
    np.testing.assert_allclose(xl.jit(xl.grad(_xent))(z, labels), np.asarray(jax.grad(jxent)(z)),
                               rtol=1e-12, atol=1e-15)
