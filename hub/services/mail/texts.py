"""The words of the letters and notices the system sends, in Ukrainian and English."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "booking_subject": ("Ваш запис: {service}, {when}", "Your booking: {service}, {when}"),
    "booking_body": (
        "Вітаємо, {name}!\n\nВи записані: {service}\nЧас: {when}\nНомер: {number}\n"
        "Код запису: {code}\n\nПокажіть QR-код або введіть код у терміналі, коли прийдете.\n"
        "Скасувати запис: {cancel}\n",
        "Hello {name},\n\nYou are booked for: {service}\nTime: {when}\nNumber: {number}\n"
        "Booking code: {code}\n\nShow the QR code or enter the code at the kiosk when you come.\n"
        "Cancel the booking: {cancel}\n",
    ),
    "booking_qr_alt": ("QR-код запису", "Booking QR code"),
    "booking_remind_subject": (
        "Нагадування: {service}, {when}",
        "Reminder: {service}, {when}",
    ),
    "booking_remind_body": (
        "Нагадуємо про ваш запис: {service}, {when}. Код запису: {code}.\n",
        "A reminder of your booking: {service}, {when}. Booking code: {code}.\n",
    ),
    "booking_cancel_subject": (
        "Запис скасовано: {service}, {when}",
        "Booking cancelled: {service}, {when}",
    ),
    "booking_cancel_body": (
        "Ваш запис {code} ({service}, {when}) скасовано.\n",
        "Your booking {code} ({service}, {when}) is cancelled.\n",
    ),
    "reminder_subject": ("Нагадування: задача {number}", "Reminder: task {number}"),
    "reminder_body": (
        "Нагадування про задачу {number} «{name}».\n{text}\n",
        "A reminder of task {number} “{name}”.\n{text}\n",
    ),
    "assigned_subject": ("Нова задача {number}", "New task {number}"),
    "assigned_body": (
        "Вас призначено виконавцем задачі {number} «{name}» (до {ends}).\n",
        "You are an executor of task {number} “{name}” (due {ends}).\n",
    ),
    "birthday_subject": ("День народження: {name}", "Birthday: {name}"),
    "birthday_body": (
        "{date} день народження у {name} ({client}).\n",
        "{name} ({client}) has a birthday on {date}.\n",
    ),
}


def say(key: str, lang: str, **values: object) -> str:
    """A text in the language (Ukrainian unless English), filled in."""
    uk, en = TEXTS[key]
    return (en if lang == "en" else uk).format(**values)
