"""The words of "Write a letter" on the client card and of an outgoing e-mail's state."""

from __future__ import annotations

from hub.web.office import texts

texts.register(
    {
        "letter_write": ("Написати лист", "Write a letter"),
        "letter_title": ("Лист клієнту {name}", "A letter to {name}"),
        "letter_lead": (
            "Лист стане подією «Вихідний електронний лист» клієнта й піде з адреси офісу; "
            "відповіді прийдуть на вашу адресу, якщо вона є.",
            "The letter becomes an “Outgoing e-mail” event of the client and goes from the "
            "office's address; replies come to your own address if you have one.",
        ),
        "letter_to": ("Кому", "To"),
        "letter_to_hint": (
            "Адреса клієнта або його контактної особи.",
            "The client's or a contact person's address.",
        ),
        "letter_subject": ("Тема", "Subject"),
        "letter_text": ("Текст", "Text"),
        "letter_files": ("Файли", "Files"),
        "letter_files_hint": (
            "Необов'язково; разом не більше {limit_mb} МБ.",
            "Optional; {limit_mb} MB at most altogether.",
        ),
        "letter_send": ("Надіслати", "Send"),
        "letter_no_address": (
            "Ні в клієнта, ні в його контактних осіб немає адреси електронної пошти.",
            "Neither the client nor its contact persons have an e-mail address.",
        ),
        "letter_sent_done": (
            "Лист {number} поставлено в чергу на відправлення.",
            "Letter {number} is queued to be sent.",
        ),
        "letter_state_queued": ("у черзі", "queued"),
        "letter_state_sent": ("надіслано", "sent"),
        "letter_state_failed": ("не надіслано", "not sent"),
    }
)
