"""Loop kernels written the way NumPy users write them (PolyBench-style time stepping and a
row-by-row solve), and their JAX spellings.

The plain functions are the NumPy reference, what ``xlaish.jit`` traces (its Python loops are
converted to IR loops) and what ``numba.njit`` compiles: one source for all three. They assign
into their arguments, as the PolyBench kernels do. JAX cannot run that source (no in-place
assignment, no Python loop over a traced bound): ``jax_versions`` are the ``lax.fori_loop`` +
``.at[].set`` rewrites a JAX user writes.
"""
from __future__ import annotations

import numpy as np


def jacobi_1d(A, B, T):
    for t in range(T):  # noqa: B007  (PolyBench spelling: the user code as written)
        B[1:-1] = 0.33333 * (A[:-2] + A[1:-1] + A[2:])
        A[1:-1] = 0.33333 * (B[:-2] + B[1:-1] + B[2:])


def jacobi_2d(A, B, T):
    for t in range(T):  # noqa: B007  (PolyBench spelling: the user code as written)
        B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1] + A[:-2, 1:-1])
        A[1:-1, 1:-1] = 0.2 * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] + B[2:, 1:-1] + B[:-2, 1:-1])


def heat_3d(A, B, T):
    for t in range(T):  # noqa: B007  (PolyBench spelling: the user code as written)
        B[1:-1, 1:-1, 1:-1] = (
            0.125 * (A[2:, 1:-1, 1:-1] - 2.0 * A[1:-1, 1:-1, 1:-1] + A[:-2, 1:-1, 1:-1])
            + 0.125 * (A[1:-1, 2:, 1:-1] - 2.0 * A[1:-1, 1:-1, 1:-1] + A[1:-1, :-2, 1:-1])
            + 0.125 * (A[1:-1, 1:-1, 2:] - 2.0 * A[1:-1, 1:-1, 1:-1] + A[1:-1, 1:-1, :-2])
            + A[1:-1, 1:-1, 1:-1])
        A[1:-1, 1:-1, 1:-1] = (
            0.125 * (B[2:, 1:-1, 1:-1] - 2.0 * B[1:-1, 1:-1, 1:-1] + B[:-2, 1:-1, 1:-1])
            + 0.125 * (B[1:-1, 2:, 1:-1] - 2.0 * B[1:-1, 1:-1, 1:-1] + B[1:-1, :-2, 1:-1])
            + 0.125 * (B[1:-1, 1:-1, 2:] - 2.0 * B[1:-1, 1:-1, 1:-1] + B[1:-1, 1:-1, :-2])
            + B[1:-1, 1:-1, 1:-1])


def trisolv(L, b, x):
    for i in range(b.shape[0]):
        x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]


# inputs --------------------------------------------------------------------------------------

def _grid(rng, *shape):
    return rng.random(shape)


def make_inputs(name, rng, n, t):
    if name == "jacobi_1d":
        return [_grid(rng, n), _grid(rng, n), t]
    if name == "jacobi_2d":
        return [_grid(rng, n, n), _grid(rng, n, n), t]
    if name == "heat_3d":
        return [_grid(rng, n, n, n), _grid(rng, n, n, n), t]
    L = np.tril(rng.random((n, n))) + n * np.eye(n)     # well conditioned
    return [L, rng.random(n), np.zeros(n)]


KERNELS = {"jacobi_1d": jacobi_1d, "jacobi_2d": jacobi_2d, "heat_3d": heat_3d, "trisolv": trisolv}
# which arguments each kernel writes (compared with NumPy after the call)
OUTPUTS = {"jacobi_1d": (0, 1), "jacobi_2d": (0, 1), "heat_3d": (0, 1), "trisolv": (2,)}


# JAX -----------------------------------------------------------------------------------------

def jax_versions(jax):
    """``lax.fori_loop`` rewrites; each returns the arrays the NumPy version writes."""
    jnp, lax = jax.numpy, jax.lax

    def jac1(A, B, T):
        def body(t, ab):
            A, B = ab
            B = B.at[1:-1].set(0.33333 * (A[:-2] + A[1:-1] + A[2:]))
            A = A.at[1:-1].set(0.33333 * (B[:-2] + B[1:-1] + B[2:]))
            return A, B
        return lax.fori_loop(0, T, body, (A, B))

    def jac2(A, B, T):
        def st(X):
            return 0.2 * (X[1:-1, 1:-1] + X[1:-1, :-2] + X[1:-1, 2:] + X[2:, 1:-1] + X[:-2, 1:-1])

        def body(t, ab):
            A, B = ab
            B = B.at[1:-1, 1:-1].set(st(A))
            A = A.at[1:-1, 1:-1].set(st(B))
            return A, B
        return lax.fori_loop(0, T, body, (A, B))

    def heat(A, B, T):
        def st(X):
            c = X[1:-1, 1:-1, 1:-1]
            return (0.125 * (X[2:, 1:-1, 1:-1] - 2.0 * c + X[:-2, 1:-1, 1:-1])
                    + 0.125 * (X[1:-1, 2:, 1:-1] - 2.0 * c + X[1:-1, :-2, 1:-1])
                    + 0.125 * (X[1:-1, 1:-1, 2:] - 2.0 * c + X[1:-1, 1:-1, :-2]) + c)

        def body(t, ab):
            A, B = ab
            B = B.at[1:-1, 1:-1, 1:-1].set(st(A))
            A = A.at[1:-1, 1:-1, 1:-1].set(st(B))
            return A, B
        return lax.fori_loop(0, T, body, (A, B))

    def tri(L, b, x):
        n = b.shape[0]
        cols = jnp.arange(n)

        def body(i, x):
            s = jnp.sum(jnp.where(cols < i, L[i] * x, 0.0))
            return x.at[i].set((b[i] - s) / L[i, i])
        return (lax.fori_loop(0, n, body, x),)

    return {"jacobi_1d": jac1, "jacobi_2d": jac2, "heat_3d": heat, "trisolv": tri}
