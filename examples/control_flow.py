"""Control flow inside ``jit``. Plain Python ``for``/``while``/``if`` on traced values compile
to loop and branch ops (the jitted function's source is converted when it is traced), with
NumPy's semantics for arrays written in place, arguments included; the functional forms
``fori_loop``, ``while_loop`` and ``cond`` (JAX's signatures) work too. Outside ``jit`` every
function here runs as plain Python and NumPy.

Run: ``python examples/control_flow.py``.
"""
import numpy as np

import xlaish as xl


@xl.jit
def newton_sqrt(a, tol):
    """sqrt(a) by Newton's method: a Python ``while`` on a traced condition."""
    x = a.copy()
    err = np.max(np.abs(x * x - a) / a)
    iters = 0
    while err > tol:
        x = 0.5 * (x + a / x)
        err = np.max(np.abs(x * x - a) / a)
        iters += 1
    return x, iters


@xl.jit
def crc32(data):
    """CRC-32 of a uint8 array, bit by bit: ``if`` on traced bits inside two loops."""
    crc = np.uint32(0xFFFFFFFF)
    for byte in data:
        crc = crc ^ byte.astype(np.uint32)
        for _ in range(8):
            if crc & np.uint32(1):
                crc = (crc >> np.uint32(1)) ^ np.uint32(0xEDB88320)
            else:
                crc = crc >> np.uint32(1)
    return crc ^ np.uint32(0xFFFFFFFF)


@xl.jit
def jacobi_1d(A, B, T):
    """T time steps written into the caller's arrays (T is traced: one loop op for any T)."""
    for t in range(T):  # noqa: B007
        B[1:-1] = 0.33333 * (A[:-2] + A[1:-1] + A[2:])
        A[1:-1] = 0.33333 * (B[:-2] + B[1:-1] + B[2:])


@xl.jit
def forward_substitution(L, b):
    """Solve L x = b row by row: a traced loop index, and a slice of traced length."""
    x = np.zeros_like(b)
    for i in range(b.shape[0]):
        x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]
    return x


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
    a = np.linspace(0.5, 100, 1000)
    r, iters = newton_sqrt(a, 1e-12)
    print(f"newton_sqrt: {int(iters)} iterations, max error {np.max(np.abs(r - np.sqrt(a))):.2e}")
    assert np.allclose(r, np.sqrt(a), rtol=1e-10)

    data = np.frombuffer(b"The quick brown fox jumps over the lazy dog", dtype=np.uint8)
    import zlib
    print(f"crc32: {int(crc32(data)):#010x} (zlib: {zlib.crc32(data.tobytes()):#010x})")
    assert int(crc32(data)) == zlib.crc32(data.tobytes())

    A, B = np.random.default_rng(0).random((2, 1000))
    A2, B2 = A.copy(), B.copy()
    jacobi_1d(A, B, 500)
    jacobi_1d.__wrapped__(A2, B2, 500)          # the same function run by NumPy
    assert np.allclose(A, A2) and np.allclose(B, B2)
    print("jacobi_1d: the caller's arrays hold NumPy's result after 500 steps")

    n = 200
    L = np.tril(np.random.default_rng(1).random((n, n))) + n * np.eye(n)
    b = np.random.default_rng(2).random(n)
    assert np.allclose(forward_substitution(L, b), np.linalg.solve(L, b))
    print("forward_substitution: matches np.linalg.solve")

    x = np.linspace(-1.5, 1.5, 101, dtype=np.float32)
    assert np.allclose(power(x), x ** 8, rtol=1e-5)
    print("power: ok")

    small, big = x / 10, x * 10
    assert np.allclose(normalize(small), small) and np.allclose(normalize(big), big / 15)
    print("normalize: ok")


if __name__ == "__main__":
    main()
