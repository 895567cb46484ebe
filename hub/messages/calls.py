"""Messages of calls as CRM events (PH-8) and of dialling from the CRM (PH-6)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "call_recording_unknown_call": (
        "Запис {name}: агент не повідомляв про дзвінок {call_id}.",
        "Recording {name}: the agent never reported call {call_id}.",
    ),
    "call_recording_early": (
        "Запис {name}: дзвінок {call_id} ще не завершено.",
        "Recording {name}: call {call_id} has not ended yet.",
    ),
    "call_recording_damaged": (
        "Запис {name} пошкоджено: це не WAV-файл або контрольна сума не збігається.",
        "Recording {name} is damaged: not a WAV file, or its checksum does not match.",
    ),
    "call_not_a_phone": (
        "Пристрій {device} не є телефонним агентом.",
        "Device {device} is not a phone agent.",
    ),
    "call_not_missed": (
        "Подія №{number} не є неприйнятим дзвінком.",
        "Event №{number} is not a missed call.",
    ),
    "call_unknown_user": (
        "Немає активного користувача з кодом {user_id}.",
        "There is no active user with id {user_id}.",
    ),
    "call_no_number": (
        "Вкажіть номер або контактну особу, якій зателефонувати.",
        "Give a number or a contact person to call.",
    ),
    "call_contact_no_phone": (
        "У контактної особи немає телефону.",
        "The contact person has no phone number.",
    ),
    "call_not_contacts_number": (
        "Цей номер не належить контактній особі.",
        "This number is not one of the contact person's.",
    ),
    "call_dial_for_other": (
        "Телефонувати з телефону іншого користувача може лише адміністратор.",
        "Only an administrator may dial from another user's phone.",
    ),
    "call_no_phone": (
        "У користувача {username} немає телефонного агента: прив'яжіть його до панелі "
        "або вкажіть SIP-номер.",
        "User {username} has no phone agent: link one to their panel or set their SIP number.",
    ),
    "call_phone_offline": (
        "Телефонний агент {device} не в мережі або не зареєстрований на SIP-сервері.",
        "Phone agent {device} is offline or not registered to the SIP server.",
    ),
}
