"""The benchmark runner on a tiny configuration, and ``xlaish demo``."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import report, runner, timing
from benchmarks.workloads import BY_NAME, WORKLOADS

ROOT = Path(__file__).resolve().parents[2]


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    r = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--tiny", "--only", "chain10",
                        "--only", "sumsq", "--out", str(out), "--no-plot", "--machine", "testbox"],
                       cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return out, r


def test_runner_writes_json_and_markdown(tiny_run):
    out, r = tiny_run
    jsons = list(out.glob("testbox-*-tiny.json"))
    mds = list(out.glob("testbox-*-tiny.md"))
    assert len(jsons) == 1 and len(mds) == 1
    data = json.loads(jsons[0].read_text())
    md = mds[0].read_text()
    assert [w["name"] for w in data["workloads"]] == ["chain10", "sumsq"]
    expected = ["xlaish", "xlaish-unfused", "numpy", "numexpr", "numba", "jax"]
    assert data["impls"] == expected
    for w in data["workloads"]:
        assert set(w["results"]) == set(expected)
        assert w["results"]["numpy"]["status"] == "ok" and w["results"]["numpy"]["median_s"] > 0
        for impl, res in w["results"].items():
            assert res["status"] in ("ok", "mismatch", "error", "n/a", "unavailable"), (impl, res)
            if res["status"] == "ok":
                assert res["median_s"] > 0 and res["gbs"] > 0
        assert w["bytes"] > 0
    header = next(line for line in md.splitlines() if line.startswith("| workload | size"))
    for impl in expected:
        assert f"| {impl} |" in header
    assert "| chain10 |" in md and "| sumsq |" in md
    assert data["copy_bandwidth"]["gbs"] > 0
    assert "OPENBLAS_CORETYPE" in data["machine"]["env"] or "OPENBLAS_CORETYPE" not in os.environ
    assert data["overhead"]["n"] == 10 and "numpy" in data["overhead"]["results"]
    assert data["first_call"]["times"]
    assert "chain10" in r.stdout and "wrote" in r.stdout
    assert "[" in r.stderr and "/" in r.stderr          # progress lines on stderr


def test_runner_impl_and_unknown_names(tmp_path, capsys):
    assert runner.main(["--tiny", "--only", "sumsq", "--impl", "numpy", "--out", str(tmp_path),
                        "--no-plot", "--no-extras", "--machine", "m"]) == 0
    data = json.loads(next(tmp_path.glob("m-*.json")).read_text())
    assert data["impls"] == ["numpy"]
    assert runner.main(["--only", "nope", "--out", str(tmp_path)]) == 2
    assert runner.main(["--impl", "nope", "--only", "sumsq", "--out", str(tmp_path)]) == 2
    assert "unknown" in capsys.readouterr().err


def test_runner_cuda_fails_cleanly_without_cuda(tmp_path, capsys):
    err = runner.probe_cuda()
    if err is None:
        pytest.skip("a working CUDA backend is present")
    assert runner.main(["--device", "cuda", "--tiny", "--out", str(tmp_path)]) != 0
    assert "CUDA is unavailable" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_workloads_are_consistent():
    rng = np.random.default_rng(0)
    for w in WORKLOADS:
        assert set(w.sizes) <= {"full", "quick", "tiny"} and "full" in w.sizes
        params = w.sizes.get("tiny") or w.sizes["quick"]
        args = w.make_inputs(rng, **params)
        assert all(a.dtype == np.float32 or (a.dtype.kind == "i" and "indexing" in w.tags)
                   for a in args), w.name      # index arrays: integers
        assert all(np.any(a != 0) for a in args), w.name
        for out in runner._as_list(w.numpy(*args)):
            assert out.dtype == np.float32, w.name
            assert np.all(np.isfinite(out)), w.name
    assert BY_NAME["chain10"].sizes["full"] == {"n": 10_000_000}
    assert BY_NAME["black_scholes"].sizes["full"] == {"n": 4_000_000}
    assert BY_NAME["softmax"].sizes["full"] == {"rows": 4096, "cols": 1024}


def test_numexpr_versions_match_numpy():
    ne = pytest.importorskip("numexpr")
    from benchmarks.baselines import numexpr_versions
    rng = np.random.default_rng(1)
    for name, fn in numexpr_versions(ne).items():
        w = BY_NAME[name]
        args = w.make_inputs(rng, **w.sizes["tiny"])
        out, ref = fn(*args), w.numpy(*args)
        ok, err = runner.check(out, ref, w.rtol, w.atol)
        assert ok, (name, err)
        assert all(o.dtype == np.float32 for o in runner._as_list(out)), name


def test_erf_approximation():
    from benchmarks.workloads import erf_approx
    x = np.linspace(-5, 5, 1001)
    import math
    assert np.max(np.abs(erf_approx(x) - np.array([math.erf(v) for v in x]))) < 2e-7


def test_measure_and_report_helpers(tmp_path):
    st = timing.measure(lambda: None, budget_s=0.001, min_samples=2, max_samples=3)
    assert st.samples >= 2 and st.median_s >= 0
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
