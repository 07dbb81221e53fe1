"""Assignment into traced arrays against NumPy: results and mutated arguments, CPU and interpreter."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl

DEVICES = ["cpu", "interpreter"]


def check(f, *args, device="cpu", rtol=1e-12):
    """Run f under jit and under NumPy on copies; compare results and the arguments after."""
    mine = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    ref = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    got = xl.jit(f, device=device)(*mine)
    want = f(*ref)
    if want is None:
        assert got is None
    pairs = zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,))
    for g, w in (pairs if want is not None else ()):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=rtol)
        assert np.asarray(g).dtype == np.asarray(w).dtype
    for a, b in zip(mine, ref):
        if isinstance(a, np.ndarray):
            np.testing.assert_allclose(a, b, rtol=rtol)


KEYS = [0, -1, (1, 2), slice(1, None), slice(None, None, 2), slice(None, None, -1), slice(-2, 0, -1),
        (slice(1, -1), slice(1, -1)), (Ellipsis, 0), (None, 1), (slice(None), None, slice(0, 3, 2)),
        (0, slice(None, None, -2)), Ellipsis, slice(4, 1)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("key", KEYS, ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.float32])
def test_setitem_basic_index(key, dtype, device):
    def f(x, v):
        y = x * 2
        y[key] = v
        x[key] += v             # an argument, written back
        return y
    x = np.arange(20).reshape(4, 5).astype(dtype)
    v = np.asarray(7, dtype)
    check(f, x, v, device=device)


@pytest.mark.parametrize("device", DEVICES)
def test_setitem_with_broadcast_array_value(device):
    def f(x, r):
        x[1:3, ::2] = r         # r broadcasts over the rows
        return x.sum()
    check(f, np.zeros((4, 5)), np.arange(3.0), device=device)


def test_value_shape_mismatch_is_numpys_error():
    def f(x):
        x[0:2] = np.ones(3)
    with pytest.raises(ValueError, match="could not broadcast"):
        xl.jit(f)(np.zeros(5))


@pytest.mark.parametrize("device", DEVICES)
def test_views_of_views_and_repeated_writes(device):
    def f(x):
        y = x[1:]
        z = y[::2]
        z[0] = 5
        y[-1] += 10
        t = x.reshape(2, 3).T
        t[0, 1] = -1
        z *= 2
        return x.sum(), z, t
    check(f, np.arange(6.0), device=device)


@pytest.mark.parametrize("device", DEVICES)
def test_zero_d_and_empty(device):
    def f(a, e, s):
        a[...] = 3.0            # a 0-d array argument
        a += 1
        e[:] = 1.0              # empty
        e += 2
        s += 1                  # a NumPy scalar: rebinding only
        return a * 1, e * 1, s
    check(f, np.array(1.0), np.zeros((0, 3)), np.float64(2.0), device=device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_boolean_masks(device, dtype):
    def f(x, y):
        z = x * 1
        z[z <= 3] = 1           # scalar
        x[x > 5] += 2           # augmented, on an argument
        y[y > 0] = x[y > 0]     # same mask object? two masks: see below
        return z
    def g(x, y):
        m = y > 0
        y[m] = 2 * x[m]         # a masked read written back under the same mask
        rows = x.sum(axis=1) > 10
        x[rows] = np.arange(x.shape[1], dtype=x.dtype)   # broadcast to the selected rows
        return y
    x = np.arange(12).reshape(3, 4).astype(dtype)
    y = (np.arange(12).reshape(3, 4) % 3 - 1).astype(dtype)
    with pytest.raises(xl.UnsupportedError, match="depends on the values"):
        xl.jit(f, device=device)(x.copy(), y.copy())
    check(g, x, y, device=device)


def test_data_dependent_reads_say_so_and_show_where():
    for f in (lambda x: x[x > 0].sum(), lambda x: np.nonzero(x), lambda x: np.where(x > 0),
              lambda x: np.unique(x)):
        with pytest.raises(xl.UnsupportedError, match=r"depends on the values.*np\.where\(mask, x, 0\)"):
            xl.jit(f)(np.arange(3.0))


@pytest.mark.parametrize("device", DEVICES)
def test_ufunc_out_clip_out_copyto(device):
    def f(x, y):
        np.add(x, y, out=x)
        np.clip(y, -1, 1, out=y)
        z = np.zeros_like(x)
        np.copyto(z, y, where=y > 0)
        np.multiply(x[1:3], 2, out=z[1:3])
        return z
    check(f, np.linspace(-3, 3, 6), np.linspace(-2, 2, 6)[::-1].copy(), device=device)


# the issue's lines -----------------------------------------------------------------------
def _conv(x, w):
    N, H, W, C = x.shape
    out = np.empty((N, H - 2, W - 2, w.shape[-1]))
    for i in range(H - 2):
        for j in range(W - 2):
            win = x[:, i:i + 3, j:j + 3, :, None]
            out[:, i, j, :] = np.sum(win * w, axis=(1, 2, 3))
    return out


def _jacobi(A, B):
    B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1] + A[:-2, 1:-1])


def _gemm(alpha, beta, C, A, B):
    C[:] = alpha * A @ B + beta * C


def _trisolv(L, x, b):
    for i in range(x.shape[0]):
        x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]


def _stddev(s):
    stddev = np.std(s, axis=0)
    stddev[stddev <= 0.1] = 1.0
    return stddev


def _out_add(out, t):
    out += t
    np.clip(out, -1, 1, out=out)


def _gesummv(x1, A, y1):
    x1 += A @ y1


@pytest.mark.parametrize("device", DEVICES)
def test_issue_lines(device):
    r = np.random.default_rng(0)
    check(_conv, r.random((2, 5, 5, 3)), r.random((3, 3, 3, 4)), device=device)
    check(_jacobi, r.random((6, 7)), r.random((6, 7)), device=device)
    check(_gemm, 1.5, 0.5, r.random((3, 5)), r.random((3, 4)), r.random((4, 5)), device=device)
    L = np.tril(r.random((5, 5))) + np.eye(5)
    check(_trisolv, L, np.zeros(5), r.random(5), device=device)
    check(_stddev, r.random((4, 6)) * 0.3, device=device)
    check(_out_add, r.random(5) * 2 - 1, r.random(5), device=device)
    check(_gesummv, r.random(4), r.random((4, 4)), r.random(4), device=device)


def test_created_arrays_used_as_constants_keep_working():
    def f(x):
        w = np.ones(3)
        n = int(w.sum())          # a constant: a Python int, as in NumPy
        k = np.zeros(2, dtype=np.int64)
        k[0] = 2                  # constant writes keep it constant
        return x * w[: n] + float(k[0]) + len(w.tolist())
    check(f, np.arange(3.0))


def test_numpy_copy_and_array_are_copies():
    def f(x):
        a = np.copy(x)
        b = np.array(x)
        c = x.copy()
        a[0] = 10
        b[1] = 20
        c[2] = 30
        return x, a, b, c
    check(f, np.arange(4.0))


def test_fast_path_writes_back_on_every_call():
    f = xl.jit(_out_add)
    x = np.zeros(3)
    for _ in range(3):
        f(x, np.full(3, 0.25))
    np.testing.assert_allclose(x, 0.75)


@pytest.mark.parametrize("fill", [0.25, np.float32(1.5), 3])
def test_np_full_with_a_traced_fill_value(fill):
    """np.full converts its fill value before any dispatch: a traced one must still give an array
    of NumPy's dtype (it raised ConcretizationError)."""
    def f(v, x):
        return np.full(3, v) * x, np.full((2, 2), v, dtype=np.float32)

    x = np.arange(3.0)
    for got, want in zip(xl.jit(f)(fill, x), f(fill, x)):
        np.testing.assert_allclose(got, want)
        assert got.dtype == want.dtype
