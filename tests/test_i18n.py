"""Unit tests of hub.i18n: choosing the language and the texts of every message."""

from __future__ import annotations

import re
import string

import pytest

from hub.errors import Conflict, DomainError, NotFound
from hub.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    MESSAGES,
    VALIDATION,
    WORDS,
    negotiate,
    normalise_language,
    translate,
    validation_message,
)

LANGUAGE_SUFFIX = re.compile(r"_(uk|en)$")


def placeholders(template: str) -> set[str]:
    """The names of the ``{param}`` fields of a str.format template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def neutral(names: set[str]) -> set[str]:
    """Placeholders with their language suffix removed (``name_uk`` and ``name_en`` match)."""
    return {LANGUAGE_SUFFIX.sub("", name) for name in names}


def has_cyrillic(text: str) -> bool:
    return any("\u0400" <= char <= "\u04ff" for char in text)


def test_languages() -> None:
    assert LANGUAGES == ("uk", "en")
    assert DEFAULT_LANGUAGE == "uk"


# --- normalise_language ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("uk", "uk"),
        ("en", "en"),
        ("EN", "en"),
        (" en ", "en"),
        ("en-US", "en"),
        ("en_GB", "en"),
        ("uk-UA", "uk"),
        ("UK_ua", "uk"),
        ("de", "uk"),
        ("ru", "uk"),
        ("english", "uk"),
        ("", "uk"),
        (None, "uk"),
        ("-", "uk"),
    ],
)
def test_normalise_language(given: str | None, expected: str) -> None:
    assert normalise_language(given) == expected


# --- negotiate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "uk"),
        ("", "uk"),
        ("en", "en"),
        ("uk", "uk"),
        ("en-US", "en"),
        ("EN-gb", "en"),
        ("uk-UA,uk;q=0.9,en;q=0.8", "uk"),
        ("en;q=0.8, uk;q=0.9", "uk"),
        ("uk;q=0.5, en;q=0.6", "en"),
        ("de, fr;q=0.9, en;q=0.1", "en"),
        ("de-DE,de;q=0.9", "uk"),
        ("*", "uk"),
        ("en;q=0", "uk"),
        ("en;q=0, uk;q=0", "uk"),
        ("en;q=0.0001", "en"),
        ("en;q=abc", "uk"),
        ("en;q=", "uk"),
        ("en ; q=0.7 , uk ; q=0.6", "en"),
        ("en, uk", "en"),  # equal quality: the first listed wins
        ("uk, en", "uk"),
        ("en;q=1, uk", "en"),
        (",,,", "uk"),
        (";;;", "uk"),
        ("en;level=1;q=0.4, uk;q=0.3", "en"),
        ("xx-YY, en-AU;q=0.5", "en"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_negotiate_uses_the_given_default() -> None:
    assert negotiate(None, "en") == "en"
    assert negotiate("", "en") == "en"
    assert negotiate("de, fr", "en") == "en"
    assert negotiate("uk;q=0.1", "en") == "uk"


def test_negotiate_survives_garbage() -> None:
    for header in ("q=1", "en;q=nan", "en;q=inf", "a" * 10_000, "en;q=1e999", "\u0000", "ж"):
        assert negotiate(header) in LANGUAGES


# --- translate -------------------------------------------------------------------------------


def test_translate_picks_the_language() -> None:
    assert translate("route_not_found", "uk") == "Немає такої адреси API."
    assert translate("route_not_found", "en") == "No such API address."
    assert translate("route_not_found", "en-US") == "No such API address."
    # unsupported languages fall back to Ukrainian
    assert translate("route_not_found", "de") == "Немає такої адреси API."
    assert translate("route_not_found", "") == "Немає такої адреси API."


def test_translate_fills_parameters() -> None:
    assert translate("duplicate_code", "uk", code="vip") == (
        "Код «vip» уже використано в цьому довіднику."
    )
    assert translate("duplicate_code", "en", code="vip") == (
        "The code 'vip' is already used in this reference book."
    )
    assert translate("not_found", "en", what="journal 7") == "Not found: journal 7."


def test_translate_accepts_parameters_named_code_and_lang() -> None:
    """A message parameter may be called ``code`` (the duplicate code) or even ``lang``."""
    assert "«x»" in translate("duplicate_code", "uk", code="x")
    assert translate("unknown_parameter", "en", key="k", lang="ignored") == "Unknown parameter 'k'."


def test_translate_names_actions_in_each_language() -> None:
    params = {"action": "delete", "doc_uk": "Задача", "doc_en": "task"}
    assert translate("right_missing", "uk", **params) == (
        "Немає права «видалення» для документа «Задача»."
    )
    assert (
        translate("right_missing", "en", **params)
        == "Missing right 'delete' on document type 'task'."
    )


def test_translate_system_entry_messages_name_the_entry_in_each_language() -> None:
    params = {"name_uk": "Черга", "name_en": "Queue"}
    uk = translate("system_entry_delete", "uk", **params)
    en = translate("system_entry_delete", "en", **params)
    assert uk == "«Черга» — системний запис; його не можна видалити."
    assert en == "'Queue' is a system entry and cannot be deleted."
    rename = translate("system_entry_rename", "en", **params)
    assert rename.startswith("'Queue' is a system entry; its code and names cannot be changed")


def test_language_specific_parameters_fall_back_to_the_plain_one() -> None:
    """Callers that know one name only (a numbering rule's document type) pass ``name``."""
    assert translate("system_entry_delete", "en", name="queue_ticket") == (
        "'queue_ticket' is a system entry and cannot be deleted."
    )
    assert translate("system_entry_delete", "uk", name="queue_ticket") == (
        "«queue_ticket» — системний запис; його не можна видалити."
    )
    # the specific value wins over the plain one
    assert translate("system_entry_delete", "en", name="x", name_en="Queue").startswith("'Queue'")
    # a plain placeholder does not borrow a suffixed parameter
    assert translate("not_found", "en", what_en="x") == "Not found: {what}."


def test_translate_fallbacks() -> None:
    # an unknown code is returned as it is, in any language
    assert translate("no_such_message", "uk") == "no_such_message"
    assert translate("no_such_message", "en", x=1) == "no_such_message"
    # a missing parameter leaves the template rather than failing
    assert (
        translate("duplicate_code", "en")
        == "The code '{code}' is already used in this reference book."
    )
    # extra parameters are ignored; values with braces are not formatted again
    assert translate("duplicate_code", "en", code="{x}", other=1) == (
        "The code '{x}' is already used in this reference book."
    )
    assert translate("not_found", "uk", what="{0} {what}") == "Не знайдено: {0} {what}."


def test_domain_errors_read_in_english() -> None:
    assert str(NotFound("not_found", what="journal 3")) == "Not found: journal 3."
    assert str(Conflict("duplicate_code", code="a")) == (
        "The code 'a' is already used in this reference book."
    )
    error = DomainError("unknown_parameter", key="k")
    assert error.code == "unknown_parameter"
    assert error.params == {"key": "k"}
    assert (NotFound.status, Conflict.status, DomainError.status) == (404, 409, 400)


# --- the message catalogue -------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_message_has_both_texts(code: str) -> None:
    uk, en = MESSAGES[code]
    assert uk.strip() and en.strip()
    assert uk != en
    assert has_cyrillic(uk), uk
    assert not has_cyrillic(en), en


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_uk_parameter_is_in_en(code: str) -> None:
    uk, en = MESSAGES[code]
    assert neutral(placeholders(uk)) == neutral(placeholders(en)), code
    # the language-specific parameters are the ones of each language
    assert not any(name.endswith("_en") for name in placeholders(uk)), uk
    assert not any(name.endswith("_uk") for name in placeholders(en)), en


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_message_formats_with_its_parameters(code: str) -> None:
    uk, en = MESSAGES[code]
    names = placeholders(uk) | placeholders(en)
    params = {name: f"<{name}>" for name in names}
    for lang, template in (("uk", uk), ("en", en)):
        text = translate(code, lang, **params)
        assert all("{" + name + "}" not in text for name in names), text
        for name in placeholders(template):
            assert f"<{name}>" in text


def test_words_have_both_languages() -> None:
    assert set(WORDS) == {"create", "change", "delete"}
    for uk, en in WORDS.values():
        assert has_cyrillic(uk) and en and not has_cyrillic(en)


# --- validation messages ---------------------------------------------------------------------


@pytest.mark.parametrize("error_type", sorted(VALIDATION))
def test_every_validation_message_has_a_ukrainian_text(error_type: str) -> None:
    uk, en = VALIDATION[error_type]
    assert uk.strip() and has_cyrillic(uk)
    if en is not None:
        assert en.strip() and not has_cyrillic(en)
        assert placeholders(en) <= placeholders(uk) | {"error"}


def test_validation_message_translates_with_context() -> None:
    assert validation_message("string_too_long", "uk", "String too long", {"max_length": 200}) == (
        "не довше 200 символів"
    )
    # English keeps pydantic's own text where no English template is given
    assert validation_message("string_too_long", "en", "String too long", {"max_length": 200}) == (
        "String too long"
    )
    assert validation_message("missing", "en", "Field required", {}) == "field required"
    assert validation_message("missing", "uk", "Field required", {}) == "обов'язкове поле"
    assert (
        validation_message(
            "literal_error", "uk", "Input should be 'a' or 'b'", {"expected": ["'a'", "'b'"]}
        )
        == "допустимі значення: 'a', 'b'"
    )
    assert validation_message("greater_than_equal", "uk", "ge", {"ge": 0}) == "має бути не менше 0"


def test_validation_message_fallbacks() -> None:
    # an unknown error type keeps pydantic's message in either language
    assert validation_message("brand_new_type", "uk", "Something odd", {}) == "Something odd"
    # missing context keeps pydantic's message instead of failing
    assert validation_message("string_too_long", "uk", "String too long", {}) == "String too long"
    assert validation_message("json_invalid", "en", "JSON", {"error": "Expecting value"}) == (
        "malformed JSON (Expecting value)"
    )
