"""One ``distributed.LocalCluster`` (2 worker processes x 1 thread) per test module that asks for it."""
from __future__ import annotations

import pytest

TIMEOUT = 120          # seconds, for every compute: a stuck cluster fails the test, never hangs it


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40,
                                       env={"XLAISH_NUM_THREADS": "1"})
    c = distributed.Client(cluster, timeout=60)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def compute(client, *xs):
    """Compute dask collections on the cluster, each within TIMEOUT."""
    return [f.result(timeout=TIMEOUT) for f in client.compute(list(xs))]
