"""Messages of the statistics (STAT-1..STAT-3)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "stats_period_reversed": (
        "Кінець періоду раніше за його початок.",
        "The period ends before it begins.",
    ),
    "stats_period_too_long": (
        "Період не може бути довшим за {days} дн.",
        "A period may be at most {days} days long.",
    ),
    "stats_grouping_unknown": (
        "Так цей звіт не групується; можливо: {choices}.",
        "This report cannot be grouped so; possible: {choices}.",
    ),
}
