"""The hub starts on a fresh database and answers."""

from fastapi.testclient import TestClient


def test_healthz(client: TestClient) -> None:
    reply = client.get("/healthz")
    assert reply.status_code == 200
    assert reply.json()["database"] == "ok"


def test_event_types_seeded(client: TestClient, admin_headers: dict[str, str]) -> None:
    reply = client.get("/api/v1/event-types", headers=admin_headers)
    assert reply.status_code == 200
    assert len([e for e in reply.json() if e["system"]]) == 17
