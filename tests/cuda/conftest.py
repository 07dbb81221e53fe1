"""The CUDA tests run on Numba's CUDA simulator (no GPU needed).

``NUMBA_ENABLE_CUDASIM=1`` must be set before numba is first imported; this
file does it at import (pytest imports it while collecting, before any test
runs; the CPU path and ``import xlaish`` never import numba). If numba was
imported earlier without it, every test here is skipped with that reason.

Fixtures:

``cuda_jit``  ``cuda_jit(f, **options)`` = ``xl.jit(f, device="cuda", **options)``;
              after the test, every program it compiled is regenerated for the
              real GPU target and its source saved for the PTX check
              (``test_ptx.py``, which runs after every other test here).
``rng``       a generator seeded from the test id.

Each test gets a private on-disk cache directory (``XLAISH_CACHE_DIR``).
The simulator's thread scheduling polls under the GIL; a short switch
interval makes its ``syncthreads`` much cheaper, so it is lowered while
these tests run.
"""
from __future__ import annotations

import os
import sys
import zlib

import numpy as np
import pytest

_NUMBA_WAS_IMPORTED = "numba" in sys.modules
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import xlaish as xl  # noqa: E402

PTX_SOURCES: dict[str, str] = {}     # key -> GPU-target module text, filled by cuda_jit


def simulator_on() -> bool:
    try:
        from xlaish.runtime.cuda import simulating
        return simulating()
    except Exception:
        return False


@pytest.fixture(autouse=True)
def _cuda_env(request, tmp_path_factory, monkeypatch):
    if not simulator_on():
        why = ("numba was imported before tests/cuda/conftest.py could set NUMBA_ENABLE_CUDASIM=1; "
               "run tests/cuda on their own") if _NUMBA_WAS_IMPORTED else \
            "NUMBA_ENABLE_CUDASIM is set to something other than 1 and no simulator is active"
        pytest.skip(why)
    monkeypatch.setenv("XLAISH_CACHE_DIR", str(tmp_path_factory.mktemp("xlcache")))
    yield


@pytest.fixture(scope="session", autouse=True)
def _fast_simulator():
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    yield
    sys.setswitchinterval(old)


def record_for_ptx(optimized_fn) -> None:
    """Keep the GPU-target source of a compiled program for the PTX check."""
    from xlaish.codegen.cuda import GPU, generate
    text = generate(optimized_fn, GPU).text
    PTX_SOURCES.setdefault(str(zlib.crc32(text.encode())), text)


class _Recorder:
    def __init__(self, fn):
        self.fn = fn
        self.calls = []

    def __call__(self, *args, **kwargs):
        out = self.fn(*args, **kwargs)
        self.calls.append((args, kwargs))
        return out

    def lower(self, *args, **kwargs):
        return self.fn.lower(*args, **kwargs)


@pytest.fixture
def cuda_jit():
    made = []

    def make(f, **options):
        r = _Recorder(xl.jit(f, device="cuda", **options))
        made.append(r)
        return r

    yield make
    for r in made:
        for args, kwargs in r.calls[:4]:
            try:
                low = r.fn.lower(*args, **kwargs)
            except Exception:     # a call that raised on purpose
                continue
            record_for_ptx(low.optimized)


@pytest.fixture
def rng(request):
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


def pytest_collection_modifyitems(session, config, items):
    """The PTX check compiles what the other CUDA tests generated: run it after them."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_ptx.py")
    last = [it for it in items if str(getattr(it, "path", "")) == here]
    if last:
        rest = [it for it in items if it not in last]
        items[:] = rest + last
