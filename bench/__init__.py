"""Benchmark harness: `make bench` (see BENCHMARKS.md)."""
