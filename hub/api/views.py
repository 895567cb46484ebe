"""Turning domain objects into reply schemas."""

from __future__ import annotations

from hub.api.schemas.users import AccessRead, RightsIn, UserRead
from hub.db.models import User
from hub.services.access.rights import AccessProfile, DocType, SettingsTab


def user_view(user: User) -> UserRead:
    """A user as the API shows it."""
    return UserRead.model_validate(user)


def access_view(profile: AccessProfile) -> AccessRead:
    """A user's rights as the API shows them."""
    return AccessRead(
        user_id=profile.user_id,
        is_admin=profile.is_admin,
        full_access=profile.full_access,
        crm_access=profile.crm_access,
        deny_task_status_change=profile.deny_task_status_change,
        documents={
            DocType(doc): RightsIn(create=r.create, change=r.change, delete=r.delete)
            for doc, r in profile.doc_rights.items()
            if doc in DocType._value2member_map_
        },
        journals={
            journal: RightsIn(create=r.create, change=r.change, delete=r.delete)
            for journal, r in profile.journal_rights.items()
        },
        visible_tabs=sorted(SettingsTab(tab) for tab in profile.visible_tabs),
        effective_tabs=profile.tabs(),
    )
