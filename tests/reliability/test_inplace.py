"""In-place operators inside a traced function: NumPy's result, or a clear error, never silence.

``x += 1`` on an array argument used to leave the caller's array unchanged (NumPy changes it),
silently; so did ``v = x[1:]; v += 1; return x`` (NumPy changes x through the view). Those now
raise, naming the line; in-place operators on arrays nobody else sees keep working (rebinding
the name gives NumPy's result)."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl


def _arg_iadd(x):
    x += 1
    return x


def _arg_imul_reduce(x):
    x *= 2
    return x.sum()


def _arg_in_dict(d):
    d["a"] -= 1
    return d["a"]


def _out_is_arg(x):
    np.multiply(x, 2, out=x)
    return x


def _view_of_arg(x):
    v = x[1:]
    v += 1
    return x


def _view_of_internal(x):
    y = x * 2
    v = y.reshape(-1)
    v += 1
    return y


def _viewed_internal(x):
    y = x * 2
    v = y.T
    y += 1
    return v


def _setitem_arg(x):
    x[0] = 5
    return x


REFUSED = [_arg_iadd, _arg_imul_reduce, _out_is_arg, _view_of_arg, _view_of_internal, _viewed_internal,
           _setitem_arg]


@pytest.mark.parametrize("f", REFUSED, ids=lambda f: f.__name__)
def test_inplace_on_shared_memory_raises_naming_the_line(f):
    x = np.arange(6.0).reshape(2, 3)
    before = x.copy()
    with pytest.raises(xl.UnsupportedError) as e:
        xl.jit(f)(x)
    msg = str(e.value)
    assert f"{__file__}:" in msg and "instead" in msg, msg
    np.testing.assert_array_equal(x, before)


def test_inplace_on_argument_inside_a_pytree_raises():
    with pytest.raises(xl.UnsupportedError, match="argument"):
        xl.jit(_arg_in_dict)({"a": np.arange(3.0)})


def test_augmented_assignment_message_says_what_to_write():
    with pytest.raises(xl.UnsupportedError, match=r"`\+=` on an array argument.*`y = x \+ \.\.\.`"):
        xl.jit(_arg_iadd)(np.zeros(3))


def _fresh(x, k):
    y = x * 1.5           # a new array nobody else sees: rebinding is NumPy's result
    y += 1
    y *= x
    c = x.copy()          # a copy, not the caller's array
    c -= 2
    a = x[0]              # a 0-d result of integer indexing is a copy (a NumPy scalar)
    a /= 4
    f = x.reshape(2, 3).flatten()   # flatten copies
    f += 3
    k += 1                # a Python scalar argument: rebinding, as in Python
    return y, c, a, f, k


def test_inplace_on_fresh_values_matches_numpy():
    x = np.linspace(-1, 1, 6)
    got = xl.jit(_fresh)(x, 3)
    before = x.copy()
    want = _fresh(x.copy(), 3)
    np.testing.assert_array_equal(x, before)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-15)


def _temporary_views(x):
    y = x * 2
    s = y.reshape(-1).sum() + y.T[0, 0]     # views that are gone once the expression is done
    y += s
    z = y * 1
    w = z.reshape(z.shape)                  # a view even where reshape has nothing to do
    del w
    z -= 1
    return y, z


def test_inplace_after_temporary_views_matches_numpy():
    x = np.arange(6.0).reshape(2, 3)
    got = xl.jit(_temporary_views)(x)
    for g, w in zip(got, _temporary_views(x.copy())):
        np.testing.assert_array_equal(g, w)


def _kept_noop_view(x):
    y = x * 2
    v = y.reshape(y.shape)
    y += 1
    return v


def test_inplace_with_a_kept_noop_view_raises():
    with pytest.raises(xl.UnsupportedError, match="view"):
        xl.jit(_kept_noop_view)(np.ones((2, 3)))
