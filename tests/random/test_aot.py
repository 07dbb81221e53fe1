"""Dropout masks from an AOT library: a jitted training step with dropout (it takes a key, a
``uint32[2]`` array, and returns the next one) exported with ``xlaish.aot.export`` gives, called
with the same key, the masks and results of ``xl.jit`` on the CPU and on the CUDA simulator, bit
for bit, and fresh masks for other keys -- from Python (``aot.load``) and from a real C program
that carries the key from step to step, under every x86-64 variant of the library the CPU runs.

The key, the mask and the dropped-out activations are integer arithmetic and one multiply per
element, so they are compared exactly; the updated weights go through a matrix product, which a
variant compiled for another CPU level may contract or vectorise differently, so they get a few ulp.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import xlaish as xl
from tests.aot.conftest import find_cc
from tests.aot.workloads import C_PRELUDE
from xlaish import aot
from xlaish import random as xr

RATE = 0.25
STEPS = 4
W_SHAPE, X_SHAPE = (16, 4), (8, 16)


def step(k, w, x):
    """One SGD step of a linear layer with dropout on its input: (next key, new w, dropped x)."""
    k, sub = xr.split(k)
    keep = xr.bernoulli(sub, 1.0 - RATE, x.shape)
    h = np.where(keep, x / np.float32(1.0 - RATE), np.float32(0.0))
    loss = lambda w: np.sum((h @ w) ** 2)
    return k, w - np.float32(0.01) * xl.grad(loss)(w), h


def dropout(k, x):
    keep = xr.bernoulli(k, 1.0 - RATE, x.shape)
    return np.where(keep, x / np.float32(1.0 - RATE), np.float32(0.0))


def _inputs():
    rng = np.random.default_rng(0)
    return (rng.standard_normal(W_SHAPE).astype(np.float32),
            rng.standard_normal(X_SHAPE).astype(np.float32))


def _replay(f, k, w, x, steps=STEPS):
    """``steps`` calls of ``f`` carrying the key and the weights: [(key, w, h)] after each."""
    out = []
    for _ in range(steps):
        k, w, h = f(k, w, x)
        out.append((np.asarray(k), np.asarray(w), np.asarray(h)))
    return out


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    d = tmp_path_factory.mktemp("dropout_aot")
    w, x = _inputs()
    spec = (xl.ShapeDtype((2,), np.uint32), xl.ShapeDtype(W_SHAPE, np.float32),
            xl.ShapeDtype(X_SHAPE, np.float32))
    paths = aot.export(step, spec, out_dir=str(d), name="dstep")
    return d, paths


def test_library_equals_jit_bit_for_bit_and_keys_give_fresh_masks(lib):
    _, paths = lib
    g, f = aot.load(paths.library), xl.jit(step)
    w, x = _inputs()
    keys = [xr.key(0), xr.key(1), *xr.split(xr.key(7), 3)]
    masks = []
    for k in keys:
        got, want = g(k, w, x), f(k, w, x)
        assert got[0].dtype == np.uint32 and got[0].shape == (2,)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[2], want[2])
        np.testing.assert_array_max_ulp(got[1], want[1], maxulp=4)
        np.testing.assert_array_equal(got[2], step(k, w, x)[2])       # eager NumPy: the same bits
        masks.append(got[2] == 0)
    for i in range(len(masks)):
        assert abs(masks[i].mean() - RATE) < 0.15
        for j in range(i):
            assert not np.array_equal(masks[i], masks[j]), (i, j)
    # the key carried through the library's own results: the jitted replay, step for step
    for (kg, wg, hg), (kf, wf, hf) in zip(_replay(g, keys[0], w, x), _replay(f, keys[0], w, x)):
        np.testing.assert_array_equal(kg, kf)
        np.testing.assert_array_equal(hg, hf)
        np.testing.assert_array_max_ulp(wg, wf, maxulp=16)


def test_library_equals_the_cuda_simulator(lib):
    pytest.importorskip("numba")
    try:
        from xlaish.runtime.cuda import simulating
        on = simulating()
    except Exception:
        on = False
    if not on:
        pytest.skip("the numba CUDA simulator is not active (NUMBA_ENABLE_CUDASIM=1 before numba)")
    g = aot.load(lib[1].library)
    w, x = _inputs()
    c = xl.jit(step, device="cuda")
    for k in (xr.key(3), xr.key(4)):
        got, want = g(k, w, x), c(k, w, x)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[2], want[2])
        np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-6)


def test_a_mask_split_over_threads_has_the_same_bits_on_every_thread_count(tmp_path):
    """A mask of more than PARALLEL_MIN_WORK elements, whose kernel is split over threads: the
    same bits with 1, 2 and 3 threads under ``xl.jit``, from the library (which splits it over
    the CPUs it finds) and from NumPy outside jit."""
    from xlaish import config
    from xlaish.codegen.cpu.program import PARALLEL_MIN_WORK
    x = np.random.default_rng(2).standard_normal((PARALLEL_MIN_WORK // 256 + 64, 256)).astype(np.float32)
    k = xr.key(11)
    want = dropout(k, x)
    paths = aot.export(dropout, (k, x), out_dir=str(tmp_path), name="bigdrop")
    assert "sysconf(_SC_NPROCESSORS_ONLN)" in open(paths.header).read()     # the library splits it
    np.testing.assert_array_equal(aot.load(paths.library)(k, x), want)
    f = xl.jit(dropout)
    for n in (1, 2, 3):
        with config.override(num_threads=n):
            np.testing.assert_array_equal(f(k, x), want, err_msg=f"{n} threads")
    assert abs((want == 0).mean() - RATE) < 0.01


C_SOURCE = C_PRELUDE + r"""
#include <stdint.h>
#include "dstep.h"

/* dir steps tag: STEPS training steps from key.bin / w.bin / x.bin, carrying the key and the
   weights; writes <tag>_h<s>.bin after each step and <tag>_key.bin, <tag>_w.bin at the end;
   prints the return code and the variant that ran */
int main(int argc, char **argv) {
    (void)check;
    if (argc != 4) return 2;
    dir = argv[1];
    int steps = atoi(argv[2]);
    const char *tag = argv[3];
    uint32_t *key = load("key.bin", DSTEP_ARG0_SIZE * sizeof(uint32_t));
    float *w = load("w.bin", DSTEP_ARG1_SIZE * sizeof(float));
    const float *x = load("x.bin", DSTEP_ARG2_SIZE * sizeof(float));
    uint32_t key2[DSTEP_OUT0_SIZE];
    float *w2 = malloc(DSTEP_OUT1_SIZE * sizeof(float));
    float *h = malloc(DSTEP_OUT2_SIZE * sizeof(float));
    char name[256];
    for (int s = 0; s < steps; s++) {
        int rc = dstep(key, w, x, key2, w2, h);
        if (rc != DSTEP_OK) { printf("%d\n%s\n", rc, dstep_variant()); return 0; }
        snprintf(name, sizeof name, "%s_h%d.bin", tag, s);
        save(name, h, DSTEP_OUT2_SIZE * sizeof(float));
        memcpy(key, key2, sizeof key2);
        memcpy(w, w2, DSTEP_OUT1_SIZE * sizeof(float));
    }
    snprintf(name, sizeof name, "%s_key.bin", tag);
    save(name, key, DSTEP_OUT0_SIZE * sizeof(uint32_t));
    snprintf(name, sizeof name, "%s_w.bin", tag);
    save(name, w, DSTEP_OUT1_SIZE * sizeof(float));
    printf("0\n%s\n", dstep_variant());
    return 0;
}
"""


@pytest.fixture(scope="module")
def c_prog(lib):
    cc = find_cc()
    if cc is None:
        pytest.skip("no C compiler (cc / $CC / gcc / clang) on this machine")
    d, _ = lib
    (d / "prog.c").write_text(C_SOURCE)
    cmd = cc + ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O1", f"-I{d}", str(d / "prog.c"),
                f"-L{d}", "-ldstep", f"-Wl,-rpath,{d}", "-o", str(d / "prog")]
    cp = subprocess.run(cmd, capture_output=True, text=True)
    assert cp.returncode == 0, f"compiling the C program failed:\n{' '.join(cmd)}\n{cp.stderr}"

    def run(k, tag, **env):
        """Run STEPS steps from key ``k`` -> (rc, variant, [h per step], final key, final w)."""
        w, x = _inputs()
        np.asarray(k, np.uint32).tofile(d / "key.bin")
        w.tofile(d / "w.bin")
        x.tofile(d / "x.bin")
        e = {n: v for n, v in os.environ.items() if not n.startswith("XLAISH_AOT_")}
        e.update(env)
        r = subprocess.run([str(d / "prog"), str(d), str(STEPS), tag], capture_output=True, text=True,
                           timeout=60, env=e)
        assert r.returncode == 0, f"C program failed ({r.returncode}):\n{r.stderr}"
        rc, variant = r.stdout.split("\n", 1)
        if int(rc) != 0:
            return int(rc), variant.strip(), None, None, None
        hs = [np.fromfile(d / f"{tag}_h{s}.bin", np.float32).reshape(X_SHAPE) for s in range(STEPS)]
        return (0, variant.strip(), hs, np.fromfile(d / f"{tag}_key.bin", np.uint32),
                np.fromfile(d / f"{tag}_w.bin", np.float32).reshape(W_SHAPE))
    return run


def test_c_program_carries_the_key_and_matches_jit(c_prog):
    k = xr.key(42)
    rc, variant, hs, key, w = c_prog(k, "auto")
    assert rc == 0, variant
    want = _replay(xl.jit(step), k, *_inputs())
    for s, (h, (_, _, hf)) in enumerate(zip(hs, want)):
        np.testing.assert_array_equal(h, hf, err_msg=f"step {s}")
    np.testing.assert_array_equal(key, want[-1][0])
    np.testing.assert_array_max_ulp(w, want[-1][1], maxulp=16)
    masks = [h == 0 for h in hs]
    assert all(not np.array_equal(a, b) for i, a in enumerate(masks) for b in masks[:i])
    # another starting key: other masks at every step
    _, _, hs2, _, _ = c_prog(xr.key(43), "other")
    assert all(not np.array_equal(a == 0, b == 0) for a, b in zip(hs, hs2))


def test_every_variant_gives_the_same_masks(c_prog):
    if sys.platform != "linux" or os.uname().machine != "x86_64":
        pytest.skip("the variants are x86-64 levels")
    k = xr.key(5)
    runs = {}
    for v in ("v2", "v3", "v4"):
        rc, variant, hs, key, w = c_prog(k, v, XLAISH_AOT_VARIANT=v)
        if rc == 1:                       # DSTEP_ERR_CPU: this CPU cannot run that level
            assert "cannot run" in variant, variant
            continue
        assert (rc, variant) == (0, f"x86-64-{v}")
        runs[v] = (hs, key, w)
    assert "v2" in runs
    hs2, key2, w2 = runs["v2"]
    for v, (hs, key, w) in runs.items():
        np.testing.assert_array_equal(key, key2, err_msg=v)
        for h, h2 in zip(hs, hs2):
            np.testing.assert_array_equal(h, h2, err_msg=v)
        np.testing.assert_array_max_ulp(w, w2, maxulp=16)
