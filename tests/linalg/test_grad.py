"""Gradients of np.linalg (JAX's rules for the LAPACK ops; the inline path differentiates through
its elementwise code), checked against central differences (``xlaish.test_util.check_grads``,
float64) at both sizes. Symmetric-input functions (cholesky, eigh) are differentiated through a
symmetric parametrisation ``a = m m^T + n I`` (the rules symmetrize, as JAX's do); eigenvectors
and singular vectors enter through sign-invariant functions (squares)."""
from __future__ import annotations

import numpy as np
import pytest

from xlaish.test_util import check_grads

SIZES = (3, 6)


def _general(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((2, n, n)) + n * np.eye(n)


def _spd(m):
    return m @ np.swapaxes(m, -1, -2) + m.shape[-1] * np.eye(m.shape[-1])


@pytest.mark.parametrize("n", SIZES)
def test_solve_and_inv(n):
    a = _general(n)
    b = np.random.default_rng(1).standard_normal((2, n, 2))
    check_grads(lambda a, b: np.linalg.solve(a, b), (a, b))
    check_grads(np.linalg.inv, (a,))


@pytest.mark.parametrize("n", SIZES)
def test_det_and_slogdet(n):
    a = _general(n)
    check_grads(np.linalg.det, (a,))
    check_grads(lambda a: np.linalg.slogdet(a)[1], (a,))


@pytest.mark.parametrize("n", SIZES)
def test_cholesky(n):
    m = _general(n, 2) / n
    check_grads(lambda m: np.linalg.cholesky(_spd(m)), (m,))


@pytest.mark.parametrize("n", SIZES)
def test_eigh(n):
    m = _general(n, 3) / n
    check_grads(lambda m: np.linalg.eigvalsh(_spd(m)), (m,))
    check_grads(lambda m: np.linalg.eigh(_spd(m))[1] ** 2, (m,))


@pytest.mark.parametrize("n", SIZES)
def test_singular_values(n):
    a = np.random.default_rng(4).standard_normal((2, n + 1, n))
    check_grads(lambda a: np.linalg.svd(a, compute_uv=False), (a,))
    check_grads(lambda a: np.linalg.svd(a, full_matrices=False)[1], (a,))
    check_grads(lambda a: np.linalg.norm(a, "nuc", axis=(-2, -1)), (a,))


@pytest.mark.parametrize("shape", [(2, 4, 3), (2, 3, 4), (3, 3)])
def test_singular_vectors(shape):
    a = np.random.default_rng(5).standard_normal(shape)
    # u and vt enter squared (their signs are arbitrary); u * s @ vt is sign-free as a whole
    check_grads(lambda a: tuple(x ** 2 for x in np.linalg.svd(a, full_matrices=False)), (a,))
    check_grads(lambda a: (lambda u, s, vt: (u * s[..., None, :]) @ vt)(*np.linalg.svd(a, False)), (a,))
