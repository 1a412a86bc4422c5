"""Benchmarks: how fast this install runs the handbook's workloads, next to NumPy and to the
machine's own measured matmul peak (`pytest --benchmark-only`).

Each test_bench_* module is one workload group; each test in it one alternative (eager as the
handbook writes it, tf.function, XLA, NumPy, ...), parameterised over devices. Benchmarks measure,
they are not claims: they carry no claim marker and never pass or fail on speed. Every body still
asserts its result against a NumPy reference, so the plain run (timing off; see
fixtures/benchmark_summary_plugin.py) is a correctness test of the thing that would be timed.
"""
