"""Setting up a queue's service in one go (Q-1, Q-3, SET-6, SET-7): the project card, its
opening hours, its ticket numbering and its slot rule, checked whole before anything is saved.

A service is a project with the queue on. The back-office's service card edits what the API
spreads over several resources (the project, its opening hours, its own numbering rule); saving
it is one transaction, so a wrong field or a conflicting change stores nothing. The slot rule
(how long a visitor representing N companies is planned for) is either linear (minutes per
company, the queue's global default) or graded by the number of companies, as the manual's
calculation programs give it ("1 company: 15 min, up to 3: 30 min, more: 45 min").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import NumberingRule, Project
from hub.errors import Invalid
from hub.services.access import rights as access
from hub.services.access.rights import AccessProfile, Action, DocType, SettingsTab
from hub.services.common.edits import check_unchanged, fingerprint
from hub.services.projects import projects
from hub.services.queue import booking, hours
from hub.services.queue.calling import CALLING_MODES
from hub.services.queue.core import params
from hub.services.queue.hours import DayHours
from hub.services.queue.slots import (
    SlotMode,
    SlotRule,
    SlotStep,
    slot_rule,
    store_slot_rule,
)
from hub.services.queue.tickets import NUMBER_DOC
from hub.services.settings import numbering

MAX_STEPS = 5
MAX_COMPANIES = booking.MAX_COMPANIES


def check_slot_rule(rule: SlotRule) -> None:
    """Invalid naming the field unless the rule gives a sensible length for 1..10 companies."""
    if not 1 <= rule.minutes <= 24 * 60:
        raise Invalid("qs_slot_minutes_invalid", field="slot_minutes")
    if rule.mode != "graded":
        return
    if not rule.steps:
        raise Invalid("qs_slot_steps_missing", field="step_1_companies")
    previous = SlotStep(0, 0)
    for index, step in enumerate(rule.steps, start=1):
        if not previous.companies < step.companies <= MAX_COMPANIES:
            raise Invalid(
                "qs_slot_step_companies", field=f"step_{index}_companies", max=MAX_COMPANIES
            )
        if not previous.minutes < step.minutes <= 24 * 60:
            raise Invalid("qs_slot_step_minutes", field=f"step_{index}_minutes")
        previous = step


@dataclass(frozen=True)
class Numbering:
    """The service's ticket numbers: its own rule, or the general one."""

    prefix: str
    width: int
    start: int
    daily_reset: bool
    own: bool


@dataclass(frozen=True)
class ServiceValues:
    """Everything the service card edits, as it is now (its fingerprint guards a save)."""

    name: str
    description: str
    uses_queue: bool
    days: tuple[DayHours, ...]
    """The open days of the week with their hours (a day not listed is closed)."""
    prefix: str
    width: int
    start: int
    daily_reset: bool
    slot_mode: str
    slot_minutes: int
    steps: tuple[tuple[int, int], ...] = field(default=())
    calling_mode: str = "nearest"
    """How Free chooses among the waiting (``queue_calling``): nearest (Q-5) or fair."""
    callers_first: bool = False
    """Callers on the office's lines go to the front of the line (``queue.calls``)."""
    caller_share_percent: int | None = None
    """At most this share of today's called tickets are callers while a visitor waits; with
    ``callers_first`` it bounds how far callers go first (``queue.lines.share_reached``)."""

    def fingerprint(self) -> str:
        """What the card's form carries to refuse a save over someone else's change."""
        return fingerprint(self, list(asdict(self)))


def _numbering(session: Session, service_id: int | None) -> Numbering:
    rule = numbering.find_rule(session, NUMBER_DOC, service_id)
    own = service_id is not None and rule.project_id == service_id
    return Numbering(rule.prefix, rule.width, rule.start, rule.daily_reset, own)


def current_values(session: Session, project: Project) -> ServiceValues:
    """The card's values of an existing service."""
    week = hours.opening_hours(session, project.id)
    rule = _numbering(session, project.id)
    slot = slot_rule(session, project.id)
    return ServiceValues(
        name=project.name,
        description=project.description or "",
        uses_queue=project.uses_queue,
        days=week.days,
        prefix=rule.prefix,
        width=rule.width,
        start=rule.start,
        daily_reset=rule.daily_reset,
        slot_mode=slot.mode,
        slot_minutes=slot.minutes,
        steps=tuple((s.companies, s.minutes) for s in slot.steps),
        calling_mode=project.calling_mode,
        callers_first=project.callers_first,
        caller_share_percent=project.caller_share_percent,
    )


def new_values(session: Session) -> ServiceValues:
    """What a new service's card starts with: the defaults of hours, numbering and slots."""
    rule = _numbering(session, None)
    return ServiceValues(
        name="",
        description="",
        uses_queue=True,
        days=hours.DEFAULT_HOURS.days,
        prefix="",
        width=rule.width,
        start=rule.start,
        daily_reset=rule.daily_reset,
        slot_mode="linear",
        slot_minutes=params(session).default_service_minutes,
    )


def may_number(profile: AccessProfile) -> bool:
    """Whether the user may set a service's own ticket numbering (the API's numbering rights)."""
    return profile.sees_tab(SettingsTab.NUMBERING) and profile.can(Action.CHANGE, DocType.SETTINGS)


def problems(values: ServiceValues) -> list[Invalid]:
    """Every rule the values break (each day's hours, the slot rule), each naming its field."""
    found = hours.problems(values.days)
    if values.calling_mode not in CALLING_MODES:
        found.append(Invalid("qs_calling_mode_invalid", field="calling_mode"))
    share = values.caller_share_percent
    if share is not None and not 1 <= share <= 100:
        found.append(Invalid("prj_caller_share_invalid", field="caller_share_percent"))
    try:
        check_slot_rule(_rule_of(values))
    except Invalid as error:
        found.append(error)
    return found


def _rule_of(values: ServiceValues) -> SlotRule:
    steps = tuple(SlotStep(c, m) for c, m in values.steps)
    mode: SlotMode = "graded" if values.slot_mode == "graded" else "linear"
    return SlotRule(mode, values.slot_minutes, steps if mode == "graded" else ())


def _save_numbering(
    session: Session, profile: AccessProfile, project_id: int, v: ServiceValues, lang: str
) -> None:
    """The service's own rule when it differs from what applies now (needs the numbering right)."""
    now = _numbering(session, project_id)
    wanted = (v.prefix, v.width, v.start, v.daily_reset)
    if wanted == (now.prefix, now.width, now.start, now.daily_reset):
        return
    access.require_settings_change(profile, SettingsTab.NUMBERING, Action.CHANGE, lang)
    changes = {"prefix": v.prefix, "width": v.width, "start": v.start, "daily_reset": v.daily_reset}
    own = session.scalar(
        select(NumberingRule).where(
            NumberingRule.doc_type == NUMBER_DOC, NumberingRule.project_id == project_id
        )
    )
    if own is None:
        numbering.create_rule(
            session,
            {"doc_type": NUMBER_DOC, "project_id": project_id, "per_project": True} | changes,
        )
    else:
        numbering.update_rule(session, own.id, changes)


def save_service(
    session: Session,
    *,
    profile: AccessProfile,
    service_id: int | None,
    values: ServiceValues,
    shown: str | None,
    today: date,
    lang: str = "uk",
) -> Project:
    """Create or change a service whole: card, hours, numbering, slot rule; refuses a save over
    a change made since ``shown`` (the fingerprint the form carried)."""
    for problem in problems(values):
        raise problem
    card: dict[str, object] = {
        "name": values.name,
        "description": values.description or None,
        "uses_queue": values.uses_queue,
        "calling_mode": values.calling_mode,
        "callers_first": values.callers_first,
        "caller_share_percent": values.caller_share_percent,
    }
    if service_id is None:
        project = projects.create_project(session, profile=profile, values=card, today=today)
    else:
        project = projects.get_project(session, service_id)
        check_unchanged(current_values(session, project), asdict(values), shown, what=project.name)
        project = projects.update_project(
            session, profile=profile, project_id=service_id, changes=card
        )
    _save_numbering(session, profile, project.id, values, lang)
    access.require(profile, Action.CHANGE, DocType.PROJECT)
    if project.uses_queue:
        hours.set_opening_hours(session, profile=profile, service_id=project.id, days=values.days)
    store_slot_rule(session, project.id, _rule_of(values))
    return project
