"""Pickled jitted functions carry their object code: a fresh process runs them without LLVM.

Each check runs in a fresh interpreter (the receiving side must not share this process's caches);
the disk cache is off there, so a program that ran must have come from the pickle or from a
compile that ``xlaish.runtime.cpu.STATS`` counts.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import cloudpickle
import numpy as np

import xlaish as xl
from tests.dask import _funcs

ROOT = Path(__file__).resolve().parents[2]

_RECEIVER = r"""
import pickle, sys
import numpy as np
import xlaish.serialize as S
from xlaish.runtime import cpu
blob, x, g, mismatch = pickle.loads(sys.stdin.buffer.read())
if mismatch:   # pretend this machine has another CPU / xlaish version
    S.local_compile_key = lambda text: "another machine"
fs = [pickle.loads(blob) for _ in range(50)]
out = fs[-1](x, g) if g is not None else fs[-1](x)
sys.stdout.buffer.write(pickle.dumps((out, dict(cpu.STATS), dict(S.STATS), "numba" in sys.modules)))
"""


def _ship(blob, x, g=None, mismatch=False):
    env = dict(os.environ, XLAISH_CACHE_DIR="off",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    r = subprocess.run([sys.executable, "-c", _RECEIVER], input=pickle.dumps((blob, x, g, mismatch)),
                       capture_output=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr.decode()[-3000:]
    return pickle.loads(r.stdout)


def _inputs():
    rng = np.random.default_rng(0)
    return rng.standard_normal((6, 10)).astype(np.float32), rng.standard_normal(10).astype(np.float32)


def test_module_level_function_runs_without_llvm_in_a_fresh_process():
    x, g = _inputs()
    _funcs.centered_scaled(x, g)                       # compiled here
    out, cpu_stats, ser_stats, numba = _ship(pickle.dumps(_funcs.centered_scaled), x, g)
    np.testing.assert_allclose(out, (x - x.mean(-1, keepdims=True)) * g, rtol=1e-6, atol=1e-6)
    assert cpu_stats["llvm_compiles"] == 0
    assert ser_stats["loaded"] == 1                    # 50 unpickles, one object load
    assert not numba


def test_closure_pickles_with_cloudpickle_and_unpickles_from_the_memo():
    x, _ = _inputs()
    scale = np.float32(2.5)
    f = xl.jit(lambda a: np.tanh(a) * scale)
    f(x)
    out, cpu_stats, ser_stats, _ = _ship(cloudpickle.dumps(f), x)
    np.testing.assert_allclose(out, np.tanh(x) * scale, rtol=1e-6)
    assert cpu_stats["llvm_compiles"] == 0
    assert ser_stats["loaded"] == 1 and ser_stats["memo_hits"] == 49


def test_other_cpu_or_version_recompiles_correctly():
    x, g = _inputs()
    f = xl.jit(_funcs.layernorm_softmax)
    f(x, g)
    out, cpu_stats, ser_stats, _ = _ship(cloudpickle.dumps(f), x, g, mismatch=True)
    np.testing.assert_allclose(out, _funcs.layernorm_softmax(x, g), rtol=1e-5, atol=1e-6)
    assert ser_stats["loaded"] == 0 and ser_stats["mismatched"] >= 1
    assert cpu_stats["llvm_compiles"] == 1


def test_unpickled_copy_in_process_keeps_every_signature_and_stage():
    x, g = _inputs()
    f = xl.jit(_funcs.layernorm_softmax)
    f(x, g)
    f(x[:3], g)
    f2 = cloudpickle.loads(cloudpickle.dumps(f))
    assert len(f2._cache) == 2
    np.testing.assert_allclose(f2(x[:3], g), _funcs.layernorm_softmax(x[:3], g), rtol=1e-5, atol=1e-6)
    assert "fused" in f2.lower(x, g).as_text() and "exp" in f2.lower(x, g).as_text("traced")


def test_uncompiled_function_pickles_and_compiles_on_first_call():
    f = cloudpickle.loads(cloudpickle.dumps(xl.jit(lambda a: a * 2 + 1)))
    x, _ = _inputs()
    np.testing.assert_array_equal(f(x), x * 2 + 1)
