"""Messages for people, in Ukrainian and English, and choosing the language of a reply."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("uk", "en")
DEFAULT_LANGUAGE = "uk"

# code -> (Ukrainian, English); parameters in str.format style.
MESSAGES: dict[str, tuple[str, str]] = {
    "internal_error": (
        "Внутрішня помилка сервера. Спробуйте ще раз або зверніться до адміністратора.",
        "Internal server error. Try again or contact the administrator.",
    ),
    "not_found": ("Не знайдено: {what}.", "Not found: {what}."),
    "route_not_found": ("Немає такої адреси API.", "No such API address."),
    "method_not_allowed": ("Цей метод не підтримується тут.", "This method is not supported here."),
    "validation_error": ("Неправильні дані: {details}", "Invalid data: {details}"),
    "body_unreadable": (
        "Не вдалося прочитати тіло запиту: некоректний або надто глибоко вкладений JSON.",
        "The request body could not be read: malformed or too deeply nested JSON.",
    ),
    "body_too_large": ("Тіло запиту завелике.", "The request body is too large."),
    "not_authenticated": (
        "Потрібно увійти: передайте токен або ключ API.",
        "Authentication required: send a token or an API key.",
    ),
    "bad_credentials": ("Неправильне ім'я користувача або пароль.", "Wrong username or password."),
    "token_invalid": (
        "Токен недійсний або прострочений; увійдіть знову.",
        "The token is invalid or expired; log in again.",
    ),
    "api_key_logout": (
        "Ключ API не завершує сеанс: відкличте його в списку ключів користувача.",
        "An API key cannot log out: revoke it in the user's list of keys.",
    ),
    "user_inactive": ("Обліковий запис вимкнено.", "The account is disabled."),
    "no_crm_access": (
        "Користувач не має доступу до системи «Відносини з клієнтами».",
        "The user has no access to the customer-relations system.",
    ),
    "right_missing": (
        "Немає права «{action_uk}» для документа «{doc_uk}».",
        "Missing right '{action_en}' on document type '{doc_en}'.",
    ),
    "journal_right_missing": (
        "Немає права «{action_uk}» у журналі «{journal}».",
        "Missing right '{action_en}' in journal '{journal}'.",
    ),
    "admin_required": (
        "Ця дія доступна лише адміністратору.",
        "Only an administrator may do this.",
    ),
    "settings_tab_hidden": (
        "Вкладка налаштувань «{tab}» вам недоступна.",
        "The settings tab '{tab}' is not available to you.",
    ),
    "task_status_change_denied": (
        "Вам заборонено змінювати статус задачі.",
        "You are not allowed to change a task's status.",
    ),
    "system_entry_delete": (
        "«{name_uk}» — системний запис; його не можна видалити.",
        "'{name_en}' is a system entry and cannot be deleted.",
    ),
    "system_entry_rename": (
        "«{name_uk}» — системний запис; його код і назви змінювати не можна "
        "(опис, порядок і колір — можна).",
        "'{name_en}' is a system entry; its code and names cannot be changed "
        "(its description, order and colour can).",
    ),
    "duplicate_code": (
        "Код «{code}» уже використано в цьому довіднику.",
        "The code '{code}' is already used in this reference book.",
    ),
    "entry_in_use": (
        "«{name_uk}» використовується, тому його не можна видалити.",
        "'{name_en}' is in use and cannot be deleted.",
    ),
    "history_field_unknown": (
        "Поля «{name}» журнал змін задач і подій не веде; оберіть поля зі списку.",
        "The change log of tasks and events has no field '{name}'; choose fields from the list.",
    ),
    "history_fields_too_many": (
        "Група історії може містити не більше {max} полів.",
        "A history group may list at most {max} fields.",
    ),
    "duplicate_username": (
        "Користувач «{username}» уже існує.",
        "User '{username}' already exists.",
    ),
    "password_too_short": (
        "Пароль має містити щонайменше {min} символів.",
        "The password must have at least {min} characters.",
    ),
    "wrong_current_password": ("Поточний пароль неправильний.", "The current password is wrong."),
    "last_admin": (
        "Не можна вимкнути або позбавити прав останнього активного адміністратора.",
        "The last active administrator cannot be disabled or demoted.",
    ),
    "numbering_not_configured": (
        "Нумерацію для «{doc_type}» не налаштовано.",
        "Numbering for '{doc_type}' is not configured.",
    ),
    "numbering_rule_exists": (
        "Правило нумерації для «{doc_type}» уже є.",
        "A numbering rule for '{doc_type}' already exists.",
    ),
    "numbering_exhausted": (
        "Номери «{doc_type}» вичерпано: {value} не вміщується у {width} цифр.",
        "Numbers for '{doc_type}' ran out: {value} does not fit in {width} digits.",
    ),
    "unknown_parameter": ("Невідомий параметр «{key}».", "Unknown parameter '{key}'."),
    "rate_limited": (
        "Забагато спроб. Зачекайте {seconds} с і спробуйте знову.",
        "Too many attempts. Wait {seconds} s and try again.",
    ),
    "database_unavailable": ("База даних недоступна.", "The database is unavailable."),
}


def _merge_catalogues() -> None:
    from hub.messages import CATALOGUES

    for catalogue in CATALOGUES:
        clash = MESSAGES.keys() & catalogue.keys()
        if clash:
            raise RuntimeError(f"message codes defined twice: {sorted(clash)}")
        MESSAGES.update(catalogue)


_merge_catalogues()

# Words used inside messages.
WORDS: dict[str, tuple[str, str]] = {
    "create": ("створення", "create"),
    "change": ("зміна", "change"),
    "delete": ("видалення", "delete"),
}

# pydantic error type -> (Ukrainian template, English template or None for pydantic's own text).
VALIDATION: dict[str, tuple[str, str | None]] = {
    "missing": ("обов'язкове поле", "field required"),
    "extra_forbidden": ("невідоме поле", "unknown field"),
    "string_too_long": ("не довше {max_length} символів", None),
    "string_too_short": ("не коротше {min_length} символів", None),
    "string_type": ("має бути рядком", None),
    "string_pattern_mismatch": ("не відповідає формату", None),
    "int_parsing": ("має бути цілим числом", None),
    "int_type": ("має бути цілим числом", None),
    "int_from_float": ("має бути цілим числом", None),
    "float_parsing": ("має бути числом", None),
    "bool_parsing": ("має бути true або false", None),
    "bool_type": ("має бути true або false", None),
    "literal_error": ("допустимі значення: {expected}", None),
    "enum": ("допустимі значення: {expected}", None),
    "greater_than_equal": ("має бути не менше {ge}", None),
    "less_than_equal": ("має бути не більше {le}", None),
    "greater_than": ("має бути більше {gt}", None),
    "less_than": ("має бути менше {lt}", None),
    "json_invalid": ("некоректний JSON ({error})", "malformed JSON ({error})"),
    "json_type": ("очікується JSON", None),
    "model_attributes_type": ("очікується об'єкт", None),
    "dict_type": ("очікується об'єкт", None),
    "list_type": ("очікується список", None),
    "date_from_datetime_parsing": ("некоректна дата", None),
    "date_parsing": ("некоректна дата", None),
    "datetime_parsing": ("некоректні дата й час", None),
    "datetime_from_date_parsing": ("некоректні дата й час", None),
    "value_error": ("некоректне значення ({error})", None),
    "string_unicode": ("має бути коректним текстом Unicode", None),
    "model_type": ("очікується об'єкт", None),
    "float_type": ("має бути числом", None),
    "too_long": ("не більше {max_length} елементів", None),
    "too_short": ("не менше {min_length} елементів", None),
    "uuid_parsing": ("некоректний UUID", None),
    "url_parsing": ("некоректна адреса", None),
    "is_instance_of": ("неправильний тип значення", None),
    "union_tag_invalid": ("неправильний тип значення", None),
    "finite_number": ("має бути скінченним числом", None),
    "null_forbidden": (
        "не може бути null; пропустіть поле, щоб не змінювати його",
        "must not be null; leave the field out to keep its value",
    ),
    "control_characters": (
        "не може містити керівних символів (розриву рядка тощо)",
        "must not contain control characters (line breaks etc.)",
    ),
    "nul_character": ("не може містити символ NUL", "must not contain the NUL character"),
}


def normalise_language(lang: str | None) -> str:
    """A supported language code for ``lang`` (``uk-UA`` -> ``uk``), or the default."""
    if not lang:
        return DEFAULT_LANGUAGE
    base = lang.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def negotiate(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The best supported language from an ``Accept-Language`` header."""
    if not accept_language:
        return default
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag in LANGUAGES and quality > 0:
            choices.append((-quality, index, tag))
    return min(choices)[2] if choices else default


class _Params(dict[str, Any]):
    """Message parameters where ``x_uk`` or ``x_en``, if not given, falls back to ``x``."""

    def __missing__(self, key: str) -> Any:
        for suffix in ("_uk", "_en"):
            if key.endswith(suffix) and key[: -len(suffix)] in self:
                return self[key[: -len(suffix)]]
        raise KeyError(key)


def translate(code: str, lang: str, /, **params: Any) -> str:
    """The message ``code`` in ``lang``, with parameters filled in.

    A template's ``{x_uk}`` / ``{x_en}`` takes the parameter ``x`` when no language-specific
    value is given.
    """
    uk, en = MESSAGES.get(code, (code, code))
    template = uk if normalise_language(lang) == "uk" else en
    words = {
        f"{key}_{suffix}": WORDS[value][i]
        for key, value in params.items()
        if isinstance(value, str) and value in WORDS
        for i, suffix in enumerate(("uk", "en"))
    }
    try:
        return template.format_map(_Params({**params, **words}))
    except (KeyError, IndexError, ValueError):
        return template


def validation_message(
    error_type: str, lang: str, pydantic_message: str, ctx: dict[str, Any]
) -> str:
    """A person-friendly text for one pydantic validation error."""
    templates = VALIDATION.get(error_type)
    if templates is None:
        return pydantic_message
    uk, en = templates
    template = uk if normalise_language(lang) == "uk" else en
    if template is None:
        return pydantic_message
    values = {
        key: (", ".join(map(str, value)) if isinstance(value, list | tuple) else value)
        for key, value in ctx.items()
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return pydantic_message
