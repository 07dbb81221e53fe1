"""Exported functions that assign into their arguments: in/out parameters.

The header marks each such argument (``T *``, ``/* in/out: x (float64[100]) */``,
``<NAME>_ARG<k>_INOUT``), the library writes its final value into the caller's buffer, and
``xl.aot.load`` mutates the caller's array as ``xl.jit`` does. Checked against NumPy running
the same Python function on copies: from Python through the loader, and from a C program
compiled with the system compiler against the header.
"""
from __future__ import annotations

import copy
import ctypes
import json
import subprocess

import numpy as np
import pytest

import xlaish as xl
import xlaish.aot as aot

from . import workloads

S = xl.ShapeDtype
EXPORTS = {      # name -> (function, argument specs)
    "stencil_inout": (workloads.stencil_inout, (S((100,), "float64"), S((100,), "float64"))),
    "stencil_f32": (workloads.stencil_inout, (S((2000,), "float32"), S((2000,), "float32"))),
    "accumulate": (workloads.accumulate, (S((3, 4), "float32"), S((4,), "float32"))),
    "shift": (workloads.shift, (S((7,), "int32"),)),
    "state_update": (workloads.state_update, ({"w": S((5,), "float64"), "n": S((), "int64")},
                                              S((5,), "float64"))),
}


def _sample(spec, rng):
    if isinstance(spec, dict):
        return {k: _sample(v, rng) for k, v in spec.items()}
    if np.dtype(spec.dtype).kind == "f":
        return rng.normal(size=spec.shape).astype(spec.dtype)
    return rng.integers(-50, 50, size=spec.shape).astype(spec.dtype)


def _leaves(args):
    out = []
    for a in args:
        out += [a[k] for k in sorted(a)] if isinstance(a, dict) else [a]
    return out


def _assert_close(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=1e-5 if want.dtype == np.float32 else 1e-12, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.fixture(scope="module")
def inout(cc, tmp_path_factory):
    d = tmp_path_factory.mktemp("aot_inout")
    return {"dir": d, "paths": {n: aot.export(f, spec, out_dir=str(d), name=n)
                                for n, (f, spec) in EXPORTS.items()}}


@pytest.mark.parametrize("name", list(EXPORTS))
def test_loader_mutates_the_callers_arrays_like_numpy(inout, name):
    f, spec = EXPORTS[name]
    g = aot.load(inout["paths"][name].library)
    rng = np.random.default_rng(len(name))
    for _ in range(2):          # twice: the second call starts from the first one's results
        args = [_sample(s, rng) for s in spec]
        ref = copy.deepcopy(args)
        got, want = g(*args), f(*ref)
        if want is None:
            assert got is None
        else:
            _assert_close(got, want)
        for a, b in zip(_leaves(args), _leaves(ref)):
            _assert_close(a, b)


def test_header_marks_inout_arguments(inout):
    h = open(inout["paths"]["stencil_inout"].header).read()
    assert ("int stencil_inout(double *arg0 /* in/out: x (float64[100]) */, const double *arg1, "
            "double *out0);") in h
    assert "#define STENCIL_INOUT_ARG0_INOUT 1" in h and "ARG1_INOUT" not in h
    assert " *   arg0  x  float64[100]  (double *)  in/out" in h
    assert "in/out: x" in h.split("*/")[0]          # the Python signature in the top comment
    ha = open(inout["paths"]["accumulate"].header).read()
    assert "int accumulate(float *arg0 /* in/out: out (float32[3,4]) */, const float *arg1);" in ha
    hs = open(inout["paths"]["state_update"].header).read()
    assert "int64_t *arg0 /* in/out: state['n'] (int64[]) */" in hs
    assert "double *arg1 /* in/out: state['w'] (float64[5]) */" in hs


def test_manifest_marks_inout_and_plain_exports_keep_format_1(inout, exported):
    m = json.load(open(inout["paths"]["state_update"].manifest))
    assert m["format"] == "xlaish-aot/2"
    assert [a.get("inout", False) for a in m["args"]] == [True, True, False]
    assert [r["path"] for r in m["results"]] == ["result"]
    assert m["python_signature"].endswith("in/out: state['n'], state['w']")
    assert json.load(open(exported["paths"]["chain10"].manifest))["format"] == "xlaish-aot/1"


def test_loader_refuses_bad_inout_arguments(inout):
    g = aot.load(inout["paths"]["stencil_inout"].library)
    y = np.ones(100)
    ro = np.zeros(100)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match=r"argument x is assigned into \(in/out\), but the array passed "
                                         r"is read-only"):
        g(ro, y)
    with pytest.raises(TypeError, match=r"argument x is assigned into \(in/out\), so it must have dtype "
                                        r"float64 exactly, got float32"):
        g(np.zeros(100, np.float32), y)
    with pytest.raises(TypeError, match=r"argument x is assigned into \(in/out\), but a list was passed"):
        g([0.0] * 100, y)
    with pytest.raises(TypeError, match="but a float was passed"):
        g(1.0, y)
    with pytest.raises(ValueError, match=r"argument x must have shape \(100,\)"):
        g(np.zeros(99), y)
    x = np.arange(100.0)
    with pytest.raises(ValueError, match="argument x is assigned into .* shares memory with argument y"):
        g(x, x)
    big = np.arange(101.0)
    with pytest.raises(ValueError, match="shares memory"):
        g(big[:100], big[1:])
    np.testing.assert_array_equal(big, np.arange(101.0))      # nothing ran


def test_loader_writes_through_a_strided_view(inout):
    g = aot.load(inout["paths"]["stencil_inout"].library)
    rng = np.random.default_rng(1)
    base, y = rng.normal(size=200), rng.normal(size=100)
    ref = base.copy()
    want = workloads.stencil_inout(ref[::2], y)
    got = g(base[::2], y)
    _assert_close(got, want)
    np.testing.assert_array_equal(base, ref)          # odd elements untouched


def test_checked_entry_covers_inout_buffers(inout):
    """``<name>_checked`` compares the in/out buffer's size with the compiled one too, and a
    refused call leaves it unchanged."""
    g = aot.load(inout["paths"]["stencil_inout"].library)
    x, y, out = np.arange(100.0), np.ones(100), np.zeros(())
    bufs = (ctypes.c_void_p * 3)(x.ctypes.data, y.ctypes.data, out.ctypes.data)
    assert g._checked(3, bufs, (ctypes.c_int64 * 3)(799, 800, 8)) == 3
    assert g._checked(3, bufs, (ctypes.c_int64 * 3)(808, 800, 8)) == 3
    assert g._checked(4, bufs, (ctypes.c_int64 * 4)(800, 800, 8, 800)) == 3
    np.testing.assert_array_equal(x, np.arange(100.0))
    assert g._checked(3, bufs, (ctypes.c_int64 * 3)(800, 800, 8)) == 0
    ref = np.arange(100.0)
    want = workloads.stencil_inout(ref, np.ones(100))
    _assert_close(x, ref)
    _assert_close(out, np.asarray(want))


C_SOURCE = workloads.C_PRELUDE + r"""
#include "stencil_inout.h"
#include "stencil_f32.h"
#include "accumulate.h"
#include "shift.h"
#include "state_update.h"

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    dir = argv[1];

    double *x = load("stencil_inout_in0.bin", STENCIL_INOUT_ARG0_SIZE * sizeof(double));
    const double *y = load("stencil_inout_in1.bin", STENCIL_INOUT_ARG1_SIZE * sizeof(double));
    double s;
    check("stencil_inout", stencil_inout(x, y, &s));
    save("stencil_inout_arg0.bin", x, STENCIL_INOUT_ARG0_SIZE * sizeof(double));
    save("stencil_inout_out0.bin", &s, sizeof s);

    /* the checked entry: the in/out buffer is the first of bufs */
    float *xf = load("stencil_f32_in0.bin", STENCIL_F32_ARG0_SIZE * sizeof(float));
    float *yf = load("stencil_f32_in1.bin", STENCIL_F32_ARG1_SIZE * sizeof(float));
    float sf;
    void *const bufs[3] = {xf, yf, &sf};
    const int64_t bad[3] = {STENCIL_F32_ARG0_SIZE * sizeof(float) - 4, STENCIL_F32_ARG1_SIZE * sizeof(float),
                            sizeof(float)};
    const int64_t good[3] = {STENCIL_F32_ARG0_SIZE * sizeof(float), STENCIL_F32_ARG1_SIZE * sizeof(float),
                             sizeof(float)};
    if (stencil_f32_checked(3, bufs, bad) != STENCIL_F32_ERR_ARGS) return 6;
    check("stencil_f32_checked", stencil_f32_checked(3, bufs, good));
    save("stencil_f32_arg0.bin", xf, STENCIL_F32_ARG0_SIZE * sizeof(float));
    save("stencil_f32_out0.bin", &sf, sizeof sf);

    float *acc = load("accumulate_in0.bin", ACCUMULATE_ARG0_SIZE * sizeof(float));
    const float *t = load("accumulate_in1.bin", ACCUMULATE_ARG1_SIZE * sizeof(float));
    check("accumulate", accumulate(acc, t));
    check("accumulate", accumulate(acc, t));          /* twice: it accumulates */
    save("accumulate_arg0.bin", acc, ACCUMULATE_ARG0_SIZE * sizeof(float));

    int32_t *v = load("shift_in0.bin", SHIFT_ARG0_SIZE * sizeof(int32_t));
    int32_t ends;
    check("shift", shift(v, &ends));
    save("shift_arg0.bin", v, SHIFT_ARG0_SIZE * sizeof(int32_t));
    save("shift_out0.bin", &ends, sizeof ends);

    int64_t *n = load("state_update_in0.bin", sizeof(int64_t));
    double *w = load("state_update_in1.bin", STATE_UPDATE_ARG1_SIZE * sizeof(double));
    const double *g = load("state_update_in2.bin", STATE_UPDATE_ARG2_SIZE * sizeof(double));
    double *w2 = malloc(STATE_UPDATE_OUT0_SIZE * sizeof(double));
    check("state_update", state_update(n, w, g, w2));
    save("state_update_arg0.bin", n, sizeof(int64_t));
    save("state_update_arg1.bin", w, STATE_UPDATE_ARG1_SIZE * sizeof(double));
    save("state_update_out0.bin", w2, STATE_UPDATE_OUT0_SIZE * sizeof(double));

    if (!STENCIL_INOUT_ARG0_INOUT || STATE_UPDATE_NUM_ARGS != 3 || ACCUMULATE_NUM_OUTS != 0) return 5;
    printf("ok\n");
    return 0;
}
"""


def test_c_program_updates_inout_buffers_like_numpy(inout, cc):
    d = inout["dir"]
    rng = np.random.default_rng(7)
    args = {n: [_sample(s, rng) for s in spec] for n, (_, spec) in EXPORTS.items()}
    for n, a in args.items():
        for k, leaf in enumerate(_leaves(a)):
            np.ascontiguousarray(leaf).tofile(d / f"{n}_in{k}.bin")
    (d / "inout.c").write_text(C_SOURCE)
    libs = [f"-l{n}" for n in EXPORTS]
    cmd = cc + ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O1", f"-I{d}", str(d / "inout.c"),
                f"-L{d}", *libs, f"-Wl,-rpath,{d}", "-o", str(d / "inout")]
    cp = subprocess.run(cmd, capture_output=True, text=True)
    assert cp.returncode == 0, f"compiling the C program failed:\n{' '.join(cmd)}\n{cp.stderr}"
    run = subprocess.run([str(d / "inout"), str(d)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"C program failed ({run.returncode}):\n{run.stderr}"
    assert run.stdout.strip() == "ok"
    for n, (f, _) in EXPORTS.items():
        ref = copy.deepcopy(args[n])
        want = f(*ref)
        if n == "accumulate":
            f(*ref)
        m = json.load(open(inout["paths"][n].manifest))
        written = [k for k, e in enumerate(m["args"]) if e.get("inout")]
        assert written == ([0, 1] if n == "state_update" else [0])
        for k in written:           # the C program saved each in/out buffer after the call
            leaf = _leaves(ref)[k]
            got = np.fromfile(d / f"{n}_arg{k}.bin", dtype=leaf.dtype).reshape(leaf.shape)
            _assert_close(got, leaf)
        if want is not None:
            w = np.asarray(want)
            got = np.fromfile(d / f"{n}_out0.bin", dtype=w.dtype).reshape(w.shape)
            _assert_close(got, w)


def test_cli_exports_inout_arguments_identically(inout, tmp_path):
    from xlaish.cli import main
    out = tmp_path / "cli"
    assert main(["export", "tests.aot.workloads:accumulate", "--arg", "f32[3,4]", "--arg", "f32[4]",
                 "--name", "accumulate", "-o", str(out), "--no-link"]) == 0
    py = inout["paths"]["accumulate"]
    assert (out / "accumulate.h").read_bytes() == open(py.header, "rb").read()
    assert (out / "accumulate.json").read_bytes() == open(py.manifest, "rb").read()
