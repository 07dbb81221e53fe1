"""Kernel-source expressions of every elementwise op: the CUDA column of the op table.

``EXPR[name](c, args, dt, out) -> str`` gives the Python expression (numba
CUDA dialect) computing op ``name`` from operand expressions ``args`` (already
in the loop dtype ``dt``, held in their compute type: float16 as float32) to a
value of dtype ``out``. ``c`` is the kernel's source context: ``c.math(name)``
binds a math function (``m_exp`` ...), ``c.helper(name, dt)`` instantiates a
device helper for one dtype, ``c.const(v, dt)`` names a typed constant and
``c.cast(e, dt)`` converts.

Every result is cast to its dtype explicitly: numba widens integer arithmetic
to int64 and Python float literals are float64, so without the cast int32
would not wrap and float32 would silently promote. Constants are always typed
(``np.float32(0.5)``), and float32 math calls the float32 libdevice functions
(numba's ``math.exp`` on a float32 is ``__nv_expf``). Integer semantics follow
NumPy exactly where C (and CUDA) would be undefined, as the CPU column does:
division by zero gives 0, ``MIN // -1`` wraps, shifts by at least the bit
width give 0 (or -1 for negative right shifts).

Why the rules live here and not in the ``OpDef``: like the CPU column, they
are codegen (text recipes plus device helpers), and the IR must not depend on
them. They follow :mod:`xlaish.ir.lowering`'s contract: registered with
``RULES`` next to each other, families of rows (math-library ops, scaling
ops) sharing one generic rule, checked complete at import and attached to
each record (``OpDef.lower["cuda"]``). The decisions shared with the CPU column
(float -> int casts, mixed uint64/int64 comparisons, integer results where C
is undefined) are :mod:`xlaish.ir.policy`'s.
"""
from __future__ import annotations

import numpy as np

from ...ir import groups, policy
from ...ir.lowering import BackendRules
from . import bitfuncs, rng
from .target import compute_dtype, np_name

RULES = BackendRules("cuda")


def _k(dt):
    return np.dtype(dt).kind


def _f(dt):
    return _k(dt) == "f"


def _b(dt):
    return _k(dt) == "b"


def _s(dt):
    return _k(dt) == "i"


def truth(c, x, dt):
    """x as a bool (NumPy's nonzero test; NaN is true)."""
    if _b(dt):
        return x
    return f"({x} != {c.const(0, dt)})"


# ---- device helpers: templates instantiated per dtype ({fn}, {T}: constructor, {BITS}) ------------
HELPERS = {
    "floordiv_f": ("fmod", "floor", "copysign"), "remainder_f": ("fmod", "copysign"),
    "floordiv_i": (), "remainder_i": (), "power_i": (), "lshift": (), "rshift": (),
    "rint": ("floor", "fmod", "copysign"), "logaddexp": ("log1p", "exp"),
    "cvtt32": (), "cvtt64": (), "cvttu32": (), "cvttu64": (),
    **bitfuncs.HELPERS, **rng.HELPERS,
}

TEMPLATES = {
    # npy_divmod for floats: the floor of the exact quotient, NaN/inf as NumPy
    "floordiv_f": '''
@device
def {fn}(a, b):
    zero = {T}(0.0)
    if b == zero:
        return {T}(a / b)
    mod = m_fmod(a, b)
    div = (a - mod) / b
    if mod != zero:
        if (b < zero) != (mod < zero):
            div = div - {T}(1.0)
    if div != zero:
        fl = m_floor(div)
        if div - fl > {T}(0.5):
            fl = fl + {T}(1.0)
        return {T}(fl)
    return {T}(m_copysign(zero, a / b))
''',
    "remainder_f": '''
@device
def {fn}(a, b):
    zero = {T}(0.0)
    mod = m_fmod(a, b)
    if b == zero:
        return {T}(mod)
    if mod != zero:
        if (b < zero) != (mod < zero):
            mod = mod + b
        return {T}(mod)
    return {T}(m_copysign(zero, b))
''',
    "floordiv_i": '''
@device
def {fn}(x, y):
    if y == {T}(0):
        return {T}(0)
    if {SIGNED} and y == {T}(-1):
        return {T}({T}(0) - x)
    return {T}(x // y)
''',
    "remainder_i": '''
@device
def {fn}(x, y):
    if y == {T}(0):
        return {T}(0)
    if {SIGNED} and y == {T}(-1):
        return {T}(0)
    return {T}(x % y)
''',
    "power_i": '''
@device
def {fn}(b, e):
    if {SIGNED} and e < {T}(0):
        if b == {T}(1):
            return {T}(1)
        if b == {T}(-1):
            return {T}(-1) if (e & {T}(1)) != {T}(0) else {T}(1)
        return {T}(0)
    r = {T}(1)
    x = b
    while e != {T}(0):
        if (e & {T}(1)) != {T}(0):
            r = {T}(r * x)
        x = {T}(x * x)
        e = {T}(e >> {T}(1))
    return r
''',
    "lshift": '''
@device
def {fn}(x, y):
    if ({SIGNED} and y < {T}(0)) or y >= {T}({BITS}):
        return {T}(0)
    return {T}(x << y)
''',
    "rshift": '''
@device
def {fn}(x, y):
    if ({SIGNED} and y < {T}(0)) or y >= {T}({BITS}):
        if {SIGNED} and x < {T}(0):
            return {T}(-1)
        return {T}(0)
    return {T}(x >> y)
''',
    # round half to even, keeping the sign of zero
    "rint": '''
@device
def {fn}(x):
    r = m_floor(x)
    d = x - r
    if d > {T}(0.5) or (d == {T}(0.5) and m_fmod(r, {T}(2.0)) != {T}(0.0)):
        r = r + {T}(1.0)
    return {T}(m_copysign(r, x))
''',
    # npy_logaddexp
    "logaddexp": '''
@device
def {fn}(x, y):
    if x == y:
        return {T}(x + {T}(0.6931471805599453))
    d = x - y
    if d > {T}(0.0):
        return {T}(x + m_log1p(m_exp(-d)))
    if d <= {T}(0.0):
        return {T}(y + m_log1p(m_exp(d)))
    return {T}(d)
''',
    **bitfuncs.TEMPLATES, **rng.TEMPLATES,
    # float (of type {T}) -> int{BITS} as x86-64's cvttss2si/cvttsd2si: NaN and out of range
    # give INT_MIN (a plain conversion is undefined there; the GPU's would saturate). See the
    # CPU column's _float_to_int for the whole cast table.
    "cvtt": '''
@device
def {fn}(x):
    if x {LO_OK} and x < {HALF}:
        return {S}(x)
    return {S}({MIN})
''',
    # float -> uint{BITS}: x >= 2**(BITS-1) ? cvtt(x - 2**(BITS-1)) ^ INT_MIN : cvtt(x)
    "cvttu": '''
@device
def {fn}(x):
    big = x >= {HALF}
    y = x - {HALF} if big else x
    v = {S}({MIN})
    if y {LO_OK} and y < {HALF}:
        v = {S}(y)
    if big:
        v = v ^ {S}({MIN})
    return {U}(v)
''',
}


def instantiate(name: str, dt, fn: str) -> str:
    dt = np.dtype(dt)
    ct = compute_dtype(dt)
    T = np_name(ct)
    fmt = dict(fn=fn, T=T, SIGNED=str(_s(dt)), BITS=dt.itemsize * 8)
    if dt.kind in "iu":
        fmt["U"] = f"np.uint{dt.itemsize * 8}"
    if dt.kind == "f":               # float facts: of the compute type (ldexp), of dt (nextafter)
        fc, fd = np.finfo(ct), np.finfo(dt)
        emax, emin, prec = fc.maxexp - 1, fc.minexp, fc.nmant + 1
        fmt.update(EMAX=emax, EMIN=emin, SHIFT=-(emin + prec), UP=repr(2.0 ** emax),
                   DOWN=repr(2.0 ** (emin + prec)), P=fd.nmant + 1, EMINSUB=fd.minexp - fd.nmant,
                   MAX=repr(float(fd.max)), HALF=str(dt == np.float16))
    if name.startswith("cvtt"):       # cvtt32 / cvttu64 ...: dt is the float type converted
        bits = int(name[-2:])
        lo, half = policy.cvtt_range(bits)
        exact = lo != -half and float(ct.type(lo)) == lo
        fmt.update(BITS=bits, HALF=f"{T}({half!r})", MIN=policy.int_min(bits),
                   LO_OK=f"> {T}({lo!r})" if exact else f">= {T}({-half!r})",
                   S=f"np.int{bits}", U=f"np.uint{bits}")
        name = name[:-2]
    return TEMPLATES[name].format(**fmt).strip("\n")


# ---- arithmetic -----------------------------------------------------------------------------------
def _binop(sym, bool_sym=None):
    def f(c, a, dt, out):
        if _b(dt):
            return f"({a[0]} {bool_sym or sym} {a[1]})"
        return c.cast(f"({a[0]} {sym} {a[1]})", out)
    return f


def _divide(c, a, dt, out):
    return c.cast(f"({a[0]} / {a[1]})", out)


def _floor_divide(c, a, dt, out):
    if _f(dt):
        return c.cast(f"{c.helper('floordiv_f', dt)}({a[0]}, {a[1]})", out)
    if _b(dt):
        return f"({a[0]} & {a[1]})"
    return f"{c.helper('floordiv_i', dt)}({a[0]}, {a[1]})"


def _remainder(c, a, dt, out):
    if _f(dt):
        return c.cast(f"{c.helper('remainder_f', dt)}({a[0]}, {a[1]})", out)
    if _b(dt):   # NumPy has no bool remainder loop; kept total like the CPU column
        return f"({a[0]} & (not {a[1]}))"
    return f"{c.helper('remainder_i', dt)}({a[0]}, {a[1]})"


def _power(c, a, dt, out):
    if _f(dt):
        return c.cast(f"{c.math('pow')}({a[0]}, {a[1]})", out)
    if _b(dt):
        return f"({a[0]} | (not {a[1]}))"
    return f"{c.helper('power_i', dt)}({a[0]}, {a[1]})"


def _maximum(is_max):
    cmp = ">=" if is_max else "<="

    def f(c, a, dt, out):
        x, y = a
        if _f(dt):
            return c.cast(f"({x} if ({x} {cmp} {y} or {x} != {x}) else {y})", out)
        if _b(dt):
            return f"({x} | {y})" if is_max else f"({x} & {y})"
        return f"({x} if {x} {cmp} {y} else {y})"
    return f


def _fmax(is_max):
    cmp = ">=" if is_max else "<="

    def f(c, a, dt, out):
        x, y = a
        if _f(dt):
            return c.cast(f"({x} if ({x} {cmp} {y} or {y} != {y}) else {y})", out)
        return _maximum(is_max)(c, a, dt, out)
    return f


def _math2(name):
    def f(c, a, dt, out):
        return c.cast(f"{c.math(name)}({a[0]}, {a[1]})", out)
    return f


def _logaddexp(c, a, dt, out):
    return c.cast(f"{c.helper('logaddexp', dt)}({a[0]}, {a[1]})", out)


def _compare(sym):
    def f(c, a, dt, out):
        return f"({a[0]} {sym} {a[1]})"
    return f


def _logical(sym):
    def f(c, a, dt, out):
        return f"({truth(c, a[0], dt)} {sym} {truth(c, a[1], dt)})"
    return f


def _bitwise(sym):
    def f(c, a, dt, out):
        if _b(dt):
            return f"({a[0]} {sym} {a[1]})"
        return c.cast(f"({a[0]} {sym} {a[1]})", out)
    return f


def _shift(left):
    def f(c, a, dt, out):
        return f"{c.helper('lshift' if left else 'rshift', dt)}({a[0]}, {a[1]})"
    return f


# ---- unary ----------------------------------------------------------------------------------------
def _negative(c, a, dt, out):
    x = a[0]
    if _f(dt):
        return c.cast(f"(-{x})", out)
    if _b(dt):
        return f"(not {x})"
    if _s(dt):
        return c.cast(f"(-{x})", out)
    return c.cast(f"({c.const(0, dt)} - {x})", out)


def _positive(c, a, dt, out):
    return a[0]


def _abs(c, a, dt, out):
    x = a[0]
    if _f(dt):
        return c.cast(f"{c.math('fabs')}({x})", out)
    if _s(dt):
        return f"({c.cast(f'(-{x})', dt)} if {x} < {c.const(0, dt)} else {x})"
    return x


def _sign(c, a, dt, out):
    x = a[0]
    zero, one = c.const(0, dt), c.const(1, dt)
    if _b(dt):
        return x
    if _f(dt):
        m1 = c.const(-1, dt)
        return f"({one} if {x} > {zero} else ({m1} if {x} < {zero} else ({zero} if {x} == {zero} else {x})))"
    if _s(dt):
        m1 = c.const(-1, dt)
        return f"({one} if {x} > {zero} else ({m1} if {x} < {zero} else {zero}))"
    return f"({one} if {x} > {zero} else {zero})"


def _square(c, a, dt, out):
    return EXPR["multiply"](c, [a[0], a[0]], dt, out)


def _reciprocal(c, a, dt, out):
    x = a[0]
    if _f(dt):
        return c.cast(f"({c.const(1, dt)} / {x})", out)
    if _b(dt):
        return f"({x} | True)"
    one, zero = c.const(1, dt), c.const(0, dt)
    if _s(dt):
        m1 = c.const(-1, dt)
        return f"({one} if {x} == {one} else ({m1} if {x} == {m1} else {zero}))"
    return f"({one} if {x} == {one} else {zero})"


def _rounding(name):
    def f(c, a, dt, out):
        if not _f(dt):
            return a[0]
        if name == "rint":
            return c.cast(f"{c.helper('rint', dt)}({a[0]})", out)
        return c.cast(f"{c.math(name)}({a[0]})", out)
    return f


def _isnan(c, a, dt, out):
    return f"({a[0]} != {a[0]})" if _f(dt) else "False"


def _isinf(c, a, dt, out):
    if not _f(dt):
        return "False"
    return f"({c.math('fabs')}({a[0]}) == {c.const(np.inf, dt)})"


def _isfinite(c, a, dt, out):
    if not _f(dt):
        return "True"
    return f"({c.math('fabs')}({a[0]}) < {c.const(np.inf, dt)})"


def _logical_not(c, a, dt, out):
    return f"(not {truth(c, a[0], dt)})"


def _invert(c, a, dt, out):
    if _b(dt):
        return f"(not {a[0]})"
    return c.cast(f"(~{a[0]})", out)


def _math1(name):
    def f(c, a, dt, out):
        return c.cast(f"{c.math(name)}({a[0]})", out)
    return f


def _expit(c, a, dt, out):
    one = c.const(1, dt)
    return c.cast(f"({one} / ({one} + {c.math('exp')}(-{a[0]})))", out)


def _select(c, a, dt, out):
    return f"({a[1]} if {a[0]} else {a[2]})"


def _make_complex(c, a, dt, out):
    return f"complex({a[0]}, {a[1]})"


def astype(c, x, src, dst) -> str:
    """x (a value of dtype src) converted with NumPy's astype semantics."""
    src, dst = np.dtype(src), np.dtype(dst)
    if src == dst:
        return x
    if dst.kind == "b":
        return truth(c, x, src)
    if src.kind == "f" and dst.kind in "iu":     # defined for every input: the policy's plan
        plan = policy.float_to_int_plan(src, dst)
        call = f"{c.helper(f'{plan.kind}{plan.bits}', src)}({x})"
        return call if plan.bits == dst.itemsize * 8 else c.cast(call, dst)
    return c.cast(x, dst)


def _scale(row):
    def f(c, a, dt, out):
        k = policy.scale_factor(row.scale, compute_dtype(dt))
        return c.cast(f"({a[0]} * {c.const(k, compute_dtype(dt))})", out)
    return f


def _fmod(c, a, dt, out):
    if _f(dt):
        return c.cast(f"{c.math('fmod')}({a[0]}, {a[1]})", out)
    return f"{c.helper('fmod_i', dt)}({a[0]}, {a[1]})"


def _helper_of(name, arg_dtype=False):
    """A rule calling device helper ``name`` instantiated for the operands' (or, arg_dtype=False,
    the result's) dtype."""
    def f(c, a, dt, out):
        return c.cast(f"{c.helper(name, dt if arg_dtype else out)}({', '.join(a)})", out)
    return f


def _signbit(c, a, dt, out):
    return f"({c.math('copysign')}({c.const(1, dt)}, {a[0]}) < {c.const(0, dt)})"


# ---- the table: one rule per op (the families below fill the rest) ---------------------------
for _name, _rule in {
    "add": _binop("+", "|"), "subtract": _binop("-", "^"), "multiply": _binop("*", "&"),
    "divide": _divide, "floor_divide": _floor_divide, "remainder": _remainder, "power": _power,
    "maximum": _maximum(True), "minimum": _maximum(False), "fmax": _fmax(True), "fmin": _fmax(False),
    "arctan2": _math2("atan2"), "copysign": _math2("copysign"), "logaddexp": _logaddexp,
    "logical_and": _logical("&"), "logical_or": _logical("|"), "logical_xor": _logical("^"),
    "bitwise_and": _bitwise("&"), "bitwise_or": _bitwise("|"), "bitwise_xor": _bitwise("^"),
    "left_shift": _shift(True), "right_shift": _shift(False),
    "negative": _negative, "positive": _positive, "abs": _abs, "sign": _sign,
    "square": _square, "reciprocal": _reciprocal,
    "floor": _rounding("floor"), "ceil": _rounding("ceil"), "trunc": _rounding("trunc"),
    "rint": _rounding("rint"),
    "isnan": _isnan, "isinf": _isinf, "isfinite": _isfinite, "signbit": _signbit,
    "logical_not": _logical_not, "invert": _invert, "select": _select, "expit": _expit,
    "make_complex": _make_complex,
    "fmod": _fmod, "gcd": _helper_of("gcd", True), "lcm": _helper_of("lcm", True),
    "bitwise_count": _helper_of("popcount", True), "ldexp": _helper_of("ldexp"),
    "nextafter": _helper_of("nextafter", True), "frexp_exponent": _helper_of("frexp_exp", True),
    **rng.RULES,       # threefry2x32
}.items():
    RULES.set(_name, _rule)
RULES.family(lambda row: row.compare is not None, lambda row: _compare(row.compare))
RULES.family(lambda row: row.math, lambda row: (_math1 if row.arity == 1 else _math2)(row.name))
RULES.family(lambda row: row.scale is not None, _scale)
EXPR = RULES.finish()

# derived from the registry (xlaish.ir.groups), kept under their old names for the generators:
# ops the kernel generator handles itself (not expressions of operands)
STRUCTURAL = groups.STRUCTURAL
# top-level ops of a program the CUDA runtime runs (besides fused kernels): control flow reads
# its predicate back to the host; debug ops copy their operands to the host
PROGRAM_OPS = groups.PROGRAM
# ops the passes remove before any backend sees them
INLINED = groups.INLINED


def covered(name: str) -> bool:
    """Does the CUDA backend lower op ``name``? (Every op does once this module is imported:
    the registry test checks ``OpDef.lower["cuda"]``.)"""
    return name in EXPR or name in STRUCTURAL or name in PROGRAM_OPS or name in INLINED
