"""Benchmarks for imap-sansio: run ``python -m benchmarks`` (``--quick`` for under a minute)."""
