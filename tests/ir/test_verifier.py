"""The verifier rejects malformed IR with a message naming the problem; the parser rejects
malformed text with the line number."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.ir import Builder, Function, Op, TensorType, Value, get_op, parse, verify

F32 = np.dtype(np.float32)


def t(*shape, dtype=F32):
    return TensorType(shape, dtype)


def test_well_formed_function_verifies():
    b = Builder("ok")
    x = b.param(t(4), "x")
    y = b.emit1("exp", [x])
    z = b.emit1("add", [x, y])
    fn = b.build([z])
    assert verify(fn) is fn


def test_use_before_def():
    x = Value(t(4), "x")
    y = Value(t(4))
    z = Value(t(4))
    ops = [Op(get_op("add"), [x, y], {}, [z]), Op(get_op("exp"), [x], {}, [y])]
    with pytest.raises(xl.IRError, match="before it is defined"):
        verify(Function("f", [x], ops, [z]))


def test_operand_from_nowhere():
    x, stray, r = Value(t(4), "x"), Value(t(4)), Value(t(4))
    with pytest.raises(xl.IRError, match="before it is defined"):
        verify(Function("f", [x], [Op(get_op("add"), [x, stray], {}, [r])], [r]))


def test_wrong_result_shape():
    x, r = Value(t(4), "x"), Value(t(5))
    with pytest.raises(xl.IRError, match=r"result types.*f32\[5\].*f32\[4\]"):
        verify(Function("f", [x], [Op(get_op("exp"), [x], {}, [r])], [r]))


def test_wrong_result_dtype():
    x, r = Value(t(4), "x"), Value(t(4, dtype=np.float64))
    with pytest.raises(xl.IRError, match="result types"):
        verify(Function("f", [x], [Op(get_op("negative"), [x], {}, [r])], [r]))


def test_comparison_must_give_bool():
    x, r = Value(t(4), "x"), Value(t(4))
    with pytest.raises(xl.IRError, match=r"bool\[4\]"):
        verify(Function("f", [x], [Op(get_op("less"), [x, x], {}, [r])], [r]))


def test_wrong_operand_dtypes():
    """Elementwise operands must already be cast to the loop dtypes (the tracer inserts astype)."""
    x, y, r = Value(t(4), "x"), Value(t(4, dtype=np.float64), "y"), Value(t(4, dtype=np.float64))
    with pytest.raises(xl.IRError, match="not cast"):
        verify(Function("f", [x, y], [Op(get_op("add"), [x, y], {}, [r])], [r]))


def test_operand_dtype_numpy_has_no_loop_for():
    x, r = Value(t(4), "x"), Value(t(4))
    with pytest.raises(xl.IRError, match="invert"):
        verify(Function("f", [x], [Op(get_op("invert"), [x], {}, [r])], [r]))


def test_select_needs_bool_condition_and_equal_branches():
    c, a, b = Value(t(4), "c"), Value(t(4), "a"), Value(t(4, dtype=np.float64), "b")
    r = Value(t(4))
    with pytest.raises(xl.IRError, match="select"):
        verify(Function("f", [c, a, b], [Op(get_op("select"), [c, a, a], {}, [r])], [r]))
    cb = Value(t(4, dtype=bool), "c")
    with pytest.raises(xl.IRError, match="select"):
        verify(Function("f", [cb, a, b], [Op(get_op("select"), [cb, a, b], {}, [r])], [r]))


def test_wrong_arity():
    x, r = Value(t(4), "x"), Value(t(4))
    with pytest.raises(xl.IRError, match="takes 2 operands"):
        verify(Function("f", [x], [Op(get_op("add"), [x], {}, [r])], [r]))


def test_broadcast_mismatch():
    x, y, r = Value(t(3), "x"), Value(t(4), "y"), Value(t(4))
    with pytest.raises(xl.IRError, match="broadcast"):
        verify(Function("f", [x, y], [Op(get_op("add"), [x, y], {}, [r])], [r]))


def test_bad_reduction_axes():
    x, r = Value(t(3, 4), "x"), Value(t(3))
    with pytest.raises(xl.IRError, match="axes"):
        verify(Function("f", [x], [Op(get_op("sum"), [x], {"axes": (2,), "keepdims": False}, [r])], [r]))


def test_bad_reshape_and_transpose():
    x = Value(t(3, 4), "x")
    r = Value(t(5, 2))
    with pytest.raises(xl.IRError, match="reshape"):
        verify(Function("f", [x], [Op(get_op("reshape"), [x], {"shape": (5, 2)}, [r])], [r]))
    r2 = Value(t(4, 3))
    with pytest.raises(xl.IRError, match="permutation"):
        verify(Function("f", [x], [Op(get_op("transpose"), [x], {"perm": (1, 1)}, [r2])], [r2]))


def test_value_defined_twice():
    x, y = Value(t(4), "x"), Value(t(4))
    ops = [Op(get_op("exp"), [x], {}, [y]), Op(get_op("exp"), [x], {}, [y])]
    with pytest.raises(xl.IRError, match="defined twice"):
        verify(Function("f", [x], ops, [y]))


def test_parameter_twice():
    x = Value(t(4), "x")
    with pytest.raises(xl.IRError, match="twice"):
        verify(Function("f", [x, x], [], [x]))


def test_returned_value_undefined():
    x, stray = Value(t(4), "x"), Value(t(4))
    with pytest.raises(xl.IRError, match="returned value"):
        verify(Function("f", [x], [], [stray]))


def test_region_must_be_closed_and_match_operands():
    x = Value(t(4), "x")
    # a region that uses a value of the enclosing function
    inner_p = Value(t(4), "p")
    inner_r = Value(t(4))
    body = Function("k", [inner_p], [Op(get_op("add"), [inner_p, x], {}, [inner_r])], [inner_r])
    r = Value(t(4))
    with pytest.raises(xl.IRError, match="region"):
        verify(Function("f", [x], [Op(get_op("fused"), [x], {}, [r], [body])], [r]))
    # a region whose parameters do not match the operands
    p64 = Value(t(4, dtype=np.float64), "p")
    r64 = Value(t(4, dtype=np.float64))
    body2 = Function("k", [p64], [Op(get_op("exp"), [p64], {}, [r64])], [r64])
    with pytest.raises(xl.IRError, match="fused"):
        verify(Function("f", [x], [Op(get_op("fused"), [x], {}, [r64], [body2])], [r64]))


def test_verifier_catches_mutated_text():
    """Hand-edited IR text that parses but is ill-typed is caught by the verifier."""
    fn = xl.make_ir(lambda x: np.exp(x) + 1)(np.ones(3, np.float32))
    bad = str(fn).replace("%2 = add %0, %1 : f32[3]", "%2 = add %0, %1 : f64[3]")
    assert bad != str(fn)
    with pytest.raises(xl.IRError, match="add"):
        verify(parse(bad))


@pytest.mark.parametrize("text,fragment", [
    ("func @f(%x: f32[2]) -> f32[2] {\n  %0 = exp %y : f32[2]\n  return %0\n}",
     "%y used before it is defined"),
    ("func @f(%x: f32[2]) -> f32[2] {\n  %0 = frobnicate %x : f32[2]\n  return %0\n}",
     "unknown op 'frobnicate'"),
    ("func @f(%x: f32[2]) -> f32[2] {\n  %0 = exp %x : f32[2]\n  %0 = exp %x : f32[2]\n  return %0\n}",
     "defined twice"),
    ("func @f(%x: f32[2]) -> f32[2] {\n  %0 = exp %x : q32[2]\n  return %0\n}", "q32"),
    ("func @f(%x: f32[2]) -> f32[2] {\n  %0 = exp %x ? f32[2]\n  return %0\n}", "line 2"),
    ("func @f(%x: f32[2]) -> f32[2] {\n  %0 = exp %x : f32[2]\n  return %0\n} trailing", "end of input"),
    ("func @f(%x: f32[2], %x: f32[2]) -> f32[2] {\n  return %x\n}", "defined twice"),
])
def test_parser_rejects_malformed_text(text, fragment):
    with pytest.raises(xl.XlaishError) as e:
        parse(text)
    assert fragment in str(e.value), str(e.value)


def test_builder_infers_types_and_rejects_misuse():
    b = Builder("f")
    x = b.param(t(2, 3), "x")
    s = b.emit1("sum", [x], {"axes": (1,), "keepdims": True})
    assert s.type == t(2, 1)
    with pytest.raises(xl.XlaishError):
        b.emit1("add", [x, b.param(t(4), "y")])
