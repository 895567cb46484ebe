"""Messages shared by the registries."""

MESSAGES: dict[str, tuple[str, str]] = {
    "bad_cursor": (
        "Курсор сторінки пошкоджений або застарів; почніть список спочатку.",
        "The page cursor is damaged or stale; start the list again.",
    ),
    "bad_limit": (
        "Розмір сторінки має бути від 1 до {max}.",
        "The page size must be from 1 to {max}.",
    ),
    "file_too_large": (
        "Файл завеликий: найбільший дозволений розмір {limit_mb} МБ.",
        "The file is too large: the limit is {limit_mb} MB.",
    ),
    "edit_conflict": (
        "Картку {what} щойно змінив інший користувач; ваші зміни не збережено. Відкрийте її "
        "знову, щоб побачити нові дані.",
        "Someone else has just changed {what}; your changes were not saved. Open it again to "
        "see the new data.",
    ),
    "secret_set_and_cleared": (
        "Або введіть новий пароль, або позначте «Видалити пароль SIP», але не обидва разом.",
        "Either type a new password or tick “Remove the SIP password”, not both.",
    ),
    "period_reversed": (
        "Кінець періоду раніше за його початок.",
        "The end of the period is before its start.",
    ),
}
