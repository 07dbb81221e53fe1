"""The float16 conversion routines registered for MCJIT (xlaish.codegen.cpu.halfsupport)
against NumPy's own conversions: every float16 value, the halfway points between
neighbours, overflow/underflow edges, NaN and infinities; and the program that used to
jump to an unresolved ``__truncdfhf2`` (address 0)."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest
from llvmlite import ir

import xlaish as xl
import xlaish.numpy as xnp
from tests.helpers import assert_matches_numpy
from xlaish.codegen.cpu import halfsupport, llvm_target


def _kernels():
    """k_<name>(src*, dst*, n): dst[i] = name(src[i]), the routines called by name."""
    m = ir.Module(name="half_calls")
    i64 = ir.IntType(64)
    sigs = {"__truncdfhf2": (ir.DoubleType(), ir.HalfType()),
            "__truncsfhf2": (ir.FloatType(), ir.HalfType()),
            "__extendhfsf2": (ir.HalfType(), ir.FloatType())}
    for name, (src, dst) in sigs.items():
        callee = ir.Function(m, ir.FunctionType(dst, [src]), name=name)
        k = ir.Function(m, ir.FunctionType(ir.VoidType(), [src.as_pointer(), dst.as_pointer(), i64]),
                        name="k" + name)
        entry, loop, done = (k.append_basic_block(n) for n in ("entry", "loop", "done"))
        b = ir.IRBuilder(entry)
        b.cbranch(b.icmp_signed(">", k.args[2], ir.Constant(i64, 0)), loop, done)
        b.position_at_end(loop)
        i = b.phi(i64)
        i.add_incoming(ir.Constant(i64, 0), entry)
        v = b.call(callee, [b.load(b.gep(k.args[0], [i]))])
        b.store(v, b.gep(k.args[1], [i]))
        nxt = b.add(i, ir.Constant(i64, 1))
        i.add_incoming(nxt, loop)
        b.cbranch(b.icmp_signed("<", nxt, k.args[2]), loop, done)
        b.position_at_end(done)
        b.ret_void()
    halfsupport.symbols_for(b"__truncdfhf2")
    engine, _ = llvm_target.compile_module(str(m), level=0)
    proto = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
    return engine, {n: proto(engine.get_function_address("k" + n)) for n in sigs}


@pytest.fixture(scope="module")
def kernels():
    engine, fns = _kernels()
    yield fns
    del engine


def _run(fn, x, out_dtype):
    x = np.ascontiguousarray(x)
    out = np.empty(x.shape, out_dtype)
    fn(x.ctypes.data, out.ctypes.data, x.size)
    return out


def _same_bits(got, exp):
    g, e = got.view(np.uint16), exp.view(np.uint16)
    both_nan = np.isnan(got) & np.isnan(exp)
    bad = (g != e) & ~both_nan
    assert not bad.any(), [(i, got[i], exp[i]) for i in np.nonzero(bad)[0][:5]]
    # NaNs stay NaN with their sign
    assert (np.signbit(got[both_nan]) == np.signbit(exp[both_nan])).all()


def _inputs(dtype, rng):
    h = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    fin = h[np.isfinite(h)].astype(dtype)
    nxt = np.nextafter(fin, dtype(np.inf))
    with np.errstate(over="ignore"):          # 65504's neighbour is inf: its halfway point too
        nxt16 = np.nextafter(h[np.isfinite(h)], np.float16(np.inf)).astype(dtype)
    mid = ((fin.astype(np.float64) + nxt16.astype(np.float64)) / 2).astype(dtype)  # halfway points
    near = np.concatenate([np.nextafter(mid, dtype(np.inf)), np.nextafter(mid, dtype(-np.inf))])
    edges = np.array([65504, 65519.99, 65520, 65536, 1e10, 2.0 ** -24, 2.0 ** -25, 2.0 ** -26,
                      3 * 2.0 ** -26, 2.0 ** -14, 1e-30, 0.0, np.inf, np.nan], dtype)
    wide = rng.standard_normal(200_000) * 10.0 ** rng.integers(-9, 6, 200_000)
    x = np.concatenate([fin, nxt, mid, near, edges, wide.astype(dtype)]).astype(dtype)
    return np.concatenate([x, -x])


@pytest.mark.parametrize("dtype,name", [(np.float64, "__truncdfhf2"), (np.float32, "__truncsfhf2")])
def test_truncation_rounds_like_numpy(kernels, rng, dtype, name):
    x = _inputs(dtype, rng)
    with np.errstate(all="ignore"):
        _same_bits(_run(kernels[name], x, np.float16), x.astype(np.float16))


def test_extension_is_exact(kernels):
    h = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    got = _run(kernels["__extendhfsf2"], h, np.float32)
    exp = h.astype(np.float32)
    ok = (got.view(np.uint32) == exp.view(np.uint32)) | (np.isnan(got) & np.isnan(exp))
    assert ok.all()


@pytest.mark.parametrize("src", [np.int8, np.float64])
def test_float16_results_through_float64_math(rng, src):
    """float16 arctan2 / hypot are computed in float64 and rounded: LLVM lowers that with a
    call to __truncdfhf2 (this crashed with a jump to address 0 before the routines were
    registered)."""
    a = (rng.standard_normal(37) * 4).astype(src)
    b = (rng.standard_normal(37) * 4).astype(src)

    def atan2(np_, a, b):
        return np_.arctan2(a, b)

    def hypot16(np_, a, b):
        return np_.hypot(a.astype(np.float16), b)

    def inverse_hyperbolic(np_, a, b):
        return np_.arcsinh(a) + np_.arctanh(b.astype(np.float16) / 8)

    for f in (atan2, hypot16, inverse_hyperbolic):
        got = xl.jit(lambda a, b: f(xnp, a, b))(a, b)
        with np.errstate(all="ignore"):          # arctanh(+-1) = +-inf
            assert_matches_numpy(got, f(np, a, b))
