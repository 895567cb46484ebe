"""What a line agent says to callers, in Ukrainian and English (spoken with espeak-ng)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "greeting": {
        "uk": "Вітаємо! Ви зателефонували до офісу.",
        "en": "Hello! You have called the office.",
    },
    "menu_item": {"uk": "Натисніть {key}: {name}.", "en": "For {name}, press {key}."},
    "place": {
        "uk": "Ваше місце в черзі: {place}. Орієнтовне очікування: {minutes} хв.",
        "en": "You are number {place} in line. The estimated wait is {minutes} minutes.",
    },
    "callback_hint": {
        "uk": "Щоб ми передзвонили вам, зберігши ваше місце, натисніть {key}.",
        "en": "To be called back keeping your place, press {key}.",
    },
    "callback": {
        "uk": "Дякуємо! Оператор передзвонить вам, коли надійде ваша черга. До побачення.",
        "en": "Thank you! An operator will call you back when your turn comes. Goodbye.",
    },
    "callback_unavailable": {
        "uk": "На жаль, передзвонити вам неможливо. Будь ласка, залишайтеся на лінії.",
        "en": "Sorry, we cannot call you back. Please stay on the line.",
    },
    "connecting": {
        "uk": "З'єднуємо вас з оператором.",
        "en": "Connecting you to an operator.",
    },
    "unavailable": {
        "uk": "Вибачте, зараз ми не можемо прийняти ваш дзвінок. Спробуйте пізніше.",
        "en": "Sorry, we cannot take your call now. Please try again later.",
    },
}

# How a callback key is said ("press star"); a digit is said as itself.
_KEYS = {"*": {"uk": "зірочку", "en": "star"}, "#": {"uk": "решітку", "en": "hash"}}


def text(lang: str, key: str, **values: object) -> str:
    """One of ``TEXTS`` in ``lang`` with its values."""
    return TEXTS[key][lang].format(**values)


def welcome(lang: str, greeting: str | None, menu: list[str]) -> str:
    """The greeting, then the menu's items (``menu``: the services' spoken names, key 1 first;
    empty when there is no menu)."""
    items = [
        TEXTS["menu_item"][lang].format(key=n, name=name) for n, name in enumerate(menu, start=1)
    ]
    return " ".join([greeting or TEXTS["greeting"][lang], *items])


def place(lang: str, position: int, wait_s: int, callback_key: str | None) -> str:
    """The caller's place and wait, and how to ask for a callback when the line offers it."""
    minutes = max(1, round(wait_s / 60))
    text = TEXTS["place"][lang].format(place=position, minutes=minutes)
    if callback_key is None:
        return text
    name = _KEYS.get(callback_key, {}).get(lang, callback_key)
    return " ".join([text, TEXTS["callback_hint"][lang].format(key=name)])
