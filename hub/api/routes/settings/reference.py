"""The reference books, each served by the same five routes (SET-1..SET-5)."""

from functools import cache
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel

from hub.api.deps import CrmUser, Principal, SessionDep, requires_settings
from hub.api.schemas.common import MAX_DB_INT
from hub.api.schemas.reference import (
    HistoryGroupCreate,
    HistoryGroupRead,
    HistoryGroupUpdate,
    ReferenceCreate,
    ReferenceRead,
    ReferenceUpdate,
    StatusCreate,
    StatusRead,
    StatusUpdate,
    TaskFieldCreate,
    TaskFieldRead,
    TaskFieldUpdate,
)
from hub.services.access.rights import Action
from hub.services.settings import reference
from hub.services.settings.reference import REFERENCE_KINDS, ReferenceKind

EntryId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="The entry's id")]


def _schemas(kind: ReferenceKind) -> tuple[type[BaseModel], type[BaseModel], type[BaseModel]]:
    if "fields" in kind.extra_fields:
        return HistoryGroupCreate, HistoryGroupUpdate, HistoryGroupRead
    if "color" in kind.extra_fields:
        return StatusCreate, StatusUpdate, StatusRead
    if "value_type" in kind.extra_fields:
        return TaskFieldCreate, TaskFieldUpdate, TaskFieldRead
    return ReferenceCreate, ReferenceUpdate, ReferenceRead


def reference_router(kind: ReferenceKind) -> APIRouter:
    """Routes for one reference book: list, read, create, change, delete."""
    create_schema, update_schema, read_schema = _schemas(kind)
    router = APIRouter(prefix=f"/api/v1/{kind.slug}", tags=["reference books"])
    label = kind.label_en.lower()

    def read(entry: Any) -> Any:
        return read_schema.model_validate(entry)

    @router.get("", summary=f"List {label}", response_model=list[read_schema])  # type: ignore[valid-type]
    def list_entries(
        session: SessionDep,
        principal: CrmUser,
        system: Annotated[
            bool | None, Query(description="only system (true) or user-defined (false)")
        ] = None,
    ) -> list[Any]:
        return [read(entry) for entry in reference.list_entries(session, kind, system=system)]

    @router.get("/{entry_id:int}", summary=f"One of the {label}", response_model=read_schema)
    def get_entry(session: SessionDep, principal: CrmUser, entry_id: EntryId) -> Any:
        return read(reference.get_entry(session, kind, entry_id))

    @router.post("", status_code=201, summary=f"Add to {label}", response_model=read_schema)
    def create_entry(
        session: SessionDep,
        principal: Annotated[Principal, Depends(requires_settings(Action.CREATE, kind.tab))],
        body: create_schema,  # type: ignore[valid-type]
    ) -> Any:
        data = cast(BaseModel, body).model_dump()
        return read(reference.create_entry(session, kind, data))

    @router.patch(
        "/{entry_id:int}", summary=f"Change one of the {label}", response_model=read_schema
    )
    def update_entry(
        session: SessionDep,
        principal: Annotated[Principal, Depends(requires_settings(Action.CHANGE, kind.tab))],
        entry_id: EntryId,
        body: update_schema,  # type: ignore[valid-type]
    ) -> Any:
        changes = cast(BaseModel, body).model_dump(exclude_unset=True)
        return read(reference.update_entry(session, kind, entry_id, changes))

    @router.delete("/{entry_id:int}", status_code=204, summary=f"Delete one of the {label}")
    def delete_entry(
        session: SessionDep,
        principal: Annotated[Principal, Depends(requires_settings(Action.DELETE, kind.tab))],
        entry_id: EntryId,
    ) -> Response:
        reference.delete_entry(session, kind, entry_id)
        return Response(status_code=204)

    return router


@cache
def reference_routers() -> tuple[APIRouter, ...]:
    """One router per reference book. They depend on no hub, so they are built once: every app
    (a hub's, each test's) includes the same ones, as it does the other routers. Building them
    took about 110 ms of the 130 of ``create_app``."""
    return tuple(reference_router(kind) for kind in REFERENCE_KINDS.values())
