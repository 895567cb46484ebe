"""Messages of the tasks module."""

MESSAGES: dict[str, tuple[str, str]] = {
    "task_status_unknown": (
        "Немає статусу задачі з кодом «{code}».",
        "There is no task status with the code '{code}'.",
    ),
    "task_reminder_wait": (
        "Нагадати знову можна через 1–{most} хв.",
        "A reminder can be put off by 1 to {most} minutes.",
    ),
    "task_reference_missing": ("Не знайдено: {what}.", "Not found: {what}."),
    "task_field_unknown": (
        "Поле задачі «{code}» не описане в довіднику «Поля задач».",
        "The task field '{code}' is not in the reference book 'Task fields'.",
    ),
    "task_field_type": (
        "Значення поля «{code}» має бути типу {type}.",
        "The value of the field '{code}' must be of type {type}.",
    ),
    "task_overdue_by_hand": (
        "Статус «Прострочено» встановлюється автоматично, коли минув кінець задачі; "
        "вручну його встановити не можна.",
        "The status 'Overdue' is set automatically when a task's end has passed; "
        "it cannot be set by hand.",
    ),
    "task_minutes_invalid": (
        "Витрачений час: ціле число хвилин від 0 до {max}.",
        "Time spent: a whole number of minutes from 0 to {max}.",
    ),
    "task_percent_invalid": (
        "Відсоток виконання: ціле число від 0 до 100.",
        "Percent done: a whole number from 0 to 100.",
    ),
    "task_executors_not_done": (
        "Задачу не можна завершити: {count} з {total} виконавців ще не виконали свою частину.",
        "The task cannot be completed: {count} of {total} executors have not finished yet.",
    ),
    "task_dependency_self": (
        "Задача не може залежати сама від себе.",
        "A task cannot depend on itself.",
    ),
    "task_dependency_cycle": (
        "Залежність утворила б цикл: задача {other} уже залежить (прямо чи через інші) від цієї.",
        "The dependency would make a cycle: task {other} already depends (directly or through "
        "others) on this one.",
    ),
    "task_starts_before_dependency": (
        "Задача не може початися раніше, ніж закінчиться задача {blocking} ({ends_at}).",
        "The task cannot start before task {blocking} ends ({ends_at}).",
    ),
    "task_ends_after_dependent": (
        "Задача має закінчитися до початку залежної від неї задачі {blocking} ({starts_at}).",
        "The task must end before the dependent task {blocking} starts ({starts_at}).",
    ),
    "task_group_refused": (
        "Статус не змінено жодній задачі. Відхилено задачі {ids}: {details_uk}",
        "No task's status was changed. Refused tasks {ids}: {details_en}",
    ),
    "task_executors_empty": (
        "Вкажіть хоча б одного виконавця.",
        "Name at least one executor.",
    ),
    "task_clients_empty": (
        "Вкажіть хоча б одного клієнта.",
        "Name at least one client.",
    ),
    "task_template_duplicate": (
        "Шаблон задачі «{name}» уже існує.",
        "A task template named '{name}' already exists.",
    ),
    "task_project_filter": (
        "Фільтр проєкту: all, none або номер (id) проєкту.",
        "The project filter is all, none or a project id.",
    ),
    "task_calendar_date": (
        "Дата календаря має бути між 1900 і 9000 роками.",
        "The calendar date must be between the years 1900 and 9000.",
    ),
    "task_period_too_far": (
        "Дата виходить за межі календаря (після 9999 року).",
        "The date leaves the calendar (after the year 9999).",
    ),
    "task_columns_empty": (
        "Виберіть хоча б одну колонку реєстру.",
        "Choose at least one column of the registry.",
    ),
}
