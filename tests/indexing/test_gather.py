"""Reading with index arrays (gather) against NumPy: x[i], x[i, j] with broadcasting, mixed
with slices/None/ellipsis (where NumPy puts the advanced axes), np.take, np.take_along_axis,
np.choose, np.compress; dtypes, empty and 0-d; negative and out-of-range indices."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl

DEVICES = ["cpu", "interpreter"]
IDX = np.array([0, -1, 2, 2])

# every form: f(x, i) with x of shape (4, 5, 6) and i an int array (traced when passed in)
FORMS = {
    "first": lambda x, i: x[i],
    "middle": lambda x, i: x[:, i],
    "last": lambda x, i: x[..., i],
    "two_adjacent": lambda x, i: x[:, i, i[::-1]],
    "two_broadcast": lambda x, i: x[i[:2, None], i[None, :3]],
    "separated": lambda x, i: x[i, :, i[::-1]],
    "separated_by_none": lambda x, i: x[:, i, None, i],
    "with_int": lambda x, i: x[1, :, i],
    "int_and_array_adjacent": lambda x, i: x[:, 1, i],
    "none_and_ellipsis": lambda x, i: x[None, i, ..., None],
    "with_step_slice": lambda x, i: x[::-2, i, 1:5:2],
    "nested": lambda x, i: x[i][:, i],
    "list": lambda x, i: x[[1, 2, -1]] + x[:, [0, 0]].sum(),
    "concrete_mask": lambda x, i: x[np.array([True, False, True, True])],
    "mask_on_two_dims": lambda x, i: x[np.arange(20).reshape(4, 5) % 3 == 0],
    "fused_elementwise": lambda x, i: np.exp(x[:, i] * 2.0) - x[:, i].sum(axis=1, keepdims=True),
    "take_flat": lambda x, i: np.take(x, i + 100),
    "take_axis": lambda x, i: np.take(x, i, axis=-1),
    "take_scalar": lambda x, i: np.take(x, 3, axis=1),
    "take_wrap": lambda x, i: np.take(x, i * 7, axis=1, mode="wrap"),
    "take_clip": lambda x, i: np.take(x, i * 7, axis=1, mode="clip"),
    "take_along_axis": lambda x, i: np.take_along_axis(x, np.argmax(x, axis=1)[:, None, :], axis=1),
    "take_along_axis_none": lambda x, i: np.take_along_axis(x, i, axis=None),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(FORMS))
def test_forms_match_numpy(device, name):
    f = FORMS[name]
    x = np.random.default_rng(0).standard_normal((4, 5, 6))
    got = xl.jit(f, device=device)(x, IDX)
    want = f(x, IDX)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8, np.bool_, np.float16, np.int64])
@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32, np.uint16])
def test_dtypes(dtype, idx_dtype):
    x = (np.arange(30).reshape(5, 6) % 7).astype(dtype)
    i = np.array([4, 0, 3, 3], idx_dtype)
    f = lambda x, i: (x[i], x[:, i], np.take(x, i))
    for got, want in zip(xl.jit(f)(x, i), f(x, i)):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("device", DEVICES)
def test_empty_and_zero_d(device):
    f = xl.jit(lambda x, i: (x[i], x[:, i], x[i[None][:0]]), device=device)
    x, i = np.arange(12.0).reshape(3, 4), np.array(2)
    for got, want in zip(f(x, i), (x[i], x[:, i], x[i[None][:0]])):
        np.testing.assert_array_equal(got, want)
        assert got.shape == want.shape
    e = np.zeros((0, 3))
    got = xl.jit(lambda x, i: x[i], device=device)(e, np.zeros((2, 0), np.int64))
    assert got.shape == e[np.zeros((2, 0), np.int64)].shape
    got = xl.jit(lambda x, i: x[:, i], device=device)(e, np.array([2, -3]))
    assert got.shape == (0, 2)


def test_traced_scalar_index():
    f = xl.jit(lambda x, k: x[k] * 2 + x[:, k].sum())
    x = np.arange(16.0).reshape(4, 4)
    for k in (0, 3, -2):
        np.testing.assert_array_equal(f(x, np.int64(k)), x[k] * 2 + x[:, k].sum())


def _numpy_error(f, *args):
    with pytest.raises(IndexError) as e:
        f(*args)
    return str(e.value)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("bad", [5, -6, 1 << 40])
def test_out_of_range_traced_index_raises_numpys_error(device, bad):
    x = np.arange(10.0).reshape(5, 2)
    i = np.array([0, 1, bad, 2])
    for f in (lambda x, i: x[i], lambda x, i: np.take(x, i, axis=0),
              lambda x, i: x[np.arange(4), i % 2][:1] + x[i, 0]):
        msg = _numpy_error(f, x, i)
        with pytest.raises(IndexError, match=msg.replace("(", r"\(")):
            xl.jit(f, device=device)(x, i)


def test_out_of_range_concrete_index_raises_while_tracing():
    x = np.arange(5.0)
    with pytest.raises(IndexError, match="index 7 is out of bounds for axis 0 with size 5"):
        xl.jit(lambda x: x[np.array([1, 7])])(x)


def test_in_range_concrete_index_has_no_runtime_check():
    lo = xl.jit(lambda x: x[np.arange(3), np.array([1, 0, 1])]).lower(np.ones((3, 2)))
    assert "index_check" not in lo.as_text()
    lo = xl.jit(lambda x, i: x[i]).lower(np.ones(3), np.array([0]))
    assert "index_check" in lo.as_text()


def test_gather_fuses_with_producers_and_consumers():
    def loss(logp, labels):
        z = logp - logp.max(axis=1, keepdims=True)
        return np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(z.shape[0]), labels])
    logp = np.random.default_rng(1).standard_normal((64, 10))
    labels = np.arange(64) % 10
    lo = xl.jit(lambda x, i: np.exp(x[i] * 2) + 1).lower(np.ones((8, 3)), np.array([1, 2]))
    assert str(lo.fusion_report()).count("\nkernel") == 1
    np.testing.assert_allclose(xl.jit(loss)(logp, labels), loss(logp, labels), rtol=1e-13)


def test_boolean_mask_read_is_refused_with_the_static_alternative():
    with pytest.raises(xl.UnsupportedError, match=r"depends on the values.*np.where\(mask, x, 0\)"):
        xl.jit(lambda x: x[x > 0])(np.ones(3))
    with pytest.raises(xl.UnsupportedError, match="depends on the values"):
        xl.jit(lambda x: np.compress(x > 0, x))(np.ones(3))


def test_bad_index_types():
    with pytest.raises(IndexError, match="integer"):
        xl.jit(lambda x, i: x[i])(np.ones(3), np.array([0.5]))


@pytest.mark.parametrize("device", DEVICES)
def test_choose_and_compress(device):
    rng = np.random.default_rng(2)
    a = rng.integers(0, 3, (4, 5))
    c = [rng.standard_normal((4, 5)), rng.standard_normal(5), 7.0]
    f = lambda a, c0, c1: np.choose(a, [c0, c1, 7.0])
    np.testing.assert_array_equal(xl.jit(f, device=device)(a, c[0], c[1]), f(a, c[0], c[1]))
    g = lambda x: (np.compress([True, False, True], x, axis=1), np.compress([0, 1], x))
    x = rng.standard_normal((4, 5))
    for got, want in zip(xl.jit(g, device=device)(x), g(x)):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="invalid entry in choice array"):
        xl.jit(f, device=device)(a + 1, c[0], c[1])
