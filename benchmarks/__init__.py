"""xlaish benchmarks: one harness (``xlaish bench`` / ``python -m benchmarks``).

Layout (one owner per fact):

* :mod:`.workloads` -- every workload once: inputs per mode (full / quick / tiny), the one
  spelling ``fn(*inputs, xp=...)``, tolerances per dtype, notes.
* :mod:`.backends` -- the ``xp`` namespaces: NumPy, xlaish (NumPy's spelling traced by
  ``xlaish.jit``), ``jax.numpy``, CuPy, each with its ``erf`` / ``value_and_grad`` / ``add_at``.
* :mod:`.models` -- the MLP classifier and the tutorial CNN (forward, loss, SGD step, and the
  hand-written NumPy backward passes); shared with :mod:`.compile_time`.
* :mod:`.baselines` -- code that is genuinely different: Numba loop nests, numexpr expressions.
* :mod:`.impls` -- the implementations (how each library builds, feeds, syncs and reads back a
  workload), for the CPU and for a CUDA device.
* :mod:`.timing` -- interleaved timing (median and min), machine facts, load average.
* :mod:`.runner` -- the command line, the correctness check against NumPy, the run loop.
* :mod:`.report` -- the JSON, markdown and PNG results; ``python -m benchmarks.report FILE.json``
  prints the README's performance table from a results file.
* :mod:`.gpu` -- ``python -m benchmarks.gpu``: the same harness with ``--device cuda``.

Other modules are standalone studies with their own entry points (``compile_time``, ``loops``,
``memory``, ``dask_pipeline``, ...).

Adding a workload: write its function once in :mod:`.workloads` with NumPy's spelling through
``xp`` (``def f(a, b, xp=NP): return xp.tanh(a) @ b``; use ``xp.erf``, ``xp.add_at``,
``xp.value_and_grad`` for what libraries spell differently, and add such a helper to
:class:`.backends.Backend` if a new one is needed), then append a ``Workload(name, title, sizes,
make_inputs, f, ...)`` record to ``WORKLOADS``: sizes for ``full`` (and smaller ``quick`` /
``tiny`` ones if full is slow), float32 inputs from the seeded ``rng``, and a ``tol`` override
with a ``note`` only if the default per-dtype tolerance does not hold for a stated reason. Every
implementation then runs it and is checked against NumPy (``tests/bench`` checks all of them at
the tiny size). A Numba loop nest or numexpr expression, if worth having, goes into
:mod:`.baselines` under the function's name; a workload needing autodiff sets
``needs=("grad",)`` and gives NumPy's hand-written version as ``numpy=``.
"""
