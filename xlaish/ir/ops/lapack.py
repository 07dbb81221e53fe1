"""Dense linear algebra computed by LAPACK: ``lu_solve``, ``lu_slogdet``, ``cholesky``, ``eigh``,
``svd``, ``svdvals``, ``qr``.

Every op works on stacks of matrices: the last two axes are the matrix, the leading axes (the
*batch*) are the same for every operand (the NumPy layer broadcasts them first), float32 or
float64 operands of one dtype. Ops that can fail return an ``info`` result (int64, shape =
the batch): LAPACK's info per matrix (0: success; > 0: singular / not positive definite / no
convergence). The NumPy layer turns it into ``numpy.linalg.LinAlgError`` through a
``debug_check`` (the channel every runtime reports check failures by).

``lu_solve(a, b) -> (x, info)``            a (..., n, n), b (..., n, k): x = a^-1 b (gesv)
``lu_slogdet(a) -> (sign, logabsdet, det)`` from the LU factors (getrf), each of shape (...)
``cholesky(a) -> (l, info)``               lower factor, upper triangle zero, of a's lower triangle
``eigh(a) {lower} -> (w, v, info)``        of a's lower (upper) triangle; ascending w (syevd)
``svd(a) {full_matrices} -> (u, s, vt, info)`` (gesdd)
``svdvals(a) -> (s, info)``                singular values only (gesdd, jobz N)
``qr(a) {complete} -> (q, r)``             (geqrf + orgqr); R's diagonal may be negative (LAPACK's)

The ``lapack`` trait marks them for the kernel analysis (:mod:`xlaish.ir.kernel`): a LAPACK
kernel holds one such op and views of its parameters; the CPU backend calls the library
located by :mod:`xlaish.runtime.lapack` (:mod:`xlaish.codegen.cpu.lapack_kernel`); the CUDA
backend has no LAPACK (the NumPy layer computes small matrices with elementwise code instead).
The references (the interpreter, constant folding, the tests) are NumPy's ``linalg``.
"""
from __future__ import annotations

import numpy as np

from ...errors import IRError
from ..opdef import PURE, OpDef, register

LAPACK = "lapack"        # trait: one LAPACK-backed op (a lapack kernel)
_TRAITS = frozenset({PURE, LAPACK})


def _float(dts, name):
    if len(set(dts)) != 1 or np.dtype(dts[0]) not in (np.float32, np.float64):
        raise IRError(f"{name}: operands must share one dtype, float32 or float64 (got {dts})")
    return np.dtype(dts[0])


def _square(s, name):
    if len(s) < 2 or s[-1] != s[-2]:
        raise IRError(f"{name}: operand of shape {s} is not a stack of square matrices")


def _info_of(fn, *args):
    try:
        return fn(*args), 0
    except np.linalg.LinAlgError:
        return None, 1


# lu_solve ------------------------------------------------------------------------------------
def _solve_shape(shapes, attrs):
    a, b = shapes
    _square(a, "lu_solve")
    if len(b) != len(a) or b[:-2] != a[:-2] or b[-2] != a[-1]:
        raise IRError(f"lu_solve: shapes {a} and {b} do not match (b is (..., n, k))")
    return (tuple(b), tuple(a[:-2]))


def _solve_ref(a, b):
    x = np.zeros(b.shape, a.dtype)
    info = np.zeros(a.shape[:-2], np.int64)
    for idx in np.ndindex(*a.shape[:-2]):
        r, bad = _info_of(np.linalg.solve, a[idx], b[idx])
        info[idx] = bad
        if not bad:
            x[idx] = r
    return x, info


register(OpDef(name="lu_solve", arity=2, shape_rule=_solve_shape,
               dtype_rule=lambda dts, attrs: (_float(dts, "lu_solve"), np.dtype(np.int64)),
               reference=_solve_ref, traits=_TRAITS, differentiable=True, num_results=2,
               doc="np.linalg.solve(a, b) for b of shape (..., n, k), and LAPACK's info"))


# lu_slogdet ----------------------------------------------------------------------------------
def _batch(shapes, attrs, name):
    (a,) = shapes
    _square(a, name)
    return tuple(a[:-2])


def _slogdet_ref(a):
    s, l = np.linalg.slogdet(a)
    return np.asarray(s, a.dtype), np.asarray(l, a.dtype), np.asarray(np.linalg.det(a), a.dtype)


register(OpDef(name="lu_slogdet", arity=1, shape_rule=lambda s, at: (_batch(s, at, "lu_slogdet"),) * 3,
               dtype_rule=lambda dts, attrs: (_float(dts, "lu_slogdet"),) * 3,
               reference=_slogdet_ref, traits=_TRAITS, differentiable=True, num_results=3,
               doc="np.linalg.slogdet(a) and np.linalg.det(a) from one LU factorization"))


# cholesky ------------------------------------------------------------------------------------
def _chol_ref(a):
    l = np.zeros(a.shape, a.dtype)
    info = np.zeros(a.shape[:-2], np.int64)
    for idx in np.ndindex(*a.shape[:-2]):
        r, bad = _info_of(np.linalg.cholesky, a[idx])
        info[idx] = bad
        if not bad:
            l[idx] = r
    return l, info


register(OpDef(name="cholesky", arity=1,
               shape_rule=lambda s, at: (tuple(s[0]), _batch(s, at, "cholesky")),
               dtype_rule=lambda dts, attrs: (_float(dts, "cholesky"), np.dtype(np.int64)),
               reference=_chol_ref, traits=_TRAITS, differentiable=True, num_results=2,
               doc="np.linalg.cholesky(a) (lower), and LAPACK's info"))


# eigh ----------------------------------------------------------------------------------------
def _eigh_shape(shapes, attrs):
    b = _batch(shapes, attrs, "eigh")
    n = shapes[0][-1]
    return (b + (n,), tuple(shapes[0]), b)


def _eigh_ref(a, lower):
    w, v = np.linalg.eigh(a, "L" if lower else "U")
    return w.astype(a.dtype), v.astype(a.dtype), np.zeros(a.shape[:-2], np.int64)


register(OpDef(name="eigh", arity=1, shape_rule=_eigh_shape,
               dtype_rule=lambda dts, attrs: (_float(dts, "eigh"),) * 2 + (np.dtype(np.int64),),
               reference=_eigh_ref, traits=_TRAITS, differentiable=True, num_results=3,
               doc="np.linalg.eigh(a, 'L' if attrs lower else 'U'), and LAPACK's info"))


# svd / svdvals -------------------------------------------------------------------------------
def _mat(shapes, name):
    (a,) = shapes
    if len(a) < 2:
        raise IRError(f"{name}: operand of shape {a} is not a stack of matrices")
    return tuple(a[:-2]), a[-2], a[-1]


def _svd_shape(shapes, attrs):
    b, m, n = _mat(shapes, "svd")
    k = min(m, n)
    if attrs["full_matrices"]:
        return (b + (m, m), b + (k,), b + (n, n), b)
    return (b + (m, k), b + (k,), b + (k, n), b)


def _svd_ref(a, full_matrices):
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    return u, s, vt, np.zeros(a.shape[:-2], np.int64)


register(OpDef(name="svd", arity=1, shape_rule=_svd_shape,
               dtype_rule=lambda dts, attrs: (_float(dts, "svd"),) * 3 + (np.dtype(np.int64),),
               reference=_svd_ref, traits=_TRAITS, differentiable=True, num_results=4,
               doc="np.linalg.svd(a, full_matrices), and LAPACK's info"))


def _svdvals_shape(shapes, attrs):
    b, m, n = _mat(shapes, "svdvals")
    return (b + (min(m, n),), b)


register(OpDef(name="svdvals", arity=1, shape_rule=_svdvals_shape,
               dtype_rule=lambda dts, attrs: (_float(dts, "svdvals"), np.dtype(np.int64)),
               reference=lambda a: (np.linalg.svd(a, compute_uv=False),
                                    np.zeros(a.shape[:-2], np.int64)),
               traits=_TRAITS, differentiable=True, num_results=2,
               doc="np.linalg.svd(a, compute_uv=False), and LAPACK's info"))


# qr ------------------------------------------------------------------------------------------
def _qr_shape(shapes, attrs):
    b, m, n = _mat(shapes, "qr")
    k = min(m, n)
    if attrs["complete"]:
        return (b + (m, m), b + (m, n))
    return (b + (m, k), b + (k, n))


def _qr_ref(a, complete):
    q, r = np.linalg.qr(a, mode="complete" if complete else "reduced")
    return q.astype(a.dtype), r.astype(a.dtype)


register(OpDef(name="qr", arity=1, shape_rule=_qr_shape,
               dtype_rule=lambda dts, attrs: (_float(dts, "qr"),) * 2,
               reference=_qr_ref, traits=_TRAITS, differentiable=False, num_results=2,
               doc="np.linalg.qr(a, 'complete' or 'reduced') (Householder, LAPACK's signs)"))
