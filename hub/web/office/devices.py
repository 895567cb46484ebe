"""The device registry in the back-office: register a kiosk, printer, panel, display or phone
agent, hand out its config file once, renew its credentials, revoke it; see it online.

What ``cherga device add`` and ``/api/v1/devices`` do, with the same rights (device: create,
change, delete) and the same services. A new device's config file (its MQTT password and, over
TLS, its private key) is never stored: it is kept in this process's memory under a random token
bound to the user who made it, shown on the next page and handed out by the first download,
then forgotten; unused, it is forgotten after ``DOWNLOAD_TTL`` seconds. Lost before it was
downloaded, the device gets new credentials ("Renew"), which also cut off the old ones.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from hub.api.schemas.common import Name
from hub.api.schemas.devices import DeviceId
from hub.broker.embedded import sync_broker
from hub.broker.provision import config_text, issue_credentials
from hub.errors import DomainError, Invalid
from hub.services.access import rights as access
from hub.services.access.rights import Action, DocType
from hub.services.devices import devices, registry
from hub.services.devices.devices import NewDevice
from hub.web.common import check_csrf, hub_of, page_lang, text
from hub.web.office import (
    devices_texts,  # noqa: F401 (registers the section's words)
    nav,
)
from hub.web.office.forms import FormState, invalid
from hub.web.office.session import (
    Refusal,
    Staff,
    act,
    page,
    refused,
    staff_of,
    to_login,
    with_query,
)

router = APIRouter(prefix="/office/devices")
# The navigation's "Devices" opens the registry; the live view stays at /console/devices.
nav.add(nav.Section("devices", "/office/devices", 90, nav.may_any(DocType.DEVICE)))

ROLES = ("kiosk", "printer", "panel", "display", "phone")
PAGE_SIZE = 25
DOWNLOAD_TTL = 600.0
# Domain refusals that name no field but belong beside one.
FIELD_OF = {"device_window_taken": "window", "device_id_taken": "device_id"}
FIELD_OF |= {"device_phone_taken": "phone"}


@dataclass
class Issued:
    """A config file just made, waiting for its one download."""

    device_id: str
    user_id: int
    host: str
    port: int
    tls: bool
    username: str
    password: str = field(repr=False)
    config: str = field(repr=False)
    expires: float = 0.0


class Downloads:
    """Config files handed out once each, kept in this process's memory only."""

    def __init__(self, ttl: float = DOWNLOAD_TTL) -> None:
        self._ttl = ttl
        self._items: dict[str, Issued] = {}
        self._lock = threading.Lock()

    def _purge(self) -> None:
        now = time.monotonic()
        for token in [t for t, item in self._items.items() if item.expires < now]:
            del self._items[token]

    def put(self, token: str, item: Issued) -> None:
        """Keep ``item`` under ``token`` until it is taken or expires."""
        with self._lock:
            self._purge()
            item.expires = time.monotonic() + self._ttl
            self._items[token] = item

    def _find(self, token: str, user_id: int, device_id: str) -> Issued | None:
        self._purge()
        item = self._items.get(token)
        mine = item is not None and (item.user_id, item.device_id) == (user_id, device_id)
        return item if mine else None

    def peek(self, token: str, user_id: int, device_id: str) -> Issued | None:
        """The item, to the user who made it for this device, without handing it out."""
        with self._lock:
            return self._find(token, user_id, device_id)

    def take(self, token: str, user_id: int, device_id: str) -> Issued | None:
        """Hand the item out and forget it (a second download gets nothing)."""
        with self._lock:
            item = self._find(token, user_id, device_id)
            if item is not None:
                del self._items[token]
            return item


def downloads(request: Request) -> Downloads:
    """This app's store of config files waiting for their download (made on first use)."""
    state = request.app.state
    store: Downloads | None = getattr(state, "office_downloads", None)
    if store is None:
        store = state.office_downloads = Downloads()
    return store


def _blank(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class DeviceForm(BaseModel):
    """A device to register, checked as the API checks ``POST /api/v1/devices``."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    role: Literal["kiosk", "printer", "panel", "display", "phone"]
    name: Name
    device_id: Annotated[DeviceId | None, BeforeValidator(_blank)] = None
    window: Annotated[Annotated[int, Field(ge=1, le=9999)] | None, BeforeValidator(_blank)] = None
    printer: Annotated[DeviceId | None, BeforeValidator(_blank)] = None
    phone: Annotated[DeviceId | None, BeforeValidator(_blank)] = None


def _rights(staff: Staff) -> dict[str, bool]:
    profile = staff.profile
    return {
        "may_create": profile.can(Action.CREATE, DocType.DEVICE),
        "may_renew": profile.can(Action.CHANGE, DocType.DEVICE),
        "may_revoke": profile.can(Action.DELETE, DocType.DEVICE),
    }


def _may_see(staff: Staff) -> None:
    """The API's rule for the registry: any right on devices."""
    if not any(staff.profile.can(action, DocType.DEVICE) for action in Action):
        access.require(staff.profile, Action.CHANGE, DocType.DEVICE)


REFUSED = Refusal(title="dev_refused_title", back="/office/devices", back_label="dev_back")


def _refused_page(request: Request, error: DomainError) -> Response:
    message = text(page_lang(request), error.code, **_params(error))
    return refused(request, message, error.status, REFUSED)


def _params(error: DomainError) -> dict[str, Any]:
    return {k: v for k, v in error.params.items() if k not in ("field", "right")}


def _page(request: Request, template: str, build: Any, status: int = 200) -> Response:
    try:
        return page(request, template, build, status=status)
    except DomainError as error:
        return _refused_page(request, error)


@router.get("", response_model=None)
def registry_page(
    request: Request, q: str = "", role: str = "", state: str = "active", cursor: str = ""
) -> Response:
    """Every device of the site: role, window, online, last seen, version, faults."""
    search = q.replace("\x00", "").strip()[:100]
    role = role if role in ROLES else ""
    state = state if state in registry.STATES else ""
    site = hub_of(request).settings.site

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        _may_see(staff)
        try:
            found = registry.find_devices(
                session,
                site=site,
                role=role,
                state=state,
                search=search,
                cursor=cursor or None,
                limit=PAGE_SIZE,
            )
        except Invalid:
            found = registry.find_devices(
                session, site=site, role=role, state=state, search=search, limit=PAGE_SIZE
            )
        later = None
        if found.next_cursor:
            later = with_query(
                "/office/devices", q=search, role=role, state=state, cursor=found.next_cursor
            )
        return {
            "rows": found.items,
            "q": search,
            "role": role,
            "state": state,
            "later": later,
            "paged": bool(cursor),
            "roles": ROLES,
            "states": registry.STATES,
            **_rights(staff),
        }

    return _page(request, "office/devices.html", build)


def _form_page(request: Request, form: FormState, status: int = 200) -> Response:
    site = hub_of(request).settings.site

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        access.require(staff.profile, Action.CREATE, DocType.DEVICE)
        return {
            "form": form,
            "roles": ROLES,
            "printers": registry.active_of_role(session, site=site, role="printer"),
            "phones": registry.active_of_role(session, site=site, role="phone"),
        }

    return _page(request, "office/devices_new.html", build, status=status)


@router.get("/new", response_model=None)
def new_device(request: Request, role: str = "kiosk") -> Response:
    """The form that registers a device."""
    return _form_page(request, FormState(values={"role": role if role in ROLES else "kiosk"}))


def _issue(request: Request, session: Session, staff: Staff, made: NewDevice) -> Issued:
    """The device's credentials and config file, for the one download."""
    settings = hub_of(request).settings
    credentials = issue_credentials(settings, session, made.device, made.mqtt_password)
    return Issued(
        device_id=made.device.id,
        user_id=staff.user_id,
        host=credentials.host,
        port=credentials.port,
        tls=credentials.tls,
        username=credentials.username,
        password=credentials.password,
        config=config_text(session, made.device, credentials, timezone=settings.timezone),
    )


def _hand_out(
    request: Request, response: Response, token: str, made: list[Issued], cut_off: list[str]
) -> Response:
    """After the commit: keep the config for its download, and bring the broker up to date."""
    if response.status_code == 303 and made:
        downloads(request).put(token, made[0])
        hub = hub_of(request)
        sync_broker(hub.settings, hub.sessions, cut_off=cut_off)
    return response


@router.post("/new", response_model=None)
def create_device(
    request: Request,
    csrf: Annotated[str | None, Form()] = None,
    role: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    device_id: Annotated[str, Form()] = "",
    window: Annotated[str, Form()] = "",
    printer: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
) -> Response:
    """Register a device; the next page shows its credentials and offers its config once."""
    lang = page_lang(request)
    typed = {"role": role, "name": name, "device_id": device_id, "window": window}
    typed |= {"printer": printer, "phone": phone}
    try:
        check_csrf(request, csrf)
        parsed = DeviceForm.model_validate(typed)
    except ValidationError as exc:
        return _form_page(request, invalid(lang, exc, typed), status=422)
    except DomainError as error:
        return _form_page(request, _refused(lang, error, typed), status=error.status)
    token = secrets.token_urlsafe(24)
    made: list[Issued] = []

    def change(session: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.CREATE, DocType.DEVICE)
        created = devices.add_device(
            session,
            role=parsed.role,
            name=parsed.name,
            site=hub_of(request).settings.site,
            window=parsed.window,
            printer_id=parsed.printer,
            device_id=parsed.device_id,
            phone_id=parsed.phone if parsed.role == "panel" else None,
        )
        made.append(_issue(request, session, staff, created))
        return with_query(f"/office/devices/{created.device.id}/issued", token=token)

    def failed(_message: str, error: DomainError) -> Response:
        return _form_page(request, _refused(lang, error, typed), status=error.status)

    return _hand_out(request, act(request, csrf, change, failed=failed), token, made, [])


def _refused(lang: str, error: DomainError, values: dict[str, Any]) -> FormState:
    where = str(error.params.get("field") or FIELD_OF.get(error.code, ""))
    return FormState(values=values, errors={where: text(lang, error.code, **_params(error))})


@router.get("/{device_id}", response_model=None)
def device_card(request: Request, device_id: str) -> Response:
    """One device: what it is, its state, and what may be done with it."""

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        _may_see(staff)
        return {"device": devices.get_device(session, device_id), **_rights(staff)}

    return _page(request, "office/devices_card.html", build)


@router.get("/{device_id}/issued", response_model=None)
def issued_page(request: Request, device_id: str, token: str = "") -> Response:
    """The credentials just made, and the config file's one download."""

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        item = downloads(request).peek(token, staff.user_id, device_id)
        device = devices.get_device(session, device_id)
        return {"device": device, "issued": item, "token": token}

    return _page(request, "office/devices_issued.html", build)


@router.post("/{device_id}/config", response_model=None)
def download_config(
    request: Request,
    device_id: str,
    csrf: Annotated[str | None, Form()] = None,
    token: Annotated[str, Form()] = "",
) -> Response:
    """The device's config file, once; afterwards it exists only on the device."""
    try:
        check_csrf(request, csrf)
    except DomainError as error:
        return _refused_page(request, error)
    staff = staff_of(request)
    if staff is None:
        return to_login(request)
    item = downloads(request).take(token, staff.user_id, device_id)
    if item is None:
        return _refused_page(request, Invalid("dev_download_gone", device_id=device_id))
    return Response(
        item.config,
        media_type="application/toml",
        headers={
            "Content-Disposition": f'attachment; filename="{item.device_id}.toml"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/{device_id}/renew", response_model=None)
def renew(request: Request, device_id: str, csrf: Annotated[str | None, Form()] = None) -> Response:
    """New credentials: the old password and certificate stop working at once."""
    token = secrets.token_urlsafe(24)
    made: list[Issued] = []

    def change(session: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.CHANGE, DocType.DEVICE)
        made.append(_issue(request, session, staff, devices.renew_password(session, device_id)))
        return with_query(f"/office/devices/{device_id}/issued", token=token)

    def failed(_message: str, error: DomainError) -> Response:
        return _refused_page(request, error)

    response = act(request, csrf, change, failed=failed)
    return _hand_out(request, response, token, made, [device_id])


@router.post("/{device_id}/revoke", response_model=None)
def revoke(
    request: Request, device_id: str, csrf: Annotated[str | None, Form()] = None
) -> Response:
    """Revoke a device: the broker cuts it off and it cannot log in again."""
    done: list[bool] = []

    def change(session: Session, staff: Staff) -> str:
        access.require(staff.profile, Action.DELETE, DocType.DEVICE)
        devices.revoke_device(session, device_id)
        done.append(True)
        return f"/office/devices/{device_id}?revoked=1"

    def failed(_message: str, error: DomainError) -> Response:
        return _refused_page(request, error)

    response = act(request, csrf, change, failed=failed)
    if response.status_code == 303 and done:
        hub = hub_of(request)
        sync_broker(hub.settings, hub.sessions, cut_off=[device_id])
    return response
