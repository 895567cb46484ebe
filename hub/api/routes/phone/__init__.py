"""Phone lines (PH): calls."""
