"""The two small neural networks of the benchmarks: an MLP classifier and the tutorial CNN.

One definition each, used by the speed benchmarks (:mod:`benchmarks.workloads`: the training
steps and batch-1 inference) and by the compile-time benchmark (:mod:`benchmarks.compile_time`).
Every function takes the array namespace ``xp`` (a :class:`benchmarks.backends.Backend`, or any
module with NumPy's spelling plus ``value_and_grad`` for the steps); this module imports neither
xlaish nor JAX, so that the compile-time benchmark can time their imports.

* MLP 784-256-10: ``relu(x @ w1 + b1) @ w2 + b2``, softmax cross-entropy.
* CNN: a 5x5x32 convolution of 28x28 images written as im2col of 25 stacked shifted slices and
  one matmul, ReLU, 2x2 max-pool, a dense layer to 10 classes, softmax cross-entropy.
* ``sgd_step(xp, loss, lr)``: ``step(*params, x, labels) -> (loss, *updated params)`` with the
  gradient from ``xp.value_and_grad``.

NumPy has no autodiff, so the NumPy rows of the training steps use the gradients written out
by hand below (``*_step_numpy``); they are also the reference the other implementations are
checked against.
"""
from __future__ import annotations

import numpy as np

F32 = np.float32
MLP_DIMS = (784, 256, 10)
MLP_LR = 0.1
CNN_LR = 0.05


def xent(xp, z, labels):
    """Mean softmax cross-entropy of logits ``z`` (rows) against integer ``labels``."""
    z = z - xp.max(z, axis=1, keepdims=True)
    logp = z - xp.log(xp.sum(xp.exp(z), axis=1, keepdims=True))
    return -xp.mean(logp[xp.arange(z.shape[0]), labels])


def sgd_step(xp, loss, lr):
    """One SGD step of ``loss(xp, params, x, labels)``: ``step(*params, x, labels)`` ->
    ``(loss, *updated params)``."""
    def step(*args):
        *params, x, labels = args
        val, g = xp.value_and_grad(lambda p: loss(xp, p, x, labels))(tuple(params))
        return (val,) + tuple(p - lr * gp for p, gp in zip(params, g))
    return step


# --------------------------------------------------------------------------- MLP

def mlp_forward(x, w1, b1, w2, b2, xp=np):
    """``relu(x @ w1 + b1) @ w2 + b2``: logits."""
    return xp.maximum(x @ w1 + b1, 0) @ w2 + b2


def mlp_loss(xp, params, x, labels):
    return xent(xp, mlp_forward(x, *params, xp=xp), labels)


def mlp_step(xp):
    return sgd_step(xp, mlp_loss, MLP_LR)


def mlp_params(rng, d_in=784, d_hidden=256, d_out=10):
    return ((rng.standard_normal((d_in, d_hidden)) / np.sqrt(d_in)).astype(F32),
            (0.01 * rng.standard_normal(d_hidden)).astype(F32),
            (rng.standard_normal((d_hidden, d_out)) / np.sqrt(d_hidden)).astype(F32),
            (0.01 * rng.standard_normal(d_out)).astype(F32))


def mlp_step_inputs(rng, batch):
    """``(w1, b1, w2, b2, x, labels)`` for :func:`mlp_step`."""
    return mlp_params(rng) + (rng.standard_normal((batch, MLP_DIMS[0])).astype(F32),
                              rng.integers(0, MLP_DIMS[2], batch))


def _dxent(z, labels):
    """d mean-xent / d logits."""
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(z.shape[0]), labels]))
    p[np.arange(z.shape[0]), labels] -= 1
    return loss, p / F32(z.shape[0])


def mlp_step_numpy(w1, b1, w2, b2, x, labels):
    """The MLP step with the backward pass written out by hand."""
    a = x @ w1 + b1
    h = np.maximum(a, 0)
    loss, dz = _dxent(h @ w2 + b2, labels)
    dh = (dz @ w2.T) * (a > 0)
    grads = (x.T @ dh, dh.sum(0), h.T @ dz, dz.sum(0))
    lr = F32(MLP_LR)
    return (F32(loss),) + tuple(p - lr * g for p, g in zip((w1, b1, w2, b2), grads))


# --------------------------------------------------------------------------- CNN

def _patches(xp, x):
    """im2col: (n, 28, 28) -> (n*576, 25), the 5x5 windows as stacked shifted slices."""
    n = x.shape[0]
    return xp.stack([x[:, i:i + 24, j:j + 24] for i in range(5) for j in range(5)],
                    axis=-1).reshape(n * 576, 25)


def cnn_loss(xp, params, x, labels):
    wc, bc, wd, bd = params
    n = x.shape[0]
    h = xp.maximum(_patches(xp, x) @ wc + bc, 0).reshape(n, 12, 2, 12, 2, 32)
    pooled = xp.max(xp.max(h, axis=4), axis=2).reshape(n, 12 * 12 * 32)
    return xent(xp, pooled @ wd + bd, labels)


def cnn_step(xp):
    return sgd_step(xp, cnn_loss, CNN_LR)


def cnn_step_inputs(rng, batch):
    """``(wc, bc, wd, bd, images, labels)`` for :func:`cnn_step`."""
    return ((rng.standard_normal((25, 32)) / 5).astype(F32), (0.01 * rng.standard_normal(32)).astype(F32),
            (rng.standard_normal((4608, 10)) / 68).astype(F32), (0.01 * rng.standard_normal(10)).astype(F32),
            rng.random((batch, 28, 28)).astype(F32), rng.integers(0, 10, batch))


def cnn_step_numpy(wc, bc, wd, bd, x, labels):
    """The CNN step with the backward pass written out by hand (max-pool: the gradient goes to
    the window's maximum; ties only happen between zeros, whose ReLU gradient is zero)."""
    n = x.shape[0]
    P = _patches(np, x)
    a = P @ wc + bc
    h = np.maximum(a, 0).reshape(n, 12, 2, 12, 2, 32)
    pooled6 = np.max(np.max(h, axis=4, keepdims=True), axis=2, keepdims=True)
    pooled = pooled6.reshape(n, 4608)
    loss, dz = _dxent(pooled @ wd + bd, labels)
    dpool = (dz @ wd.T).reshape(n, 12, 1, 12, 1, 32)
    da = ((h == pooled6) * dpool).reshape(n * 576, 32) * (a > 0)
    grads = (P.T @ da, da.sum(0), pooled.T @ dz, dz.sum(0))
    lr = F32(CNN_LR)
    return (F32(loss),) + tuple(p - lr * g for p, g in zip((wc, bc, wd, bd), grads))
