"""The CUDA backend does not compile complex kernels yet: it says so (on Numba's CUDA simulator, in a
fresh process so that the simulator is on before numba is imported)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROGRAM = """
import numpy as np, xlaish as xl
try:
    xl.jit(lambda z: z * z + 1, device="cuda")(np.ones(3, complex))
except xl.UnsupportedError as e:
    print("refused:", e)
"""


def test_cuda_refuses_complex_with_a_clear_error():
    pytest.importorskip("numba")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "refused: complex arrays are not supported by the CUDA backend" in r.stdout, r.stdout + r.stderr
