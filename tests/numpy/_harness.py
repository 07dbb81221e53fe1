"""One comparison for the NumPy-namespace tests: a function of arrays under jit against NumPy,
on the given arrays and on non-contiguous layouts of the first one (same compiled program)."""
from __future__ import annotations

import warnings

import numpy as np

import xlaish as xl

from ..helpers import assert_matches_numpy, layouts


def numpy_result(fn, *args):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)    # all-NaN slices, sqrt of negatives
        return fn(*args)


def _compare(got, expected, err):
    if isinstance(expected, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(expected), err
        for i, (g, e) in enumerate(zip(got, expected)):
            _compare(g, e, f"{err} result {i}")
    else:
        if isinstance(expected, (bool, int, float)):      # NumPy returns Python scalars here
            expected = np.asarray(expected)
        assert_matches_numpy(got, expected, err_msg=err)


def check(fn, *arrays, err="", with_layouts=True):
    jf = xl.jit(fn)
    _compare(jf(*arrays), numpy_result(fn, *arrays), err)
    first = np.asarray(arrays[0])
    if with_layouts and first.ndim >= 1 and first.size:
        for lname, view in layouts(first):
            if lname != "contiguous":
                _compare(jf(view, *arrays[1:]), numpy_result(fn, view, *arrays[1:]), f"{err} {lname}")
