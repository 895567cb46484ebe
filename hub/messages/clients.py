"""Messages of the clients module."""

MESSAGES: dict[str, tuple[str, str]] = {}
