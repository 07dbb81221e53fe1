"""Quick start: put ``@xlaish.jit`` on a NumPy function and call it.

The first call per argument signature (shapes, dtypes) traces the function,
optimises and fuses it and compiles it with LLVM; later calls run the cached
native code. Run: ``python examples/quickstart.py``.
"""
import time

import numpy as np

import xlaish as xl


@xl.jit
def softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def main(n=1_000_000):
    x = np.random.default_rng(0).standard_normal(n, dtype=np.float32)

    t0 = time.perf_counter()
    y = softplus(x)                          # first call: trace + passes + LLVM
    t1 = time.perf_counter()
    y = softplus(x)                          # later calls: the cached kernel
    t2 = time.perf_counter()
    expected = np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

    print(f"result: {y.dtype}{list(y.shape)}, max |xlaish - numpy| = {np.max(np.abs(y - expected)):.2e}")
    print(f"first call {1e3 * (t1 - t0):.1f} ms (compile), second call {1e3 * (t2 - t1):.2f} ms")
    print(softplus.lower(x).fusion_report())
    assert np.allclose(y, expected, rtol=1e-5, atol=1e-6)


if __name__ == "__main__":
    main()
