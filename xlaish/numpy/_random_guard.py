"""``np.random`` inside a traced function: refused, never silently frozen.

NumPy's global-state functions (``np.random.uniform``, ``np.random.rand``, ...) and an unseeded
``np.random.default_rng()`` give new numbers on every call. Called while tracing they would run
once and their numbers would be baked into the compiled program as a constant: every later call
would reuse the same "random" mask, a silently wrong answer. While a function is traced (the same
window as :func:`xlaish.numpy._creation.creation_returns_tracers`), these attributes of
``numpy.random`` raise a clear error when called from the user's code on the tracing thread.
A seeded ``default_rng(seed)`` made inside the function is deterministic in NumPy too, so it is
left alone (its numbers are rightly a constant). Not caught: a ``Generator`` created outside the
function and used inside (its methods are C code that cannot be wrapped) — documented in the
README; pass such random arrays in as arguments. The message points at
``xlaish.random.default_rng`` (a stateful generator whose draws advance on every call of the
compiled function) and the key API of :mod:`xlaish.random`, which draw random numbers inside
compiled code.
"""
from __future__ import annotations

import sys

import numpy as np

from ..errors import UnsupportedError
from ..trace import context

GUARDED = ("rand", "randn", "random", "random_sample", "ranf", "sample", "uniform", "normal",
           "standard_normal", "randint", "random_integers", "choice", "permutation", "shuffle",
           "binomial", "poisson", "exponential", "gamma", "beta", "bytes", "laplace", "logistic",
           "lognormal", "multinomial", "multivariate_normal", "standard_cauchy",
           "standard_exponential", "standard_gamma", "standard_t", "triangular", "vonmises",
           "wald", "weibull", "zipf", "geometric", "gumbel", "chisquare", "dirichlet", "pareto",
           "power", "rayleigh", "hypergeometric", "logseries", "negative_binomial", "f",
           "noncentral_chisquare", "noncentral_f", "default_rng")
ORIG = {n: getattr(np.random, n) for n in GUARDED if hasattr(np.random, n)}
_OWN = ("xlaish.", "numpy")


def _message(name: str) -> str:
    return (f"numpy.random.{name} called inside a traced function: its numbers would be drawn once, "
            f"while tracing, and frozen into the compiled program (every call would see the same "
            f"values). Use xlaish.random.default_rng(seed) for NumPy-style draws that advance on "
            f"every call (rng = xlaish.random.default_rng(0) outside the function, then "
            f"rng.random(size) / rng.normal(...) / rng.integers(...) inside it; not NumPy's PCG64 "
            f"stream), or xlaish.random's key API (k = xlaish.random.key(seed); "
            f"xlaish.random.uniform(k, shape), split/fold_in for fresh keys; pass the key in as an "
            f"argument), draw the numbers outside and pass them in, or use a seeded "
            f"np.random.default_rng(seed) inside the function if fixed numbers are what you want")


def _guard(name):
    orig = ORIG[name]

    def guarded(*args, **kwargs):
        if context.current() is None or sys._getframe(1).f_globals.get("__name__", "").startswith(_OWN):
            return orig(*args, **kwargs)
        if name == "default_rng" and (args and args[0] is not None or kwargs.get("seed") is not None):
            return orig(*args, **kwargs)          # seeded: deterministic, a constant is right
        raise context.with_location(UnsupportedError(_message(name)))
    guarded.__name__ = guarded.__qualname__ = name
    guarded.__wrapped__ = orig
    guarded.__doc__ = orig.__doc__
    return guarded


WRAPPERS = {n: _guard(n) for n in ORIG}


def install() -> None:
    for n, w in WRAPPERS.items():
        setattr(np.random, n, w)


def uninstall() -> None:
    for n, f in ORIG.items():
        setattr(np.random, n, f)
