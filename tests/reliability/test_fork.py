"""Fork safety: a child forked while another thread of the parent is compiling (inside an LLVM
call, holding llvmlite's lock) compiles and runs its own programs, and starts its own worker pool.

The child's first compile used to hang forever on llvmlite's lock, inherited held by the
compiling thread. The parent runs in a subprocess; each child must finish within a deadline or
the script kills it and reports it hung, so a regression fails the test instead of stalling pytest."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent('''
    import os, sys, threading, time
    import numpy as np
    from llvmlite.binding import ffi
    import xlaish as xl
    from xlaish.runtime import pool

    compiler = None
    armed = threading.Event()       # set by the main thread: the compiler should stop inside LLVM
    inside = threading.Event()      # set by the compiler thread: it holds llvmlite's lock now

    def on_acquire():
        # runs with llvmlite's lock held; in the compiler thread, once per arming, wait inside it
        if threading.current_thread() is compiler and armed.is_set():
            armed.clear()
            inside.set()
            time.sleep(0.3)         # the fork is requested now, while this thread holds the lock

    ffi.register_lock_callback(on_acquire, lambda: None)
    stop = False

    def compile_forever():
        i = 0
        while not stop:
            i += 1
            f = xl.jit(lambda x, i=i: np.sin(x) * i + np.cos(x) ** 2)
            f(np.ones(8 + i % 5))

    # the parent has compiled before (its lazy imports are done, its worker pool is running):
    # a fork while another thread runs a module's first import is a CPython hazard of its own
    # (that module's import lock stays held in the child), not one xlaish can lift
    x = np.linspace(-1, 1, 300_000)
    assert np.allclose(xl.jit(lambda x: np.tanh(x) * 3.0)(x), np.tanh(x) * 3.0)
    compiler = threading.Thread(target=compile_forever, daemon=True)
    compiler.start()
    statuses = []
    for k in range(3):
        inside.clear()
        armed.set()
        if not inside.wait(60):
            print("compiler thread never entered LLVM"); sys.exit(2)
        pid = os.fork()             # while the compiler thread is inside an LLVM call
        if pid == 0:
            r = xl.jit(lambda x: np.tanh(x) * 2.0 + k)(x)
            ok = np.allclose(r, np.tanh(x) * 2.0 + k)
            mine = pool._state.get("pid") in (None, os.getpid())    # never the parent's pool
            os._exit(0 if ok and mine else 3)
        deadline = time.monotonic() + 90
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                statuses.append(os.waitstatus_to_exitcode(status))
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                statuses.append("hung")
                break
            time.sleep(0.02)
    stop = True
    print("statuses", statuses)
    sys.exit(0 if statuses == [0, 0, 0] else 1)
''')


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_while_another_thread_compiles(tmp_path):
    env = dict(os.environ, XLAISH_CACHE_DIR="off", PYTHONPATH=os.getcwd() + os.pathsep
               + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                          timeout=400, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "statuses [0, 0, 0]" in proc.stdout
