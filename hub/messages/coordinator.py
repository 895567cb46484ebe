"""Messages of the MQTT coordinator: what a device is told when a request cannot be served."""

MESSAGES: dict[str, tuple[str, str]] = {
    "panel_not_logged_in": (
        "На цій панелі ніхто не увійшов: увійдіть під своїм іменем.",
        "Nobody is logged in at this panel: log in with your name.",
    ),
    "panel_pin_unsupported": (
        "Вхід за PIN-кодом не налаштовано: введіть пароль.",
        "Logging in with a PIN is not set up: enter your password.",
    ),
    "panel_not_an_operator": (
        "У вас немає права змінювати завдання, тож обслуговувати чергу ви не можете.",
        "You have no right to change tasks, so you cannot serve the queue.",
    ),
    "panel_in_use": (
        "На цій панелі працює {name}, і в нього відвідувач: спершу завершіть обслуговування.",
        "{name} works at this panel and is serving a visitor: finish that first.",
    ),
    "panel_unknown_user": (
        "Немає активного користувача «{name}».",
        "There is no active user '{name}'.",
    ),
    "device_unknown": (
        "Пристрій {device} не зареєстровано на цьому хабі або його відкликано.",
        "Device {device} is not registered with this hub or has been revoked.",
    ),
    "device_wrong_role": (
        "Пристрій {device} має роль «{role}» і не може надсилати такі повідомлення.",
        "Device {device} has the role '{role}' and cannot send such messages.",
    ),
    "request_id_reused": (
        "Цей ідентифікатор запиту вже використав інший пристрій.",
        "This request id has already been used by another device.",
    ),
    "hub_internal_error": (
        "Хаб не зміг виконати запит. Спробуйте ще раз або зверніться до адміністратора.",
        "The hub could not carry out the request. Try again or call the administrator.",
    ),
    "print_printer_unknown": (
        "Немає принтера {printer_id} на цьому майданчику (або його відкликано).",
        "There is no printer {printer_id} at this site (or it was revoked).",
    ),
    "print_copies_invalid": (
        "Кількість копій: від 1 до {max}.",
        "Copies: 1 to {max}.",
    ),
    "hub_busy": (
        "Хаб зараз перевантажений. Спробуйте ще раз за мить.",
        "The hub is busy right now. Try again in a moment.",
    ),
}
