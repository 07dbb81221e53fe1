"""Diagnostics of compiles: the explanation of a recompile (``explain``, and the log under
``XLAISH_EXPLAIN_CACHE_MISSES=1``), the warning when a function compiles many signatures, and the
compile log (``XLAISH_LOG_COMPILES=1``, ``Lowered.compile_stats()``)."""
from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

import xlaish as xl
from xlaish.jit import RecompileWarning


@pytest.fixture(autouse=True)
def no_disk(monkeypatch):
    monkeypatch.setenv("XLAISH_CACHE_DIR", "off")


def _jit(f, **kw):
    return xl.jit(f, device="interpreter", **kw)


def test_explain_shape_and_dtype():
    f = _jit(lambda x, y: x + y)
    a = np.zeros(3, np.float32)
    assert "the first call compiles" in f.explain(a, a)
    f(a, a)
    assert "no compile" in f.explain(a, a)
    msg = f.explain(np.zeros(4, np.float32), a)
    assert "argument 'x': shape (3,) -> (4,)" in msg and "'y'" not in msg
    msg = f.explain(a, np.zeros(3, np.float64))
    assert "argument 'y': dtype float32 -> float64" in msg


def test_explain_weak_type():
    f = _jit(lambda x, s: x * s)
    x = np.ones(2)
    f(x, 2.0)
    msg = f.explain(x, np.float64(2.0))
    assert "argument 's': weak type: a Python float (weak type) -> an array (not weak)" in msg


def test_explain_static_value():
    f = _jit(lambda x, n: x * n, static_argnums=1)
    x = np.ones(2)
    f(x, 3)
    assert "static argument 'n': value 3 -> 4" in f.explain(x, 4)
    assert "static argument 'n': value 3 -> 3.0 (int -> float)" in f.explain(x, 3.0)


def test_explain_pytree_structure():
    f = _jit(lambda p: p[0] + p[1])
    x = np.ones(2)
    f((x, x))
    assert "argument 'p': pytree structure changed: a tuple of 2 -> a list of 2" in f.explain([x, x])
    g = _jit(lambda d: d["a"] * 2)
    g({"a": x})
    assert "a dict with keys ['a'] -> a dict with keys ['a', 'b']" in g.explain({"a": x, "b": x})


def test_explain_nested_leaf_names():
    f = _jit(lambda p: p["w"] * 2 + p["b"])
    x = np.ones(3)
    f({"w": x, "b": x})
    msg = f.explain({"w": np.ones(4), "b": x})
    assert "shape (3,) -> (4,)" in msg and "'p" in msg and "w" in msg


def test_explain_picks_the_closest_signature():
    f = _jit(lambda x: x + 1)
    f(np.zeros(3, np.float32))
    f(np.zeros(5, np.float64))
    msg = f.explain(np.zeros(5, np.float32))
    assert "2 compiled" in msg
    assert msg.count("argument 'x'") == 1          # one difference against one of them


def test_cache_misses_logged(monkeypatch, caplog):
    monkeypatch.setenv("XLAISH_EXPLAIN_CACHE_MISSES", "1")
    f = _jit(lambda x: x - 1)
    with caplog.at_level(logging.INFO, logger="xlaish.jit"):
        f(np.zeros(2))
        assert not [r for r in caplog.records if "compiling a new signature" in r.getMessage()]
        f(np.zeros(3))
        f(np.zeros(3))
    recs = [r for r in caplog.records if "compiling a new signature" in r.getMessage()]
    assert len(recs) == 1 and recs[0].name == "xlaish.jit"
    assert "argument 'x': shape (2,) -> (3,)" in recs[0].getMessage()


def test_cache_misses_not_logged_by_default(monkeypatch, caplog):
    monkeypatch.delenv("XLAISH_EXPLAIN_CACHE_MISSES", raising=False)
    monkeypatch.delenv("XLAISH_LOG_COMPILES", raising=False)
    f = _jit(lambda x: x - 2)
    with caplog.at_level(logging.DEBUG, logger="xlaish.jit"):
        f(np.zeros(2))
        f(np.zeros(3))
    assert not [r for r in caplog.records if r.name == "xlaish.jit"]


def test_recompile_warning_once(monkeypatch):
    monkeypatch.setenv("XLAISH_RECOMPILE_WARNING", "3")
    f = _jit(lambda x: x * 2)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for n in range(1, 8):
            np.testing.assert_array_equal(f(np.ones(n)), np.ones(n) * 2)
    rec = [x for x in w if issubclass(x.category, RecompileWarning)]
    assert len(rec) == 1
    assert "compiled 4 signatures" in str(rec[0].message)
    assert rec[0].filename == __file__           # points at the caller's line


def test_recompile_warning_off(monkeypatch):
    monkeypatch.setenv("XLAISH_RECOMPILE_WARNING", "0")
    f = _jit(lambda x: x * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RecompileWarning)
        for n in range(1, 20):
            f(np.ones(n))


STAGES = ("trace_s", "passes_s", "codegen_s", "llvm_optimize_s", "llvm_emit_s", "load_s", "backend_s",
          "total_s")


def test_compile_stats_cpu():
    f = xl.jit(lambda x, y: np.tanh(x) * y, disk_cache=False)
    x = np.linspace(0, 1, 8)
    st = f.lower(x, x).compile_stats()
    for k in STAGES:
        assert isinstance(st[k], float) and st[k] >= 0.0, k
    assert st["llvm_optimize_s"] > 0 and st["llvm_emit_s"] > 0
    assert st["total_s"] >= st["trace_s"] + st["passes_s"]
    assert st["disk_cache"] == "off" and st["device"] == "cpu"
    assert st["signature"] == "x: f64[8], y: f64[8]"
    assert "lambda" in st["function"]


def test_compile_stats_disk_cache_hit_and_miss(tmp_path, monkeypatch):
    monkeypatch.setenv("XLAISH_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("XLAISH_CACHE_KEY_FILE", str(tmp_path / "k"))
    from xlaish.runtime import cache
    cache.clear_memory()
    x = np.linspace(0, 1, 8)
    try:
        st1 = xl.jit(lambda x: np.exp(x) + 1.25).lower(x).compile_stats()
        st2 = xl.jit(lambda x: np.exp(x) + 1.25).lower(x).compile_stats()    # same program
    finally:
        cache.clear_memory()
    assert st1["disk_cache"] == "miss" and st2["disk_cache"] == "hit"
    assert st2["llvm_optimize_s"] == 0.0 and st2["llvm_emit_s"] == 0.0 and st2["load_s"] >= 0.0


def test_compile_stats_interpreter():
    st = _jit(lambda x: x + 1).lower(np.ones(2)).compile_stats()
    assert st["disk_cache"] is None and st["llvm_optimize_s"] == 0.0 and st["passes_s"] >= 0.0


def test_compile_log(monkeypatch, caplog):
    monkeypatch.setenv("XLAISH_LOG_COMPILES", "1")

    def scaled(x, k):
        return x * k
    f = xl.jit(scaled, static_argnames="k", disk_cache=False)
    with caplog.at_level(logging.INFO, logger="xlaish.jit"):
        np.testing.assert_array_equal(f(np.ones(3), k=2), np.ones(3) * 2)
        f(np.ones(3), k=2)
    recs = [r.getMessage() for r in caplog.records if r.name == "xlaish.jit"]
    assert len(recs) == 1
    msg = recs[0]
    assert "scaled(x: f64[3], k=2) for cpu" in msg
    for stage in ("trace", "passes", "llvm optimise", "llvm emit", "load", "disk cache off"):
        assert stage in msg, stage
