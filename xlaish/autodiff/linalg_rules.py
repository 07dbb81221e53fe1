"""Reverse-mode rules of the LAPACK ops (:mod:`xlaish.ir.ops.lapack`), JAX's rules, written with
``xlaish.numpy`` (merged into :data:`xlaish.autodiff.rules.VJP`).

* ``lu_solve``: ``x = a^-1 b``: ``gb = a^-T g``, ``ga = -gb x^T``.
* ``lu_slogdet``: ``d logabsdet / da = a^-T``; ``d det / da = det a^-T``; sign: no gradient.
* ``cholesky`` (``a = l l^T``, lower triangle read): ``ga = l^-T phi(l^T gl) l^-1``, phi keeping
  the lower triangle with a halved diagonal, then symmetrized (JAX symmetrizes the input).
* ``eigh``: ``ga = v (diag(gw) + F o (v^T gv)) v^T``, ``F_ij = 1 / (w_j - w_i)`` off the diagonal
  (distinct eigenvalues), symmetrized.
* ``svd`` / ``svdvals``: singular values only, ``ga = u diag(gs) vt``; a cotangent reaching ``u``
  or ``vt`` raises UnsupportedError (not implemented yet).
``qr`` is declared not differentiable.

Inside rules the forward ops are emitted again without the LinAlgError checks (the forward pass
already checked the same matrices).
"""
from __future__ import annotations

import numpy as np

from .. import numpy as xnp
from ..ir.opnames import LU_SOLVE, SVD
from ..trace.bind import emit, unsupported, wrap


def _T(x):
    return xnp.swapaxes(x, -1, -2)


def _solve(a, b):
    return wrap(emit(LU_SOLVE, [a.value, b.value])[0])


def _inv_t(a):
    """a^-T for a square stack."""
    n = a.shape[-1]
    return _solve(_T(a), xnp.broadcast_to(np.eye(n, dtype=a.dtype), a.shape))


def _sym(x):
    return (x + _T(x)) * np.asarray(0.5, x.dtype)


def _lu_solve(gs, op, ins, outs):
    g = gs[0]
    if g is None:
        return [None, None]
    a = ins[0]
    x = outs[0]
    gb = _solve(_T(a), g)
    return [-xnp.matmul(gb, _T(x)), gb]


def _lu_slogdet(gs, op, ins, outs):
    _, gl, gd = gs
    a = ins[0]
    if gl is None and gd is None:
        return [None]
    total = None
    if gl is not None:
        total = gl
    if gd is not None:
        t = gd * outs[2]
        total = t if total is None else total + t
    return [total[..., None, None] * _inv_t(a)]


def _cholesky(gs, op, ins, outs):
    gl = gs[0]
    if gl is None:
        return [None]
    low = outs[0]
    n = low.shape[-1]
    p = xnp.matmul(_T(low), gl)
    half = np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n)
    phi = p * half.astype(low.dtype)
    # l^-T phi l^-1 = solve(l^T, solve(l^T, phi^T)^T)
    left = _solve(_T(low), phi)                       # l^-T phi
    res = _T(_solve(_T(low), _T(left)))              # (l^-T (l^-T phi)^T)^T = l^-T phi l^-1
    return [_sym(res)]


def _eigh(gs, op, ins, outs):
    gw, gv, _ = gs
    w, v = outs[0], outs[1]
    if gw is None and gv is None:
        return [None]
    n = w.shape[-1]
    inner = None
    if gv is not None:
        diff = w[..., None, :] - w[..., :, None]
        eye = np.eye(n, dtype=bool)
        f = xnp.where(eye, np.asarray(0, w.dtype), 1 / xnp.where(eye, np.asarray(1, w.dtype), diff))
        inner = f * xnp.matmul(_T(v), gv)
    if gw is not None:
        d = gw[..., None, :] * np.eye(n, dtype=w.dtype)
        inner = d if inner is None else inner + d
    return [_sym(xnp.matmul(xnp.matmul(v, inner), _T(v)))]


def _svd(gs, op, ins, outs):
    gu, gsv, gvt, _ = gs
    if gu is not None or gvt is not None:
        raise unsupported("the gradient of np.linalg.svd through U or Vh is not implemented yet "
                          "(singular values only: use np.linalg.svd(a, compute_uv=False))")
    if gsv is None:
        return [None]
    u, vt = outs[0], outs[2]
    k = gsv.shape[-1]
    return [xnp.matmul(u[..., :, :k] * gsv[..., None, :], vt[..., :k, :])]


def _svdvals(gs, op, ins, outs):
    g = gs[0]
    if g is None:
        return [None]
    a = ins[0]
    u, _, vt, _ = (wrap(v) for v in emit(SVD, [a.value], {"full_matrices": False}))
    return [xnp.matmul(u * g[..., None, :], vt)]


VJP = {"lu_solve": _lu_solve, "lu_slogdet": _lu_slogdet, "cholesky": _cholesky, "eigh": _eigh,
       "svd": _svd, "svdvals": _svdvals}
