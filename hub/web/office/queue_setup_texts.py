"""The words of the back-office's queue setup (services, operators), Ukrainian and English."""

from __future__ import annotations

from hub.web.office.texts import register

register(
    {
        "section_qs_services": ("Послуги черги", "Queue services"),
        "section_qs_services_hint": (
            "Послуги, їх години, нумерація талонів, тривалість прийому, робоча група",
            "Services, their hours, ticket numbering, slot length, work group",
        ),
        "section_qs_operators": ("Оператори і вікна", "Operators and windows"),
        "section_qs_operators_hint": (
            "Хто за яким вікном і панеллю, статуси операторів зараз",
            "Who works at which window and panel, operators' statuses now",
        ),
        "qs_title": ("Послуги черги", "Queue services"),
        "qs_lead": (
            "Проекти, що користуються електронною чергою: години, нумерація, правила часу.",
            "Projects that use the electronic queue: hours, numbering, time rules.",
        ),
        "qs_new": ("Нова послуга", "New service"),
        "qs_filter_queue": ("Черга", "Queue"),
        "qs_queue_on": ("увімкнена", "on"),
        "qs_queue_off": ("вимкнена", "off"),
        "qs_queue_all": ("усі проекти", "all projects"),
        "qs_col_number": ("Номер", "Number"),
        "qs_col_name": ("Назва", "Name"),
        "qs_col_queue": ("Черга", "Queue"),
        "qs_col_actions": ("Дії", "Actions"),
        "qs_name": ("Назва послуги", "Service name"),
        "qs_description": ("Опис", "Description"),
        "qs_uses_queue": ("Користується чергою", "Uses the queue"),
        "qs_card": ("Картка послуги", "Service card"),
        "qs_hours": ("Години прийому", "Opening hours"),
        "qs_hours_hint": (
            "Позначте дні, коли послуга працює, і вкажіть години кожного; непозначений день — "
            "вихідний, його години не зберігаються.",
            "Tick the days the service is open and give each day its hours; a day not ticked "
            "is closed and its hours are not kept.",
        ),
        "qs_day": ("День", "Day"),
        "qs_day_open": ("працює", "open"),
        "qs_opens": ("Початок", "Opens"),
        "qs_closes": ("Кінець", "Closes"),
        "qs_day_opens_missing": ("{day}: вкажіть час початку.", "{day}: give the opening time."),
        "qs_day_closes_missing": ("{day}: вкажіть час кінця.", "{day}: give the closing time."),
        "qs_day_opens_invalid": (
            "{day}: час початку — у вигляді ГГ:ХХ, наприклад 09:00.",
            "{day}: the opening time as HH:MM, e.g. 09:00.",
        ),
        "qs_day_closes_invalid": (
            "{day}: час кінця — у вигляді ГГ:ХХ, наприклад 18:00.",
            "{day}: the closing time as HH:MM, e.g. 18:00.",
        ),
        "qs_numbering": ("Нумерація талонів", "Ticket numbering"),
        "qs_numbering_hint": (
            "Власне правило послуги; наступний талон: {next}.",
            "The service's own rule; next ticket: {next}.",
        ),
        "qs_numbering_locked": (
            "Змінити нумерацію можна з правом на вкладку «Нумерація».",
            "Changing the numbering needs the right to the Numbering tab.",
        ),
        "qs_prefix": ("Префікс", "Prefix"),
        "qs_prefix_hint": ("Напр. «А-» дає А-001", "E.g. “A-” gives A-001"),
        "qs_width": ("Цифр у номері", "Digits"),
        "qs_start": ("Перший номер", "First number"),
        "qs_daily_reset": ("Щодня з початку", "Restart every day"),
        "qs_slots": ("Тривалість прийому", "Visit length"),
        "qs_slots_hint": (
            "Скільки часу планується на відвідувача, що представляє кілька компаній (Q-3).",
            "How long a visitor representing several companies is planned for (Q-3).",
        ),
        "qs_slot_linear": ("Хвилин на кожну компанію", "Minutes per company"),
        "qs_slot_graded": ("За градацією кількості компаній", "Graded by number of companies"),
        "qs_slot_minutes": ("Хвилин на компанію", "Minutes per company"),
        "qs_steps": ("Градація", "Gradation"),
        "qs_step": ("Крок {n}", "Step {n}"),
        "qs_step_companies": ("До компаній (включно)", "Up to companies"),
        "qs_step_minutes": ("Хвилин", "Minutes"),
        "qs_calling": ("Порядок виклику", "Calling order"),
        "qs_calling_hint": (
            "Як кнопка «Вільний» обирає серед тих, хто чекає.",
            "How Free chooses among those waiting.",
        ),
        "qs_calling_nearest": (
            "Найближчий за часом (як у посібнику, Q-5): записані стають у чергу за часом запису",
            "Nearest in time (the manual's Q-5): bookings join the line at their booked time",
        ),
        "qs_calling_fair": (
            "Справедливий: записаних викликають вчасно (з 5 хв до їхнього часу), але не раніше "
            "за тих, хто прийшов без запису і чекає понад пів години",
            "Fair: bookings are called on time (from 5 min before their slot), but not before "
            "walk-ins who have waited over half an hour",
        ),
        "qs_calling_mode_invalid": (
            "Оберіть один із порядків виклику.",
            "Choose one of the calling orders.",
        ),
        "qs_callers": ("Дзвінки на лініях", "Callers on the lines"),
        "qs_callers_hint": (
            "Хто телефонує на номер офісу, чекає в тій самій черзі послуги, що й відвідувачі.",
            "Callers on the office's number wait in the same service line as visitors.",
        ),
        "qs_callers_first": (
            "Дзвінки першими: абонент стає на початок черги",
            "Callers first: a caller goes to the front of the line",
        ),
        "qs_caller_share": ("Частка дзвінків, %", "Callers' share, %"),
        "qs_caller_share_hint": (
            "Не більше цієї частки викликаних сьогодні — абоненти, поки чекає відвідувач "
            "(1–100; порожньо — без обмеження). Разом із «Дзвінки першими»: першими, але лише "
            "до цієї частки.",
            "At most this share of today's called tickets are callers while a visitor waits "
            "(1–100; empty for no cap). With 'Callers first': first, but only up to this share.",
        ),
        "qs_members": ("Робоча група", "Work group"),
        "qs_members_empty": ("У робочій групі нікого немає.", "Nobody is in the work group."),
        "qs_member": ("Оператор", "Operator"),
        "qs_member_hint": (
            "Логін; F3 — вибрати зі списку користувачів.",
            "A login; F3 picks from the users.",
        ),
        "qs_member_add": ("Додати до групи", "Add to the group"),
        "qs_member_remove": ("Вилучити", "Remove"),
        "qs_confirm_remove": ("Вилучити {name} з робочої групи?", "Remove {name} from the group?"),
        "qs_saved": ("Послугу збережено.", "The service is saved."),
        "qs_deleted": ("Послугу видалено.", "The service is deleted."),
        "qs_not_found": ("Такої послуги немає.", "There is no such service."),
        "qs_back": ("До списку послуг", "Back to the services"),
        "qs_slot_minutes_invalid": (
            "Від 1 до 1440 хвилин.",
            "From 1 to 1440 minutes.",
        ),
        "qs_slot_steps_missing": (
            "Для градації заповніть хоча б один крок.",
            "Fill in at least one step for a gradation.",
        ),
        "qs_slot_step_companies": (
            "Кількість компаній має зростати від кроку до кроку, не більше {max}.",
            "The number of companies must grow from step to step, at most {max}.",
        ),
        "qs_slot_step_minutes": (
            "Хвилини мають зростати від кроку до кроку, не більше 1440.",
            "Minutes must grow from step to step, at most 1440.",
        ),
        "qs_member_unknown": ("Користувача «{name}» немає.", "There is no user “{name}”."),
        "qs_op_title": ("Оператори і вікна", "Operators and windows"),
        "qs_op_windows": ("Вікна та панелі", "Windows and panels"),
        "qs_op_window": ("Вікно", "Window"),
        "qs_op_panel": ("Панель", "Panel"),
        "qs_op_operator": ("Оператор", "Operator"),
        "qs_op_status": ("Статус", "Status"),
        "qs_op_nobody": ("нікого", "nobody"),
        "qs_op_no_panels": (
            "Панелей ще немає: зареєструйте їх у розділі «Пристрої».",
            "No panels yet: register them under Devices.",
        ),
        "qs_op_present": ("Оператори на роботі", "Operators at work"),
        "qs_op_none_present": ("Зараз ніхто не працює.", "Nobody is at work now."),
        "qs_op_ticket": ("Талон", "Ticket"),
        "qs_op_since": ("З", "Since"),
        "qs_op_groups": ("Хто обслуговує послуги", "Who serves the services"),
        "qs_op_edit_group": ("Змінити групу", "Edit the group"),
        "qs_op_link": ("Панель на зв'язку", "Panel online"),
    }
)
