"""Prometheus metrics of the hub (STAT-3): ``GET /metrics`` in the text exposition format.

The scrape is authenticated like every call: ``Authorization: Bearer <metrics_token>`` (the
setting ``CHERGA_METRICS_TOKEN``, or the systemd credential ``metrics_token``), or an
administrator's login token or API key. The figures are read from the database at each scrape
(``hub.services.stats.live``); this module only names and formats them.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

from hub.api.deps import HubDep, SessionDep
from hub.errors import Unauthenticated
from hub.services.access import rights as access
from hub.services.access.users import user_for_secret
from hub.services.stats.live import Snapshot, snapshot

router = APIRouter(tags=["statistics"])
_bearer = HTTPBearer(auto_error=False, description="The metrics token or an admin's token")


def _check(session: Session, hub: HubDep, secret: str) -> None:
    """The metrics token, or an administrator's credentials (401 / 403 otherwise)."""
    token = hub.settings.metrics_token
    if token is not None and hmac.compare_digest(
        secret.encode(), token.get_secret_value().encode()
    ):
        return
    user = user_for_secret(session, secret)
    access.require_admin(access.load_profile(session, user))


class _Figures(Collector):
    """The snapshot as Prometheus metric families."""

    def __init__(self, figures: Snapshot) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        f = self.figures
        name = f.services.get
        issued = CounterMetricFamily(
            "cherga_queue_tickets_issued",
            "Tickets issued (walk-ins and bookings)",
            labels=["service"],
        )
        waiting = GaugeMetricFamily(
            "cherga_queue_waiting", "Tickets waiting in the line now", labels=["service"]
        )
        for service_id, count in sorted(f.issued.items()):
            issued.add_metric([name(service_id, str(service_id))], count)
        for service_id, count in sorted(f.waiting.items()):
            waiting.add_metric([name(service_id, str(service_id))], count)
        latency = SummaryMetricFamily(
            "cherga_queue_assignment_latency_seconds",
            "Wait from joining the line to the call, visitors called in the last hour",
            labels=["service"],
        )
        quantiles = GaugeMetricFamily(
            "cherga_queue_assignment_latency_quantile_seconds",
            "Median and 90th percentile (nearest rank) of that wait",
            labels=["service", "quantile"],
        )
        for service_id, waits in sorted(f.assignment.items()):
            label = name(service_id, str(service_id))
            latency.add_metric([label], waits.count, waits.sum_s)
            for quantile, value in (("0.5", waits.median_s), ("0.9", waits.p90_s)):
                if value is not None:
                    quantiles.add_metric([label, quantile], value)
        devices = GaugeMetricFamily(
            "cherga_devices", "Registered devices by role and state", labels=["role", "state"]
        )
        for (role, online), count in sorted(f.devices.items()):
            devices.add_metric([role, "online" if online else "offline"], count)
        jobs = CounterMetricFamily("cherga_print_jobs", "Print jobs by outcome", labels=["state"])
        for state, count in sorted(f.print_jobs.items()):
            jobs.add_metric([state], count)
        calls = CounterMetricFamily(
            "cherga_calls", "Calls ended, by direction and outcome", labels=["direction", "outcome"]
        )
        for (direction, outcome), count in sorted(f.calls.items(), key=str):
            calls.add_metric([direction, outcome or "open"], count)
        yield from (issued, waiting, latency, quantiles, devices, jobs, calls)
        yield GaugeMetricFamily(
            "cherga_outbox_pending", "Messages written but not yet published", f.outbox_pending
        )
        yield GaugeMetricFamily(
            "cherga_outbox_oldest_seconds",
            "Age of the oldest unpublished message",
            f.outbox_oldest_s,
        )


@router.get(
    "/metrics",
    summary="Prometheus metrics (STAT-3)",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}},
        401: {"description": "Neither the metrics token nor valid credentials"},
        403: {"description": "Credentials of someone who is not an administrator"},
    },
)
def metrics(
    session: SessionDep,
    hub: HubDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    """Tickets issued, waiting per service, assignment latency, devices, print failures,
    the outbox, calls."""
    if credentials is None:
        raise Unauthenticated("not_authenticated")
    _check(session, hub, credentials.credentials)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(snapshot(session, hub.clock.now())))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
