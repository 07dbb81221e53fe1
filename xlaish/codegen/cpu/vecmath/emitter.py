"""The scalar IR emitter the algorithms are written against.

An :class:`Emitter` builds straight-line floating point IR of one type (float
or double) with an ``ir.IRBuilder``: constants (rounded to the working
format), the vectorisable LLVM intrinsics (fma, fabs, floor, rint, sqrt,
copysign), arithmetic, ordered comparisons and ``select``, integer bit
manipulation, and the error-free building blocks of double-word arithmetic
(``two_prod``, ``fast_two_sum``, ``two_sum``). Its flags ``lite`` and
``short_range`` select algorithm variants (see :mod:`xlaish.codegen.cpu.vecmath`).
"""
from __future__ import annotations

from llvmlite import ir

from .coefficients import COEF, round_f32, split_constant


class Emitter:
    """Emits scalar floating point IR of one type (float or double)."""

    def __init__(self, builder: ir.IRBuilder, ty):
        self.b = builder
        self.m = builder.module
        self.ty = ty
        self.is64 = isinstance(ty, ir.DoubleType)
        self.tag = "f64" if self.is64 else "f32"
        self.nbits = 64 if self.is64 else 32
        self.ity = ir.IntType(self.nbits)
        self.mbits = 52 if self.is64 else 23
        self.bias = 1023 if self.is64 else 127
        self.min_normal = 2.0 ** (1 - self.bias)
        self.inf = float("inf")
        self.nan = float("nan")
        # True when emitting float64 code whose result is rounded to float32:
        # some extra-precision steps can then be skipped.
        self.lite = False
        # True for the short-range variants of sin/cos/tan (no Payne-Hanek step).
        self.short_range = False

    # -- constants ---------------------------------------------------------
    def k(self, v) -> ir.Constant:
        v = float(v)
        if not self.is64 and v == v and abs(v) != float("inf"):
            v = round_f32(v)
        return ir.Constant(self.ty, v)

    def ki(self, v) -> ir.Constant:
        return ir.Constant(self.ity, int(v))

    def v(self, x):
        return x if isinstance(x, ir.Value) else self.k(x)

    def vi(self, x):
        return x if isinstance(x, ir.Value) else self.ki(x)

    def coef(self, name):
        return COEF[(name, self.tag)]

    def split(self, name, keep=0, parts=2):
        return split_constant(name, self.tag, keep, parts)

    # -- intrinsics --------------------------------------------------------
    def _intr(self, name, *args):
        full = "{}.{}".format(name, "f64" if self.is64 else "f32")
        fn = self.m.globals.get(full)
        if fn is None:
            fn = ir.Function(self.m, ir.FunctionType(self.ty, [self.ty] * len(args)), name=full)
        return self.b.call(fn, [self.v(a) for a in args])

    def fma(self, a, b, c):
        return self._intr("llvm.fma", a, b, c)

    def abs(self, a):
        return self._intr("llvm.fabs", a)

    def floor(self, a):
        return self._intr("llvm.floor", a)

    def rint(self, a):
        return self._intr("llvm.rint", a)

    def sqrt(self, a):
        return self._intr("llvm.sqrt", a)

    def copysign(self, mag, sgn):
        return self._intr("llvm.copysign", mag, sgn)

    # -- arithmetic --------------------------------------------------------
    def add(self, a, b):
        return self.b.fadd(self.v(a), self.v(b))

    def sub(self, a, b):
        return self.b.fsub(self.v(a), self.v(b))

    def mul(self, a, b):
        return self.b.fmul(self.v(a), self.v(b))

    def div(self, a, b):
        return self.b.fdiv(self.v(a), self.v(b))

    def neg(self, a):
        return self.b.fneg(self.v(a))

    # -- comparisons (ordered: false on NaN) ---------------------------------
    def _cmp(self, op, a, b):
        return self.b.fcmp_ordered(op, self.v(a), self.v(b))

    def lt(self, a, b):
        return self._cmp("<", a, b)

    def le(self, a, b):
        return self._cmp("<=", a, b)

    def gt(self, a, b):
        return self._cmp(">", a, b)

    def ge(self, a, b):
        return self._cmp(">=", a, b)

    def eq(self, a, b):
        return self._cmp("==", a, b)

    def une(self, a, b):  # unordered not-equal: true on NaN
        return self.b.fcmp_unordered("!=", self.v(a), self.v(b))

    def isnan(self, a):
        return self.b.fcmp_unordered("uno", a, a)

    def issnan(self, a):
        """a signalling NaN (a NaN whose quiet bit, the mantissa's top bit, is clear)?"""
        quiet = self.b.icmp_unsigned("==", self.iand(self.bits(a), 1 << (self.mbits - 1)), self.ki(0))
        return self.and_(self.isnan(a), quiet)

    def isfinite(self, a):
        return self.lt(self.abs(a), self.inf)

    def isinf(self, a):
        return self.eq(self.abs(a), self.inf)

    def sel(self, c, a, b):
        return self.b.select(c, self.v(a), self.v(b))

    def and_(self, a, b):
        return self.b.and_(a, b)

    def or_(self, a, b):
        return self.b.or_(a, b)

    def not_(self, a):
        return self.b.not_(a)

    def signbit(self, a):
        return self.b.icmp_signed("<", self.bits(a), self.ki(0))

    # -- integer / bits --------------------------------------------------
    def bits(self, a):
        return self.b.bitcast(self.v(a), self.ity)

    def fbits(self, i):
        return self.b.bitcast(self.vi(i), self.ty)

    def iadd(self, a, b):
        return self.b.add(self.vi(a), self.vi(b))

    def isub(self, a, b):
        return self.b.sub(self.vi(a), self.vi(b))

    def iand(self, a, b):
        return self.b.and_(self.vi(a), self.vi(b))

    def ior(self, a, b):
        return self.b.or_(self.vi(a), self.vi(b))

    def shl(self, a, n):
        return self.b.shl(self.vi(a), self.vi(n))

    def ashr(self, a, n):
        return self.b.ashr(self.vi(a), self.vi(n))

    def lshr(self, a, n):
        return self.b.lshr(self.vi(a), self.vi(n))

    def icmp(self, op, a, b):
        return self.b.icmp_signed(op, self.vi(a), self.vi(b))

    def isel(self, c, a, b):
        return self.b.select(c, self.vi(a), self.vi(b))

    def toint(self, a):
        """fptosi; the argument must be finite and in range (clamp first)."""
        return self.b.fptosi(self.v(a), self.ity)

    def tofp(self, i):
        return self.b.sitofp(self.vi(i), self.ty)

    # -- helpers -----------------------------------------------------------
    def poly(self, x, cs):
        """Horner with FMA: cs[0] + cs[1] x + ... (lowest degree first)."""
        acc = self.k(cs[-1])
        for c in reversed(cs[:-1]):
            acc = self.fma(acc, x, c)
        return acc

    def clamp(self, x, lo, hi):
        """min(max(x, lo), hi) with NaN -> lo (so the result is always finite)."""
        x = self.sel(self.ge(x, lo), x, lo)
        return self.sel(self.le(x, hi), x, hi)

    def pow2i(self, n):
        """2**n for an integer n in the normal exponent range."""
        return self.fbits(self.shl(self.iadd(n, self.bias), self.mbits))

    def ldexp2k(self, x, n):
        """x * 2**n for |n| <= 2*bias (two exact scalings, one final rounding)."""
        h = self.ashr(n, 1)
        return self.mul(self.mul(x, self.pow2i(h)), self.pow2i(self.isub(n, h)))

    def two_prod(self, a, b):
        p = self.mul(a, b)
        return p, self.fma(a, b, self.neg(p))

    def fast_two_sum(self, a, b):
        """s + e == a + b exactly, provided |a| >= |b| (or a == 0)."""
        s = self.add(a, b)
        return s, self.sub(b, self.sub(s, a))

    def two_sum(self, a, b):
        s = self.add(a, b)
        bb = self.sub(s, a)
        return s, self.add(self.sub(a, self.sub(s, bb)), self.sub(b, bb))

    def normalize_subnormal(self, x):
        """(xs, adj) with x = xs * 2**adj and xs normal, for x >= 0.

        Integer based (a subnormal's bits are its mantissa: convert that
        integer to floating point), so no arithmetic on subnormal operands,
        which is very slow on x86."""
        ib = self.bits(x)
        sub = self.icmp("<", ib, 1 << self.mbits)
        xs = self.sel(sub, self.tofp(ib), x)
        return xs, self.isel(sub, 1 - self.bias - self.mbits, 0)

    def frexp_sqrt2(self, x):
        """For finite x > 0: (k, m) with x = m * 2**k, m in [sqrt(1/2), sqrt(2)).

        Subnormals are handled.  k is returned as a float."""
        xs, adj = self.normalize_subnormal(x)
        one = (self.bias) << self.mbits
        if self.is64:
            sqh = 0x3FE6A09E667F3BCD  # bits of sqrt(1/2)
        else:
            sqh = 0x3F3504F3
        ix = self.iadd(self.bits(xs), one - sqh)
        k = self.isub(self.ashr(ix, self.mbits), self.bias)
        k = self.iadd(k, adj)
        mbits = self.iadd(self.iand(ix, (1 << self.mbits) - 1), sqh)
        return self.tofp(k), self.fbits(mbits)

    def scale_pair(self, a, b):
        """Scale a, b >= 0 by the same power of two so that max(a, b) is in [1, 2)
        (as far as the normal range allows); also returns the exponent."""
        m = self.sel(self.gt(a, b), a, b)
        e = self.isub(self.lshr(self.bits(m), self.mbits), self.bias)
        e = self.isel(self.icmp("<", e, 2 - self.bias), 2 - self.bias, e)
        e = self.isel(self.icmp(">", e, self.bias - 1), self.bias - 1, e)
        down = self.pow2i(self.isub(0, e))
        return self.mul(a, down), self.mul(b, down), e
