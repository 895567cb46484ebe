"""The words of Settings / Numbering (SET-6), Ukrainian and English."""

from __future__ import annotations

from hub.web.office import texts

texts.register(
    {
        "set_numbering": ("Нумерація", "Numbering"),
        "set_numbering_hint": (
            "Автонумерація документів: префікс, кількість цифр, з якого числа і коли знову "
            "з початку; окремо для проектів",
            "Automatic numbering of documents: prefix, digits, first number and when it "
            "restarts; per project where needed",
        ),
        "num_title": ("Нумерація", "Numbering"),
        "num_lead": (
            "Кожен тип документа нумерується за своїм загальним правилом; проект може мати "
            "власне правило (наприклад, талони черги з префіксом «А-»). «Автонумерація в "
            "розрізі проектів» для подій і задач — позначка «окремо для кожного проекту» в їх "
            "загальних правилах.",
            "Each document type is numbered by its general rule; a project may have a rule of "
            "its own (e.g. queue tickets prefixed “A-”). The manual's “numbering of events or "
            "tasks per project” is the “per project” mark of their general rules.",
        ),
        "num_rules": ("Правила нумерації", "Numbering rules"),
        "num_doc_type": ("Тип документа", "Document type"),
        "num_project": ("Проект", "Project"),
        "num_project_hint": (
            "Порожньо — усі проекти (загальне правило). F3 — вибрати проект зі списку.",
            "Empty for all projects (the general rule). F3 picks a project from the list.",
        ),
        "num_all_projects": ("усі проекти", "all projects"),
        "num_prefix": ("Префікс", "Prefix"),
        "num_prefix_hint": (
            "До 16 знаків перед числом, напр. «А-» дає А-001.",
            "Up to 16 characters before the number, e.g. “A-” gives A-001.",
        ),
        "num_width": ("Цифр у номері", "Digits"),
        "num_width_hint": (
            "Від 1 до 12; коротше число доповнюється нулями зліва.",
            "From 1 to 12; a shorter number is padded with zeros.",
        ),
        "num_start": ("Перший номер", "First number"),
        "num_col_width": ("Цифр", "Digits"),
        "num_col_reset": ("З початку", "Restarts"),
        "num_col_per_project": ("По проектах", "Per project"),
        "num_reset": ("Починати знову", "Restart numbering"),
        "num_reset_never": ("ніколи", "never"),
        "num_reset_daily": ("щодня", "every day"),
        "num_per_project": ("Окремо для кожного проекту", "Per project"),
        "num_per_project_hint": (
            "Для загального правила: кожен проект має власну лічбу (автонумерація в розрізі "
            "проектів).",
            "For a general rule: each project counts on its own (numbering per project).",
        ),
        "num_next": ("Наступний номер", "Next number"),
        "num_next_per_project": ("у кожного проекту свій", "each project its own"),
        "num_kind": ("Вид", "Kind"),
        "num_general": ("загальне", "general"),
        "num_own": ("проекту", "project's own"),
        "num_yes": ("так", "yes"),
        "num_no": ("ні", "no"),
        "num_new": ("Нове правило нумерації", "New numbering rule"),
        "num_back": ("← Нумерація", "← Numbering"),
        "num_general_note": (
            "Загальне правило типу документа: його не можна видалити, лише змінити.",
            "The general rule of a document type: it can be changed, not deleted.",
        ),
        "num_read_only": (
            "У вас немає права змінювати правила нумерації.",
            "You have no right to change the numbering rules.",
        ),
        "num_confirm_delete": (
            "Видалити правило нумерації «{name}»? Документи проекту знову нумеруватимуться "
            "за загальним правилом.",
            "Delete the numbering rule “{name}”? The project's documents will follow the "
            "general rule again.",
        ),
        "num_width_invalid": (
            "Кількість цифр — від 1 до {max}.",
            "The number of digits must be from 1 to {max}.",
        ),
        "num_start_invalid": (
            "Перший номер — ціле число від 0 до 1000000000.",
            "The first number must be a whole number from 0 to 1000000000.",
        ),
        "num_project_pick": (
            "Такого проекту немає: виберіть його зі списку (F3) або залиште порожнім.",
            "There is no such project: pick one from the list (F3) or leave it empty.",
        ),
        "num_project_unknown": (
            "Проект «{name}» не знайдено або їх кілька: виберіть його зі списку (F3).",
            "No single project is called “{name}”: pick it from the list (F3).",
        ),
        "num_doc_project": ("Проекти", "Projects"),
        "num_doc_event": ("Події", "Events"),
        "num_doc_task": ("Задачі", "Tasks"),
        "num_doc_queue_ticket": ("Талони черги", "Queue tickets"),
    }
)
