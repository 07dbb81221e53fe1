"""The pass manager: the default order, ``XLAISH_DUMP``, and ``jit(passes=[...])``."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.passes.pipeline import DEFAULT, OPTIMIZATIONS, run_pipeline

from ._util import assert_equals_numpy, trace

STAGES = list(dict.fromkeys(DEFAULT)) + ["fuse", "plan_buffers"]


def f(x):
    return np.tanh(x * 1 + (-0.0)) * np.tanh(x * 1 + (-0.0)) + np.exp(x).sum() * 0


X = np.linspace(-1, 1, 8, dtype=np.float32)


def _after_headers(err: str) -> list[str]:
    return [line.removeprefix("// ----- after ").removesuffix(" -----")
            for line in err.splitlines() if line.startswith("// ----- after ")]


def test_dump_all_prints_ir_after_each_pass(monkeypatch, capsys):
    monkeypatch.setenv("XLAISH_DUMP", "all")
    run_pipeline(trace(f, X))
    cap = capsys.readouterr()
    assert cap.out == ""
    names = _after_headers(cap.err)
    assert names == list(DEFAULT) + ["fuse", "dce", "plan_buffers"]
    assert cap.err.count("func @f(") == len(names)
    assert "fused" in cap.err and "buffers = " in cap.err


def test_dump_all_through_jit(monkeypatch, capsys):
    monkeypatch.setenv("XLAISH_DUMP", "all")
    low = xl.jit(f, device="interpreter").lower(X)
    err = capsys.readouterr().err
    assert set(STAGES) <= set(_after_headers(err))
    assert err.rstrip().endswith(str(low.optimized).rstrip())   # the last dump is the final IR


def test_dump_selected_passes(monkeypatch, capsys):
    monkeypatch.setenv("XLAISH_DUMP", "cse, fuse")
    run_pipeline(trace(f, X))
    assert _after_headers(capsys.readouterr().err) == ["cse", "fuse"]


def test_no_dump_by_default(monkeypatch, capsys):
    monkeypatch.delenv("XLAISH_DUMP", raising=False)
    run_pipeline(trace(f, X))
    assert capsys.readouterr().err == ""


def test_dump_reads_the_environment_at_each_call(monkeypatch, capsys):
    fn = trace(f, X)
    monkeypatch.setenv("XLAISH_DUMP", "all")
    run_pipeline(fn)
    assert _after_headers(capsys.readouterr().err)
    monkeypatch.setenv("XLAISH_DUMP", "")
    run_pipeline(fn)
    assert capsys.readouterr().err == ""


def test_jit_with_only_cse():
    low = xl.jit(f, passes=["cse"], device="interpreter").lower(X)
    text = low.as_text()
    assert text.count("tanh") == 1                 # cse merged the two tanh chains
    assert "multiply" in text                       # simplify did not run: x * 1 is still there
    assert_equals_numpy(low.optimized, f, X)
    full = xl.jit(f, device="interpreter").lower(X).as_text()
    assert full != text


def test_jit_with_no_optimisations_still_fuses():
    low = xl.jit(f, passes=[], device="interpreter").lower(X)
    assert all(op.name in ("fused", "constant") for op in low.optimized.ops)
    assert low.as_text().count("tanh") == 2
    assert_equals_numpy(low.optimized, f, X)


def test_run_pipeline_passes_subset_keeps_default_order(monkeypatch, capsys):
    monkeypatch.setenv("XLAISH_DUMP", "all")
    run_pipeline(trace(f, X), passes=["dce", "fold"])
    assert _after_headers(capsys.readouterr().err) == \
        ["canonicalize", "fold", "dce", "fuse", "dce", "plan_buffers"]


def test_bogus_pass_name_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown passes \['bogus'\].*known.*cse"):
        xl.jit(f, passes=["bogus"], device="interpreter").lower(X)
    with pytest.raises(ValueError, match="bogus"):
        run_pipeline(trace(f, X), passes=["cse", "bogus"])


def test_every_optimisation_is_in_the_default_order():
    assert set(OPTIMIZATIONS) == set(DEFAULT)
    assert DEFAULT[0] == "canonicalize"


@pytest.mark.parametrize("fuse", [True, False])
def test_default_pipeline_result_equals_numpy(fuse):
    low = xl.jit(f, fuse=fuse, device="interpreter").lower(X)
    assert_equals_numpy(low.optimized, f, X, bitwise=False)
    assert low.as_text("traced") == str(low.traced.function)
    with pytest.raises(ValueError):
        low.as_text("bogus")
