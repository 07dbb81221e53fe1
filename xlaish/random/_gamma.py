"""Gamma-family distributions of :mod:`xlaish.random`: ``gamma``, ``loggamma``, ``beta``,
``dirichlet``, with JAX's algorithms and key derivation.

``gamma`` is JAX's ``random_gamma`` lowering: one key per element (``split(key, n)``), and per
element Marsaglia and Tsang's rejection method with JAX's loop structure and draws (an inner
loop of normals until ``v = 1 + c x > 0``, then a uniform for the acceptance test; ``a < 1``
boosted to ``a + 1`` and scaled by ``u ** (1/a)``, or in log space for ``loggamma``). The
per-element loops are run as one vectorised loop that updates only the elements still
rejecting (masked ``while_loop``s: traced, a ``while`` op with a nested one), so each element
follows exactly JAX's sequence of draws; the results agree with ``jax.random`` to a few ulps,
the last bits of ``log``/``pow``/``erfinv`` being the only difference (a rejection decided on the
last bit of a log could in principle differ; the tests' seeds show none). ``beta`` and
``dirichlet`` are JAX's normalisations of log-space gammas.
"""
from __future__ import annotations

import math

import numpy as np

from .. import numpy as xnp
from ._core import (
    _batch,
    _cast,
    _check_key,
    _float_dtype,
    _shape,
    _shape_of,
    exponential,
    normal,
    split,
    uniform,
)

__all__ = ["gamma", "loggamma", "beta", "dirichlet"]


def _gamma_one(keys, alpha, log_space):
    """JAX's ``_gamma_one`` (Marsaglia-Tsang with JAX's key derivation and loop structure),
    vectorised over a flat batch: ``keys`` (n, 2), ``alpha`` (n,). Each element runs JAX's
    rejection loop on its own key; the loops run until every element has accepted, updating only
    the elements still rejecting, so each result is the one JAX's per-element loop gives."""
    from ..control import while_loop
    dt = np.dtype(alpha.dtype)
    t = dt.type
    zero, one, third = t(0), t(1), t(1.0 / 3.0)
    boost = alpha >= one
    a = xnp.where(boost, alpha, alpha + one)
    d = a - third
    c = third / xnp.sqrt(d)

    def reject(X, V, U):
        return ((U >= one - t(0.0331) * (X * X))
                & (xnp.log(U) >= X * t(0.5) + d * ((one - V) + xnp.log(V))))

    def draw_x(state):                 # JAX's inner loop: x ~ N(0, 1) until v = 1 + c x > 0
        k, x, v = state
        go = v <= zero
        kk = split(k)
        xn = normal(kk[:, 1], (), dt)
        vn = one + xn * c
        return xnp.where(go[:, None], kk[:, 0], k), xnp.where(go, xn, x), xnp.where(go, vn, v)

    def body(state):
        k, X, V, U = state
        act = reject(X, V, U)
        k3 = split(k, 3)
        zeros = xnp.zeros_like(alpha)
        _, x, v = while_loop(lambda s: xnp.any(s[2] <= zero), draw_x,
                             (k3[:, 1], zeros, xnp.where(act, -one, one)))
        Xn, Vn, Un = x * x, (v * v) * v, uniform(k3[:, 2], (), dt)
        return (xnp.where(act[:, None], k3[:, 0], k), xnp.where(act, Xn, X),
                xnp.where(act, Vn, V), xnp.where(act, Un, U))

    ks = split(keys)
    full = xnp.zeros_like(alpha)
    _, _, V, _ = while_loop(lambda s: xnp.any(reject(*s[1:])), body,
                            (ks[:, 0], full, full + one, full + t(2)))
    sub = ks[:, 1]
    if log_space:
        ls = -exponential(sub, (), dt)
        lb = xnp.where(boost | (ls == zero), zero, ls * (one / alpha))
        return (xnp.log(d) + xnp.log(V)) + lb
    smp = one - uniform(sub, (), dt)
    return (d * V) * xnp.where(boost, one, xnp.power(smp, one / alpha))


def _gamma(key, a, shape, dtype, what, log_space):
    key = _check_key(key, what)
    dt = _float_dtype(dtype, what)
    a = _cast(a, dt)
    shape = tuple(a.shape) if shape is None else _shape(shape)
    batch = _batch(key)
    n = math.prod(shape)
    keys = xnp.reshape(split(key, n), (-1, 2))           # JAX: one key per element (per key)
    alphas = xnp.reshape(xnp.broadcast_to(a, batch + shape), (-1,))
    with np.errstate(invalid="ignore", divide="ignore"):     # a <= 0 or NaN: NaN/0 as in JAX
        return xnp.reshape(_gamma_one(keys, alphas, log_space), batch + shape)


def gamma(key, a, shape=None, dtype=np.float32):
    """Gamma(``a``, 1) floats: JAX's algorithm (Marsaglia-Tsang, a key per element, ``a < 1``
    boosted by ``u ** (1/a)``). ``shape`` defaults to ``a``'s shape."""
    return _gamma(key, a, shape, dtype, "gamma", False)


def loggamma(key, a, shape=None, dtype=np.float32):
    """``log`` of Gamma(``a``, 1) floats computed in log space (accurate for small ``a``): JAX's."""
    return _gamma(key, a, shape, dtype, "loggamma", True)


def beta(key, a, b, shape=None, dtype=np.float32):
    """Beta(``a``, ``b``) floats: two log-space gammas, normalised as JAX does."""
    key = _check_key(key, "beta")
    dt = _float_dtype(dtype, "beta")
    shape = np.broadcast_shapes(_shape_of(a), _shape_of(b)) if shape is None else _shape(shape)
    ks = split(key)
    la = loggamma(ks[..., 0, :], xnp.broadcast_to(_cast(a, dt), shape), shape, dt)
    lb = loggamma(ks[..., 1, :], xnp.broadcast_to(_cast(b, dt), shape), shape, dt)
    m = xnp.maximum(la, lb)
    ga, gb = xnp.exp(la - m), xnp.exp(lb - m)
    return ga / (ga + gb)


def dirichlet(key, alpha, shape=None, dtype=np.float32):
    """Dirichlet(``alpha``) vectors (last axis): log-space gammas and a softmax, as JAX does."""
    key = _check_key(key, "dirichlet")
    dt = _float_dtype(dtype, "dirichlet")
    ash = _shape_of(alpha)
    if not ash:
        raise ValueError("xlaish.random.dirichlet: alpha needs at least one dimension")
    shape = ash[:-1] if shape is None else _shape(shape)
    lg = loggamma(key, alpha, shape + ash[-1:], dt)
    e = xnp.exp(lg - xnp.max(lg, axis=-1, keepdims=True))
    return e / xnp.sum(e, axis=-1, keepdims=True)
