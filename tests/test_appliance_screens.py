"""The Kivy appliances on real screens: each fills the screen it is given (issue #25).

``cherga kiosk|panel|display --config FILE`` run as their own processes against the hub's own
broker and coordinator (the ``site`` fixture), on Xvfb with no window manager (``xinit``, a Pi's
auto-login session), with a window manager, and under weston (Wayland, the program through
XWayland). For each: the program's start-up line states the window's real size, the X window
covers the screen at 0,0, and a photograph of the whole screen shows the app's background in all
four corners and its top bar (title on the left, language buttons or clock on the right) from edge
to edge. ``CHERGA_SCREENSHOTS=DIR`` keeps the photographs (docs/screenshots/screen-*.png).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from firmware_config.device_config import ScreenConfig, write_config
from hub.db.models import DeviceRequest
from hub.protocol.messages import Finish, IssueTicket, KioskReply, PanelReply, SetStatus
from tests.screens import Screen, have, weston, xvfb
from tests.test_appliance_startup import Program, device, device_config, program_env, started
from tests.test_coordinator import Site, ask, login, make_service, rid, site  # noqa: F401

pytestmark = [
    # The database plays no part here: SQLite only.
    pytest.mark.parametrize("backend", ["sqlite"]),
    pytest.mark.timeout(300),
]

WAIT = 60.0  # failure guard: a cold Kivy start on a loaded machine
ROLES = ("kiosk", "panel", "display")
DEVICE = {"kiosk": "kiosk-2", "panel": "panel-1", "display": "display-1"}
SETTINGS: dict[str, dict[str, Any]] = {
    "kiosk": {},  # full screen by default
    "panel": {"fullscreen": True, "lang": "en"},
    "display": {
        "language_seconds": 0,
        "announce": {"enabled": False},
        "ticker": {"uk": "Шановні відвідувачі, зберігайте талон до кінця обслуговування"},
    },
}
# Quarter turns (numpy, counterclockwise) that make the picture read upright: Kivy's rotation
# turns the drawing counterclockwise on the screen.
UPRIGHT = {0: 0, 90: 3, 180: 2, 270: 1}
_WINDOW_LINE = re.compile(
    r"window: (\d+)x(\d+) rotation (\d+) layout (\d+)x(\d+) mode (full screen|windowed)"
)


def populate(the_site: Site) -> None:
    """Two services with people waiting, three calls at window 2: a board with every part.

    The calls are of the first service's tickets 001-003 (numbering is per service)."""
    first = make_service(the_site, "Паспортний стіл", ["olena"])
    second = make_service(the_site, "Податки та збори", ["olena"])
    kiosk = the_site.device("kiosk-2", "kiosk")
    for service in (first, first, first, first, second, second):
        assert ask(kiosk, IssueTicket(request_id=rid(), service_id=service), KioskReply).ok
    kiosk.close()  # the kiosk program logs in as kiosk-2 itself
    panel = the_site.device("panel-2", "panel")
    login(panel, "olena")
    for turn in range(3):
        free = ask(panel, SetStatus(request_id=rid(), status="free"), PanelReply)
        assert free.ok and free.assignment is not None, free.error
        if turn < 2:
            ticket = free.assignment.ticket.id
            assert ask(panel, Finish(request_id=rid(), ticket_id=ticket), PanelReply).ok


@contextmanager
def running(tmp_path: Path, screen: Screen, args: list[str], name: str) -> Iterator[Program]:
    """``cherga ARGS`` on ``screen``; stopped by its PID on the way out (SIGTERM, then SIGKILL)."""
    env = program_env(tmp_path)
    env.pop("SDL_VIDEODRIVER")  # a real screen: SDL picks X11 from DISPLAY
    env.update(screen.env, DISPLAY=screen.display)
    with started(tmp_path, name, args, env=env, graceful=True) as program:
        yield program


def listed(the_site: Site) -> bool:
    """The hub has answered the kiosk's request for the services."""
    with the_site.hub.sessions() as session:
        return bool(
            session.scalar(
                select(DeviceRequest.request_id).where(
                    DeviceRequest.device_id == DEVICE["kiosk"],
                    DeviceRequest.kind == "list_services",
                )
            )
        )


def window_lines(program: Program) -> list[tuple[int, ...]]:
    """Every ``window: ...`` start-up line the program logged, as numbers."""
    text = program.stdout() + program.stderr()
    return [tuple(int(v) for v in m.groups()[:5]) for m in _WINDOW_LINE.finditer(text)]


def problems(picture: np.ndarray, rotation: int) -> list[str]:
    """What is wrong with a photograph of an app that should fill it (empty: nothing)."""
    upright = np.rot90(picture, UPRIGHT[rotation])
    height, width = upright.shape[:2]
    block = max(8, min(width, height) // 60)
    corners = {
        name: np.median(upright[y : y + block, x : x + block].reshape(-1, 3), axis=0).astype(int)
        for name, (y, x) in {
            "top left": (0, 0),
            "top right": (0, width - block),
            "bottom left": (height - block, 0),
            "bottom right": (height - block, width - block),
        }.items()
    }
    # The app's own background in every corner: not the bare X root (black), not a desktop.
    background = corners["top left"]
    found = [
        f"the {name} corner is {colour.tolist()}, the top left {background.tolist()}"
        for name, colour in corners.items()
        if np.abs(colour - background).sum() > 30
    ]
    if background.sum() == 0:
        found.append("the top left corner is the bare X screen's black")
    content = np.abs(upright.astype(int) - background).sum(axis=2) > 60
    top = content[: int(height * 0.14)]
    columns = np.flatnonzero(top.any(axis=0))
    if columns.size == 0:
        found.append("nothing in the top bar")
    elif columns[0] > width * 0.08 or columns[-1] < width * 0.92:
        found.append(f"the top bar spans only x={columns[0]}..{columns[-1]} of {width}")
    rows = np.flatnonzero(content.any(axis=1))
    if rows.size == 0 or rows[-1] < height * 0.65:  # a portrait login form leaves room below
        found.append(f"nothing below y={rows[-1] if rows.size else 0} of {height}")
    return found


def show_role(
    the_site: Site,
    tmp_path: Path,
    screen: Screen,
    role: str,
    config_screen: ScreenConfig | None,
    shot_name: str,
) -> None:
    """Run one role on ``screen`` and check it fills the screen (or its configured size)."""
    rotation = config_screen.rotation if config_screen else 0
    configured = None
    if config_screen is not None and config_screen.width and config_screen.height:
        configured = (config_screen.width, config_screen.height)
    expected = configured or screen.size
    layout = expected[::-1] if rotation in (90, 270) else expected
    device_id = DEVICE[role]
    config = device_config(
        the_site, device_id, role, SETTINGS[role], **({"window": 1} if role == "panel" else {})
    ).model_copy(update={"screen": config_screen})
    path = tmp_path / f"{role}.toml"
    write_config(config, path)
    shot = tmp_path / f"{shot_name}.png"
    with running(tmp_path, screen, [role, "--config", str(path)], role) as program:
        deadline = time.monotonic() + WAIT
        last: list[str] = ["not looked yet"]
        while True:
            assert program.alive, f"{role} exited:\n{program.describe()}"
            assert time.monotonic() < deadline, (
                f"{role} on {screen.size} rotation {rotation}: {last}\n"
                f"windows {screen.windows()}\n{program.describe()}"
            )
            lines = window_lines(program)
            online = device(the_site, device_id).online and (role != "kiosk" or listed(the_site))
            windows = screen.windows()
            last = []
            if not lines or lines[-1] != (*expected, rotation, *layout):
                last.append(f"start-up window lines {lines}, want {(*expected, rotation, *layout)}")
            if windows != [(*expected, 0, 0)]:
                last.append(f"X windows {windows}, want {[(*expected, 0, 0)]}")
            if not online:
                last.append("not online at the hub yet (a kiosk: or no services asked for yet)")
            if not last:
                # Drawn after it connected: the screen now, cut to the window's own rectangle.
                time.sleep(1.0)  # the answer drawn
                picture = screen.shot(shot)[: expected[1], : expected[0]]
                last = problems(picture, rotation)
                if not last:
                    break
            time.sleep(0.3)
        assert "Traceback" not in program.stdout() + program.stderr(), program.describe()
    keep = os.environ.get("CHERGA_SCREENSHOTS")
    if keep:
        upright = tmp_path / f"{shot_name}-upright.png"
        subprocess.run(
            [
                "convert",
                str(shot),
                "-crop",
                f"{expected[0]}x{expected[1]}+0+0",
                "+repage",
                "-rotate",
                str(rotation),
                "-strip",
                str(upright),
            ],
            check=True,
            timeout=60,
        )
        shutil.copyfile(upright, Path(keep) / f"{shot_name}.png")


CASES = {
    "1280x800": ((1280, 800), None, ROLES),
    "1920x1080": ((1920, 1080), None, ROLES),
    "1280x800-rotated90": ((1280, 800), ScreenConfig(rotation=90), ROLES),
    # The config's size wins over the screen's: a 1280x720 window at 0,0 on a larger screen.
    "configured-1280x720-on-1920x1080": (
        (1920, 1080),
        ScreenConfig(width=1280, height=720),
        ("display",),
    ),
}


def _skip_without(*programs: str) -> None:
    missing = have(*programs)
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (firmware_config/bootstrap.sh test)")


def _each_role(
    the_site: Site,
    tmp_path: Path,
    make_screen: AbstractContextManager[Screen],
    config_screen: ScreenConfig | None,
    label: str,
    roles: tuple[str, ...] = ROLES,
) -> None:
    populate(the_site)
    with make_screen as screen:
        for role in roles:
            folder = tmp_path / role
            folder.mkdir()
            show_role(the_site, folder, screen, role, config_screen, f"screen-{role}-{label}")


@pytest.mark.parametrize("case", list(CASES))
def test_each_role_fills_a_bare_x_screen_without_a_window_manager(
    site: Site,  # noqa: F811
    tmp_path: Path,
    case: str,
) -> None:
    _skip_without("Xvfb", "xwd", "xwininfo", "convert")
    size, config_screen, roles = CASES[case]
    _each_role(site, tmp_path, xvfb(tmp_path, size), config_screen, f"x11-{case}", roles)


# Every role under openbox; matchbox (a kiosk's window manager) with the kiosk only, to keep
# the run short: the window code is the same for all three.
@pytest.mark.parametrize(
    ("wm", "roles"),
    [("openbox", ROLES), ("matchbox-window-manager", ("kiosk",))],
    ids=["openbox", "matchbox"],
)
def test_the_roles_fill_the_screen_under_a_window_manager(
    site: Site,  # noqa: F811
    tmp_path: Path,
    wm: str,
    roles: tuple[str, ...],
) -> None:
    _skip_without("Xvfb", "xwd", "xwininfo", "xprop", "convert", wm)
    screen = xvfb(tmp_path, (1280, 800), wm)
    _each_role(site, tmp_path, screen, None, f"{wm.split('-')[0]}-1280x800", roles)


def test_each_role_fills_the_screen_under_wayland_through_xwayland(
    site: Site,  # noqa: F811
    tmp_path: Path,
) -> None:
    _skip_without("weston", "weston-screenshooter", "Xwayland", "xwininfo")
    _each_role(site, tmp_path, weston(tmp_path, (1280, 800)), None, "weston-1280x800")
