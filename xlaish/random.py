"""``xlaish.random``: counter-based random numbers with JAX's functional key API.

Why Threefry-2x32 (20 rounds): it is *counter-based* -- number ``i`` of a stream is a pure
function ``threefry(key, i)``, so the bits of an array are an elementwise op of an index grid
and are computed inside the fused kernel that consumes them (a dropout mask is never stored);
*stateless* -- no generator state to thread through compiled code, a key is an ordinary
``uint32[2]`` array (an argument, a result, a loop carry); *splittable* -- ``split``/``fold_in``
derive independent keys by encrypting counters, so parallel code needs no coordination; *the
same bits everywhere* -- 32-bit integer adds, rotations and xors have one answer on every
backend, thread count and AOT library; and it is what ``jax.random`` uses by default, so with
JAX's derivations followed here (``jax_threefry_partitionable``, JAX's default) the results can
be compared with ``jax.random`` bit for bit.

Bit-for-bit equal to ``jax.random`` (raw uint32 key data, ``jax.random.key_data``):
``key`` (integer seeds in int64; JAX without x64 agrees for seeds in [0, 2**31)), ``split``,
``fold_in``, ``bits``, ``uniform``, ``bernoulli`` and ``randint`` (both through ``uniform`` /
``bits`` with JAX's formulas). ``normal`` is ``sqrt(2) * erfinv(u)`` with JAX's ``u`` and XLA's
erfinv polynomial (M. Giles' single-precision approximation; float64 adds two Newton steps on
``erf``), ``exponential``, ``gumbel`` and ``categorical`` use JAX's formulas; these go through
``log``/``sqrt``/``erf``, whose last bit may differ between NumPy's libm, xlaish's vector math
and XLA's, so they are compared with JAX to a few ulps and tested by distribution.
``permutation`` and ``choice`` sort random 64-bit keys (one sort, not JAX's rounds of sorts):
same distribution, different bits from JAX.

Every function works under ``xlaish.jit`` (traced: the bits are ``threefry2x32`` ops of an
``iota``, :mod:`xlaish.ir.ops.rng`) and outside it (NumPy, the op's reference: the same bits).
Traced, the counter of an array of more than ``xlaish.passes.fold.FOLD_LIMIT`` elements stays an
index grid computed in the kernel; a smaller multi-dimensional one is folded into a constant
index array like any small iota arithmetic (the bits themselves are still computed in the kernel
unless the key is a constant too).
"""
from __future__ import annotations

import math

import numpy as np

from . import numpy as xnp
from .ir.opnames import IOTA, THREEFRY2X32
from .ir.ops.rng import threefry2x32 as _threefry_np
from .trace import context
from .trace.bind import const, emit1, to_value, wrap
from .trace.tracer import Tracer

__all__ = ["key", "split", "fold_in", "bits", "uniform", "normal", "bernoulli", "randint",
           "exponential", "gumbel", "categorical", "permutation", "choice"]

_U32, _U64 = np.dtype(np.uint32), np.dtype(np.uint64)
_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)


def _tracing() -> bool:
    return context.current() is not None


def _shape(shape) -> tuple:
    if shape is None:
        return ()
    try:
        shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)
    except TypeError:
        raise TypeError(f"xlaish.random: shape must be static integers, got {shape!r}") from None
    if any(d < 0 for d in shape):
        raise ValueError(f"xlaish.random: negative dimension in shape {shape}")
    return shape


def _cast(x, dtype):
    return xnp.astype(x, dtype) if isinstance(x, Tracer) else np.asarray(x).astype(dtype)


def _check_key(k, what):
    if not isinstance(k, Tracer):
        k = np.asarray(k)
    if tuple(k.shape) != (2,) or np.dtype(k.dtype) != _U32:
        raise TypeError(f"xlaish.random.{what}: a key is a uint32 array of shape (2,) (from "
                        f"xlaish.random.key(seed) or split), got {k.dtype} {tuple(k.shape)}")
    return k


def _packed(k):
    """The key as one uint64 ``k0 << 32 | k1`` (the op's operand)."""
    return (_cast(k[0], _U64) << _S32) | _cast(k[1], _U64)


def _unpack(p):
    """uint32 words ``(hi, lo)`` of a packed uint64."""
    return _cast(p >> _S32, _U32), _cast(p & _M32, _U32)


def _counter(shape):
    """The flat index of each element of ``shape`` (uint64): traced, a sum of iotas (fused)."""
    if not _tracing():
        return np.arange(math.prod(shape), dtype=np.uint64).reshape(shape)
    if not shape:
        return wrap(const(np.uint64(0)))
    flat, stride = None, 1
    for ax in reversed(range(len(shape))):
        i = wrap(emit1(IOTA, [], {"shape": shape, "dtype": _U64, "axis": ax}))
        term = i if stride == 1 else i * np.uint64(stride)
        flat = term if flat is None else flat + term
        stride *= shape[ax]
    return flat


def _threefry(k, counter):
    """Packed ``threefry2x32(k, counter)``: an op of the trace, or NumPy's reference."""
    kp = _packed(k)
    if _tracing():
        return wrap(emit1(THREEFRY2X32, [to_value(kp, _U64), to_value(counter, _U64)]))
    return _threefry_np(kp, counter)


def _stack_words(p):
    hi, lo = _unpack(p)
    return xnp.stack([hi, lo], axis=-1)


# ---- keys -------------------------------------------------------------------------------------------
def key(seed):
    """A key (uint32[2]) from an integer seed: JAX's ``PRNGKey`` derivation (the high and low 32
    bits of the seed as int64; a 32-bit integer array seed has a zero high word, as in JAX)."""
    if not isinstance(seed, Tracer):
        s = np.asarray(seed)
        if s.shape or s.dtype.kind not in "iub":
            raise TypeError(f"xlaish.random.key: the seed must be an integer scalar, got {seed!r}")
        if isinstance(seed, int) and not -2 ** 63 <= seed < 2 ** 64:
            raise OverflowError(f"xlaish.random.key: seed {seed} does not fit 64 bits")
        s = np.uint64(seed % 2 ** 64) if isinstance(seed, int) else s.astype(np.int64).astype(np.uint64)
        if not _tracing():
            return np.array([int(s) >> 32, int(s) & 0xFFFFFFFF], dtype=np.uint32)
        return xnp.stack(list(_unpack(wrap(const(s)))))
    if seed.shape or np.dtype(seed.dtype).kind not in "iu":
        raise TypeError(f"xlaish.random.key: the seed must be an integer scalar, got {seed.dtype} "
                        f"{tuple(seed.shape)}")
    if np.dtype(seed.dtype).itemsize <= 4:
        return xnp.stack([xnp.zeros((), _U32), _cast(seed, _U32)])
    return xnp.stack(list(_unpack(_cast(seed, _U64))))


PRNGKey = key


def split(key, num=2):
    """``num`` new keys (uint32[num, 2]) from ``key``: JAX's (partitionable) split."""
    key = _check_key(key, "split")
    return _stack_words(_threefry(key, _counter(_shape(num))))


def fold_in(key, data):
    """A new key from ``key`` and an integer ``data`` (taken modulo 2**32, as JAX does). As in JAX,
    ``fold_in(k, i) == split(k, n)[i]``: both encrypt the counter ``i``."""
    key = _check_key(key, "fold_in")
    d = _cast(_cast(data, _U32), _U64) if isinstance(data, Tracer) else \
        np.uint64(int(np.asarray(data).astype(np.int64)) % 2 ** 32)
    return _stack_words(_threefry(key, d))


# ---- bits and uniform -------------------------------------------------------------------------------
def _bits(k, nbits, shape):
    p = _threefry(k, _counter(shape))
    if nbits == 64:
        return p
    hi, lo = _unpack(p)
    b = hi ^ lo
    return b if nbits == 32 else _cast(b, f"uint{nbits}")


def bits(key, shape=(), dtype=np.uint32):
    """Random unsigned integers of ``dtype`` (uint8/16/32/64) filling ``shape``."""
    key = _check_key(key, "bits")
    dt = np.dtype(dtype)
    if dt.kind != "u":
        raise TypeError(f"xlaish.random.bits: dtype must be unsigned, got {dt}")
    return _bits(key, dt.itemsize * 8, _shape(shape))


def _float_dtype(dtype, what):
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"xlaish.random.{what}: dtype must be a float dtype, got {dt}")
    return dt


def _unit(k, shape, dt):
    """Uniform [0, 1) of dtype ``dt``: the top mantissa bits, exactly JAX's ``1.mmm - 1``."""
    nbits, nmant = dt.itemsize * 8, np.finfo(dt).nmant
    b = _bits(k, nbits, shape) >> np.dtype(f"uint{nbits}").type(nbits - nmant)
    return _cast(b, dt) * dt.type(2.0 ** -nmant)


def uniform(key, shape=(), dtype=np.float32, minval=0.0, maxval=1.0):
    """Uniform floats in ``[minval, maxval)``: JAX's formula (bit for bit)."""
    key = _check_key(key, "uniform")
    dt = _float_dtype(dtype, "uniform")
    lo, hi = _cast(minval, dt), _cast(maxval, dt)
    f = _unit(key, _shape(shape), dt)
    return xnp.maximum(lo, f * (hi - lo) + lo)


# ---- distributions from uniform ---------------------------------------------------------------------
_ERFINV_LT5 = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
               -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV_GE5 = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _erfinv(x):
    """erfinv on (-1, 1): M. Giles' single-precision polynomials (XLA's ErfInv for float32);
    float64 refines with two Newton steps on erf (float16 computes in float32)."""
    dt = np.dtype(x.dtype)
    t = np.dtype(np.float32) if dt.itemsize <= 4 else dt
    x = _cast(x, t)
    w = -xnp.log1p(-x * x)
    small = w < t.type(5.0)
    w = xnp.where(small, w - t.type(2.5), xnp.sqrt(w) - t.type(3.0))
    p = xnp.where(small, t.type(_ERFINV_LT5[0]), t.type(_ERFINV_GE5[0]))
    for a, b in zip(_ERFINV_LT5[1:], _ERFINV_GE5[1:]):
        p = xnp.where(small, t.type(a), t.type(b)) + p * w
    r = p * x
    if dt == np.float64:
        for _ in range(2):
            r = r - (xnp.erf(r) - x) / (t.type(2 / math.sqrt(math.pi)) * xnp.exp(-r * r))
    return _cast(r, dt)


def normal(key, shape=(), dtype=np.float32):
    """Standard normal floats: ``sqrt(2) * erfinv(u)``, ``u`` uniform in (-1, 1) as JAX draws it."""
    key = _check_key(key, "normal")
    dt = _float_dtype(dtype, "normal")
    lo = np.nextafter(dt.type(-1.0), dt.type(0.0))
    u = uniform(key, shape, dt, lo, 1.0)
    return dt.type(math.sqrt(2)) * _erfinv(u)


def _p_dtype(p):
    if isinstance(p, Tracer) or isinstance(p, np.ndarray | np.generic):
        dt = np.dtype(p.dtype)
        return dt if dt.kind == "f" else np.dtype(np.float32)
    return np.dtype(np.float32)       # a Python number: JAX's default float


def bernoulli(key, p=0.5, shape=None):
    """Booleans, True with probability ``p``: ``uniform(key, shape, p.dtype) < p`` as JAX."""
    key = _check_key(key, "bernoulli")
    dt = _p_dtype(p)
    shape = tuple(np.shape(p) if not isinstance(p, Tracer) else p.shape) if shape is None else shape
    return uniform(key, shape, dt) < _cast(p, dt)


def _clip_to(v, dt):
    info = np.iinfo(dt)
    if isinstance(v, Tracer):
        v = _cast(v, np.int64) if np.dtype(v.dtype) != np.uint64 else v
        return _cast(xnp.clip(v, max(info.min, -2 ** 63), min(info.max, 2 ** 63 - 1)), dt)
    return np.asarray(np.clip(np.asarray(v, dtype=object), info.min, info.max)).astype(dt)


def randint(key, shape, minval, maxval, dtype=np.int32):
    """Integers in ``[minval, maxval)``: JAX's algorithm (two words of bits per value, reduced
    modulo the span; bit for bit)."""
    key = _check_key(key, "randint")
    dt = np.dtype(dtype)
    if dt.kind not in "iu":
        raise TypeError(f"xlaish.random.randint: dtype must be an integer dtype, got {dt}")
    shape = _shape(shape)
    nbits = dt.itemsize * 8
    ut = np.dtype(f"uint{nbits}")
    if isinstance(maxval, Tracer):
        above = maxval > np.iinfo(dt).max
    else:
        above = np.asarray(np.asarray(maxval, dtype=object) > np.iinfo(dt).max, dtype=bool)
    lo, hi = _clip_to(minval, dt), _clip_to(maxval, dt)
    k1, k2 = (k for k in split(key))
    high, low = _bits(k1, nbits, shape), _bits(k2, nbits, shape)
    one = ut.type(1)
    with np.errstate(over="ignore"):          # unsigned wrap-around is intended (eager scalars)
        span = _cast(hi, ut) - _cast(lo, ut)
        span = xnp.where(hi <= lo, one, span)
        span = xnp.where(above & (hi > lo), span + one, span)
        full = span == ut.type(0)                      # the whole range: XLA's x % 0 == x
        safe = xnp.where(full, one, span)
        mult = ut.type(2 ** (nbits // 2)) % safe
        mult = (mult * mult) % safe
        off = ((high % safe) * mult + low % safe) % safe
        off = xnp.where(full, low, off)
        return lo + _cast(off, dt)


def exponential(key, shape=(), dtype=np.float32):
    """Exponential(1) floats: ``-log1p(-u)`` (JAX's formula)."""
    key = _check_key(key, "exponential")
    dt = _float_dtype(dtype, "exponential")
    return -xnp.log1p(-uniform(key, shape, dt))


def gumbel(key, shape=(), dtype=np.float32):
    """Standard Gumbel floats: ``-log(-log(u))``, ``u`` uniform in [tiny, 1) (JAX's "low" mode)."""
    key = _check_key(key, "gumbel")
    dt = _float_dtype(dtype, "gumbel")
    u = uniform(key, shape, dt, np.finfo(dt).tiny, 1.0)
    return -xnp.log(-xnp.log(u))


def categorical(key, logits, axis=-1, shape=None):
    """Indices drawn with probabilities ``softmax(logits)`` along ``axis`` (the Gumbel-max trick)."""
    key = _check_key(key, "categorical")
    if not isinstance(logits, Tracer):
        logits = np.asarray(logits)
    dt = np.dtype(logits.dtype) if np.dtype(logits.dtype).kind == "f" else np.dtype(np.float32)
    ax = axis % logits.ndim
    batch = tuple(logits.shape[:ax]) + tuple(logits.shape[ax + 1:])
    shape = batch if shape is None else _shape(shape)
    full = shape[:len(shape) - len(batch)] + tuple(logits.shape)
    g = gumbel(key, full, dt)
    return xnp.argmax(g + _cast(logits, dt), axis=ax + len(shape) - len(batch))


def permutation(key, x):
    """A random permutation of ``arange(x)`` (an int) or of ``x`` along its first axis."""
    key = _check_key(key, "permutation")
    n = int(x) if np.ndim(x) == 0 and not isinstance(x, Tracer) else x.shape[0]
    order = xnp.argsort(_bits(key, 64, (n,)), kind="stable")
    return order if np.ndim(x) == 0 and not isinstance(x, Tracer) else xnp.take(x, order, axis=0)


def choice(key, a, shape=(), replace=True, p=None):
    """Elements of ``a`` (an array, or ``arange(a)`` for an int) drawn uniformly or with
    probabilities ``p``, with or without replacement (static ``shape``)."""
    key = _check_key(key, "choice")
    shape = _shape(shape)
    n = int(a) if np.ndim(a) == 0 and not isinstance(a, Tracer) else a.shape[0]
    size = math.prod(shape)
    if not replace and size > n:
        raise ValueError(f"xlaish.random.choice: cannot take {size} samples from {n} "
                         f"without replacement")
    if p is None:
        idx = randint(key, shape, 0, n, np.int64) if replace else permutation(key, n)[:size]
    else:
        logp = xnp.log(p if isinstance(p, Tracer) else np.asarray(p, dtype=np.float64))
        if replace:
            idx = categorical(key, logp, shape=shape)
        else:      # Gumbel top-k: the k largest perturbed log-probabilities
            g = gumbel(key, (n,), np.dtype(logp.dtype)) + logp
            idx = xnp.argsort(-g, kind="stable")[:size]
    idx = xnp.reshape(idx, shape)
    return idx if np.ndim(a) == 0 and not isinstance(a, Tracer) else xnp.take(a, idx, axis=0)
