"""The decompositions and solvers of ``np.linalg`` (re-exported by :mod:`.linalg`, whose docstring
states the design): the small inline path (unrolled LU / Cholesky as elementwise ops over the
batch), the LAPACK ops of :mod:`xlaish.ir.ops.lapack` for larger matrices, and what is composed
from them (inv, lstsq, pinv, matrix_rank, matrix_power, multi_dot; ``cond`` is in :mod:`.linalg`,
beside the norms it uses).
"""
from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..ir.opnames import CHOLESKY, DEBUG_CHECK, EIGH, LU_SLOGDET, LU_SOLVE, QR, SVD, SVDVALS
from ..ir.ops._rules import broadcast_shapes
from ..trace import context
from ..trace.bind import any_tracer, emit, to_value, unsupported, wrap
from ._composite import _asarr
from ._linalg import matmul as _matmul
from ._reductions import max as _max
from ._reductions import sum as _sum
from ._shape import broadcast_to, reshape, stack, swapaxes, where
from ._ufuncs import FUNCS as _U

SMALL_N = 5     # solve/inv/det/slogdet/cholesky of matrices up to this size: inline elementwise code
# (measured, 10,000 systems: inline 5x5 solve ~1 ms vs ~11 ms through LAPACK; at 6 and 8 it is still
# faster but compiles in 2-6 s, and the unrolled code grows as n^3)



def _result(name, fields):
    """NumPy's result tuples (``eigh(a).eigenvalues``) as tuples with named properties, not
    namedtuples: a jitted function returns them as plain tuples (pytrees take no namedtuple)."""
    props = {f: property(lambda self, i=i: self[i]) for i, f in enumerate(fields)}
    return type(name, (tuple,), {"__slots__": (), **props,
                                 "__new__": lambda cls, *xs: tuple.__new__(cls, xs)})


EighResult = _result("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = _result("SVDResult", ["U", "S", "Vh"])
SlogdetResult = _result("SlogdetResult", ["sign", "logabsdet"])
QRResult = _result("QRResult", ["Q", "R"])


# ---- operands ----------------------------------------------------------------------------------
def _dtype(*xs):
    dt = np.result_type(*[_asarr(x).dtype for x in xs])
    if dt.kind in "biu":
        return np.dtype(np.float64)
    if dt == np.float16 or dt.kind not in "f" or dt.itemsize > 8:
        if dt.kind == "c":
            raise unsupported(f"np.linalg on complex arrays ({dt}) is not supported yet")
        raise context.with_location(TypeError(f"array type {dt} is unsupported in linalg"))
    return dt


def _at_least_2d(a):
    if a.ndim < 2:
        raise context.with_location(np.linalg.LinAlgError(
            f"{a.ndim}-dimensional array given. Array must be at least two-dimensional"))


def _square(a):
    _at_least_2d(a)
    if a.shape[-1] != a.shape[-2]:
        raise context.with_location(np.linalg.LinAlgError("Last 2 dimensions of the array must be square"))


def _prep(a, dt=None):
    a = _asarr(a)
    return a.astype(dt or _dtype(a))


def _check(ok, msg):
    """LinAlgError(msg) from the compiled call unless every element of ok is true."""
    emit(DEBUG_CHECK, [ok.value], {"msg": msg})


def _ok(info):
    return _U["equal"](info, np.int64(0))


def _op(name, operands, attrs=None):
    return [wrap(v) for v in emit(name, [to_value(o) for o in operands], attrs or {})]


def _zeros(shape, dt):
    from ._creation import zeros
    return zeros(shape, dt)


def _T(x):
    return swapaxes(x, -1, -2)


# ---- the small path: unrolled LU and Cholesky over the batch -----------------------------------
def _entries(a):
    n, m = a.shape[-2], a.shape[-1]
    return [[a[..., i, j] for j in range(m)] for i in range(n)]


def _lu_small(rows, n):
    """Gaussian elimination with partial pivoting on the rows (lists of batch arrays; columns past
    n are right-hand sides), as getrf chooses pivots. Returns (rows, pivots, swap parity sign)."""
    absf, where_ = _U["absolute"], where
    gt, eq = _U["greater"], _U["equal"]
    mul, sub, div = _U["multiply"], _U["subtract"], _U["divide"]
    rows = [list(r) for r in rows]
    pivots = []
    sign = None
    for k in range(n):
        # first largest |a[r][k]|, r >= k (strictly greater: the first one wins ties)
        best = absf(rows[k][k])
        cands = []
        for r in range(k + 1, n):
            c = gt(absf(rows[r][k]), best)
            best = where_(c, absf(rows[r][k]), best)
            cands.append((r, c))
        # the winning row: the last candidate that beat every earlier one
        sel = {}
        later = None
        for r, c in reversed(cands):
            sel[r] = c if later is None else _U["logical_and"](c, _U["logical_not"](later))
            later = c if later is None else _U["logical_or"](later, c)
        if cands:
            swapped = later
            old_k = rows[k]
            new_k = list(old_k)
            for r, _ in cands:
                new_k = [where_(sel[r], x, y) for x, y in zip(rows[r], new_k)]
                rows[r] = [where_(sel[r], y, x) for x, y in zip(rows[r], old_k)]
            rows[k] = new_k
            flip = where_(swapped, np.asarray(-1.0, old_k[0].dtype), np.asarray(1.0, old_k[0].dtype))
            sign = flip if sign is None else mul(sign, flip)
        piv = rows[k][k]
        pivots.append(piv)
        zero = eq(piv, np.asarray(0, piv.dtype))
        safe = where_(zero, np.asarray(1, piv.dtype), piv)
        for r in range(k + 1, n):
            f = where_(zero, np.asarray(0, piv.dtype), div(rows[r][k], safe))
            rows[r] = [rows[r][j] if j <= k else sub(rows[r][j], mul(f, rows[k][j]))
                       for j in range(len(rows[r]))]
    return rows, pivots, sign


def _back_substitute(rows, n, k):
    """x (n lists of k batch arrays) from upper-triangular rows with k right-hand-side columns."""
    mul, sub, div = _U["multiply"], _U["subtract"], _U["divide"]
    x = [None] * n
    for i in reversed(range(n)):
        xi = []
        for c in range(k):
            acc = rows[i][n + c]
            for j in range(i + 1, n):
                acc = sub(acc, mul(rows[i][j], x[j][c]))
            xi.append(div(acc, rows[i][i]))
        x[i] = xi
    return x


def _all_nonzero(pivots):
    ok = None
    for p in pivots:
        nz = _U["not_equal"](p, np.asarray(0, p.dtype))
        ok = nz if ok is None else _U["logical_and"](ok, nz)
    return ok


def _assemble(x, batch):
    """(..., n, k) from n lists of k batch arrays."""
    n, k = len(x), len(x[0])
    flat = stack([broadcast_to(v, batch) for row in x for v in row], axis=-1)
    return reshape(flat, batch + (n, k))


def _solve_small(a, b):
    n, k = a.shape[-1], b.shape[-1]
    batch = a.shape[:-2]
    A, B = _entries(a), _entries(b)
    rows, pivots, _ = _lu_small([A[i] + B[i] for i in range(n)], n)
    _check(_all_nonzero(pivots), errors.SINGULAR)
    return _assemble(_back_substitute(rows, n, k), batch)


def _slogdet_small(a):
    n = a.shape[-1]
    rows, pivots, sign = _lu_small(_entries(a), n)
    mul, absf = _U["multiply"], _U["absolute"]
    dt = a.dtype
    s = sign if sign is not None else None
    logd = None
    for p in pivots:
        sp = _U["sign"](p)
        s = sp if s is None else mul(s, sp)
        lp = _U["log"](absf(p))
        logd = lp if logd is None else _U["add"](logd, lp)
    batch = a.shape[:-2]
    return broadcast_to(s.astype(dt), batch), broadcast_to(logd.astype(dt), batch)


def _cholesky_small(a):
    n = a.shape[-1]
    batch = a.shape[:-2]
    A = _entries(a)
    mul, sub, div = _U["multiply"], _U["subtract"], _U["divide"]
    L = [[None] * n for _ in range(n)]
    ok = None
    for j in range(n):
        d = A[j][j]
        for k in range(j):
            d = sub(d, mul(L[j][k], L[j][k]))
        good = _U["greater"](d, np.asarray(0, d.dtype))
        ok = good if ok is None else _U["logical_and"](ok, good)
        L[j][j] = _U["sqrt"](d)
        for i in range(j + 1, n):
            v = A[i][j]
            for k in range(j):
                v = sub(v, mul(L[i][k], L[j][k]))
            L[i][j] = div(v, L[j][j])
    _check(ok, errors.NOT_POSITIVE_DEFINITE)
    z = np.asarray(0, a.dtype)
    return _assemble([[L[i][j] if j <= i else z for j in range(n)] for i in range(n)], batch)


# ---- solve, inv, det, slogdet, cholesky ----------------------------------------------------------
def _broadcast_batch(a, b):
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return broadcast_to(a, batch + a.shape[-2:]), broadcast_to(b, batch + b.shape[-2:])


def _solve_matrix(a, b):
    """a (..., n, n), b (..., n, k), batches broadcast; one dtype."""
    try:
        a, b = _broadcast_batch(a, b)
    except errors.ShapeError as e:
        raise context.with_location(ValueError(str(e))) from None
    n = a.shape[-1]
    if a.size == 0 or b.size == 0:
        return b
    if n <= SMALL_N:
        return _solve_small(a, b)
    x, info = _op(LU_SOLVE, [a, b])
    _check(_ok(info), errors.SINGULAR)
    return x


def solve(a, b):
    if not any_tracer((a, b)):
        return np.linalg.solve(a, b)
    a, b = _asarr(a), _asarr(b)
    dt = _dtype(a, b)
    a, b = a.astype(dt), b.astype(dt)
    _square(a)
    n = a.shape[-1]
    if b.ndim == 1:
        if b.shape[0] != n:
            raise context.with_location(ValueError(
                f"solve1: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
                f"signature (m,m),(m)->(m) (size {b.shape[0]} is different from {n})"))
        return reshape(_solve_matrix(a, reshape(b, (n, 1))), a.shape[:-1])
    if b.shape[-2] != n:
        raise context.with_location(ValueError(
            f"solve: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
            f"signature (m,m),(m,n)->(m,n) (size {b.shape[-2]} is different from {n})"))
    return _solve_matrix(a, b)


def inv(a):
    if not any_tracer((a,)):
        return np.linalg.inv(a)
    a = _prep(a)
    _square(a)
    n = a.shape[-1]
    return _solve_matrix(a, broadcast_to(np.eye(n, dtype=a.dtype), a.shape))


def _slogdet3(a):
    """(sign, logabsdet, det) of a square stack, a float dtype."""
    n = a.shape[-1]
    batch = a.shape[:-2]
    dt = a.dtype
    if n == 0 or a.size == 0:
        one = broadcast_to(np.ones((), dt), batch)
        zero = broadcast_to(np.zeros((), dt), batch)
        if not isinstance(one, type(a)):
            one, zero = _asarr(one), _asarr(zero)
        return one, zero, one
    if n <= SMALL_N:
        s, lg = _slogdet_small(a)
        return s, lg, _U["multiply"](s, _U["exp"](lg))
    s, lg, d = _op(LU_SLOGDET, [a])
    return s, lg, d


def det(a):
    if not any_tracer((a,)):
        return np.linalg.det(a)
    a = _prep(a)
    _square(a)
    return _slogdet3(a)[2]


def slogdet(a):
    if not any_tracer((a,)):
        return np.linalg.slogdet(a)
    a = _prep(a)
    _square(a)
    s, lg, _ = _slogdet3(a)
    return SlogdetResult(s, lg)


def cholesky(a, /, *, upper=False):
    if not any_tracer((a,)):
        return np.linalg.cholesky(a, upper=upper)
    a = _prep(a)
    _square(a)
    n = a.shape[-1]
    if a.size == 0:
        return a
    if n <= SMALL_N:
        low = _cholesky_small(a)
    else:
        low, info = _op(CHOLESKY, [a])
        _check(_ok(info), errors.NOT_POSITIVE_DEFINITE)
    return _T(low) if upper else low


# ---- eigh, svd, qr ----------------------------------------------------------------------------------
def _uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise context.with_location(ValueError("UPLO argument must be 'L' or 'U'"))
    return UPLO == "L"


def eigh(a, UPLO="L"):
    if not any_tracer((a,)):
        return np.linalg.eigh(a, UPLO)
    a = _prep(a)
    _square(a)
    lower = _uplo(UPLO)
    if a.size == 0:
        return EighResult(_zeros(a.shape[:-1], a.dtype), a)
    w, v, info = _op(EIGH, [a], {"lower": lower})
    _check(_ok(info), errors.EIG_NO_CONVERGENCE)
    return EighResult(w, v)


def eigvalsh(a, UPLO="L"):
    if not any_tracer((a,)):
        return np.linalg.eigvalsh(a, UPLO)
    return eigh(a, UPLO)[0]


def _mat_prep(a):
    a = _prep(a)
    _at_least_2d(a)
    return a


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    if not any_tracer((a,)):
        return np.linalg.svd(a, full_matrices, compute_uv, hermitian)
    a = _mat_prep(a)
    if hermitian:
        _square(a)
    if not compute_uv:
        return svdvals(a)
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    k = min(m, n)
    if a.size == 0:
        um, vn = (m, n) if full_matrices else (k, k)
        eye_u = broadcast_to(np.eye(m, um, dtype=a.dtype), batch + (m, um))
        eye_v = broadcast_to(np.eye(vn, n, dtype=a.dtype), batch + (vn, n))
        return SVDResult(_asarr(eye_u), _zeros(batch + (k,), a.dtype), _asarr(eye_v))
    u, s, vt, info = _op(SVD, [a], {"full_matrices": bool(full_matrices)})
    _check(_ok(info), errors.SVD_NO_CONVERGENCE)
    return SVDResult(u, s, vt)


def svdvals(x, /):
    if not any_tracer((x,)):
        return np.linalg.svdvals(x)
    a = _mat_prep(x)
    if a.size == 0:
        return _zeros(a.shape[:-2] + (min(a.shape[-2:]),), a.dtype)
    s, info = _op(SVDVALS, [a])
    _check(_ok(info), errors.SVD_NO_CONVERGENCE)
    return s


def qr(a, mode="reduced"):
    if not any_tracer((a,)):
        return np.linalg.qr(a, mode)
    if mode not in ("reduced", "complete", "r", "raw"):
        raise context.with_location(ValueError(f"Unrecognized mode '{mode}'"))
    if mode == "raw":
        raise unsupported("np.linalg.qr(..., mode='raw') is not supported under jit")
    a = _mat_prep(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    if a.size == 0:
        qc = m if mode == "complete" else k
        q = _asarr(broadcast_to(np.eye(m, qc, dtype=a.dtype), batch + (m, qc)))
        r = _zeros(batch + ((m if mode == "complete" else k), n), a.dtype)
    else:
        q, r = _op(QR, [a], {"complete": mode == "complete"})
    return r if mode == "r" else QRResult(q, r)


# ---- composed from the SVD ------------------------------------------------------------------------
def _svd_reduced(a):
    return svd(a, full_matrices=False)


def _eps(dt):
    return float(np.finfo(dt).eps)


def pinv(a, rcond=None, hermitian=False, *, rtol=np._NoValue):
    if not any_tracer((a,)):
        kw = {} if rtol is np._NoValue else {"rtol": rtol}
        return np.linalg.pinv(a, rcond, hermitian, **kw)
    a = _mat_prep(a)
    m, n = a.shape[-2:]
    if rcond is None:
        rcond = (max(m, n) * _eps(a.dtype)) if rtol is np._NoValue or rtol is None else rtol
    if a.size == 0:
        return _zeros(a.shape[:-2] + (n, m), a.dtype)
    u, s, vt = _svd_reduced(a)
    cut = _U["multiply"](np.asarray(rcond, a.dtype), _max(s, axis=-1, keepdims=True))
    big = _U["greater"](s, cut)
    sinv = where(big, _U["divide"](np.asarray(1, a.dtype), where(big, s, np.asarray(1, a.dtype))),
                 np.asarray(0, a.dtype))
    return _matmul(_U["multiply"](_T(vt), sinv[..., None, :]), _T(u))


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    if not any_tracer((A,)):
        return np.linalg.matrix_rank(A, tol, hermitian, rtol=rtol)
    A = _asarr(A)
    if A.ndim < 2:
        nz = _U["not_equal"](A, np.asarray(0, A.dtype))
        from ._reductions import any as _any
        return _any(nz).astype(np.int64)
    A = _prep(A)
    s = svdvals(A)
    m, n = A.shape[-2:]
    if tol is None:
        r = rtol if rtol is not None else max(m, n) * _eps(A.dtype)
        tol = _U["multiply"](_max(s, axis=-1, keepdims=True) if s.shape[-1] else np.zeros((), A.dtype),
                             np.asarray(r, A.dtype))
    else:
        tol = _asarr(tol)[..., None] if not np.isscalar(tol) else np.asarray(tol, A.dtype)
    return _sum(_U["greater"](s, tol).astype(np.int64), axis=-1)


def lstsq(a, b, rcond=None):
    if not any_tracer((a, b)):
        return np.linalg.lstsq(a, b, rcond)
    a, b = _asarr(a), _asarr(b)
    dt = _dtype(a, b)
    a, b = a.astype(dt), b.astype(dt)
    if a.ndim != 2:
        raise context.with_location(np.linalg.LinAlgError(
            f"{a.ndim}-dimensional array given. Array must be two-dimensional"))
    if b.ndim not in (1, 2):
        raise context.with_location(np.linalg.LinAlgError(
            f"{b.ndim}-dimensional array given. Array must be one or two-dimensional"))
    m, n = a.shape
    vec = b.ndim == 1
    b2 = reshape(b, (m, 1)) if vec else b
    if b2.shape[0] != m:
        raise context.with_location(np.linalg.LinAlgError("Incompatible dimensions"))
    k = b2.shape[1]
    if rcond is None:
        rcond = _eps(dt) * max(m, n)
    u, s, vt = _svd_reduced(a)
    if s.shape[-1]:
        cut = _U["multiply"](np.asarray(rcond, dt), _max(s))
    else:
        cut = np.zeros((), dt)
    big = _U["greater"](s, cut)
    sinv = where(big, _U["divide"](np.asarray(1, dt), where(big, s, np.asarray(1, dt))), np.asarray(0, dt))
    x = _matmul(_T(vt), _U["multiply"](sinv[:, None], _matmul(_T(u), b2)))
    rank = _sum(big.astype(np.int32), dtype=np.int32)
    if m > n:
        r = _U["subtract"](b2, _matmul(a, x))
        resid = _sum(_U["multiply"](r, r), axis=0)
    else:
        resid = _zeros((0,), dt)
    if vec:
        x = reshape(x, (n,))
        if m > n:
            resid = reshape(resid, (1,))
    del k
    return x, resid, rank, s


# ---- products ---------------------------------------------------------------------------------------
def matrix_power(a, n):
    if not any_tracer((a,)):
        return np.linalg.matrix_power(a, n)
    a = _asarr(a)
    _square(a)
    try:
        n = int(n) if isinstance(n, (int, np.integer)) else n.__index__()
    except (AttributeError, TypeError):
        raise context.with_location(TypeError("exponent must be an integer")) from None
    if n == 0:
        return _asarr(broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape))
    if n < 0:
        a = inv(a)
        n = -n
    result, z = None, a
    while n:
        if n & 1:
            result = z if result is None else _matmul(result, z)
        n >>= 1
        if n:
            z = _matmul(z, z)
    return result


def _chain_order(shapes):
    """NumPy's matrix-chain order (dynamic programming over the dimensions)."""
    p = [shapes[0][0]] + [s[1] for s in shapes]
    n = len(shapes)
    m = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            m[i][j] = math.inf
            for k in range(i, j):
                c = m[i][k] + m[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if c < m[i][j]:
                    m[i][j], split[i][j] = c, k
    return split


def multi_dot(arrays, *, out=None):
    if not any_tracer(tuple(arrays)):
        return np.linalg.multi_dot(arrays, out=out)
    if out is not None:
        raise unsupported("multi_dot(..., out=) is not supported on traced arrays")
    arrays = [_asarr(x) for x in arrays]
    if len(arrays) < 2:
        raise context.with_location(ValueError("Expecting at least two arrays."))
    first_vec, last_vec = arrays[0].ndim == 1, arrays[-1].ndim == 1
    if first_vec:
        arrays[0] = reshape(arrays[0], (1, -1))
    if last_vec:
        arrays[-1] = reshape(arrays[-1], (-1, 1))
    for x in arrays:
        if x.ndim != 2:
            raise context.with_location(np.linalg.LinAlgError(
                f"{x.ndim}-dimensional array given. Array must be two-dimensional"))
    if len(arrays) == 2:
        r = _matmul(arrays[0], arrays[1])
    else:
        split = _chain_order([x.shape for x in arrays])

        def go(i, j):
            if i == j:
                return arrays[i]
            k = split[i][j]
            return _matmul(go(i, k), go(k + 1, j))
        r = go(0, len(arrays) - 1)
    if first_vec and last_vec:
        return reshape(r, ())
    if first_vec:
        return reshape(r, (r.shape[-1],))
    if last_vec:
        return reshape(r, (r.shape[0],))
    return r

