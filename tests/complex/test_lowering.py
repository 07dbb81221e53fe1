"""The complex boundary ops and the lowering pass (xlaish.passes.complex).

* the three ops' NumPy references and their compiled forms agree (the numeric test path the
  registry coverage test points here);
* after the pipeline no kernel computes on a complex value: complex types appear only on kernel
  parameters read through ``complex_part``/``complex_pairs`` and on ``make_complex`` results;
* complex constants survive the IR printer and parser;
* the interpreter (NumPy) and the compiled program agree on a program mixing every boundary op.
"""
from __future__ import annotations

import numpy as np

import xlaish as xl
from tests.complex.test_ops import assert_close, crandom
from xlaish.ir.opnames import COMPLEX_PAIRS, COMPLEX_PART, FUSED, MAKE_COMPLEX
from xlaish.ir.parser import parse
from xlaish.numpy import _complex
from xlaish.passes.complex import lower_complex
from xlaish.passes.pipeline import run_pipeline

BOUNDARY = {COMPLEX_PART, COMPLEX_PAIRS, MAKE_COMPLEX}


def program(z, w, r):
    a = _complex.make_complex(r, r[::-1] * 2)             # make_complex of real arrays
    p = _complex.as_pairs(z * w + a)                      # complex_pairs of a computed value
    q = _complex.as_pairs(z)                              # ... of an argument (a view)
    return p.sum(axis=-1), q[..., 1] - np.imag(z), np.real(w) * 2, a * 1j, _complex.from_pairs(p + q)


def _args(rng, dt=np.complex128):
    return crandom(rng, (3, 5), dt), crandom(rng, (3, 5), dt), rng.standard_normal(5)


def test_boundary_ops_compiled_match_interpreter(jit, rng):
    z, w, r = _args(rng)
    got = jit(program)(z, w, r)
    want = xl.jit(program, device="interpreter")(z, w, r)
    for g, e in zip(got, want):
        assert_close(g, e)


def _walk(fn):
    for op in fn.ops:
        yield op
        for g in op.regions:
            yield from _walk(g)


def test_no_kernel_computes_on_complex(rng):
    def loop(z, c, n):
        for _ in range(n):
            z = np.sqrt(z * z + c) / (1 + 1j) + np.exp(np.log(z + 2))
        return z, np.abs(z).sum(), z @ c.T
    z, c = crandom(rng, (4, 4), np.complex128), crandom(rng, (4, 4), np.complex128)
    fn = xl.make_ir(loop)(z, c, 3)
    lowered = lower_complex(fn)
    for op in _walk(lowered):
        if op.name in BOUNDARY:
            continue
        assert not any(v.type.dtype.kind == "c" for v in (*op.operands, *op.results)), op.name
    final = run_pipeline(fn)
    for op in _walk(final):
        if op.name in BOUNDARY or op.name == FUSED:
            continue
        assert not any(v.type.dtype.kind == "c" for v in (*op.operands, *op.results)), op.name
    got, want = xl.jit(loop)(z, c, 3), loop(z, c, 3)
    for g, e in zip(got, want):
        assert_close(g, e, rtol=1e-10)


def test_complex_constants_round_trip_through_text():
    fn = xl.make_ir(lambda x: x * (1.5 - 2j) + np.array([1j, -0.0 - 0j, np.inf + np.nan * 1j]))(
        np.ones(3, np.complex64))
    text = str(fn)
    assert "c128" in text or "c64" in text
    assert str(parse(text)) == text


def test_lowering_keeps_the_signature(rng):
    fn = xl.make_ir(program)(*_args(rng, np.complex64))
    lowered = lower_complex(fn)
    assert lowered.param_types == fn.param_types
    assert lowered.result_types == fn.result_types
