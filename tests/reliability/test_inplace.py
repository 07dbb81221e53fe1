"""In-place operators inside a traced function give NumPy's result, on the caller's arrays too.

``x += 1`` on an array argument once left the caller's array unchanged (NumPy changes it),
silently; so did ``v = x[1:]; v += 1; return x`` (NumPy changes x through the view). A stopgap
refused them; now they are functional updates written through views and back into the caller's
arrays, checked here against NumPy on the results and on the arguments."""
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


MUTATING = [_arg_iadd, _arg_imul_reduce, _out_is_arg, _view_of_arg, _view_of_internal, _viewed_internal,
            _setitem_arg]


@pytest.mark.parametrize("f", MUTATING, ids=lambda f: f.__name__)
@pytest.mark.parametrize("device", ["cpu", "interpreter"])
def test_inplace_on_shared_memory_matches_numpy(f, device):
    x = np.arange(6.0).reshape(2, 3)
    want_x = x.copy()
    want = f(want_x)
    got = xl.jit(f, device=device)(x)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(x, want_x)      # the caller's array changed as NumPy changes it


def test_inplace_on_argument_inside_a_pytree_is_written_back():
    d, want_d = {"a": np.arange(3.0)}, {"a": np.arange(3.0)}
    np.testing.assert_array_equal(xl.jit(_arg_in_dict)(d), _arg_in_dict(want_d))
    np.testing.assert_array_equal(d["a"], want_d["a"])


def test_read_only_argument_that_is_assigned_into_raises_naming_it():
    x = np.zeros(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="argument x .*read-only"):
        xl.jit(_arg_iadd)(x)


def _two(a, b):
    a += b
    return b.sum()


def test_aliased_mutated_argument_is_refused():
    a = np.ones(4)
    with pytest.raises(ValueError, match="argument a .*shares memory with argument b"):
        xl.jit(_two)(a, a)
    np.testing.assert_array_equal(a, np.ones(4))


def test_assignment_into_a_scalar_argument_raises_like_numpy():
    def f(s):
        s[0] = 1
        return s
    with pytest.raises(TypeError, match="does not support item assignment"):
        xl.jit(f)(np.float64(2.0))


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


def test_inplace_with_a_kept_noop_view_matches_numpy():
    x = np.ones((2, 3))
    np.testing.assert_array_equal(xl.jit(_kept_noop_view)(x), _kept_noop_view(x.copy()))
