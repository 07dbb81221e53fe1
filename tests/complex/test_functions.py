"""Complex arrays through NumPy functions, casts, in-place updates, loops and gradients under jit.

NumPy is the oracle (the same function run on NumPy). Tolerances as in ``test_ops``: complex64
rtol 1e-5, complex128 rtol 1e-12 (norm-wise).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import xlaish as xl
from tests.complex.test_ops import assert_close, crandom
from xlaish.numpy import _complex

CDTYPES = [np.complex64, np.complex128]

FUNCS = {
    "real_imag": lambda z, w: (np.real(z), np.imag(z), z.real, z.imag),
    "conj": lambda z, w: (np.conj(z), np.conjugate(z), z.conj(), z.conjugate()),
    "angle": lambda z, w: (np.angle(z), np.angle(z, deg=True)),
    "sum": lambda z, w: (np.sum(z), z.sum(axis=0), np.sum(z, axis=(0, 1), keepdims=True)),
    "prod": lambda z, w: (np.prod(z * 0.5, axis=1), np.prod(z[:, :3] * 0.5), np.prod(z[:0], axis=0)),
    "mean_var": lambda z, w: (np.mean(z), z.mean(axis=1), np.var(z), np.std(z, axis=0)),
    "matmul": lambda z, w: (z @ w, np.dot(z, w), np.matmul(z[0], w), z[0] @ w[:, 0]),
    "vdot_inner": lambda z, w: (np.vdot(z, z), np.inner(z, z), np.outer(z[0], z[1])),
    "einsum": lambda z, w: (np.einsum("ij,jk->ik", z, w), np.einsum("ij->j", z), np.tensordot(z, w, 1)),
    "where": lambda z, w: (np.where(np.abs(z) > 1, z, 0), np.where(z.real > 0, z, 2j)),
    "round": lambda z, w: (np.round(z * 10, 1), np.round(z), np.rint(z), np.around(z, 2)),
    "shape": lambda z, w: (z.T[1:, ::2], z.reshape(-1)[::3], np.concatenate([z, z * 2]), np.stack([z, z]),
                           np.flip(z), np.roll(z, 2), np.diag(z), np.trace(z), z[[0, 2, 1]]),
    "cumsum_diff": lambda z, w: (np.cumsum(z), np.cumsum(z, axis=1), np.diff(z)),
    "compare": lambda z, w: (z == w.T, z != z[0], z < z[0], z >= z[:, :1], np.maximum(z, z[0]),
                             np.isclose(z, z + 1e-13)),
    "counts": lambda z, w: (np.count_nonzero(z), np.iscomplex(z), np.isreal(z), np.iscomplexobj(z) * z),
    "sort_complex": lambda z, w: (np.sort_complex(z), np.sort_complex(z.real)),
    "constants": lambda z, w: (np.full(3, 1 + 2j), np.zeros_like(z) + np.ones(5, complex), z * (2 - 1j)),
    "from_real": lambda z, w: (np.real(z).astype(np.complex64), z.real + 1j * z.imag, np.abs(z) ** 2),
}


@pytest.mark.parametrize("dt", CDTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_function_matches_numpy(jit, rng, name, dt):
    f = FUNCS[name]
    z, w = crandom(rng, (4, 5), dt, 1.5), crandom(rng, (5, 4), dt, 1.5)
    got, want = jit(f)(z, w), f(z, w)
    for g, e in zip(got, want):
        assert_close(g, e)


def test_complex_to_real_cast_warns_at_trace_time(jit):
    z = np.array([1 + 2j, -3 - 4j])
    f = jit(lambda z: z.astype(np.float32) + 1)
    with pytest.warns(np.exceptions.ComplexWarning) as rec:
        got = f(z)
    assert any(__file__ == r.filename for r in rec), [r.filename for r in rec]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        want = z.astype(np.float32) + 1
    assert_close(got, want)
    assert_close(jit(lambda z: z.astype(bool))(np.array([0j, 1j, 2])), np.array([0j, 1j, 2]).astype(bool))
    assert_close(jit(lambda z: z.astype(np.complex64))(z), z.astype(np.complex64))


def test_mutated_complex_arguments_hold_numpy_result(jit, rng):
    def f(z, c):
        z *= 2
        z[np.abs(z) > 2] = 0.5j
        z[0] += c[0]
        c[1:] = z[1:] * 1j
        return np.sum(z)
    z0, c0 = crandom(rng, (6,), np.complex128), crandom(rng, (6,), np.complex128)
    za, ca, zb, cb = z0.copy(), c0.copy(), z0.copy(), c0.copy()
    got = jit(f)(za, ca)
    want = f(zb, cb)
    assert_close(got, want)
    assert_close(za, zb)
    assert_close(ca, cb)


def test_as_pairs_from_pairs(jit, rng):
    z = crandom(rng, (3, 4), np.complex64)
    np.testing.assert_array_equal(_complex.as_pairs(z), z.view(np.float32).reshape(3, 4, 2))
    np.testing.assert_array_equal(_complex.from_pairs(_complex.as_pairs(z)), z)
    f = jit(lambda z: (_complex.as_pairs(z), _complex.from_pairs(_complex.as_pairs(z * 2) + 1.0),
                       _complex.as_pairs(z.T)[::2]))
    p, back, strided = f(z)
    np.testing.assert_array_equal(p, z.view(np.float32).reshape(3, 4, 2))
    assert back.dtype == np.complex64
    assert_close(back, (z * 2) + (1 + 1j))
    np.testing.assert_array_equal(strided, np.ascontiguousarray(z.T).view(np.float32).reshape(4, 3, 2)[::2])
    g = jit(lambda p: _complex.from_pairs(p))
    pairs = rng.standard_normal((5, 2))
    assert_close(g(pairs), pairs[:, 0] + 1j * pairs[:, 1])


def mandelbrot(c, maxit):
    z = np.zeros_like(c)
    count = np.zeros(c.shape, np.int32)
    for _ in range(maxit):
        z = z * z + c
        alive = np.abs(z) <= 2
        count = count + alive
        z = np.where(alive, z, 2)
    return count, z


@pytest.mark.parametrize("dt", CDTYPES, ids=lambda d: np.dtype(d).name)
def test_mandelbrot_traced_loop(jit, dt):
    """A Python loop over a traced trip count: one while op carrying complex z (two real carries)."""
    x, y = np.linspace(-2, 0.5, 23), np.linspace(-1.2, 1.2, 17)
    c = (x[None, :] + 1j * y[:, None]).astype(dt)
    count, z = jit(mandelbrot)(c, 12)
    want_count, want_z = mandelbrot(c, 12)
    np.testing.assert_array_equal(count, want_count)
    assert_close(z, want_z, rtol=1e-3 if dt == np.complex64 else 1e-9)   # 12 chaotic iterations


def test_while_on_complex_condition(jit):
    def grow(z):
        k = 0
        while np.abs(z).max() < 1e3:
            z = z * (1.1 + 0.3j)
            k += 1
        return z, k
    z0 = np.array([1 + 1j, 0.5 - 0.2j])
    got, want = jit(grow)(z0), grow(z0)
    assert_close(got[0], want[0])
    assert got[1] == want[1]


def test_cond_on_complex(jit):
    def f(z, flag):
        if flag > 0:
            z = z * 1j
        else:
            z = np.conj(z)
        return z
    z = np.array([1 + 2j, 3 - 1j])
    for flag in (1.0, -1.0):
        assert_close(jit(f)(z, flag), f(z, flag))


def _central(loss, z, h=1e-6):
    """JAX's convention from central differences: dL/dx - i dL/dy per element."""
    g = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[i] = h
        dx = (loss(z + e) - loss(z - e)) / (2 * h)
        dy = (loss(z + 1j * e) - loss(z - 1j * e)) / (2 * h)
        g[i] = dx - 1j * dy
    return g


@pytest.mark.parametrize("loss", [
    lambda z: np.sum(np.abs(np.exp(z) * z + 1j * z) ** 2),
    lambda z: np.real(np.sum(np.sin(z) / (z + 3))),
    lambda z: np.sum(np.angle(z * z.conj() + z)) + np.imag(z @ z),
    lambda z: np.abs(np.prod(np.sqrt(z + 2))),
], ids=["abs2", "real_sin_div", "angle_matmul", "prod_sqrt"])
def test_grad_of_real_loss_is_jax_convention(loss, rng):
    z = crandom(rng, (4,), np.complex128, 1.0)
    g = xl.grad(loss)(z)
    assert g.dtype == np.complex128
    np.testing.assert_allclose(g, _central(loss, z), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(xl.jit(xl.grad(loss))(z), g, rtol=1e-12)


def test_grad_through_loop_with_complex_carry(rng):
    def loss(c, n):
        z = np.zeros_like(c)
        for _ in range(n):
            z = z * z * 0.5 + c
        return np.sum(np.abs(z) ** 2)
    c = crandom(rng, (3,), np.complex128, 0.5)
    g = xl.grad(loss)(c, 5)
    np.testing.assert_allclose(g, _central(lambda c: loss(c, 5), c), rtol=1e-6, atol=1e-8)


def test_unsupported_complex_ops_are_named():
    z = np.ones(3, np.complex128)
    with pytest.raises(xl.UnsupportedError, match="max"):
        xl.jit(lambda z: np.max(z))(z)
    with pytest.raises(xl.UnsupportedError, match="cumprod"):
        xl.jit(lambda z: np.cumprod(z))(z)


def test_pairs_inside_a_traced_loop(jit):
    """as_pairs of a loop-carried (split) complex value materialises it; from_pairs reads back."""
    def f(z, n):
        for _ in range(n):
            p = _complex.as_pairs(z * 1j)
            z = _complex.from_pairs(p[..., ::-1]) + 0.5
        return z

    def ref(z, n):
        for _ in range(n):
            p = (z * 1j).view(np.float64).reshape(z.shape + (2,))
            z = np.ascontiguousarray(p[..., ::-1]).view(np.complex128).reshape(z.shape) + 0.5
        return z
    z = np.array([1 + 2j, 3 - 1j, 0.5j])
    assert_close(jit(f)(z, 3), ref(z, 3))
