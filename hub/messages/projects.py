"""Messages of the projects module: projects, contracts, work group, discussion, attachments."""

MESSAGES: dict[str, tuple[str, str]] = {
    "prj_has_documents": (
        "Проект «{name}» не можна видалити: до нього належать події або задачі. "
        "Спочатку видаліть їх або перенесіть в інший проект.",
        "The project '{name}' cannot be deleted: events or tasks belong to it. "
        "Delete them or move them to another project first.",
    ),
    "prj_ref_missing": (
        "Немає запису «{what_uk}» з id {id}.",
        "There is no {what_en} with id {id}.",
    ),
    "prj_caller_share_invalid": (
        "Частка дзвінків — ціле число відсотків від 1 до 100, або порожньо (без обмеження).",
        "The callers' share is a whole percent from 1 to 100, or empty (no cap).",
    ),
    "prj_client_deleted": (
        "Клієнта «{name}» видалено; оберіть іншого замовника.",
        "The client '{name}' is deleted; choose another customer.",
    ),
    "prj_member_inactive": (
        "Користувача «{username}» вимкнено: до робочої групи додають лише активних працівників.",
        "The user '{username}' is disabled: only active employees join a work group.",
    ),
    "prj_journal_filter": (
        "Фільтр журналу — це id журналу або «none» (проекти без журналу).",
        "The journal filter is a journal id or 'none' (projects without a journal).",
    ),
    "prj_message_not_own": (
        "Видаляти можна лише власні повідомлення (або адміністратору).",
        "Only the author (or an administrator) may delete a message.",
    ),
    "att_file_missing": (
        "Файл вкладення «{name}» відсутній у сховищі; зверніться до адміністратора.",
        "The file of the attachment '{name}' is missing from the store; contact the administrator.",
    ),
    "att_empty_name": (
        "Вкажіть назву вкладення.",
        "Give the attachment a name.",
    ),
}
