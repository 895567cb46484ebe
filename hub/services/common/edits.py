"""Two people editing one card: the second save is refused, never silently overwriting the first.

A form carries the fingerprint of the record as it was shown (its editable values, hashed); the
save compares it with the record as it is now, inside the saving transaction, and refuses with
``edit_conflict`` when someone changed it meanwhile. No column is needed: any change of a value
the form shows changes the fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from hub.errors import Conflict


def fingerprint(record: Any, fields: Iterable[str]) -> str:
    """A short digest of ``record``'s ``fields`` as they are now."""
    values = {name: getattr(record, name) for name in fields}
    data = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]


def check_unchanged(record: Any, fields: Iterable[str], shown: str | None, *, what: str) -> None:
    """Conflict (``edit_conflict``) unless ``record`` still has the fingerprint ``shown``; call
    it after loading the record in the saving transaction, before changing it."""
    if shown is not None and shown != fingerprint(record, list(fields)):
        raise Conflict("edit_conflict", what=what)
