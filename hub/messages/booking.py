"""Messages of the public booking form and the hall console (Q-2a, Q-3)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # The visitor's live ticket page (issue 23).
    "ticket_page_unknown": (
        "Посилання недійсне або вже не діє. Візьміть новий талон у кіоску.",
        "This link is wrong or no longer works. Take a new ticket at the kiosk.",
    ),
    "ticket_page_not_cancellable": (
        "Талон {number} уже не можна скасувати.",
        "Ticket {number} can no longer be cancelled.",
    ),
    "ticket_page_not_late": (
        "Для талона {number} це вже не можна зробити.",
        "This can no longer be done for ticket {number}.",
    ),
    "booking_date_invalid": (
        "Оберіть дату у форматі РРРР-ММ-ДД.",
        "Choose a date as YYYY-MM-DD.",
    ),
    "booking_date_past": (
        "Ця дата вже минула: оберіть сьогодні або пізніше.",
        "This date has passed: choose today or later.",
    ),
    "booking_date_too_far": (
        "Записатися можна не більше ніж на {days} днів наперед.",
        "Bookings are open at most {days} days ahead.",
    ),
    "booking_companies_invalid": (
        "Кількість компаній: від 1 до {max}.",
        "Number of companies: 1 to {max}.",
    ),
    "booking_slot_invalid": (
        "Оберіть вільний час зі списку.",
        "Choose a free time from the list.",
    ),
    "booking_slot_full": (
        "Цей час щойно зайняли. Оберіть інший.",
        "This time has just been taken. Choose another one.",
    ),
    "booking_name_required": ("Вкажіть ім'я.", "Give a name."),
    "booking_name_invalid": (
        "Ім'я: до {max} символів, лише літери, пробіли, апостроф, дефіс і крапка.",
        "Name: up to {max} characters; letters, spaces, apostrophes, hyphens and dots only.",
    ),
    "booking_phone_invalid": (
        "Телефон: від 10 до 15 цифр, можна з «+» на початку, наприклад +380501234567.",
        "Phone: 10 to 15 digits, optionally starting with '+', e.g. +380501234567.",
    ),
    "booking_email_invalid": (
        "Некоректна адреса e-mail.",
        "This is not a valid e-mail address.",
    ),
    "booking_contact_required": (
        "Вкажіть телефон або e-mail, щоб ми могли з вами зв'язатися.",
        "Give a phone or an e-mail, so we can reach you.",
    ),
    "booking_csrf": (
        "Сторінка застаріла. Оновіть її та надішліть форму ще раз.",
        "The page has expired. Reload it and send the form again.",
    ),
    "hours_closes_before_opens": (
        "{day_uk}: час початку прийому має бути раніше за час кінця.",
        "{day_en}: the opening time must come before the closing time.",
    ),
    "hours_shape": (
        "Години прийому: або список днів «days», або старий діапазон «weekdays», «opens» і "
        "«closes» повністю, але не обидва разом.",
        'Opening hours: either the list of days "days", or the former range "weekdays", '
        '"opens" and "closes" in full, not both.',
    ),
    "hours_no_open_day": (
        "Позначте хоча б один день, коли послуга працює.",
        "Mark at least one day the service is open.",
    ),
    "hours_weekday_invalid": (
        "День тижня {weekday} не існує: дні тижня від 1 (понеділок) до 7 (неділя).",
        "There is no weekday {weekday}: weekdays go from 1 (Monday) to 7 (Sunday).",
    ),
    "hours_weekday_twice": (
        "{day_uk} вказано двічі: кожен день тижня — не більше одного разу.",
        "{day_en} is given twice: each weekday at most once.",
    ),
    "booking_ticket_not_cancellable": (
        "Талон {number} уже не можна скасувати (стан: {state}).",
        "Ticket {number} can no longer be cancelled (state: {state}).",
    ),
    "login_rate_limited": (
        "Забагато невдалих спроб входу з цієї адреси або для цього користувача. "
        "Зачекайте {seconds} с і спробуйте знову.",
        "Too many failed logins from this address or for this user. "
        "Wait {seconds} s and try again.",
    ),
}
