"""Messages of the electronic queue (Q-1..Q-6)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "queue_reason_nearest": (
        "Найближчий у черзі «{service}»: час {time}.",
        "Nearest in the line of '{service}': time {time}.",
    ),
    "queue_reason_front": (
        "Переданий на початок черги «{service}» (час {time}).",
        "Transferred to the front of '{service}' (time {time}).",
    ),
    "queue_reason_for_you": (
        "Переданий саме вам, послуга «{service}» (час {time}).",
        "Transferred to you in person, service '{service}' (time {time}).",
    ),
    "queue_reason_booking_due": (
        "Запис на {time}, послуга «{service}»: його час настав (справедливий виклик).",
        "Booked for {time}, service '{service}': its time has come (fair calling).",
    ),
    "queue_reason_booking_early": (
        "Запис на {time}, послуга «{service}»: раніше часу, бо більше ніхто не чекає.",
        "Booked for {time}, service '{service}': early, as nobody else is waiting.",
    ),
    "queue_reason_waited": (
        "Чекає найдовше ({minutes} хв, з {time}), послуга «{service}» (справедливий виклик).",
        "Waited longest ({minutes} min, since {time}), service '{service}' (fair calling).",
    ),
    "queue_reason_by_hand": (
        "Викликаний вручну, послуга «{service}» (час {time}).",
        "Called by hand, service '{service}' (time {time}).",
    ),
    "queue_service_unknown": (
        "Немає послуги (проекту) {id}.",
        "There is no service (project) {id}.",
    ),
    "queue_service_off": (
        "Проект «{name}» не використовує електронну чергу.",
        "The project '{name}' does not use the electronic queue.",
    ),
    "queue_no_session": (
        "Оператор ще не розпочав роботу у черзі: встановіть статус і номер вікна.",
        "The operator has not started work in the queue: set a status and a window number.",
    ),
    "queue_window_invalid": (
        "Номер вікна: від 1 до {max} друкованих символів.",
        "The window: 1 to {max} printable characters.",
    ),
    "queue_window_required": (
        "Вкажіть номер вікна, щоб відвідувачі знали, куди підійти.",
        "Give a window number, so visitors know where to go.",
    ),
    "queue_device_invalid": (
        "Ідентифікатор пристрою: малі латинські літери, цифри, «-» і «_».",
        "The device id: lowercase Latin letters, digits, '-' and '_'.",
    ),
    "queue_operator_has_ticket": (
        "Спершу завершіть обслуговування талона {number} (виконано, не з'явився або передати).",
        "First finish ticket {number} (done, no-show or transfer).",
    ),
    "queue_ticket_not_waiting": (
        "Талон {number} уже не очікує в черзі (стан: {state}).",
        "Ticket {number} is no longer waiting (state: {state}).",
    ),
    "queue_ticket_not_yours_to_call": (
        "Талон {number} належить черзі, яку ви не обслуговуєте.",
        "Ticket {number} belongs to a queue you do not serve.",
    ),
    "queue_not_your_ticket": (
        "Талон {number} обслуговує інший оператор.",
        "Ticket {number} is being served by another operator.",
    ),
    "queue_ticket_not_in_hand": (
        "Ця дія неможлива: талон {number} у стані «{state}».",
        "Not possible: ticket {number} is in the state '{state}'.",
    ),
    "queue_client_name_invalid": (
        "Ім'я відвідувача: до 200 друкованих символів.",
        "The visitor's name: up to 200 printable characters.",
    ),
    "queue_client_phone_invalid": (
        "Телефон відвідувача: до 32 символів, з цифрами.",
        "The visitor's phone: up to 32 characters, with digits.",
    ),
    "queue_companies_invalid": (
        "Кількість компаній: від 1 до {max}.",
        "The number of companies: 1 to {max}.",
    ),
    "queue_client_unknown": ("Немає клієнта {id}.", "There is no client {id}."),
    "queue_number_unavailable": (
        "Не вдалося видати вільний номер талона; спробуйте ще раз.",
        "No free ticket number could be given; try again.",
    ),
    "bench_clock_not_controlled": (
        "Годинник цього хаба не керований: його час задати не можна.",
        "This hub's clock is not controlled: its time cannot be set.",
    ),
    "bench_clock_backwards": (
        "Годинник не йде назад: вкажіть час, не раніший за поточний.",
        "The clock never goes back: give a time no earlier than now.",
    ),
    "queue_booking_naive_time": (
        "Час запису має містити часовий пояс.",
        "The booked time must include a time zone.",
    ),
    "queue_booking_in_past": (
        "Цей час уже минув; оберіть пізніший.",
        "That time has passed; choose a later one.",
    ),
    "queue_booking_unknown": (
        "Запису з таким кодом немає. Перевірте код.",
        "There is no booking with this code. Check the code.",
    ),
    "queue_booking_cancelled": ("Запис {number} скасовано.", "Booking {number} was cancelled."),
    "queue_booking_checked_in": (
        "Запис {number} уже зареєстровано.",
        "Booking {number} has already checked in.",
    ),
    "queue_booking_too_early": (
        "Ще зарано: реєстрація на ваш запис відкриється {day} о {opens}.",
        "Too early: check-in for your booking opens on {day} at {opens}.",
    ),
    "queue_booking_too_late": (
        "Час реєстрації на ваш запис минув о {closed}. Зверніться до адміністратора залу.",
        "Check-in for your booking closed at {closed}. Please ask the hall administrator.",
    ),
    "queue_status_unknown": (
        "Немає статусу користувача з кодом «{code}».",
        "There is no user status with the code '{code}'.",
    ),
    "user_statuses_off": (
        "Статус «{code}» недоступний: ви не використовуєте статуси користувача, тож у черзі "
        "працюєте лише статусом «Вільний» (параметр «Використовувати статуси користувача» "
        "вимкнено).",
        "The status '{code}' is not available: you do not use user statuses, so in the queue "
        "you work with Free alone (the parameter 'Use user statuses' is off).",
    ),
    "queue_note_invalid": (
        "Примітка: до {max} символів.",
        "The note: up to {max} characters.",
    ),
    "queue_transfer_target_required": (
        "Вкажіть, куди передати: послугу або оператора.",
        "Say where to transfer: a service or an operator.",
    ),
    "queue_operator_unknown": (
        "Немає активного користувача {id}.",
        "There is no active user {id}.",
    ),
    "queue_desk_time_invalid": (
        "Час вкажіть як ГГ:ХХ, наприклад 14:30.",
        "Give the time as HH:MM, for example 14:30.",
    ),
    "queue_desk_time_past": (
        "Час {time} уже минув: оберіть пізніший або залиште поле порожнім (зараз).",
        "{time} has passed: choose a later time, or leave the field empty (now).",
    ),
    "queue_caller_needs_phone": (
        "Талон {number} — абонент на лінії: його може взяти лише оператор із увімкненим телефоном.",
        "Ticket {number} is a caller on a line: only an operator with a phone online may take it.",
    ),
    "line_not_a_line": (
        "Пристрій {device} не є агентом лінії.",
        "Device {device} is not a line agent.",
    ),
    "line_call_unknown": (
        "Дзвінок {call_id} не стоїть у черзі.",
        "Call {call_id} is not in the queue.",
    ),
    "line_call_invalid": (
        "Ідентифікатор дзвінка: від 1 до 128 символів.",
        "The call id: 1 to 128 characters.",
    ),
    "line_event_answered": (
        "Дзвінок у черзі, талон {number}: чекав {waited} с, відповів {who} о {at}.",
        "Call in the queue, ticket {number}: waited {waited} s, answered by {who} at {at}.",
    ),
    "line_event_abandoned": (
        "Дзвінок у черзі, талон {number}: абонент поклав слухавку, прочекавши {waited} с.",
        "Call in the queue, ticket {number}: the caller hung up after waiting {waited} s.",
    ),
    "line_callback_no_number": (
        "Талон {number}: номер абонента невідомий, передзвонити неможливо.",
        "Ticket {number}: the caller's number is unknown, they cannot be called back.",
    ),
    "line_event_callback": (
        "Зворотний дзвінок за талоном {number}: {who} телефонує абоненту, що чекав {waited} с.",
        "Callback for ticket {number}: {who} calls the caller, who waited {waited} s.",
    ),
}
