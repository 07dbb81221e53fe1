"""Shared helpers of the pass tests: run a pass with the verifier, compare with NumPy, inspect IR."""
from __future__ import annotations

import inspect
import textwrap

import numpy as np

import xlaish as xl
from xlaish.ir import interpret, parse, verify

from ..helpers import assert_matches_numpy

# Edge values every IEEE test feeds: signed zeros, infinities, NaN and ordinary numbers.
FLOAT_EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.5, -2.5, 4.0, 0.25, -1.0]


def edges(dtype=np.float32) -> np.ndarray:
    return np.array(FLOAT_EDGES, dtype=dtype)


def trace(f, *args):
    """The traced IR of ``f`` (verified)."""
    return verify(xl.make_ir(f)(*args))


def ir(text: str):
    """Parse IR text (dedented), verify it, and check it prints back exactly."""
    fn = verify(parse(textwrap.dedent(text).strip()))
    assert str(fn) == textwrap.dedent(text).strip(), f"not canonical text:\n{fn}"
    return fn


def expect_text(fn, text: str):
    """``fn`` prints exactly as ``text`` (dedented), and the text parses back to ``fn``."""
    want = textwrap.dedent(text).strip()
    got = str(fn)
    assert got == want, f"IR differs from the golden text.\n--- got ---\n{got}\n--- want ---\n{want}"
    assert parse(got) == fn


def run(pass_fn, fn, *args, **kw):
    """Apply one pass and verify the result (the verifier runs after every pass)."""
    out = pass_fn(fn, *args, **kw)
    verify(out)
    return out


def op_names(fn, nested: bool = False) -> list[str]:
    ops = fn.walk() if nested else fn.ops
    return [op.name for op in ops]


def live_op_names(fn) -> list[str]:
    """Names of the ops that contribute to a result (ignores dead ops a pass left for DCE)."""
    from xlaish.passes.dce import dce
    return op_names(dce(fn))


def assert_bitwise(got, expected, err_msg=""):
    """Same dtype, shape, NaN positions, and bits of every non-NaN value (signed zeros included)."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype, f"{err_msg}: dtype {got.dtype} != {expected.dtype}"
    assert got.shape == expected.shape, f"{err_msg}: shape {got.shape} != {expected.shape}"
    if got.dtype.kind == "f":
        gn, en = np.isnan(got), np.isnan(expected)
        assert (gn == en).all(), f"{err_msg}: NaN positions differ: {got} vs {expected}"
        ok = ~gn
        assert (got[ok] == expected[ok]).all() and (np.signbit(got[ok]) == np.signbit(expected[ok])).all(), \
            f"{err_msg}: {got} vs NumPy {expected}"
    else:
        assert (got == expected).all(), f"{err_msg}: {got} vs NumPy {expected}"


def ir_args(fn, f, args) -> list:
    """``args`` (positional arguments of the Python function ``f``) in the order of ``fn``'s
    parameters. The tracer orders parameters by the flattened argument tree, which sorts
    argument names, so ``lambda x, w, b`` traces to ``@f(%b, %w, %x)``; parameters carry the
    argument names as hints."""
    try:
        bound = inspect.signature(f).bind(*args).arguments
    except (TypeError, ValueError):
        return list(args)
    hints = [p.hint for p in fn.params]
    if len(hints) == len(args) and all(h in bound for h in hints):
        return [bound[h] for h in hints]
    return list(args)


def results(fn, *args, f=None) -> tuple:
    """Interpret ``fn``; with ``f`` given, ``args`` are ``f``'s positional arguments."""
    if f is not None:
        args = ir_args(fn, f, args)
    with np.errstate(all="ignore"):
        return interpret(fn, list(args))


def assert_equals_numpy(fn, numpy_fn, *args, bitwise: bool = True):
    """Interpreting ``fn`` on ``args`` gives what NumPy gives for ``numpy_fn(*args)``."""
    with np.errstate(all="ignore"):
        expected = numpy_fn(*args)
    exp = expected if isinstance(expected, tuple) else (expected,)
    got = results(fn, *args, f=numpy_fn)
    assert len(got) == len(exp)
    for g, e in zip(got, exp):
        e = np.asarray(e)
        if bitwise:
            assert_bitwise(g, e, err_msg=str(fn))
        else:
            assert_matches_numpy(g, e, err_msg=str(fn))
