"""Messages of the events module."""

MESSAGES: dict[str, tuple[str, str]] = {
    "event_type_unknown": (
        "Немає типу події «{type}».",
        "There is no event type '{type}'.",
    ),
    "event_reference_unknown": (
        "Не знайдено: {what_uk} {id}.",
        "Not found: {what_en} {id}.",
    ),
    "event_contact_of_other_client": (
        "Контактна особа належить іншому клієнту.",
        "The contact person belongs to another client.",
    ),
    "event_responsible_type_fixed": (
        "Тип відповідальної особи задано в параметрах системи: {kind_uk}.",
        "The responsible-person type is set in the system parameters: {kind_en}.",
    ),
    "event_centre_for_employee": (
        "Центр відповідальності вказують лише для типу «центр відповідальності».",
        "A responsibility centre is given only for the type 'responsibility centre'.",
    ),
    "event_employee_for_centre": (
        "Для центру відповідальності не вказують працівника.",
        "A responsibility centre has no responsible employee.",
    ),
    "event_centre_required": (
        "Вкажіть центр відповідальності.",
        "Name the responsibility centre.",
    ),
    "event_archived": (
        "Подія {number} в архіві: спочатку відновіть її.",
        "Event {number} is in the archive: restore it first.",
    ),
    "event_not_archived": (
        "Подія {number} не в архіві: видаляти можна лише архівні події.",
        "Event {number} is not in the archive: only archived events are deleted here.",
    ),
    "event_project_filter": (
        "Проект: all, none або номер проекту.",
        "Project: all, none or a project id.",
    ),
    "event_phone_filter": (
        "Номер телефону має містити цифри.",
        "The phone number must contain digits.",
    ),
    "letter_subject_required": ("Введіть тему листа.", "Enter the letter's subject."),
    "letter_subject_invalid": (
        "Тема листа — один рядок до {max} знаків.",
        "The subject is one line of at most {max} characters.",
    ),
    "letter_text_required": ("Введіть текст листа.", "Enter the letter's text."),
    "letter_text_too_long": (
        "Текст листа довший за {max} знаків.",
        "The letter's text is longer than {max} characters.",
    ),
    "letter_too_many_files": (
        "До листа можна додати не більше {max} файлів.",
        "A letter can carry at most {max} files.",
    ),
    "letter_to_invalid": (
        "Введіть адресу електронної пошти, наприклад name@example.com.",
        "Enter an e-mail address, such as name@example.com.",
    ),
    "letter_to_not_client": (
        "Адреса {address} не належить ні клієнту, ні його контактним особам.",
        "The address {address} is neither the client's nor one of its contact persons'.",
    ),
    "letter_to_other_contact": (
        "Адреса {address} належить іншій контактній особі.",
        "The address {address} belongs to another contact person.",
    ),
}
