"""Mail passwords sealed at rest: Fernet with a key kept in the data folder.

The key file (``mail.key``, mode 0600) is made on first use; a database copied without the
data folder's key holds no usable mail password. Several hubs on one PostgreSQL must share the
file (docs/mail.md). A sealed value is never given back through any interface: only whether one
is set.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models.mail import MailSecret
from hub.errors import Invalid

KEY_FILE = "mail.key"
MAX_SECRET = 256
SMTP = "smtp"
CORPORATE = "mailbox:corporate"


def mailbox_secret(user_id: int) -> str:
    """The secret's name of an employee's mailbox password."""
    return f"mailbox:user:{user_id}"


class Sealer:
    """Seals and opens short secrets with the data folder's key (made on first use)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / KEY_FILE
        self._fernet: Fernet | None = None
        self._lock = threading.Lock()

    def _key(self) -> Fernet:
        with self._lock:
            if self._fernet is None:
                if not self.path.exists():
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    try:
                        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    except FileExistsError:
                        pass  # another process made it meanwhile
                    else:
                        with os.fdopen(fd, "wb") as handle:
                            handle.write(Fernet.generate_key())
                self._fernet = Fernet(self.path.read_bytes().strip())
            return self._fernet

    def seal(self, plain: str) -> str:
        """The secret encrypted (and authenticated) with the key."""
        return self._key().encrypt(plain.encode()).decode("ascii")

    def open(self, sealed: str) -> str | None:
        """The secret, or None when it was sealed with another key."""
        try:
            return self._key().decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            return None


def set_secret(session: Session, sealer: Sealer, name: str, plain: str | None) -> None:
    """Store (or, with None or empty, remove) a mail password."""
    if plain and (len(plain) > MAX_SECRET or any(ord(ch) < 32 for ch in plain)):
        raise Invalid("mail_password_invalid", field="password")
    row = session.get(MailSecret, name)
    if not plain:
        session.execute(delete(MailSecret).where(MailSecret.name == name))
    elif row is None:
        session.add(MailSecret(name=name, sealed=sealer.seal(plain)))
    else:
        row.sealed, row.updated_at = sealer.seal(plain), utcnow()
    session.flush()


def get_secret(session: Session, sealer: Sealer, name: str) -> str | None:
    """A stored mail password in clear, for the connection that needs it, or None."""
    sealed = session.scalar(select(MailSecret.sealed).where(MailSecret.name == name))
    return sealer.open(sealed) if sealed is not None else None


def secrets_set(session: Session, names: list[str]) -> set[str]:
    """Which of these secrets hold a value (never the values)."""
    return set(session.scalars(select(MailSecret.name).where(MailSecret.name.in_(names))))
