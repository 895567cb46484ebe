"""Schemathesis over the hub's whole OpenAPI, in process: shared by the contract test and bench.

The hub runs on a migrated SQLite copy with a few records of each kind, so generated ids reach
real clients, events and tasks; every request is made as an administrator. Logging out (which
revokes the token it is called with) gets a token of its own, so it cannot log the run out; and
the run's administrator is not user 1 but one at an id no generated path names, so a generated
change that ends a user's sessions (a new password for ``/users/1``) cannot log it out either.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.engine import Status, events, from_schema

from hub.api.app import create_app
from hub.bootstrap import Hub, build_hub, prepare_database
from hub.db.engine import transaction
from hub.db.models import User
from tests.conftest import ADMIN_PASSWORD, make_settings

LOGOUT = ("DELETE", "/api/v1/auth/token")
# The checks a response is held to; positive_data_acceptance is left to the bench: the API
# refuses well-formed requests that break a rule (a stale cursor, a weak password, a closed
# service) with 422, which that check counts as a violation.
CONTRACT_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "unsupported_method",
    "allow_header_conformance",
    "missing_required_header",
    "ignored_auth",
)


@dataclass
class ContractRun:
    """What a run generated and which checks failed where."""

    operations: set[str] = field(default_factory=set)
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    checks: Counter[str] = field(default_factory=Counter)
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], str] = field(default_factory=dict)
    # The answers behind failed checks: (check, "422 cursor_invalid") -> count.
    answers: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        """Answers 5xx."""
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def violations_by_check(self) -> Counter[str]:
        """Failed checks counted per check (a server error is a not_a_server_error failure)."""
        by_check: Counter[str] = Counter()
        for (check, _operation), count in self.failures.items():
            by_check[check] += count
        return by_check

    def report(self) -> str:
        """The failures, one line per check and operation, with the first message."""
        lines = [
            f"{count} x {check} on {operation}: {self.examples[(check, operation)]}"
            for (check, operation), count in sorted(self.failures.items())
        ]
        return "\n".join([*lines, *self.errors])


RUN_ADMIN = "contract-admin"
RUN_ADMIN_ID = 770_001


def _add_run_admin(hub: Hub) -> None:
    """The administrator the run works as, away from the small ids generated paths name."""
    with transaction(hub.sessions) as session:
        session.add(
            User(
                id=RUN_ADMIN_ID,
                username=RUN_ADMIN,
                password_hash=hub.hasher.hash(ADMIN_PASSWORD),
                is_admin=True,
                crm_access=True,
                lang="uk",
            )
        )


def _admin_token(client: TestClient) -> str:
    reply = client.post(
        "/api/v1/auth/token", data={"username": RUN_ADMIN, "password": ADMIN_PASSWORD}
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


def _seed(client: TestClient, headers: dict[str, str]) -> None:
    """A few records of each kind, one of them deleted, for generated ids to find."""

    def post(url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        reply = client.post(url, headers=headers, json=body)
        assert reply.status_code == status, (url, reply.text)
        result: dict[str, Any] = reply.json()
        return result

    client_row = post("/api/v1/clients", {"name": "ТОВ Ромашка", "phone": "+380441234567"})
    gone = post("/api/v1/clients", {"name": "Вилучений клієнт"})
    contact = post(
        f"/api/v1/clients/{client_row['id']}/contacts",
        {"full_name": "Олена Петрук", "phones": [{"phone": "+380501112233"}]},
    )
    post(f"/api/v1/clients/{client_row['id']}/contacts", {"full_name": "Іван Вилучений"})
    post(
        f"/api/v1/clients/{client_row['id']}/documents",
        {
            "kind": "invoice",
            "number": "1",
            "doc_date": "2025-01-10",
            "direction": "out",
            "amount": "100.00",
        },
    )
    # A project using the queue is a service of the public booking API, with opening hours.
    project = post(
        "/api/v1/projects", {"name": "Довідки", "uses_queue": True, "start_date": "2025-01-01"}
    )
    reply = client.put(f"/api/v1/projects/{project['id']}/members/1", headers=headers)
    assert reply.status_code in (200, 201), reply.text
    post(
        "/api/v1/events",
        {
            "starts_at": "2025-01-10T09:00:00+02:00",
            "type": "incoming_call",
            "client_id": client_row["id"],
            "contact_id": contact["id"],
            "project_id": project["id"],
            "phone": "+380501112233",
        },
    )
    post(
        "/api/v1/tasks",
        {
            "name": "Передзвонити",
            "starts_at": "2025-01-10T09:00:00+02:00",
            "ends_at": "2025-01-10T10:00:00+02:00",
            "client_id": client_row["id"],
            "project_id": project["id"],
            "executor_ids": [1],
        },
    )
    reply = client.delete(f"/api/v1/clients/{gone['id']}", headers=headers)
    assert reply.status_code == 204, reply.text


@contextmanager
def contract_app(folder: Path, template: Path | None = None) -> Iterator[tuple[FastAPI, str, str]]:
    """The hub's app on a seeded SQLite copy, an administrator's token and one for logging out."""
    database = folder / "cherga.db"
    if template is not None:
        shutil.copyfile(template, database)
    hub = build_hub(make_settings(f"sqlite:///{database}", folder))
    if template is None:
        prepare_database(hub, announce=lambda _message: None)
    _add_run_admin(hub)
    try:
        app = create_app(hub)
        with TestClient(app) as client:
            token = _admin_token(client)
            _seed(client, {"Authorization": f"Bearer {token}"})
            yield app, token, _admin_token(client)
    finally:
        hub.close()


def run_contract(
    app: FastAPI,
    *,
    token: str,
    logout_token: str,
    max_examples: int,
    seed: int = 20251205,
    checks: Sequence[str] | None = CONTRACT_CHECKS,
    stateful: bool = False,
) -> ContractRun:
    """Run the examples, coverage and fuzzing phases (and stateful ones if asked) over every
    operation; ``checks`` None means all of schemathesis' checks."""
    checks_config: dict[str, Any] = {"enabled": checks is None}
    for name in checks or ():
        checks_config[name] = {"enabled": True}
    config = schemathesis.Config.from_dict(
        {
            "seed": seed,
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {
                "max-examples": max_examples,
                "mode": "all",
                # Derandomized and without Hypothesis' example database: the same cases on
                # every machine, nothing written next to the tests.
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
            },
            "checks": checks_config,
            # A request may wait on the database's one writer while the machine is busy: a
            # timeout is a failure of the run, so only a hung request should meet it.
            "request-timeout": 60,
            "phases": {"stateful": {"enabled": stateful}},
            "continue-on-failure": True,
            "operations": [
                {
                    "include-path": LOGOUT[1],
                    "include-method": LOGOUT[0],
                    "headers": {"Authorization": f"Bearer {logout_token}"},
                }
            ],
        }
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    run = ContractRun()
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _tally(run, event)
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"error in {event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    run.seconds = time.monotonic() - started
    return run


def _tally(run: ContractRun, event: events.ScenarioFinished) -> None:
    recorder = event.recorder
    if event.label:
        run.operations.add(event.label)
    run.cases += len(recorder.cases)
    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            run.statuses[interaction.response.status_code] += 1
    for case_id, nodes in recorder.checks.items():
        case = recorder.cases[case_id].value
        operation = f"{case.method.upper()} {case.operation.path}"
        for node in nodes:
            run.checks[node.name] += 1
            if node.status != Status.FAILURE:
                continue
            key = (node.name, operation)
            run.failures[key] += 1
            interaction = recorder.interactions.get(case_id)
            answer = _answer(interaction.response if interaction else None)
            run.answers[(node.name, answer)] += 1
            if key not in run.examples and node.failure_info is not None:
                failure = node.failure_info.failure
                first_line = str(failure.message).splitlines()[0] if failure.message else ""
                run.examples[key] = f"{failure.title}: {first_line} (answered {answer})"[:300]


def _answer(response: Any) -> str:
    """A response's status and, for an error body, its code."""
    if response is None:
        return "no response"
    try:
        code = json.loads(response.content)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return str(response.status_code)
    return f"{response.status_code} {code}"
