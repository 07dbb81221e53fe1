"""The CUDA runtime: device arrays in and out, caches, inspection, and clear errors."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import xlaish as xl
from tests.helpers import assert_matches_numpy, make_input
from xlaish.runtime import cuda as rt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(code, **env_changes):
    env = dict(os.environ)
    for k, v in env_changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def f_chain(x, y):
    return np.tanh(x * 2 + y) - y


def test_outputs_stay_on_device_and_convert_with_asarray(rng):
    from numba import cuda
    x = make_input(rng, (4, 9), np.float32, edges=False)
    y = make_input(rng, (9,), np.float32, edges=False)
    exe = xl.jit(f_chain, device="cuda").lower(x, y).executable
    (out,) = exe([x, y])
    assert not isinstance(out, np.ndarray)
    assert getattr(out, "__cuda_ndarray__", False) or hasattr(out, "__cuda_array_interface__")
    assert tuple(out.shape) == (4, 9)
    assert_matches_numpy(np.asarray(out), f_chain(x, y))
    assert_matches_numpy(out.copy_to_host(), f_chain(x, y))
    # device arrays go in without a copy to the host; strided ones are gathered on the device
    dx, dy = cuda.to_device(x), cuda.to_device(y)
    assert_matches_numpy(np.asarray(exe([dx, dy])[0]), f_chain(x, y))
    big = cuda.to_device(np.ascontiguousarray(np.repeat(x, 2, axis=1)))
    strided = big[:, ::2]
    assert not strided.is_c_contiguous()
    assert_matches_numpy(np.asarray(exe([strided, dy])[0]), f_chain(x, y))
    with pytest.raises(TypeError, match="traced for"):
        exe([cuda.to_device(x.astype(np.float64)), dy])


def test_out_arrays(rng):
    from numba import cuda
    x = make_input(rng, (4, 9), np.float32, edges=False)
    y = make_input(rng, (9,), np.float32, edges=False)
    exe = xl.jit(f_chain, device="cuda").lower(x, y).executable
    out = cuda.device_array((4, 9), np.float32)
    (got,) = exe([x, y], out=[out])
    assert got is out
    assert_matches_numpy(np.asarray(out), f_chain(x, y))
    with pytest.raises(TypeError, match="out="):
        exe([x, y], out=[cuda.device_array((4, 9), np.float64)])


def test_jit_accepts_device_arrays(rng):
    from numba import cuda
    x = make_input(rng, (3, 5), np.float32, edges=False)
    y = make_input(rng, (5,), np.float32, edges=False)
    got = xl.jit(f_chain, device="cuda")(cuda.to_device(x), cuda.to_device(y))
    assert_matches_numpy(np.asarray(got), f_chain(x, y))
    mixed = xl.jit(f_chain, device="cuda")(x, cuda.to_device(y))
    assert_matches_numpy(np.asarray(mixed), f_chain(x, y))


def test_jit_results_stay_on_device(rng):
    x = make_input(rng, (3, 5), np.float32, edges=False)
    got = xl.jit(lambda x: (x * 2, x.sum()), device="cuda")(x)
    assert hasattr(got[0], "__cuda_array_interface__") or getattr(got[0], "__cuda_ndarray__", False)
    assert_matches_numpy(np.asarray(got[0]), x * 2)
    assert_matches_numpy(np.asarray(got[1]), x.sum(), rtol=1e-6)


def test_cuda_source(rng):
    x = make_input(rng, (16,), np.float32, edges=False)
    low = xl.jit(lambda x: np.exp(-np.abs(x)) * 2, device="cuda").lower(x)
    src = low.cuda_source()
    assert "@kernel(" in src and "cuda.grid(1)" in src and "PLAN = [" in src
    assert "np.float32(m_exp(" in src
    with pytest.raises(ValueError, match="CUDA"):
        xl.jit(lambda x: x + 1, device="interpreter").lower(x).cuda_source()


def test_memory_and_disk_cache(rng, tmp_path, monkeypatch):
    monkeypatch.setenv("XLAISH_CACHE_DIR", str(tmp_path))
    x = make_input(rng, (33,), np.float32, edges=False)
    f = lambda x: np.sin(x) * 3 + x  # noqa: E731
    s0 = dict(rt.STATS)

    def fresh():            # every xl.jit(f) shares f's compiled signatures: start from none
        jf = xl.jit(f, device="cuda")
        jf.clear_cache()
        return jf
    exe1 = xl.jit(f, device="cuda").lower(x).executable
    assert rt.STATS["generated"] == s0["generated"] + 1 and rt.STATS["writes"] == s0["writes"] + 1
    files = [os.path.join(d, n) for d, _, ns in os.walk(tmp_path / "cuda") for n in ns if n.endswith(".py")]
    assert len(files) == 1
    with open(files[0]) as fh:
        assert fh.readline().startswith(rt.MAGIC)
    fresh().lower(x)                                    # same IR: the loaded module is reused
    assert rt.STATS["memory_hits"] == s0["memory_hits"] + 1
    rt._MODULES.clear()                                 # a new process: read from disk
    exe2 = fresh().lower(x).executable
    assert rt.STATS["disk_hits"] == s0["disk_hits"] + 1
    assert exe2.source == exe1.source
    assert_matches_numpy(np.asarray(exe2([x])[0]), f(x))
    # a corrupt entry is ignored and rewritten
    rt._MODULES.clear()
    with open(files[0], "a") as fh:
        fh.write("\nthis is not python\n")
    exe3 = fresh().lower(x).executable
    assert rt.STATS["corrupt"] >= s0["corrupt"] + 1
    assert rt.load_source(exe3.key) == exe3.source       # rewritten, valid again
    assert_matches_numpy(np.asarray(exe3([x])[0]), f(x))


def test_cache_off(rng, monkeypatch):
    monkeypatch.setenv("XLAISH_CACHE_DIR", "off")
    rt._MODULES.clear()
    x = make_input(rng, (7,), np.float32, edges=False)
    f = lambda x: x * 7 - 1  # noqa: E731
    assert_matches_numpy(np.asarray(xl.jit(f, device="cuda")(x)), f(x))


def test_unsupported_op_is_named_at_lowering():
    from xlaish.codegen.cuda import generate
    from xlaish.errors import UnsupportedError
    from xlaish.ir.core import Function, Op, Value
    from xlaish.ir.opdef import ELEMENTWISE, PURE, OpDef, get
    from xlaish.ir.types import TensorType
    t = TensorType((4,), np.dtype(np.float32))
    mystery = OpDef(name="mystery", arity=1, dtype_rule=lambda d, a: d[0], shape_rule=lambda s, a: s[0],
                    reference=lambda x: x, traits=frozenset({ELEMENTWISE, PURE}))
    p, r = Value(t, "in0"), Value(t)
    region = Function("kernel0", [p], [Op(mystery, [p], results=[r], loc="model.py:12")], [r])
    outer_p, outer_r = Value(t, "x"), Value(t)
    fn = Function("f", [outer_p], [Op(get("fused"), [outer_p], {"buffers": (-1,)}, [outer_r], [region])],
                  [outer_r])
    with pytest.raises(UnsupportedError, match=r"'mystery' \(at model.py:12\)"):
        generate(fn)


def test_registry_ops_all_lowered_on_cuda():
    """Every op in the registry has a CUDA lowering (the CUDA column of the op table)."""
    from xlaish.codegen.cuda.ops import covered
    from xlaish.ir.opdef import all_ops
    missing = [n for n in all_ops() if not covered(n)]
    assert not missing, f"ops without a CUDA lowering: {missing}"


def test_import_xlaish_and_cpu_jit_do_not_import_numba():
    r = _run("""
        import sys, numpy as np, xlaish as xl
        assert 'numba' not in sys.modules
        xl.jit(lambda x: x + 1)(np.ones(3))
        xl.jit(lambda x: x + 1, device="interpreter")(np.ones(3))
        print('numba' in sys.modules)
    """, NUMBA_ENABLE_CUDASIM=None)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_no_gpu_and_no_simulator_is_a_clear_error():
    r = _run("""
        import numpy as np, xlaish as xl
        try:
            xl.jit(lambda x: x * 2, device="cuda")(np.ones(3, np.float32))
        except xl.XlaishError as e:
            print("ERROR:", e)
    """, NUMBA_ENABLE_CUDASIM="0")
    assert r.returncode == 0, r.stderr
    if "ERROR:" not in r.stdout:
        pytest.skip("this machine has a GPU: device='cuda' works without the simulator")
    assert "needs an NVIDIA GPU (none found) or NUMBA_ENABLE_CUDASIM=1" in r.stdout


def test_debug_print_and_check(capsys):
    def f(x):
        xl.debug.print("total={}", x.sum())
        xl.debug.check(x > 0, "x must be positive")
        return x * 2
    j = xl.jit(f, device="cuda")
    assert_matches_numpy(np.asarray(j(np.ones(4, np.float32))), np.full(4, 2, np.float32))
    assert "total=4.0" in capsys.readouterr().out
    with pytest.raises(xl.CheckError, match="positive"):
        j(-np.ones(4, np.float32))


def test_debug_nans(monkeypatch):
    monkeypatch.setenv("XLAISH_DEBUG_NANS", "1")
    j = xl.jit(lambda x: np.log(x) * 2, device="cuda")
    assert_matches_numpy(np.asarray(j(np.ones(3, np.float32))), np.zeros(3, np.float32))
    with pytest.raises(FloatingPointError, match="log"):
        j(np.array([-1.0, 2.0, 3.0], np.float32))
