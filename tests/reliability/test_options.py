"""Compile options are one typed, validated value that is part of the jit cache key; an
environment variable compiled into code (``XLAISH_DEBUG_NANS``) takes effect when it changes,
even after a function's first call."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import xlaish as xl
from xlaish import config
from xlaish.compiler import compile_traced
from xlaish.options import CompileOptions


def test_debug_nans_set_after_the_first_call_raises_on_the_next_nan(monkeypatch):
    monkeypatch.delenv("XLAISH_DEBUG_NANS", raising=False)
    f = xl.jit(lambda x: np.log(x) + 1)
    x = np.array([1.0, -2.0])
    with np.errstate(invalid="ignore"):
        ref = np.log(x) + 1
    np.testing.assert_array_equal(f(x), ref)        # NaN is a value: first call
    np.testing.assert_array_equal(f(x), ref)        # and on the fast path
    monkeypatch.setenv("XLAISH_DEBUG_NANS", "1")
    with pytest.raises(FloatingPointError, match="'log'"):
        f(x)
    with pytest.raises(FloatingPointError, match="'log'"):
        f(x)
    monkeypatch.setenv("XLAISH_DEBUG_NANS", "0")
    np.testing.assert_array_equal(f(x), ref)
    monkeypatch.delenv("XLAISH_DEBUG_NANS")
    np.testing.assert_array_equal(f(x), ref)


def test_debug_nans_env_change_reaches_lower(monkeypatch):
    monkeypatch.delenv("XLAISH_DEBUG_NANS", raising=False)
    f = xl.jit(lambda x: np.sqrt(x))
    x = np.array([4.0])
    assert f.lower(x).options.debug_nans is False
    monkeypatch.setenv("XLAISH_DEBUG_NANS", "1")
    assert f.lower(x).options.debug_nans is True


def test_explicit_debug_nans_option_ignores_the_environment(monkeypatch):
    monkeypatch.delenv("XLAISH_DEBUG_NANS", raising=False)
    f = xl.jit(lambda x: np.log(x), debug_nans=True)
    with pytest.raises(FloatingPointError, match="'log'"):
        f(np.array([-1.0]))
    monkeypatch.setenv("XLAISH_DEBUG_NANS", "1")
    g = xl.jit(lambda x: np.log(x), debug_nans=False)
    assert np.isnan(g(np.array([-1.0]))).all()


def test_options_are_frozen_typed_and_validated_once():
    o = CompileOptions(device="cpu", fuse=1, passes=["cse", "dce"])
    assert o.fuse is True and o.passes == ("cse", "dce")
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.device = "cuda"
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        xl.jit(lambda x: x, device="tpu")
    with pytest.raises(ValueError, match="unknown passes"):
        xl.jit(lambda x: x, passes=["no_such_pass"])
    with pytest.raises(TypeError, match="not the string"):
        xl.jit(lambda x: x, passes="cse")
    assert hash(o) == hash(CompileOptions(passes=("cse", "dce")))


def test_resolved_options_are_in_the_cache_key(monkeypatch):
    monkeypatch.delenv("XLAISH_DEBUG_NANS", raising=False)
    f = xl.jit(lambda x: x + 1)
    x = np.ones(3)
    a = f.lower(x)
    monkeypatch.setenv("XLAISH_DEBUG_NANS", "1")
    b = f.lower(x)
    assert a is not b and a.options != b.options
    monkeypatch.delenv("XLAISH_DEBUG_NANS")
    assert f.lower(x) is a            # back to the first entry: no recompile


def test_compile_traced_takes_options_or_a_mapping():
    fn = xl.make_ir(lambda x: x * 2)(np.ones(3))
    _, exe = compile_traced(fn, {"device": "interpreter", "fuse": True, "passes": None})
    np.testing.assert_array_equal(exe([np.ones(3)])[0], np.ones(3) * 2)
    _, exe = compile_traced(fn, CompileOptions(device="interpreter"))
    np.testing.assert_array_equal(exe([np.ones(3)])[0], np.ones(3) * 2)
    with pytest.raises(TypeError, match="unknown compile options"):
        compile_traced(fn, {"device": "cpu", "fusion": True})
    assert dict(CompileOptions())["device"] == "cpu"


def test_disk_cache_option_bypasses_the_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("XLAISH_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("XLAISH_CACHE_KEY_FILE", str(tmp_path.parent / "key-options"))
    f = xl.jit(lambda x: x * 7 - 3, disk_cache=False)
    x = np.arange(4.0)
    np.testing.assert_array_equal(f(x), x * 7 - 3)
    assert not list(tmp_path.rglob("*.xlc"))


def test_configure_overrides_runtime_settings(monkeypatch):
    monkeypatch.setenv("XLAISH_NUM_THREADS", "1")
    assert config.num_threads() == 1
    with config.override(num_threads=config.cpu_count()):
        assert config.num_threads() == config.cpu_count()
    assert config.num_threads() == 1
    with config.override(cache_dir=None):
        assert config.cache_dir() is None
    monkeypatch.setenv("XLAISH_CACHE_DIR", "/some/where")
    assert config.cache_dir() == "/some/where"
    with pytest.raises(TypeError, match="unknown setting"):
        config.configure(nans=True)
    with pytest.raises(ValueError, match="positive int"):
        config.configure(num_threads=0)
