"""The float16 conversion routines LLVM may call instead of emitting instructions.

On x86-64 without AVX512-FP16 there is no instruction converting float64 to
float16 (and none for float32 <-> float16 without F16C), so LLVM's code
generator emits calls to compiler-rt/libgcc routines: ``__truncdfhf2``,
``__truncsfhf2``, ``__extendhfsf2``. The instruction selector even forms
``__truncdfhf2`` on its own from a float64 -> float32 -> float16 pair. MCJIT
resolves such names in the running process, where libgcc_s is usually not
loaded (and older ones lack these routines): an unresolved call jumps to
address 0. This module defines the three routines in LLVM IR with integer
arithmetic only (round to nearest even, NaN kept quiet with its sign,
overflow to inf, subnormals exact), so they never recurse into a libcall
themselves. :func:`symbols_for` compiles them once per process and
registers them with ``llvm.add_symbol`` for any object file that names one.
"""
from __future__ import annotations

import threading

from llvmlite import ir

NAMES = ("__truncdfhf2", "__truncsfhf2", "__extendhfsf2")

_lock = threading.Lock()
_engine = None          # keeps the compiled routines alive


def half_bits(b: ir.IRBuilder, x, bits: int, mbits: int, bias: int):
    """The i16 bits of half(x), x a binary float of ``bits`` bits (``mbits`` mantissa bits,
    exponent ``bias``), rounded once to nearest even: integer operations only, so it inlines
    and vectorises (the float64 -> float16 cast uses it: a float32 step would round twice)."""
    I = ir.IntType(bits)

    def k(v):
        return ir.Constant(I, v)
    x = b.bitcast(x, I)
    sign = b.shl(b.trunc(b.lshr(x, k(bits - 1)), ir.IntType(16)), ir.Constant(ir.IntType(16), 15))
    ex = b.and_(b.lshr(x, k(mbits)), k((1 << (bits - 1 - mbits)) - 1))
    mant = b.and_(x, k((1 << mbits) - 1))
    emax = (1 << (bits - 1 - mbits)) - 1
    # NaN / inf
    nan_payload = b.or_(k(0x200), b.lshr(mant, k(mbits - 10)))
    special = b.select(b.icmp_unsigned("!=", mant, k(0)), b.or_(k(0x7C00), nan_payload), k(0x7C00))
    # finite: e = unbiased half exponent; m = mantissa with the implicit bit (0 for subnormals)
    e = b.sub(ex, k(bias - 15))
    m = b.select(b.icmp_unsigned("==", ex, k(0)), mant, b.or_(mant, k(1 << mbits)))
    normal = b.icmp_signed(">=", e, k(1))
    shift = b.select(normal, k(mbits - 10), b.sub(k(mbits - 10 + 1), e))
    shift = b.select(b.icmp_signed(">", shift, k(bits - 1)), k(bits - 1), shift)
    base = b.select(normal, b.shl(b.sub(e, k(1)), k(10)), k(0))
    q = b.lshr(m, shift)
    rem = b.and_(m, b.sub(b.shl(k(1), shift), k(1)))
    halfway = b.shl(k(1), b.sub(shift, k(1)))
    up = b.or_(b.icmp_unsigned(">", rem, halfway),
               b.and_(b.icmp_unsigned("==", rem, halfway), b.icmp_unsigned("!=", b.and_(q, k(1)), k(0))))
    h = b.add(b.add(base, q), b.zext(up, I))
    h = b.select(b.icmp_unsigned(">", h, k(0x7C00)), k(0x7C00), h)
    h = b.select(b.icmp_unsigned("==", ex, k(emax)), special, h)
    return b.or_(sign, b.trunc(h, ir.IntType(16)))


def double_to_half(b: ir.IRBuilder, x):
    """half(x) for a double x, rounded once (inline integer code)."""
    return b.bitcast(half_bits(b, x, 64, 52, 1023), ir.HalfType())


def _trunc_to_half(m: ir.Module, name: str, fty, bits: int, mbits: int, bias: int):
    fn = ir.Function(m, ir.FunctionType(ir.HalfType(), [fty]), name=name)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    b.ret(b.bitcast(half_bits(b, fn.args[0], bits, mbits, bias), ir.HalfType()))


def _extend_half(m: ir.Module):
    """float(h): exact."""
    fn = ir.Function(m, ir.FunctionType(ir.FloatType(), [ir.HalfType()]), name="__extendhfsf2")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    I16, I32 = ir.IntType(16), ir.IntType(32)

    def k(v):
        return ir.Constant(I32, v)
    h = b.zext(b.bitcast(fn.args[0], I16), I32)
    sign = b.shl(b.lshr(h, k(15)), k(31))
    ex = b.and_(b.lshr(h, k(10)), k(0x1F))
    mant = b.and_(h, k(0x3FF))
    normal = b.or_(b.shl(b.add(ex, k(127 - 15)), k(23)), b.shl(mant, k(13)))
    special = b.or_(k(0x7F800000), b.shl(mant, k(13)))
    # subnormal half: mant * 2**-24, exact in float
    sub = b.fmul(b.uitofp(mant, ir.FloatType()), ir.Constant(ir.FloatType(), 2.0 ** -24))
    bits = b.select(b.icmp_unsigned("==", ex, k(0x1F)), special, normal)
    val = b.select(b.icmp_unsigned("==", ex, k(0)), b.bitcast(sub, I32), bits)
    b.ret(b.bitcast(b.or_(val, sign), ir.FloatType()))


def build_module() -> ir.Module:
    m = ir.Module(name="xlaish_half_support")
    _trunc_to_half(m, "__truncdfhf2", ir.DoubleType(), 64, 52, 1023)
    _trunc_to_half(m, "__truncsfhf2", ir.FloatType(), 32, 23, 127)
    _extend_half(m)
    return m


def symbols_for(obj: bytes) -> None:
    """Register the routines with MCJIT's symbol resolver if the object file names any."""
    global _engine
    if _engine is not None or not any(n.encode() in obj for n in NAMES):
        return
    import llvmlite.binding as llvm

    from . import llvm_target
    with _lock:
        if _engine is not None:
            return
        # compiled without F16C/AVX512-FP16 lowering concerns: the bodies use integers only
        engine, _ = llvm_target.compile_module(str(build_module()), level=2)
        for n in NAMES:
            llvm.add_symbol(n, engine.get_function_address(n))
        _engine = engine
