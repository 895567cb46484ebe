"""Routes of the statistics (STAT-1, STAT-2, STAT-3)."""
