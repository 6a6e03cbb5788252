"""Benchmarks: `python -m bench NAME`. They print ratios against a baseline measured in the same
run and are never part of the test suite's pass/fail."""
