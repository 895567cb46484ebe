"""The HTTP adapter: FastAPI routes that translate requests into calls to the domain services."""
