"""Pytrees and static arguments: a layernorm whose parameters come in a dict
and whose ``eps`` is a compile-time constant.

Dicts, lists and tuples of arrays are flattened into separate arguments;
``static_argnames`` values become part of the cache key (a new value
recompiles). Run: ``python examples/layernorm_params.py``.
"""
from functools import partial

import numpy as np

import xlaish as xl


@partial(xl.jit, static_argnames=("eps",))
def layernorm(x, params, eps=1e-5):
    mean = np.mean(x, axis=-1, keepdims=True)
    xc = x - mean
    var = np.mean(xc * xc, axis=-1, keepdims=True)
    return xc / np.sqrt(var + eps) * params["gamma"] + params["beta"]


def main(rows=512, cols=1024):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, cols), dtype=np.float32)
    params = {"gamma": rng.standard_normal(cols, dtype=np.float32),
              "beta": rng.standard_normal(cols, dtype=np.float32)}

    y = layernorm(x, params)                 # eps=1e-5: compiled once
    y2 = layernorm(x, params, eps=1e-3)      # another static value: compiled again
    with xl.disable_jit():                   # plain NumPy (print/pdb work inside)
        ref = layernorm(x, params)
    print(f"max |jit - numpy| = {np.max(np.abs(y - ref)):.2e}; eps=1e-3 differs by "
          f"{np.max(np.abs(y2 - y)):.2e}")
    print(layernorm.lower(x, params).fusion_report())
    assert np.allclose(y, ref, rtol=1e-4, atol=1e-4)


if __name__ == "__main__":
    main()
