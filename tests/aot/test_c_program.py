"""A real C program, compiled with the system compiler against the generated headers and
shared libraries, computes chain10, softmax and Black-Scholes; its outputs equal NumPy's.

The inputs are written by the test as raw binaries (``<name>_in<k>.bin``); the C
program reads them, calls the exported functions, and writes ``<name>_out<k>.bin``
plus each library's embedded manifest. The header also compiles as C++.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from . import workloads
from .conftest import SPECS

REAL = {np.dtype(np.float64): "double", np.dtype(np.float32): "float"}[np.dtype(workloads.BS_DTYPE)]

TOL = {np.dtype(np.float32): dict(rtol=1e-5, atol=1e-6), np.dtype(np.float64): dict(rtol=1e-9, atol=1e-9)}


def tol(name, dtype):
    """Tolerances against NumPy: a few ulp for float32 (vectorised tanh/exp), 1e-9 for float64;
    float32 Black-Scholes prices (up to ~200, with cancellation) get an absolute 1e-3."""
    if name == "black_scholes" and np.dtype(dtype) == np.float32:
        return dict(rtol=1e-4, atol=1e-3)
    return TOL[np.dtype(dtype)]

C_SOURCE = workloads.C_PRELUDE + r"""
#include "chain10.h"
#include "softmax.h"
#include "black_scholes.h"

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    dir = argv[1];

    /* chain10: f32[1000] -> f32[1000] */
    const float *x = load("chain10_in0.bin", CHAIN10_ARG0_SIZE * sizeof(float));
    float *y = malloc(CHAIN10_OUT0_DIM0 * sizeof(float));
    check("chain10", chain10(x, y));
    save("chain10_out0.bin", y, CHAIN10_OUT0_SIZE * sizeof(float));

    /* softmax over rows: f32[512,256] -> f32[512,256] */
    const float *s_in = load("softmax_in0.bin", SOFTMAX_ARG0_DIM0 * SOFTMAX_ARG0_DIM1 * sizeof(float));
    float *s_out = malloc(SOFTMAX_OUT0_SIZE * sizeof(float));
    check("softmax", softmax(s_in, s_out));
    save("softmax_out0.bin", s_out, SOFTMAX_OUT0_SIZE * sizeof(float));

    /* Black-Scholes: five REAL[n] (REAL = double) -> (call, put) */
    const size_t n = BLACK_SCHOLES_ARG0_DIM0;
    const REAL *S = load("black_scholes_in0.bin", n * sizeof(REAL));
    const REAL *K = load("black_scholes_in1.bin", n * sizeof(REAL));
    const REAL *T = load("black_scholes_in2.bin", n * sizeof(REAL));
    const REAL *r = load("black_scholes_in3.bin", n * sizeof(REAL));
    const REAL *v = load("black_scholes_in4.bin", n * sizeof(REAL));
    REAL *call = malloc(BLACK_SCHOLES_OUT0_SIZE * sizeof(REAL));
    REAL *put = malloc(BLACK_SCHOLES_OUT1_SIZE * sizeof(REAL));
    check("black_scholes", black_scholes(S, K, T, r, v, call, put));
    save("black_scholes_out0.bin", call, n * sizeof(REAL));
    save("black_scholes_out1.bin", put, n * sizeof(REAL));

    /* the embedded manifests */
    save("chain10_embedded.json", chain10_manifest(), strlen(chain10_manifest()));
    save("softmax_embedded.json", softmax_manifest(), strlen(softmax_manifest()));
    save("black_scholes_embedded.json", black_scholes_manifest(), strlen(black_scholes_manifest()));

    if (CHAIN10_ARG0_RANK != 1 || SOFTMAX_ARG0_RANK != 2 || BLACK_SCHOLES_NUM_ARGS != 5 ||
        BLACK_SCHOLES_NUM_OUTS != 2 || CHAIN10_ERR_CPU != 1 || CHAIN10_ERR_ALLOC != 2) return 5;
    printf("ok\n");
    return 0;
}
"""

CXX_SOURCE = r"""
#include "chain10.h"
#include "softmax.h"
#include "black_scholes.h"
static int (*const f1)(const float *, float *) = chain10;
static int (*const f2)(const REAL *, const REAL *, const REAL *, const REAL *,
                       const REAL *, REAL *, REAL *) = black_scholes;
static const char *(*const m1)(void) = softmax_manifest;
static_assert(CHAIN10_ARG0_DIM0 == 1000 && SOFTMAX_OUT0_DIM1 == 256, "dims");
int main() { float x[1000], y[1000]; (void)f2; (void)m1; return f1(x, y); }
"""


@pytest.fixture(scope="module")
def c_run(exported, cc):
    d = exported["dir"]
    (d / "prog.c").write_text(C_SOURCE)
    cmd = cc + ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O1", f"-DREAL={REAL}", f"-I{d}",
                str(d / "prog.c"), f"-L{d}", "-lchain10", "-lsoftmax", "-lblack_scholes",
                f"-Wl,-rpath,{d}", "-o", str(d / "prog")]
    cp = subprocess.run(cmd, capture_output=True, text=True)
    assert cp.returncode == 0, f"compiling the C program failed:\n{' '.join(cmd)}\n{cp.stderr}"
    run = subprocess.run([str(d / "prog"), str(d)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"C program failed ({run.returncode}):\n{run.stderr}"
    assert run.stdout.strip() == "ok"
    return d


@pytest.mark.parametrize("name", list(SPECS))
def test_c_program_matches_numpy(c_run, exported, name):
    refs = exported["refs"][name]
    for k, ref in enumerate(refs):
        got = np.fromfile(c_run / f"{name}_out{k}.bin", dtype=ref.dtype).reshape(ref.shape)
        np.testing.assert_allclose(got, ref, **tol(name, ref.dtype), err_msg=f"{name} output {k}")
    if name == "softmax":
        got = np.fromfile(c_run / "softmax_out0.bin", dtype=np.float32).reshape(512, 256)
        np.testing.assert_allclose(got.sum(-1), 1, rtol=1e-5)


@pytest.mark.parametrize("name", list(SPECS))
def test_embedded_manifest_equals_json_file(c_run, exported, name):
    p = exported["paths"][name]
    with open(p.manifest) as f:
        text = f.read()
    assert (c_run / f"{name}_embedded.json").read_text() == text
    m = json.loads(text)
    assert m["name"] == m["symbol"] == name
    assert re.fullmatch(r"[0-9a-f]{64}", m["ir_sha256"])
    t = m["target"]
    assert t["name"] == "multi" and t["floor"] == t["cpu"] == "x86-64-v2"
    assert [v["variant"] for v in t["variants"]] == ["v4", "v3", "v2"]
    assert [v["cpu"] for v in t["variants"]] == ["x86-64-v4", "x86-64-v3", "x86-64-v2"]
    assert t["features_required"] == t["variants"][-1]["features_required"]       # the floor's
    assert "sse4.2" in t["features_required"] and "avx2" not in t["features_required"]
    assert {"avx2", "fma"} <= set(t["variants"][1]["features_required"])
    assert "avx512f" in t["variants"][0]["features_required"] and t["variants"][0]["os_state_xcr0"] == 0xE6
    assert m["target"]["triple"] and m["xlaish_version"]
    assert [a["shape"] for a in m["args"]] == [list(s.shape) for s in SPECS[name]]
    assert [a["dtype"] for a in m["args"]] == [str(s.dtype) for s in SPECS[name]]


def test_header_contents(exported):
    h = open(exported["paths"]["chain10"].header).read()
    assert re.findall(r"#include\s*<([^>]+)>", h) == ["stdint.h", "stdbool.h", "stddef.h"]
    assert "int chain10(const float *arg0, float *out0);" in h
    assert "const char *chain10_manifest(void);" in h
    for line in ("#define CHAIN10_ARG0_RANK 1", "#define CHAIN10_ARG0_DIM0 1000",
                 "#define CHAIN10_OUT0_RANK 1", "#define CHAIN10_OUT0_DIM0 1000",
                 "#define CHAIN10_ERR_CPU 1", "#define CHAIN10_ERR_ALLOC 2", "#define CHAIN10_ERR_VARIANT 4",
                 "#define CHAIN10_NUM_VARIANTS 3", "#define CHAIN10_HAS_VARIANT_V4 1  /* x86-64-v4 */",
                 "#define CHAIN10_HAS_VARIANT_V2 1  /* x86-64-v2 */", "const char *chain10_variant(void);",
                 " *   v3: LLVM CPU x86-64-v3 -- x86-64-v3 (AVX2, FMA, BMI1/2, F16C; Haswell / Zen 1 and "
                 "later)"):
        assert line in h
    assert "XLAISH_AOT_VARIANT" in h and "sysconf(_SC_NPROCESSORS_ONLN)" not in h
    assert 'extern "C"' in h and max(map(len, h.splitlines())) <= 110
    hb = open(exported["paths"]["black_scholes"].header).read()
    assert (f"int black_scholes(const {REAL} *arg0, const {REAL} *arg1, const {REAL} *arg2, "
            f"const {REAL} *arg3, const {REAL} *arg4, {REAL} *out0, {REAL} *out1);") in hb
    assert "result[0]" in hb and "result[1]" in hb and "sigma" in hb       # leaf paths
    hs = open(exported["paths"]["softmax"].header).read()
    assert "#define SOFTMAX_ARG0_DIM1 256" in hs
    assert "sysconf(_SC_NPROCESSORS_ONLN)" in hs        # 131072 elements: split over threads


def test_library_dependencies_and_symbols(exported):
    lib = exported["paths"]["black_scholes"].library
    if shutil.which("nm"):
        out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True).stdout
        syms = sorted(line.split()[-1] for line in out.splitlines() if line.strip())
        assert syms == ["black_scholes", "black_scholes_checked", "black_scholes_manifest",
                        "black_scholes_variant"]
        undef = subprocess.run(["nm", "-D", "--undefined-only", lib], capture_output=True, text=True).stdout
        names = {line.split()[-1].split("@")[0] for line in undef.splitlines() if line.strip()}
        allowed = {"malloc", "free", "memcpy", "memset", "memmove", "sysconf", "pthread_create",
                   "getenv", "strcmp",    # XLAISH_AOT_VARIANT
                   "pthread_join", "__cxa_finalize", "__gmon_start__", "_ITM_registerTMCloneTable",
                   "_ITM_deregisterTMCloneTable"}
        libm = {"fma", "fmaf", "floor", "floorf", "rint", "rintf", "sqrt", "sqrtf", "trunc", "truncf",
                "ceil", "ceilf", "nearbyint", "nearbyintf"}
        assert names <= allowed | libm, names - allowed - libm


def test_header_compiles_as_cxx(exported):
    cxx = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if cxx is None:
        pytest.skip("no C++ compiler")
    d = exported["dir"]
    (d / "check.cpp").write_text(CXX_SOURCE)
    cp = subprocess.run([cxx, "-std=c++11", "-fsyntax-only", "-Wall", "-Wextra", "-pedantic", "-Werror",
                         f"-DREAL={REAL}", f"-I{d}", str(d / "check.cpp")], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
