"""Ctrl-C during a compiled call: the process-wide interrupt flag compiled programs poll.

A compiled call runs with the GIL released, so CPython's SIGINT handler (which
only records the signal) gets to raise ``KeyboardInterrupt`` only when the
call returns. To stop the call early:

* ``FLAG`` is one ``int32`` for the whole process; every JIT-compiled module has a
  pointer global the runtime points at it (:mod:`xlaish.codegen.cpu.program`), and the
  code polls it at every while-loop iteration and between chunks of long kernels
  (on every worker thread), returning ``INTERRUPTED`` when it is set.
* CPython's C-level signal handler writes the signal number to the *wakeup fd*
  (``signal.set_wakeup_fd``) whatever the GIL is doing; ``install`` points that fd at a
  pipe read by a daemon thread here, which sets ``FLAG`` when it reads SIGINT.
* The caller that gets ``INTERRUPTED`` calls ``handle``: on the main thread it clears the
  flag and runs the pending signal handlers now (``PyErr_CheckSignals``), so the default
  handler raises ``KeyboardInterrupt`` (a user's handler runs as it would have; if it does
  not raise, the call is simply run again). Another thread's call was stopped by the same
  flag: it waits briefly for the main thread to clear it, then runs its call again.

No per-call cost: nothing is done on the call path unless a call returns ``INTERRUPTED``.
The wakeup fd is one per process: ``install`` takes it only when nobody holds it (an asyncio
loop running in the main thread does; compiled calls are then interrupted only when they
return, as before) and only from the main thread; it is retried each time a program is
compiled or loaded. A forked child drops the parent's pipe and installs its own on its next
compile. AOT libraries have no flag and are never interrupted.
"""
from __future__ import annotations

import ctypes
import os
import signal
import threading
import time

FLAG = ctypes.c_int32(0)          # polled by compiled code; lives as long as the process
ADDRESS = ctypes.addressof(FLAG)
_lock = threading.Lock()
_state: dict = {"pipe": None, "thread": None}

try:
    _check_signals = ctypes.pythonapi.PyErr_CheckSignals   # PyDLL: raises what a handler raised
    _check_signals.argtypes, _check_signals.restype = [], ctypes.c_int
except (AttributeError, OSError):       # not CPython: handlers run at the next bytecode
    def _check_signals():
        return 0


def _watch(r: int) -> None:
    while True:
        try:
            data = os.read(r, 64)
        except OSError:
            return
        if not data:
            return
        if signal.SIGINT in data:
            FLAG.value = 1


def install() -> bool:
    """Route SIGINT to ``FLAG`` (idempotent). False when it cannot: not on the main thread, or
    another owner holds the wakeup fd."""
    if threading.current_thread() is not threading.main_thread():
        return False
    with _lock:
        if _state["pipe"] is None:
            r, w = os.pipe()
            os.set_blocking(w, False)
            _state["pipe"] = (r, w)
        r, w = _state["pipe"]
        try:
            old = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
        except (ValueError, OSError):
            return False
        if old not in (-1, w):           # someone else's: give it back, stay uninterruptible
            signal.set_wakeup_fd(old)
            return False
        t = _state["thread"]
        if t is None or not t.is_alive():
            t = threading.Thread(target=_watch, args=(r,), name="xlaish-sigint", daemon=True)
            t.start()
            _state["thread"] = t
        return True


def handle() -> None:
    """After a call returned ``INTERRUPTED``: raise what the pending signal handlers raise
    (``KeyboardInterrupt``); if they raise nothing, return so that the caller runs the call again."""
    if threading.current_thread() is threading.main_thread():
        FLAG.value = 0
        _check_signals()
        return
    deadline = time.monotonic() + 0.05      # the main thread clears it as soon as its call returns
    while FLAG.value and time.monotonic() < deadline:
        time.sleep(0.001)
    FLAG.value = 0


def _after_fork_child() -> None:
    global _lock
    _lock = threading.Lock()
    FLAG.value = 0
    pipe = _state["pipe"]
    _state["pipe"] = _state["thread"] = None
    if pipe is None:
        return
    try:
        old = signal.set_wakeup_fd(-1)       # the parent's pipe: not ours to write to
        if old not in (-1, pipe[1]):
            signal.set_wakeup_fd(old)
    except (ValueError, OSError):
        pass
    for fd in pipe:
        try:
            os.close(fd)
        except OSError:
            pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_child)
