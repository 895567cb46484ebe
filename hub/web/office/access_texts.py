"""The words of the Access control pages (ACC), Ukrainian and English."""

from __future__ import annotations

from hub.web.office import texts

texts.register(
    {
        "section_access": ("Користувачі та права", "Users and rights"),
        "section_access_hint": (
            "Облікові записи працівників, доступ до системи, права на документи й журнали",
            "Employees' accounts, access to the system, rights on documents and journals",
        ),
        "acc_users": ("Користувачі", "Users"),
        "acc_scope": ("Кого показати", "Whom to show"),
        "acc_scope_all": ("усіх", "all users"),
        "acc_scope_crm": ("лише з доступом до системи", "only those with access"),
        "acc_search_hint": ("Логін або ім'я", "Username or name"),
        "acc_username": ("Логін", "Username"),
        "acc_username_hint": (
            "Літери, цифри, «.», «_», «-», «@»; до 64 знаків.",
            "Letters, digits, '.', '_', '-', '@'; up to 64 characters.",
        ),
        "acc_password": ("Пароль", "Password"),
        "acc_password_new_hint": (
            "Щонайменше {min} знаків.",
            "At least {min} characters.",
        ),
        "acc_password_edit_hint": (
            "Залиште порожнім, щоб не змінювати. Новий пароль завершує всі сеанси користувача.",
            "Leave empty to keep it. A new password ends all of the user's sessions.",
        ),
        "acc_full_name": ("Прізвище, ім'я, по батькові", "Full name"),
        "acc_email": ("Ел. пошта", "E-mail"),
        "acc_phone": ("Телефон", "Phone"),
        "acc_sip_number": ("Номер SIP", "SIP number"),
        "acc_position": ("Посада", "Position"),
        "acc_lang": ("Мова", "Language"),
        "acc_crm_access": ("Доступ до системи", "Access to the system"),
        "acc_is_admin": ("Адміністратор", "Administrator"),
        "acc_is_active": ("Обліковий запис увімкнено", "The account is enabled"),
        "acc_full_access": ("Повний доступ", "Full access"),
        "acc_active": ("Увімкнено", "Enabled"),
        "acc_employee": ("Працівник", "Employee"),
        "acc_account": ("Обліковий запис", "Account"),
        "acc_new_user": ("Новий користувач", "New user"),
        "acc_user": ("Користувач {name}", "User {name}"),
        "acc_rights": ("Права", "Rights"),
        "acc_rights_of": ("Права: {name}", "Rights: {name}"),
        "acc_disable": ("Вимкнути", "Disable"),
        "acc_confirm_disable": (
            "Вимкнути обліковий запис «{name}»? Його сеанси завершаться, історія залишиться.",
            "Disable the account “{name}”? Its sessions end; its history stays.",
        ),
        "acc_powerful_note": (
            "Змінювати адміністратора чи користувача з повним доступом може лише адміністратор.",
            "Only an administrator may change an administrator or a user with full access.",
        ),
        "acc_read_only": (
            "У вас немає права змінювати користувачів.",
            "You have no right to change users.",
        ),
        "acc_documents": ("Права на документи", "Rights on documents"),
        "acc_document": ("Документ", "Document"),
        "acc_journals": ("Права в журналах", "Rights in journals"),
        "acc_journal": ("Журнал", "Journal"),
        "acc_no_journals": ("Журналів ще немає.", "There are no journals yet."),
        "acc_create": ("Створення", "Create"),
        "acc_change": ("Зміна", "Change"),
        "acc_delete": ("Видалення", "Delete"),
        "acc_right_label": ("{action}: {what}", "{action}: {what}"),
        "acc_prohibition": ("Заборони", "Prohibitions"),
        "acc_deny_status": (
            "Заборонити змінювати статус задачі",
            "Prohibit changing a task's status",
        ),
        "acc_tabs": ("Вкладки налаштувань, які бачить користувач", "Settings tabs the user sees"),
        "acc_tabs_hint": (
            "Жодної не позначено — бачить усі.",
            "None marked: the user sees all of them.",
        ),
        "acc_full_on": (
            "Користувач має повний доступ: усі права, хоч би що позначено нижче.",
            "The user has full access: every right, whatever is marked below.",
        ),
        "acc_admin_on": (
            "Користувач — адміністратор: усі права, хоч би що позначено нижче.",
            "The user is an administrator: every right, whatever is marked below.",
        ),
        "acc_grant_full": ("Надати повний доступ", "Grant full access"),
        "acc_revoke_full": ("Забрати повний доступ", "Revoke full access"),
        "acc_confirm_revoke": (
            "Забрати повний доступ у «{name}»? Усі позначені права також буде знято.",
            "Revoke full access from “{name}”? Every marked right is cleared too.",
        ),
        "acc_what_user": ("користувача «{name}»", "the user “{name}”"),
        "acc_what_rights": ("права користувача «{name}»", "the rights of “{name}”"),
    }
)
