"""The key API of :mod:`xlaish.random`: keys, bits, uniform and the distributions drawn from
them in closed form (normal, truncated normal, exponential, Gumbel, Bernoulli, randint,
categorical, permutation, choice). See the package docstring for the algorithms and what is
bit-compatible with ``jax.random``.
"""
from __future__ import annotations

import math

import numpy as np

from .. import numpy as xnp
from ..ir.opnames import IOTA, THREEFRY2X32
from ..ir.ops.rng import threefry2x32 as _threefry_np
from ..trace import context
from ..trace.bind import const, emit1, to_value, wrap
from ..trace.tracer import Tracer

__all__ = ["key", "PRNGKey", "split", "fold_in", "bits", "uniform", "normal", "truncated_normal",
           "bernoulli", "randint", "exponential", "gumbel", "categorical", "permutation", "choice"]

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


def _shape_of(x):
    return tuple(x.shape) if isinstance(x, Tracer) else tuple(np.shape(x))


def _cast(x, dtype):
    return xnp.astype(x, dtype) if isinstance(x, Tracer) else np.asarray(x).astype(dtype)


def _check_key(k, what, batched=True):
    """``k`` as an array: a key (uint32, shape (2,)) or, where ``batched``, a batch of keys
    (shape (..., 2))."""
    if not isinstance(k, Tracer):
        k = np.asarray(k)
    shape = tuple(k.shape)
    if np.dtype(k.dtype) != _U32 or not shape or shape[-1] != 2 or (not batched and shape != (2,)):
        want = "(2,) or a batch of keys (..., 2)" if batched else "(2,) (a single key)"
        raise TypeError(f"xlaish.random.{what}: a key is a uint32 array of shape {want} (from "
                        f"xlaish.random.key(seed) or split), got {k.dtype} {shape}")
    return k


def _batch(k) -> tuple:
    """The batch shape of a key array (``()`` for one key)."""
    return tuple(k.shape[:-1])


def _packed(k):
    """The key(s) as one uint64 ``k0 << 32 | k1`` each (the op's operand), shape ``_batch(k)``."""
    return (_cast(k[..., 0], _U64) << _S32) | _cast(k[..., 1], _U64)


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


def _threefry(k, counter, elementwise=False):
    """Packed ``threefry2x32(k, counter)``: an op of the trace, or NumPy's reference. A batch of
    keys (shape ``B + (2,)``) encrypts the whole counter grid ``S`` under each key: shape
    ``B + S`` (what ``jax.vmap`` over the keys gives); ``elementwise``: the keys and counters
    are broadcast against each other instead."""
    kp = _packed(k)
    cshape = tuple(np.shape(counter)) if not isinstance(counter, Tracer) else tuple(counter.shape)
    if kp.ndim and not elementwise:
        kp = xnp.reshape(kp, tuple(kp.shape) + (1,) * len(cshape))
    if _tracing():
        out = np.broadcast_shapes(tuple(kp.shape), cshape)
        kp, counter = (xnp.broadcast_to(v, out) if tuple(v.shape) != out else v
                       for v in (wrap(to_value(kp, _U64)), wrap(to_value(counter, _U64))))
        return wrap(emit1(THREEFRY2X32, [to_value(kp, _U64), to_value(counter, _U64)]))
    return _threefry_np(kp, counter)


def _stack_words(p):
    hi, lo = _unpack(p)
    return xnp.stack([hi, lo], axis=-1)


# ---- keys -------------------------------------------------------------------------------------------
def key(seed):
    """A key (uint32[2]) from an integer seed: JAX's ``PRNGKey`` derivation (the high and low 32
    bits of the seed as int64; a 32-bit integer array seed has a zero high word, as in JAX).
    An integer array of seeds (outside jit) gives a batch of keys, shape ``seed.shape + (2,)``
    (``jax.vmap(jax.random.PRNGKey)``)."""
    if not isinstance(seed, Tracer):
        s = np.asarray(seed)
        if s.dtype.kind not in "iub" or (s.shape and _tracing()):
            raise TypeError(f"xlaish.random.key: the seed must be an integer scalar (or, outside "
                            f"jit, an integer array), got {seed!r}")
        if s.shape:
            hi = (s.astype(np.int64).astype(np.uint64) >> _S32) if s.dtype.itemsize > 4 else 0 * s
            return np.stack([np.asarray(hi).astype(np.uint32),
                             (s.astype(np.int64).astype(np.uint64) & _M32).astype(np.uint32)], axis=-1)
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
    """``num`` new keys (uint32[num, 2]) from ``key``: JAX's (partitionable) split. A batch of
    keys (``B + (2,)``) gives ``B + (num, 2)``."""
    key = _check_key(key, "split")
    return _stack_words(_threefry(key, _counter(_shape(num))))


def fold_in(key, data):
    """A new key from ``key`` and an integer ``data`` (taken modulo 2**32, as JAX does). As in JAX,
    ``fold_in(k, i) == split(k, n)[i]``: both encrypt the counter ``i``. Batched keys and
    ``data`` broadcast against each other."""
    key = _check_key(key, "fold_in")
    d = _cast(_cast(data, _U32), _U64) if isinstance(data, Tracer) else \
        np.asarray(data).astype(np.int64).astype(np.uint32).astype(np.uint64)
    return _stack_words(_threefry(key, d, elementwise=True))


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
    ks = split(key)
    k1, k2 = ks[..., 0, :], ks[..., 1, :]
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


def truncated_normal(key, lower, upper, shape=None, dtype=np.float32):
    """Standard normal floats conditioned on ``lower < x < upper``: JAX's inverse-CDF method
    (``u`` uniform in ``[erf(lower/sqrt2), erf(upper/sqrt2))``, ``sqrt(2) * erfinv(u)``, clipped
    into the open interval). ``shape`` defaults to the broadcast shape of the bounds."""
    key = _check_key(key, "truncated_normal")
    dt = _float_dtype(dtype, "truncated_normal")
    if shape is None:
        shape = np.broadcast_shapes(tuple(np.shape(lower) if not isinstance(lower, Tracer) else lower.shape),
                                    tuple(np.shape(upper) if not isinstance(upper, Tracer) else upper.shape))
    sqrt2 = dt.type(math.sqrt(2))
    lower, upper = _cast(lower, dt), _cast(upper, dt)
    a, b = xnp.erf(lower / sqrt2), xnp.erf(upper / sqrt2)
    out = sqrt2 * _erfinv(uniform(key, shape, dt, a, b))
    return xnp.clip(out, xnp.nextafter(lower, dt.type(np.inf)), xnp.nextafter(upper, dt.type(-np.inf)))


def categorical(key, logits, axis=-1, shape=None):
    """Indices drawn with probabilities ``softmax(logits)`` along ``axis`` (the Gumbel-max trick).
    A batch of keys ``B + (2,)`` gives ``B + shape``."""
    key = _check_key(key, "categorical")
    if not isinstance(logits, Tracer):
        logits = np.asarray(logits)
    dt = np.dtype(logits.dtype) if np.dtype(logits.dtype).kind == "f" else np.dtype(np.float32)
    ax = axis % logits.ndim
    batch = tuple(logits.shape[:ax]) + tuple(logits.shape[ax + 1:])
    shape = batch if shape is None else _shape(shape)
    full = shape[:len(shape) - len(batch)] + tuple(logits.shape)
    g = gumbel(key, full, dt)
    return xnp.argmax(g + _cast(logits, dt), axis=len(_batch(key)) + ax + len(shape) - len(batch))


def permutation(key, x):
    """A random permutation of ``arange(x)`` (an int) or of ``x`` along its first axis (a batch of
    keys ``B + (2,)``: one permutation per key, stacked in front)."""
    key = _check_key(key, "permutation")
    n = int(x) if np.ndim(x) == 0 and not isinstance(x, Tracer) else x.shape[0]
    order = xnp.argsort(_bits(key, 64, (n,)), axis=-1, kind="stable")
    return order if np.ndim(x) == 0 and not isinstance(x, Tracer) else xnp.take(x, order, axis=0)


def choice(key, a, shape=(), replace=True, p=None):
    """Elements of ``a`` (an array, or ``arange(a)`` for an int) drawn uniformly or with
    probabilities ``p``, with or without replacement (static ``shape``). One key only."""
    key = _check_key(key, "choice", batched=False)
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
