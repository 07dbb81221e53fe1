"""Fit y = a*x^2 + b*x + c by gradient descent: the loss is the quadratic-fit
forward of the benchmarks (features [x^2, x, 1] stacked, prediction f @ w,
mean squared error), and ``xlaish.value_and_grad`` differentiates it.

Run: ``python examples/quadratic_fit.py``.
"""
import numpy as np

import xlaish as xl


def loss(w, x, y):
    feats = np.stack([x * x, x, np.ones_like(x)], axis=1)   # (n, 3)
    yhat = feats @ w
    return np.mean((yhat - y) ** 2)


# one compiled step: loss and gradient with respect to w (argument 0)
loss_and_grad = xl.jit(xl.value_and_grad(loss))


def main(n=1000, steps=400, lr=0.1):
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, n).astype(np.float32)
    w_true = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    y = (w_true[0] * x * x + w_true[1] * x + w_true[2]
         + 0.05 * rng.standard_normal(n)).astype(np.float32)

    w = np.zeros(3, dtype=np.float32)
    for step in range(steps):
        value, g = loss_and_grad(w, x, y)
        w = (w - lr * g).astype(np.float32)
        if step % 100 == 0:
            print(f"step {step:4d}  loss {float(value):.5f}")

    feats = np.stack([x * x, x, np.ones_like(x)], axis=1)
    w_lstsq = np.linalg.lstsq(feats, y, rcond=None)[0]
    print(f"gradient descent: w = {np.round(w, 3)}; least squares: {np.round(w_lstsq, 3)}; "
          f"true: {w_true}")
    # the gradient agrees with the analytic one
    _, g = loss_and_grad(w_true, x, y)
    g_ref = 2 / n * feats.T @ (feats @ w_true - y)
    assert np.allclose(g, g_ref, rtol=1e-3, atol=1e-4)
    assert np.allclose(w, w_lstsq, atol=2e-2)


if __name__ == "__main__":
    main()
