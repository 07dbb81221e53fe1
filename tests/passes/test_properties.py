"""Property tests: random NumPy programs (``tests.helpers.programs``) still equal NumPy after
every pass alone, after random sequences of passes, and after the whole pipeline (fused and
unfused); the verifier accepts every intermediate IR and the buffer plan is consistent.

``PASSES_EXAMPLES=N`` runs N examples per property instead of 300 (a few seconds in all) for
a longer bug hunt."""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import xlaish as xl
from xlaish.ir import interpret, verify
from xlaish.ir.kernel import analyze
from xlaish.passes.buffers import plan_buffers
from xlaish.passes.canonicalize import canonicalize
from xlaish.passes.cse import cse
from xlaish.passes.dce import dce
from xlaish.passes.fold import fold
from xlaish.passes.fusion import fuse
from xlaish.passes.pipeline import OPTIMIZATIONS, run_pipeline
from xlaish.passes.report import fusion_report
from xlaish.passes.simplify import simplify

from ..helpers import assert_program_matches, numpy_result, programs
from ._gen import shape_programs
from ._plan import check_plan

PASSES = {"canonicalize": canonicalize, "simplify": simplify, "fold": fold, "cse": cse, "dce": dce}
assert set(PASSES) == set(OPTIMIZATIONS)

SETTINGS = settings(max_examples=int(os.environ.get("PASSES_EXAMPLES", 300)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _case(case):
    prog, inputs = case
    expected, err = numpy_result(prog, *inputs)
    assume(err is None)
    fn = verify(xl.make_ir(prog)(*inputs))
    return prog, inputs, expected, fn


def _run(fn, inputs):
    with np.errstate(all="ignore"):
        out = interpret(fn, list(inputs))
    return out if len(out) > 1 else out[0]


def _same(prog, fn, inputs, expected):
    got = _run(fn, inputs)
    assert_program_matches(prog, got, expected)


ANY_PROGRAM = st.one_of(programs(), shape_programs())


@SETTINGS
@given(ANY_PROGRAM)
def test_each_pass_alone_keeps_numpy_semantics(case):
    prog, inputs, expected, fn = _case(case)
    _same(prog, fn, inputs, expected)                   # the traced program itself
    for name, p in PASSES.items():
        out = verify(p(fn))
        assert out.result_types == fn.result_types, name
        _same(prog, out, inputs, expected)


@SETTINGS
@given(ANY_PROGRAM, st.lists(st.sampled_from(sorted(PASSES)), min_size=1, max_size=8))
def test_random_pass_sequences_keep_numpy_semantics(case, order):
    prog, inputs, expected, fn = _case(case)
    for name in order:
        fn = verify(PASSES[name](fn))
    _same(prog, fn, inputs, expected)
    # fusion needs canonical reductions; then every region is a kernel and planning is consistent
    for enabled in (True, False):
        fused = verify(plan_buffers(dce(verify(fuse(canonicalize(fn), enabled=enabled)))))
        for op in fused.ops:
            if op.name == "fused":
                analyze(op.regions[0])
        check_plan(fused)
        _same(prog, fused, inputs, expected)


@SETTINGS
@given(ANY_PROGRAM, st.booleans(), st.sampled_from([None, [], ["cse", "dce"]]))
def test_whole_pipeline_keeps_numpy_semantics(case, enabled, passes):
    prog, inputs, expected, fn = _case(case)
    out = run_pipeline(fn, fuse=enabled, passes=passes, check=True)
    assert out.result_types == fn.result_types
    assert all(op.name in ("fused", "constant") for op in out.ops), str(out)
    kernels = [op for op in out.ops if op.name == "fused"]
    for op in kernels:                      # every region is a kernel a backend can generate
        assert analyze(op.regions[0]).kind in ("map", "reduce", "matmul", "copy")
    check_plan(out)
    rep = fusion_report(out, unfused=fn)
    assert rep.num_kernels == len(kernels) and str(rep)
    _same(prog, out, inputs, expected)


@SETTINGS
@given(programs(dtypes=("float32", "int32", "int64", "float64"), max_ops=10))
def test_fusion_never_makes_more_kernels_than_unfused(case):
    prog, inputs, expected, fn = _case(case)
    fused = run_pipeline(fn, fuse=True, check=True)
    unfused = run_pipeline(fn, fuse=False, check=True)
    n = lambda f: sum(op.name == "fused" for op in f.ops)
    assert n(fused) <= n(unfused)
    _same(prog, fused, inputs, expected)
    _same(prog, unfused, inputs, expected)


@SETTINGS
@given(ANY_PROGRAM)
def test_passes_are_idempotent_on_text(case):
    _, _, _, fn = _case(case)
    for name in ("canonicalize", "cse", "dce"):
        once = PASSES[name](fn)
        assert str(PASSES[name](once)) == str(once), name
    s = simplify(fn)
    assert str(simplify(s)) == str(s)


@pytest.mark.parametrize("seed", range(3))
def test_edge_value_inputs_through_the_pipeline(seed):
    # a fixed program on inputs full of -0.0, inf and nan: the pipeline matches NumPy bitwise-ish
    from ._util import assert_equals_numpy, edges
    rng = np.random.default_rng(seed)
    x = rng.permutation(edges(np.float64))
    y = rng.permutation(edges(np.float64))

    def f(x, y):
        a = (x + 0.0) * 1 - 0.0
        b = (-(-y)) ** 2 + (x / 1) ** 0.5
        return np.maximum(a, b) + (-0.0), (a * 0).sum(), np.exp(np.log(x))

    for enabled in (True, False):
        out = run_pipeline(xl.make_ir(f)(x, y), fuse=enabled, check=True)
        assert_equals_numpy(out, f, x, y)
