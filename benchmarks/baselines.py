"""numexpr and Numba versions of the workloads: the code that is genuinely different.

Array libraries with NumPy's spelling (xlaish, JAX, CuPy) run each workload's single ``xp``
spelling (:mod:`benchmarks.workloads`); what is here is written differently, the way a user of
each tool would write it. Each ``*_versions(module)`` takes the imported library and returns
``{kernel name: callable}``, keyed by the name of the workload's ``fn`` (so ``quadfit_100`` and
``quadfit_10k`` share ``quadfit``); a workload missing from the dict has no version for that
library (reported as ``n/a``). Nothing here imports numba at module level, so the runner works
without it (and the CPU path never loads it).

* numexpr evaluates one expression per call with its own thread pool; it has
  no reductions along an axis and no matmul, so row-wise and matmul
  workloads are numexpr expressions around NumPy reductions / BLAS (labelled
  hybrids). It has no ``erf``: Black-Scholes uses the A&S 7.1.26 rational
  approximation. float32 constants are passed as float32 locals so numexpr
  does not promote the work to float64.
* Numba: ``@njit(parallel=True)`` explicit loop nests (``prange`` over the outer
  axis), no fastmath; matmuls call ``@`` (BLAS through SciPy).

Adding one: write it under the workload's ``fn.__name__`` in the dict returned here.
"""
from __future__ import annotations

import math

import numpy as np

from .workloads import BS_R, BS_V, INV_SQRT2

F32 = np.float32
# float32 constants (module globals, so Numba freezes them as float32 literals)
C0, C025, C05, C1, C15, C2, C3 = F32(0), F32(0.25), F32(0.5), F32(1), F32(1.5), F32(2), F32(3)
CR, CV = F32(BS_R), F32(BS_V)
CMU = F32(BS_R + 0.5 * BS_V * BS_V)
CS2 = F32(INV_SQRT2)
CEPS = F32(1e-5)
# Abramowitz & Stegun 7.1.26
AS_P = F32(0.3275911)
AS_A = tuple(F32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429))

HYBRID = {"softmax", "layernorm", "matmul_bias_relu", "mlp2"}


# --------------------------------------------------------------------------- numexpr

def numexpr_versions(ne):
    k = dict(c0=C0, c05=C05, c1=C1, c15=C15, c2=C2, c3=C3, r=CR, v=CV, mu=CMU, s2=CS2, eps=CEPS,
             p=AS_P, a1=AS_A[0], a2=AS_A[1], a3=AS_A[2], a4=AS_A[3], a5=AS_A[4])

    def ev(expr, **arrays):
        return ne.evaluate(expr, local_dict={**k, **arrays})

    def chain10(x):
        return ev("tanh(((x*c15+c2)*x-c05)/(c1+x*x))*c3+x", x=x)

    def softplus(x):
        return ev("log1p(exp(-abs(x))) + where(x > c0, x, c0)", x=x)

    def waves(x):
        return ev("sin(x*c3)*cos(x+c05) + sin(x*x)*c025", x=x, c025=C025)

    def _cdf(d):
        t = ev("c1 / (c1 + p*abs(d*s2))", d=d)
        return ev("c05 + c05*where(d < c0, -e, e)", d=d,
                  e=ev("c1 - t*(a1+t*(a2+t*(a3+t*(a4+t*a5))))*exp(-(d*s2)*(d*s2))", d=d, t=t))

    def black_scholes(S, K, T):
        d1 = ev("(log(S/K) + mu*T) / (v*sqrt(T))", S=S, K=K, T=T)
        d2 = ev("d1 - v*sqrt(T)", d1=d1, T=T)
        n1, n2 = _cdf(d1), _cdf(d2)
        disc = ev("K*exp(-r*T)", K=K, T=T)
        call = ev("S*n1 - disc*n2", S=S, n1=n1, disc=disc, n2=n2)
        put = ev("disc*(c1-n2) - S*(c1-n1)", S=S, n1=n1, disc=disc, n2=n2)
        return call, put

    def sumsq(x):
        return ev("sum((x-c05)**2)", x=x)[()]

    def relu_bcast(a, b, c):
        return ev("where(a*c+b > c0, a*c+b, c0)", a=a, b=b, c=c)

    def softmax(x):
        e = ev("exp(x - m)", x=x, m=np.max(x, axis=-1, keepdims=True))
        return ev("e / s", e=e, s=np.sum(e, axis=-1, keepdims=True))

    def layernorm(x, gamma, beta):
        xc = ev("x - m", x=x, m=np.mean(x, axis=-1, keepdims=True))
        var = np.mean(ev("xc*xc", xc=xc), axis=-1, keepdims=True)
        return ev("xc / sqrt(var + eps) * g + b", xc=xc, var=var, g=gamma, b=beta)

    def matmul_bias_relu(x, w, b):
        return ev("where(t + b > c0, t + b, c0)", t=x @ w, b=b)

    def mlp2(x, w1, b1, w2, b2):
        h = ev("where(t + b > c0, t + b, c0)", t=x @ w1, b=b1)
        return ev("t + b", t=h @ w2, b=b2)

    return dict(chain10=chain10, softplus=softplus, waves=waves, black_scholes=black_scholes,
                sumsq=sumsq, relu_bcast=relu_bcast, softmax=softmax, layernorm=layernorm,
                matmul_bias_relu=matmul_bias_relu, mlp2=mlp2)


# --------------------------------------------------------------------------- Numba

def numba_versions(nb):
    njit, prange = nb.njit, nb.prange
    par = dict(parallel=True, fastmath=False)

    @njit(**par)
    def chain10(x):
        out = np.empty_like(x)
        for i in prange(x.shape[0]):
            v = x[i]
            out[i] = math.tanh(((v * C15 + C2) * v - C05) / (C1 + v * v)) * C3 + v
        return out

    @njit(**par)
    def softplus(x):
        out = np.empty_like(x)
        for i in prange(x.shape[0]):
            v = x[i]
            out[i] = math.log1p(math.exp(-abs(v))) + max(v, C0)
        return out

    @njit(**par)
    def waves(x):
        out = np.empty_like(x)
        for i in prange(x.shape[0]):
            v = x[i]
            out[i] = math.sin(v * C3) * math.cos(v + C05) + math.sin(v * v) * C025
        return out

    @njit(**par)
    def black_scholes(S, K, T):
        call = np.empty_like(S)
        put = np.empty_like(S)
        for i in prange(S.shape[0]):
            s, k, t = S[i], K[i], T[i]
            st = math.sqrt(t)
            d1 = (math.log(s / k) + CMU * t) / (CV * st)
            d2 = d1 - CV * st
            n1 = C05 + C05 * math.erf(d1 * CS2)
            n2 = C05 + C05 * math.erf(d2 * CS2)
            disc = k * math.exp(-CR * t)
            call[i] = s * n1 - disc * n2
            put[i] = disc * (C1 - n2) - s * (C1 - n1)
        return call, put

    @njit(**par)
    def sumsq(x):
        acc = 0.0
        for i in prange(x.shape[0]):
            d = x[i] - C05
            acc += d * d
        return np.float32(acc)

    @njit(**par)
    def relu_bcast(a, b, c):
        out = np.empty_like(c)
        for i in prange(c.shape[0]):
            ai = a[i, 0]
            for j in range(c.shape[1]):
                out[i, j] = max(ai * c[i, j] + b[0, j], C0)
        return out

    @njit(**par)
    def softmax(x):
        out = np.empty_like(x)
        for i in prange(x.shape[0]):
            m = x[i, 0]
            for j in range(1, x.shape[1]):
                m = max(m, x[i, j])
            s = C0
            for j in range(x.shape[1]):
                e = math.exp(x[i, j] - m)
                out[i, j] = e
                s += e
            inv = C1 / s
            for j in range(x.shape[1]):
                out[i, j] *= inv
        return out

    @njit(**par)
    def layernorm(x, gamma, beta):
        out = np.empty_like(x)
        n = x.shape[1]
        for i in prange(x.shape[0]):
            s = C0
            for j in range(n):
                s += x[i, j]
            m = s / n
            q = C0
            for j in range(n):
                d = x[i, j] - m
                q += d * d
            inv = C1 / math.sqrt(q / n + CEPS)
            for j in range(n):
                out[i, j] = (x[i, j] - m) * inv * gamma[j] + beta[j]
        return out

    @njit(**par)
    def _bias_relu(t, b):
        for i in prange(t.shape[0]):
            for j in range(t.shape[1]):
                t[i, j] = max(t[i, j] + b[j], C0)
        return t

    @njit(**par)
    def _bias(t, b):
        for i in prange(t.shape[0]):
            for j in range(t.shape[1]):
                t[i, j] += b[j]
        return t

    @njit
    def matmul_bias_relu(x, w, b):
        return _bias_relu(x @ w, b)

    @njit
    def mlp2(x, w1, b1, w2, b2):
        return _bias(_bias_relu(x @ w1, b1) @ w2, b2)

    @njit(fastmath=False)
    def quadfit(x, y, w):
        acc = 0.0
        for i in range(x.shape[0]):
            v = x[i]
            d = w[0] * v * v + w[1] * v + w[2] - y[i]
            acc += d * d
        return np.float32(acc / x.shape[0])

    @njit(**par)
    def gather_xent(z, labels):
        n = z.shape[0]
        total = 0.0
        for i in prange(n):
            m = z[i, 0]
            for j in range(1, z.shape[1]):
                m = max(m, z[i, j])
            s = C0
            for j in range(z.shape[1]):
                s += math.exp(z[i, j] - m)
            total += math.log(s) + m - z[i, labels[i]]
        return np.float32(total / n)

    @njit
    def scatter_hist(idx, w, counts):
        out = counts.copy()
        for i in range(idx.shape[0]):
            out[idx[i]] += w[i]
        return out

    @njit
    def cumsum(x):
        return np.cumsum(x)

    @njit
    def sort(x):
        return np.sort(x)

    @njit(**par)
    def median_rows(x):
        out = np.empty(x.shape[0], x.dtype)
        for i in prange(x.shape[0]):
            out[i] = np.median(x[i])
        return out

    return dict(chain10=chain10, softplus=softplus, waves=waves, black_scholes=black_scholes,
                sumsq=sumsq, relu_bcast=relu_bcast, softmax=softmax, layernorm=layernorm,
                matmul_bias_relu=matmul_bias_relu, mlp2=mlp2,
                quadfit=quadfit, gather_xent=gather_xent, scatter_hist=scatter_hist, cumsum=cumsum, sort=sort,
                median_rows=median_rows)
