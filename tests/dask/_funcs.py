"""Module-level jitted functions the serialisation and cluster tests ship to other processes."""
from __future__ import annotations

import numpy as np

import xlaish as xl


@xl.jit
def centered_scaled(x, g):
    m = x.mean(axis=-1, keepdims=True)
    return (x - m) * g


def layernorm_softmax(x, g):
    m = x.mean(axis=-1, keepdims=True)
    v = ((x - m) ** 2).mean(axis=-1, keepdims=True)
    y = (x - m) / np.sqrt(v + 1e-5) * g
    e = np.exp(y - y.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def kill_worker_once(block, marker, block_info=None):
    """Identity on blocks, except that the first time block 1 is seen its worker process dies."""
    import os
    if block_info is not None and block_info[0]["chunk-location"][0] == 1:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return block
        os.close(fd)
        os._exit(1)
    return block
