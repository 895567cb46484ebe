"""Logging to standard output (journald picks it up), with secrets kept out of it."""

from __future__ import annotations

import logging
import re
import sys

_SECRET = re.compile(
    r"(?i)(password|passwd|secret|token|api[_-]?key|authorization)(\"?\s*[:=]\s*\"?|\s+)([^\s\",&]+)"
)
_URL_CREDENTIALS = re.compile(r"(://[^:/@\s]+:)([^@\s]+)(@)")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S
)


def redact(text: str) -> str:
    """Hide values that look like secrets (``password=...``, ``user:pass@`` in URLs, PEM
    private keys)."""
    text = _PRIVATE_KEY.sub(r"-----BEGIN \1PRIVATE KEY----- *** (redacted)", text)
    text = _URL_CREDENTIALS.sub(r"\1***\3", text)
    return _SECRET.sub(r"\1\2***", text)


class RedactingFormatter(logging.Formatter):
    """A formatter that redacts secrets in the final line."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(level: str = "INFO") -> None:
    """Send every log line to standard output, redacted."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic announces every plugin and context at INFO; only its warnings matter here.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
