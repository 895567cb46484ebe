"""Real screens for appliance tests: Xvfb, a window manager, weston with XWayland, screenshots.

Each server is a process started here and stopped by its PID; each is skipped (not failed) by
the caller when its program is not installed (``firmware_config/bootstrap.sh test`` installs
them). Screenshots are of the whole screen, as a person in front of it would see it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

WAIT = 30.0  # failure guard for a server to come up on a loaded machine

# ``xwininfo -root -tree`` line of a Kivy program's window: size+x+y (relative) and +x+y absolute.
_GEOMETRY = re.compile(
    r'\("python[^"]*" "python[^"]*"\)\s+(\d+)x(\d+)[+-]\d+[+-]\d+\s+([+-]\d+)([+-]\d+)'
)


@dataclass
class Screen:
    """An X display a program can use (Xvfb, or weston's XWayland) and how to photograph it."""

    display: str
    size: tuple[int, int]
    env: dict[str, str]  # what a client needs besides DISPLAY (weston's runtime dir)
    shooter: str  # "xwd" or "weston"
    workdir: Path

    def windows(self) -> list[tuple[int, int, int, int]]:
        """Every Kivy program's top-level window: width, height, absolute x, absolute y."""
        out = subprocess.run(
            ["xwininfo", "-root", "-tree"],
            env={**os.environ, **self.env, "DISPLAY": self.display},
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        ).stdout
        return [tuple(int(v) for v in m.groups()) for m in _GEOMETRY.finditer(out)]  # type: ignore[misc]

    def shot(self, path: Path) -> np.ndarray:
        """The whole screen now, written to ``path`` (PNG); its pixels as an RGB array."""
        env = {**os.environ, **self.env, "DISPLAY": self.display}
        if self.shooter == "xwd":
            xwd = subprocess.run(
                ["xwd", "-root", "-silent"], env=env, capture_output=True, timeout=WAIT, check=True
            ).stdout
            subprocess.run(
                ["convert", "xwd:-", "-strip", f"png:{path}"], input=xwd, timeout=WAIT, check=True
            )
        else:
            folder = self.workdir / "shots"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            subprocess.run(["weston-screenshooter"], cwd=folder, env=env, timeout=WAIT, check=True)
            [made] = folder.glob("*.png")
            with Image.open(made) as image:
                image.convert("RGB").save(path, optimize=True)
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))


def have(*programs: str) -> list[str]:
    """The programs of these that are missing."""
    return [name for name in programs if shutil.which(name) is None]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextmanager
def xvfb(tmp_path: Path, size: tuple[int, int], wm: str | None = None) -> Iterator[Screen]:
    """Xvfb at ``size`` (black root, as a bare ``xinit`` screen) and optionally a window manager."""
    read, write = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write),
            "-screen",
            "0",
            f"{size[0]}x{size[1]}x24",
            "-nolisten",
            "tcp",
            "-br",
            # Without it the server resets as its last client (the readiness probe) leaves, and
            # a window manager connecting during the reset "can't open display".
            "-noreset",
        ],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "xvfb.err").open("wb"),
    )
    os.close(write)
    manager: subprocess.Popen[bytes] | None = None
    try:
        with os.fdopen(read, "rb") as number:
            line = number.readline().strip()
        assert line, f"Xvfb gave no display number (exit {server.poll()})"
        display = f":{int(line)}"
        screen = Screen(display, size, {}, "xwd", tmp_path)
        _wait_for_display(screen, server)
        if wm is not None:
            manager = subprocess.Popen(
                [wm],
                env={**os.environ, "DISPLAY": display, "HOME": str(tmp_path)},
                stdout=(tmp_path / "wm.out").open("wb"),
                stderr=subprocess.STDOUT,
            )
            _wait_for_wm(screen, manager)
        yield screen
    finally:
        if manager is not None:
            _stop(manager)
        _stop(server)


def _wait_for_display(screen: Screen, server: subprocess.Popen[bytes]) -> None:
    """The X server answers a client (a window manager started too early cannot open it)."""
    deadline = time.monotonic() + WAIT
    while True:
        assert server.poll() is None, f"Xvfb exited with {server.poll()}"
        answered = subprocess.run(
            ["xwininfo", "-root"],
            env={**os.environ, "DISPLAY": screen.display},
            capture_output=True,
            timeout=WAIT,
            check=False,
        )
        if answered.returncode == 0:
            return
        assert time.monotonic() < deadline, f"Xvfb on {screen.display} never answered"
        time.sleep(0.1)


def _wait_for_wm(screen: Screen, manager: subprocess.Popen[bytes]) -> None:
    """A window manager is up once it has set _NET_SUPPORTING_WM_CHECK on the root window (or,
    for one that sets nothing, after a moment)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        assert manager.poll() is None, (
            f"the window manager exited: {(screen.workdir / 'wm.out').read_text(errors='replace')}"
        )
        out = subprocess.run(
            ["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"],
            env={**os.environ, "DISPLAY": screen.display},
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        ).stdout
        if "window id" in out:
            return
        time.sleep(0.1)
    raise AssertionError("the window manager never announced itself on the root window")


@contextmanager
def weston(tmp_path: Path, size: tuple[int, int]) -> Iterator[Screen]:
    """A headless weston (its desktop shell, with its panel) with XWayland for X programs."""
    # A Unix socket's path holds at most 107 bytes: the runtime folder is a short one of its own
    # (pytest's folders, deeper under a parallel run's worker, were too long for weston).
    runtime = Path(tempfile.mkdtemp(prefix="cherga-xdg-"))
    runtime.chmod(0o700)
    socket = f"w{os.getpid()}"
    log = tmp_path / "weston.log"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    process = subprocess.Popen(
        [
            "weston",
            "--backend=headless-backend.so",
            f"--width={size[0]}",
            f"--height={size[1]}",
            "--use-pixman",
            "--xwayland",
            f"--socket={socket}",
            "--debug",
            "--idle-time=0",
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + WAIT
        found = None
        while found is None:
            assert process.poll() is None, f"weston exited:\n{log.read_text(errors='replace')}"
            assert time.monotonic() < deadline, f"no XWayland:\n{log.read_text(errors='replace')}"
            found = re.search(
                r"xserver listening on display (:\d+)", log.read_text(errors="replace")
            )
            time.sleep(0.1)
        client_env = {"XDG_RUNTIME_DIR": str(runtime), "WAYLAND_DISPLAY": socket}
        yield Screen(found.group(1), size, client_env, "weston", tmp_path)
    finally:
        _stop(process)
        shutil.rmtree(runtime, ignore_errors=True)
