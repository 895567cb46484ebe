"""Request and reply shapes of the REST API, kept apart from the table models."""
