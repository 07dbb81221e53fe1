"""``benchmarks/random_normals.py`` on a tiny size: every implementation runs and is reported
(no timing is asserted)."""
from __future__ import annotations

from benchmarks.random_normals import main


def test_random_normals_benchmark_runs(capsys):
    rows = main(n=1000, rounds=1)
    assert {"xlaish.random.normal", "xlaish default_rng (jit)", "numpy default_rng"} <= set(rows)
    assert all(r["min_s"] > 0 and r["median_s"] >= r["min_s"] for r in rows.values())
    assert "float32 normals" in capsys.readouterr().out
