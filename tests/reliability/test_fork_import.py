"""Fork while another thread is importing one of xlaish's lazily imported compiler modules: the
child's first compile used to wait forever on that module's import lock, inherited held by a
thread the child does not have. xlaish's before-fork handler now lets such imports finish first.

(The same hang with any other module is CPython's behaviour; see the README's fork section.)
The import is held open by a finder that delays its execution; the child runs under a deadline
so a regression fails instead of stalling pytest."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent('''
    import importlib.abc, importlib.util, os, sys, threading, time
    import numpy as np
    import xlaish as xl
    assert "xlaish.runtime.cpu" not in sys.modules
    started = threading.Event()

    class SlowImport(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "xlaish.runtime.cpu":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            real = spec.loader.exec_module
            def exec_module(module):
                started.set()
                time.sleep(1.0)            # the fork is requested now, mid-import
                real(module)
            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, SlowImport())
    t = threading.Thread(target=lambda: __import__("xlaish.runtime.cpu"))
    t.start()
    started.wait()
    pid = os.fork()
    if pid == 0:
        out = xl.jit(lambda x: x * 2 + 1)(np.arange(4.0))
        os._exit(0 if (out == np.arange(4.0) * 2 + 1).all() else 3)
    t.join()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            print("child exit", os.waitstatus_to_exitcode(status))
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        print("child hung")
''')


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_during_a_compiler_module_import():
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "child exit 0", (r.stdout, r.stderr)
