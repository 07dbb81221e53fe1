"""The jit call path gives NumPy's answer for every memory layout of an input, on the first call
and on every later one (the fast path, keyed on dtype and shape, must never serve an input whose
byte order or layout it cannot read), and refuses ndarray subclasses it cannot honour."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl


def _unaligned(a: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``a`` whose data pointer is off by one byte (not aligned)."""
    buf = np.zeros(a.nbytes + 1, np.uint8)
    out = buf[1:].view(a.dtype).reshape(a.shape)
    out[...] = a
    assert not out.flags.aligned or a.dtype.itemsize == 1
    return out


def _readonly(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.flags.writeable = False
    return a


def _variants(base: np.ndarray):
    """Same values, different memory: byte order, alignment, order, strides, writeability."""
    swapped = base.astype(base.dtype.newbyteorder(">" if base.dtype.byteorder != ">" else "<"))
    two = np.stack([base, base], axis=-1)
    return {
        "native": base.copy(),
        "byteswapped": swapped,
        "unaligned": _unaligned(base),
        "fortran": np.asfortranarray(base),
        "strided": two[..., 0],
        "readonly": _readonly(base),
        "unaligned_byteswapped": _unaligned(swapped),
    }


FUNCS = {
    "affine": lambda x: x * 2 + 1,
    "reduce": lambda x: (x * x).sum(),
    "pair": lambda x: (x - 1, x.max()),
}


@pytest.mark.parametrize("fname", list(FUNCS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_every_layout_first_and_later_calls(fname, dtype):
    fun = FUNCS[fname]
    base = np.arange(12, dtype=dtype).reshape(3, 4) - 3
    ref = fun(base.copy())
    variants = _variants(base)
    # each layout as the very first call of a fresh function, then repeated
    for name, v in variants.items():
        f = xl.jit(fun)
        for call in range(3):
            got = f(v)
            _same(got, ref, f"{name} call {call}")
    # one function seeing every layout in turn (the fast path registered by one layout must
    # not serve another)
    f = xl.jit(fun)
    for _ in range(2):
        for name, v in variants.items():
            _same(f(v), ref, f"{name} mixed")


def _same(got, ref, what):
    if isinstance(ref, tuple):
        assert isinstance(got, tuple) and len(got) == len(ref), what
        for g, r in zip(got, ref):
            _same(g, r, what)
        return
    np.testing.assert_array_equal(np.asarray(got), np.asarray(ref), err_msg=what)
    assert np.asarray(got).dtype == np.asarray(ref).dtype.newbyteorder("="), what


def test_big_endian_second_call_regression():
    """issue 22 #1: the second call of a big-endian input returned [1, 1, 1, 1, 1]."""
    f = xl.jit(lambda x: x * 2 + 1)
    x = np.arange(5, dtype=">f4")
    ref = x * 2 + 1
    np.testing.assert_array_equal(f(x), ref)
    np.testing.assert_array_equal(f(x), ref)
    np.testing.assert_array_equal(f(x), ref)


def test_two_arguments_mixed_layouts():
    f = xl.jit(lambda a, b: a * b - a)
    a = np.linspace(-2, 2, 10)
    b = np.linspace(1, 3, 10)
    ref = a * b - a
    for x, y in [(a, b), (a.astype(">f8"), b), (a, _unaligned(b)), (a, b), (_readonly(a), b[::-1][::-1])]:
        np.testing.assert_array_equal(f(x, y), ref)
        np.testing.assert_array_equal(f(x, y), ref)


def test_scalar_result_of_byteswapped_input():
    f = xl.jit(lambda x: x.sum())
    x = np.arange(6, dtype=">i4")
    for _ in range(3):
        got = f(x)
        assert got == x.sum()


def test_inputs_are_not_modified():
    f = xl.jit(lambda x: x * 3)
    x = np.arange(4, dtype=">f8")
    keep = x.copy()
    f(x)
    f(x)
    np.testing.assert_array_equal(x, keep)
    assert x.dtype == np.dtype(">f8")


def test_memmap_is_read_as_an_array(tmp_path):
    m = np.memmap(tmp_path / "m.bin", dtype=np.float32, mode="w+", shape=(6,))
    m[:] = np.arange(6)
    f = xl.jit(lambda x: x + 1)
    for _ in range(2):
        np.testing.assert_array_equal(f(m), np.asarray(m) + 1)


@pytest.mark.parametrize("make", [
    lambda: np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]),
    lambda: np.ma.masked_array([1.0, 2.0, 3.0]),          # no mask set: still a masked array
    lambda: np.matrix([[1.0, 2.0], [3.0, 4.0]]),
])
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_subclasses_with_their_own_semantics_are_refused(make):
    f = xl.jit(lambda x: x.sum())
    x = make()
    for _ in range(2):         # first call and a later one: never a silently wrong answer
        with pytest.raises(xl.UnsupportedError, match="ndarray subclass"):
            f(x)


def test_masked_array_refused_after_plain_array_compiled():
    f = xl.jit(lambda x: x.sum())
    assert f(np.array([1.0, 2.0, 3.0])) == 6.0
    f(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(xl.UnsupportedError, match="mask"):
        f(np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]))


def test_subclass_overriding_array_ufunc_is_refused():
    class Units(np.ndarray):
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):   # pragma: no cover
            return NotImplemented

    x = np.arange(3.0).view(Units)
    with pytest.raises(xl.UnsupportedError, match="__array_ufunc__"):
        xl.jit(lambda v: v + 1)(x)


def test_interpreter_device_byteswapped():
    f = xl.jit(lambda x: x * 2 + 1, device="interpreter")
    x = np.arange(5, dtype=">f4")
    for _ in range(2):
        got = f(x)
        np.testing.assert_array_equal(got, x * 2 + 1)
        assert got.dtype == np.float32


def test_a_huge_python_int_is_named_on_every_call():
    """2**70 does not fit the int64 a Python int argument is passed as: the first call and every
    later one (the fast path) say so, naming the argument."""
    f = xl.jit(lambda x, k: x * k)
    np.testing.assert_array_equal(f(np.ones(3), 2), np.full(3, 2.0))
    for _ in range(2):
        with pytest.raises(OverflowError, match="argument k"):
            f(np.ones(3), 2**70)
