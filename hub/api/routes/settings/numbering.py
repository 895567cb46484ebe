"""Numbering rules (SET-6)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from hub.api.deps import CrmUser, HubDep, Principal, SessionDep, requires_settings
from hub.api.schemas.common import PathId
from hub.api.schemas.numbering import RuleCreate, RuleRead, RuleUpdate
from hub.db.models import NumberingRule
from hub.services.access import rights as access
from hub.services.access.rights import Action, SettingsTab
from hub.services.settings import numbering

router = APIRouter(prefix="/api/v1/numbering/rules", tags=["numbering"])


def _view(hub: HubDep, session: SessionDep, rule: NumberingRule) -> RuleRead:
    preview = None
    if not rule.per_project or rule.project_id is not None:
        preview = numbering.peek_next(
            session, doc_type=rule.doc_type, on=hub.today(), project_id=rule.project_id
        )
    return RuleRead.model_validate(rule).model_copy(update={"next_number": preview})


@router.get("", summary="Numbering rules")
def list_rules(hub: HubDep, session: SessionDep, principal: CrmUser) -> list[RuleRead]:
    """Every rule, with the number it would give next (where that does not depend on a project)."""
    access.require_tab(principal.profile, SettingsTab.NUMBERING, principal.lang)
    return [_view(hub, session, rule) for rule in numbering.list_rules(session)]


@router.post("", status_code=201, summary="Add a numbering rule")
def create_rule(
    hub: HubDep,
    session: SessionDep,
    principal: Annotated[
        Principal, Depends(requires_settings(Action.CREATE, SettingsTab.NUMBERING))
    ],
    body: RuleCreate,
) -> RuleRead:
    """A project's own rule overrides the general rule of the same document type."""
    return _view(hub, session, numbering.create_rule(session, body.model_dump()))


@router.patch("/{rule_id:int}", summary="Change a numbering rule")
def update_rule(
    hub: HubDep,
    session: SessionDep,
    principal: Annotated[
        Principal, Depends(requires_settings(Action.CHANGE, SettingsTab.NUMBERING))
    ],
    rule_id: PathId,
    body: RuleUpdate,
) -> RuleRead:
    """Numbers already given keep their text; new ones follow the changed rule."""
    return _view(
        hub, session, numbering.update_rule(session, rule_id, body.model_dump(exclude_unset=True))
    )


@router.delete("/{rule_id:int}", status_code=204, summary="Delete a project's numbering rule")
def delete_rule(
    session: SessionDep,
    principal: Annotated[
        Principal, Depends(requires_settings(Action.DELETE, SettingsTab.NUMBERING))
    ],
    rule_id: PathId,
) -> Response:
    """The general rules cannot be deleted."""
    numbering.delete_rule(session, rule_id)
    return Response(status_code=204)
