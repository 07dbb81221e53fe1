"""NumPy's public namespace, walked: every function is supported (and exercised by a test against
NumPy) or listed with its reason in ``xlaish.numpy.coverage.NOT_SUPPORTED``."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from xlaish.ir import all_ops
from xlaish.numpy import coverage

TESTS = Path(__file__).resolve().parents[1]


def test_every_numpy_name_is_classified():
    assert coverage.classify()["unclassified"] == []


def test_the_not_supported_table_is_honest():
    names = set(coverage.public_names())
    listed = [n for ns in coverage.NOT_SUPPORTED.values() for n in ns]
    assert len(listed) == len(set(listed)), "a name is listed under two reasons"
    assert not [n for n in listed if n not in names], "listed names NumPy does not have"
    assert not [n for n in listed if coverage.is_supported(n)], "listed as unsupported but supported"


def test_every_supported_name_is_exercised_by_a_test():
    """Supported ufuncs with an op are covered by the registry-driven op tests; every other
    supported name must be called as ``np.<name>`` / ``np.linalg.<name>`` in some test."""
    text = "\n".join(p.read_text() for p in TESTS.rglob("test_*.py"))
    ops = set(all_ops())
    missing = []
    for name in coverage.classify()["supported"]:
        obj = coverage._numpy_object(name)
        if isinstance(obj, np.ufunc) and obj.__name__ in ops:
            continue
        spelled = "np." + name          # np.<name>, np.linalg.<name>, np.fft.<name>
        if not re.search(re.escape(spelled) + r"\b", text):
            missing.append(name)
    assert missing == []
