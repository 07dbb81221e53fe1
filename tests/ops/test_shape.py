"""Shape ops against NumPy: reshape (-1), ravel, transpose/.T/moveaxis/swapaxes, broadcast_to,
expand_dims, squeeze, concatenate, stack, and basic indexing. Data movement is exact."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from tests.helpers import ALL_DTYPES, assert_matches_numpy, dtype_id, layouts, make_input

# (name, function) of a (2, 3, 4) array
SHAPE_FNS = [
    ("reshape", lambda x: np.reshape(x, (4, 6))),
    ("reshape_-1", lambda x: x.reshape(-1, 4)),
    ("reshape_method_args", lambda x: x.reshape(3, 2, -1)),
    ("reshape_same", lambda x: x.reshape(2, 3, 4)),
    ("reshape_to_1d", lambda x: np.reshape(x, -1)),
    ("ravel", lambda x: np.ravel(x)),
    ("flatten", lambda x: x.flatten()),
    ("transpose", lambda x: np.transpose(x)),
    ("transpose_axes", lambda x: np.transpose(x, (1, 0, 2))),
    ("transpose_negative", lambda x: x.transpose(-1, 0, 1)),
    ("T", lambda x: x.T),
    ("mT", lambda x: x.mT),
    ("moveaxis", lambda x: np.moveaxis(x, 0, -1)),
    ("moveaxis_multi", lambda x: np.moveaxis(x, (0, 1), (2, 0))),
    ("swapaxes", lambda x: np.swapaxes(x, 0, 2)),
    ("permute_dims", lambda x: np.permute_dims(x, (2, 1, 0))),
    ("broadcast_to", lambda x: np.broadcast_to(x, (5, 2, 3, 4))),
    ("broadcast_to_size1", lambda x: np.broadcast_to(x[:, :1, :], (2, 7, 4))),
    ("expand_dims", lambda x: np.expand_dims(x, 1)),
    ("expand_dims_negative", lambda x: np.expand_dims(x, -1)),
    ("expand_dims_tuple", lambda x: np.expand_dims(x, (0, 4))),
    ("squeeze", lambda x: np.squeeze(x[:1, :, :1])),
    ("squeeze_axis", lambda x: np.squeeze(x[:, :1], axis=1)),
    ("squeeze_method", lambda x: x[:1].squeeze(0)),
    ("concatenate", lambda x: np.concatenate([x, x[:1]], axis=0)),
    ("concatenate_axis_-1", lambda x: np.concatenate((x, x[..., :2], x), axis=-1)),
    ("concatenate_none", lambda x: np.concatenate([x, x[0]], axis=None)),
    ("concatenate_one", lambda x: np.concatenate([x])),
    ("stack", lambda x: np.stack([x, x, x])),
    ("stack_axis_-1", lambda x: np.stack([x[0], x[1]], axis=-1)),
    ("stack_axis_1", lambda x: np.stack((x, x), axis=1)),
    ("vstack", lambda x: np.vstack([x[0], x[1]])),
    ("hstack", lambda x: np.hstack([x[0], x[1]])),
    ("broadcast_arrays", lambda x: np.broadcast_arrays(x, x[:1, :, :1])),
    ("chain", lambda x: np.transpose(x.reshape(6, 4)[::2], (1, 0)).reshape(-1)[1:-1]),
]


@pytest.mark.parametrize("name,fn", SHAPE_FNS, ids=[n for n, _ in SHAPE_FNS])
def test_shape_op(jit, rng, name, fn):
    x = make_input(rng, (2, 3, 4), np.float32)
    jf = jit(fn)
    expected = fn(x)
    for kind, xv in layouts(x):
        got = jf(xv)
        if isinstance(expected, tuple):
            assert isinstance(got, tuple) and len(got) == len(expected)
            for g, e in zip(got, expected):
                assert_matches_numpy(g, e, err_msg=f"{name} on {kind} input")
        else:
            assert_matches_numpy(got, expected, err_msg=f"{name} on {kind} input")


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_id)
def test_shape_ops_dtypes(jit, rng, dtype):
    """Data movement of every element size (1, 2, 4, 8 bytes and bool)."""
    x = make_input(rng, (2, 3, 4), dtype)
    fns = [fn for _, fn in SHAPE_FNS if _ != "broadcast_arrays"]
    got = jit(lambda x: [fn(x) for fn in fns])(x)
    for g, fn, (name, _) in zip(got, fns, [p for p in SHAPE_FNS if p[0] != "broadcast_arrays"]):
        assert_matches_numpy(g, fn(x), err_msg=f"{name} on {x.dtype}")


def test_shape_ops_0d_and_empty(jit, rng):
    s = make_input(rng, (), np.float64)
    e = np.zeros((0, 3), np.float64)
    fns = [
        lambda s, e: s.reshape(1, 1), lambda s, e: s.reshape(-1), lambda s, e: np.transpose(s),
        lambda s, e: s.T, lambda s, e: np.broadcast_to(s, (2, 3)), lambda s, e: np.expand_dims(s, 0),
        lambda s, e: np.squeeze(s), lambda s, e: np.stack([s, s]), lambda s, e: s.ravel(),
        lambda s, e: e.reshape(3, 0), lambda s, e: e.reshape(-1, 3), lambda s, e: e.T,
        lambda s, e: np.broadcast_to(e, (2, 0, 3)), lambda s, e: np.concatenate([e, e], axis=1),
        lambda s, e: np.concatenate([e, np.ones((2, 3))]), lambda s, e: np.stack([e, e], axis=1),
        lambda s, e: np.expand_dims(e, 1), lambda s, e: np.moveaxis(e, 0, 1), lambda s, e: e.ravel(),
    ]
    got = jit(lambda s, e: [f(s, e) for f in fns])(s, e)
    for i, (g, f) in enumerate(zip(got, fns)):
        assert_matches_numpy(g, f(s, e), err_msg=f"function #{i}")


def test_concatenate_promotes(jit, rng):
    a = make_input(rng, (2, 3), np.int8)
    b = make_input(rng, (1, 3), np.float16)
    c = make_input(rng, (3, 3), np.uint16)
    for fn in [lambda a, b, c: np.concatenate([a, b, c]), lambda a, b, c: np.stack([a[0], b[0], c[0]]),
               lambda a, b, c: np.concatenate([a, c], axis=0),
               lambda a, b, c: np.concatenate([a, b], dtype=np.float64)]:
        assert_matches_numpy(jit(fn)(a, b, c), fn(a, b, c))


def test_shape_errors_match_numpy(jit):
    """Misuse is an error, of the same Python type NumPy raises."""
    x = np.ones((2, 3, 4), np.float32)
    cases = [
        (lambda x: x.reshape(5, -1), ValueError),
        (lambda x: x.reshape(-1, -1), ValueError),
        (lambda x: np.transpose(x, (0, 1)), ValueError),
        (lambda x: np.broadcast_to(x, (3, 3, 4)), ValueError),
        (lambda x: np.squeeze(x, axis=0), ValueError),
        (lambda x: np.concatenate([x, x[:, :1, :1]]), ValueError),
        (lambda x: np.stack([x, x[:1]]), ValueError),
        (lambda x: np.expand_dims(x, 5), ValueError),
        (lambda x: np.moveaxis(x, 0, 3), ValueError),
        (lambda x: np.moveaxis(x, (0, 0), (1, 2)), ValueError),
        (lambda x: np.transpose(x, (0, 1, 3)), ValueError),
        (lambda x: np.swapaxes(x, 0, -4), ValueError),
        (lambda x: np.sum(x, axis=3), ValueError),
    ]
    for fn, exc in cases:
        with pytest.raises(exc):
            fn(x)
        with pytest.raises(exc):
            jit(fn)(x)


# --------------------------------------------------------------------------- indexing
# keys for a (4, 5, 6) array
KEYS = [
    1, -1, -4, slice(1, 3), slice(None, None, 2), slice(None, None, -1), slice(None, None, -2),
    slice(-3, -1), slice(5, 1, -2), slice(100, None), slice(-100, 2), slice(3, 1),
    (1, 2), (1, 2, 3), (-1, -2, -3), (slice(None), 0), (slice(None), slice(None), -1),
    (Ellipsis, 0), (Ellipsis,), (1, Ellipsis, None), (None,), (None, 1, None),
    (slice(None), None, slice(1, None)), (slice(None, None, -1), Ellipsis, slice(None, None, 3)),
    (np.int64(2), slice(1, 4, 2)), (np.int32(-1), np.uint8(0)), (slice(1, 2), slice(0, 0)),
    (0, slice(None), None, slice(5, None, -4)), (),
]


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_basic_indexing(jit, rng, key):
    x = make_input(rng, (4, 5, 6), np.float32)
    jf = jit(lambda x: x[key])
    for kind, xv in layouts(x):
        assert_matches_numpy(jf(xv), x[key], err_msg=f"x[{key!r}] on a {kind} input")


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_id)
def test_indexing_dtypes(jit, rng, dtype):
    x = make_input(rng, (4, 5), dtype)
    keys = [(1, 2), (slice(None, None, -1), 3), (Ellipsis, slice(1, None, 2)), (None, -1)]
    got = jit(lambda x: [x[k] for k in keys])(x)
    for g, k in zip(got, keys):
        assert_matches_numpy(g, x[k], err_msg=f"x[{k!r}]")


def test_indexing_0d_and_empty(jit, rng):
    s = make_input(rng, (), np.int16)
    e = np.zeros((0, 4), np.int16)
    fns = [lambda s, e: s[()], lambda s, e: s[...], lambda s, e: s[None], lambda s, e: s[None, ..., None],
           lambda s, e: e[:, 1], lambda s, e: e[::-1], lambda s, e: e[..., ::-2], lambda s, e: e[None, :, 2:],
           lambda s, e: e[5:]]
    got = jit(lambda s, e: [f(s, e) for f in fns])(s, e)
    for i, (g, f) in enumerate(zip(got, fns)):
        assert_matches_numpy(g, f(s, e), err_msg=f"function #{i}")


def test_iteration_and_len(jit, rng):
    x = make_input(rng, (3, 4), np.float64)
    fn = lambda x: (len(x), [r * 2 for r in x], tuple(x[0]))  # noqa: E731
    got = jit(fn)(x)
    expected = fn(x)
    assert got[0] == expected[0]
    for g, e in zip(got[1] + list(got[2]), expected[1] + list(expected[2])):
        assert_matches_numpy(g, e)


def test_indexing_errors(jit):
    x = np.ones((4, 5), np.float32)
    for key, exc in [(4, IndexError), (-5, IndexError), ((0, 0, 0), IndexError),
                     ((Ellipsis, Ellipsis), IndexError), ((0, 5), IndexError)]:
        with pytest.raises(exc):
            x[key]
        with pytest.raises(exc):
            jit(lambda x: x[key])(x)


def test_boolean_mask_read_is_unsupported(jit):
    x = np.ones((4, 5), np.float32)        # index arrays: tests/indexing
    with pytest.raises(xl.UnsupportedError, match="depends on the values"):
        jit(lambda x: x[x > 0])(x)


def test_integer_array_setitem_matches_numpy(jit):
    """x[int_array] = v on an argument: the result and the caller's array are NumPy's."""
    def f(x):
        x[np.array([0, 2])] = 1.0
        x[[1, 1]] += 5.0            # buffered: written once
        return x
    mine, theirs = np.zeros(3), np.zeros(3)
    np.testing.assert_array_equal(jit(f)(mine), f(theirs))
    np.testing.assert_array_equal(mine, theirs)


def test_hstack_of_0d_arrays(jit):
    """hstack makes its operands at least 1-D first (0-d arrays become one element each)."""
    s, v = np.array(2.5), np.arange(3.0)
    fns = [lambda s, v: np.hstack([s, s]), lambda s, v: np.hstack([s, v, s]), lambda s, v: np.vstack([s, s])]
    for k, (g, f) in enumerate(zip(jit(lambda s, v: [f(s, v) for f in fns])(s, v), fns)):
        assert_matches_numpy(g, f(s, v), err_msg=f"function #{k}")


def test_shapes_beyond_numpys_size_limit_are_an_error():
    """A (broadcast) shape whose bytes overflow 2**63 - 1 is rejected while tracing, naming the
    shape and the user's line, as NumPy rejects it (the compiled code would index out of
    bounds)."""
    x = np.arange(4, dtype=np.float32)
    for shape in [(2 ** 32, 2 ** 32, 4), (2 ** 31, 2 ** 31, 4)]:
        with pytest.raises(ValueError, match=r"array is too big.*\(at .*test_shape\.py:\d+\)"):
            xl.jit(lambda a: np.broadcast_to(a, shape).reshape(-1)[:8])(x)
