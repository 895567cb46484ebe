"""The Statistics section's words (STAT-1, STAT-3), Ukrainian and English."""

from __future__ import annotations

from hub.services.access.rights import AccessProfile, Action, DocType
from hub.web.office import nav, texts


def may_see_stats(profile: AccessProfile) -> bool:
    """The reports' right: changing projects in some journal (a service's manager, ACC-1)."""
    return profile.can(Action.CHANGE, DocType.PROJECT)


nav.add(nav.Section("stats", "/office/stats", 50, may_see_stats))

texts.register(
    {
        "section_stats": ("Статистика", "Statistics"),
        "section_stats_hint": (
            "Сьогодні наживо, звіти за період, графіки, вивантаження",
            "Today live, reports for a period, charts, exports",
        ),
        # The dashboard.
        "stats_today": ("Сьогодні наживо", "Today, live"),
        "stats_reports": ("Звіти", "Reports"),
        "stats_today_lead": (
            "Черги ваших послуг зараз і від початку дня; сторінка оновлюється сама кожні кілька "
            "секунд.",
            "Your services' lines now and since the start of the day; the page refreshes itself "
            "every few seconds.",
        ),
        "stats_updated": ("Оновлено о {time}", "Updated at {time}"),
        "stats_refresh": ("Оновити", "Refresh"),
        "stats_no_services": ("Немає послуг електронної черги.", "No queue services."),
        "stats_services_now": ("Послуги", "Services"),
        "stats_col_waiting": ("Чекають", "Waiting"),
        "stats_col_longest": ("Найдовше чекання", "Longest wait"),
        "stats_col_target": ("Ціль", "Target"),
        "stats_col_level_today": ("Рівень обслуговування", "Service level"),
        "stats_col_visitors_today": ("Відвідувачів", "Visitors"),
        "stats_col_served_today": ("Обслуговано", "Served"),
        "stats_col_mean_wait": ("Середнє чекання", "Mean wait"),
        "stats_over_target": ("понад ціль", "over target"),
        "stats_operators_now": ("Оператори на роботі", "Operators at work"),
        "stats_no_operators": ("Зараз ніхто не працює.", "Nobody is at work now."),
        "stats_col_operator": ("Оператор", "Operator"),
        "stats_col_status": ("Статус", "Status"),
        "stats_col_since": ("З", "Since"),
        "stats_col_window": ("Вікно", "Window"),
        "stats_by_status": ("За статусом", "By status"),
        "stats_alerts_title": ("Сповіщення про рівень обслуговування", "Service-level alerts"),
        "stats_alert_wait": (
            "{service}: черга чекає {wait} — довше за ціль {target}",
            "{service}: the line has waited {wait}, longer than the target of {target}",
        ),
        "stats_alert_level": (
            "{service}: рівень обслуговування сьогодні {level}% — нижче за {threshold}%",
            "{service}: today's service level is {level}%, below {threshold}%",
        ),
        "stats_alert_since": ("з {time}", "since {time}"),
        "stats_no_alerts": ("Сповіщень немає.", "No alerts."),
        "stats_alerts_count": ("Сповіщень: {n}", "Alerts: {n}"),
        "stats_hours": ("{h} год {m} хв", "{h} h {m} min"),
        "stats_minutes": ("{m} хв {s} с", "{m} min {s} s"),
        "stats_seconds": ("{s} с", "{s} s"),
        "stats_minutes_only": ("{m} хв", "{m} min"),
        # The reports' form.
        "stats_report_lead": (
            "Оберіть період і, за потреби, послугу чи оператора. Графіки показують період "
            "цілком; таблиця нижче — звіт із групуванням, який можна вивантажити.",
            "Choose a period and, if you like, a service or an operator. The charts show the "
            "whole period; the table below is the report with its grouping, ready to export.",
        ),
        "stats_kind": ("Звіт", "Report"),
        "stats_kind_hall": ("Зал: відвідувачі й чекання", "Hall: visitors and waits"),
        "stats_kind_bookings": ("Попередні записи", "Bookings"),
        "stats_kind_operators": ("Час операторів за статусами", "Operators' time by status"),
        "stats_kind_phone": ("Телефонні лінії", "Phone lines"),
        "stats_kind_callers": (
            "Кол-центр: абоненти в черзі послуг",
            "Call centre: callers in the services' lines",
        ),
        "stats_kind_desk": ("Зал і телефон разом", "Hall and phones together"),
        "stats_from": ("З", "From"),
        "stats_to": ("По", "To"),
        "stats_by": ("Групувати за", "Group by"),
        "stats_by_service": ("послугою", "service"),
        "stats_by_operator": ("оператором", "operator"),
        "stats_by_window": ("вікном", "window"),
        "stats_by_hour": ("годиною", "hour"),
        "stats_by_day": ("днем", "day"),
        "stats_by_period": ("періодом цілком", "the whole period"),
        "stats_by_line": ("лінією", "line"),
        "stats_service": ("Послуга", "Service"),
        "stats_operator": ("Оператор", "Operator"),
        "stats_all_services": ("Усі мої послуги", "All my services"),
        "stats_all_operators": ("Усі оператори", "All operators"),
        "stats_show": ("Показати", "Show"),
        "stats_filters_note": (
            "Групування залежать від звіту. Телефонні лінії не належать послугам: фільтр "
            "послуги до них не застосовується. Оператор запису — той, хто його викликав.",
            "The groupings depend on the report. Phone lines belong to no service, so the "
            "service filter does not apply to them. A booking's operator is the one who "
            "called it.",
        ),
        "stats_grouping_wrong": (
            "Цей звіт не групується так; оберіть одне з: {choices}.",
            "This report cannot be grouped so; choose one of: {choices}.",
        ),
        "stats_choice_unknown": ("Оберіть зі списку.", "Choose from the list."),
        # Charts.
        "stats_charts": ("Графіки за період", "Charts for the period"),
        "stats_chart_wait": ("Чекання за годиною приходу", "Waiting by the hour of arrival"),
        "stats_chart_wait_desc": (
            "Середнє і 90-й процентиль чекання від приходу до виклику, хвилини, за годиною.",
            "Mean and 90th percentile of the wait from arrival to call, minutes, by hour.",
        ),
        "stats_chart_level": ("Рівень обслуговування за днями", "Service level by day"),
        "stats_chart_level_desc": (
            "Частка викликаних за цільовий час, відсотки; лінія — поріг {threshold}%.",
            "Share called within the target wait, percent; the line is the {threshold}% threshold.",
        ),
        "stats_chart_level_nothreshold": (
            "Частка викликаних за цільовий час, відсотки.",
            "Share called within the target wait, percent.",
        ),
        "stats_chart_load": ("Навантаження операторів", "Load by operator"),
        "stats_chart_load_desc": (
            "Обслуговані відвідувачі й прийняті дзвінки кожного оператора.",
            "Visitors served and calls answered by each operator.",
        ),
        "stats_chart_empty": ("За цей період даних немає.", "No data for this period."),
        "stats_chart_table": ("Показати як таблицю", "Show as a table"),
        "stats_series_mean": ("Середнє", "Mean"),
        "stats_series_p90": ("90-й процентиль", "90th percentile"),
        "stats_series_level": ("Рівень обслуговування", "Service level"),
        "stats_series_threshold": ("Поріг", "Threshold"),
        "stats_series_served": ("Відвідувачі", "Visitors"),
        "stats_series_answered": ("Дзвінки", "Calls"),
        "stats_unit_min": ("хв", "min"),
        "stats_col_hour": ("Година", "Hour"),
        "stats_col_day": ("День", "Day"),
        # The report's table and exports.
        "stats_table": ("Звіт", "Report"),
        "stats_export": ("Вивантажити", "Export"),
        "stats_export_csv": ("CSV (Excel)", "CSV (Excel)"),
        "stats_export_xlsx": ("XLSX", "XLSX"),
        "stats_export_pdf": ("PDF для друку", "Printable PDF"),
        "stats_empty": ("За цей період нічого немає.", "Nothing in this period."),
        "stats_period_line": ("Період: {period}", "Period: {period}"),
        "stats_filter_line": ("Відбір: {what}", "Filter: {what}"),
        "stats_generated": ("Сформовано {time}", "Generated {time}"),
        "stats_page": ("Сторінка", "Page"),
        "stats_pdf_fonts": (
            "PDF не створено: немає шрифту {path} (пакет fonts-dejavu-core).",
            "No PDF was made: the font {path} is missing (package fonts-dejavu-core).",
        ),
        "stats_key_service": ("Послуга", "Service"),
        "stats_key_operator": ("Оператор", "Operator"),
        "stats_key_window": ("Вікно", "Window"),
        "stats_key_hour": ("Година", "Hour"),
        "stats_key_day": ("День", "Day"),
        "stats_key_period": ("Період", "Period"),
        "stats_key_line": ("Лінія", "Line"),
        "stats_c_visitors": ("Відвідувачі", "Visitors"),
        "stats_c_served": ("Обслуговано", "Served"),
        "stats_c_no_shows": ("Не з'явились", "No-shows"),
        "stats_c_transfers": ("Переведено", "Transfers"),
        "stats_c_recalls": ("Повторні виклики", "Recalls"),
        "stats_c_cancelled": ("Скасовано", "Cancelled"),
        "stats_c_waiting_now": ("Чекають зараз", "Waiting now"),
        "stats_c_wait_mean": ("Чекання, середнє", "Wait, mean"),
        "stats_c_wait_median": ("Чекання, медіана", "Wait, median"),
        "stats_c_wait_p90": ("Чекання, 90-й проц.", "Wait, p90"),
        "stats_c_service_mean": ("Обслуговування, середнє", "Service, mean"),
        "stats_c_service_p90": ("Обслуговування, 90-й проц.", "Service, p90"),
        "stats_c_within": ("За цільовий час", "Within target"),
        "stats_c_level": ("Рівень обслуговування", "Service level"),
        "stats_c_booked": ("Записано", "Booked"),
        "stats_c_kept": ("Прийшли", "Kept"),
        "stats_c_kept_late": ("Із запізненням", "Kept late"),
        "stats_c_missed": ("Не прийшли", "Missed"),
        "stats_c_pending": ("Очікуються", "Pending"),
        "stats_c_total": ("Усього", "Total"),
        "stats_c_offered": ("Вхідні", "Offered"),
        "stats_c_answered": ("Прийнято", "Answered"),
        "stats_c_missed_calls": ("Пропущено", "Missed"),
        "stats_c_abandoned": ("Кинуто", "Abandoned"),
        "stats_c_forwarded": ("Переадресовано", "Forwarded"),
        "stats_c_answer_mean": ("Швидкість відповіді", "Speed of answer"),
        "stats_c_talk_total": ("Розмови, усього", "Talk, total"),
        "stats_c_talk_mean": ("Розмова, середня", "Talk, mean"),
        "stats_c_outgoing": ("Вихідні", "Outgoing"),
        "stats_c_callbacks": ("Передзвони", "Callbacks"),
        "stats_c_answered_share": ("Частка прийнятих", "Answered share"),
        "stats_c_answer_p90": ("Швидкість відповіді, 90-й проц.", "Speed of answer, p90"),
        "stats_c_abandon_wait_mean": ("Чекали до кидання, середнє", "Wait before abandoning, mean"),
        "stats_c_callbacks_asked": ("Просили передзвонити", "Callbacks asked"),
        "stats_c_called_back": ("Передзвонили", "Called back"),
        "stats_c_callers_offered": ("Кол-центр: абоненти", "Call centre: callers"),
        "stats_c_callers_answered": ("Кол-центр: прийнято", "Call centre: answered"),
        "stats_c_callers_abandoned": ("Кол-центр: кинуто", "Call centre: abandoned"),
        "stats_c_callers_answer_mean": (
            "Кол-центр: швидкість відповіді",
            "Call centre: speed of answer",
        ),
        "stats_c_contacts": ("Звернення", "Contacts"),
        "stats_c_handled": ("Оброблено", "Handled"),
    }
)
