"""The device registry over HTTP: list, provision, revoke.

Changes commit with the request's transaction; then a background task (run after the commit)
rewrites the broker's files from the registry and reloads the embedded broker.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query
from sqlalchemy.orm import Session

from hub.api.deps import CrmUser, HubDep, Principal, SessionDep, requires
from hub.api.schemas.devices import DeviceCreate, DeviceCreated, DeviceRead
from hub.broker.embedded import sync_broker
from hub.broker.provision import config_text, issue_credentials
from hub.config import Settings
from hub.db.models import Device
from hub.errors import AccessDenied
from hub.services.access.rights import DOC_LABELS, Action, DocType
from hub.services.devices import devices
from hub.services.devices.devices import NewDevice

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])

DeviceIdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Device id")]


def _may_see_devices(principal: CrmUser) -> Principal:
    """Administrators, and anyone holding a right on devices, may see the registry."""
    if any(principal.profile.can(action, DocType.DEVICE) for action in Action):
        return principal
    uk, en = DOC_LABELS[DocType.DEVICE]
    raise AccessDenied(
        "right_missing",
        action=Action.CHANGE.value,
        doc_uk=uk,
        doc_en=en,
        right=f"{DocType.DEVICE.value}:{Action.CHANGE.value}",
    )


def device_view(device: Device) -> DeviceRead:
    """The API form of a device."""
    return DeviceRead(
        device_id=device.id,
        role=device.role,
        site=device.site,
        name=device.name,
        window=device.window,
        printer=device.printer_id,
        phone=device.phone_id,
        phone_status=device.phone_status,
        online=device.online,
        last_seen_at=device.last_seen_at,
        version=device.version,
        faults=list(device.faults or []),
        created_at=device.created_at,
        revoked_at=device.revoked_at,
    )


@router.get("", summary="List devices with their role, online state and last contact")
def list_devices(
    session: SessionDep,
    principal: Annotated[Principal, Depends(_may_see_devices)],
    include_revoked: Annotated[bool, Query(description="also list revoked devices")] = True,
) -> list[DeviceRead]:
    """Devices by site, role and id."""
    return [device_view(d) for d in devices.list_devices(session, include_revoked=include_revoked)]


@router.post("", status_code=201, summary="Provision a device and issue its MQTT credentials")
def add_device(
    hub: HubDep,
    session: SessionDep,
    tasks: BackgroundTasks,
    principal: Annotated[Principal, Depends(requires(Action.CREATE, DocType.DEVICE))],
    body: DeviceCreate,
) -> DeviceCreated:
    """Register a device; the reply carries its MQTT password, which is never shown again."""
    created = devices.add_device(
        session,
        role=body.role,
        name=body.name,
        site=body.site or hub.settings.site,
        window=body.window,
        printer_id=body.printer,
        device_id=body.device_id,
        phone_id=body.phone,
    )
    tasks.add_task(sync_broker, hub.settings, hub.sessions)
    return _with_credentials(hub.settings, session, created)


def _with_credentials(settings: Settings, session: Session, created: NewDevice) -> DeviceCreated:
    """The device with its new credentials and its whole config file (shown once)."""
    credentials = issue_credentials(settings, session, created.device, created.mqtt_password)
    cert = credentials.certificate
    return DeviceCreated(
        **device_view(created.device).model_dump(),
        mqtt_host=credentials.host,
        mqtt_port=credentials.port,
        mqtt_tls=credentials.tls,
        mqtt_username=credentials.username,
        mqtt_password=credentials.password,
        ca_certificate=credentials.ca_pem,
        client_certificate=cert.cert_pem if cert is not None else None,
        client_key=cert.key_pem if cert is not None else None,
        config_toml=config_text(session, created.device, credentials, timezone=settings.timezone),
    )


@router.post(
    "/{device_id}/credentials",
    status_code=201,
    summary="Give a device new credentials: the old password and certificate stop working",
)
def renew_credentials(
    hub: HubDep,
    session: SessionDep,
    tasks: BackgroundTasks,
    principal: Annotated[Principal, Depends(requires(Action.CHANGE, DocType.DEVICE))],
    device_id: DeviceIdPath,
) -> DeviceCreated:
    """For a lost or leaked config, or one made before MQTT over TLS: after the commit the
    broker refuses the old credentials and drops a connection made with them."""
    renewed = _with_credentials(hub.settings, session, devices.renew_password(session, device_id))
    tasks.add_task(sync_broker, hub.settings, hub.sessions, cut_off=[device_id])
    return renewed


@router.post("/{device_id}/revoke", summary="Revoke a device: the broker cuts it off")
def revoke_device(
    hub: HubDep,
    session: SessionDep,
    tasks: BackgroundTasks,
    principal: Annotated[Principal, Depends(requires(Action.DELETE, DocType.DEVICE))],
    device_id: DeviceIdPath,
) -> DeviceRead:
    """Mark the device revoked; after the commit the broker's files are rewritten and reloaded."""
    view = device_view(devices.revoke_device(session, device_id))
    tasks.add_task(sync_broker, hub.settings, hub.sessions, cut_off=[device_id])
    return view
