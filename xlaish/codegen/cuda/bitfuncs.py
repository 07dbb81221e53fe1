"""Device-helper templates of the CUDA column for the integer and floating-point bit functions
(``fmod`` on integers, ``gcd``, ``lcm``, ``bitwise_count``, ``ldexp``, ``nextafter``, frexp's
exponent), merged into :data:`xlaish.codegen.cuda.ops.TEMPLATES`; ``ops.instantiate`` fills
``{T}`` (the compute type), ``{U}`` (the unsigned type of an integer dtype) and the float facts
(``{EMAX}``, ``{EMIN}``, ``{P}``, ...). Each matches NumPy bit for bit, as the CPU rules in
:mod:`xlaish.codegen.cpu.bitfuncs` do, and runs unchanged on the simulator (no overflowing
``math.ldexp``: only normal powers of two are built)."""
from __future__ import annotations

# helper name -> the m_* math functions it calls
HELPERS = {
    "fmod_i": (), "gcd": (), "lcm": (), "popcount": (), "ldexp": ("ldexp",),
    "nextafter": ("fabs", "frexp", "ldexp", "copysign"), "frexp_exp": ("fabs", "frexp"),
}

TEMPLATES = {
    # C's integer % (the sign of the dividend), 0 for x % 0 and MIN % -1 (numba's % floors)
    "fmod_i": '''
@device
def {fn}(x, y):
    if y == {T}(0):
        return {T}(0)
    if {SIGNED} and y == {T}(-1):
        return {T}(0)
    r = {T}(x % y)
    if {SIGNED} and r != {T}(0) and (r < {T}(0)) != (x < {T}(0)):
        r = {T}(r - y)
    return r
''',
    # NumPy's npy_gcd: Euclid on the magnitudes as unsigned values ({U}: the unsigned type)
    "gcd": '''
@device
def {fn}(x, y):
    a = {U}(x)
    b = {U}(y)
    if {SIGNED} and x < {T}(0):
        a = {U}({U}(~a) + {U}(1))
    if {SIGNED} and y < {T}(0):
        b = {U}({U}(~b) + {U}(1))
    while a != {U}(0):
        c = a
        a = {U}(b % a)
        b = c
    return {T}(b)
''',
    "lcm": '''
@device
def {fn}(x, y):
    a = {U}(x)
    b = {U}(y)
    if {SIGNED} and x < {T}(0):
        a = {U}({U}(~a) + {U}(1))
    if {SIGNED} and y < {T}(0):
        b = {U}({U}(~b) + {U}(1))
    g = a
    h = b
    while g != {U}(0):
        c = g
        g = {U}(h % g)
        h = c
    if h == {U}(0):
        return {T}(0)
    return {T}({U}({U}(a // h) * b))
''',
    "popcount": '''
@device
def {fn}(x):
    a = {U}(x)
    if {SIGNED} and x < {T}(0):
        a = {U}({U}(~a) + {U}(1))
    n = 0
    while a != {U}(0):
        a = {U}(a & {U}(a - {U}(1)))
        n += 1
    return np.uint8(n)
''',
    # x * 2**n rounded once (musl's scalbn; the CPU column's _ldexp)
    "ldexp": '''
@device
def {fn}(x, n):
    k = np.int64(n)
    if k > 3000:
        k = np.int64(3000)
    if k < -3000:
        k = np.int64(-3000)
    y = x
    for _ in range(2):
        if k > {EMAX}:
            y = {T}(y * {T}({UP}))
            k = k - {EMAX}
        if k < {EMIN}:
            y = {T}(y * {T}({DOWN}))
            k = k + {SHIFT}
    if k > {EMAX}:
        k = np.int64({EMAX})
    if k < {EMIN}:
        k = np.int64({EMIN})
    return {T}(y * m_ldexp({T}(1.0), np.int32(k)))
''',
    # C's nextafter by arithmetic: the step is the ulp of |x| ({P} digits, {EMINSUB}: exponent of
    # the smallest subnormal), halved toward zero from a power of two; float16 returns x when
    # x == y (npy_half_nextafter)
    "nextafter": '''
@device
def {fn}(x, y):
    if x != x or y != y:
        return {T}(x + y)
    if x == y:
        return {T}(x if {HALF} else y)
    up = y > x
    ax = m_fabs(x)
    if ax == {T}(math.inf):
        return {T}(m_copysign({T}({MAX}), x))
    if x == {T}(0.0):
        s = {EMINSUB}
    else:
        m, e = m_frexp(ax)
        s = e - {P}
        if up != (x > {T}(0.0)) and m == {T}(0.5):
            s = s - 1
        if s < {EMINSUB}:
            s = {EMINSUB}
    d = {T}(m_ldexp({T}(1.0), np.int32(s)))
    r = {T}(x + d) if up else {T}(x - d)
    if r == {T}(0.0):
        r = {T}(m_copysign({T}(0.0), x))
    return r
''',
    "frexp_exp": '''
@device
def {fn}(x):
    if x != x or m_fabs(x) == {T}(math.inf) or x == {T}(0.0):
        return np.int32(0)
    m, e = m_frexp(x)
    return np.int32(e)
''',
}
