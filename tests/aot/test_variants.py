"""One library, several CPU levels: the default export holds the program compiled for x86-64-v2,
v3 and v4 and runs the best one the CPU supports; ``XLAISH_AOT_VARIANT`` forces one, also in a
plain C program (the library reads it with getenv at its first call); below the floor (simulated
with the ``XLAISH_AOT_CPU_LEVEL`` hook) every call returns ERR_CPU with a message, never SIGILL.

Each run of the C program is a fresh process, since a library chooses once.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import xlaish as xl
import xlaish.aot as aot

from . import workloads

C_SOURCE = workloads.C_PRELUDE + r"""
#include "chain10.h"

int main(int argc, char **argv) {
    (void)check;              /* the prelude's helper: this program prints the return code instead */
    if (argc != 3) return 2;
    dir = argv[1];
    const float *x = load("chain10_in0.bin", CHAIN10_ARG0_SIZE * sizeof(float));
    float *y = malloc(CHAIN10_OUT0_SIZE * sizeof(float));
    int rc = chain10(x, y);
    printf("%d\n%s\n", rc, chain10_variant());
    if (rc == CHAIN10_OK) save(argv[2], y, CHAIN10_OUT0_SIZE * sizeof(float));
    return 0;
}
"""


def _host_level() -> str:
    import llvmlite.binding as llvm
    feats = set(f[1:] for f in llvm.get_host_cpu_features().flatten().split(",") if f.startswith("+"))
    from xlaish.aot import targets
    best = "x86-64"
    for lev in targets.MULTI:
        if set(targets.LEVELS[lev]) <= feats | {"x87"}:
            best = lev
    return best


@pytest.fixture(scope="module")
def prog(exported, cc):
    if sys.platform != "linux" or os.uname().machine != "x86_64":
        pytest.skip("the variants are x86-64 levels")
    d = exported["dir"]
    (d / "variants.c").write_text(C_SOURCE)
    cmd = cc + ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O1", f"-I{d}",
                str(d / "variants.c"), f"-L{d}", "-lchain10", f"-Wl,-rpath,{d}", "-o", str(d / "variants")]
    cp = subprocess.run(cmd, capture_output=True, text=True)
    assert cp.returncode == 0, f"compiling the C program failed:\n{' '.join(cmd)}\n{cp.stderr}"

    def run(out_name, **env):
        e = {k: v for k, v in os.environ.items() if not k.startswith("XLAISH_AOT_")}
        e.update(env)
        r = subprocess.run([str(d / "variants"), str(d), out_name], capture_output=True, text=True,
                           timeout=60, env=e)
        assert r.returncode == 0, f"C program failed ({r.returncode}):\n{r.stderr}"
        rc, text = r.stdout.split("\n", 1)
        out = None
        if int(rc) == 0:
            out = np.fromfile(d / out_name, dtype=np.float32)
        return int(rc), text.strip(), out
    return run


def test_each_variant_from_c_matches_numpy_and_the_others(prog, exported):
    ref = exported["refs"]["chain10"][0]
    outs = {}
    for v in ("v2", "v3", "v4"):
        if v == "v4" and _host_level() != "x86-64-v4":
            continue
        rc, name, out = prog(f"chain10_{v}.bin", XLAISH_AOT_VARIANT=v)
        assert (rc, name) == (0, f"x86-64-{v}")
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6, err_msg=v)
        outs[v] = out
    rc, name, out = prog("chain10_full.bin", XLAISH_AOT_VARIANT="x86-64-v3")      # the target name
    assert (rc, name) == (0, "x86-64-v3")
    np.testing.assert_array_equal(out, outs["v3"])
    for out in outs.values():                 # the variants agree to a few ulp (FMA contraction)
        np.testing.assert_array_max_ulp(out, outs["v2"], maxulp=4)
    assert len(outs) >= 2


@pytest.mark.parametrize("setting", [{}, {"XLAISH_AOT_VARIANT": "auto"}, {"XLAISH_AOT_VARIANT": ""}])
def test_default_runs_the_best_variant_the_cpu_has(prog, setting):
    rc, name, _ = prog("chain10_auto.bin", **setting)
    assert (rc, name) == (0, _host_level())


@pytest.mark.parametrize("cap, expect", [("v3", "x86-64-v3"), ("v2", "x86-64-v2"),
                                         ("x86-64-v2", "x86-64-v2")])
def test_cpu_level_hook_picks_the_best_variant_below_it(prog, cap, expect):
    rc, name, _ = prog("chain10_cap.bin", XLAISH_AOT_CPU_LEVEL=cap)
    assert (rc, name) == (0, expect)


def test_below_the_floor_every_call_refuses_cleanly(prog):
    rc, why, out = prog("chain10_none.bin", XLAISH_AOT_CPU_LEVEL="v1")
    assert rc == 1 and out is None
    assert "below the library's floor x86-64-v2" in why and "sse4.2" in why


def test_forcing_a_variant_the_cpu_cannot_run_refuses(prog):
    rc, why, _ = prog("chain10_unfit.bin", XLAISH_AOT_VARIANT="v4", XLAISH_AOT_CPU_LEVEL="v3")
    assert rc == 1 and "XLAISH_AOT_VARIANT forces a variant this CPU cannot run" in why


@pytest.mark.parametrize("bad", ["v1", "v5", "host", "x86-64-v4 "])
def test_forcing_a_variant_the_library_lacks_returns_err_variant(prog, bad):
    rc, why, _ = prog("chain10_bad.bin", XLAISH_AOT_VARIANT=bad)
    assert rc == 4 and "names no variant of this library" in why and "v2 (x86-64-v2)" in why


LOADER = r"""
import sys, numpy as np, xlaish.aot as aot
g = aot.load(sys.argv[1])
try:
    g(np.ones(1000, np.float32))
    print("ok", g.variant)
except Exception as e:
    print(type(e).__name__, e)
"""


@pytest.mark.parametrize("env, expect", [
    ({"XLAISH_AOT_VARIANT": "v3"}, "ok x86-64-v3"),
    ({"XLAISH_AOT_CPU_LEVEL": "v1"}, "CpuFeatureError chain10: this CPU is below the library's floor"),
    ({"XLAISH_AOT_VARIANT": "v7"}, "ValueError chain10: XLAISH_AOT_VARIANT names no variant"),
])
def test_loader_honours_the_variable_and_explains_refusals(exported, env, expect):
    e = dict(os.environ, **env)
    r = subprocess.run([sys.executable, "-c", LOADER, exported["paths"]["chain10"].library],
                       capture_output=True, text=True, timeout=120, env=e)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(expect), r.stdout
    if "VARIANT" in env and "v7" in env.values():
        assert "(XLAISH_AOT_VARIANT=v7)" in r.stdout and "auto, v4, v3, v2" in r.stdout


def test_single_level_and_list_targets(tmp_path, cc):
    def f(x):
        return np.exp(x) * 2
    x = np.linspace(-2, 2, 64, dtype=np.float32)
    p = aot.export(f, (xl.ShapeDtype((64,), "float32"),), out_dir=str(tmp_path), name="one",
                   target="x86-64-v3")
    g = aot.load(p.library)
    t = g.manifest["target"]
    assert t["name"] == "x86-64-v3" and [v["variant"] for v in t["variants"]] == ["v3"]
    np.testing.assert_allclose(g(x), f(x), rtol=1e-6)
    assert g.variant == "x86-64-v3"
    p = aot.export(f, (xl.ShapeDtype((64,), "float32"),), out_dir=str(tmp_path), name="two",
                   target="x86-64-v4, x86-64-v2")
    g = aot.load(p.library)
    assert [v["variant"] for v in g.manifest["target"]["variants"]] == ["v4", "v2"]
    assert g.manifest["target"]["floor"] == "x86-64-v2"
    np.testing.assert_allclose(g(x), f(x), rtol=1e-6)
    assert g.variant == {"x86-64-v4": "x86-64-v4"}.get(_host_level(), "x86-64-v2")
    h = open(p.header).read()
    assert "#define TWO_NUM_VARIANTS 2" in h and "TWO_HAS_VARIANT_V3" not in h


@pytest.mark.parametrize("target, message", [
    ("x86-64-v3,pentium", "unknown export target 'pentium'"),
    ("x86-64-v3,x86-64-v3", "names a level twice"),
    ("host,x86-64-v3", "unknown export target 'host'"),
])
def test_bad_target_lists(tmp_path, target, message):
    with pytest.raises(ValueError, match=message):
        aot.export(np.exp, (xl.ShapeDtype((4,), "float32"),), out_dir=str(tmp_path), name="bad",
                   target=target)
