"""Gradients of scans and sorts (and the NumPy functions on them) against central differences."""
import numpy as np
import pytest

from tests.autodiff.test_grad import check

RNG = np.random.default_rng(11)
W = RNG.uniform(0.5, 2.0, (3, 5))


@pytest.mark.parametrize("axis", [0, 1, None])
def test_cumsum(axis):
    x = RNG.uniform(-2, 2, (3, 5))
    w = W.reshape(-1) if axis is None else W
    check(lambda v: np.sum(np.cumsum(v * 1.5, axis=axis) * w), x)


@pytest.mark.parametrize("zeros", [0, 1, 2])
def test_cumprod_with_and_without_zeros(zeros):
    x = RNG.uniform(0.5, 1.5, (3, 5)) * RNG.choice([-1, 1], (3, 5))
    if zeros >= 1:
        x[0, 2] = x[2, 0] = 0.0
    if zeros == 2:
        x[0, 4] = 0.0                       # a second zero in row 0
    check(lambda v: np.sum(np.cumprod(v, axis=1) * W), x)


def test_running_max_min_and_accumulate():
    x = RNG.uniform(-2, 2, (3, 5))
    check(lambda v: np.sum(np.maximum.accumulate(v, axis=1) * W + np.minimum.accumulate(v, axis=0) * W), x)
    check(lambda v: np.sum(np.add.accumulate(v, axis=0) * W + np.cumulative_prod(v, axis=1) * W), x)
    check(lambda v: np.sum(np.nancumsum(v, axis=1) * W), x)


def test_sort_and_statistics():
    x = RNG.permutation(15).reshape(3, 5) * 0.37 - 2.0          # distinct values: differentiable
    check(lambda v: np.sum(np.sort(v, axis=1) * W), x)
    check(lambda v: np.sum(np.sort(v, axis=0) * W), x)
    check(lambda v: np.sum(np.sort(v * v, axis=None) * W.reshape(-1)), x)
    check(lambda v: np.sum(np.median(v, axis=1) * W[:, 0]) + np.median(v), x)
    check(lambda v: np.sum(np.quantile(v, [0.3, 0.8], axis=0) * W[:2]), x)
    check(lambda v: np.sum(np.percentile(v, 40, axis=1)) + np.sum(np.partition(v, 2, axis=1)[:, :2]), x)
    check(lambda v: np.sum(np.nanmedian(v, axis=1) * W[:, 0]), x)


def test_unwrap():
    x = np.cumsum(RNG.uniform(-2.5, 2.5, 12))
    check(lambda v: np.sum(np.unwrap(v) * np.arange(12.0)), x)
