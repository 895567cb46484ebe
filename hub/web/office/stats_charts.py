"""The reports' charts (STAT-1), drawn on the server as inline SVG: no script, no library.

Three charts a manager reads at a glance: waiting by the hour of arrival (mean and 90th
percentile side by side), the service level by day (bars, the alert threshold as a line) and
the load by operator (horizontal bars, visitors served beside calls answered). Each comes with
the same figures as a table (``Chart.head``, ``Chart.rows``) that the page offers under the
chart, for screen readers and for anyone who wants the numbers.

``columns`` and ``bars`` draw (pure: numbers and labels in, markup out); the ``*_chart``
functions turn the reports' rows into them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from hub.services.stats.phone import PhoneFigures
from hub.services.stats.queue import QueueFigures
from hub.web.common import text

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 58, 12, 14, 46
BAR_ROW = 34
NAME_ROOM = 190
INK, MUTED, GRID = "#1d2330", "#5b6475", "#d6dbe4"


@dataclass(frozen=True)
class Series:
    """One set of values to draw; ``css`` names its colour in office_stats.css."""

    label: str
    values: list[float | None]
    css: str


@dataclass(frozen=True)
class Chart:
    """A chart's markup and the same figures as a table."""

    key: str
    title: str
    description: str
    svg: Markup
    head: list[str]
    rows: list[list[str]]

    @property
    def empty(self) -> bool:
        """Nothing to draw in this period."""
        return not self.rows


def _nice_top(value: float) -> float:
    """A round top for an axis at or above ``value`` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _frame(key: str, width: int, height: int) -> list[str]:
    return [
        f'<svg class="stats-chart" id="chart-{key}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart-{key}-title chart-{key}-desc" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
    ]


def columns(
    key: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    line: tuple[float, str] | None = None,
    top: float | None = None,
    unit: str = "",
) -> Markup:
    """Vertical bars: a group per label, a bar per series; ``line`` a level marked across."""
    found = [v for s in series for v in s.values if v is not None]
    peak = max([*found, line[0] if line else 0.0, 0.0])
    ceiling = top if top is not None else _nice_top(peak)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = inner_w / max(len(labels), 1)
    bar = max(2.0, min(28.0, slot * 0.8 / max(len(series), 1)))

    def y(value: float) -> float:
        return TOP + inner_h - inner_h * min(value, ceiling) / ceiling

    out = _frame(key, WIDTH, HEIGHT)
    out.append(f'<title id="chart-{key}-title">{escape(title)}</title>')
    out.append(f'<desc id="chart-{key}-desc">{escape(description)}</desc>')
    for step in range(5):
        mark = ceiling * step / 4
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(mark):.1f}" y2="{y(mark):.1f}" '
            f'stroke="{GRID}"/><text x="{LEFT - 6}" y="{y(mark) + 4:.1f}" text-anchor="end" '
            f'font-size="14" fill="{MUTED}">{_number(mark)}{escape(unit)}</text>'
        )
    every = max(1, math.ceil(len(labels) / 16))  # at most 16 labels under the axis
    for index, label in enumerate(labels):
        left = LEFT + slot * index + (slot - bar * len(series)) / 2
        for number, each in enumerate(series):
            value = each.values[index]
            if value is None:
                continue
            x, top_y = left + bar * number, y(value)
            out.append(
                f'<rect class="{each.css}" x="{x:.1f}" y="{top_y:.1f}" width="{bar - 1:.1f}" '
                f'height="{TOP + inner_h - top_y:.1f}"><title>{escape(label)}: '
                f"{escape(each.label)} {_number(value)}{escape(unit)}</title></rect>"
            )
        if index % every == 0:
            out.append(
                f'<text x="{LEFT + slot * (index + 0.5):.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle" font-size="14" fill="{INK}">{escape(label)}</text>'
            )
    if line is not None:
        out.append(
            f'<line class="stats-threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
            f'y1="{y(line[0]):.1f}" y2="{y(line[0]):.1f}" stroke-width="2" '
            f'stroke-dasharray="6 4"/>'
        )
    out.append(_legend(series, HEIGHT - 10, extra=line[1] if line else None))
    out.append("</svg>")
    return Markup("".join(out))


def _legend(series: Sequence[Series], at: float, *, extra: str | None = None) -> str:
    parts, x = [], float(LEFT)
    for each in series:
        parts.append(
            f'<rect class="{each.css}" x="{x:.0f}" y="{at - 12:.0f}" width="14" height="14"/>'
            f'<text x="{x + 19:.0f}" y="{at:.0f}" font-size="14" fill="{INK}">'
            f"{escape(each.label)}</text>"
        )
        x += 32 + 8.5 * len(each.label)
    if extra:
        parts.append(
            f'<line class="stats-threshold" x1="{x:.0f}" x2="{x + 22:.0f}" y1="{at - 5:.0f}" '
            f'y2="{at - 5:.0f}" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{x + 28:.0f}" y="{at:.0f}" font-size="14" fill="{INK}">'
            f"{escape(extra)}</text>"
        )
    return "".join(parts)


def bars(
    key: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str,
) -> Markup:
    """Horizontal bars: a row per label (its name on the left), a bar per series."""
    found = [v for s in series for v in s.values if v is not None]
    top = _nice_top(max([*found, 0.0]))
    height = TOP + BAR_ROW * len(labels) + 34
    inner_w = WIDTH - NAME_ROOM - RIGHT - 40
    thick = (BAR_ROW - 8) / max(len(series), 1)
    out = _frame(key, WIDTH, height)
    out.append(f'<title id="chart-{key}-title">{escape(title)}</title>')
    out.append(f'<desc id="chart-{key}-desc">{escape(description)}</desc>')
    for index, label in enumerate(labels):
        row_y = TOP + BAR_ROW * index
        shown = label if len(label) <= 26 else label[:25] + "…"
        out.append(
            f'<text x="{NAME_ROOM - 8}" y="{row_y + BAR_ROW / 2 + 4:.1f}" text-anchor="end" '
            f'font-size="14" fill="{INK}">{escape(shown)}</text>'
        )
        for number, each in enumerate(series):
            value = each.values[index] or 0.0
            width = inner_w * value / top
            bar_y = row_y + 4 + thick * number
            out.append(
                f'<rect class="{each.css}" x="{NAME_ROOM}" y="{bar_y:.1f}" '
                f'width="{max(width, 0.5):.1f}" height="{thick - 1:.1f}"><title>'
                f"{escape(label)}: {escape(each.label)} {_number(value)}</title></rect>"
                f'<text x="{NAME_ROOM + width + 4:.1f}" y="{bar_y + thick - 2:.1f}" '
                f'font-size="13" fill="{INK}">{_number(value)}</text>'
            )
    out.append(_legend(series, height - 8))
    out.append("</svg>")
    return Markup("".join(out))


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _cell(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{_number(value)}{unit}"


def wait_chart(rows: Sequence[QueueFigures], lang: str) -> Chart:
    """Mean and p90 waits, in minutes, by the hour visitors joined the line."""
    hours = [row for row in rows if row.wait.count]
    labels = [row.name for row in hours]
    mean = [_minutes(row.wait.mean_s) for row in hours]
    p90 = [_minutes(row.wait.p90_s) for row in hours]
    say = _say(lang)
    title, desc, unit = say("stats_chart_wait"), say("stats_chart_wait_desc"), say("stats_unit_min")
    series = [
        Series(say("stats_series_mean"), mean, "stats-mean"),
        Series(say("stats_series_p90"), p90, "stats-p90"),
    ]
    return Chart(
        "wait",
        title,
        desc,
        columns("wait", labels, series, title=title, description=desc),
        [say("stats_col_hour"), f"{series[0].label}, {unit}", f"{series[1].label}, {unit}"],
        [[label, _cell(m), _cell(p)] for label, m, p in zip(labels, mean, p90, strict=True)],
    )


def level_chart(rows: Sequence[QueueFigures], lang: str, threshold: int | None) -> Chart:
    """The service level of each day, in percent, with the alert threshold as a line."""
    days = [row for row in rows if row.service_level is not None]
    labels = [f"{row.key[8:10]}.{row.key[5:7]}" for row in days]
    levels = [round((row.service_level or 0) * 100, 1) for row in days]
    say = _say(lang)
    title = say("stats_chart_level")
    desc = (
        text(lang, "stats_chart_level_desc", threshold=threshold)
        if threshold is not None
        else say("stats_chart_level_nothreshold")
    )
    line = (
        (float(threshold), f"{say('stats_series_threshold')} {threshold}%") if threshold else None
    )
    series = [Series(say("stats_series_level"), list(levels), "stats-level")]
    return Chart(
        "level",
        title,
        desc,
        columns(
            "level", labels, series, title=title, description=desc, line=line, top=100, unit="%"
        ),
        [say("stats_col_day"), f"{series[0].label}, %"],
        [[row.name, _cell(level)] for row, level in zip(days, levels, strict=True)],
    )


def load_chart(hall: Sequence[QueueFigures], phone: Sequence[PhoneFigures], lang: str) -> Chart:
    """Per operator: visitors served beside calls answered, the busiest first."""
    names: dict[str, str] = {}
    served: dict[str, int] = {}
    answered: dict[str, int] = {}
    for row in hall:
        names[row.key], served[row.key] = row.name, row.served
    for call in phone:
        names.setdefault(call.key, call.name)
        answered[call.key] = call.answered
    keys = sorted(names, key=lambda k: (-(served.get(k, 0) + answered.get(k, 0)), names[k]))
    keys = [k for k in keys if served.get(k, 0) or answered.get(k, 0)]
    say = _say(lang)
    title, desc = say("stats_chart_load"), say("stats_chart_load_desc")
    series = [
        Series(say("stats_series_served"), [float(served.get(k, 0)) for k in keys], "stats-served"),
        Series(
            say("stats_series_answered"), [float(answered.get(k, 0)) for k in keys], "stats-calls"
        ),
    ]
    labels = [names[k] for k in keys]
    return Chart(
        "load",
        title,
        desc,
        bars("load", labels, series, title=title, description=desc),
        [say("stats_col_operator"), series[0].label, series[1].label],
        [[names[k], str(served.get(k, 0)), str(answered.get(k, 0))] for k in keys],
    )


def _say(lang: str) -> Callable[[str], str]:
    return lambda key: text(lang, key)
