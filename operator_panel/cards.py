"""Two lists on the work screen: the client's card (recent events, open tasks) beside the visitor,
and the other operators' statuses in the side column.

Rows are single lines cut with an ellipsis, never wrapped, so a long client or operator name
cannot push anything off the screen; a list shows as many rows as its box has room for and says
how many it holds when some do not fit.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from operator_panel.view import CardView, OthersView, Row
from operator_panel.viewmodel import PanelModel
from operator_panel.widgets import (
    BACKGROUND,
    CARD,
    ERROR_TEXT,
    MUTED,
    TEXT,
    Rgba,
    Scale,
    hex_rgba,
    mix,
    paint,
)

ROWS = 5
More = Callable[[str, int, int], str]
"""Names a list that shows ``shown`` of its ``total`` rows under ``heading``."""


def line(size: float, color: Rgba = TEXT, *, bold: bool = False) -> Label:
    """One line of text exactly one row high, cut with "…" when it is too long."""
    widget = Label(
        font_size=size,
        color=color,
        bold=bold,
        shorten=True,
        shorten_from="right",
        halign="left",
        valign="middle",
        size_hint_y=None,
        height=size * 1.4,
    )
    widget.bind(size=lambda w, s: setattr(w, "text_size", (s[0], s[1])))
    return widget


class RowList(BoxLayout):  # type: ignore[misc]  # Kivy has no type information
    """A heading and up to ROWS lines, showing as many as fit in the height it is given."""

    def __init__(self, s: Scale, *, font: float = 22, rows: int = ROWS) -> None:
        super().__init__(orientation="vertical", spacing=s(2))
        self.heading = line(s(font), bold=True)
        self.lines = [line(s(font - 1), MUTED) for _ in range(rows)]
        self.add_widget(self.heading)
        for widget in self.lines:
            self.add_widget(widget)
        self.add_widget(Widget())  # the rest of the height
        self._title, self._rows = "", [Row("")]
        self._more: More | None = None
        self.bind(height=lambda *_a: self._fit())

    def show(self, title: str, rows: list[Row], more: More | None = None) -> None:
        """Set the heading and the rows; ``more(heading, shown, total)`` names a cut list."""
        self._title, self._rows, self._more = title, rows, more
        self._fit()

    def capacity(self) -> int:
        """How many rows fit under the heading in the current height."""
        row = self.lines[0]
        room = self.height - self.heading.height - self.spacing
        return max(0, min(len(self.lines), int(room // (row.font_size * 1.4 + self.spacing))))

    def _fit(self) -> None:
        shown = min(len(self._rows), self.capacity())
        title = self._title
        if shown < len(self._rows) and self._more:
            title = self._more(title, shown, len(self._rows))
        self.heading.text = title
        for index, widget in enumerate(self.lines):
            visible = index < shown
            row = self._rows[index] if visible else Row("")
            widget.text = row.text
            widget.opacity = 1 if visible else 0
            widget.height = widget.font_size * 1.4 if visible else 0
            colour = ERROR_TEXT if row.warn else MUTED
            if row.color:
                colour = mix(hex_rgba(row.color, MUTED), TEXT, 0.55)
            widget.color = colour


class Lines(BoxLayout):  # type: ignore[misc]  # Kivy has no type information
    """Up to ``rows`` single lines from the top, each cut with "…" to the box's width."""

    def __init__(self, s: Scale, *, font: float = 26, rows: int = 7, **kwargs: object) -> None:
        super().__init__(orientation="vertical", **kwargs)
        self.lines = [line(s(font)) for _ in range(rows)]
        for widget in self.lines:
            self.add_widget(widget)
        self.add_widget(Widget())

    @property
    def text(self) -> str:
        """Every line shown, one per line (as a single label would read)."""
        return "\n".join(widget.text for widget in self.lines if widget.text)

    def show(self, texts: list[str]) -> None:
        """One text per line; lines beyond the texts take no room."""
        for index, widget in enumerate(self.lines):
            text = texts[index] if index < len(texts) else ""
            widget.text = text
            widget.height = widget.font_size * 1.3 if text else 0


class ClientCardBox(BoxLayout):  # type: ignore[misc]  # Kivy has no type information
    """The client's recent events beside its open tasks (the client is named in the details)."""

    def __init__(self, model: PanelModel, s: Scale) -> None:
        super().__init__(padding=(s(14), s(6)), spacing=s(18))
        self.model = model
        paint(self, mix(BACKGROUND, CARD, 0.55))
        self.events = RowList(s)
        self.tasks = RowList(s)
        self.add_widget(self.events)
        self.add_widget(self.tasks)

    def show(self, card: CardView | None) -> None:
        """Copy the card on (or keep the room empty when the visitor is not a known client)."""
        self.opacity = 1 if card is not None else 0
        if card is None:
            return
        more = self.model.more
        self.events.show(card.events_heading, card.events, more)
        self.tasks.show(card.tasks_heading, card.tasks, more)


class OthersBox(BoxLayout):  # type: ignore[misc]  # Kivy has no type information
    """The other operators: one line each, coloured by status, as many as the column holds.

    ``flexible`` (a side column beside the card): it takes the column's spare height and shows
    what fits; otherwise (below the card) it is exactly as tall as its rows.
    """

    def __init__(self, s: Scale, rows: int = 8) -> None:
        super().__init__(orientation="vertical", size_hint_y=None, height=0)
        self.list = RowList(s, font=22, rows=rows)
        self.add_widget(self.list)
        self.flexible = False
        self._others: OthersView | None = None
        self._more: More | None = None

    def set_flexible(self, flexible: bool) -> None:
        """Take the spare height (True) or exactly the rows' height (False)."""
        self.flexible = flexible
        self.show(self._others, self._more)

    def show(self, others: OthersView | None, more: More | None) -> None:
        """Show the list, or nothing at all (no room taken) when it is off."""
        self._others, self._more = others, more
        if others is None:
            self.size_hint_y, self.height, self.opacity = None, 0, 0
            return
        self.opacity = 1
        if self.flexible:
            self.size_hint_y = 1
        else:
            rows = min(len(others.rows), len(self.list.lines))
            step = self.list.lines[0].font_size * 1.4 + self.list.spacing
            self.size_hint_y = None
            self.height = self.list.heading.height + rows * step + self.list.spacing * 2
        self.list.show(others.heading, others.rows, more)
