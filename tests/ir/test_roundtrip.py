"""Printer/parser round trip and verification of traced (and optimised) programs."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from tests.conftest import check_ir_round_trip
from tests.ir.corpus import CORPUS
from xlaish.ir import interpret, parse, print_function, verify

IDS = [name for name, _, _ in CORPUS]


@pytest.mark.parametrize("name,fn,args", CORPUS, ids=IDS)
def test_traced_program_round_trips(name, fn, args):
    f = xl.make_ir(fn)(*args)
    check_ir_round_trip(f)


@pytest.mark.parametrize("name,fn,args", CORPUS, ids=IDS)
def test_parsed_program_runs_like_the_original(name, fn, args):
    """The parsed function is not just the same text: it computes the same thing (the
    interpreter runs both on the same inputs)."""
    from xlaish.trace import pytree
    f = xl.make_ir(fn)(*args)
    g = parse(str(f))
    leaves, _ = pytree.flatten(list(args))
    arrays = [np.asarray(a) for a in leaves]
    with np.errstate(all="ignore"):
        for a, b in zip(interpret(f, arrays), interpret(g, arrays)):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name,fn,args", CORPUS, ids=IDS)
def test_optimized_program_round_trips(name, fn, args):
    """The pass pipeline's output (with fused regions) verifies and round-trips too."""
    low = xl.jit(fn, device="interpreter").lower(*args)
    check_ir_round_trip(low.optimized)


def test_locations_are_comments():
    def f(x):
        return np.exp(x) + 1
    fn = xl.make_ir(f)(np.ones(3))
    text = print_function(fn, locs=True)
    assert "//" in text and "test_roundtrip.py" in text
    assert parse(text) == fn


def test_parse_is_insensitive_to_value_names_and_whitespace():
    text = """
    func @f(%a: f32[2], %b: f32[2]) -> (f32[2], bool[2]) {
        %t = add %a, %b : f32[2]      // any name
        %u = less %t,%a : bool[2]
        return %t, %u
    }"""
    fn = verify(parse(text))
    assert str(parse(str(fn))) == str(fn)
    assert [op.name for op in fn.ops] == ["add", "less"]
    assert fn == parse(str(fn).replace("%0", "%zz").replace("%1", "%yy"))


def test_equality_is_structural():
    """Two traces of the same code are equal (fresh Values, same text); other code is not."""
    f1 = xl.make_ir(lambda x: x * 2)(np.ones(3, np.float32))
    f1b = xl.make_ir(lambda x: x * 2)(np.ones(3, np.float32))
    f3 = xl.make_ir(lambda x: x * 3)(np.ones(3, np.float32))
    assert f1 == f1b and f1.params[0] is not f1b.params[0]
    assert f1 != f3
    assert hash(f1) == hash(parse(str(f1)))


def test_every_attribute_kind_round_trips():
    """Strings (with escapes), none, bools, ints, floats (nan, inf, -inf, exponents), dtypes,
    nested lists and dense arrays, printed in sorted key order."""
    text = "\n".join([
        'func @attrs(%x: f32[2]) -> f32[2] {',
        '  %0 = exp %x {a = "say \\"hi\\"\\n", b = none, c = true, d = false, e = -7, '
        'f = 1.5e-30, g = nan, h = inf, i = -inf, j = f16, k = [1, [2.5, false], []], '
        'l = dense<[[1, -2], [3, 4]] : i64[2,2]>, m = dense<[] : f32[0]>, '
        'n = dense<[nan, -inf, -0.0] : f64[3]>, o = dense<true : bool[]>} : f32[2]',
        '  return %0',
        '}'])
    fn = parse(text)
    assert str(fn) == text
    attrs = fn.ops[0].attrs
    assert attrs["a"] == 'say "hi"\n' and attrs["b"] is None and attrs["c"] is True
    assert attrs["e"] == -7 and attrs["f"] == 1.5e-30 and np.isnan(attrs["g"]) and attrs["i"] == -np.inf
    assert attrs["j"] == np.dtype(np.float16)
    assert attrs["l"].dtype == np.int64 and attrs["l"].tolist() == [[1, -2], [3, 4]]
    assert attrs["m"].shape == (0,) and attrs["n"].dtype == np.float64 and np.signbit(attrs["n"][2])
    verify(fn)


def test_region_ops_round_trip():
    text = "\n".join([
        "func @f(%x: f32[4], %y: f32[4]) -> (f32[4], f32[]) {",
        "  %0, %1 = fused %x, %y : f32[4], f32[] {",
        "    func @kernel0(%in0: f32[4], %in1: f32[4]) -> (f32[4], f32[]) {",
        "      %0 = multiply %in0, %in1 : f32[4]",
        "      %1 = sum %0 {axes = [0], keepdims = false} : f32[]",
        "      return %0, %1",
        "    }",
        "  }",
        "  return %0, %1",
        "}"])
    fn = verify(parse(text))
    assert str(fn) == text
    x = np.arange(4, dtype=np.float32)
    a, s = interpret(fn, [x, x])
    np.testing.assert_array_equal(a, x * x)
    assert s == np.sum(x * x)
