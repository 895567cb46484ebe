"""Text catalogues of the appliances: one TOML file per language, so a third language is a file.

Each app keeps ``locale/uk.toml``, ``locale/en.toml``... beside its code: flat ``key = "text"``
pairs (dotted keys or tables for grouping), with ``{name}`` placeholders. Ukrainian is the
reference: a key missing from another language falls back to it, and a key missing everywhere
shows as the key itself (visible in screenshots, never a crash).
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

REFERENCE = "uk"


class CatalogueError(Exception):
    """A catalogue file is missing or not valid TOML; the message names the file."""


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, str):
            flat[name] = value
        else:
            raise CatalogueError(f"{name}: a text must be a string, not {type(value).__name__}")
    return flat


def _load(path: Path) -> dict[str, str]:
    try:
        return _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise CatalogueError(f"{path}: no such catalogue") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: not a valid catalogue: {exc}") from None


class Catalogue:
    """The texts of one app in every language found in its folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._texts: dict[str, dict[str, str]] = {
            path.stem: _load(path) for path in sorted(self.folder.glob("*.toml"))
        }
        if REFERENCE not in self._texts:
            raise CatalogueError(f"{self.folder}: no {REFERENCE}.toml (the reference language)")

    @property
    def languages(self) -> list[str]:
        """Language codes with a file, the reference first."""
        return sorted(self._texts, key=lambda code: (code != REFERENCE, code))

    def missing(self, lang: str) -> list[str]:
        """Keys of the reference that ``lang`` does not translate (for tests and translators)."""
        own = self._texts.get(lang, {})
        return sorted(set(self._texts[REFERENCE]) - set(own))

    def text(self, lang: str, key: str, /, **params: Any) -> str:
        """The text ``key`` in ``lang`` with ``{placeholders}`` filled."""
        template = self._texts.get(lang, {}).get(key)
        if template is None:
            template = self._texts[REFERENCE].get(key)
        if template is None:
            logger.warning("no text for %s", key)
            return key
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            logger.warning("text %s (%s) needs other parameters than %s", key, lang, sorted(params))
            return template
