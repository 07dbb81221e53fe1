"""Every op with the ``lapack`` trait, emitted directly, compiled for the CPU, against its registry
reference (the NumPy oracle of :mod:`xlaish.ir.ops.lapack`), both dtypes, batched and not, at a
size past the inline path (so the LAPACK kernel runs). A new LAPACK op fails here until it has
inputs and attrs below (sign-ambiguous vectors are compared with fixed signs)."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.ir import all_ops
from xlaish.ir.ops.lapack import LAPACK
from xlaish.trace.bind import emit, to_value, wrap

from .test_linalg import RTOL, close

LAPACK_OPS = sorted(n for n, od in all_ops().items() if od.has(LAPACK))


def _spd(rng, shape, dt):
    m = rng.standard_normal(shape)
    return (m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dt)


# op -> (inputs(rng, batch, dtype), [attrs], indices of results holding vectors (axis, paired))
N = 6
INPUTS = {
    "lu_solve": lambda r, b, dt: (_spd(r, b + (N, N), dt), r.standard_normal(b + (N, 3)).astype(dt)),
    "lu_slogdet": lambda r, b, dt: ((r.standard_normal(b + (N, N)) + N * np.eye(N)).astype(dt),),
    "cholesky": lambda r, b, dt: (_spd(r, b + (N, N), dt),),
    "eigh": lambda r, b, dt: (_spd(r, b + (N, N), dt),),
    "svd": lambda r, b, dt: (r.standard_normal(b + (N + 2, N)).astype(dt),),
    "svdvals": lambda r, b, dt: (r.standard_normal(b + (N, N + 1)).astype(dt),),
    "qr": lambda r, b, dt: (r.standard_normal(b + (N + 1, N)).astype(dt),),
}
ATTRS = {"eigh": [{"lower": True}, {"lower": False}], "svd": [{"full_matrices": True},
                                                           {"full_matrices": False}],
         "qr": [{"complete": True}, {"complete": False}]}


def _fix_signs(name, outs):
    """Vectors with a fixed sign (sign of the sum of cubes): eigh's v, svd's u/vt, qr's q/r."""
    def sg(v, axis):
        s = np.sign(np.sum(v ** 3, axis=axis, keepdims=True))
        return np.where(s == 0, 1, s).astype(v.dtype)
    outs = list(outs)
    if name == "eigh":
        outs[1] = outs[1] * sg(outs[1], -2)
    elif name == "svd":
        outs[0] = outs[0] * sg(outs[0], -2)
        outs[2] = outs[2] * sg(outs[2], -1)
    elif name == "qr":
        s = sg(outs[0], -2)
        outs[0] = outs[0] * s
        outs[1] = outs[1] * np.swapaxes(s, -1, -2)[..., : outs[1].shape[-2], :]
    return outs


def test_every_lapack_op_has_inputs():
    assert set(LAPACK_OPS) == set(INPUTS)


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", LAPACK_OPS)
def test_op_matches_reference(name, dt):
    od = all_ops()[name]
    rng = np.random.default_rng(0)
    for batch in [(), (2, 3)]:
        args = INPUTS[name](rng, batch, dt)
        for attrs in ATTRS.get(name, [{}]):
            def f(*xs, attrs=attrs):
                return tuple(wrap(v) for v in emit(name, [to_value(x) for x in xs], dict(attrs)))
            got = _fix_signs(name, xl.jit(f)(*args))
            exp = _fix_signs(name, od.evaluate(args, attrs))
            assert len(got) == len(exp)
            for i, (g, e) in enumerate(zip(got, exp)):
                close(g, e.astype(g.dtype) if e.dtype.kind == "i" else e, dt, f"{name} {attrs} result {i}")
    assert RTOL
