"""Every op of the registry has a numeric test path, derived from the registry itself.

Elementwise rows are tested by the registry-driven tests (``test_unary.py``,
``test_binary.py``, ``tests/cuda/test_ops.py``) with no edit; every other op is
tested against NumPy by the module its kind (trait) belongs to. A new op that fits
none of these fails here.
"""
from __future__ import annotations

import os

import pytest

from xlaish.ir import all_ops, groups
from xlaish.ir.opdef import CREATION, REDUCTION, REGION, SHAPE, SIDE_EFFECT
from xlaish.ir.ops.fft import FFT
from xlaish.ir.ops.indexing import INDEXING
from xlaish.ir.ops.lapack import LAPACK
from xlaish.ir.ops.scan import SCAN
from xlaish.ir.ops.sort import SORT

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)


def _module_for(name, od):
    """The test module that checks op ``name`` numerically (None: no path)."""
    if name in groups.UNARY or name in groups.BINARY:
        return os.path.join(HERE, "test_unary.py" if name in groups.UNARY else "test_binary.py")
    if name in ("select", "astype"):
        return os.path.join(HERE, "test_select_cast.py")
    if name in ("complex_part", "complex_pairs", "make_complex"):     # the complex boundary
        return os.path.join(TESTS, "complex")
    if name == "threefry2x32":                          # the bits of xlaish.random
        return os.path.join(TESTS, "random")
    if od.has(REDUCTION):
        return os.path.join(HERE, "test_reductions.py")
    if od.has(LAPACK):                                  # lu_solve, cholesky, eigh, svd, ...
        return os.path.join(TESTS, "linalg", "test_ops.py")
    if od.has(SCAN) or od.has(SORT):
        return os.path.join(HERE, "test_scan_sort.py")
    if od.has(SHAPE):
        return os.path.join(HERE, "test_shape.py")
    if od.has(CREATION):
        return os.path.join(HERE, "test_creation.py")
    if od.arity == 2 and not od.traits - {"pure"}:      # matmul: the one plain binary non-elementwise op
        return os.path.join(HERE, "test_linalg.py")
    if od.has(INDEXING):                                # gather, scatter, index_check
        return os.path.join(TESTS, "indexing")
    if od.has(FFT):
        return os.path.join(TESTS, "fft")
    if od.has(REGION) or od.has(SIDE_EFFECT):
        return None if name in groups.INLINED else os.path.join(TESTS, "trace")
    return None


@pytest.mark.parametrize("name", sorted(all_ops()))
def test_every_op_has_a_numeric_test_path(name):
    od = all_ops()[name]
    where = _module_for(name, od)
    if name in groups.INLINED:
        return        # never reaches a backend: canonicalize inlines it (tested in tests/passes)
    assert where is not None, f"op '{name}' has no numeric test path: add it to a registry-driven test"
    assert os.path.exists(where), where
