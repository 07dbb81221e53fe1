"""Ctrl-C during a compiled call raises KeyboardInterrupt while the call runs, and the process
stays usable (issue 22 #9).

The compiled call runs with the GIL released, so KeyboardInterrupt used to arrive only when it
returned. Now compiled code polls a process-wide flag (every while-loop iteration, between chunks
of long kernels) that a SIGINT sets (xlaish.runtime.interrupt). The end-to-end test interrupts a
loop that never ends, in a child process with a deadline: no timing assertion, a regression is a
timeout."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np

import xlaish as xl
from xlaish.codegen.cpu.program import INTERRUPTED
from xlaish.runtime import interrupt

CHILD = textwrap.dedent('''
    import sys
    import numpy as np
    import xlaish as xl

    @xl.jit
    def spin(x, a):
        # never ends for x >= 0; a big array is carried so the body runs parallel kernels
        def body(c):
            return c[0] * 1.0, c[1] * 1.0 + 1.0, c[2] + 1
        return xl.while_loop(lambda c: c[0] >= 0, body, (x, a, np.int64(0)))[2]

    @xl.jit
    def total(a):
        return (np.sin(a) * 2.0).sum(axis=1)

    big = np.ones((512, 4096))
    spin(np.float64(-1.0), big)              # compiled (and run: ends at once) before the signal
    print("ready", flush=True)
    try:
        spin(np.float64(1.0), big)
        print("returned", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    # the process is usable: the same function, and a parallel program on the worker pool
    assert spin(np.float64(-1.0), big) == 0
    a = np.random.default_rng(0).standard_normal((256, 8192))
    np.testing.assert_allclose(total(a), (np.sin(a) * 2.0).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(total(a), (np.sin(a) * 2.0).sum(axis=1), rtol=1e-12)
    print("ok", flush=True)
''')


def test_ctrl_c_stops_a_loop_that_never_ends():
    env = dict(os.environ, XLAISH_NUM_THREADS="2")
    p = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
    try:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
        time.sleep(0.3)                  # let the endless call start
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise AssertionError("Ctrl-C did not stop the compiled loop (the child hung)") from None
    assert p.returncode == 0, err
    assert out.split() == ["interrupted", "ok"], (out, err)


def _long_kernel():
    f = xl.jit(lambda a: np.sin(a) * 2.0 + 1.0)
    a = np.linspace(0.0, 10.0, 4096 * 2048).reshape(4096, 2048)    # 2^23 elements: polled
    return f, a, f.lower(a).executable


def test_long_kernel_stops_on_the_flag_and_runs_again():
    f, a, exe = _long_kernel()
    out = np.empty_like(a)
    bufs = exe.buf_t(a.ctypes.data, out.ctypes.data)
    interrupt.FLAG.value = 1
    try:
        rc = exe.entry(bufs, 2)          # on two threads: every chunk sees the flag
    finally:
        interrupt.FLAG.value = 0
    assert rc == INTERRUPTED
    np.testing.assert_allclose(f(a), np.sin(a) * 2.0 + 1.0)


def test_a_stale_flag_reruns_the_call():
    """A flag left set with no signal pending (the call ended as the signal came): the main
    thread's call and another thread's call run again and answer right."""
    f, a, _ = _long_kernel()
    expected = np.sin(a) * 2.0 + 1.0
    interrupt.FLAG.value = 1
    np.testing.assert_allclose(f(a), expected)
    assert interrupt.FLAG.value == 0
    got = []
    interrupt.FLAG.value = 1
    t = threading.Thread(target=lambda: got.append(f(a)))
    t.start()
    t.join(60)
    assert not t.is_alive()
    np.testing.assert_allclose(got[0], expected)


def test_aot_module_has_no_flag():
    """AOT libraries run without Python: no interrupt global, no polling."""
    from xlaish.codegen.cpu.program import build_module
    f = xl.jit(lambda x: xl.fori_loop(0, 10, lambda i, c: c * 2.0, x))
    fn = f.lower(np.float64(1.0)).optimized
    module, layout = build_module(fn)
    assert layout.interrupt_name == "" and "xl_interrupt" not in str(module)
    module, layout = build_module(fn, cache_scratch=True)
    assert layout.interrupt_name and layout.interrupt_name in str(module)
