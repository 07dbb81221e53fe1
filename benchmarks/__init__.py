"""xlaish benchmarks: the workloads and the fused-vs-unfused runner (``xlaish bench``)."""
