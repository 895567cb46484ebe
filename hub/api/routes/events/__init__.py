"""Events (EVT)."""
