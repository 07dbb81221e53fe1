"""debug.print / debug.check / XLAISH_DEBUG_NANS, compiled and interpreted."""
import inspect

import numpy as np
import pytest

import xlaish as xl


@pytest.mark.parametrize("device", ["cpu", "interpreter"])
def test_debug_print_shows_runtime_values(device, capsys):
    def f(x):
        y = x * 2
        xl.debug.print("y = {} and total {}", y, y.sum())
        return y + 1
    x = np.arange(3.0)
    np.testing.assert_array_equal(xl.jit(f, device=device)(x), x * 2 + 1)
    assert capsys.readouterr().out.strip() == f"y = {x * 2} and total {(x * 2).sum()}"
    x2 = np.arange(3.0) + 10          # same compiled code, new values printed
    xl.jit(f, device=device)(x2)
    assert str(x2 * 2) in capsys.readouterr().out


def test_debug_print_inside_a_loop_prints_every_iteration(capsys):
    def f(n):
        def body(i, acc):
            xl.debug.print("i={}", i)
            return acc + i
        return xl.fori_loop(0, n, body, 0)
    assert xl.jit(f)(4) == 6
    assert capsys.readouterr().out.split() == [f"i={i}" for i in range(4)]


@pytest.mark.parametrize("device", ["cpu", "interpreter"])
def test_debug_check_raises_after_the_call(device):
    def f(x):
        xl.debug.check(x > 0, "x must be positive")
        return np.sqrt(x)
    g = xl.jit(f, device=device)
    np.testing.assert_allclose(g(np.array([1.0, 4.0])), [1.0, 2.0])
    with pytest.raises(xl.CheckError, match="x must be positive"):
        g(np.array([1.0, -4.0]))


def test_debug_print_and_check_run_eagerly_outside_jit(capsys):
    xl.debug.print("v={}", 3)
    assert capsys.readouterr().out.strip() == "v=3"
    with pytest.raises(xl.CheckError, match="nope"):
        xl.debug.check(np.array([True, False]), "nope")


def test_debug_nans_names_the_op_and_line(monkeypatch):
    monkeypatch.setenv("XLAISH_DEBUG_NANS", "1")
    monkeypatch.setenv("XLAISH_CACHE_DIR", "off")

    def f(x):
        y = x * 2
        z = np.log(y)          # the NaN comes from here
        return z + 1
    line = inspect.getsourcelines(f)[1] + 2
    g = xl.jit(f)
    np.testing.assert_allclose(g(np.array([1.0, 2.0])), np.log([2.0, 4.0]) + 1)
    with pytest.raises(FloatingPointError, match=f"'log' at .*test_debug.py:{line}"):
        g(np.array([1.0, -2.0]))


def test_without_debug_nans_nan_is_just_a_value(monkeypatch):
    monkeypatch.delenv("XLAISH_DEBUG_NANS", raising=False)
    out = xl.jit(lambda x: np.log(x))(np.array([-1.0]))
    assert np.isnan(out).all()


def test_debug_print_format_that_does_not_fit_its_values_fails_while_tracing():
    """Too few values, a named field, or a spec the value cannot take: a TraceError naming the
    format and the user's line, before anything runs (not an exception swallowed inside the
    print callback)."""
    x = np.array([1.0, -2.0, 3.0], np.float32)
    for fmt, args in [("a={} b={}", lambda x: (x[0],)), ("{name}", lambda x: (x,)),
                      ("{:.3f}", lambda x: (x,))]:
        def f(x):
            xl.debug.print(fmt, *args(x))
            return x * 2
        with pytest.raises(xl.errors.TraceError,
                           match=r"debug\.print: format .* \(at .*test_debug\.py:\d+\)"):
            xl.jit(f)(x)


def test_a_loop_that_prints_is_kept_when_its_result_is_unused(capsys):
    """DCE keeps a region op whose body has a side effect (it dropped the whole loop before)."""
    def f(x):
        xl.fori_loop(0, 3, lambda i, v: (xl.debug.print("it {}", i), v + 1)[1], x)
        return x * 2

    x = np.ones(2)
    np.testing.assert_array_equal(xl.jit(f)(x), x * 2)
    assert capsys.readouterr().out.split() == ["it", "0", "it", "1", "it", "2"]
