"""Special functions with ``scipy.special``'s names and defaults.

``erf``, ``erfc`` and ``expit`` are primitive elementwise ops (they get
vectorised lowerings); ``logit``, ``softmax``, ``log_softmax`` and ``logsumexp``
decompose into primitives so fusion sees through them. As in SciPy, the
``axis`` of softmax/log_softmax/logsumexp defaults to ``None`` (all elements).
"""
from __future__ import annotations

import numpy as np

from . import numpy as xnp
from .trace.bind import any_tracer

erf = xnp._UFUNCS["erf"]
erfc = xnp._UFUNCS["erfc"]
expit = xnp._UFUNCS["expit"]
sigmoid = expit


def _float(x):
    x = xnp.asarray(x) if not any_tracer((x,)) else x
    return x if x.dtype.kind == "f" else xnp.astype(x, np.float64)


def logit(p):
    p = _float(p)
    return xnp.log(p / (1 - p))


def logsumexp(a, axis=None, keepdims=False):
    a = _float(a)
    m = xnp.max(a, axis=axis, keepdims=True)
    m = xnp.where(xnp.isfinite(m), m, 0)
    s = xnp.log(xnp.sum(xnp.exp(a - m), axis=axis, keepdims=True)) + m
    return s if keepdims else xnp.squeeze(s, axis=axis)


def softmax(x, axis=None):
    x = _float(x)
    e = xnp.exp(x - xnp.max(x, axis=axis, keepdims=True))
    return e / xnp.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=None):
    x = _float(x)
    shifted = x - xnp.max(x, axis=axis, keepdims=True)
    return shifted - xnp.log(xnp.sum(xnp.exp(shifted), axis=axis, keepdims=True))
