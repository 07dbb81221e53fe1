"""Shared test helpers: dtypes, tolerances, inputs, the NumPy comparison, and random programs.

NumPy is the oracle everywhere: expected values come from running the same
function with NumPy, never from hand computation.

* ``TOLERANCES`` is the one place where per-dtype tolerances are stated.
* ``assert_matches_numpy(got, expected, dtype)`` checks dtype exactly, shape,
  NaN positions, infinities, and values (exact for bool/int, per-dtype
  tolerance for floats).
* ``make_input`` / ``edge_values`` / ``layouts`` build inputs, including 0-d,
  empty, broadcast (zero-stride), non-contiguous and read-only arrays.
* ``programs()`` is a hypothesis strategy of random NumPy expression programs,
  returning ``(program, inputs)``; the passes tests reuse it.
"""
from __future__ import annotations

import dataclasses

import numpy as np

# ---------------------------------------------------------------------------- dtypes
BOOL = [np.dtype(np.bool_)]
SIGNED = [np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64)]
UNSIGNED = [np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64)]
INTS = SIGNED + UNSIGNED
FLOATS = [np.dtype(t) for t in (np.float16, np.float32, np.float64)]
ALL_DTYPES = BOOL + INTS + FLOATS

# Dtypes grouped for tests that compile one program per group (compilation dominates test time):
# every float type alone (each has its own code paths), integers by signedness, bool alone.
DTYPE_GROUPS = {"bool": BOOL, "int": SIGNED, "uint": UNSIGNED, "float16": FLOATS[:1],
                "float32": FLOATS[1:2], "float64": FLOATS[2:]}


def dtype_id(dt) -> str:
    return np.dtype(dt).name


# ------------------------------------------------------------------------ tolerances
@dataclasses.dataclass(frozen=True)
class Tol:
    rtol: float
    atol: float


# The one place tolerances are stated. Floats: |got - expected| <= atol + rtol * |expected|.
#   float16: 1e-3 relative (about 1 ulp: NumPy computes float16 math through float32 and rounds)
#   float32: 1e-6 relative (a few ulp of float32 eps = 1.19e-7)
#   float64: 1e-12 relative
# atol is the dtype's smallest normal number: differences among subnormal results are ignored.
# Integers and bools are compared exactly.
TOLERANCES = {
    np.dtype(np.float16): Tol(rtol=1e-3, atol=float(np.finfo(np.float16).tiny)),
    np.dtype(np.float32): Tol(rtol=1e-6, atol=float(np.finfo(np.float32).tiny)),
    np.dtype(np.float64): Tol(rtol=1e-12, atol=float(np.finfo(np.float64).tiny)),
}


def tol(dtype) -> Tol:
    return TOLERANCES.get(np.dtype(dtype), Tol(0.0, 0.0))


def eps(dtype) -> float:
    return float(np.finfo(dtype).eps)


# ------------------------------------------------------------------------ comparison
def _describe(a) -> str:
    return f"{type(a).__name__} {np.asarray(a).dtype}{list(np.shape(a))}"


def assert_matches_numpy(got, expected, dtype=None, *, rtol=None, atol=None, err_msg=""):
    """``got`` (xlaish's result) equals ``expected`` (NumPy's result).

    * dtype: exactly ``dtype`` (default: the dtype of ``expected``), for both;
    * shape: equal;
    * bool/int: every element equal;
    * float: NaN at the same positions, +-inf at the same positions, finite
      values within ``atol + rtol * |expected|`` (``TOLERANCES`` unless given;
      ``atol`` may be an array broadcasting against the result).
    """
    assert isinstance(got, (np.ndarray, np.generic)), \
        f"{err_msg}: result is a {type(got).__name__}, not a NumPy array or scalar"
    exp = np.asarray(expected)
    g = np.asarray(got)
    dtype = exp.dtype if dtype is None else np.dtype(dtype)
    assert exp.dtype == dtype, f"{err_msg}: NumPy's own result has dtype {exp.dtype}, test expects {dtype}"
    assert g.dtype == dtype, f"{err_msg}: dtype {g.dtype}, NumPy gives {dtype}"
    assert g.shape == exp.shape, f"{err_msg}: shape {g.shape}, NumPy gives {exp.shape}"
    if dtype.kind != "f":
        bad = g != exp
        if bad.any():
            _fail(err_msg, g, exp, bad)
        return
    t = tol(dtype)
    rtol = t.rtol if rtol is None else rtol
    atol = t.atol if atol is None else atol
    g64, e64 = g.astype(np.float64), exp.astype(np.float64)
    gn, en = np.isnan(g64), np.isnan(e64)
    bad = gn != en
    ginf, einf = np.isinf(g64), np.isinf(e64)
    bad |= (ginf | einf) & ~(gn | en) & (g64 != e64)
    fin = ~(gn | en | ginf | einf)
    with np.errstate(all="ignore"):
        err = np.abs(g64 - e64)
        limit = np.broadcast_to(np.asarray(atol, np.float64), e64.shape) + rtol * np.abs(e64)
    bad |= fin & ~(err <= limit)
    if bad.any():
        _fail(err_msg, g, exp, bad, rtol=rtol)


def _fail(err_msg, g, exp, bad, rtol=None):
    idx = np.argwhere(np.atleast_1d(bad))[:5]
    gi, ei = np.atleast_1d(g), np.atleast_1d(exp)
    lines = [f"{err_msg}: {int(np.sum(bad))} of {bad.size} elements differ from NumPy"
             + (f" (rtol={rtol:g})" if rtol is not None else "")]
    for i in idx:
        i = tuple(i)
        lines.append(f"  at {i}: got {gi[i]!r}, NumPy {ei[i]!r}")
    raise AssertionError("\n".join(lines))


def assert_same_result(got, expected, **kw):
    """Pytree-aware ``assert_matches_numpy`` (tuples, lists and dicts of arrays; None)."""
    if expected is None:
        assert got is None, f"got {got!r}, expected None"
    elif isinstance(expected, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(expected), f"{got!r} vs {expected!r}"
        for k in expected:
            assert_same_result(got[k], expected[k], **kw)
    elif isinstance(expected, (tuple, list)):
        assert type(got) is type(expected) and len(got) == len(expected), f"{type(got)} vs {type(expected)}"
        for a, b in zip(got, expected):
            assert_same_result(a, b, **kw)
    else:
        assert_matches_numpy(got, expected, **kw)


def numpy_result(fn, *args, **kwargs):
    """``(result, None)`` from running ``fn`` on NumPy, or ``(None, exception)`` if NumPy rejects it."""
    with np.errstate(all="ignore"):
        try:
            return fn(*args, **kwargs), None
        except (TypeError, ValueError, OverflowError, np.exceptions.DTypePromotionError) as e:
            return None, e


# ---------------------------------------------------------------------------- inputs
def edge_values(dtype) -> np.ndarray:
    """Values at the edges of ``dtype``'s range and of common function domains."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return np.array([False, True])
    if dt.kind in "iu":
        info = np.iinfo(dt)
        vals = [0, 1, 2, 3, 7, 100, info.max, info.max - 1]
        if dt.kind == "i":
            vals += [-1, -2, -7, -100, info.min, info.min + 1]
        return np.array([v for v in vals if info.min <= v <= info.max], dtype=dt)
    fi = np.finfo(dt)
    vals = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 1e-3, -1e-3, 0.9990234375, -0.9990234375,
            1.5, -1.5, 3.0, -3.0, 10.0, -10.0, 100.0, -100.0, 1000.0, -1000.0,
            float(fi.tiny), -float(fi.tiny), float(fi.max), -float(fi.max), float(fi.eps),
            np.inf, -np.inf, np.nan]
    return np.array(vals, dtype=dt)


def random_values(rng, shape, dtype, low=None, high=None) -> np.ndarray:
    """Random values of ``dtype``: floats uniform in [low, high) (default [-5, 5)), integers
    over the whole range (or [low, high)), bools fair coins."""
    dt = np.dtype(dtype)
    shape = tuple(shape)
    if dt.kind == "b":
        return rng.random(shape) < 0.5
    if dt.kind in "iu":
        info = np.iinfo(dt)
        lo = info.min if low is None else max(int(low), info.min)
        hi = info.max if high is None else min(int(high) - 1, info.max)
        return rng.integers(lo, hi, size=shape, dtype=dt, endpoint=True)
    lo = -5.0 if low is None else low
    hi = 5.0 if high is None else high
    return rng.uniform(lo, hi, size=shape).astype(dt)


def make_input(rng, shape, dtype, *, edges=True, low=None, high=None) -> np.ndarray:
    """Random values of ``shape`` with ``edge_values`` mixed in (when the array is big enough)."""
    a = random_values(rng, shape, dtype, low, high)
    if edges and a.size:
        e = edge_values(dtype)
        if low is not None or high is not None:
            with np.errstate(invalid="ignore"):
                keep = np.ones(e.shape, bool)
                if low is not None:
                    keep &= e >= low
                if high is not None:
                    keep &= e < high
            e = e[keep]
        flat = a.reshape(-1)
        n = min(len(e), flat.size // 2 if flat.size > 3 else flat.size)
        pos = rng.choice(flat.size, size=n, replace=False)
        flat[pos] = rng.permutation(e)[:n]
        a = flat.reshape(shape)
    return a


def layouts(a: np.ndarray):
    """``(name, array)`` pairs with the values of ``a`` in different memory layouts.

    All have ``a``'s shape and dtype (so a jitted function reuses one compilation):
    C-contiguous, read-only, a strided view into a bigger buffer, a reversed
    (negative-stride) view, Fortran order (a transposed view).
    """
    yield "contiguous", np.ascontiguousarray(a)
    ro = np.array(a)
    ro.flags.writeable = False
    yield "readonly", ro
    if a.ndim >= 1:
        big = np.zeros(a.shape[:-1] + (a.shape[-1] * 2 + 1,), a.dtype)
        big[..., 1::2] = a
        view = big[..., 1::2]
        assert not view.flags.c_contiguous or a.size <= 1
        yield "strided", view
        rev = np.ascontiguousarray(a[..., ::-1])[..., ::-1]
        yield "reversed", rev
    if a.ndim >= 2:
        yield "fortran", np.asfortranarray(a)


def layout_batches(arrays):
    """``(name, [arrays in that layout])`` for each layout of ``layouts``: same shapes and dtypes
    as ``arrays``, so a jitted function of the list compiles once and runs on every layout."""
    per = [dict(layouts(a)) for a in arrays]
    for kind in per[0]:
        yield kind, [d[kind] for d in per]


def broadcast_input(a: np.ndarray, shape) -> np.ndarray:
    """A read-only zero-stride view of ``a`` broadcast to ``shape``."""
    return np.broadcast_to(a, shape)


# (shape of x, shape of y) pairs that broadcast, for binary ops
BROADCAST_PAIRS = [
    ((), ()),
    ((5,), ()),
    ((), (5,)),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((2, 1, 4), (3, 1)),
    ((0,), (1,)),
    ((0, 3), (3,)),
]


# ------------------------------------------------------------------- random programs
class Program:
    """A random NumPy program: ``program(*inputs)`` runs on NumPy arrays and on tracers.

    ``source`` is equivalent Python text (shown in failure reports); ``rtol`` overrides
    ``PROGRAM_RTOL`` when given.
    """

    def __init__(self, body, source: str, n_inputs: int, rtol: float | None = None):
        self.body = body
        self.source = source
        self.n_inputs = n_inputs
        self.rtol = rtol
        self.rtol_floor = 0.0    # the least precise float input's PROGRAM_RTOL (set by programs())
        self.__name__ = "program"

    def __call__(self, *xs):
        return self.body(list(xs))

    def __repr__(self):
        return f"<program {self.source}>"


# name -> (numpy callable, text template); every unary op here is defined for all reals
# (arguments are bounded first where needed) so float programs stay free of NaN.
_UNARY = {
    "neg": (lambda x: -x, "(-{0})"),
    "abs": (np.abs, "np.abs({0})"),
    "square": (np.square, "np.square({0})"),
    "sin": (np.sin, "np.sin({0})"),
    "cos": (np.cos, "np.cos({0})"),
    "tanh": (np.tanh, "np.tanh({0})"),
    "exp_neg_abs": (lambda x: np.exp(-np.abs(x)), "np.exp(-np.abs({0}))"),
    "sqrt_abs": (lambda x: np.sqrt(np.abs(x)), "np.sqrt(np.abs({0}))"),
    "log1p_abs": (lambda x: np.log1p(np.abs(x)), "np.log1p(np.abs({0}))"),
    "floor": (np.floor, "np.floor({0})"),
}
_INT_UNARY = ["neg", "abs", "square"]
_BINARY = {
    "add": (lambda a, b: a + b, "({0} + {1})"),
    "sub": (lambda a, b: a - b, "({0} - {1})"),
    "mul": (lambda a, b: a * b, "({0} * {1})"),
    "maximum": (np.maximum, "np.maximum({0}, {1})"),
    "minimum": (np.minimum, "np.minimum({0}, {1})"),
    "where_gt": (lambda a, b: np.where(a > b, a, b - 1), "np.where({0} > {1}, {0}, {1} - 1)"),
    "hypot": (np.hypot, "np.hypot({0}, {1})"),
    "div_safe": (lambda a, b: a / (np.abs(b) + 1), "({0} / (np.abs({1}) + 1))"),
}
_INT_BINARY = ["add", "sub", "mul", "maximum", "minimum", "where_gt", "div_safe"]
_REDUCTIONS = {
    "sum": np.sum, "max": np.max, "min": np.min, "mean": np.mean,
}


def programs(dtypes=("float32", "float64", "int32"), max_ops=8, max_inputs=3):
    """Hypothesis strategy of ``(Program, [input arrays])``.

    Programs mix elementwise unary/binary ops, broadcasting between inputs of
    different ranks, Python-scalar constants (weak typing) and reductions over
    random axes with random keepdims. Inputs are drawn per program from one
    of ``dtypes`` each (so promotion between them is exercised), with values
    in [-3, 3].
    """
    from hypothesis import strategies as st

    @st.composite
    def strat(draw):
        rng_seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(rng_seed)
        rank = draw(st.integers(0, 3))
        full = tuple(draw(st.integers(1, 4)) for _ in range(rank))
        n_in = draw(st.integers(1, max_inputs))
        inputs, srcs = [], []
        for i in range(n_in):
            # a suffix of the full shape with some dims set to 1: broadcasts against it
            k = draw(st.integers(0, rank))
            shape = tuple(1 if draw(st.booleans()) and draw(st.booleans()) else d for d in full[rank - k:])
            dt = np.dtype(draw(st.sampled_from(list(dtypes))))
            if dt.kind == "f":
                a = rng.uniform(-3, 3, size=shape).astype(dt)
            else:
                a = rng.integers(-3, 4, size=shape).astype(dt)
            inputs.append(a)
            srcs.append(f"x{i}")
        # nodes: (callable of env list, source, is_int, ndim)
        # a node: (function of the inputs, source text, integer-valued?, result shape)
        nodes = [((lambda i: lambda env: env[i])(i), srcs[i], inputs[i].dtype.kind in "iu", inputs[i].shape)
                 for i in range(n_in)]
        n_ops = draw(st.integers(1, max_ops))
        for _ in range(n_ops):
            kind = draw(st.sampled_from(["unary", "binary", "binary", "scalar", "reduce"]))
            a_i = draw(st.integers(0, len(nodes) - 1))
            fa, sa, ia, na = nodes[a_i]
            if kind == "unary":
                name = draw(st.sampled_from(_INT_UNARY if ia else sorted(_UNARY)))
                fn, tmpl = _UNARY[name]
                node = ((lambda fn, fa: lambda env: fn(fa(env)))(fn, fa), tmpl.format(sa), ia, na)
            elif kind == "binary":
                b_i = draw(st.integers(0, len(nodes) - 1))
                fb, sb, ib, nb = nodes[b_i]
                try:        # (a reduction without keepdims may have made the shapes incompatible:
                    out_shape = np.broadcast_shapes(na, nb)     # then the op takes a twice)
                except ValueError:
                    fb, sb, ib, nb = fa, sa, ia, na
                    out_shape = na
                both_int = ia and ib
                name = draw(st.sampled_from(_INT_BINARY if both_int else sorted(_BINARY)))
                fn, tmpl = _BINARY[name]
                out_int = both_int and name != "div_safe"
                node = ((lambda fn, fa, fb: lambda env: fn(fa(env), fb(env)))(fn, fa, fb),
                        tmpl.format(sa, sb), out_int, out_shape)
            elif kind == "scalar":
                c = draw(st.sampled_from([2, -1, 3, 0.5, 1.5, -2.0]))
                op = draw(st.sampled_from(["+", "*", "-r"]))
                if op == "+":
                    f = (lambda fa, c: lambda env: fa(env) + c)(fa, c)
                    s = f"({sa} + {c!r})"
                elif op == "*":
                    f = (lambda fa, c: lambda env: fa(env) * c)(fa, c)
                    s = f"({sa} * {c!r})"
                else:
                    f = (lambda fa, c: lambda env: c - fa(env))(fa, c)
                    s = f"({c!r} - {sa})"
                node = (f, s, ia and isinstance(c, int), na)
            else:
                name = draw(st.sampled_from(sorted(_REDUCTIONS)))
                red = _REDUCTIONS[name]
                nd = len(na)
                if nd == 0:
                    axis = None
                else:
                    axis = draw(st.one_of(st.none(), st.integers(-nd, nd - 1),
                                          st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd,
                                                   unique=True).map(tuple)))
                keepdims = draw(st.booleans())
                f = (lambda red, fa, axis, kd: lambda env: red(fa(env), axis=axis, keepdims=kd))(
                    red, fa, axis, keepdims)
                s = f"np.{name}({sa}, axis={axis!r}, keepdims={keepdims})"
                shape = np.zeros(na).sum(axis=axis, keepdims=keepdims).shape
                node = (f, s, ia and name != "mean", shape)
            nodes.append(node)
        n_out = draw(st.integers(1, 2))
        outs = [nodes[-1]] + ([nodes[draw(st.integers(0, len(nodes) - 2))]] if n_out == 2 else [])
        if len(outs) == 1:
            body = outs[0][0]
            source = outs[0][1]
        else:
            fs = [o[0] for o in outs]
            body = (lambda fs: lambda env: tuple(f(env) for f in fs))(fs)
            source = "(" + ", ".join(o[1] for o in outs) + ")"
        args = ", ".join(srcs)
        prog = Program(body, f"lambda {args}: {source}", n_in)
        # intermediate values are as precise as the least precise float input (float32 cos of
        # a float32 input, later promoted to float64, still carries float32 rounding)
        float_ins = [a.dtype for a in inputs if a.dtype.kind == "f"]
        if float_ins:
            prog.rtol_floor = max(PROGRAM_RTOL[d] for d in float_ins)
        return prog, inputs

    return strat()


# Tolerance of whole random programs, relative to the largest magnitude in the result:
# a few ops of a few ulp each, amplified by cancellation and by square.
PROGRAM_RTOL = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-10}


def assert_program_matches(prog: Program, got, expected):
    """Compare a program's result with NumPy's: dtype and shape exactly, values to the program's
    tolerance relative to the largest finite magnitude of the result (chains of ops amplify
    rounding differences, and cancellation makes a purely relative bound meaningless)."""
    exp_leaves = expected if isinstance(expected, tuple) else (expected,)
    got_leaves = got if isinstance(got, tuple) else (got,)
    assert len(exp_leaves) == len(got_leaves), prog.source
    for g, e in zip(got_leaves, exp_leaves):
        e_arr = np.asarray(e)
        if e_arr.dtype.kind == "f":
            fin = np.abs(e_arr[np.isfinite(e_arr)].astype(np.float64))
            scale = max(1.0, float(fin.max()) if fin.size else 1.0)
            r = prog.rtol if prog.rtol is not None else \
                max(PROGRAM_RTOL[e_arr.dtype], getattr(prog, "rtol_floor", 0.0))
            assert_matches_numpy(g, e, rtol=r, atol=r * scale, err_msg=prog.source)
        else:
            assert_matches_numpy(g, e, err_msg=prog.source)


def math_vectorized(fn, x, dtype):
    """``fn`` (a ``math`` function) applied elementwise in float64, rounded to ``dtype``."""
    x64 = np.asarray(x, dtype=np.float64)
    out = np.vectorize(fn, otypes=[np.float64])(x64) if x64.size else x64.copy()
    return np.asarray(out, dtype=np.float64).astype(dtype)

