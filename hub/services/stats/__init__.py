"""Statistics of the service desk (STAT-1, STAT-2): the facts recorded and the figures read."""
