"""The columns a person may choose for the task registry's table and the filters of its views
(TSK-1), both kept per user.

A module of its own, importing nothing, so that the user's parameters can name the columns
without importing the task services.
"""

from __future__ import annotations

from typing import Literal, get_args

RegistryColumn = Literal[
    "number",
    "name",
    "status",
    "priority",
    "starts",
    "ends",
    "percent",
    "time_spent",
    "executors",
    "centre",
    "controller",
    "author",
    "client",
    "project",
    "event_type",
    "phone",
    "content",
]
REGISTRY_COLUMNS: tuple[RegistryColumn, ...] = get_args(RegistryColumn)
DEFAULT_COLUMNS: tuple[RegistryColumn, ...] = (
    "number",
    "name",
    "status",
    "starts",
    "ends",
    "percent",
    "executors",
    "project",
)

# The filters of the registry, its calendars and its Gantt chart, as named in their query strings.
RegistryFilter = Literal["project", "executor", "status", "from", "to"]
REGISTRY_FILTERS: tuple[RegistryFilter, ...] = get_args(RegistryFilter)
