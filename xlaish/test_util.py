"""Checks for users' own code: ``check_grads`` compares ``xlaish.grad`` with central differences.

``check_grads(f, args, order=1, modes=("rev",))`` checks reverse-mode derivatives of
``f`` at ``args`` along random directions, as JAX's ``check_grads`` and TensorFlow's
``compute_gradient_error`` do:

* ``f`` may return any array (or a pytree of arrays); it is reduced to a scalar with a
  fixed random cotangent ``u`` (``sum(f(x) * u)``), so the check covers the whole VJP.
* For random tangents ``v`` (one per float argument), the directional derivative
  ``sum(grad(x) * v)`` must match ``(F(x + eps v) - F(x - eps v)) / (2 eps)`` within a
  tolerance set by the arguments' float dtype (``TOLERANCES``; ``atol``/``rtol``
  override). ``eps`` defaults per dtype too.
* ``order=2`` checks the gradient of ``x -> sum(grad(x) * w)`` the same way (a
  Hessian-vector product), and so on for higher orders.

Integer and bool arguments are held fixed. Only reverse mode exists (``modes`` must be
``("rev",)``); a ``jvp`` check needs forward mode, which xlaish does not have.
Raises ``AssertionError`` naming the order, the argument dtypes and both values.
"""
from __future__ import annotations

import numpy as np

from .autodiff import grad
from .trace import pytree

# (finite-difference step, relative tolerance, absolute tolerance) by the widest float argument
TOLERANCES = {
    np.dtype(np.float16): (1e-1, 1e-1, 1e-1),
    np.dtype(np.float32): (1e-2, 2e-2, 2e-2),
    np.dtype(np.float64): (1e-5, 1e-5, 1e-5),
}


def _floats(args):
    return [i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f"]


def _scalarize(f, args, rng):
    """F(*args) = sum(f(*args) * u) for a fixed random cotangent u of f's output structure."""
    out = f(*args)
    leaves, tree = pytree.flatten(out)
    us = [rng.standard_normal(np.shape(leaf)).astype(np.asarray(leaf).dtype)
          if np.asarray(leaf).dtype.kind == "f" else None for leaf in leaves]

    def F(*xs):
        ls, _ = pytree.flatten(f(*xs))
        total = 0.0
        for leaf, u in zip(ls, us):
            if u is not None:
                total = total + np.sum(leaf * u)
        return total
    return F


def check_grads(f, args, order=1, modes=("rev",), atol=None, rtol=None, eps=None, seed=0):
    """Assert that ``xlaish.grad`` of ``f`` matches central differences at ``args``."""
    if tuple(modes) != ("rev",):
        raise ValueError(f"modes={modes!r}: only reverse mode ('rev',) exists in xlaish")
    if order < 1:
        raise ValueError("order must be at least 1")
    args = tuple(np.asarray(a) for a in args)
    idx = _floats(args)
    if not idx:
        raise ValueError("check_grads needs at least one floating-point argument")
    widest = max((args[i].dtype for i in idx), key=lambda d: d.itemsize)
    d_eps, d_rtol, d_atol = TOLERANCES[widest]
    eps = d_eps if eps is None else eps
    rtol = d_rtol if rtol is None else rtol
    atol = d_atol if atol is None else atol
    rng = np.random.default_rng(seed)
    F = _scalarize(f, args, rng)
    _check(F, args, idx, order, eps, rtol, atol, rng, 1)


def _check(F, args, idx, order, eps, rtol, atol, rng, level):
    g = grad(F, argnums=tuple(idx))(*args)
    vs = [rng.standard_normal(args[i].shape) for i in idx]
    analytic = sum(float(np.sum(np.asarray(gi, np.float64) * v)) for gi, v in zip(g, vs))

    def shifted(sign):
        xs = list(args)
        for i, v in zip(idx, vs):
            xs[i] = (args[i].astype(np.float64) + sign * eps * v).astype(args[i].dtype)
        return float(F(*xs))
    numeric = (shifted(+1) - shifted(-1)) / (2 * eps)
    if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
        dts = ", ".join(str(a.dtype) for a in args)
        raise AssertionError(
            f"check_grads: order {level} derivative along a random direction: grad gives "
            f"{analytic!r}, central differences (eps={eps}) give {numeric!r} "
            f"(atol={atol}, rtol={rtol}; argument dtypes {dts})")
    if order > 1:
        ws = [rng.standard_normal(args[i].shape).astype(args[i].dtype) for i in idx]

        def G(*xs):
            gs = grad(F, argnums=tuple(idx))(*xs)
            total = 0.0
            for gi, w in zip(gs, ws):
                total = total + np.sum(gi * w)
            return total
        _check(G, args, idx, order - 1, eps, rtol, atol, rng, level + 1)
