"""Routes that exist only on a hub started for a bench (``bench_mode``)."""
