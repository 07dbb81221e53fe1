"""The functions the AOT tests export (importable as ``tests.aot.workloads:NAME`` for the CLI)."""
import math

import numpy as np

from xlaish import special


def chain10(x):
    return np.tanh(((x * 1.5 + 2) * x - 0.5) / (1 + x * x)) * 3 + x


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _norm_cdf(d, erf):
    return 0.5 * (1 + erf(d / math.sqrt(2)))


def black_scholes(S, K, T, r, sigma):
    """European call and put prices (two outputs); erf from xlaish.special."""
    return _black_scholes(S, K, T, r, sigma, special.erf)


def _black_scholes(S, K, T, r, sigma, erf):
    sq = sigma * np.sqrt(T)
    d1 = (np.log(S / K) + (r + 0.5 * sigma * sigma) * T) / sq
    d2 = d1 - sq
    df = np.exp(-r * T)
    call = S * _norm_cdf(d1, erf) - K * df * _norm_cdf(d2, erf)
    put = K * df * _norm_cdf(-d2, erf) - S * _norm_cdf(-d1, erf)
    return call, put


def np_erf(x):
    """NumPy reference for erf (NumPy has none): math.erf elementwise, in float64."""
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def black_scholes_np(S, K, T, r, sigma):
    return _black_scholes(S, K, T, r, sigma, np_erf)


BS_DTYPE = np.float64


def inputs(seed=0):
    """Deterministic inputs for the three workloads (shapes match conftest.SPECS)."""
    rng = np.random.default_rng(seed)
    n = 100_000
    return {
        "chain10": (rng.uniform(-4, 4, 1000).astype(np.float32),),
        "softmax": (rng.normal(0, 3, (512, 256)).astype(np.float32),),
        "black_scholes": tuple(a.astype(BS_DTYPE) for a in (
            rng.uniform(10, 200, n), rng.uniform(10, 200, n), rng.uniform(0.05, 3, n),
            rng.uniform(0.0, 0.1, n), rng.uniform(0.05, 0.6, n))),
    }


def references(ins):
    return {
        "chain10": (chain10(*ins["chain10"]),),
        "softmax": (softmax(*ins["softmax"]),),
        "black_scholes": tuple(r.astype(BS_DTYPE) for r in black_scholes_np(
            *[a.astype(np.float64) for a in ins["black_scholes"]])),
    }


# ---- functions that assign into their arguments (in/out parameters; tests/aot/test_inout.py)
def stencil_inout(x, y):
    """Writes part of x, then reads all of it: the library must not alias the update."""
    x[1:-1] = 0.5 * (x[:-2] + x[2:]) + y[1:-1]
    return x.sum()


def accumulate(out, t):
    """No result at all: only the in/out argument changes."""
    out += t
    np.clip(out, -1, 1, out=out)


def shift(x):
    x[1:] = x[:-1]
    return x[0] + x[-1]


def state_update(state, g):
    state["w"] -= 0.1 * g
    state["n"] += 1
    return state["w"] * 2


# the C programs' helpers: read an input file, write an output file, stop on a non-zero rc
C_PRELUDE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;

static void *load(const char *name, size_t nbytes) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    void *p = malloc(nbytes ? nbytes : 1);
    if (!f || !p || fread(p, 1, nbytes, f) != nbytes) { fprintf(stderr, "cannot read %s\n", path); exit(3); }
    fclose(f);
    return p;
}

static void save(const char *name, const void *data, size_t nbytes) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, nbytes, f) != nbytes) { fprintf(stderr, "cannot write %s\n", path); exit(4); }
    fclose(f);
}

static void check(const char *what, int rc) {
    if (rc != 0) { fprintf(stderr, "%s returned %d\n", what, rc); exit(10 + rc); }
}
"""
