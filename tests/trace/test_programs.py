"""Random NumPy expression programs (hypothesis), jitted and compared with NumPy.

The generator is ``tests.helpers.programs()``: elementwise unary/binary ops, broadcasting
between inputs of different ranks, Python scalar constants and reductions over random axes,
over float32/float64/int32 inputs.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings

import xlaish as xl
from tests.conftest import check_ir_round_trip
from tests.helpers import assert_program_matches, programs


def _numpy(prog, inputs):
    with np.errstate(all="ignore"):
        return prog(*inputs)


@settings(max_examples=40)
@given(programs())
def test_random_programs_match_numpy(jit, case):
    prog, inputs = case
    expected = _numpy(prog, inputs)
    got = jit(prog)(*inputs)
    assert_program_matches(prog, got, expected)


@settings(max_examples=15)
@given(programs(dtypes=("float32",), max_ops=12, max_inputs=2))
def test_random_float32_programs_on_strided_inputs(jit, case):
    """The same compiled program on C-contiguous and on strided (every other element) inputs."""
    prog, inputs = case
    expected = _numpy(prog, inputs)
    jf = jit(prog)
    assert_program_matches(prog, jf(*inputs), expected)
    strided = []
    for a in inputs:
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype) if a.ndim else None
        if big is None:
            strided.append(a)
            continue
        big[..., ::2] = a
        strided.append(big[..., ::2])
    assert_program_matches(prog, jf(*strided), expected)


@settings(max_examples=60)
@given(programs())
def test_random_programs_trace_to_valid_ir(case):
    """Tracing only: the IR verifies and survives the printer/parser round trip, and its result
    types are NumPy's."""
    prog, inputs = case
    fn = xl.make_ir(prog)(*inputs)
    check_ir_round_trip(fn)
    expected = _numpy(prog, inputs)
    leaves = expected if isinstance(expected, tuple) else (expected,)
    assert [(np.asarray(e).dtype, np.shape(e)) for e in leaves] == \
        [(t.dtype, t.shape) for t in fn.result_types], prog.source
