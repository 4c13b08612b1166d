"""Parallel ingestion: worker processes read and extract, the parent enriches and writes, in input order.

The template miner learns from events in the order it sees them, and which issue an event joins
depends on what came before it; so grouping stays in one process, fed in input order, and only
the order-free work moves to workers: reading, decoding, assembling multi-line records, counting
lines and extracting events. Large files are cut at record boundaries into byte ranges
(`split.py`); each range is read by a worker (`worker.py`); the parent (`run.py`) takes the
results back in input order. Fingerprints and template ids are therefore the same for any
number of workers and any cut.
"""
