"""Events (EVT): events, their registries and the archive."""
