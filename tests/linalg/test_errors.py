"""np.linalg errors: LinAlgError with NumPy's message from the compiled call (values), NumPy's
exception types at trace time (shapes, dtypes), and CUDA's refusal of LAPACK-sized matrices."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.errors import UnsupportedError

SIZES = (2, 4, 6)      # inline (2, 4) and LAPACK (6)


def _singular(n):
    a = np.arange(float(n * n)).reshape(n, n) + 1.0
    a[-1] = a[0] * 2.0          # exactly dependent rows
    return a


def _numpy_error(fn, *args):
    with pytest.raises(np.linalg.LinAlgError) as e:
        fn(*args)
    return str(e.value)


@pytest.mark.parametrize("n", SIZES)
def test_singular_solve_and_inv_raise_from_the_compiled_call(n):
    a = np.stack([np.eye(n), _singular(n)])      # the second matrix of the batch is singular
    b = np.ones((2, n, 1))
    for fn, args in [(np.linalg.solve, (a, b)), (np.linalg.inv, (a,))]:
        msg = _numpy_error(fn, *args)
        jf = xl.jit(fn)
        with pytest.raises(np.linalg.LinAlgError, match=msg):
            jf(*args)
        good = (np.eye(n)[None].repeat(2, 0),) + args[1:]
        np.testing.assert_allclose(jf(*good), fn(*good))     # the same program, fine inputs


@pytest.mark.parametrize("n", SIZES)
def test_det_of_singular_is_zero_not_an_error(n):
    a = _singular(n)
    f = xl.jit(lambda a: (np.linalg.det(a), *np.linalg.slogdet(a)))
    d, s, lg = f(a)
    assert d == np.linalg.det(a) or abs(d) < 1e-12 * np.abs(a).max() ** n
    es, el = np.linalg.slogdet(a)
    assert s == es and (lg == el or (np.isinf(el) and lg < -20))


@pytest.mark.parametrize("n", SIZES)
def test_cholesky_not_positive_definite(n):
    a = np.eye(n)
    a[-1, -1] = -1.0
    msg = _numpy_error(np.linalg.cholesky, a)
    with pytest.raises(np.linalg.LinAlgError, match=msg):
        xl.jit(np.linalg.cholesky)(a)


def test_shape_and_dtype_errors_at_trace_time():
    cases = [(np.linalg.inv, (np.ones(3),)), (np.linalg.det, (np.ones((2, 3)),)),
             (np.linalg.cholesky, (np.ones((3, 2)),)), (np.linalg.solve, (np.eye(3), np.ones(4))),
             (np.linalg.solve, (np.eye(3), np.ones((2, 4, 1)))), (np.linalg.eigh, (np.ones((2, 3)),)),
             (np.linalg.inv, (np.eye(3, dtype=np.float16),)), (np.linalg.svd, (np.ones(3),)),
             (lambda a: np.linalg.eigh(a, "X"), (np.eye(2),))]
    for fn, args in cases:
        with pytest.raises(Exception) as expected:
            fn(*args)
        with pytest.raises(type(expected.value)) as got:
            xl.jit(fn)(*args)
        assert str(expected.value).split(" (")[0] in str(got.value), (str(got.value), str(expected.value))
        assert "test_errors.py" in str(got.value) or "(at " in str(got.value)


def test_cuda_small_inline_and_large_refused():
    pytest.importorskip("numba")
    from tests.cuda.conftest import simulator_on
    if not simulator_on():
        pytest.skip("the CUDA simulator is not available (numba imported without it)")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((8, 3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((8, 3, 2))
    f = xl.jit(lambda a, b: (np.linalg.solve(a, b), np.linalg.det(a), np.linalg.cholesky(a @ a.mT)),
               device="cuda")
    for g, e in zip(f(a, b), (np.linalg.solve(a, b), np.linalg.det(a), np.linalg.cholesky(a @ a.mT))):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-10)
    with pytest.raises(UnsupportedError, match=r"lu_solve.*6x6.*LAPACK"):
        xl.jit(np.linalg.inv, device="cuda")(np.eye(6))
