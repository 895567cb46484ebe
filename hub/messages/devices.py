"""Messages of the device registry (kiosks, printers, panels, displays, phone agents)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "device_role_unknown": (
        "Невідома роль пристрою «{role}»: дозволено kiosk, printer, panel, display, phone.",
        "Unknown device role '{role}': use kiosk, printer, panel, display or phone.",
    ),
    "device_id_invalid": (
        "Ідентифікатор «{value}» не підходить: 1-64 символи a-z, 0-9, '_' або '-', "
        "на початку літера або цифра.",
        "The id '{value}' is not allowed: use 1-64 of a-z, 0-9, '_' or '-', "
        "starting with a letter or digit.",
    ),
    "device_id_reserved": (
        "Ідентифікатор «{value}» зарезервовано для самого хаба.",
        "The id '{value}' is reserved for the hub itself.",
    ),
    "device_id_taken": (
        "Пристрій «{device_id}» вже є (відкликані ідентифікатори не використовуються повторно).",
        "The device '{device_id}' already exists (revoked ids are never reused).",
    ),
    "device_name_invalid": (
        "Назва пристрою має містити від 1 до 200 символів.",
        "A device name must have 1 to 200 characters.",
    ),
    "device_window_required": (
        "Для пульта оператора вкажіть номер вікна (від 1 до 9999).",
        "An operator panel needs a window number (1 to 9999).",
    ),
    "device_window_panel_only": (
        "Номер вікна вказують лише для пульта оператора.",
        "Only an operator panel has a window number.",
    ),
    "device_window_taken": (
        "Вікно {window} на майданчику «{site}» вже обслуговує пульт «{device_id}».",
        "Window {window} at site '{site}' already has the panel '{device_id}'.",
    ),
    "device_printer_kiosk_only": (
        "Принтер прив'язують лише до кіоску.",
        "Only a kiosk is linked to a printer.",
    ),
    "device_printer_invalid": (
        "«{printer_id}» не є діючим принтером майданчика «{site}».",
        "'{printer_id}' is not an active printer of site '{site}'.",
    ),
    "device_phone_panel_only": (
        "Телефонного агента прив'язують лише до панелі оператора.",
        "Only an operator's panel is linked to a phone agent.",
    ),
    "device_phone_invalid": (
        "«{phone_id}» не є діючим телефонним агентом майданчика «{site}».",
        "'{phone_id}' is not an active phone agent of site '{site}'.",
    ),
    "device_phone_taken": (
        "Телефонний агент «{phone_id}» уже прив'язаний до панелі {device_id}.",
        "Phone agent '{phone_id}' is already linked to panel {device_id}.",
    ),
    "device_revoked": (
        "Пристрій «{device_id}» вже відкликано.",
        "The device '{device_id}' is already revoked.",
    ),
}
