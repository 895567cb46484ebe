"""Messages of the events module."""

MESSAGES: dict[str, tuple[str, str]] = {}
