"""The words of the back-office's device registry, Ukrainian and English."""

from __future__ import annotations

from hub.web.office.texts import register

register(
    {
        "dev_title": ("Пристрої", "Devices"),
        "dev_lead": (
            "Кіоски, принтери, панелі операторів, табло і телефонні агенти цього майданчика.",
            "Kiosks, printers, operator panels, displays and phone agents of this site.",
        ),
        "dev_new": ("Зареєструвати пристрій", "Register a device"),
        "dev_live": ("Живий перегляд", "Live view"),
        "dev_role": ("Роль", "Role"),
        "dev_any_role": ("усі ролі", "all roles"),
        "dev_state": ("Стан", "State"),
        "dev_state_active": ("діючі", "active"),
        "dev_state_online": ("на зв'язку", "online"),
        "dev_state_offline": ("не на зв'язку", "offline"),
        "dev_state_revoked": ("відкликані", "revoked"),
        "dev_any_state": ("усі", "all"),
        "dev_site": ("Майданчик", "Site"),
        "dev_name": ("Назва", "Name"),
        "dev_name_hint": ("Напр. «Кіоск у холі»", "E.g. “Kiosk in the hall”"),
        "dev_id": ("Ідентифікатор", "Device id"),
        "dev_id_hint": (
            "Необов'язково: a-z, 0-9, «-», «_»; інакше роль-номер, напр. kiosk-1.",
            "Optional: a-z, 0-9, “-”, “_”; otherwise role-number, e.g. kiosk-1.",
        ),
        "dev_window": ("Вікно", "Window"),
        "dev_window_hint": (
            "Лише для панелі оператора: номер вікна.",
            "Panels only: the window number.",
        ),
        "dev_printer": ("Принтер кіоску", "The kiosk's printer"),
        "dev_printer_hint": ("Лише для кіоску.", "Kiosks only."),
        "dev_phone": ("Телефонний агент панелі", "The panel's phone agent"),
        "dev_phone_hint": ("Лише для панелі.", "Panels only."),
        "dev_none": ("— немає —", "— none —"),
        "dev_register": ("Зареєструвати", "Register"),
        "dev_revoke": ("Відкликати", "Revoke"),
        "dev_renew": ("Нові облікові дані", "Renew credentials"),
        "dev_confirm_revoke": (
            "Відкликати «{name}»? Пристрій буде відключено і він не зможе під'єднатися знову.",
            "Revoke “{name}”? The device is disconnected and cannot connect again.",
        ),
        "dev_confirm_renew": (
            "Видати нові облікові дані «{name}»? Старий файл налаштувань перестане діяти.",
            "Give “{name}” new credentials? Its old config file stops working.",
        ),
        "dev_revoked_done": ("Пристрій відкликано.", "The device is revoked."),
        "dev_created": ("Створено", "Created"),
        "dev_revoked_at": ("Відкликано", "Revoked"),
        "dev_issued_title": ("Облікові дані пристрою", "The device's credentials"),
        "dev_issued_lead": (
            "Показано лише зараз. Завантажте файл налаштувань і перенесіть його на пристрій: "
            "вдруге його не можна буде завантажити, а пароль ніде не зберігається.",
            "Shown only now. Download the config file and put it on the device: it cannot be "
            "downloaded again, and the password is kept nowhere.",
        ),
        "dev_mqtt": ("Брокер", "Broker"),
        "dev_login": ("Логін MQTT", "MQTT login"),
        "dev_password": ("Пароль MQTT", "MQTT password"),
        "dev_tls": ("TLS з сертифікатом пристрою", "TLS with the device's certificate"),
        "dev_plain": ("без TLS", "no TLS"),
        "dev_download": ("Завантажити файл налаштувань", "Download the config file"),
        "dev_download_note": (
            "Файл {file} містить пароль і ключ: зберігайте його лише на пристрої.",
            "The file {file} holds the password and key: keep it on the device only.",
        ),
        "dev_download_gone": (
            "Файл налаштувань пристрою «{device_id}» уже завантажено або час вийшов. "
            "Видайте нові облікові дані, якщо файл втрачено.",
            "The config file of “{device_id}” was already downloaded or has expired. "
            "Renew the credentials if the file is lost.",
        ),
        "dev_back": ("До списку пристроїв", "Back to the devices"),
        "dev_refused_title": ("Неможливо", "Not possible"),
        "dev_actions": ("Дії", "Actions"),
        "dev_never": ("ще не було", "never"),
    }
)
