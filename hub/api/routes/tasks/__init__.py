"""Tasks (TSK)."""
