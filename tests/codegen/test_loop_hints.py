"""Short constant-trip loops ask LLVM for tail-folded (masked) vectorisation
(``codegen.cpu.loops.for_range``): the hint is emitted where it applies, and results match
NumPy for every row length around the vector width."""
from __future__ import annotations

import re

import numpy as np
import pytest
from llvmlite import binding as llvm
from llvmlite import ir

import xlaish as xl
from xlaish.codegen.cpu import loops

from ..helpers import assert_matches_numpy

HINT = "llvm.loop.vectorize.predicate.enable"


def _stencil(A, B):
    B[1:-1, 1:-1] = 0.25 * (A[2:, 1:-1] + A[:-2, 1:-1] + A[1:-1, 2:] + A[1:-1, :-2])
    return B[1:-1, 1:-1].sum(axis=1)


def _loops_text(*ranges):
    mod = ir.Module()
    fn = ir.Function(mod, ir.FunctionType(ir.VoidType(), []), "f")
    b = ir.IRBuilder(fn.append_basic_block())
    for lo, hi in ranges:
        loops.for_range(b, lo, hi, lambda i: None)
    b.ret_void()
    return str(mod)


def test_hint_only_on_short_constant_loops_off_the_vector_width():
    assert HINT in _loops_text((0, 38))                  # a stencil row of 38
    assert HINT in _loops_text((3, 9))
    assert HINT not in _loops_text((0, 64))              # a multiple of the width: no tail
    assert HINT not in _loops_text((0, 4097))            # long: left to LLVM (it interleaves)


def test_each_loop_has_its_own_loop_id():
    text = _loops_text((0, 38), (0, 37))
    ids = re.findall(r"!llvm\.loop (![0-9]+)", text)
    assert len(ids) == 2 and ids[0] != ids[1]
    llvm.parse_assembly(text).verify()                   # LLVM accepts the self-referential IDs


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_every_row_length_matches_numpy(dtype):
    rng = np.random.default_rng(0)
    for cols in [3, 4, 9, 10, 11, 17, 18, 19, 33, 38, 42]:
        A = (rng.random((5, cols)) * 8).astype(dtype)
        B = (rng.random((5, cols)) * 8).astype(dtype)
        got_b, want_b = B.copy(), B.copy()
        got = xl.jit(_stencil)(A, got_b)       # int32: the float64 stencil is cast back
        want = _stencil(A, want_b)
        assert_matches_numpy(got, want, err_msg=f"cols={cols}")
        assert_matches_numpy(got_b, want_b, err_msg=f"cols={cols} (B)")
