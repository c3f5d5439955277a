"""Benchmarks of the deployable functions: cold-start imports, DynamoDB requests and latency of a chat turn.

Run with ``make bench`` (``python -m bench``); the figures go to stdout and ``bench/RESULTS.md``.
This package's ``__init__`` imports nothing: the cold-start children import it before their clock starts.
"""
