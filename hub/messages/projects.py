"""Messages of the projects module."""

MESSAGES: dict[str, tuple[str, str]] = {}
