"""Messages of the tasks module."""

MESSAGES: dict[str, tuple[str, str]] = {}
