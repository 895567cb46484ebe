"""Password hashing (Argon2id) and random secrets (tokens, API keys) stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 8
API_KEY_PREFIX = "chk_"


@dataclass(frozen=True)
class Hasher:
    """Argon2id with configurable cost; the parameters travel inside each hash.

    At most ``parallel`` hashes run at once in the process; more wait their turn. Each holds
    ``memory_kib`` (64 MiB) while it runs and argon2 lets go of the interpreter lock, so eight
    logins at once took a process past 500 MiB, half of a 1 GB Pi (docs/raspberry_pi.md, "A
    Pi-sized hub").
    """

    memory_kib: int = 65536
    time_cost: int = 3
    parallel: int = 2
    _turns: threading.BoundedSemaphore = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.parallel < 1:
            raise ValueError("parallel must be at least 1")
        object.__setattr__(self, "_turns", threading.BoundedSemaphore(self.parallel))

    @property
    def _hasher(self) -> PasswordHasher:
        return PasswordHasher(memory_cost=self.memory_kib, time_cost=self.time_cost, parallelism=1)

    def hash(self, password: str) -> str:
        """A salted Argon2id hash of ``password``."""
        with self._turns:
            return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; costs the same time when there is no hash at all."""
        hasher = self._hasher
        with self._turns:
            if not password_hash:
                # Spend the same effort for unknown users so timing does not reveal them.
                hasher.hash(password)
                return False
            try:
                return hasher.verify(password_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters than the current ones."""
        return self._hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """A random bearer token (256 bits)."""
    return secrets.token_urlsafe(32)


def new_api_key() -> str:
    """A random API key, recognisable by its prefix."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def generate_password() -> str:
    """A random password for a first administrator (about 96 bits, easy to type)."""
    return secrets.token_urlsafe(12)


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret; enough for random tokens, never for passwords."""
    return hashlib.sha256(secret.encode()).hexdigest()
