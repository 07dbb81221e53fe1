"""The benchmark workloads: inputs, the NumPy reference and the xlaish version.

Every workload is one :class:`Workload` record. ``numpy`` is the plain NumPy
function (the reference and the "NumPy" row); ``xlaish`` is the function that
is traced by ``xlaish.jit`` (the same function unless the NumPy one needs
something xlaish spells differently, e.g. ``xlaish.special.erf``). The
numexpr, Numba and JAX versions live in :mod:`benchmarks.baselines`.

All data is float32 drawn from a seeded generator (never zeros: some kernels
short-cut on them). ``sizes`` holds the parameters for each mode: ``full``
(the numbers the issue asks for), ``quick`` and ``tiny`` (for tests).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import xlaish.special as xsp

F32 = np.float32


@dataclass
class Workload:
    name: str
    title: str
    sizes: dict                      # mode -> params dict (a mode missing: skip in that mode)
    make_inputs: Callable            # (rng, **params) -> tuple of arrays
    numpy: Callable
    xlaish: Callable | None = None   # defaults to ``numpy``
    rtol: float = 1e-4
    atol: float = 1e-5
    flops: Callable | None = None    # (**params) -> floating point operations per call
    note: str = ""
    tags: tuple = field(default_factory=tuple)

    @property
    def xlaish_fn(self):
        return self.xlaish if self.xlaish is not None else self.numpy

    def describe(self, params) -> str:
        return ", ".join(f"{k}={v}" for k, v in params.items())


def _normal(rng, *shape):
    return rng.standard_normal(shape, dtype=F32)


def _uniform(rng, lo, hi, *shape):
    return (rng.random(shape, dtype=F32) * F32(hi - lo) + F32(lo)).astype(F32)


# --------------------------------------------------------------------------- elementwise

def chain10(x):
    return np.tanh(((x * 1.5 + 2) * x - 0.5) / (1 + x * x)) * 3 + x


def softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def waves(x):
    return np.sin(x * 3) * np.cos(x + 0.5) + np.sin(x * x) * 0.25


def sumsq(x):
    return np.sum((x - 0.5) ** 2)


def relu_bcast(a, b, c):
    return np.maximum(a * c + b, 0)


# --------------------------------------------------------------------------- Black-Scholes

BS_R = 0.02       # risk-free rate
BS_V = 0.30       # volatility
INV_SQRT2 = 1 / math.sqrt(2)


def _np_erf():
    """scipy.special.erf when SciPy is installed, else a NumPy rational approximation."""
    try:
        from scipy.special import erf
        return erf
    except ImportError:
        return erf_approx


def erf_approx(x):
    """Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), written with NumPy ufuncs."""
    ax = np.abs(x)
    t = 1 / (1 + 0.3275911 * ax)
    p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return np.copysign(1 - p * np.exp(-ax * ax), x)


def _black_scholes(S, K, T, erf):
    sqrt_t = np.sqrt(T)
    d1 = (np.log(S / K) + (BS_R + 0.5 * BS_V * BS_V) * T) / (BS_V * sqrt_t)
    d2 = d1 - BS_V * sqrt_t
    cdf_d1 = 0.5 + 0.5 * erf(d1 * INV_SQRT2)
    cdf_d2 = 0.5 + 0.5 * erf(d2 * INV_SQRT2)
    disc = K * np.exp(-BS_R * T)
    call = S * cdf_d1 - disc * cdf_d2
    put = disc * (1 - cdf_d2) - S * (1 - cdf_d1)       # N(-d) = 1 - N(d)
    return call, put


def black_scholes_numpy(S, K, T):
    return _black_scholes(S, K, T, _np_erf())


def black_scholes_xlaish(S, K, T):
    return _black_scholes(S, K, T, xsp.erf)


def _bs_inputs(rng, n):
    return (_uniform(rng, 10, 100, n), _uniform(rng, 10, 100, n), _uniform(rng, 0.25, 2.0, n))


# --------------------------------------------------------------------------- row-wise

def softmax_rows(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def layernorm_rows(x, gamma, beta):
    mean = np.mean(x, axis=-1, keepdims=True)
    xc = x - mean
    var = np.mean(xc * xc, axis=-1, keepdims=True)
    return xc / np.sqrt(var + 1e-5) * gamma + beta


# --------------------------------------------------------------------------- linear algebra

def matmul_bias_relu(x, w, b):
    return np.maximum(x @ w + b, 0)


def mlp2(x, w1, b1, w2, b2):
    h = np.maximum(x @ w1 + b1, 0)
    return h @ w2 + b2


def quadfit_loss(x, y, w):
    feats = np.stack([x * x, x, np.ones_like(x)], axis=1)     # (n, 3): [x^2, x, 1]
    yhat = feats @ w
    return np.mean((yhat - y) ** 2)


LR = F32(0.05)


def quadfit_step_numpy(x, y, w):
    """One gradient-descent step, gradient written out by hand (NumPy has no autodiff)."""
    feats = np.stack([x * x, x, np.ones_like(x)], axis=1)
    r = feats @ w - y
    loss = np.mean(r ** 2)
    grad = feats.T @ (F32(2) * r) / F32(x.shape[0])
    return loss, w - LR * grad


def quadfit_step_xlaish(x, y, w):
    """The same step with xlaish.value_and_grad: the backward pass is derived and fused."""
    import xlaish
    loss, grad = xlaish.value_and_grad(lambda w_: quadfit_loss(x, y, w_))(w)
    return loss, w - LR * grad


def _quad_inputs(rng, n):
    x = _uniform(rng, -2, 2, n)
    w_true = np.array([0.5, -1.0, 2.0], dtype=F32)
    y = (w_true[0] * x * x + w_true[1] * x + w_true[2] + F32(0.1) * _normal(rng, n)).astype(F32)
    w = _normal(rng, 3)
    return x, y, w


def _mm_inputs(rng, m, k, n):
    return _normal(rng, m, k), _normal(rng, k, n) * F32(1 / math.sqrt(k)), _normal(rng, n)


def _mlp_inputs(rng, batch, d_in, d_hidden, d_out):
    return (_normal(rng, batch, d_in),
            _normal(rng, d_in, d_hidden) * F32(1 / math.sqrt(d_in)), _normal(rng, d_hidden),
            _normal(rng, d_hidden, d_out) * F32(1 / math.sqrt(d_hidden)), _normal(rng, d_out))


# --------------------------------------------------------------------------- scans and sorts

def cumsum(x):
    return np.cumsum(x)


def sort(x):
    return np.sort(x)


def median_rows(x):
    return np.median(x, axis=1)


# --------------------------------------------------------------------------- the suite

# --------------------------------------------------------------------------- index arrays

def gather_xent(z, labels):
    """Cross-entropy: logsumexp of each row minus the row's label entry (a gather)."""
    m = np.max(z, axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(z - m), axis=1)) + m[:, 0]
    return np.mean(lse - z[np.arange(z.shape[0]), labels])


def _xent_inputs(rng, rows, cols):
    return _normal(rng, rows, cols), rng.integers(0, cols, rows)


def scatter_hist(idx, w, counts):
    """Weighted histogram with np.add.at (unbuffered: repeated bins accumulate) onto counts."""
    out = counts.copy()
    np.add.at(out, idx, w)
    return out


def _hist_inputs(rng, n, bins):
    return rng.integers(0, bins, n), _uniform(rng, 0, 1, n), _uniform(rng, 1, 2, bins)


def _n(full, quick, tiny):
    return {"full": {"n": full}, "quick": {"n": quick}, "tiny": {"n": tiny}}


def _rc(full, quick, tiny):
    return {m: {"rows": r, "cols": c} for m, (r, c) in (("full", full), ("quick", quick), ("tiny", tiny))}


WORKLOADS: list[Workload] = [
    Workload("chain10", "tanh(((x*1.5+2)*x-0.5)/(1+x*x))*3+x, 10 ops",
             _n(10_000_000, 1_000_000, 10_000), lambda rng, n: (_normal(rng, n),), chain10,
             tags=("elementwise",)),
    Workload("softplus", "log1p(exp(-|x|)) + maximum(x, 0)",
             _n(10_000_000, 1_000_000, 10_000), lambda rng, n: (_normal(rng, n),), softplus,
             tags=("elementwise",)),
    Workload("waves", "sin(x*3)*cos(x+0.5) + sin(x*x)*0.25, trigonometric",
             _n(10_000_000, 1_000_000, 10_000), lambda rng, n: (_normal(rng, n) * F32(4),), waves,
             rtol=1e-4, atol=1e-5, tags=("elementwise",),
             note="x ~ 4*N(0,1): arguments up to ~300, so every element takes the short "
                  "(Cody-Waite) range reduction; a chunk holding one beyond 2**17 is redone in full"),
    Workload("black_scholes", "Black-Scholes call+put, erf-based normal CDF",
             _n(4_000_000, 400_000, 10_000), _bs_inputs, black_scholes_numpy, black_scholes_xlaish,
             rtol=1e-3, atol=1e-3, tags=("elementwise",),
             note="NumPy uses scipy.special.erf (or an A&S 7.1.26 approximation without SciPy); "
                  "xlaish uses xlaish.special.erf; numexpr uses the A&S approximation"),
    Workload("sumsq", "sum((x-0.5)**2)",
             _n(10_000_000, 1_000_000, 10_000), lambda rng, n: (_normal(rng, n),), sumsq,
             rtol=1e-4, atol=0.0, tags=("reduction",)),
    Workload("softmax", "row softmax of (rows, cols)",
             _rc((4096, 1024), (512, 1024), (16, 128)),
             lambda rng, rows, cols: (_normal(rng, rows, cols),), softmax_rows,
             rtol=1e-4, atol=1e-7, tags=("rows",)),
    Workload("layernorm", "row layernorm of (rows, cols) with gamma/beta",
             _rc((4096, 1024), (512, 1024), (16, 128)),
             lambda rng, rows, cols: (_normal(rng, rows, cols), _normal(rng, cols), _normal(rng, cols)),
             layernorm_rows, rtol=1e-3, atol=1e-4, tags=("rows",)),
    Workload("relu_bcast", "maximum(a*c+b, 0), a (rows,1), b (1,cols), c (rows,cols)",
             _rc((4096, 1024), (512, 1024), (16, 128)),
             lambda rng, rows, cols: (_normal(rng, rows, 1), _normal(rng, 1, cols), _normal(rng, rows, cols)),
             relu_bcast, tags=("broadcast",)),
    Workload("matmul_bias_relu", "maximum(x @ w + b, 0)",
             {"full": {"m": 1024, "k": 1024, "n": 1024}, "quick": {"m": 256, "k": 256, "n": 256},
              "tiny": {"m": 32, "k": 32, "n": 32}},
             _mm_inputs, matmul_bias_relu, rtol=1e-3, atol=1e-3,
             flops=lambda m, k, n: 2 * m * k * n, tags=("matmul",)),
    Workload("mlp2", "relu(x @ W1 + b1) @ W2 + b2",
             {"full": {"batch": 256, "d_in": 1024, "d_hidden": 1024, "d_out": 256},
              "quick": {"batch": 64, "d_in": 256, "d_hidden": 256, "d_out": 64},
              "tiny": {"batch": 8, "d_in": 32, "d_hidden": 32, "d_out": 8}},
             _mlp_inputs, mlp2, rtol=1e-3, atol=1e-3,
             flops=lambda batch, d_in, d_hidden, d_out: 2 * batch * d_hidden * (d_in + d_out),
             tags=("matmul",)),
    Workload("quadfit_100", "quadratic-fit loss mean(([x^2,x,1] @ w - y)^2), 100 points",
             _n(100, 100, 100), _quad_inputs, quadfit_loss, rtol=1e-4, atol=1e-6, tags=("small",)),
    Workload("quadfit_1k", "quadratic-fit loss, 1,000 points",
             {"full": {"n": 1000}, "quick": {"n": 1000}}, _quad_inputs, quadfit_loss,
             rtol=1e-4, atol=1e-6, tags=("small",)),
    Workload("quadfit_10k", "quadratic-fit loss, 10,000 points",
             {"full": {"n": 10_000}, "quick": {"n": 10_000}}, _quad_inputs, quadfit_loss,
             rtol=1e-4, atol=1e-6, tags=("small",)),
    Workload("quadfit_step", "training step: value_and_grad of the quadratic-fit loss + update",
             {"full": {"n": 10_000}, "quick": {"n": 1000}, "tiny": {"n": 100}}, _quad_inputs,
             quadfit_step_numpy, quadfit_step_xlaish, rtol=1e-3, atol=1e-4, tags=("small", "autodiff"),
             note="NumPy computes the gradient written out by hand; xlaish and JAX derive it"),
    Workload("gather_xent", "cross-entropy: logsumexp(z) - z[arange(rows), labels]",
             _rc((65536, 100), (8192, 100), (64, 10)), _xent_inputs, gather_xent,
             rtol=1e-4, atol=1e-5, tags=("indexing",)),
    Workload("scatter_hist", "weighted histogram np.add.at(counts, idx, w), 1024 bins",
             {"full": {"n": 10_000_000, "bins": 1024}, "quick": {"n": 1_000_000, "bins": 1024},
              "tiny": {"n": 10_000, "bins": 64}}, _hist_inputs, scatter_hist,
             rtol=1e-3, atol=1e-2, tags=("indexing",),
             note="sequential accumulation (deterministic); the initial counts are an argument "
                  "(np.zeros filled inside a traced function is the in-place branch's work)"),
    Workload("cumsum", "cumsum of a float32 vector",
             _n(10_000_000, 1_000_000, 10_000), lambda rng, n: (_normal(rng, n),), cumsum,
             rtol=1e-3, atol=1e-1, tags=("scan",),
             note="xlaish and NumPy accumulate sequentially in float32 (equal bit for bit); JAX's "
                  "parallel scan rounds differently"),
    Workload("sort", "sort of a float32 vector",
             _n(10_000_000, 1_000_000, 10_000), lambda rng, n: (_normal(rng, n),), sort,
             rtol=0.0, atol=0.0, tags=("sort",)),
    Workload("median_rows", "row median of (rows, cols)",
             _rc((4096, 1024), (512, 1024), (16, 128)),
             lambda rng, rows, cols: (_normal(rng, rows, cols),), median_rows,
             rtol=1e-6, atol=1e-7, tags=("sort", "rows")),
]

BY_NAME = {w.name: w for w in WORKLOADS}
