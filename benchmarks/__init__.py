"""lphedge benchmarks: `python -m benchmarks [--paths N] [--repeats R] [--json PATH] [--quick]`.

Checks the engine's results, then measures in one run: compile time (cold and cached), single-core
throughput of the path kernel against the random-number floor, and parallel efficiency. See
benchmarks/README.md. Importing this package loads nothing heavy (the compile probe relies on it).
"""
