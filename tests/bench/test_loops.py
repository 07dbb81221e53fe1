"""The loop-kernel benchmark (``python -m benchmarks.loops``) on its tiny sizes: every kernel runs
through NumPy, xlaish and Numba from one source, and xlaish's results equal NumPy's."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks import loops
from benchmarks.loop_kernels import KERNELS

pytest.importorskip("numba")


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_tiny_kernel_runs_and_matches_numpy(name):
    r = loops.bench_kernel(name, "tiny", np.random.default_rng(0), only={"xlaish", "numba"})
    assert set(r["impls"]) == {"numpy", "xlaish", "numba"}
    for impl, v in r["impls"].items():
        assert v["max_rel_err"] < 1e-12, (impl, v["max_rel_err"])
        assert v["run_s"] > 0


def test_markdown_reports_every_kernel():
    r = {"machine": {"cpu": "cpu", "cores": 2}, "date": "d", "load_before": [0], "load_after": [0],
         "kernels": {"trisolv": loops.bench_kernel("trisolv", "tiny", np.random.default_rng(1),
                                                   only={"xlaish"})}}
    md = loops.to_markdown(r)
    assert "| trisolv | n=40 | xlaish |" in md and "| trisolv | n=40 | numpy |" in md
