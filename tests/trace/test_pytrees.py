"""Pytrees: nested tuple/list/dict arguments and results of jitted functions."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from tests.helpers import assert_same_result, make_input
from xlaish.trace import pytree


def _tree(rng):
    return {
        "w": make_input(rng, (3, 4), np.float32, edges=False),
        "layers": [(make_input(rng, (4,), np.float64, edges=False), make_input(rng, (2,), np.int32)),
                   (make_input(rng, (), np.float32, edges=False), make_input(rng, (2, 2), np.int8))],
        "nested": {"b": make_input(rng, (3,), np.float16, edges=False),
                   "a": (make_input(rng, (1,), np.uint8),)},
    }


def _fn(params, x):
    w = params["w"]
    (v, i), (s, j) = params["layers"]
    out = {
        "y": x @ w,
        "pair": (np.sum(v) * s, i + j[0]),
        "list": [params["nested"]["b"] * 2, params["nested"]["a"][0] + 1],
        "none": None,
    }
    return out, [out["y"].sum()]


def test_nested_arguments_and_results(jit, rng):
    params = _tree(rng)
    x = make_input(rng, (2, 3), np.float32, edges=False)
    got = jit(_fn)(params, x)
    assert_same_result(got, _fn(params, x), rtol=1e-5, atol=1e-5)


def test_result_structures(jit, rng):
    x = make_input(rng, (3,), np.float64)
    for fn in [lambda x: (x,), lambda x: [x, x * 2], lambda x: {"b": x, "a": -x},
               lambda x: ((x, [x]), {"k": (x,)}), lambda x: (x, None, [None]), lambda x: [],
               lambda x: {}, lambda x: (x, 2.0), lambda x: [x, 1]]:
        got = jit(fn)(x)
        expected = fn(x)
        assert type(got) is type(expected)
        assert_same_result(_none_free(got), _none_free(expected))
        assert pytree.flatten(got)[1] == pytree.flatten(expected)[1]


def _none_free(t):
    leaves, tree = pytree.flatten(t)
    return leaves


def test_dict_key_order_does_not_matter(jit, rng):
    a, b = make_input(rng, (2,), np.float32), make_input(rng, (2,), np.float32)
    calls = []

    def f(d):
        calls.append(1)
        return d["a"] - d["b"]

    jf = jit(f)
    r1 = jf({"a": a, "b": b})
    r2 = jf({"b": b, "a": a})
    assert_same_result(r1, a - b)
    assert_same_result(r2, a - b)
    assert len(calls) == 1


def test_number_lists_are_array_leaves(jit):
    """A list of Python numbers is one array argument (as np.asarray would make it)."""
    fn = lambda x: x * 2  # noqa: E731
    for v in ([1.0, 2.0, 3.0], [[1, 2], [3, 4]], [True, False]):
        assert_same_result(jit(fn)(v), fn(np.asarray(v)))


def test_args_kwargs_and_defaults(jit, rng):
    x = make_input(rng, (3,), np.float32, edges=False)

    def f(a, *rest, scale=2.0, **extra):
        return a * scale + sum(rest) + extra.get("bias", 0)

    jf = jit(f)
    assert_same_result(jf(x), f(x))
    assert_same_result(jf(x, x, x), f(x, x, x))
    assert_same_result(jf(x, scale=np.float32(3)), f(x, scale=np.float32(3)))
    assert_same_result(jf(x, bias=x), f(x, bias=x))


def test_structure_change_retraces(jit, rng):
    x = make_input(rng, (3,), np.float32)
    calls = []

    def f(t):
        calls.append(1)
        return [a * 2 for a in (t if isinstance(t, (list, tuple)) else [t])]

    jf = jit(f)
    jf([x, x])
    jf((x, x))
    jf([x, x, x])
    jf([x, x])
    assert len(calls) == 3


def test_pytree_flatten_unflatten_round_trip():
    t = {"b": [1.0, np.ones(2)], "a": (None, {"z": (np.zeros(1),), "y": [[1, 2], [3, 4]]}), "c": []}
    leaves, tree = pytree.flatten(t)
    back = pytree.unflatten(tree, leaves)
    assert pytree.flatten(back)[1] == tree
    assert len(leaves) == tree.num_leaves
    # number lists are single leaves; dict entries come sorted by key
    assert any(isinstance(leaf, list) and leaf == [[1, 2], [3, 4]] for leaf in leaves)
    assert list(back) == ["a", "b", "c"]
    assert pytree.leaf_paths(tree, "t") == ["t_a_1_y", "t_a_1_z_0", "t_b_0", "t_b_1"]


def test_leaf_names_in_ir(rng):
    """IR parameters are named after their argument paths."""
    params = {"w": np.ones((2, 2), np.float32), "b": np.ones(2, np.float32)}
    fn = xl.make_ir(lambda params, x: x @ params["w"] + params["b"])(params, np.ones(2, np.float32))
    text = str(fn)
    assert "%params_w: f32[2,2]" in text and "%params_b: f32[2]" in text and "%x: f32[2]" in text


def test_unsupported_leaf_types(jit):
    with pytest.raises(xl.UnsupportedError, match="str"):
        jit(lambda d: d["x"])({"x": "hello"})
    with pytest.raises(xl.UnsupportedError, match="datetime64"):
        jit(lambda t: t[0])((np.ones(2, "datetime64[s]"),))
