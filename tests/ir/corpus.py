"""A representative corpus of traced programs: every op family, every attribute kind,
constants of every dtype, multiple results, 0-d and empty shapes."""
from __future__ import annotations

import numpy as np

import xlaish as xl
import xlaish.numpy as xnp

f32 = np.float32
A = np.linspace(-2, 2, 12, dtype=f32).reshape(3, 4)
B = np.linspace(0.5, 1.5, 4, dtype=f32)
I = np.arange(12, dtype=np.int32).reshape(3, 4)
U = np.arange(6, dtype=np.uint8)
H = np.linspace(-1, 1, 5).astype(np.float16)
D = np.linspace(-1, 1, 6)
M = (np.arange(12) % 3 == 0).reshape(3, 4)


def softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


CORPUS = [
    ("softplus", softplus, (A,)),
    ("broadcast_add", lambda x, b: x * b + 1.5, (A, B)),
    ("weak_scalars", lambda x: 2 * x - 0.5 / (x * x + 1), (A,)),
    ("int_ops", lambda i: (i // 3) % 2 + (i << 1) ^ (i >> 1), (I,)),
    ("mixed_promotion", lambda i, x: i * x + i.astype(np.float16), (I, A)),
    ("comparisons", lambda x, b: np.logical_and(x > b, x <= 1) | ~(x == 0), (A, B)),
    ("where", lambda x: np.where(x > 0, x, 0.1 * x), (A,)),
    ("clip", lambda x: np.clip(x, -1, 1), (A,)),
    ("reductions", lambda x: (x.sum(), x.max(axis=0), x.min(axis=-1, keepdims=True), np.prod(x, axis=(0, 1))), (A,)),
    ("bool_reductions", lambda m: (m.any(), m.all(axis=1), m.sum(axis=0)), (M,)),
    ("arg_reductions", lambda x: (np.argmax(x), np.argmin(x, axis=1), np.argmax(x, axis=0, keepdims=True)), (A,)),
    ("statistics", lambda x: (x.mean(axis=1), x.var(axis=0, ddof=1), x.std()), (A,)),
    ("int_mean", lambda i: (i.mean(), i.sum(axis=0, dtype=np.int16)), (I,)),
    ("reshape_transpose", lambda x: x.reshape(2, 6).T.reshape(-1, 3), (A,)),
    ("indexing", lambda x: (x[1], x[:, ::-2], x[None, 1:, 2], x[..., -1], x[::2, None]), (A,)),
    ("broadcast_to", lambda b: np.broadcast_to(b, (2, 3, 4)), (B,)),
    ("concat_stack", lambda x, b: (np.concatenate([x, b[None]], axis=0), np.stack([b, b], axis=-1)), (A, B)),
    ("moveaxis_squeeze", lambda x: np.squeeze(np.moveaxis(x[:, None], 0, -1), axis=0), (A,)),
    ("matmul", lambda x, b: (x @ b, b @ x.T, x.T @ x), (A, B)),
    ("batched_matmul", lambda x: np.matmul(np.stack([x, x]), x.T), (A,)),
    ("creation", lambda x: x + xnp.arange(4) + xnp.eye(3, 4, k=1) + xnp.ones((3, 1)), (A,)),
    ("constants", lambda x: x + np.array([1.0, np.nan, np.inf, -0.0], f32) * np.array([-np.inf, 2, 3, 4], f32), (A,)),
    ("int_constants", lambda u: u + np.array([0, 255, 7, 1, 2, 3], np.uint8), (U,)),
    ("big_int_constants", lambda i: i.astype(np.int64) * np.array([2**62, -2**63, 5, 7], np.int64), (I,)),
    ("uint64_constant", lambda u: u.astype(np.uint64) + np.array([2**64 - 1, 0, 1, 2, 3, 4], np.uint64), (U,)),
    ("float16", lambda h: np.sqrt(np.abs(h)) * np.float16(0.1) + np.array([0.1, 0.2, 65504, -1e-4, 3], np.float16), (H,)),
    ("float64_constants", lambda d: d * np.array([0.1, 1 / 3, 1e-300, 1e300, -2.5e-8, 7.0]), (D,)),
    ("bool_constant", lambda m: m ^ np.array([True, False, True, True]), (M,)),
    ("special", lambda d: (xl.special.erf(d), xl.special.expit(d), xl.special.logsumexp(d), xl.special.softmax(d)), (D,)),
    ("casts", lambda x: (x.astype(np.int8), x.astype(bool), x.astype(np.float64), x.astype(np.uint16)), (A,)),
    ("zero_d", lambda s: (s * 2, np.exp(s), s[()], s.reshape(1, 1)), (np.float32(1.5),)),
    ("empty", lambda e: (e + 1, e.sum(axis=0), e.reshape(0, 2, 2), e.T), (np.zeros((0, 4), f32),)),
    ("pytree_io", lambda p: {"y": p["a"] * p["b"][0], "z": [p["b"][1] - 1]}, ({"a": A, "b": (B, I)},)),
    ("identity", lambda x, y: (y, x), (A, B)),
    ("no_params", lambda: xnp.arange(5) * 2, ()),
    ("python_scalar_param", lambda x, s: x * s + s, (A, 2.5)),
]
