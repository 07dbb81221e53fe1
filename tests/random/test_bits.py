"""The ``threefry2x32`` op and ``xlaish.random``'s bits: the same on every path.

The NumPy reference is checked against Random123's published known-answer vectors; the compiled
rule (default device) and the interpreter are checked against the reference; every public
function gives the same values under ``jit`` as outside it.
"""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish import random as xr
from xlaish.errors import IRError
from xlaish.ir.opnames import THREEFRY2X32
from xlaish.ir.ops.rng import pack_words, split_words, threefry2x32, threefry_words
from xlaish.trace.bind import emit1, to_value, wrap

# Random123's kat_vectors for threefry2x32_20: (key, counter) -> result
KAT = [((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6b200159, 0x99ba4efe)),
       ((0xffffffff, 0xffffffff), (0xffffffff, 0xffffffff), (0x1cb996fc, 0xbb002be7)),
       ((0x13198a2e, 0x03707344), (0x243f6a88, 0x85a308d3), (0xc4923a9c, 0x483df7a0))]


@pytest.mark.parametrize("k, x, want", KAT)
def test_reference_matches_random123_known_answers(k, x, want):
    got = threefry_words(*k, *x)
    assert tuple(int(v) for v in got) == want
    packed = threefry2x32(pack_words(*k), pack_words(*x))
    assert tuple(int(v) for v in split_words(packed)) == want


def _op(key, counter):
    return wrap(emit1(THREEFRY2X32, [to_value(key), to_value(counter)]))


@pytest.mark.parametrize("shape", [(), (7,), (3, 5), (2, 3, 4)])
def test_op_matches_reference(jit, rng, shape):
    keys = rng.integers(0, 2 ** 64, size=shape, dtype=np.uint64)
    ctrs = rng.integers(0, 2 ** 64, size=shape, dtype=np.uint64)
    ctrs.flat[:3 if ctrs.size >= 3 else 0] = [0, 2 ** 64 - 1, 2 ** 32]   # carries through the words
    got = jit(_op)(keys, ctrs)
    np.testing.assert_array_equal(got, threefry2x32(keys, ctrs))
    # a scalar key broadcast over a counter array (xlaish.random's form)
    got = jit(_op)(keys.reshape(-1)[:1].reshape(()), ctrs)
    np.testing.assert_array_equal(got, threefry2x32(keys.reshape(-1)[0], ctrs))


def test_op_refuses_other_dtypes():
    with pytest.raises(IRError, match="threefry2x32 takes"):
        xl.jit(_op)(np.uint32(1), np.uint64(2))


def _all(k):
    a, b = xr.split(k)
    return (xr.split(k, 3), xr.fold_in(k, 12345), xr.bits(a, (4, 5)), xr.bits(b, (3,), np.uint64),
            xr.bits(b, (6,), np.uint8), xr.uniform(a, (2, 50)), xr.uniform(b, (9,), np.float64, -2, 3),
            xr.uniform(k, (5,), np.float16), xr.bernoulli(a, 0.25, (40,)),
            xr.randint(b, (30,), -7, 100), xr.randint(b, (30,), 0, 256, np.uint8),
            xr.randint(k, (8,), -2 ** 63, 2 ** 63 - 1, np.int64), xr.permutation(a, 10),
            xr.choice(b, 20, (5,), replace=False))


def test_same_bits_in_and_out_of_jit(jit):
    k = xr.key(1234)
    eager = _all(k)
    traced = jit(_all)(k)
    assert len(eager) == len(traced)
    for e, t in zip(eager, traced):
        assert e.dtype == t.dtype and e.shape == t.shape
        np.testing.assert_array_equal(t, e)


def test_floats_through_transcendentals_agree_in_and_out_of_jit(jit):
    """normal/exponential/gumbel call log/sqrt/erf: libm and the vector math may differ in the
    last bit, nowhere more."""
    def f(k):
        return xr.normal(k, (2000,)), xr.normal(k, (500,), np.float64), xr.exponential(k, (500,)), \
            xr.gumbel(k, (500,)), xr.categorical(k, np.log(np.arange(1.0, 6.0)), shape=(300,))
    k = xr.key(7)
    eager, traced = f(k), jit(f)(k)
    for e, t in zip(eager[:4], traced[:4]):
        assert e.dtype == t.dtype
        np.testing.assert_allclose(t, e, rtol=4 * np.finfo(e.dtype).eps, atol=4 * np.finfo(e.dtype).eps)
    assert (eager[4] == traced[4]).mean() > 0.99


def test_keys_are_arguments_results_and_loop_carries(jit):
    def f(k, n):
        def body(i, carry):
            k, acc = carry
            k, sub = xr.split(k)
            return k, acc + xr.uniform(sub, (4,))
        return xl.fori_loop(0, n, body, (k, np.zeros(4, np.float32)))

    k = xr.key(5)
    got_k, got = jit(f)(k, 3)
    want_k, want = k, np.zeros(4, np.float32)
    for _ in range(3):
        want_k, sub = xr.split(want_k)
        want = want + xr.uniform(sub, (4,))
    np.testing.assert_array_equal(got_k, want_k)
    np.testing.assert_array_equal(got, want)


def test_seed_may_be_traced(jit):
    f = jit(lambda s: xr.uniform(xr.key(s), (6,)))
    for s in (0, 3, 2 ** 40 + 5):
        np.testing.assert_array_equal(f(np.int64(s)), xr.uniform(xr.key(s), (6,)))
    np.testing.assert_array_equal(jit(xr.key)(np.int32(-1)), [0, 0xFFFFFFFF])


def test_different_keys_and_splits_give_different_streams():
    k = xr.key(0)
    streams = [xr.bits(s, (64,)) for s in (k, *xr.split(k, 4), xr.fold_in(k, 1001),
                                            xr.fold_in(k, 1002), xr.key(1))]
    for i in range(len(streams)):
        for j in range(i):
            assert (streams[i] != streams[j]).mean() > 0.95, (i, j)
    assert len({tuple(r) for r in xr.split(k, 1000)}) == 1000
    # JAX's fold-like split: the i-th of a split is the key folded with i
    np.testing.assert_array_equal(xr.split(k, 4)[2], xr.fold_in(k, 2))


def test_bad_keys_and_arguments_are_refused():
    with pytest.raises(TypeError, match=r"uint32 array of shape \(2,\)"):
        xr.uniform(np.array([1, 2]), (3,))
    with pytest.raises(TypeError, match="integer scalar"):
        xr.key(1.5)
    with pytest.raises(TypeError, match="float dtype"):
        xr.uniform(xr.key(0), (2,), np.int32)
    with pytest.raises(ValueError, match="without replacement"):
        xr.choice(xr.key(0), 3, (4,), replace=False)
