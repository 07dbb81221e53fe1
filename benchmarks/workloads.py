"""The benchmark workloads, each written once against an array namespace ``xp``.

Every workload is one :class:`Workload` record whose ``fn(*inputs, xp=...)`` is the single
spelling run by every array library (:mod:`benchmarks.backends`): NumPy (``xp`` = NumPy's
namespace; the reference), ``xlaish.jit`` of the same NumPy spelling, ``jax.jit`` with ``jax.numpy``
and CuPy. What is genuinely different code lives elsewhere under its own name: the Numba loop
nests and numexpr expressions (:mod:`benchmarks.baselines`, keyed by the workload's ``fn``
name), and, for the training steps, NumPy's hand-written backward pass (``numpy=``: NumPy has no
autodiff; it is then the reference and the NumPy row).

All data is float32 drawn from a seeded generator (never all zeros: some kernels short-cut on
them); index arrays are integers. ``sizes`` holds the parameters for each mode: ``full`` (the
numbers the issue asks for), ``quick`` and ``tiny`` (for tests). Results are checked against
NumPy's with the tolerance of the output's dtype: :data:`TOLERANCES` unless the workload
overrides it (``tol``), with the reason in its ``note``.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import models
from .backends import numpy_backend

F32 = np.float32
NP = numpy_backend()

# dtype name -> (rtol, atol) for the check against NumPy; integer and bool results must be equal
TOLERANCES = {"float32": (1e-4, 1e-5), "float64": (1e-10, 1e-12), "float16": (1e-2, 1e-3)}


@dataclass
class Workload:
    name: str
    title: str
    sizes: dict                      # mode -> params dict (a mode missing: the next larger one)
    make_inputs: Callable            # (rng, **params) -> tuple of arrays
    fn: Callable                     # fn(*inputs, xp=backend): the one spelling
    numpy: Callable | None = None    # NumPy's own version when fn needs autodiff (hand-written)
    tol: dict = field(default_factory=dict)    # dtype name -> (rtol, atol), over TOLERANCES
    flops: Callable | None = None    # (**params) -> floating point operations per call
    needs: tuple = ()                # backend features fn uses beyond the array module: "grad"
    note: str = ""
    tags: tuple = field(default_factory=tuple)

    @property
    def kernel(self) -> str:
        """The name the Numba / numexpr versions are keyed by (workloads sharing fn share them)."""
        return self.fn.__name__

    def reference(self, *inputs):
        """NumPy's result (the oracle)."""
        return self.numpy(*inputs) if self.numpy is not None else self.fn(*inputs, xp=NP)

    def tolerance(self, dtype) -> tuple[float, float]:
        d = np.dtype(dtype)
        if d.kind in "biu":
            return 0.0, 0.0
        return self.tol.get(d.name) or TOLERANCES.get(d.name, TOLERANCES["float32"])

    def params(self, mode: str) -> dict:
        for m in {"tiny": ("tiny", "quick", "full"), "quick": ("quick", "full")}.get(mode, ("full",)):
            if m in self.sizes:
                return self.sizes[m]
        raise KeyError(mode)

    def describe(self, params) -> str:
        return ", ".join(f"{k}={v}" for k, v in params.items())


def _normal(rng, *shape):
    return rng.standard_normal(shape, dtype=F32)


def _uniform(rng, lo, hi, *shape):
    return (rng.random(shape, dtype=F32) * F32(hi - lo) + F32(lo)).astype(F32)


# --------------------------------------------------------------------------- elementwise

def chain10(x, xp=NP):
    return xp.tanh(((x * 1.5 + 2) * x - 0.5) / (1 + x * x)) * 3 + x


def softplus(x, xp=NP):
    return xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(x, 0)


def waves(x, xp=NP):
    return xp.sin(x * 3) * xp.cos(x + 0.5) + xp.sin(x * x) * 0.25


def sumsq(x, xp=NP):
    return xp.sum((x - 0.5) ** 2)


def relu_bcast(a, b, c, xp=NP):
    return xp.maximum(a * c + b, 0)


# --------------------------------------------------------------------------- Black-Scholes

BS_R = 0.02       # risk-free rate
BS_V = 0.30       # volatility
INV_SQRT2 = 1 / math.sqrt(2)


def black_scholes(S, K, T, xp=NP):
    sqrt_t = xp.sqrt(T)
    d1 = (xp.log(S / K) + (BS_R + 0.5 * BS_V * BS_V) * T) / (BS_V * sqrt_t)
    d2 = d1 - BS_V * sqrt_t
    cdf_d1 = 0.5 + 0.5 * xp.erf(d1 * INV_SQRT2)
    cdf_d2 = 0.5 + 0.5 * xp.erf(d2 * INV_SQRT2)
    disc = K * xp.exp(-BS_R * T)
    call = S * cdf_d1 - disc * cdf_d2
    put = disc * (1 - cdf_d2) - S * (1 - cdf_d1)       # N(-d) = 1 - N(d)
    return call, put


def _bs_inputs(rng, n):
    return (_uniform(rng, 10, 100, n), _uniform(rng, 10, 100, n), _uniform(rng, 0.25, 2.0, n))


# --------------------------------------------------------------------------- row-wise

def softmax(x, xp=NP):
    e = xp.exp(x - xp.max(x, axis=-1, keepdims=True))
    return e / xp.sum(e, axis=-1, keepdims=True)


def layernorm(x, gamma, beta, xp=NP):
    mean = xp.mean(x, axis=-1, keepdims=True)
    xc = x - mean
    var = xp.mean(xc * xc, axis=-1, keepdims=True)
    return xc / xp.sqrt(var + 1e-5) * gamma + beta


# --------------------------------------------------------------------------- linear algebra

def matmul_bias_relu(x, w, b, xp=NP):
    return xp.maximum(x @ w + b, 0)


def mlp2(x, w1, b1, w2, b2, xp=NP):
    """Two dense layers: relu(x @ w1 + b1) @ w2 + b2 (the MLP classifier's forward pass)."""
    return models.mlp_forward(x, w1, b1, w2, b2, xp=xp)


def quadfit(x, y, w, xp=NP):
    feats = xp.stack([x * x, x, xp.ones_like(x)], axis=1)     # (n, 3): [x^2, x, 1]
    yhat = feats @ w
    return xp.mean((yhat - y) ** 2)


QUAD_LR = 0.05


def quadfit_step(x, y, w, xp=NP):
    """One gradient-descent step; the gradient from ``xp.value_and_grad``."""
    loss, grad = xp.value_and_grad(lambda w_: quadfit(x, y, w_, xp=xp))(w)
    return loss, w - QUAD_LR * grad


def quadfit_step_numpy(x, y, w):
    """The same step with the gradient written out by hand (NumPy has no autodiff)."""
    feats = np.stack([x * x, x, np.ones_like(x)], axis=1)
    r = feats @ w - y
    loss = np.mean(r ** 2)
    grad = feats.T @ (F32(2) * r) / F32(x.shape[0])
    return loss, w - F32(QUAD_LR) * grad


def _quad_inputs(rng, n):
    x = _uniform(rng, -2, 2, n)
    w_true = np.array([0.5, -1.0, 2.0], dtype=F32)
    y = (w_true[0] * x * x + w_true[1] * x + w_true[2] + F32(0.1) * _normal(rng, n)).astype(F32)
    w = _normal(rng, 3)
    return x, y, w


def _mm_inputs(rng, m, k, n):
    return _normal(rng, m, k), _normal(rng, k, n) * F32(1 / math.sqrt(k)), _normal(rng, n)


def _mlp_inputs(rng, batch, d_in, d_hidden, d_out):
    return (_normal(rng, batch, d_in),) + models.mlp_params(rng, d_in, d_hidden, d_out)


# --------------------------------------------------------------------------- index arrays

def gather_xent(z, labels, xp=NP):
    """Cross-entropy: logsumexp of each row minus the row's label entry (a gather)."""
    m = xp.max(z, axis=1, keepdims=True)
    lse = xp.log(xp.sum(xp.exp(z - m), axis=1)) + m[:, 0]
    return xp.mean(lse - z[xp.arange(z.shape[0]), labels])


def _xent_inputs(rng, rows, cols):
    return _normal(rng, rows, cols), rng.integers(0, cols, rows)


def scatter_hist(idx, w, counts, xp=NP):
    """Weighted histogram: ``np.add.at`` (unbuffered: repeated bins accumulate) onto a copy of
    counts."""
    return xp.add_at(counts, idx, w)


def _hist_inputs(rng, n, bins):
    return rng.integers(0, bins, n), _uniform(rng, 0, 1, n), _uniform(rng, 1, 2, bins)


# --------------------------------------------------------------------------- scans and sorts

def cumsum(x, xp=NP):
    return xp.cumsum(x)


def sort(x, xp=NP):
    return xp.sort(x)


def median_rows(x, xp=NP):
    return xp.median(x, axis=1)


# --------------------------------------------------------------------------- neural networks

def mlp_train_step(w1, b1, w2, b2, x, labels, xp=NP):
    """MLP 784-256-10 training step: forward, softmax cross-entropy, backward, SGD update."""
    return models.mlp_step(xp)(w1, b1, w2, b2, x, labels)


def cnn_train_step(wc, bc, wd, bd, x, labels, xp=NP):
    """The tutorial CNN's training step (see :mod:`benchmarks.models`)."""
    return models.cnn_step(xp)(wc, bc, wd, bd, x, labels)


def _mlp_flops(batch):
    d_in, d_h, d_out = models.MLP_DIMS
    return 3 * 2 * batch * d_h * (d_in + d_out)       # forward + two backward matmuls per layer


def _cnn_flops(batch):
    return 3 * 2 * batch * (576 * 25 * 32 + 4608 * 10)


# --------------------------------------------------------------------------- the suite

def _n(full, quick, tiny):
    return {"full": {"n": full}, "quick": {"n": quick}, "tiny": {"n": tiny}}


def _rc(full, quick, tiny):
    return {m: {"rows": r, "cols": c} for m, (r, c) in (("full", full), ("quick", quick), ("tiny", tiny))}


def _mlp_flops2(batch, d_in, d_hidden, d_out):
    return 2 * batch * d_hidden * (d_in + d_out)


WORKLOADS: list[Workload] = [
    Workload("chain10", "tanh(((x*1.5+2)*x-0.5)/(1+x*x))*3+x, 10 ops",
             _n(10_000_000, 1_000_000, 10_000), lambda rng, n: (_normal(rng, n),), chain10,
             tags=("elementwise",)),
    Workload("softplus", "log1p(exp(-|x|)) + maximum(x, 0)",
             _n(10_000_000, 1_000_000, 10_000), lambda rng, n: (_normal(rng, n),), softplus,
             tags=("elementwise",)),
    Workload("waves", "sin(x*3)*cos(x+0.5) + sin(x*x)*0.25, trigonometric",
             _n(10_000_000, 1_000_000, 10_000), lambda rng, n: (_normal(rng, n) * F32(4),), waves,
             tags=("elementwise",),
             note="x ~ 4*N(0,1): arguments up to ~300, so every element takes the short "
                  "(Cody-Waite) range reduction; a chunk holding one beyond 2**17 is redone in full"),
    Workload("black_scholes", "Black-Scholes call+put, erf-based normal CDF",
             _n(4_000_000, 400_000, 10_000), _bs_inputs, black_scholes,
             tol={"float32": (1e-3, 1e-3)}, tags=("elementwise",),
             note="erf: scipy.special.erf for NumPy (an A&S 7.1.26 approximation without SciPy), "
                  "xlaish.special.erf, jax.scipy.special.erf; numexpr has no erf and uses the A&S "
                  "approximation, hence the looser tolerance (prices around 10-100)"),
    Workload("sumsq", "sum((x-0.5)**2)",
             _n(10_000_000, 1_000_000, 10_000), lambda rng, n: (_normal(rng, n),), sumsq,
             tol={"float32": (1e-4, 0.0)}, tags=("reduction",)),
    Workload("softmax", "row softmax of (rows, cols)",
             _rc((4096, 1024), (512, 1024), (16, 128)),
             lambda rng, rows, cols: (_normal(rng, rows, cols),), softmax,
             tol={"float32": (1e-4, 1e-7)}, tags=("rows",)),
    Workload("layernorm", "row layernorm of (rows, cols) with gamma/beta",
             _rc((4096, 1024), (512, 1024), (16, 128)),
             lambda rng, rows, cols: (_normal(rng, rows, cols), _normal(rng, cols), _normal(rng, cols)),
             layernorm, tol={"float32": (1e-3, 1e-4)}, tags=("rows",)),
    Workload("relu_bcast", "maximum(a*c+b, 0), a (rows,1), b (1,cols), c (rows,cols)",
             _rc((4096, 1024), (512, 1024), (16, 128)),
             lambda rng, rows, cols: (_normal(rng, rows, 1), _normal(rng, 1, cols), _normal(rng, rows, cols)),
             relu_bcast, tags=("broadcast",)),
    Workload("matmul_bias_relu", "maximum(x @ w + b, 0)",
             {"full": {"m": 1024, "k": 1024, "n": 1024}, "quick": {"m": 256, "k": 256, "n": 256},
              "tiny": {"m": 32, "k": 32, "n": 32}},
             _mm_inputs, matmul_bias_relu, tol={"float32": (1e-3, 1e-3)},
             flops=lambda m, k, n: 2 * m * k * n, tags=("matmul",),
             note="float32 matmuls sum in different orders: tolerance 1e-3"),
    Workload("mlp2", "relu(x @ W1 + b1) @ W2 + b2",
             {"full": {"batch": 256, "d_in": 1024, "d_hidden": 1024, "d_out": 256},
              "quick": {"batch": 64, "d_in": 256, "d_hidden": 256, "d_out": 64},
              "tiny": {"batch": 8, "d_in": 32, "d_hidden": 32, "d_out": 8}},
             _mlp_inputs, mlp2, tol={"float32": (1e-3, 1e-3)}, flops=_mlp_flops2, tags=("matmul",)),
    Workload("mlp_infer_b1", "MLP 784-256-10 inference on one example: relu(x @ W1 + b1) @ W2 + b2",
             {"full": {"batch": 1, "d_in": 784, "d_hidden": 256, "d_out": 10}},
             _mlp_inputs, mlp2, tol={"float32": (1e-3, 1e-3)}, flops=_mlp_flops2,
             tags=("matmul", "small")),
    Workload("mlp_train", "MLP 784-256-10 training step (forward, softmax cross-entropy, backward, SGD)",
             {"full": {"batch": 128}, "tiny": {"batch": 8}},
             lambda rng, batch: models.mlp_step_inputs(rng, batch), mlp_train_step,
             numpy=models.mlp_step_numpy, tol={"float32": (1e-3, 1e-5)}, needs=("grad",),
             flops=_mlp_flops, tags=("autodiff", "matmul"),
             note="Returns the loss and the updated parameters; NumPy's row is the backward pass "
                  "written out by hand, xlaish and JAX derive it (xlaish.value_and_grad, "
                  "jax.value_and_grad)"),
    Workload("cnn_train", "tutorial CNN training step (5x5x32 conv as im2col, ReLU, 2x2 max-pool, "
                          "dense, softmax cross-entropy, SGD)",
             {"full": {"batch": 32}, "tiny": {"batch": 2}},
             lambda rng, batch: models.cnn_step_inputs(rng, batch), cnn_train_step,
             numpy=models.cnn_step_numpy, tol={"float32": (1e-3, 1e-5)}, needs=("grad",),
             flops=_cnn_flops, tags=("autodiff", "matmul"),
             note="28x28 images; NumPy's row is the backward pass written out by hand"),
    Workload("quadfit_100", "quadratic-fit loss mean(([x^2,x,1] @ w - y)^2), 100 points",
             _n(100, 100, 100), _quad_inputs, quadfit, tol={"float32": (1e-4, 1e-6)}, tags=("small",)),
    Workload("quadfit_1k", "quadratic-fit loss, 1,000 points",
             {"full": {"n": 1000}, "quick": {"n": 1000}}, _quad_inputs, quadfit,
             tol={"float32": (1e-4, 1e-6)}, tags=("small",)),
    Workload("quadfit_10k", "quadratic-fit loss, 10,000 points",
             {"full": {"n": 10_000}, "quick": {"n": 10_000}}, _quad_inputs, quadfit,
             tol={"float32": (1e-4, 1e-6)}, tags=("small",)),
    Workload("quadfit_step", "training step: value_and_grad of the quadratic-fit loss + update",
             {"full": {"n": 10_000}, "quick": {"n": 1000}, "tiny": {"n": 100}}, _quad_inputs,
             quadfit_step, numpy=quadfit_step_numpy, tol={"float32": (1e-3, 1e-4)}, needs=("grad",),
             tags=("small", "autodiff"),
             note="NumPy computes the gradient written out by hand; xlaish and JAX derive it"),
    Workload("gather_xent", "cross-entropy: logsumexp(z) - z[arange(rows), labels]",
             _rc((65536, 100), (8192, 100), (64, 10)), _xent_inputs, gather_xent,
             tags=("indexing",)),
    Workload("scatter_hist", "weighted histogram np.add.at(counts, idx, w), 1024 bins",
             {"full": {"n": 10_000_000, "bins": 1024}, "quick": {"n": 1_000_000, "bins": 1024},
              "tiny": {"n": 10_000, "bins": 64}}, _hist_inputs, scatter_hist,
             tol={"float32": (1e-3, 1e-2)}, tags=("indexing",),
             note="sequential accumulation (deterministic); the initial counts are an argument "
                  "(np.zeros filled inside a traced function is the in-place branch's work); "
                  "float32 sums of ~10^4 terms per bin in other orders differ by ~1e-3"),
    Workload("cumsum", "cumsum of a float32 vector",
             _n(10_000_000, 1_000_000, 10_000), lambda rng, n: (_normal(rng, n),), cumsum,
             tol={"float32": (1e-3, 1e-1)}, tags=("scan",),
             note="xlaish and NumPy accumulate sequentially in float32 (equal bit for bit); JAX's "
                  "parallel scan rounds differently, hence the absolute tolerance"),
    Workload("sort", "sort of a float32 vector",
             _n(10_000_000, 1_000_000, 10_000), lambda rng, n: (_normal(rng, n),), sort,
             tol={"float32": (0.0, 0.0)}, tags=("sort",)),
    Workload("median_rows", "row median of (rows, cols)",
             _rc((4096, 1024), (512, 1024), (16, 128)),
             lambda rng, rows, cols: (_normal(rng, rows, cols),), median_rows,
             tol={"float32": (1e-6, 1e-7)}, tags=("sort", "rows")),
]

BY_NAME = {w.name: w for w in WORKLOADS}
