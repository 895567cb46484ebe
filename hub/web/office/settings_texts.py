"""The words of the Settings pages (SET), Ukrainian and English."""

from __future__ import annotations

from hub.web.office import texts

texts.register(
    {
        "section_settings": ("Налаштування", "Settings"),
        "section_settings_hint": (
            "Довідники, параметри системи та ваші власні налаштування",
            "Reference books, system parameters and your own settings",
        ),
        "set_tabs": ("Вкладки налаштувань", "Settings tabs"),
        "set_index_lead": (
            "Показано лише вкладки, які вам відкрито.",
            "Only the tabs open to you are shown.",
        ),
        "set_books": ("Довідники", "Reference books"),
        "set_parameters": ("Параметри", "Parameters"),
        "set_mine": ("Мої налаштування", "My settings"),
        "set_users": ("Параметри користувачів", "Users' parameters"),
        "set_users_hint": (
            "Телефонія, пошта, статуси та нагадування кожного користувача",
            "Each user's telephony, mail, statuses and reminders",
        ),
        "set_users_lead": (
            "Оберіть користувача, щоб переглянути або змінити його параметри.",
            "Choose a user to see or change their parameters.",
        ),
        "set_user_params_of": ("Параметри користувача {name}", "Parameters of {name}"),
        "set_sip_number": ("Номер SIP", "SIP number"),
        "set_sip_number_hint": (
            "Номер SIP задається в картці користувача (Користувачі та права).",
            "The SIP number is set on the user's card (Users and rights).",
        ),
        "set_sip_number_open": ("Відкрити картку користувача", "Open the user's card"),
        "set_clear_sip_password": ("Видалити пароль SIP", "Remove the SIP password"),
        "set_mine_hint": (
            "Телефонія, пошта, статуси та нагадування саме для вас",
            "Telephony, mail, statuses and reminders for you alone",
        ),
        "set_parameters_hint": (
            "Сповіщення, черга, журнал змін і телефонія для всієї системи",
            "Notifications, the queue, the change log and telephony for the whole system",
        ),
        "set_legend": (
            "Системні записи — жирним чорним: їх не можна видалити чи перейменувати. "
            "Ваші власні — синім.",
            "System records are in bold black: they cannot be deleted or renamed. "
            "Your own are in blue.",
        ),
        "set_show": ("Показати", "Show"),
        "set_show_all": ("усі", "all"),
        "set_show_system": ("системні", "system"),
        "set_show_own": ("власні", "own"),
        "set_apply": ("Застосувати", "Apply"),
        "set_kind": ("Вид", "Kind"),
        "set_system": ("системний", "system"),
        "set_own": ("власний", "own"),
        "set_code": ("Код", "Code"),
        "set_code_hint": (
            "Літери, цифри, «_», «-», «.»; до 32 знаків.",
            "Letters, digits, '_', '-', '.'; up to 32 characters.",
        ),
        "set_name": ("Назва", "Name"),
        "set_name_uk": ("Назва українською", "Name in Ukrainian"),
        "set_name_en": ("Назва англійською", "Name in English"),
        "set_description": ("Опис", "Description"),
        "set_sort_order": ("Порядок у списках", "Order in lists"),
        "set_sort_order_hint": ("Менше число — вище у списку.", "A smaller number comes first."),
        "set_color": ("Колір", "Colour"),
        "set_color_hint": ("У вигляді #RRGGBB, наприклад #1f5fbf.", "As #RRGGBB, e.g. #1f5fbf."),
        "set_value_type": ("Тип значення", "Value type"),
        "set_value_type_text": ("текст", "text"),
        "set_value_type_number": ("число", "number"),
        "set_value_type_date": ("дата", "date"),
        "set_value_type_bool": ("так / ні", "yes / no"),
        "set_new_entry": ("Новий запис: {book}", "New record: {book}"),
        "set_system_note": (
            "Це системний запис: код і назви змінити не можна, видалити його теж не можна. "
            "Опис, порядок і колір змінювати можна.",
            "This is a system record: its code and names cannot be changed and it cannot be "
            "deleted. Its description, order and colour can be changed.",
        ),
        "set_read_only": (
            "У вас немає права змінювати записи цього довідника.",
            "You have no right to change the records of this book.",
        ),
        "set_back_to": ("← {book}", "← {book}"),
        "set_yes": ("так", "yes"),
        "set_no": ("ні", "no"),
        "set_none": ("—", "—"),
        "set_tab_notifications": ("Сповіщення", "Notifications"),
        "set_tab_settings": ("Налаштування", "Settings"),
        "set_group_queue": ("Електронна черга", "Electronic queue"),
        "set_group_tasks": ("Задачі та журнал змін", "Tasks and the change log"),
        "set_group_telephony": ("Телефонія", "Telephony"),
        "set_group_notify": ("Кого і як сповіщати про задачі", "Who is told about tasks, and how"),
        "set_group_mail": ("Пошта", "Mail"),
        "set_group_statuses": ("Статуси користувачів", "User statuses"),
        "set_group_reminders": ("Нагадування", "Reminders"),
        "set_empty_means_never": ("Порожньо — ніколи.", "Empty: never."),
        "set_no_change_right": (
            "Ви можете переглядати ці параметри, але не змінювати їх.",
            "You may see these parameters but not change them.",
        ),
        # Global parameters (SET-8, SET-10..SET-12, Q-2, Q-5).
        "set_p_responsible_person_type": ("Тип відповідальної особи", "Responsible-person type"),
        "set_c_employee": ("працівник", "employee"),
        "set_c_responsibility_centre": ("центр відповідальності", "responsibility centre"),
        "set_c_per_document": ("обирається в документі", "chosen in each document"),
        "set_p_task_notifications.author": ("Автор задачі", "The task's author"),
        "set_p_task_notifications.executor": ("Виконавці", "Executors"),
        "set_p_task_notifications.controller": ("Контролер", "Controller"),
        "set_p_task_notifications.responsible": ("Відповідальна особа", "Responsible person"),
        "set_c_none": ("не сповіщати", "do not notify"),
        "set_c_email": ("електронною поштою", "by e-mail"),
        "set_c_system": ("повідомленням у системі", "by a message in the system"),
        "set_c_email_and_system": ("поштою і в системі", "by e-mail and in the system"),
        "set_p_queue_create_task_on_save": (
            "Створювати задачу при збереженні події черги",
            "Create a task when a queue event is saved",
        ),
        "set_p_audit_tasks_events": (
            "Вести журнал змін задач і подій",
            "Keep a change log of tasks and events",
        ),
        "set_p_telephony_load_missed_calls": (
            "Завантажувати пропущені дзвінки з сервера телефонії",
            "Load missed calls from the telephony server",
        ),
        "set_p_telephony_server_path": ("Шлях до сервера телефонії", "Telephony server path"),
        "set_h_telephony_server_path": ("Як [сервер].[база].", "As [server].[database]."),
        "set_p_telephony_min_number_length": (
            "Не реєструвати дзвінки з номерів, коротших за",
            "Do not log calls from numbers shorter than",
        ),
        "set_h_telephony_min_number_length": (
            "Внутрішні номери коротші за це не реєструються; 0 — реєструвати всі.",
            "Internal extensions shorter than this are not logged; 0 logs all.",
        ),
        "set_p_queue.early_checkin_minutes": (
            "Реєстрація на запис раніше, хв",
            "Check-in before the booked time, minutes",
        ),
        "set_p_queue.late_checkin_minutes": (
            "Реєстрація на запис пізніше, хв",
            "Check-in after the booked time, minutes",
        ),
        "set_p_queue.late_booking_rule": (
            "Якщо запис пропустив своє вікно",
            "A booking that misses its window",
        ),
        "set_c_walk_in": ("стає в чергу як звичайний відвідувач", "joins the line as a walk-in"),
        "set_c_expire": ("згорає, реєстрацію відхилено", "expires, check-in is refused"),
        "set_p_queue.no_show_after_recalls": (
            "«Не з'явився» після повторних викликів",
            "No-show after this many recalls",
        ),
        "set_p_queue.no_show_after_seconds": (
            "«Не з'явився» через секунд після виклику",
            "No-show this many seconds after the call",
        ),
        "set_p_queue.running_late_minutes": (
            "«Я запізнююся»: місце тримається, хв",
            "Running late: the place is kept, minutes",
        ),
        "set_h_queue.running_late_minutes": (
            "Скільки хвилин зберігається місце відвідувача, який натиснув «Я запізнююся» на "
            "сторінці свого талона; далі діють правила «Не з'явився».",
            'How long a visitor who pressed "I am running late" on their ticket\'s page keeps '
            "their place; after that the no-show rules apply.",
        ),
        "set_p_queue.default_service_minutes": (
            "Типовий час обслуговування, хв",
            "Default service time, minutes",
        ),
        "set_h_queue.default_service_minutes": (
            "Для оцінки очікування, доки немає історії, і тривалість запису на одну компанію.",
            "For wait estimates until there is history, and a booked slot per company.",
        ),
        "set_p_queue.wait_estimate_percent": (
            "Оцінка очікування: частка викликаних у межах неї, %",
            "Wait estimate: share called within it, %",
        ),
        "set_h_queue.wait_estimate_percent": (
            "50 — найімовірніше очікування; більше — обережніше: менше відвідувачів чекають "
            "довше, ніж обіцяно, більше викликають раніше обіцяного. Діапазон поруч той самий.",
            "50: the likeliest wait; higher: a cautious one, fewer visitors wait longer than "
            "promised and more are called before the time promised. The range beside it stays.",
        ),
        "set_p_queue.service_level_alert_percent": (
            "Поріг рівня обслуговування для сповіщення, %",
            "Service-level alert threshold, %",
        ),
        "set_h_queue.service_level_alert_percent": (
            "Якщо частка відвідувачів, викликаних за цільовий час, сьогодні нижча, консоль і "
            "оператори послуги бачать сповіщення. Порожньо — без такого сповіщення.",
            "When today's share of visitors called within the target wait falls below it, the "
            "console and the service's operators are alerted. Empty: no such alert.",
        ),
        # One user's parameters (SET-9, SET-4, CLI-4).
        "set_p_sip_password": ("Пароль SIP", "SIP password"),
        "set_h_sip_password_set": (
            "Пароль задано; залиште поле порожнім, щоб не змінювати його.",
            "A password is set; leave this empty to keep it.",
        ),
        "set_h_sip_password_unset": ("Пароль не задано.", "No password is set."),
        "set_p_telephony_project_id": (
            "Проект подій з дзвінків (номер)",
            "Project of call events (id)",
        ),
        "set_p_telephony_unit": ("Підрозділ подій з дзвінків", "Unit of call events"),
        "set_p_mail_project_id": ("Проект подій з пошти (номер)", "Project of mail events (id)"),
        "set_p_mail_unit": ("Підрозділ подій з пошти", "Unit of mail events"),
        "set_p_receive_corporate_mail": ("Отримувати корпоративну пошту", "Receive corporate mail"),
        "set_p_check_mail_on_open": (
            "Перевіряти пошту при відкритті реєстру подій",
            "Check mail when the events registry opens",
        ),
        "set_p_corporate_mail_delivery": (
            "Доставка корпоративної пошти",
            "Corporate mail delivery",
        ),
        "set_c_all": ("усім адресатам", "to all addressees"),
        "set_c_one": ("одному з них по черзі", "to one of them in turn"),
        "set_p_auto_start_phone": (
            "Запускати телефон автоматично",
            "Start the phone automatically",
        ),
        "set_p_use_user_statuses": ("Використовувати статуси користувачів", "Use user statuses"),
        "set_p_view_user_statuses": ("Бачити статуси інших", "See other users' statuses"),
        "set_p_birthday_reminders": (
            "Нагадувати про дні народження контактних осіб",
            "Remind of contact persons' birthdays",
        ),
        "set_p_birthday_days_ahead": ("За скільки днів нагадувати", "Remind this many days ahead"),
    }
)
