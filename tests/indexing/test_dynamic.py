"""Basic indexing with traced integer scalars (dynamic slices) against NumPy: reads, writes
(results and mutated arguments), bounds (IndexError), loops with the loop index, slices of
traced length (masked), gradients, and the in-place buffer plan. The oracle is the same
Python function run on NumPy arrays."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.errors import UnsupportedError
from xlaish.numpy._indexing import dynamic_slice, dynamic_update_slice

DEVICES = ["cpu", "interpreter"]
SHAPE = (6, 7)
# (i, j) where every read form below has its full static length under NumPy too
INDICES = [(2, 3), (-4, -4), (1, 0)]

READS = {
    "x[i]": lambda x, i, j: x[i],
    "x[i, j]": lambda x, i, j: x[i, j],
    "x[i, :]": lambda x, i, j: x[i, :],
    "x[:, i]": lambda x, i, j: x[:, i],
    "x[i, 1:-1]": lambda x, i, j: x[i, 1:-1],
    "x[i:i+2]": lambda x, i, j: x[i:i + 2],
    "x[i-1:i+2, j]": lambda x, i, j: x[i - 1:i + 2, j],
    "x[i:i+3:2]": lambda x, i, j: x[i:i + 3:2],
    "x[:, j:j+2]": lambda x, i, j: x[:, j:j + 2],
    "x[i+1:i+3, j:j+2]": lambda x, i, j: x[i + 1:i + 3, j:j + 2],
    "x[..., i]": lambda x, i, j: x[..., i],
    "x[None, i]": lambda x, i, j: x[None, i],
    "x[i, ::-1]": lambda x, i, j: x[i, ::-1],
    "x[i:i+2][1]": lambda x, i, j: x[i:i + 2][1] * 2,
    "x[i:i]": lambda x, i, j: x[i:i],
}


def _data(dtype, shape=SHAPE, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    return (rng.standard_normal(shape) * 10).astype(dtype)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("form", list(READS))
def test_read_forms(device, form):
    f = READS[form]
    x = _data(np.float64)
    jf = xl.jit(f, device=device)
    for i, j in INDICES:
        want = f(x, i, j)
        got = jf(x, i, j)
        assert np.shape(got) == np.shape(want)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.bool_])
def test_read_and_write_dtypes(dtype):
    def f(x, i, j):
        y = x.copy()
        y[i, 1:-1] = x[j, 2:]
        y[i - 1:i + 1, j] = x[0, 0]
        return y, x[i], x[i:i + 2, j]
    x = _data(dtype)
    for i, j in INDICES:
        for got, want in zip(xl.jit(f)(x, i, j), f(x, i, j)):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


def test_traced_index_dtypes_and_concrete_arrays():
    def f(x, i):
        return x[i], x[i:i + 2], x[i + 1, i]
    x = _data(np.float64)
    for dt in (np.int8, np.int32, np.uint16, np.int64):
        for got, want in zip(xl.jit(f)(x, dt(3)), f(x, dt(3))):
            np.testing.assert_array_equal(got, want)


WRITES = {
    "x[i] = v": lambda x, i, j: x.__setitem__(i, x[j] * 2),
    "x[i, 1:-1] = v": lambda x, i, j: x.__setitem__((i, slice(1, -1)), 7.0),
    "x[:, i] = v": lambda x, i, j: x.__setitem__((slice(None), i), np.arange(SHAPE[0]) * 1.5),
    "x[i:i+3] = v": lambda x, i, j: x.__setitem__(slice(i, i + 3), x[0]),
    "x[i, j] = s": lambda x, i, j: x.__setitem__((i, j), -1.0),
    "x[i-1:i+1, j:j+2] = v": lambda x, i, j: x.__setitem__((slice(i - 1, i + 1), slice(j, j + 2)),
                                                            np.ones((2, 2))),
    "x[i:i+3] = x[i-1:i+2]": lambda x, i, j: x.__setitem__(slice(i, i + 3), x[i - 1:i + 2]),
}


def _augmented(x, i, j):
    x[i] += x[j]
    x[:, j] *= 2
    x[i, j:j + 2] -= 1


WRITES["x[i] += v"] = _augmented


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("form", list(WRITES))
def test_write_forms_mutate_the_argument(device, form):
    f = WRITES[form]
    jf = xl.jit(f, device=device)
    for i, j in INDICES:
        a, b = _data(np.float64), _data(np.float64)
        assert jf(a, i, j) is None
        f(b, i, j)
        np.testing.assert_array_equal(a, b)


def test_row_view_writes_through():
    def f(x, i):
        row = x[i]
        row += 1          # a view of x, as in NumPy
        return x * 1
    x = _data(np.float64)
    np.testing.assert_array_equal(xl.jit(f)(x.copy(), 2), f(x.copy(), 2))


@pytest.mark.parametrize("device", DEVICES)
def test_out_of_range_raises_index_error(device):
    x = _data(np.float64)
    read = xl.jit(lambda x, i: x[i] * 1, device=device)
    for i in (6, -7, 100):
        with pytest.raises(IndexError, match=f"index {i} is out of bounds for axis 0 with size 6"):
            read(x, i)
    col = xl.jit(lambda x, i: x[:, i] * 1, device=device)
    with pytest.raises(IndexError, match="axis 1 with size 7"):
        col(x, 7)
    # a slice of static length must fit (NumPy would shorten it; the shape must not change)
    window = xl.jit(lambda x, i: x[i:i + 3] * 1, device=device)
    with pytest.raises(IndexError, match="out of bounds for axis 0 with size 6"):
        window(x, 4)
    with pytest.raises(IndexError, match="out of bounds for axis 0 with size 6"):
        window(x, -7)
    np.testing.assert_array_equal(window(x, 3), x[3:6])

    def write(x, i):
        x[i, 1:3] = 0.0
    a = x.copy()
    with pytest.raises(IndexError, match="index -7 is out of bounds for axis 0 with size 6"):
        xl.jit(write, device=device)(a, -7)


def test_float_index_is_refused():
    with pytest.raises(IndexError, match="only integers"):
        xl.jit(lambda x, i: x[i])(np.zeros(3), 1.0)


# -- loops -------------------------------------------------------------------------------
def _doubling(x):
    def body(i, x):
        x[i] = x[i - 1] * 2 + 1
        return x
    return xl.fori_loop(1, x.shape[0], body, x)


def _rows(a):
    def body(i, a):
        a[i, 1:-1] = a[i - 1, :-2] * 0.5 + a[i - 1, 2:] * 0.25
        return a
    return xl.fori_loop(1, a.shape[0], body, a)


def _alternate(a, t_steps):
    def body(t, a):
        a[t % 2] = a[(t + 1) % 2] * 0.5 + 1
        return a
    return xl.fori_loop(0, t_steps, body, a)


def forward_substitution(L, b):
    n = b.shape[0]
    x = np.zeros_like(b)

    def body(i, x):
        x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]
        return x
    return xl.fori_loop(0, n, body, x)


@pytest.mark.parametrize("device", DEVICES)
def test_loops_with_the_loop_index(device):
    x = np.arange(8.0)
    np.testing.assert_array_equal(xl.jit(_doubling, device=device)(x), _doubling(x.copy()))
    a = _data(np.float64, (6, 5))
    np.testing.assert_allclose(xl.jit(_rows, device=device)(a), _rows(a.copy()), rtol=1e-14)
    a2 = _data(np.float32, (2, 4))
    np.testing.assert_allclose(xl.jit(_alternate, device=device)(a2, 5), _alternate(a2.copy(), 5),
                               rtol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_substitution_row_by_row(device, dtype):
    rng = np.random.default_rng(3)
    n = 9
    L = (np.tril(rng.standard_normal((n, n))) + n * np.eye(n)).astype(dtype)
    b = rng.standard_normal(n).astype(dtype)
    got = xl.jit(forward_substitution, device=device)(L, b)
    want = forward_substitution(L, b)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(got, np.linalg.solve(L.astype(np.float64), b), rtol=1e-4)


# -- slices of traced length ---------------------------------------------------------------
MASKED = {
    "x[:i].sum()": lambda x, y, i: x[:i].sum(),
    "np.sum(x[i:])": lambda x, y, i: np.sum(x[i:]),
    "x[:i] @ y[:i]": lambda x, y, i: x[:i] @ y[:i],
    "np.dot(2*x[:i]+1, y[:i])": lambda x, y, i: np.dot(2 * x[:i] + 1, y[:i]),
    "np.sum(x[:i] * y[:i])": lambda x, y, i: np.sum(np.abs(x[:i]) * y[:i]),
    "x[i:i+2].sum() + x[:i+1].sum()": lambda x, y, i: x[i:i + 2].sum() + x[:i + 1].sum(),
}


@pytest.mark.parametrize("form", list(MASKED))
def test_masked_slices(form):
    f = MASKED[form]
    x, y = _data(np.float64, (6,)), _data(np.float64, (6,), seed=1)
    jf = xl.jit(f)
    for i in (0, 1, 3, 4, -3, -6):
        np.testing.assert_allclose(jf(x, y, i), f(x, y, i), rtol=1e-13, atol=1e-13)


def test_masked_slices_clamp_like_numpy():
    x = _data(np.float64, (6,))
    f = xl.jit(lambda x, i: x[:i].sum() + 10 * x[i:].sum())
    for i in (-100, -7, 0, 6, 7, 100):
        np.testing.assert_allclose(f(x, i), x[:i].sum() + 10 * x[i:].sum(), rtol=1e-13)


def test_masked_slice_matrix_rows_and_assignment():
    def f(L, x, i):
        y = x.copy()
        y[:i] = 0.0
        z = x.copy()
        z[i:] += 1
        w = x.copy()
        w[:i] = 2 * x[:i]
        return L[i, :i] @ x[:i], L[:, :i] @ x[:i], y, z, w
    L, x = _data(np.float64, (5, 5)), _data(np.float64, (5,), seed=2)
    for i in (0, 2, 4, -1):
        for got, want in zip(xl.jit(f)(L, x, i), f(L, x, i)):
            np.testing.assert_allclose(got, want, rtol=1e-13)


def test_masked_slice_misuse_is_refused_with_the_masked_form():
    x = _data(np.float64, (6,))
    for g in (lambda x, i: np.mean(x[:i]), lambda x, i: x[:i] + x, lambda x, i: x[:i].shape,
              lambda x, i: x[:i] @ x[i:], lambda x, i: np.cumsum(x[:i])):
        with pytest.raises(UnsupportedError, match="depend on a traced value") as e:
            xl.jit(g)(x, 2)
        assert "np.where(np.arange(n) < i" in str(e.value)
        assert "test_dynamic.py" in str(e.value)


# -- builders, gradients, the buffer plan --------------------------------------------------
def test_dynamic_slice_builders():
    def f(x, i, j):
        s = dynamic_slice(x, (i, j), (2, 3))
        return s, dynamic_update_slice(x, s * 10, (j, i))
    x = _data(np.float64)
    for i, j in [(1, 2), (-3, 0)]:
        s, u = xl.jit(f)(x, i, j)
        np.testing.assert_array_equal(s, x[i % 6:i % 6 + 2, j % 7:j % 7 + 3])
        want = x.copy()
        want[j % 6:j % 6 + 2, i % 7:i % 7 + 3] = x[i % 6:i % 6 + 2, j % 7:j % 7 + 3] * 10
        np.testing.assert_array_equal(u, want)
    with pytest.raises(IndexError):
        xl.jit(f)(x, 5, 0)


def test_gradients_through_dynamic_slices():
    from xlaish.test_util import check_grads

    def read(x, i):
        return np.sum(np.sin(x[i:i + 2, 1:] * 3)) + x[i, i] ** 2

    def write(x, v, i):
        y = x * 1.0
        y[i, 1:4] = v * 2
        y[i - 1] += v[0]
        return np.sum(y ** 2 * np.cos(x))

    def masked(L, x, i):
        return L[i, :i] @ x[:i] + np.sum(x[i:] ** 2)
    x = _data(np.float64, (4, 5)) / 10
    v = _data(np.float64, (3,), seed=4) / 10
    check_grads(read, (x, 2))
    check_grads(write, (x, v, 1))
    check_grads(masked, (x[:, :4].copy(), x[0, :4].copy(), 2))


def _ops(fn):
    for op in fn.ops:
        yield op
        for r in op.regions:
            yield from _ops(r)


def test_loop_carried_row_update_is_in_place():
    from xlaish.codegen.cpu.program import _inplace_carried
    from xlaish.ir.opnames import WHILE
    for f, args in ((_doubling, (np.arange(8.0),)), (forward_substitution, (np.eye(4), np.ones(4))),
                    (_rows, (np.ones((4, 5)),))):
        fn = xl.jit(f).lower(*args).optimized
        (loop,) = [op for op in _ops(fn) if op.name == WHILE]
        carried = _inplace_carried(loop.regions[1], loop.attrs["num_carried"])
        assert carried, f.__name__
        for k in carried:    # the updated array, not the counter
            assert loop.operands[k].type.shape == args[-1].shape


def test_top_level_update_of_a_dead_value_reuses_its_buffer():
    from xlaish.ir.opnames import FUSED, SCATTER

    def f(x, i, j):
        y = x + 1
        y[i] = 0
        y[j] = y[i + 1] * 3        # reads y, then writes it in place
        return y * 2
    x = np.arange(6.0)
    for i, j in [(1, 2), (2, 1), (-3, 4)]:
        np.testing.assert_array_equal(xl.jit(f)(x, i, j), f(x.copy(), i, j))
    fn = xl.jit(f).lower(x, 1, 2).optimized
    slot = {}
    reused = 0
    for op in fn.ops:
        for r, s in zip(op.results, op.attrs.get("buffers", ())):
            slot[id(r)] = s
        if op.name == FUSED and any(o.name == SCATTER for o in op.regions[0].ops):
            reused += any(slot.get(id(v)) == op.attrs["buffers"][0] >= 0 for v in op.operands)
    assert reused >= 1


@pytest.mark.parametrize("make", [
    lambda i: (np.arange(10.0) * 2)[i],
    lambda i: np.linspace(0, 1, 11)[i] + np.eye(11)[i, i],
    lambda i: np.arange(20).reshape(4, 5).T[i % 5],
])
def test_numpy_constructors_in_the_function_give_indexable_arrays(make):
    """np.arange / linspace / eye called in the function give traced constants, so a traced
    index (array or scalar) works on them as on an argument."""
    for i in (np.array([1, 3]), np.int64(2)):
        np.testing.assert_array_equal(xl.jit(make)(i), make(i))


def test_a_mask_made_from_constants_stays_static():
    def f(x):
        return x[np.arange(20).reshape(4, 5) % 3 == 0]
    x = np.random.default_rng(0).random((4, 5))
    np.testing.assert_array_equal(xl.jit(f)(x), f(x))
