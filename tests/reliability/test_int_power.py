"""Integer to a negative integer power: NumPy raises ValueError; so does xlaish, not a silent 0.

A constant exponent is refused while tracing; a traced one is checked when the program runs
(an ``xl.debug.check`` the tracer adds), and the failure is a ValueError with NumPy's message."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.errors import NEGATIVE_INT_POWER

X = np.arange(1, 5, dtype=np.int64)
CASES = [
    ("array exponent", lambda a, b: a ** b, (X, np.array([1, -1, 2, 0]))),
    ("np.power", lambda a, b: np.power(a, b), (X, np.array([1, -1, 2, 0]))),
    ("scalar argument", lambda a, b: a ** b, (X, -1)),
    ("traced base of a Python int", lambda a: 2 ** a, (-X,)),
    ("int32 exponent", lambda a, b: a ** b, (X.astype(np.int32), np.array([0, 0, -3, 1], np.int32))),
]


def _numpy_error(f, args):
    with pytest.raises(ValueError) as e:
        f(*args)
    return str(e.value)


@pytest.mark.parametrize("device", [None, "interpreter"])
@pytest.mark.parametrize("name, f, args", CASES, ids=[c[0] for c in CASES])
def test_negative_integer_power_raises_value_error(name, f, args, device):
    msg = _numpy_error(f, args)
    assert msg == NEGATIVE_INT_POWER
    with pytest.raises(ValueError, match=msg):
        xl.jit(f, device=device)(*args) if device else xl.jit(f)(*args)


def test_constant_negative_exponent_raises_while_tracing():
    with pytest.raises(ValueError, match=NEGATIVE_INT_POWER) as e:
        xl.jit(lambda a: a ** -2)(X)
    assert __file__ in str(e.value)


@pytest.mark.parametrize("exp", [np.array([1, 0, 2, 3]), np.array([0, 0, 0, 0]), 3])
def test_non_negative_exponents_match_numpy(exp):
    f = xl.jit(lambda a, b: a ** b)
    np.testing.assert_array_equal(f(X, exp), X ** exp)
    np.testing.assert_array_equal(f(X, exp), X ** exp)   # the cached program checks again


def test_float_powers_are_not_checked():
    b = np.array([1.0, -1.0, 2.0, -0.5])
    np.testing.assert_allclose(xl.jit(lambda a, b: a ** b)(X.astype(float), b), X.astype(float) ** b)


def test_every_spelling_of_power_is_checked():
    """The check lives in the power function itself: operator, np.power, xlaish.numpy.power."""
    import xlaish.numpy as xnp
    b, e = np.arange(1, 5, dtype=np.int64), np.array([1, -2, 0, 3])
    for f in (lambda b, e: b ** e, lambda b, e: np.power(b, e), lambda b, e: xnp.power(b, e)):
        with pytest.raises(ValueError, match="negative integer powers"):
            f(b, e)
        with pytest.raises(ValueError, match="negative integer powers"):
            xl.jit(f)(b, e)
