"""``xlaish.random`` against ``jax.random``: bit for bit where JAX's derivation is followed.

JAX's default (``jax_threefry_partitionable=True``) is set explicitly for these tests; 64-bit
results (uint64 bits, float64 uniforms, int64 seeds) are compared with x64 enabled, inside a
fixture that restores JAX's configuration (other tests may have turned x64 on).
"""
from __future__ import annotations

import numpy as np
import pytest

from xlaish import random as xr

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


@pytest.fixture
def jr():
    old = (jax.config.jax_threefry_partitionable, jax.config.jax_enable_x64)
    jax.config.update("jax_threefry_partitionable", True)
    jax.config.update("jax_enable_x64", False)      # JAX's defaults (float32 draws), whatever ran before
    yield jax.random
    jax.config.update("jax_threefry_partitionable", old[0])
    jax.config.update("jax_enable_x64", old[1])


@pytest.fixture
def jr64(jr):
    jax.config.update("jax_enable_x64", True)
    return jr


def _same(got, want):
    want = np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", [0, 1, 42, 2 ** 31 - 1])
def test_key_split_fold_in(jr, seed):
    k, jk = xr.key(seed), jr.PRNGKey(seed)
    _same(k, jk)
    for n in (1, 2, 5):
        _same(xr.split(k, n), jr.split(jk, n))
    for d in (0, 7, 2 ** 32 - 1):
        _same(xr.fold_in(k, d), jr.fold_in(jk, d))


@pytest.mark.parametrize("seed", [-1, 2 ** 40 + 3, -2 ** 63])
def test_int64_seeds(jr64, seed):
    _same(xr.key(seed), jr64.PRNGKey(seed))


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 7)])
def test_bits_and_uniform(jr, shape):
    k, jk = xr.key(11), jr.PRNGKey(11)
    _same(xr.bits(k, shape), jr.bits(jk, shape))
    for dt in (np.uint8, np.uint16):
        _same(xr.bits(k, shape, dt), jr.bits(jk, shape, dt))
    _same(xr.uniform(k, shape), jr.uniform(jk, shape))
    _same(xr.uniform(k, shape, np.float16), jr.uniform(jk, shape, jnp.float16))


def test_64_bit_bits_and_uniform(jr64):
    k, jk = xr.key(3), jr64.PRNGKey(3)
    _same(xr.bits(k, (50,), np.uint64), jr64.bits(jk, (50,), jnp.uint64))
    _same(xr.uniform(k, (50,), np.float64), jr64.uniform(jk, (50,), jnp.float64))


def test_uniform_range_within_an_ulp(jr):
    """XLA on the CPU contracts ``u * (max - min) + min`` into a fused multiply-add; xlaish rounds
    the product and the sum (NumPy's semantics): one rounding of the range's scale apart."""
    k, jk = xr.key(2), jr.PRNGKey(2)
    got = xr.uniform(k, (2000,), minval=-3.0, maxval=2.5)
    want = np.asarray(jr.uniform(jk, (2000,), minval=-3.0, maxval=2.5))
    np.testing.assert_allclose(got, want, rtol=0, atol=3.0 * np.finfo(np.float32).eps)
    assert (got == want).mean() > 0.5
    assert got.min() >= -3.0 and got.max() < 2.5


def test_bernoulli_and_randint(jr):
    k, jk = xr.key(9), jr.PRNGKey(9)
    _same(xr.bernoulli(k, 0.3, (100,)), jr.bernoulli(jk, 0.3, (100,)))
    p = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    _same(xr.bernoulli(k, p), jr.bernoulli(jk, p))
    for lo, hi, dt in ((-5, 17, np.int32), (0, 256, np.uint8), (3, 3, np.int32), (10, 2, np.int32),
                       (-2 ** 31, 2 ** 31 - 1, np.int32), (0, 2 ** 16, np.uint16)):
        _same(xr.randint(k, (64,), lo, hi, dt), jr.randint(jk, (64,), lo, hi, dt))


def test_distributions_within_a_few_ulps(jr):
    """normal, exponential and gumbel follow JAX's formulas through log/sqrt, whose last bits
    differ between libraries."""
    k, jk = xr.key(4), jr.PRNGKey(4)
    for name in ("normal", "exponential", "gumbel"):
        got, want = getattr(xr, name)(k, (5000,)), np.asarray(getattr(jr, name)(jk, (5000,)))
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4], np.float32))
    got = xr.categorical(k, logits, shape=(1000,))
    want = np.asarray(jr.categorical(jk, logits, shape=(1000,)))
    assert (got == want).mean() > 0.99


def test_batched_keys_match_vmap(jr):
    """A key array of shape (k, 2) gives what jax.vmap over the keys gives."""
    ks, jks = xr.split(xr.key(5), 4), jr.split(jr.PRNGKey(5), 4)
    vm = jax.vmap
    _same(xr.split(ks, 3), vm(lambda q: jr.split(q, 3))(jks))
    _same(xr.fold_in(ks, 9), vm(lambda q: jr.fold_in(q, 9))(jks))
    _same(xr.bits(ks, (2, 3)), vm(lambda q: jr.bits(q, (2, 3)))(jks))
    _same(xr.uniform(ks, (7,)), vm(lambda q: jr.uniform(q, (7,)))(jks))
    _same(xr.randint(ks, (6,), -4, 9), vm(lambda q: jr.randint(q, (6,), -4, 9))(jks))
    _same(xr.bernoulli(ks, 0.3, (8,)), vm(lambda q: jr.bernoulli(q, 0.3, (8,)))(jks))
    _same(xr.key(np.arange(3)), vm(jr.PRNGKey)(jnp.arange(3)))
    nested, jnested = xr.split(ks, 2), vm(lambda q: jr.split(q, 2))(jks)    # (4, 2, 2): two batch axes
    _same(xr.uniform(nested, (3,)), vm(vm(lambda q: jr.uniform(q, (3,))))(jnested))
    np.testing.assert_allclose(xr.normal(ks, (50,)), vm(lambda q: jr.normal(q, (50,)))(jks),
                               rtol=1e-5, atol=1e-6)


def test_truncated_normal(jr):
    k, jk = xr.key(6), jr.PRNGKey(6)
    for lo, hi in ((-1.0, 2.0), (0.5, 4.0), (-3.0, -2.5)):
        got = xr.truncated_normal(k, lo, hi, (3000,))
        want = np.asarray(jr.truncated_normal(jk, lo, hi, (3000,)))
        assert got.dtype == want.dtype and got.min() > lo and got.max() < hi
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)
    lo = np.array([-1.0, 0.0, 1.0], np.float32)
    got = xr.truncated_normal(k, lo, 2.0)
    assert got.shape == (3,)
    np.testing.assert_allclose(got, jr.truncated_normal(jk, lo, 2.0), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("alpha", [0.3, 1.0, 2.5, 10.0])
def test_gamma_and_loggamma(jr, alpha):
    """JAX's algorithm and key derivation: every sample equals JAX's to a few ulps (at these
    seeds no accept/reject decision flips on the last bit of a log)."""
    k, jk = xr.key(8), jr.PRNGKey(8)
    got, want = xr.gamma(k, alpha, (2000,)), np.asarray(jr.gamma(jk, alpha, (2000,)))
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(xr.loggamma(k, alpha, (2000,)), jr.loggamma(jk, alpha, (2000,)),
                               rtol=1e-5, atol=1e-6)


def test_gamma_array_alpha_beta_dirichlet(jr):
    k, jk = xr.key(10), jr.PRNGKey(10)
    a = np.array([[0.2, 1.5], [4.0, 0.9]], np.float32)
    np.testing.assert_allclose(xr.gamma(k, a), jr.gamma(jk, a), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(xr.beta(k, 0.5, 2.0, (1000,)), jr.beta(jk, 0.5, 2.0, (1000,)),
                               rtol=1e-5, atol=1e-7)
    al = np.array([0.5, 1.0, 3.0], np.float32)
    np.testing.assert_allclose(xr.dirichlet(k, al, (200,)), jr.dirichlet(jk, al, (200,)),
                               rtol=1e-5, atol=1e-7)
    ks, jks = xr.split(k, 3), jr.split(jk, 3)
    np.testing.assert_allclose(xr.gamma(ks, 2.0, (50,)), jax.vmap(lambda q: jr.gamma(q, 2.0, (50,)))(jks),
                               rtol=1e-5, atol=1e-7)


def test_permutation_batched_keys(jr):
    ks = xr.split(xr.key(1), 5)
    p = xr.permutation(ks, 7)
    assert p.shape == (5, 7) and (np.sort(p, axis=1) == np.arange(7)).all()
    for i in range(5):
        _same(p[i], xr.permutation(ks[i], 7))
