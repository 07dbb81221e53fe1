"""``xlaish.pure_callback`` / ``xlaish.io_callback``: Python called from compiled code.

The callbacks compute with NumPy; every expectation is NumPy's result on the same values."""
from __future__ import annotations

import threading
import traceback

import numpy as np
import pytest

import xlaish as xl
import xlaish.numpy as xnp
from xlaish.errors import ConcretizationError, UnsupportedError

X = np.linspace(-2, 3, 12, dtype=np.float32).reshape(3, 4)


def _spec(x):
    return xl.ShapeDtype(x.shape, x.dtype)


def test_pure_callback_runs_each_call_with_runtime_values():
    seen = []

    def host(v):
        seen.append(v.copy())
        return np.sinh(v)

    f = xl.jit(lambda x: xl.pure_callback(host, _spec(x), x * 2) + 1)
    for x in (X, X + 1):
        np.testing.assert_allclose(f(x), np.sinh(x * 2) + 1, rtol=1e-6)
    assert len(seen) == 2
    np.testing.assert_array_equal(seen[1], (X + 1) * 2)
    assert seen[0].dtype == np.float32 and seen[0].shape == (3, 4)


def test_pytrees_kwargs_and_several_results():
    def host(a, b, scale=None):
        return {"s": (a * b).sum() * scale, "t": a.T.astype(np.float64)}

    res = {"s": xl.ShapeDtype((), np.float32), "t": xl.ShapeDtype((4, 3), np.float64)}
    f = xl.jit(lambda d: xl.pure_callback(host, res, d["a"], d["b"], scale=np.float32(3)))
    out = f({"a": X, "b": X[::-1].copy()})
    np.testing.assert_allclose(out["s"], (X * X[::-1]).sum() * 3, rtol=1e-6)
    np.testing.assert_array_equal(out["t"], X.T.astype(np.float64))
    eager = xl.pure_callback(host, res, X, X[::-1], scale=np.float32(3))
    np.testing.assert_allclose(eager["s"], out["s"], rtol=1e-6)


def test_exception_propagates_with_its_type_and_traceback():
    def host(v):
        if v.sum() > 100:
            raise KeyError("too big")
        return v

    f = xl.jit(lambda x: xl.pure_callback(host, _spec(x), x) * 2)
    with pytest.raises(KeyError, match="too big") as info:
        f(X + 100)
    frames = [fr.name for fr in traceback.extract_tb(info.value.__traceback__)]
    assert "host" in frames                       # the callback's own frame is in the traceback
    np.testing.assert_array_equal(f(X), X * 2)    # the executable is still usable


def test_wrong_result_shape_or_dtype_is_a_clear_error():
    f = xl.jit(lambda x: xl.pure_callback(lambda v: v[0], _spec(x), x))
    with pytest.raises(TypeError, match="shape"):
        f(X)
    g = xl.jit(lambda x: xl.pure_callback(lambda v: v.astype(np.complex64), _spec(x), x))
    with pytest.raises(TypeError, match="dtype"):
        g(X)


def test_io_callback_order_side_effects_and_no_results():
    log = []

    @xl.jit
    def f(x):
        xl.io_callback(lambda v: log.append(("first", float(v))), None, x.sum(), ordered=True)
        y = x * 3
        xl.io_callback(lambda v: log.append(("second", float(v))), None, y.max(), ordered=True)
        return y

    np.testing.assert_array_equal(f(X), X * 3)
    f(X)
    assert log == [("first", float(X.sum())), ("second", float((X * 3).max()))] * 2


def test_unused_pure_callback_may_be_dropped_io_callback_is_not():
    calls = {"pure": 0, "io": 0}

    def pure(v):
        calls["pure"] += 1
        return v

    def io(v):
        calls["io"] += 1
        return v

    @xl.jit
    def f(x):
        xl.pure_callback(pure, _spec(x), x)
        xl.io_callback(io, _spec(x), x)
        return x + 1

    np.testing.assert_array_equal(f(X), X + 1)
    assert calls == {"pure": 0, "io": 1}


def test_inside_while_loop_and_cond():
    def loop(x):
        def body(c):
            i, v = c
            return i + 1, xl.pure_callback(lambda a: np.round(a * 1.5, 2), v, v)
        return xl.while_loop(lambda c: c[0] < 4, body, (0, x))[1]

    np.testing.assert_allclose(xl.jit(loop)(X), loop(X), rtol=1e-6)
    hits = []

    def branch(x):
        return xl.cond(x.sum() > 0,
                       lambda v: xl.io_callback(lambda a: hits.append(1) or np.cos(a), v, v),
                       lambda v: v - 1, x)

    f = xl.jit(branch)
    np.testing.assert_allclose(f(X), np.cos(X), rtol=1e-6)
    np.testing.assert_allclose(f(-np.abs(X)), -np.abs(X) - 1)
    assert len(hits) == 1


def test_interpreter_and_eager():
    f = lambda x: xl.pure_callback(np.exp, _spec(x), x) - 1      # noqa: E731
    want = np.exp(X) - 1
    np.testing.assert_allclose(xl.jit(f, device="interpreter")(X), want, rtol=1e-6)
    np.testing.assert_allclose(f(X), want, rtol=1e-6)


def test_callback_calling_jit_and_threads():
    inner = xl.jit(lambda v: v * 2)
    f = xl.jit(lambda x: xl.pure_callback(lambda v: inner(v) + 1, _spec(x), x) * 3)
    want = (X * 2 + 1) * 3
    errors = []

    def work():
        try:
            for _ in range(20):
                np.testing.assert_allclose(f(X), want)
        except Exception as e:              # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_cuda_and_aot_refuse(tmp_path):
    f = lambda x: xl.pure_callback(np.exp, _spec(x), x)      # noqa: E731
    with pytest.raises(UnsupportedError, match="CUDA backend cannot call back into Python"):
        xl.jit(f, device="cuda")(X)
    with pytest.raises(UnsupportedError, match="AOT library cannot call back into Python"):
        xl.aot.export(f, (X,), out_dir=str(tmp_path), name="cb", link=False)


def test_np_asarray_of_a_tracer_points_at_pure_callback():
    with pytest.raises(ConcretizationError, match="pure_callback"):
        xl.jit(lambda x: np.asarray(x) + 1)(X)


def test_bad_arguments():
    with pytest.raises(TypeError, match="callable"):
        xl.pure_callback(3, _spec(X), X)
    with pytest.raises(TypeError, match="shape and dtype"):
        xl.pure_callback(np.exp, 5, X)


def test_custom_vjp_gives_a_callback_a_gradient():
    @xl.custom_vjp
    def host_sin(x):
        return xl.pure_callback(np.sin, _spec(x), x)

    def fwd(x):
        return host_sin(x), x

    def bwd(x, g):
        return (g * xl.pure_callback(np.cos, _spec(x), x),)

    host_sin.defvjp(fwd, bwd)
    g = xl.jit(xl.grad(lambda x: xnp.sum(host_sin(x))))(X)
    np.testing.assert_allclose(g, np.cos(X), rtol=1e-6)


def test_gradient_through_a_callback_is_refused_not_silently_zero():
    f = lambda x: xnp.sum(xl.pure_callback(np.sin, _spec(x), x) * x)      # noqa: E731
    with pytest.raises(xl.TraceError, match="not differentiable.*custom_vjp"):
        xl.grad(f)(X)
    with pytest.raises(xl.TraceError, match="not differentiable"):
        xl.jit(xl.grad(f))(X)
