"""The benchmark harness: every implementation of every workload against NumPy at the tiny sizes,
the runner end to end on a tiny configuration, the report helpers, and ``xlaish demo``."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import backends, impls, models, report, runner, timing
from benchmarks.workloads import BY_NAME, TOLERANCES, WORKLOADS

ROOT = Path(__file__).resolve().parents[2]
CPU_IMPLS = ["xlaish", "xlaish-unfused", "numpy", "numexpr", "numba", "jax"]
ALWAYS = {"xlaish", "xlaish-unfused", "numpy", "jax"}      # run every workload (jax: the bench extra)


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


# --------------------------------------------------------------------------- correctness

@pytest.mark.parametrize("impl", CPU_IMPLS)
def test_every_implementation_matches_numpy_at_tiny_sizes(impl):
    """The one correctness check of the harness (``--check``), for every workload: ok, or n/a (no
    version) only for the separately written numexpr / Numba versions. In a fresh process, so
    that JAX's and Numba's threads never live in this one (later tests fork)."""
    if impl in ("numexpr", "numba"):
        pytest.importorskip(impl)
    r = subprocess.run([sys.executable, "-m", "benchmarks", "--check", "--tiny", "--impl", impl],
                       cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    lines = [line.split(None, 3) for line in r.stdout.splitlines()]
    assert {f[0] for f in lines} == set(BY_NAME) and {f[1] for f in lines} == {impl}, r.stdout + r.stderr
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    status = {f[0]: f[2] for f in lines}
    if impl in ALWAYS:
        assert set(status.values()) == {"ok"}, r.stdout
    else:
        assert set(status.values()) <= {"ok", "n/a"}, r.stdout
    if impl == "numba":            # the loop nests cover most workloads
        assert sum(s == "ok" for s in status.values()) >= 15, r.stdout


def test_check_all_reports_each_first_call():
    res = runner.check_all(["chain10", "mlp_train"], impls=impls.make_impls("cpu")[:3], mode="tiny")
    assert set(res) == {(w, i) for w in ("chain10", "mlp_train")
                        for i in ("xlaish", "xlaish-unfused", "numpy")}
    assert all(r["status"] == "ok" and r["max_abs_err"] < 1e-3 for r in res.values()), res


def test_baseline_versions_name_existing_kernels():
    from benchmarks import baselines
    kernels = {w.kernel for w in WORKLOADS}
    for versions, mod in ((baselines.numexpr_versions, "numexpr"), (baselines.numba_versions, "numba")):
        m = pytest.importorskip(mod)
        assert set(versions(m)) <= kernels, mod


def test_check_uses_the_tolerance_of_the_dtype():
    w = BY_NAME["chain10"]
    ref = np.ones(4, np.float32)
    rtol, _ = TOLERANCES["float32"]
    assert runner.check(ref * np.float32(1 + rtol / 4), ref, w)[0]
    assert not runner.check(ref * np.float32(1 + 10 * rtol), ref, w)[0]
    assert not runner.check(ref[:3], ref, w)[0]                         # shape
    assert not runner.check((ref, ref), ref, w)[0]                      # number of outputs
    assert w.tolerance(np.int64) == (0.0, 0.0)
    assert BY_NAME["black_scholes"].tolerance(np.float32) == (1e-3, 1e-3)


def test_workloads_are_consistent():
    rng = np.random.default_rng(0)
    for w in WORKLOADS:
        assert set(w.sizes) <= {"full", "quick", "tiny"} and "full" in w.sizes
        args = w.make_inputs(rng, **w.params("tiny"))
        assert all(a.dtype == np.float32 or a.dtype.kind == "i" for a in args), w.name
        assert all(np.any(a != 0) for a in args), w.name
        for out in impls.to_host(w.reference(*args)):
            assert out.dtype == np.float32, w.name
            assert np.all(np.isfinite(out)), w.name
    assert BY_NAME["chain10"].sizes["full"] == {"n": 10_000_000}
    assert BY_NAME["black_scholes"].sizes["full"] == {"n": 4_000_000}
    assert BY_NAME["softmax"].sizes["full"] == {"rows": 4096, "cols": 1024}
    assert BY_NAME["mlp_train"].params("full") == {"batch": 128}
    assert BY_NAME["mlp_infer_b1"].params("tiny") == {"batch": 1, "d_in": 784, "d_hidden": 256, "d_out": 10}


def test_namespaces_differ_only_where_libraries_do():
    np_ns = backends.numpy_backend()
    assert np_ns.tanh is np.tanh and np_ns.value_and_grad is None
    xl_ns = backends.xlaish_backend()
    assert xl_ns.module is np and xl_ns.value_and_grad is not None
    counts = np.zeros(3, np.float32)
    out = np_ns.add_at(counts, np.array([0, 0, 2]), np.float32([1, 2, 3]))
    assert out.tolist() == [3, 0, 3] and not counts.any()              # a copy, repeats accumulate
    # a workload needing autodiff has no NumPy-namespace version: NumPy runs its hand-written step
    w = BY_NAME["mlp_train"]
    assert impls.bind(w, np_ns) is None and w.numpy is models.mlp_step_numpy


def test_erf_approximation():
    x = np.linspace(-5, 5, 1001)
    assert np.max(np.abs(backends.erf_approx(x) - np.array([math.erf(v) for v in x]))) < 2e-7


# --------------------------------------------------------------------------- the runner

@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    r = subprocess.run([sys.executable, "-m", "benchmarks", "--mode", "tiny", "--only", "chain10",
                        "--only", "gather_xent,mlp_train", "--out", str(out), "--no-plot",
                        "--machine", "testbox"],
                       cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return out, r


def test_runner_writes_json_and_markdown(tiny_run):
    out, r = tiny_run
    jsons = list(out.glob("testbox-*-tiny.json"))
    mds = list(out.glob("testbox-*-tiny.md"))
    assert len(jsons) == 1 and len(mds) == 1
    data = json.loads(jsons[0].read_text())
    md = mds[0].read_text()
    assert [w["name"] for w in data["workloads"]] == ["chain10", "gather_xent", "mlp_train"]
    assert data["impls"] == CPU_IMPLS
    assert len(data["loadavg_before"]) == 3 and len(data["loadavg_after"]) == 3
    for w in data["workloads"]:
        res = w["results"]
        assert set(res) == set(CPU_IMPLS)
        for impl in ALWAYS:
            assert res[impl]["status"] == "ok", (w["name"], impl, res[impl])
            assert 0 < res[impl]["min_s"] <= res[impl]["median_s"]
            assert res[impl]["vs_numpy"] > 0 and res[impl]["vs_jax"] > 0
        for impl, v in res.items():
            assert v["status"] in ("ok", "n/a"), (impl, v)
            if v["status"] == "ok":
                assert v["median_s"] > 0 and v["gbs"] > 0
        assert w["bytes"] > 0 and len(w["loadavg"]) == 3 and w["tolerance"]["float32"]
    assert data["workloads"][2]["results"]["numba"]["status"] == "n/a"
    header = next(line for line in md.splitlines() if line.startswith("| workload | size"))
    for impl in CPU_IMPLS:
        assert f"| {impl} |" in header
    assert "xlaish × JAX" in header and "| numba × JAX |" in md
    assert "| chain10 |" in md and "| gather_xent |" in md and "| mlp_train |" in md
    assert data["copy_bandwidth"]["gbs"] > 0
    assert "OPENBLAS_CORETYPE" in data["machine"]["env"] or "OPENBLAS_CORETYPE" not in os.environ
    assert data["overhead"]["n"] == 10 and "numpy" in data["overhead"]["results"]
    assert data["first_call"]["times"]
    assert "chain10" in r.stdout and "wrote" in r.stdout and "load average" in r.stdout
    assert "[ 1/3]" in r.stderr                    # progress lines on stderr


def test_report_prints_the_readme_table_from_a_results_file(tiny_run, capsys):
    out, _ = tiny_run
    path = next(out.glob("testbox-*-tiny.json"))
    assert report.main([str(path)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("| workload | size | xlaish |") and "| mlp_train | batch=8 |" in text
    bad = out / "bad.json"
    bad.write_text("{}")
    assert report.main([str(bad)]) == 2


def test_runner_impl_and_unknown_names(tmp_path, capsys):
    assert runner.main(["--tiny", "--only", "sumsq", "--impl", "numpy", "--out", str(tmp_path),
                        "--no-plot", "--no-extras", "--machine", "m"]) == 0
    data = json.loads(next(tmp_path.glob("m-*.json")).read_text())
    assert data["impls"] == ["numpy"] and data["mode"] == "tiny"
    assert runner.main(["--only", "nope", "--out", str(tmp_path)]) == 2
    assert runner.main(["--impl", "nope", "--only", "sumsq", "--out", str(tmp_path)]) == 2
    assert "unknown" in capsys.readouterr().err


def test_cuda_mode_fails_cleanly_without_a_gpu(tmp_path):
    """Outside the simulator (the suite's default), on a machine without a GPU: a clear error."""
    env = dict(_env(), NUMBA_ENABLE_CUDASIM="0")
    r = subprocess.run([sys.executable, "-m", "benchmarks.gpu", "--tiny", "--only", "sumsq", "--impl",
                        "numpy", "--no-extras", "--no-plot", "--out", str(tmp_path)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    if r.returncode == 0:          # a real GPU: the run went through
        assert list(tmp_path.glob("*-tiny-cuda.json")), r.stdout
    else:
        assert r.returncode == 3 and "CUDA is unavailable" in r.stderr, r.stderr[-2000:]
        assert not list(tmp_path.iterdir())


def test_gpu_mode_on_the_simulator(tmp_path):
    """``python -m benchmarks.gpu`` is the same harness with the device implementations (here on
    Numba's CUDA simulator, which the suite enables): checked against NumPy, written out."""
    if runner.probe_cuda() is not None:
        pytest.skip("no CUDA backend (simulator off and no GPU)")
    from benchmarks import gpu
    assert gpu.main(["--tiny", "--only", "sumsq", "--impl", "xlaish-cuda,numpy", "--no-extras",
                     "--no-plot", "--out", str(tmp_path), "--machine", "g"]) == 0
    data = json.loads(next(tmp_path.glob("g-*-tiny-cuda.json")).read_text())
    assert data["device"] == "cuda" and data["impls"] == ["xlaish-cuda", "numpy"]
    for w in data["workloads"]:
        assert w["results"]["xlaish-cuda"]["status"] == "ok", w["results"]
        assert w["results"]["numpy"]["status"] == "ok" and w["results"]["xlaish-cuda"]["median_s"] > 0
    assert data["impl_notes"]["xlaish-cuda"] and "cupy" in impls.IMPL_NOTES


def test_interleaved_timing_and_report_helpers(tmp_path):
    calls = []
    st = timing.measure_interleaved({"a": (lambda: calls.append("a"), lambda o: o),
                                     "b": (lambda: calls.append("b"), lambda o: o)},
                                    budget_s=0.001, min_samples=3, max_samples=3, target_sample_s=0)
    assert set(st) == {"a", "b"} and st["a"].samples == st["b"].samples == 3
    assert calls[2:] == ["a", "b", "b", "a", "a", "b"]     # one calibration call each, then rotated rounds
    one = timing.measure(lambda: None, budget_s=0.001, min_samples=2, max_samples=3)
    assert one.samples >= 2 and 0 <= one.min_s <= one.median_s
    assert report.fmt_time(2.5e-6) == "2.5 µs" and report.fmt_time(0.0125) == "12.50 ms"
    p = report.output_paths(str(tmp_path), "x")
    (tmp_path / "x.json").write_text("{}")
    assert report.output_paths(str(tmp_path), "x")["json"].endswith("x-2.json")
    assert p["md"].endswith("x.md")
    assert timing.machine_name()


def test_demo_cli_prints_ir_and_report():
    r = subprocess.run([sys.executable, "-m", "xlaish.cli", "demo", "--size", "10000"], cwd=ROOT,
                       env=_env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = r.stdout
    assert "func @layernorm(" in out                 # the IR
    assert "fused" in out and "kernel0" in out       # the optimised IR / fusion report
    assert "unfused:" in out                         # the fusion report's unfused totals
    assert "NumPy" in out and "xlaish (fused)" in out and "ok" in out


def test_the_harness_keeps_jax_and_numba_threads_out_of_this_process():
    """The in-process tests above list the implementations without importing JAX (whose threads
    would make the suite's later fork tests unsafe): JAX is imported at its first build."""
    code = ("import sys; from benchmarks import impls, runner; impls.make_impls('cpu'); "
            "print('jax' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stdout + r.stderr[-2000:]
