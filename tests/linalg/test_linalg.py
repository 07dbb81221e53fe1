"""np.linalg decompositions and solvers inside jit, against NumPy.

Inputs are random and well conditioned (diagonally dominant; SPD as ``m m^T + n I``). Tolerances:
float32 rtol 1e-4, float64 rtol 1e-10 (atol the same times the result's scale). Sizes 3 (the
inline path: unrolled LU / Cholesky, n <= ``SMALL_N``) and 6 (the LAPACK kernel) are both run.
Eigenvectors, singular vectors and Q/R are compared with each vector's sign fixed (the sign of the
sum of its cubed entries): the LAPACK calls are NumPy's, but a rounding difference in the last
place (buffer alignment inside OpenBLAS) may flip a vector, and NumPy promises no sign.
"""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.errors import UnsupportedError
from xlaish.numpy import _decomp
from xlaish.numpy import linalg as xlinalg

RTOL = {np.float32: 1e-4, np.float64: 1e-10}
SIZES = (3, 6)
assert SIZES[0] <= _decomp.SMALL_N < SIZES[1]


def close(got, exp, dt, what=""):
    got, exp = np.asarray(got), np.asarray(exp)
    assert got.shape == exp.shape, f"{what}: shape {got.shape} != {exp.shape}"
    assert got.dtype == exp.dtype, f"{what}: dtype {got.dtype} != {exp.dtype}"
    r = RTOL[np.dtype(dt).type]
    scale = max(1.0, float(np.max(np.abs(exp)))) if exp.size else 1.0
    np.testing.assert_allclose(got, exp, rtol=r, atol=r * scale, err_msg=what)


def general(rng, shape, dt):
    n = shape[-1]
    return (rng.standard_normal(shape) + n * np.eye(n)).astype(dt)


def spd(rng, shape, dt):
    m = rng.standard_normal(shape)
    return (m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dt)


def rect(rng, shape, dt):
    return rng.standard_normal(shape).astype(dt)


def _sgn(v, axis):
    s = np.sign(np.sum(v * v * v, axis=axis, keepdims=True))
    return np.where(s == 0, 1, s).astype(v.dtype)


def eigh_c(w, v):
    return w, v * _sgn(v, -2)


def svd_c(u, s, vt):
    return u * _sgn(u, -2), s, vt * _sgn(vt, -1)


def qr_c(q, r):
    sq = _sgn(q, -2)
    return q * sq, r * np.swapaxes(sq, -1, -2)[..., : r.shape[-2], :]


# name -> (function of the inputs, input makers given (rng, batch, n, dtype))
CASES = {
    "solve": (lambda a, b: np.linalg.solve(a, b),
              lambda r, bt, n, dt: (general(r, bt + (n, n), dt), rect(r, bt + (n, 2), dt))),
    "inv": (np.linalg.inv, lambda r, bt, n, dt: (general(r, bt + (n, n), dt),)),
    "det": (np.linalg.det, lambda r, bt, n, dt: (general(r, bt + (n, n), dt),)),
    "slogdet": (lambda a: tuple(np.linalg.slogdet(a)), lambda r, bt, n, dt: (general(r, bt + (n, n), dt),)),
    "cholesky": (lambda a: (np.linalg.cholesky(a), np.linalg.cholesky(a, upper=True)),
                 lambda r, bt, n, dt: (spd(r, bt + (n, n), dt),)),
    "qr": (lambda a: (qr_c(*np.linalg.qr(a)), qr_c(*np.linalg.qr(a, "complete"))),
           lambda r, bt, n, dt: (rect(r, bt + (n + 1, n), dt),)),
    "eigh": (lambda a: (eigh_c(*np.linalg.eigh(a)), eigh_c(*np.linalg.eigh(a, "U"))),
             lambda r, bt, n, dt: (spd(r, bt + (n, n), dt) + rect(r, bt + (n, n), dt) * 0.1,)),
    "eigvalsh": (np.linalg.eigvalsh, lambda r, bt, n, dt: (spd(r, bt + (n, n), dt),)),
    "svd": (lambda a: (svd_c(*np.linalg.svd(a)), svd_c(*np.linalg.svd(a, full_matrices=False)),
                       np.linalg.svd(a, compute_uv=False)),
            lambda r, bt, n, dt: (rect(r, bt + (n, n + 2), dt),)),
    "qr_r": (lambda a: np.abs(np.linalg.qr(a, "r")), lambda r, bt, n, dt: (rect(r, bt + (n + 1, n), dt),)),
    "svdvals": (np.linalg.svdvals, lambda r, bt, n, dt: (rect(r, bt + (n + 1, n), dt),)),
    "pinv": (np.linalg.pinv, lambda r, bt, n, dt: (rect(r, bt + (n + 1, n), dt),)),
    "matrix_rank": (lambda a: np.linalg.matrix_rank(a),
                    lambda r, bt, n, dt: (rect(r, bt + (n, 2), dt) @ rect(r, bt + (2, n), dt),)),
    "cond": (lambda a: (np.linalg.cond(a), np.linalg.cond(a, -2), np.linalg.cond(a, "fro"),
                        np.linalg.cond(a, 1)),
             lambda r, bt, n, dt: (general(r, bt + (n, n), dt),)),
    "matrix_power": (lambda a: (np.linalg.matrix_power(a, 5), np.linalg.matrix_power(a, -2),
                                np.linalg.matrix_power(a, 0)),
                     lambda r, bt, n, dt: (general(r, bt + (n, n), dt) / n,)),
    "norm": (lambda a: tuple(np.linalg.norm(a, o, axis=(-2, -1)) for o in (2, -2, "nuc")),
             lambda r, bt, n, dt: (rect(r, bt + (n, n + 1), dt),)),
}
NO_BATCH = {  # 2-D only in NumPy
    "lstsq": (lambda a, b: np.linalg.lstsq(a, b),
              lambda r, bt, n, dt: (rect(r, (n + 2, n), dt), rect(r, (n + 2, 2), dt))),
    "lstsq_vec": (lambda a, b: np.linalg.lstsq(a, b),
                  lambda r, bt, n, dt: (rect(r, (n + 2, n), dt), rect(r, (n + 2,), dt))),
    "lstsq_wide": (lambda a, b: np.linalg.lstsq(a, b, rcond=None),
                   lambda r, bt, n, dt: (rect(r, (n, n + 2), dt), rect(r, (n,), dt))),
    "multi_dot": (lambda a, b, c, d: (np.linalg.multi_dot([a, b, c, d]), np.linalg.multi_dot([a[0], b, c])),
                  lambda r, bt, n, dt: (rect(r, (n, 2 * n), dt), rect(r, (2 * n, 3), dt),
                                        rect(r, (3, n + 1), dt), rect(r, (n + 1, 2), dt))),
}


def _flat(x):
    if isinstance(x, tuple):
        return [y for v in x for y in _flat(v)]
    return [x]


def test_every_new_function_has_cases():
    new = set(xlinalg.__all__) - {"norm", "vector_norm", "matrix_norm", "matmul", "outer", "trace",
                                  "diagonal", "matrix_transpose", "vecdot", "cross", "tensordot"}
    assert new <= set(CASES) | set(NO_BATCH) | {"lstsq"}


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", sorted(CASES) + sorted(NO_BATCH))
def test_matches_numpy(name, n, dt):
    fn, make = CASES.get(name) or NO_BATCH[name]
    rng = np.random.default_rng(n)
    batch = () if name in NO_BATCH else (2, 3)
    args = make(rng, batch, n, dt)
    exp = _flat(fn(*args))
    got = _flat(xl.jit(fn)(*args))
    assert len(got) == len(exp)
    for i, (g, e) in enumerate(zip(got, exp)):
        close(g, e, dt, f"{name} result {i}")


@pytest.mark.parametrize("name", ["solve", "det", "cholesky", "eigh", "svd", "qr", "slogdet"])
def test_unbatched_and_4d(name):
    fn, make = CASES[name]
    rng = np.random.default_rng(7)
    for batch in [(), (2, 1, 2)]:
        args = make(rng, batch, 5, np.float64)
        for g, e in zip(_flat(xl.jit(fn)(*args)), _flat(fn(*args))):
            close(g, e, np.float64, f"{name} batch {batch}")


@pytest.mark.parametrize("name", ["solve", "det", "cholesky", "eigh", "svd", "qr"])
def test_interpreter_matches(name):
    """The ops' NumPy references (the interpreter) agree with NumPy too."""
    fn, make = CASES[name]
    args = make(np.random.default_rng(1), (2,), 5, np.float64)
    for g, e in zip(_flat(xl.jit(fn, device="interpreter")(*args)), _flat(fn(*args))):
        close(g, e, np.float64, name)


def test_integer_inputs_promote_to_float64():
    a = np.array([[4, 1], [2, 3]], np.int32)
    b = np.array([1, 2], np.int64)
    f = xl.jit(lambda a, b: (np.linalg.solve(a, b), np.linalg.det(a), np.linalg.inv(a),
                             np.linalg.eigvalsh(a + a.T), np.linalg.svd(a, compute_uv=False)))
    for g, e in zip(f(a, b), (np.linalg.solve(a, b), np.linalg.det(a), np.linalg.inv(a),
                              np.linalg.eigvalsh(a + a.T), np.linalg.svd(a, compute_uv=False))):
        close(g, e, np.float64)


@pytest.mark.parametrize("n", SIZES)
def test_solve_broadcasting(n):
    rng = np.random.default_rng(3)
    a = general(rng, (2, 1, n, n), np.float64)
    cases = [(a, rect(rng, (3, n, 2), np.float64)),      # batches broadcast
             (a, rect(rng, (n,), np.float64)),           # b 1-D: a vector for every matrix
             (a[0, 0], rect(rng, (4, n, 1), np.float64)),  # one matrix, a stack of b
             (a[:, 0], rect(rng, (2, n, n), np.float64))]
    f = xl.jit(np.linalg.solve)
    for x, y in cases:
        close(f(x, y), np.linalg.solve(x, y), np.float64, f"{x.shape} {y.shape}")


def test_empty_batches_and_0x0():
    f = xl.jit(lambda a: (np.linalg.det(a), *np.linalg.slogdet(a), np.linalg.inv(a),
                          np.linalg.cholesky(a), *np.linalg.eigh(a), *np.linalg.svd(a), *np.linalg.qr(a),
                          np.linalg.solve(a, a)))
    for shape in [(0, 5, 5), (0, 3, 3), (2, 0, 0), (0, 0)]:
        a = np.zeros(shape)
        exp = (np.linalg.det(a), *np.linalg.slogdet(a), np.linalg.inv(a), np.linalg.cholesky(a),
               *np.linalg.eigh(a), *np.linalg.svd(a), *np.linalg.qr(a), np.linalg.solve(a, a))
        for i, (g, e) in enumerate(zip(f(a), exp)):
            close(g, e, np.float64, f"{shape} result {i}")


@pytest.mark.parametrize("n", SIZES)
def test_non_contiguous_inputs(n):
    rng = np.random.default_rng(4)
    big = general(rng, (3, 2 * n, 2 * n), np.float64)
    views = [np.swapaxes(big[:, :n, :n], -1, -2), big[:, ::2, ::2], big[::-1, n:, :n]]
    f = xl.jit(lambda a: (np.linalg.inv(a), np.linalg.det(a), np.linalg.svd(a, compute_uv=False)))
    for v in views:
        for g, e in zip(f(v), (np.linalg.inv(v), np.linalg.det(v), np.linalg.svd(v, compute_uv=False))):
            close(g, e, np.float64)
    s = spd(rng, (n, n), np.float64)
    b = rect(rng, (2 * n, 3), np.float64)[::2]
    close(xl.jit(np.linalg.solve)(s.T, b), np.linalg.solve(s.T, b), np.float64)


def test_complex_is_refused_by_name():
    with pytest.raises(UnsupportedError, match="complex"):
        xl.jit(np.linalg.det)(np.eye(2) * (1 + 1j))
