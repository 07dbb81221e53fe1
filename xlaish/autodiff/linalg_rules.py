"""Reverse-mode rules of the LAPACK ops (:mod:`xlaish.ir.ops.lapack`), JAX's rules, written with
``xlaish.numpy`` (merged into :data:`xlaish.autodiff.rules.VJP`).

* ``lu_solve``: ``x = a^-1 b``: ``gb = a^-T g``, ``ga = -gb x^T``.
* ``lu_slogdet``: ``d logabsdet / da = a^-T``; ``d det / da = det a^-T``; sign: no gradient.
* ``cholesky`` (``a = l l^T``, lower triangle read): ``ga = l^-T phi(l^T gl) l^-1``, phi keeping
  the lower triangle with a halved diagonal, then symmetrized (JAX symmetrizes the input).
* ``eigh``: ``ga = v (diag(gw) + F o (v^T gv)) v^T``, ``F_ij = 1 / (w_j - w_i)`` off the diagonal
  (distinct eigenvalues), symmetrized.
* ``svd``: the reduced SVD's rule (distinct nonzero singular values; ``full_matrices=True`` of a
  non-square matrix is refused, as JAX refuses it); ``svdvals``: ``ga = u diag(gs) vt``.
``qr`` is declared not differentiable.

Inside rules the forward ops are emitted again without the LinAlgError checks (the forward pass
already checked the same matrices).
"""
from __future__ import annotations

import numpy as np

from .. import numpy as xnp
from ..ir.opnames import LU_SOLVE, SVD
from ..trace.bind import emit, to_value, unsupported, wrap


def _T(x):
    return xnp.swapaxes(x, -1, -2)


def _solve(a, b):
    return wrap(emit(LU_SOLVE, [to_value(a), to_value(b)])[0])


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
    """Reduced SVD (Townsend, "Differentiating the singular value decomposition", real case):
    ``ga = u [(F o (u^T gu - gu^T u)) s + diag(gs) + s (F o (v^T gv - gv^T v))] v^T
    + (I - u u^T) gu s^-1 v^T + u s^-1 gv^T (I - v v^T)``, ``F_ij = 1 / (s_j^2 - s_i^2)`` off the
    diagonal (distinct nonzero singular values), ``gv = gvt^T``."""
    gu, gsv, gvt, _ = gs
    u, s, vt = outs[0], outs[1], outs[2]
    a = ins[0]
    m, n = a.shape[-2:]
    k = min(m, n)
    if op.attrs["full_matrices"] and m != n:
        raise unsupported("the gradient of np.linalg.svd(a, full_matrices=True) of a non-square "
                          "matrix is not defined (as in JAX): use full_matrices=False")
    dt = s.dtype
    sm = s[..., None, :]                                   # (..., 1, k)
    v = _T(vt)
    inner = 0
    if gsv is not None:
        inner = gsv[..., None, :] * np.eye(k, dtype=dt)
    eye = np.eye(k, dtype=bool)
    diff = sm * sm - _T(sm) * _T(sm)                       # s_j^2 - s_i^2
    f = xnp.where(eye, np.asarray(0, dt), 1 / xnp.where(eye, np.asarray(1, dt), diff))
    sinv = 1 / sm
    extra = 0
    if gu is not None:
        utgu = xnp.matmul(_T(u), gu)
        inner = inner + (f * (utgu - _T(utgu))) * sm
        if m > k:
            proj = gu - xnp.matmul(u, utgu)
            extra = extra + xnp.matmul(proj * sinv, vt)
    if gvt is not None:
        gv = _T(gvt)
        vtgv = xnp.matmul(vt, gv)
        inner = inner + _T(sm) * (f * (vtgv - _T(vtgv)))
        if n > k:
            proj = gv - xnp.matmul(v, vtgv)
            extra = extra + xnp.matmul(u * sinv, _T(proj))
    return [xnp.matmul(xnp.matmul(u, inner), vt) + extra]


def _svdvals(gs, op, ins, outs):
    g = gs[0]
    if g is None:
        return [None]
    a = ins[0]
    u, _, vt, _ = (wrap(v) for v in emit(SVD, [a.value], {"full_matrices": False}))
    return [xnp.matmul(u * g[..., None, :], vt)]


VJP = {"lu_solve": _lu_solve, "lu_slogdet": _lu_slogdet, "cholesky": _cholesky, "eigh": _eigh,
       "svd": _svd, "svdvals": _svdvals}
