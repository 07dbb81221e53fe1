"""Fixtures shared by the whole test suite.

``backend``: every op test runs twice, on ``"default"`` (plain ``xl.jit(f)``,
whatever the default device compiles to) and on ``"interpreter"``
(``xl.jit(f, device="interpreter")``, the reference semantics).

``jit``: ``jit(f, **options)`` builds the jitted function for the current
backend. At the end of the test every program it traced is checked: the
verifier accepts it, and the printer/parser round trip is exact
(``parse(str(f)) == f`` and ``str(parse(str(f))) == str(f)``).

``XLAISH_VERIFY=1`` is set for the whole suite: the pass pipeline runs the IR
verifier after every pass. ``NUMBA_ENABLE_CUDASIM=1`` is the default (set before
anything imports numba) so the CUDA simulator serves tests outside
``tests/cuda`` too (``tests/ops/test_ir_forms.py``); an explicit value is kept.
``XLAISH_RECOMPILE_WARNING=0``: the suite compiles one function for many signatures on
purpose (tests/trace/test_explain.py sets its own bound to test the warning).
"""
from __future__ import annotations

import os

os.environ.setdefault("XLAISH_VERIFY", "1")
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
os.environ.setdefault("XLAISH_RECOMPILE_WARNING", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import xlaish as xl  # noqa: E402
from xlaish.ir import parse, verify  # noqa: E402

try:  # keep hypothesis runs small and free of wall-clock deadlines (compilation is slow)
    from hypothesis import HealthCheck, settings

    settings.register_profile("xlaish", deadline=None, max_examples=40, print_blob=True,
                              suppress_health_check=[HealthCheck.too_slow,
                                                     HealthCheck.function_scoped_fixture])
    settings.load_profile("xlaish")
except ImportError:  # pragma: no cover
    pass

BACKENDS = ["default", "interpreter"]


def check_ir_round_trip(fn) -> None:
    """``fn`` verifies, and printing then parsing it gives the same function and text."""
    verify(fn)
    text = str(fn)
    back = parse(text)
    assert back == fn, f"parse(str(f)) != f for\n{text}\nparsed back as\n{back}"
    assert str(back) == text
    verify(back)


class _Recorder:
    """Wraps a JitFunction and remembers the arguments of its calls (to look up the traces)."""

    def __init__(self, fn):
        self.fn = fn
        self.calls = []

    def __call__(self, *args, **kwargs):
        out = self.fn(*args, **kwargs)
        if len(self.calls) < 8:
            self.calls.append((args, kwargs))
        return out

    def lower(self, *args, **kwargs):
        return self.fn.lower(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.fn, name)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def jit(backend):
    made: list[_Recorder] = []

    def make(f, **options):
        if backend == "interpreter":
            options.setdefault("device", "interpreter")
        r = _Recorder(xl.jit(f, **options))
        made.append(r)
        return r

    yield make
    seen = set()
    for r in made:
        for args, kwargs in r.calls:
            try:
                fn = r.fn.lower(*args, **kwargs).traced.function
            except Exception:  # a call that raised on purpose
                continue
            if id(fn) not in seen:
                seen.add(id(fn))
                check_ir_round_trip(fn)


@pytest.fixture
def rng(request):
    """A NumPy generator seeded from the test's id (reproducible, different per test)."""
    import zlib
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
