"""Each program compiles once: racing first calls from threads share one compile, cold
processes sharing a disk cache compile each program once between them; the signatures a
function keeps are bounded (LRU); ``xl.clear_caches()`` drops compiled code from memory."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np

import xlaish as xl
from xlaish.jit import STATS as JIT_STATS
from xlaish.runtime import cpu

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_16_threads_racing_a_first_call_compile_once(monkeypatch):
    monkeypatch.setenv("XLAISH_CACHE_DIR", "off")
    f = xl.jit(lambda x, y: np.sin(x) * y + 1)
    x, y = np.linspace(0, 1, 64), np.linspace(1, 2, 64)
    ref = np.sin(x) * y + 1
    start = threading.Barrier(16)
    results, errors = [None] * 16, []
    c0, s0 = cpu.STATS["llvm_compiles"], JIT_STATS["compiles"]

    def work(i):
        try:
            start.wait()
            results[i] = f(x, y)
        except Exception as e:       # pragma: no cover (reported below)
            errors.append(e)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    for r in results:
        np.testing.assert_allclose(r, ref, rtol=1e-12)
    assert f.compile_count == 1
    assert JIT_STATS["compiles"] - s0 == 1
    assert cpu.STATS["llvm_compiles"] - c0 == 1


def test_threads_racing_different_signatures_each_compile_once(monkeypatch):
    monkeypatch.setenv("XLAISH_CACHE_DIR", "off")
    f = xl.jit(lambda x: x * 2 - 1)
    inputs = [np.arange(n, dtype=np.float32) for n in (3, 4, 5, 6)] * 4
    start = threading.Barrier(len(inputs))
    out = [None] * len(inputs)

    def work(i):
        start.wait()
        out[i] = f(inputs[i])
    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for a, r in zip(inputs, out):
        np.testing.assert_array_equal(r, a * 2 - 1)
    assert f.compile_count == 4


_CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np, xlaish as xl
    from xlaish.runtime import cpu
    while time.time() < float(sys.argv[1]):       # start together
        time.sleep(0.005)
    x = np.linspace(-1, 1, 257)
    a = xl.jit(lambda x: np.tanh(x) * 3 + x)(x)
    b = xl.jit(lambda x: np.exp(-x * x) - x)(x)
    np.testing.assert_allclose(a, np.tanh(x) * 3 + x, rtol=1e-12)
    np.testing.assert_allclose(b, np.exp(-x * x) - x, rtol=1e-12)
    print(cpu.STATS["llvm_compiles"])
""")


def test_cold_processes_sharing_a_cache_compile_each_program_once(tmp_path):
    import time
    env = dict(os.environ, XLAISH_CACHE_DIR=str(tmp_path / "cache"),
               XLAISH_CACHE_KEY_FILE=str(tmp_path / "key"),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    at = str(time.time() + 3.0)
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, at], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(6)]
    counts = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        counts.append(int(out.split()[-1]))
    assert sum(counts) == 2, counts                 # two programs, each compiled by one process
    assert len(list((tmp_path / "cache").rglob("*.xlc"))) == 2


def test_signatures_per_function_are_bounded_lru(monkeypatch):
    monkeypatch.setenv("XLAISH_CACHE_DIR", "off")
    monkeypatch.setenv("XLAISH_MAX_SIGNATURES", "3")
    f = xl.jit(lambda x: x + 1, device="interpreter")
    arrays = [np.zeros(n) for n in range(1, 6)]
    for a in arrays:
        np.testing.assert_array_equal(f(a), a + 1)
    assert len(f._cache) == 3
    assert f.compile_count == 5
    f(arrays[2])                          # still cached: no compile, and now most recent
    assert f.compile_count == 5
    f(arrays[0])                          # evicted earlier: compiles again, evicts arrays[3]
    assert f.compile_count == 6
    f(arrays[2])
    assert f.compile_count == 6
    for a in arrays:                      # every answer stays right through evictions
        np.testing.assert_array_equal(f(a), a + 1)


def test_clear_caches_drops_compiled_code(monkeypatch):
    monkeypatch.setenv("XLAISH_CACHE_DIR", "off")
    f = xl.jit(lambda x: x * 3)
    x = np.arange(4.0)
    f(x)
    f(x)
    assert f.compile_count == 1
    xl.clear_caches()
    assert len(f._cache) == 0
    np.testing.assert_array_equal(f(x), x * 3)
    assert f.compile_count == 2


def test_forked_child_uses_and_extends_the_caches(tmp_path):
    """A child forked after compiles (threads done) runs the parent's compiled code and compiles
    new programs through the shared disk cache. (Forking while another thread is compiling is not
    safe: LLVM and Python's import locks held by that thread stay held in the child.)"""
    code = textwrap.dedent("""
        import os, threading, numpy as np, xlaish as xl
        f = xl.jit(lambda x: x + 2)
        x = np.arange(3.0)
        t = threading.Thread(target=lambda: f(x)); t.start(); t.join()
        pid = os.fork()
        if pid == 0:
            ok = (f(x) == x + 2).all() and (xl.jit(lambda y: y * 5)(x) == x * 5).all()
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), (xl.jit(lambda y: y * 5)(x) == x * 5).all())
    """)
    env = dict(os.environ, XLAISH_CACHE_DIR=str(tmp_path / "c"), XLAISH_CACHE_KEY_FILE=str(tmp_path / "k"),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300, cwd=ROOT, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "True"]
    assert len(list((tmp_path / "c").rglob("*.xlc"))) == 2
