"""``xlaish.random``: counter-based random numbers with JAX's functional key API.

Why Threefry-2x32 (20 rounds): it is *counter-based* -- number ``i`` of a stream is a pure
function ``threefry(key, i)``, so the bits of an array are an elementwise op of an index grid
and are computed inside the fused kernel that consumes them (a dropout mask is never stored);
*stateless* -- no generator state to thread through compiled code, a key is an ordinary
``uint32[2]`` array (an argument, a result, a loop carry); *splittable* -- ``split``/``fold_in``
derive independent keys by encrypting counters, so parallel code needs no coordination; *the
same bits everywhere* -- 32-bit integer adds, rotations and xors have one answer on every
backend, thread count and AOT library; and it is what ``jax.random`` uses by default, so with
JAX's derivations followed here (``jax_threefry_partitionable``, JAX's default) the results can
be compared with ``jax.random`` bit for bit.

Bit-for-bit equal to ``jax.random`` (raw uint32 key data, ``jax.random.key_data``):
``key`` (integer seeds in int64; JAX without x64 agrees for seeds in [0, 2**31)), ``split``,
``fold_in``, ``bits``, ``uniform``, ``bernoulli`` and ``randint`` (both through ``uniform`` /
``bits`` with JAX's formulas). ``normal`` is ``sqrt(2) * erfinv(u)`` with JAX's ``u`` and XLA's
erfinv polynomial (M. Giles' single-precision approximation; float64 adds two Newton steps on
``erf``), ``exponential``, ``gumbel`` and ``categorical`` use JAX's formulas; these go through
``log``/``sqrt``/``erf``, whose last bit may differ between NumPy's libm, xlaish's vector math
and XLA's, so they are compared with JAX to a few ulps and tested by distribution; so are
``truncated_normal`` (JAX's inverse-CDF formula) and ``gamma``/``loggamma``/``beta``/``dirichlet``
(JAX's Marsaglia-Tsang loop and key derivation, :mod:`._gamma`).
``permutation`` and ``choice`` sort random 64-bit keys (one sort, not JAX's rounds of sorts):
same distribution, different bits from JAX.

Batched keys: every function but ``choice`` takes a key array of shape ``B + (2,)`` and gives
``B + shape``, each key drawing its own numbers: what ``jax.vmap`` over the keys gives (bit for
bit where the single-key result is).

``default_rng(seed)`` (:mod:`._generator`) is a stateful NumPy-shaped generator over these keys
whose state advances on every call of a compiled function; it does not reproduce NumPy's streams.

Every function works under ``xlaish.jit`` (traced: the bits are ``threefry2x32`` ops of an
``iota``, :mod:`xlaish.ir.ops.rng`) and outside it (NumPy, the op's reference: the same bits).
Traced, the counter of an array of more than ``xlaish.passes.fold.FOLD_LIMIT`` elements stays an
index grid computed in the kernel; a smaller multi-dimensional one is folded into a constant
index array like any small iota arithmetic (the bits themselves are still computed in the kernel
unless the key is a constant too).
"""
from __future__ import annotations

from ._core import (
                    PRNGKey,
                    bernoulli,
                    bits,
                    categorical,
                    choice,
                    exponential,
                    fold_in,
                    gumbel,
                    key,
                    normal,
                    permutation,
                    randint,
                    split,
                    truncated_normal,
                    uniform,
)
from ._gamma import beta, dirichlet, gamma, loggamma
from ._generator import Generator, default_rng

__all__ = ["key", "PRNGKey", "split", "fold_in", "bits", "uniform", "normal", "truncated_normal",
           "bernoulli", "randint", "exponential", "gumbel", "gamma", "loggamma", "beta", "dirichlet",
           "categorical", "permutation", "choice", "default_rng", "Generator"]
