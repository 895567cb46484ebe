"""Messages of the clients module."""

MESSAGES: dict[str, tuple[str, str]] = {
    "client_not_found": ("Клієнта з id {id} не знайдено.", "Client with id {id} not found."),
    "client_parent_not_found": (
        "Батьківського клієнта з id {id} не знайдено.",
        "Parent client with id {id} not found.",
    ),
    "client_parent_deleted": (
        "Клієнт «{name}» вилучений; він не може бути батьківським.",
        "Client '{name}' is deleted and cannot be a parent.",
    ),
    "client_parent_cycle": (
        "Клієнт «{name}» вже входить до цього клієнта; таке підпорядкування утворить цикл.",
        "Client '{name}' is already under this client; that parent would make a cycle.",
    ),
    "client_deleted": (
        "Клієнт «{name}» вилучений; спершу відновіть його.",
        "Client '{name}' is deleted; restore it first.",
    ),
    "client_has_children": (
        "Клієнт «{name}» має підпорядкованих клієнтів (наприклад, «{child}»); "
        "спершу вилучіть або перенесіть їх.",
        "Client '{name}' has clients under it (for example '{child}'); delete or move them first.",
    ),
    "client_tax_number_format": (
        "Код «{value}» має бути кодом ЄДРПОУ (8 цифр) або ІПН (10 цифр).",
        "Tax number '{value}' must be an EDRPOU code (8 digits) or an individual one (10 digits).",
    ),
    "client_tax_number_checksum": (
        "Код «{value}» має неправильну контрольну цифру.",
        "Tax number '{value}' has a wrong check digit.",
    ),
    "contact_not_found": (
        "Контактну особу з id {id} не знайдено.",
        "Contact person with id {id} not found.",
    ),
    "contact_deleted": (
        "Контактна особа «{name}» вилучена; спершу відновіть її.",
        "Contact person '{name}' is deleted; restore it first.",
    ),
    "client_document_not_found": (
        "Розрахунковий документ з id {id} не знайдено.",
        "Settlement document with id {id} not found.",
    ),
    "client_document_duplicate": (
        "Такий документ уже є: той самий вид, номер {number} і дата {date}.",
        "This document already exists: the same kind, number {number} and date {date}.",
    ),
    "import_missing_column": (
        "У файлі немає обов'язкової колонки «{column}».",
        "The file has no required column '{column}'.",
    ),
    "import_not_utf8": (
        "Файл не в кодуванні UTF-8; збережіть його як CSV UTF-8.",
        "The file is not UTF-8; save it as CSV UTF-8.",
    ),
    "import_bad_csv": (
        "Файл CSV пошкоджений: {reason}.",
        "The CSV file is damaged: {reason}.",
    ),
    "import_bad_xlsx": (
        "Файл XLSX пошкоджений або це не книга Excel.",
        "The XLSX file is damaged or not an Excel workbook.",
    ),
    "import_empty": ("Файл порожній.", "The file is empty."),
    "import_conflict": (
        "Під час імпорту дані змінилися; повторіть імпорт.",
        "The data changed during the import; run it again.",
    ),
    "import_rejected": (
        "Імпорт не виконано: відхилено рядків {count}; нічого не збережено.",
        "Import not done: {count} rows rejected; nothing was stored.",
    ),
    "import_required": ("Поле обов'язкове.", "The field is required."),
    "import_bad_text": ("Текст містить символ NUL.", "The text contains the NUL character."),
    "import_too_long": ("Найбільше {max} символів.", "At most {max} characters."),
    "import_bad_id": ("Неправильний id «{value}».", "Wrong id '{value}'."),
    "import_bad_choice": (
        "Значення «{value}» не підходить; можливі: {choices}.",
        "Value '{value}' is not allowed; possible: {choices}.",
    ),
    "import_bad_date": (
        "Неправильна дата «{value}»; пишіть 2024-03-31 або 31.03.2024.",
        "Wrong date '{value}'; write 2024-03-31 or 31.03.2024.",
    ),
    "import_bad_email": ("Неправильна адреса e-mail «{value}».", "Wrong e-mail '{value}'."),
    "import_bad_amount": (
        "Неправильна сума «{value}»: потрібне невід'ємне число.",
        "Wrong amount '{value}': a number not below zero is needed.",
    ),
    "import_amount_places": (
        "Сума «{value}» має більше двох знаків після коми.",
        "Amount '{value}' has more than two decimal places.",
    ),
    "import_bad_currency": (
        "Неправильна валюта «{value}»: потрібен код з трьох літер (UAH, USD, EUR).",
        "Wrong currency '{value}': a three-letter code is needed (UAH, USD, EUR).",
    ),
    "import_client_required": (
        "Не вказано клієнта: заповніть id клієнта або його код.",
        "No client given: fill in the client's id or tax number.",
    ),
    "import_client_not_found": (
        "Клієнта «{value}» не знайдено.",
        "Client '{value}' not found.",
    ),
    "import_client_ambiguous": (
        "Код «{value}» мають кілька клієнтів; вкажіть id клієнта.",
        "Several clients have tax number '{value}'; give the client's id.",
    ),
    "import_duplicate": (
        "Дублікат: такий запис уже є.",
        "Duplicate: this record already exists.",
    ),
    "import_interrupted": (
        "Концентратор перезапустився під час імпорту; нічого з нього не збережено. "
        "Запустіть імпорт ще раз.",
        "The hub restarted during the import; nothing of it was saved. Run the import again.",
    ),
}
