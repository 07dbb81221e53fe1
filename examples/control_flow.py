"""Structured control flow inside ``jit``: ``fori_loop``, ``while_loop`` and
``cond`` (JAX's signatures). Python ``if``/``for`` on traced values cannot be
compiled; these can, and they run as plain Python outside ``jit``.

Run: ``python examples/control_flow.py``.
"""
import numpy as np

import xlaish as xl


@xl.jit
def newton_sqrt(a):
    """sqrt(a) by Newton's method until every element has converged."""
    def not_done(state):
        x, i = state
        return np.logical_and(np.max(np.abs(x * x - a) / a) > 1e-6, i < 50)

    def step(state):
        x, i = state
        return 0.5 * (x + a / x), i + 1

    x, iters = xl.while_loop(not_done, step, (a, 0))
    return x, iters


@xl.jit
def power(x):
    """x**8 by repeated multiplication in a fori_loop."""
    return xl.fori_loop(1, 8, lambda i, acc: acc * x, x)


@xl.jit
def normalize(x):
    """Divide by the max when it is large, else leave x alone (cond on a traced value)."""
    m = np.max(np.abs(x))
    return xl.cond(m > 1, lambda v: v / m, lambda v: v, x)


def main():
    a = np.linspace(0.5, 100, 1000, dtype=np.float32)
    r, iters = newton_sqrt(a)
    print(f"newton_sqrt: {int(iters)} iterations, max error {np.max(np.abs(r - np.sqrt(a))):.2e}")
    assert np.allclose(r, np.sqrt(a), rtol=1e-5)

    x = np.linspace(-1.5, 1.5, 101, dtype=np.float32)
    assert np.allclose(power(x), x ** 8, rtol=1e-5)
    print("power: ok")

    small, big = x / 10, x * 10
    assert np.allclose(normalize(small), small) and np.allclose(normalize(big), big / 15)
    print("normalize: ok")


if __name__ == "__main__":
    main()
