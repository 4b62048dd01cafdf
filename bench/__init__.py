"""Benchmarks: engine latency against raw SQL and Datasette, cold start, scale to a million
synthetic visits, and the Discord bot's start-up and memory. `python -m bench.run`."""
