"""The words of history (SET-2, SET-11): the change log's fields and actions, for the history
groups' card and the history shown on a card. A field without words here shows its name."""

from __future__ import annotations

from hub.web.office import texts

FIELDS: dict[str, tuple[str, str]] = {
    "number": ("Номер", "Number"),
    "type_id": ("Тип події", "Event type"),
    "starts_at": ("Початок", "Start"),
    "ends_at": ("Кінець", "End"),
    "responsible_type": ("Тип відповідальної особи", "Responsible-person type"),
    "responsible_id": ("Відповідальний", "Responsible"),
    "responsibility_centre": ("Центр відповідальності", "Responsibility centre"),
    "client_id": ("Клієнт", "Client"),
    "contact_id": ("Контактна особа", "Contact person"),
    "phone": ("Телефон", "Phone"),
    "fax": ("Факс", "Fax"),
    "email": ("Ел. пошта", "E-mail"),
    "project_id": ("Проект", "Project"),
    "journal_id": ("Журнал", "Journal"),
    "content": ("Зміст", "Content"),
    "name": ("Назва", "Name"),
    "percent_done": ("Виконано, %", "Percent done"),
    "time_spent_minutes": ("Витрачено, хв", "Time spent, min"),
    "status_id": ("Статус", "Status"),
    "priority": ("Пріоритет", "Priority"),
    "controller_id": ("Контролер", "Controller"),
    "event_type_id": ("Тип події задачі", "The task's event type"),
    "recurrence": ("Повторення", "Recurrence"),
    "recurrence_interval": ("Інтервал повторення", "Recurrence interval"),
    "custom_fields": ("Додаткові поля", "Custom fields"),
    "executors": ("Виконавці", "Executors"),
    "executors_status_id": ("Статус виконавців", "Executors' status"),
    "user_ids": ("Додані або замінені виконавці", "Executors added or replaced"),
    "user_id": ("Виконавець або адресат нагадування", "Executor or reminded user"),
    "depends_on_id": ("Залежить від задачі", "Depends on task"),
    "reminder_id": ("Нагадування", "Reminder"),
    "remind_at": ("Час нагадування", "Reminder time"),
    "document_id": ("Пов'язаний документ", "Linked document"),
    "kind": ("Вид талона", "Ticket kind"),
    "effective_at": ("Час у черзі", "Time in the queue"),
    "state": ("Стан талона", "Ticket state"),
    "operator": ("Оператор", "Operator"),
    "front": ("На початок черги", "To the front of the line"),
}
ACTIONS: dict[str, tuple[str, str]] = {
    "create": ("Створено", "Created"),
    "change": ("Змінено", "Changed"),
    "delete": ("Видалено", "Deleted"),
    "link_document": ("Пов'язано документ", "Document linked"),
    "unlink_document": ("Документ відв'язано", "Document unlinked"),
    "archive": ("Відправлено в архів", "Sent to the archive"),
    "restore": ("Повернуто з архіву", "Restored from the archive"),
    "queue_check_in": ("Зареєстровано в черзі", "Checked in"),
    "queue_cancel": ("Запис скасовано", "Booking cancelled"),
    "queue_transfer": ("Передано", "Transferred"),
}

texts.register({f"hist_field_{name}": pair for name, pair in FIELDS.items()})
texts.register({f"hist_action_{name}": pair for name, pair in ACTIONS.items()})
texts.register(
    {
        "hist_title": ("Історія", "History"),
        "hist_none": ("Змін ще не записано.", "No changes recorded yet."),
        "hist_when": ("Коли", "When"),
        "hist_who": ("Хто", "Who"),
        "hist_what": ("Що", "What"),
        "hist_system": ("Система", "The system"),
        "hist_yes": ("так", "yes"),
        "hist_no": ("ні", "no"),
        "hist_fields": ("Поля", "Fields"),
        "hist_fields_hint": (
            "Зміни позначених полів історія задач і подій показує разом під назвою цієї групи; "
            "поле, вже позначене в групі з меншим порядком, показано там.",
            "The history of tasks and events shows changes of the fields ticked together under "
            "this group's name; a field ticked in a group with a lower order is shown there.",
        ),
        "hist_of_events": ("подія", "event"),
        "hist_of_tasks": ("задача", "task"),
        "hist_fields_none": ("—", "—"),
    }
)
