"""`make bench`: how well the network does its job, measured on the real broker and PostgreSQL.

Benchmarks are a command, not timed tests: each scenario prints what it measured, the run
writes one table (``.bench/results.md`` and ``.json``) and draws the figures as PNG plots
under ``docs/bench/``. The README quotes what the command printed.
"""
