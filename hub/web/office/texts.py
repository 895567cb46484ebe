"""The back-office's texts, Ukrainian and English, registered into the pages' catalogue.

Each section keeps its own texts beside its code and registers them once; a key used twice is a
programming error caught at import (two sections would otherwise overwrite each other's words).
"""

from __future__ import annotations

from hub.web.texts import TEXTS


def register(catalogue: dict[str, tuple[str, str]]) -> None:
    """Add a section's texts to the pages' catalogue; refuses a key another section has."""
    for key, pair in catalogue.items():
        known = TEXTS.get(key)
        if known is not None and known != pair:
            raise ValueError(f"page text {key!r} is defined twice")
        TEXTS[key] = pair


register(
    {
        "office_title": ("Бек-офіс", "Back office"),
        "office_home": ("Головна", "Home"),
        "office_menu": ("Розділи", "Sections"),
        "office_welcome": ("Вітаємо, {name}", "Welcome, {name}"),
        "office_sections_lead": (
            "Оберіть розділ. Показано лише те, на що у вас є права.",
            "Choose a section. Only what your rights allow is shown.",
        ),
        "section_hall": ("Зал і черга", "Hall and queue"),
        "section_hall_hint": (
            "Жива черга, талони на стійці, виклики, друк",
            "The live queue, desk tickets, calls, printing",
        ),
        "section_devices": ("Пристрої", "Devices"),
        "section_devices_hint": (
            "Кіоски, принтери, панелі, табло, телефони: у мережі чи ні",
            "Kiosks, printers, panels, displays, phones: online or not",
        ),
        "errors_title": ("Виправте, будь ласка:", "Please correct:"),
        "form_saved": ("Збережено.", "Saved."),
        "confirm_delete": ("Видалити «{name}»?", "Delete “{name}”?"),
        "keys_help": (
            "Клавіші: Ins — створити, Enter — відкрити, Del — видалити, F3 — вибрати зі "
            "списку, Ctrl+B — задача з події.",
            "Keys: Ins creates, Enter opens, Del deletes, F3 picks from a list, Ctrl+B makes a "
            "task from an event.",
        ),
        "page_of": ("Сторінка {page}", "Page {page}"),
        "next_page": ("Далі", "Next"),
        "first_page": ("На початок", "First page"),
        "nothing_found": ("Нічого не знайдено.", "Nothing found."),
        "search": ("Пошук", "Search"),
        "create": ("Створити", "Create"),
        "open": ("Відкрити", "Open"),
        "save": ("Зберегти", "Save"),
        "cancel": ("Скасувати", "Cancel"),
        "delete": ("Видалити", "Delete"),
        "pick": ("Вибрати", "Pick"),
        "required_mark": ("обов'язково", "required"),
    }
)


register(
    {
        "field_required": ("Заповніть це поле.", "Fill in this field."),
        "field_too_long": ("Не довше {max} знаків.", "At most {max} characters."),
        "field_number": ("Введіть число.", "Enter a number."),
        "field_date": ("Введіть дату (РРРР-ММ-ДД).", "Enter a date (YYYY-MM-DD)."),
        "field_invalid": ("Неправильне значення.", "This value is not valid."),
    }
)
