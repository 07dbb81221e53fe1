"""Array namespaces for the workloads: the ``xp`` every workload is written against.

A :class:`Backend` is an array module (``numpy``, ``jax.numpy``, ``cupy``) plus the handful of
things each library spells differently:

* ``erf``: ``scipy.special.erf`` (or an A&S approximation without SciPy), ``xlaish.special.erf``,
  ``jax.scipy.special.erf``, ``cupyx.scipy.special.erf``;
* ``value_and_grad`` / ``grad``: ``xlaish``'s or ``jax``'s (None for NumPy and CuPy: a workload
  that needs them has a hand-written NumPy reference and no CuPy row);
* ``add_at(a, idx, v)``: a copy of ``a`` with ``v`` accumulated at ``idx`` (``np.add.at`` on a
  copy, ``a.at[idx].add(v)``, ``cupyx.scatter_add`` on a copy).

Every other attribute is the module's own (``xp.tanh`` is ``np.tanh`` for NumPy and xlaish).
The xlaish namespace is NumPy's with xlaish's ``erf`` and autodiff: ``xlaish.jit`` traces the
NumPy spelling. The constructors import their library when called, never at import time.
"""
from __future__ import annotations

import functools

import numpy as np


class Backend:
    def __init__(self, name, module, *, erf, add_at, value_and_grad=None, grad=None):
        self.name = name
        self.module = module
        self.erf = erf
        self.add_at = add_at
        self.value_and_grad = value_and_grad
        self.grad = grad

    def __getattr__(self, attr):          # only reached for what the instance does not define
        return getattr(self.module, attr)

    def __repr__(self):
        return f"<benchmarks backend {self.name}>"


def erf_approx(x):
    """Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), written with NumPy ufuncs."""
    ax = np.abs(x)
    t = 1 / (1 + 0.3275911 * ax)
    p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return np.copysign(1 - p * np.exp(-ax * ax), x)


def _np_add_at(a, idx, v):
    out = a.copy()
    np.add.at(out, idx, v)
    return out


def _np_erf(x):
    """scipy.special.erf, or :func:`erf_approx` without SciPy (imported at the first call, so that
    importing the workloads does not import SciPy)."""
    try:
        from scipy.special import erf
    except ImportError:
        return erf_approx(x)
    return erf(x)


@functools.cache
def numpy_backend() -> Backend:
    return Backend("numpy", np, erf=_np_erf, add_at=_np_add_at)


@functools.cache
def xlaish_backend() -> Backend:
    import xlaish
    import xlaish.special
    return Backend("xlaish", np, erf=xlaish.special.erf, add_at=_np_add_at,
                   value_and_grad=xlaish.value_and_grad, grad=xlaish.grad)


@functools.cache
def jax_backend() -> Backend:
    import jax
    import jax.numpy as jnp
    import jax.scipy.special
    return Backend("jax", jnp, erf=jax.scipy.special.erf, add_at=lambda a, i, v: a.at[i].add(v),
                   value_and_grad=jax.value_and_grad, grad=jax.grad)


@functools.cache
def cupy_backend() -> Backend:
    import cupy
    import cupyx
    import cupyx.scipy.special

    def add_at(a, idx, v):
        out = a.copy()
        cupyx.scatter_add(out, idx, v)
        return out
    return Backend("cupy", cupy, erf=cupyx.scipy.special.erf, add_at=add_at)
