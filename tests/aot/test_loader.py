"""``xl.aot.load``: the exported libraries called from Python through ctypes, without
tracing or LLVM; argument checking; pytrees; dtypes; threads; the CPU-feature check."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import xlaish as xl
import xlaish.aot as aot

from . import workloads
from .conftest import SPECS
from .test_c_program import tol

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FRESH = r"""
import json, sys
import numpy as np
import xlaish.aot as aot
d = sys.argv[1]
report = {}
for name, nin in (("chain10", 1), ("softmax", 1), ("black_scholes", 5)):
    g = aot.load(f"{d}/lib{name}.so")
    m = g.manifest
    ins = [np.fromfile(f"{d}/{name}_in{k}.bin", dtype=m["args"][k]["dtype"]).reshape(m["args"][k]["shape"])
           for k in range(nin)]
    out = g(*ins)
    outs = out if isinstance(out, tuple) else (out,)
    for k, o in enumerate(outs):
        np.save(f"{d}/{name}_py{k}.npy", o)
    report[name] = type(out).__name__
report["llvmlite"] = sorted(m for m in sys.modules if m.split(".")[0] == "llvmlite")
report["codegen"] = sorted(m for m in sys.modules if m.startswith(("xlaish.codegen", "xlaish.passes",
                                                                    "xlaish.aot.llvmgen")))
print(json.dumps(report))
"""


def test_load_in_fresh_process_without_llvmlite(exported):
    d = exported["dir"]
    cp = subprocess.run([sys.executable, "-c", FRESH, str(d)], capture_output=True, text=True,
                        cwd=ROOT, timeout=60)
    assert cp.returncode == 0, cp.stderr
    report = json.loads(cp.stdout.strip().splitlines()[-1])
    assert report["llvmlite"] == [], "loading and calling an exported library imported llvmlite"
    assert report["codegen"] == []
    assert report["chain10"] == "ndarray" and report["black_scholes"] == "tuple"
    for name in SPECS:
        for k, ref in enumerate(exported["refs"][name]):
            got = np.load(d / f"{name}_py{k}.npy")
            assert got.dtype == ref.dtype and got.shape == ref.shape
            np.testing.assert_allclose(got, ref, **tol(name, ref.dtype), err_msg=f"{name} output {k}")


@pytest.fixture(scope="module")
def fns(exported):
    return {n: aot.load(p.library) for n, p in exported["paths"].items()}


def test_same_results_as_jit(fns, exported):
    """Same values as xl.jit (within the NumPy tolerances: the JIT targets the host CPU, the
    library's chosen variant, so vector widths and FMA contraction may differ in the last bits)."""
    for name in SPECS:
        ins = exported["inputs"][name]
        got = fns[name](*ins)
        want = xl.jit(getattr(workloads, name))(*ins)
        got, want = (got, want) if isinstance(got, tuple) else ((got,), (want,))
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_allclose(g, w, **tol(name, g.dtype))


def test_wrong_shape_raises_value_error_naming_argument(fns):
    with pytest.raises(ValueError, match=r"argument x .*shape \(1000,\).*\(999,\)"):
        fns["chain10"](np.zeros(999, np.float32))
    good = [np.ones(100_000, workloads.BS_DTYPE)] * 5
    with pytest.raises(ValueError, match=r"argument T\b"):
        fns["black_scholes"](good[0], good[1], np.ones(10, workloads.BS_DTYPE), good[3], good[4])
    with pytest.raises(ValueError, match=r"argument x .*\(512, 256\)"):
        fns["softmax"](np.ones((256, 512), np.float32))


def test_wrong_dtype_raises_type_error_naming_argument(fns):
    with pytest.raises(TypeError, match=r"argument x must have dtype float32, got float64"):
        fns["chain10"](np.ones(1000))
    good = np.ones(100_000, workloads.BS_DTYPE)
    with pytest.raises(TypeError, match=r"argument sigma must have dtype float(64|32), got int64"):
        fns["black_scholes"](good, good, good, good, np.ones(100_000, np.int64))
    with pytest.raises(TypeError, match=r"argument x"):
        fns["chain10"]("not an array")


def test_wrong_argument_count_raises_type_error(fns):
    with pytest.raises(TypeError, match=r"takes 1 argument \(x\) but 2 were given"):
        fns["chain10"](np.ones(1000, np.float32), np.ones(1000, np.float32))
    with pytest.raises(TypeError, match=r"missing 1 required argument: 'x'"):
        fns["chain10"]()
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'y'"):
        fns["chain10"](x=np.ones(1000, np.float32), y=1)
    x = np.ones(1000, np.float32)
    np.testing.assert_array_equal(fns["chain10"](x=x), fns["chain10"](x))


def test_non_contiguous_and_list_inputs(fns, exported):
    x = exported["inputs"]["chain10"][0]
    wide = np.zeros((1000, 3), np.float32)
    wide[:, 1] = x
    view = wide[:, 1]
    assert not view.flags.c_contiguous
    np.testing.assert_array_equal(fns["chain10"](view), fns["chain10"](x))
    np.testing.assert_array_equal(fns["chain10"](x.tolist()), fns["chain10"](x))


def test_threads_share_a_library(fns, exported):
    base = exported["inputs"]["softmax"][0]
    xs = [np.roll(base, k, axis=0) for k in range(8)]
    want = [fns["softmax"](x) for x in xs]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(fns["softmax"], xs * 3))
    for k, g in enumerate(got):
        np.testing.assert_array_equal(g, want[k % 8])


def mixed(params, x, flags, h):
    y = x @ params["w"] + params["b"]
    total = y.sum()
    return {"y": y, "stats": (total, x), "masked": np.where(flags, h, h * 2), "k": 3.0,
            "count": flags.astype(np.int32).sum()}


def test_pytrees_dtypes_and_scalars(tmp_path, cc):
    rng = np.random.default_rng(1)
    params = {"w": rng.normal(size=(4, 3)), "b": rng.normal(size=3)}
    x = rng.normal(size=(5, 4))
    flags = rng.random(6) < 0.5
    h = rng.normal(size=6).astype(np.float16)
    p = aot.export(mixed, (params, x, flags, h), out_dir=str(tmp_path), name="mixed")
    hdr = open(p.header).read()
    assert ("int mixed(const double *arg0, const double *arg1, const double *arg2, const bool *arg3, "
            "const uint16_t *arg4, int64_t *out0, double *out1, uint16_t *out2, double *out3, "
            "double *out4, double *out5);") in hdr
    for path in ("params['b']", "params['w']", "flags", "result['stats'][0]", "result['stats'][1]"):
        assert path in hdr
    assert "float16 values are passed as uint16_t" in hdr
    m = json.load(open(p.manifest))
    assert m["arg_names"] == ["params", "x", "flags", "h"]
    assert m["in_tree"]["children"][0] == {"kind": "dict", "keys": ["b", "w"],
                                           "children": [{"kind": "leaf"}, {"kind": "leaf"}]}
    g = aot.load(p.library)
    got = g(params, x, flags, h)
    want = mixed(params, x, flags, h)
    assert sorted(got) == sorted(want)
    np.testing.assert_allclose(got["y"], want["y"], rtol=1e-12)
    assert isinstance(got["stats"], tuple) and isinstance(got["stats"][0], np.float64)
    np.testing.assert_allclose(got["stats"][0], want["stats"][0], rtol=1e-12)
    np.testing.assert_array_equal(got["stats"][1], x)            # a result that is an argument
    np.testing.assert_array_equal(got["masked"], want["masked"])
    assert got["masked"].dtype == np.float16
    assert got["k"] == 3.0 and isinstance(got["k"], np.floating)  # a constant result
    assert got["count"] == want["count"] and got["count"].dtype == want["count"].dtype == np.int64
    with pytest.raises(TypeError, match=r"argument params: expected a dict with keys \['b', 'w'\]"):
        g({"w": params["w"]}, x, flags, h)
    with pytest.raises(ValueError, match=r"argument params\['w'\] must have shape \(4, 3\)"):
        g({"w": params["w"].T, "b": params["b"]}, x, flags, h)
    with pytest.raises(TypeError, match=r"argument h must have dtype float16"):
        g(params, x, flags, h.astype(np.float32))
    with pytest.raises(TypeError, match=r"argument flags must have dtype bool"):
        g(params, x, flags.astype(np.uint8), h)


def scale(x, k):
    return x * k


def test_python_scalar_arguments(tmp_path, cc):
    p = aot.export(scale, (xl.ShapeDtype((3,), "f32"), 2.0), out_dir=str(tmp_path), name="scale")
    g = aot.load(p.library)
    assert g.manifest["args"][1]["weak"] == "float"
    x = np.arange(3, dtype=np.float32)
    np.testing.assert_array_equal(g(x, 2.5), x * 2.5)
    np.testing.assert_array_equal(g(x, 3), x * 3)
    with pytest.raises(TypeError, match=r"argument k must be float64, got a Python str|argument k"):
        g(x, "2")


RC_PROGRAM = r"""
#include <stdio.h>
#include "needs.h"
int main(void) {
    float x[3] = {1, 2, 3}, k = 2, y[3];
    int rc = needs(x, &k, y), rc2 = needs(x, &k, y);
    printf("%d %d\n", rc, rc2);
    return rc == NEEDS_ERR_CPU && rc2 == NEEDS_ERR_CPU ? 0 : 1;
}
"""


def test_cpu_feature_check_returns_error_code(tmp_path, cc):
    import llvmlite.binding as llvm
    missing = [f for f in ("xop", "fma4", "tbm") if f"+{f}" not in llvm.get_host_cpu_features().flatten()
               .split(",")]
    if not missing:
        pytest.skip("this CPU has every feature used to provoke the check")
    p = aot.export(scale, (xl.ShapeDtype((3,), "f32"), xl.ShapeDtype((), "f32")), out_dir=str(tmp_path),
                   name="needs", features=f"+{missing[0]}")
    g = aot.load(p.library)
    assert missing[0] in g.manifest["target"]["features_required"]
    for _ in range(2):          # the verdict is memoised: the second call fails the same way
        with pytest.raises(aot.CpuFeatureError, match=missing[0]):
            g(np.ones(3, np.float32), np.float32(2))
    src = tmp_path / "rc.c"
    src.write_text(RC_PROGRAM)
    exe = tmp_path / "rc"
    subprocess.run(cc + [f"-I{tmp_path}", str(src), f"-L{tmp_path}", "-lneeds", f"-Wl,-rpath,{tmp_path}",
                         "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "1 1"


def test_host_target(tmp_path, cc):
    p = aot.export(scale, (xl.ShapeDtype((100,), "f64"), xl.ShapeDtype((), "f64")), out_dir=str(tmp_path),
                   name="hosted", target="host")
    g = aot.load(p.library)
    t = g.manifest["target"]
    assert t["name"] == "host" and t["cpu"] not in ("x86-64-v3", "generic")
    x = np.linspace(0, 1, 100)
    np.testing.assert_array_equal(g(x, 3.0), x * 3.0)


def checked_sqrt(x):
    xl.debug.check(x >= 0, "x must be non-negative")
    xl.debug.print("x = {}", x)           # no callback in a library: compiled away
    return np.sqrt(x)


def test_debug_check_becomes_return_code(tmp_path, cc):
    p = aot.export(checked_sqrt, (xl.ShapeDtype((4,), "f64"),), out_dir=str(tmp_path), name="checked_sqrt")
    g = aot.load(p.library)
    assert g.manifest["checks"] == ["x must be non-negative"]
    hdr = open(p.header).read()
    assert "#define CHECKED_SQRT_ERR_CHECK 1000" in hdr and '1000: "x must be non-negative"' in hdr
    np.testing.assert_array_equal(g(np.array([0.0, 1, 4, 9])), [0, 1, 2, 3])
    with pytest.raises(xl.CheckError, match="x must be non-negative"):
        g(np.array([1.0, -1, 4, 9]))


def test_load_by_manifest_or_export_directory(exported, tmp_path, cc):
    """load() takes the library, its JSON manifest, or the directory it was exported to (when
    that holds one export; several need name=)."""
    name = next(iter(SPECS))
    p = exported["paths"][name]
    ins = exported["inputs"][name]
    want = aot.load(p.library)(*ins)
    one = tmp_path / "one"
    aot.export(getattr(workloads, name), SPECS[name], out_dir=str(one), name=name)
    for where in (p.manifest, str(one)):
        got = aot.load(where)(*ins)
        gots = got if isinstance(got, tuple) else (got,)
        for g, w in zip(gots, want if isinstance(want, tuple) else (want,)):
            np.testing.assert_array_equal(g, w)
    with pytest.raises(ValueError, match="several exports"):
        aot.load(str(exported["dir"]))
    assert aot.load(str(exported["dir"]), name=name).name == name
    with pytest.raises(ValueError, match="no lib"):
        aot.load(str(tmp_path))


def test_python_int_argument_out_of_range_raises(tmp_path, cc):
    x = np.arange(3, dtype=np.int8)
    p = aot.export(lambda x, k: x * k, (xl.ShapeDtype((3,), "int8"), 5), out_dir=str(tmp_path), name="r6")
    lib = aot.load(p.library)
    np.testing.assert_array_equal(lib(x, 5), x * 5)
    with pytest.raises(OverflowError, match="argument k: Python integer 300 out of bounds for int8"):
        lib(x, 300)
