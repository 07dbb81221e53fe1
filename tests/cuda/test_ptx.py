"""Every kernel the CUDA tests generated, compiled to PTX for cc=(9, 0) by the real numba.cuda.

The simulator tests run each program's kernels as Python; this checks the
GPU flavour of the same programs (regenerated for the GPU target: shuffles,
libdevice math) type-checks and compiles with NVVM. It runs after the other
tests here (see conftest.py) in one subprocess without NUMBA_ENABLE_CUDASIM,
plus a small corpus of its own so it means something when run alone; the
float32 programs of that corpus must compile without a single float64
instruction (no silent promotion). It is
skipped, saying why, only when the NVRTC/NVVM wheels are not installed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib

import numpy as np
import pytest

import xlaish as xl
from tests.cuda.conftest import PTX_SOURCES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _corpus():
    from xlaish.codegen.cuda import GPU, generate
    x = np.ones((8, 300), np.float32)

    def softmax(x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    progs = [
        (softmax, (x,)),
        (lambda x: (np.sum(x), np.argmax(x), x.max()), (np.ones(100_000, np.float32),)),
        (lambda a, w, b: np.maximum(a @ w + b, 0), (x[:, :16], np.ones((16, 8), np.float32),
                                                    np.ones(8, np.float32))),
        (lambda a, b: np.concatenate([a, b.T], axis=1), (x[:, :4], np.ones((4, 8), np.float32))),
        (lambda x, i: (x // 3, np.remainder(x, 2.5), i // 3, i % 5, i << 3, i >> 2, np.power(i, i),
                       np.rint(x), np.logaddexp(x, x)), (x, np.ones(300, np.int32))),
        (lambda x: (x.astype(np.float16) * 2, np.sum(x.astype(np.float16))), (np.ones(64, np.float32),)),
    ]
    from xlaish.runtime.cuda import gather_source
    out = {"gather2": gather_source(2, "void(float32[:, :], float32[::1])"),
           "gather3": gather_source(3, "void(float64[:, :, :], float64[::1])"),
           "gather0": gather_source(0, "void(int32[:], int32[::1])")}
    for f, args in progs:
        text = generate(xl.jit(f, device="interpreter").lower(*args).optimized, GPU).text
        out[str(zlib.crc32(text.encode()))] = text
    # float32 elementwise programs must compile to float32-only PTX (libdevice's expf, tanhf, ...)
    import xlaish.special as xsp
    y = np.ones(1 << 16, np.float32)
    f32 = [lambda x: np.tanh(((x * 1.5 + 2) * x - 0.5) / (1 + x * x)) * 3 + x,
           lambda x: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0),
           lambda x: (xsp.erf(x / 1.4142135) * 0.5 + 0.5, np.sqrt(np.abs(x)) / (x * x + 1),
                      np.exp2(x) - np.expm1(x) + np.log(np.abs(x) + 1) * np.cbrt(x), np.arctan2(x, x + 1)),
           lambda x: (x // 3, x % 2.5, np.rint(x), np.floor(x) + np.ceil(x), x ** 2.5)]
    for k, f in enumerate(f32):
        text = generate(xl.jit(f, device="interpreter").lower(y).optimized, GPU).text
        out[f"nof64_{k}"] = text
    return out


def test_generated_kernels_compile_to_ptx(tmp_path):
    sources = dict(PTX_SOURCES)
    sources.update(_corpus())
    for k, text in sources.items():
        (tmp_path / (f"{k}.py" if k.startswith("nof64_") else f"m{k}.py")).write_text(text)
    env = dict(os.environ)
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    jobs = str(max(1, min(4, os.cpu_count() or 1)))
    r = subprocess.run([sys.executable, "-m", "tests.cuda.ptx_check", str(tmp_path), jobs], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=900)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"ptx_check printed no summary:\n{r.stdout}\n{r.stderr[-4000:]}"
    summary = json.loads(lines[-1])
    if r.returncode == 77:
        pytest.skip(summary["skip"])
    assert r.returncode == 0 and not summary["failures"], json.dumps(summary["failures"], indent=1)[:20000]
    assert summary["modules"] == len(sources) and summary["kernels"] >= len(sources)
