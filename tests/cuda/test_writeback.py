"""Functions that assign into their arguments under ``device="cuda"`` (Numba's simulator): the
caller's array -- a NumPy array, a Numba device array, a strided view of either -- holds
NumPy's result after the call, as without jit; refusals (read-only, aliased) name the argument."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from tests.inplace.test_assignment import _gemm, _gesummv, _jacobi, _out_add, _stddev, _trisolv


def _stencil_then_read(x, y):
    x[1:-1] = 0.5 * (x[:-2] + x[2:]) + y[1:-1]     # reads x after writing part of it
    return x.sum(), x[0] * 2


def _shift(x):
    x[1:] = x[:-1]                                  # overlapping source and destination


def _state_update(state, g):
    state["w"] -= 0.1 * g
    state["n"] += 1
    np.clip(state["w"], -1, 1, out=state["w"])
    return state["w"].sum()


def _scalar_fill(x):
    x[...] = 7


def _to_host(a):
    return a if isinstance(a, np.ndarray) else a.copy_to_host()


def _cases(rng):
    L = np.tril(rng.random((5, 5))) + np.eye(5)
    return [
        (_stencil_then_read, (rng.random(12), rng.random(12))),
        (_stencil_then_read, (rng.random(12).astype(np.float32), rng.random(12).astype(np.float32))),
        (_shift, (rng.integers(-9, 9, 7).astype(np.int32),)),
        (_jacobi, (rng.random((6, 7)), rng.random((6, 7)))),
        (_gemm, (1.5, 0.5, rng.random((3, 5)), rng.random((3, 4)), rng.random((4, 5)))),
        (_trisolv, (L, np.zeros(5), rng.random(5))),
        (_out_add, (rng.random(5) * 2 - 1, rng.random(5))),
        (_gesummv, (rng.random(4), rng.random((4, 4)), rng.random(4))),
        (_stddev, (rng.random((4, 6)) * 0.3,)),
        (_scalar_fill, (np.array(1.5),)),
    ]


def _check(cuda_jit, f, args, to_device=False):
    """Run ``f`` under cuda jit (array arguments moved to the device if asked) and under NumPy,
    on copies; compare the results and every array argument afterwards."""
    from numba import cuda
    ref = copy.deepcopy(args)
    want = f(*ref)
    mine = [cuda.to_device(a) if to_device and isinstance(a, np.ndarray) else
            (a.copy() if isinstance(a, np.ndarray) else a) for a in args]
    got = cuda_jit(f)(*mine)
    if want is None:
        assert got is None
    else:
        pairs = zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,))
        for g, w in pairs:
            w = np.asarray(w)
            np.testing.assert_allclose(np.asarray(g), w, rtol=1e-6 if w.dtype == np.float32 else 1e-12)
    for a, b in zip(mine, ref):
        if isinstance(b, np.ndarray):
            h = _to_host(a)
            assert h.dtype == b.dtype and h.shape == b.shape
            np.testing.assert_allclose(h, b, rtol=1e-6 if b.dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("to_device", [False, True], ids=["numpy", "device"])
def test_mutated_arguments_hold_numpys_result(cuda_jit, rng, to_device):
    for f, args in _cases(rng):
        _check(cuda_jit, f, args, to_device)


@pytest.mark.parametrize("to_device", [False, True], ids=["numpy", "device"])
def test_pytree_state_is_updated(cuda_jit, rng, to_device):
    from numba import cuda
    state = {"w": rng.normal(size=5) * 10, "n": np.array(3, np.int64)}
    g = rng.normal(size=5)
    ref = copy.deepcopy(state)
    want = _state_update(ref, g)
    mine = {k: (cuda.to_device(v) if to_device else v.copy()) for k, v in state.items()}
    got = cuda_jit(_state_update)(mine, g)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)
    for k in state:
        np.testing.assert_array_equal(_to_host(mine[k]), ref[k])


@pytest.mark.parametrize("to_device", [False, True], ids=["numpy", "device"])
def test_strided_view_is_written_through(cuda_jit, rng, to_device):
    from numba import cuda
    base = rng.random(24)
    y = rng.random(12)
    ref = base.copy()
    want = _stencil_then_read(ref[::2], y)
    buf = cuda.to_device(base.copy()) if to_device else base.copy()
    view = buf[::2]
    got = cuda_jit(_stencil_then_read)(view, y)
    np.testing.assert_allclose(np.asarray(got[0]), want[0], rtol=1e-12)
    np.testing.assert_array_equal(_to_host(buf), ref)       # odd elements untouched


def test_device_array_on_first_call_and_repeated_calls(cuda_jit, rng):
    """A device array on the first call (the signature traced from it) is recognised as
    mutable; every later call writes back again (x += t three times)."""
    from numba import cuda
    x0, t = rng.random(5) * 0.1, rng.random(5) * 0.1
    f = cuda_jit(_out_add)
    dx = cuda.to_device(x0.copy())
    hx = x0.copy()
    ref = x0.copy()
    for _ in range(3):
        f(dx, t)
        f(hx, t)
        _out_add(ref, t)
    np.testing.assert_allclose(dx.copy_to_host(), ref, rtol=1e-12)
    np.testing.assert_allclose(hx, ref, rtol=1e-12)


def test_refusals_name_the_argument(cuda_jit, rng):
    from numba import cuda
    f = cuda_jit(_stencil_then_read)
    ro = rng.random(12)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="argument x is assigned into, but the array passed is read-only"):
        f(ro, rng.random(12))
    d = cuda.to_device(rng.random(12))
    before = d.copy_to_host()
    with pytest.raises(ValueError, match="argument x is assigned into and shares memory with argument y"):
        f(d, d)
    np.testing.assert_array_equal(d.copy_to_host(), before)       # refused before running
    big = cuda.to_device(rng.random(13))
    with pytest.raises(ValueError, match="shares memory"):
        f(big[:12], big[1:])
    h = rng.random(12)
    with pytest.raises(ValueError, match="shares memory"):
        f(h, h)
    # disjoint halves of one device buffer are not aliased
    both = cuda.to_device(rng.random(24))
    ref = both.copy_to_host()
    want = _stencil_then_read(ref[:12], ref[12:])
    got = f(both[:12], both[12:])
    np.testing.assert_allclose(np.asarray(got[0]), want[0], rtol=1e-12)
    np.testing.assert_array_equal(both.copy_to_host(), ref)


class _Cai:
    """An object exposing only ``__cuda_array_interface__`` (as CuPy / PyTorch arrays do)."""

    def __init__(self, ptr, shape, typestr="<f8", strides=None):
        self.__cuda_array_interface__ = {"data": (ptr, False), "shape": shape, "typestr": typestr,
                                         "strides": strides, "version": 3}


def test_device_overlap_from_the_array_interface():
    """Real GPU arrays are compared by the address ranges their interface describes."""
    from xlaish.runtime.cuda import shares_memory
    a = _Cai(4096, (10,))                               # bytes [4096, 4176)
    assert shares_memory(a, _Cai(4096 + 72, (1,)))      # its last element
    assert not shares_memory(a, _Cai(4096 + 80, (4,)))   # just after it
    assert not shares_memory(a, _Cai(4096 - 32, (4,)))   # just before it
    assert shares_memory(_Cai(4096, (3, 4), strides=(64, 8)), _Cai(4096 + 150, (2,)))
    assert not shares_memory(_Cai(4096, (3, 4), strides=(64, 8)), _Cai(4096 + 168, (2,)))
    assert shares_memory(_Cai(4096 + 72, (10,), strides=(-8,)), _Cai(4096, (1,)))   # reversed view
    assert not shares_memory(a, _Cai(4096, (0,)))      # no elements
