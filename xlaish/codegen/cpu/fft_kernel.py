"""FFT kernels: one transform per row, in native code (no Python per row, no library call).

Rows are every index of the domain but the transformed axis (and the (re, im) pair axis). Per
row the operand (with any fused elementwise producers) is evaluated into a complex row buffer,
transformed by a complex FFT, and the result written out times ``scale``. ``c2c``: length ``n``.
Real transforms of even ``n = 2N`` run a complex FFT of length ``N`` on the row read as pairs
``x[2t] + i*x[2t+1]`` with the usual split (``r2c``) or merge (``c2r``) pass against the roots
``exp(-2*pi*i*k/n)``; of odd ``n``, a complex FFT of length ``n`` (``r2c``: imaginary parts 0;
``c2r``: the Hermitian half extended to ``n`` values; the real parts written). The inverse
direction is the forward one on conjugated input, conjugated back, so one forward engine serves
every case.

The engine, generated for the static length (every loop bound and radix a constant):

* ``n`` with no prime factor above 5: a Stockham autosort FFT (no bit reversal; each stage
  reads one buffer and writes the other), radix-4 stages first, then one radix-2, then
  radix-3 and radix-5 stages, each stage a loop over butterflies whose twiddles are read from
  a per-stage table (contiguous in the butterfly index).
* any other ``n``: Bluestein's algorithm: the DFT as a circular convolution with the chirp
  ``exp(-i*pi*k^2/n)``, done with power-of-two FFTs of length ``m >= 2n-1`` (the filter's
  transform is computed once per chunk of rows).

Twiddles: every root of unity ``exp(-2*pi*i*e/K)`` used at run time is the product (in float64)
of two entries of small tables computed by NumPy at compile time and embedded as constants
(``hi[e >> b] * lo[e & (2^b - 1)]``, about ``2*sqrt(K)`` entries each), so tables are filled at
run time without sin/cos and the object code stays small for any length; the products are exact
to about 1 ulp of float64 and rounded to float32 for float32 transforms.

Outer iterations are chunks of rows (at most ``CHUNKS``), each with its own row buffers and tables
in the kernel scratch, filled at the start of the chunk, so chunks run on any thread.

Accuracy against NumPy's pocketfft (complex transforms, error = max |ours - numpy| / max |numpy|
per row; ``tests/fft/accuracy_sweep.py``, results in ``benchmarks/results/*-fft-accuracy.json``):
over 616 lengths (every length 1..256, 355 lengths of 257..4096 including 4096, 4095, 4093, 4091,
3125, 2187, and 2^16, 2^20, 3^10, 5^7, 65537) the largest error was 3.5e-7 for float32 (n=441,
Bluestein) and 1.7e-15 for float64 (n=393, Bluestein); powers of two up to 2^20: 2.0e-7 and
7.9e-16. The stated bound, ``REL_ERROR`` (2e-6 float32, 5e-15 float64), is what ``tests/fft``
asserts for every transform kind. Lengths 257..4096 not in the sample were not measured.
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir

from ...ir.kernel import contiguous_strides
from ...ir.ops.fft import FFT, row_lengths
from . import types as T
from .kernel_base import KernelGen
from .loops import for_range, unravel

# max |ours - pocketfft| / max |pocketfft| over a row, the bound tests/fft checks
REL_ERROR = {np.dtype(np.float32): 2e-6, np.dtype(np.float64): 5e-15}


def _i64(v):
    return ir.Constant(T.I64, v)


def factors(n: int) -> list[int] | None:
    """Stockham radices of n (4s, then a 2, then 3s and 5s), or None if n has another prime."""
    out, m = [], n
    while m % 4 == 0:
        out.append(4)
        m //= 4
    if m % 2 == 0:
        out.append(2)
        m //= 2
    for p in (3, 5):
        while m % p == 0:
            out.append(p)
            m //= p
    return out if m == 1 else None


def bluestein_length(n: int) -> int:
    """The power-of-two convolution length Bluestein's algorithm uses for length n."""
    return 1 << max(0, (2 * n - 2).bit_length())


def stages(n: int):
    """(radix, length before the stage, stride, twiddle offset) per Stockham stage, and the
    twiddle table length (complex values)."""
    out, cur, s, off = [], n, 1, 0
    for r in factors(n):
        out.append((r, cur, s, off))
        off += (r - 1) * (cur // r)
        cur //= r
        s *= r
    return out, off


def _roots(k: int):
    """(bits, lo table, hi table) with exp(-2*pi*i*e/k) = hi[e >> bits] * lo[e & (2^bits - 1)],
    both computed in float64 with the angle reduced exactly (e mod k as integers)."""
    bits = max(0, (max(1, k - 1).bit_length() + 1) // 2)
    lo = np.arange(1 << bits)
    hi = np.arange(-(-k >> bits)) << bits

    def w(e):
        e = e % k
        ang = -2.0 * np.pi * e / k
        return np.cos(ang) + 1j * np.sin(ang)
    return bits, w(lo), w(hi)


class Complex:
    """Complex arithmetic on (re, im) pairs of LLVM values of one float type."""

    def __init__(self, b, t):
        self.b, self.t = b, t

    def c(self, v):
        return ir.Constant(self.t, float(v))

    def add(self, x, y):
        return self.b.fadd(x[0], y[0]), self.b.fadd(x[1], y[1])

    def sub(self, x, y):
        return self.b.fsub(x[0], y[0]), self.b.fsub(x[1], y[1])

    def mul(self, x, y):
        b = self.b
        return (b.fsub(b.fmul(x[0], y[0]), b.fmul(x[1], y[1])),
                b.fadd(b.fmul(x[0], y[1]), b.fmul(x[1], y[0])))

    def scale(self, x, s):
        return self.b.fmul(x[0], s), self.b.fmul(x[1], s)

    def mul_mi(self, x):
        """-i * x"""
        return x[1], self.b.fneg(x[0])

    def conj(self, x):
        return x[0], self.b.fneg(x[1])

    def load(self, ptr, i):
        b = self.b
        i2 = b.shl(i, _i64(1))
        return (b.load(b.gep(ptr, [i2], inbounds=True)),
                b.load(b.gep(ptr, [b.add(i2, _i64(1))], inbounds=True)))

    def store(self, ptr, i, v):
        b = self.b
        i2 = b.shl(i, _i64(1))
        b.store(v[0], b.gep(ptr, [i2], inbounds=True))
        b.store(v[1], b.gep(ptr, [b.add(i2, _i64(1))], inbounds=True))


def butterfly(C: Complex, r: int, a: list) -> list:
    """The forward DFT of r values (r in 2, 3, 4, 5)."""
    if r == 2:
        return [C.add(a[0], a[1]), C.sub(a[0], a[1])]
    if r == 4:
        t0, t1 = C.add(a[0], a[2]), C.sub(a[0], a[2])
        t2, t3 = C.add(a[1], a[3]), C.mul_mi(C.sub(a[1], a[3]))
        return [C.add(t0, t2), C.add(t1, t3), C.sub(t0, t2), C.sub(t1, t3)]
    if r == 3:
        t = C.add(a[1], a[2])
        u = C.sub(a[0], C.scale(t, C.c(0.5)))
        v = C.mul_mi(C.scale(C.sub(a[1], a[2]), C.c(math.sqrt(3.0) / 2)))
        return [C.add(a[0], t), C.add(u, v), C.sub(u, v)]
    if r == 5:
        c1, c2 = C.c(math.cos(2 * math.pi / 5)), C.c(math.cos(4 * math.pi / 5))
        s1, s2 = C.c(math.sin(2 * math.pi / 5)), C.c(math.sin(4 * math.pi / 5))
        t1, t2 = C.add(a[1], a[4]), C.add(a[2], a[3])
        d1, d2 = C.sub(a[1], a[4]), C.sub(a[2], a[3])
        m1 = C.add(a[0], C.add(C.scale(t1, c1), C.scale(t2, c2)))
        m2 = C.add(a[0], C.add(C.scale(t1, c2), C.scale(t2, c1)))
        n1 = C.mul_mi(C.add(C.scale(d1, s1), C.scale(d2, s2)))
        n2 = C.mul_mi(C.sub(C.scale(d1, s2), C.scale(d2, s1)))
        return [C.add(a[0], C.add(t1, t2)), C.add(m1, n1), C.add(m2, n2), C.sub(m2, n2), C.sub(m1, n1)]
    raise AssertionError(r)


class FftKernel(KernelGen):
    CHUNKS = 32          # outer iterations: fixed chunks of rows, each with its own buffers and tables

    def emit(self):
        (self.op,) = [o for o in self.region.ops if o.opdef.has(FFT)]
        op = self.op
        a = op.attrs
        self.kind, self.n, self.inverse = a["kind"], a["n"], bool(a["inverse"])
        self.scale = float(a["scale"])
        self.dt = np.dtype(op.result.type.dtype)
        self.ft = T.compute(self.dt)
        domain = self.info.domain
        (axis,) = self.info.axes
        self.core = len(domain) - (0 if self.kind == "r2c" else 1)      # dims but the pair axis
        kept = [domain[d] for d in range(self.core) if d != axis]
        self.rows = math.prod(kept)
        # even-length real transforms run a complex engine of half the length (self.N)
        self.half = self.kind != "c2c" and self.n % 2 == 0
        self.N = n = self.n // 2 if self.half else self.n
        self.blue = factors(n) is None
        self.m = bluestein_length(n) if self.blue else n
        _, self.ntw = stages(self.m)
        # complex slots per chunk: two row buffers, twiddles, (Bluestein) chirp and filter,
        # (half-length real transforms) the roots exp(-2*pi*i*k/(2N)) and the c2r input row
        self.layout = {"b0": 0, "b1": self.m, "tw": 2 * self.m}
        size = 2 * self.m + self.ntw
        if self.blue:
            self.layout["chirp"], self.layout["filt"] = size, size + n
            size += n + self.m
        if self.half:
            self.layout["rtw"], self.layout["hx"] = size, size + n + 1
            size += 2 * (n + 1)
        self.chunk_slots = size
        self.chunks = max(1, min(self.rows, self.CHUNKS))
        self.chunk_bytes = -(-(2 * size * self.dt.itemsize) // 64) * 64
        self.scratch_bytes = max(8, self.chunks * self.chunk_bytes)
        lo, hi = self._begin("")
        n_outer, work = self.body(lo, hi)
        self._end(n_outer, work)

    # root tables --------------------------------------------------------------------------
    def _root_fn(self, k):
        """A function e -> exp(-2*pi*i*e/k) (in float64) for an i64 value 0 <= e < k."""
        b = self.b
        bits, lo, hi = _roots(k)
        tabs = []
        for nm, tab in (("lo", lo), ("hi", hi)):
            name = f"{self.name}.root{k}.{nm}"
            g = self.module.globals.get(name)
            if g is None:
                vals = np.stack([tab.real, tab.imag], -1).ravel()
                aty = ir.ArrayType(T.F64, len(vals))
                g = ir.GlobalVariable(self.module, aty, name=name)
                g.global_constant = True
                g.linkage = "internal"
                g.initializer = ir.Constant(aty, [float(v) for v in vals])
            tabs.append(b.bitcast(g, T.F64.as_pointer()))
        C64 = Complex(b, T.F64)
        mask = _i64((1 << bits) - 1)

        def root(e):
            lo_v = C64.load(tabs[0], b.and_(e, mask))
            hi_v = C64.load(tabs[1], b.lshr(e, _i64(bits)))
            return C64.mul(hi_v, lo_v)
        return root

    def _to_ft(self, z):
        if self.ft == T.F64:
            return z
        return self.b.fptrunc(z[0], self.ft), self.b.fptrunc(z[1], self.ft)

    # the engine -----------------------------------------------------------------------------
    def _fill_twiddles(self, base):
        b, C = self.b, self.C
        L = self.m
        st, _ = stages(L)
        if not any(cur // r > 1 for r, cur, _, _ in st):
            return
        root = self._root_fn(L)
        tw = b.gep(base, [_i64(2 * self.layout["tw"])])
        for r, cur, _, off in st:
            m = cur // r
            if m == 1:
                continue
            step = L // cur

            def fill(p, r=r, off=off, step=step):
                for j in range(1, r):
                    e = b.mul(p, _i64(j * step))
                    slot = b.add(b.mul(p, _i64(r - 1)), _i64(off + j - 1))
                    C.store(tw, slot, self._to_ft(root(e)))
            for_range(b, 0, self._opaque(m), fill, "tw")

    def _stockham(self, x, y):
        """Forward FFT of length self.m from buffer x (y: work); returns the buffer holding it.
        The stages live in one function of the kernel (not inlined), called once per row (three
        times with Bluestein): inlined copies made LLVM's SLP vectoriser take seconds."""
        name = f"{self.name}.stockham"
        fn = self.module.globals.get(name)
        st, _ = stages(self.m)
        if fn is None:
            fp = self.ft.as_pointer()
            fn = ir.Function(self.module, ir.FunctionType(ir.VoidType(), [fp, fp, fp]), name=name)
            fn.linkage = "internal"
            fn.attributes.add("noinline")
            for a in fn.args:
                a.add_attribute("noalias")
            saved = self.b, self.C
            self.b = ir.IRBuilder(fn.append_basic_block("entry"))
            self.C = Complex(self.b, self.ft)
            self._stages(*fn.args, st)
            self.b.ret_void()
            self.b, self.C = saved
        self.b.call(fn, [x, y, self.ptr_slot("tw")])
        return x if len(st) % 2 == 0 else y

    def _stages(self, x, y, tw, st):
        b, C = self.b, self.C
        for r, cur, s, off in st:
            m = cur // r

            def p_loop(p, r=r, s=s, m=m, off=off, x=x, y=y):
                ws = [None] + ([C.load(tw, b.add(b.mul(p, _i64(r - 1)), _i64(off + j - 1)))
                                for j in range(1, r)] if m > 1 else [None] * (r - 1))

                def q_loop(q):
                    a = [C.load(x, b.add(q, b.mul(_i64(s), b.add(p, _i64(k * m))))) for k in range(r)]
                    out = butterfly(C, r, a)
                    dst = b.add(q, b.mul(_i64(s), b.mul(p, _i64(r))))
                    for j in range(r):
                        v = out[j] if ws[j] is None else C.mul(out[j], ws[j])
                        C.store(y, b.add(dst, _i64(j * s)), v)
                if s == 1:
                    q_loop(_i64(0))
                else:
                    for_range(b, 0, s, q_loop, "q")
            for_range(b, 0, m, p_loop, "p")
            x, y = y, x

    def _chirp_fill(self):
        """chirp[j] = exp(-i*pi*j^2/n); the filter: the transform of conj(chirp) laid out
        circularly in length m, divided by m."""
        b, C, n, m = self.b, self.C, self.N, self.m
        root = self._root_fn(2 * n)
        chirp = self.ptr_slot("chirp")
        on, om = self._opaque(n), self._opaque(m)
        for_range(b, 0, on, lambda j: C.store(chirp, j, self._to_ft(root(b.urem(b.mul(j, j), _i64(2 * n))))),
                  "chirp")
        x, y = self.ptr_slot("b0"), self.ptr_slot("b1")
        zero = (C.c(0.0), C.c(0.0))
        for_range(b, 0, om, lambda j: C.store(x, j, zero), "fz")
        for_range(b, 0, on, lambda j: C.store(x, j, C.conj(C.load(chirp, j))), "fa")
        for_range(b, 1, on, lambda j: C.store(x, b.sub(_i64(m), j), C.conj(C.load(chirp, j))), "fb")
        res = self._stockham(x, y)
        filt = self.ptr_slot("filt")
        inv_m = C.c(1.0 / m)
        for_range(b, 0, om, lambda j: C.store(filt, j, C.scale(C.load(res, j), inv_m)), "ff")

    def _opaque(self, v: int):
        """The constant v hidden from the optimiser (an empty inline asm), so that loops run once
        per chunk are not unrolled and vectorised for nothing (that made compiles take seconds)."""
        asm = ir.InlineAsm(ir.FunctionType(T.I64, [T.I64]), "", "=r,0", side_effect=False)
        return self.b.call(asm, [_i64(v)])

    def ptr_slot(self, name):
        return self.b.gep(self.base, [_i64(2 * self.layout[name])])

    def _transform(self):
        """The forward DFT of length N of buffer b0 (N values); returns get(k) -> value k."""
        b, C, n, m = self.b, self.C, self.N, self.m
        x, y = self.ptr_slot("b0"), self.ptr_slot("b1")
        if not self.blue:
            res = self._stockham(x, y)
            return lambda k: C.load(res, k)
        chirp, filt = self.ptr_slot("chirp"), self.ptr_slot("filt")
        for_range(b, 0, n, lambda j: C.store(x, j, C.mul(C.load(x, j), C.load(chirp, j))), "bp")
        zero = (C.c(0.0), C.c(0.0))
        for_range(b, n, m, lambda j: C.store(x, j, zero), "bz")
        res = self._stockham(x, y)
        for_range(b, 0, m, lambda j: C.store(res, j, C.conj(C.mul(C.load(res, j), C.load(filt, j)))), "bm")
        other = y if res is x else x
        res2 = self._stockham(res, other)
        return lambda k: C.mul(C.load(chirp, k), C.conj(C.load(res2, k)))

    # the kernel ------------------------------------------------------------------------------
    def body(self, lo, hi):
        b = self.b
        self.C = C = Complex(b, self.ft)
        domain = self.info.domain
        (axis,) = self.info.axes
        acc = self.accesses(domain)
        op, n, kind = self.op, self.n, self.kind
        kept = [d for d in range(self.core) if d != axis]
        kept_ext = [domain[d] for d in kept]
        out_shape = op.result.type.shape
        ostr = contiguous_strides(out_shape)
        out_buf = len(self.region.params)
        n_in, n_out = row_lengths(kind, n)
        sc = C.c(self.scale)
        inv = self.inverse
        pair = kind != "r2c"

        def value(idx, part):
            ix = list(idx)
            if pair:
                ix.append(_i64(part))
            return self.eval(op.operands[0], ix, {}, acc, domain)

        def row(k):
            coords = unravel(b, k, kept, kept_ext, self.core)
            if self.half:
                (self._r2c_half if kind == "r2c" else self._c2r_half)(coords, value, out_buf, ostr, sc)
                return
            x = self.ptr_slot("b0")

            def load(j):
                idx = list(coords)
                idx[axis] = j
                if pair:
                    v = (value(idx, 0), value(idx, 1))
                    v = C.conj(v) if inv else v
                else:
                    v = (value(idx, 0), C.c(0.0))
                C.store(x, j, v)
            for_range(b, 0, n_in, load, "ld")
            if kind == "c2r":          # Hermitian extension: x[n - k] = conj(x[k])
                for_range(b, n_in, n, lambda j: C.store(x, j, C.conj(C.load(x, b.sub(_i64(n), j)))), "he")
            get = self._transform()

            def store(j):
                v = get(j)
                idx = list(coords)
                idx[axis] = j
                if kind == "c2r":
                    self._store(out_buf, ostr, idx, b.fmul(v[0], sc))
                    return
                v = C.scale(C.conj(v) if inv else v, sc)
                self._store(out_buf, ostr, idx + [_i64(0)], v[0])
                self._store(out_buf, ostr, idx + [_i64(1)], v[1])
            for_range(b, 0, n_out, store, "st")

        if self.rows:
            nch, rows = _i64(self.chunks), _i64(self.rows)

            def chunk(c):
                self.base = b.bitcast(b.gep(self.scratch, [b.mul(c, _i64(self.chunk_bytes))]),
                                      self.ft.as_pointer())
                self._fill_twiddles(self.base)
                if self.blue:
                    self._chirp_fill()
                if self.half:
                    root = self._root_fn(2 * self.N)
                    rtw = self.ptr_slot("rtw")
                    for_range(b, 0, self._opaque(self.N + 1),
                              lambda j: C.store(rtw, j, self._to_ft(root(j))), "rtw")
                r0 = b.udiv(b.mul(c, rows), nch)
                r1 = b.udiv(b.mul(b.add(c, _i64(1)), rows), nch)
                for_range(b, r0, r1, row, "row")
            for_range(b, lo, hi, chunk, "chunk")
        per_row = self.m * (len(factors(self.m)) + 2) * (3 if self.blue else 1)
        return self.chunks, max(1, -(-self.rows // self.chunks) * per_row)

    def _r2c_half(self, coords, value, out_buf, ostr, sc):
        """rfft of even length n = 2N: z[t] = x[2t] + i*x[2t+1], Z = FFT_N(z), then
        X[k] = (Z[k] + conj Z[N-k]) / 2 - i/2 * w^k * (Z[k] - conj Z[N-k]), w = exp(-2*pi*i/n)."""
        b, C, N = self.b, self.C, self.N
        (axis,) = self.info.axes
        x = self.ptr_slot("b0")

        def load(t):
            idx = list(coords)
            t2 = b.shl(t, _i64(1))
            idx[axis] = t2
            re = value(idx, 0)
            idx[axis] = b.add(t2, _i64(1))
            C.store(x, t, (re, value(idx, 0)))
        for_range(b, 0, N, load, "ld")
        get = self._transform()
        rtw = self.ptr_slot("rtw")
        half = C.c(0.5)

        def store(k):
            zk = get(b.select(b.icmp_signed("==", k, _i64(N)), _i64(0), k))
            zc = C.conj(get(b.select(b.icmp_signed("==", k, _i64(0)), _i64(0), b.sub(_i64(N), k))))
            e = C.scale(C.add(zk, zc), half)
            o = C.scale(C.mul_mi(C.sub(zk, zc)), half)
            v = C.add(e, C.mul(C.load(rtw, k), o))
            v = C.scale(C.conj(v) if self.inverse else v, sc)
            idx = list(coords)
            idx[axis] = k
            self._store(out_buf, ostr, idx + [_i64(0)], v[0])
            self._store(out_buf, ostr, idx + [_i64(1)], v[1])
        for_range(b, 0, N + 1, store, "st")

    def _c2r_half(self, coords, value, out_buf, ostr, sc):
        """irfft of even length n = 2N from X[0..N] (imaginary parts of X[0], X[N] dropped):
        Z[k] = (X[k] + conj X[N-k]) + i * conj(w^k) * (X[k] - conj X[N-k]), z = IFFT_N(Z)
        (as conj FFT_N conj), x[2t] = Re z[t], x[2t+1] = Im z[t]."""
        b, C, N = self.b, self.C, self.N
        (axis,) = self.info.axes
        hx, x = self.ptr_slot("hx"), self.ptr_slot("b0")

        def load(k):
            idx = list(coords)
            idx[axis] = k
            v = (value(idx, 0), value(idx, 1))
            C.store(hx, k, v if self.inverse else C.conj(v))
        for_range(b, 0, N + 1, load, "ld")
        zero = C.c(0.0)
        for k in (0, N):
            C.store(hx, _i64(k), (C.load(hx, _i64(k))[0], zero))
        rtw = self.ptr_slot("rtw")

        def build(k):
            xk = C.load(hx, k)
            xc = C.conj(C.load(hx, b.sub(_i64(N), k)))
            e = C.add(xk, xc)
            o = C.mul(C.sub(xk, xc), C.conj(C.load(rtw, k)))
            z = C.add(e, (b.fneg(o[1]), o[0]))
            C.store(x, k, C.conj(z))
        for_range(b, 0, N, build, "bd")
        get = self._transform()

        def store(t):
            v = get(t)
            idx = list(coords)
            t2 = b.shl(t, _i64(1))
            idx[axis] = t2
            self._store(out_buf, ostr, idx, b.fmul(v[0], sc))
            idx[axis] = b.add(t2, _i64(1))
            self._store(out_buf, ostr, idx, b.fmul(b.fneg(v[1]), sc))
        for_range(b, 0, N, store, "st")

    def _store(self, buf, strides, idx, v):
        self.store(buf, self.dt, strides, idx, v)
