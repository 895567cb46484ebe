"""``cherga demo``: a whole office on one machine, put together and taken down again.

The order: claim the demo folder; migrate its database and make the example office; provision
the appliances; start the hub (which starts its broker); once it answers, start the printer
agent, the kiosk, the panel and the board; then the scripted visitors. On Ctrl+C or SIGTERM
everything stops in the opposite order and the demo exits 0. The demo's settings are written
out in full, both here and for the hub it starts, so no ``CHERGA_*`` variable or config file of
a real office on the same machine (its database, its broker) can reach into the demo.
"""

from __future__ import annotations

import logging
import os
import signal
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pydantic import SecretStr

from hub.bootstrap import bootstrap
from hub.config import Settings
from hub.demo.devices import HUMAN_OPERATOR, PROGRAMS, SCRIPTED, Provisioned, provision
from hub.demo.folder import DemoFolder
from hub.demo.office import DemoOffice, seed_office
from hub.demo.supervisor import Supervisor
from hub.demo.visitors import Pace, Script

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
HUB_START_WAIT = 120.0
# Variables of a real office that must not reach the demo's programs (their values are set
# here, or left unset on purpose).
FOREIGN = (
    "CHERGA_CONFIG",
    "CHERGA_DEVICE_CONFIG",
    "CHERGA_TLS_CERT_FILE",
    "CHERGA_TLS_KEY_FILE",
    "CHERGA_PUBLIC_URL",
    "CHERGA_MQTT_PUBLIC_HOST",
    "CHERGA_MQTT_CA_FILE",
    "CHERGA_TLS_NAMES",
    "CREDENTIALS_DIRECTORY",
    "KIVY_NO_CONSOLELOG",
)


@dataclass(frozen=True)
class DemoOptions:
    """What ``cherga demo`` was asked for."""

    data_dir: Path
    headless: bool | None = None
    """None: windows when a display exists (DISPLAY or WAYLAND_DISPLAY), else headless."""
    visitors: bool = True
    pace: Pace = field(default_factory=Pace)
    port: int = 8000
    https_port: int = 8443
    mqtt_port: int = 8883

    @property
    def without_screen(self) -> bool:
        """Whether the appliances draw offscreen."""
        if self.headless is not None:
            return self.headless
        return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def demo_settings(options: DemoOptions, folder: DemoFolder, admin_password: str) -> Settings:
    """The hub's settings for the demo, every one that could point elsewhere given."""
    overrides: dict[str, Any] = {
        "data_dir": folder.root,
        "database_url": f"sqlite:///{folder.root / 'cherga.db'}",
        "mqtt_url": None,
        "host": "127.0.0.1",
        "port": options.port,
        "https": True,
        "https_port": options.https_port,
        "mqtt_host": "127.0.0.1",
        "mqtt_port": options.mqtt_port,
        "mqtt_tls": True,
        "mqtt_public_host": None,
        "public_url": None,
        "tls_cert_file": None,
        "tls_key_file": None,
        "tls_names": [],
        "admin_password": SecretStr(admin_password),
    }
    return Settings(**overrides)


def child_env(settings: Settings, folder: DemoFolder, headless: bool) -> dict[str, str]:
    """The environment of every program the demo starts."""
    env = {key: value for key, value in os.environ.items() if key not in FOREIGN}
    kivy_home, temp = folder.scratch / "kivy", folder.scratch / "tmp"
    kivy_home.mkdir(parents=True, exist_ok=True)
    temp.mkdir(parents=True, exist_ok=True)
    env.update(
        CHERGA_DATA_DIR=str(settings.data_dir),
        CHERGA_DATABASE_URL=settings.effective_database_url,
        CHERGA_MQTT_URL="",
        CHERGA_HOST=settings.host,
        CHERGA_PORT=str(settings.port),
        CHERGA_HTTPS="true",
        CHERGA_HTTPS_PORT=str(settings.https_port),
        CHERGA_MQTT_HOST=settings.mqtt_host,
        CHERGA_MQTT_PORT=str(settings.mqtt_port),
        CHERGA_MQTT_TLS="true",
        CHERGA_SITE=settings.site,
        PYTHONUNBUFFERED="1",
        KIVY_HOME=str(kivy_home),
        KIVY_NO_ARGS="1",
        TMPDIR=str(temp),
    )
    env.pop("CHERGA_ADMIN_PASSWORD", None)  # the administrator exists already
    if headless:
        env["SDL_VIDEODRIVER"] = "offscreen"
    return env


def console_url(settings: Settings) -> str:
    """The hall administrator's console."""
    return f"https://127.0.0.1:{settings.https_port}/console"


def _hub_ready(settings: Settings) -> bool:
    """Whether the hub answers /healthz with 200 (its database and MQTT link up)."""
    ca = settings.data_dir / "tls" / "ca.crt"
    if not ca.is_file():
        return False
    context = ssl.create_default_context(cafile=str(ca))
    url = f"https://127.0.0.1:{settings.https_port}/healthz"
    try:
        with urllib.request.urlopen(url, context=context, timeout=5) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return False


def _wait_for_hub(supervisor: Supervisor, settings: Settings, stop: threading.Event) -> bool:
    deadline = time.monotonic() + HUB_START_WAIT
    while not _hub_ready(settings):
        hub = supervisor.children[0]
        if not hub.alive or time.monotonic() > deadline:
            logger.error("the hub did not start: see %s", hub.log)
            return False
        if stop.wait(0.2):
            return False
    return True


def _where_to_look(
    out: TextIO, settings: Settings, folder: DemoFolder, admin_password: str, operator: str
) -> None:
    lines = [
        "",
        "Cherga demo office / Демонстраційний офіс «ЦНАП «Демо»» is running.",
        f"  console / консоль:       {console_url(settings)}",
        f"  login / вхід:            admin / {admin_password}",
        f"  panel program, window 1: {HUMAN_OPERATOR} / {operator}",
        f"  trust this CA / довіра:  {settings.data_dir / 'tls' / 'ca.crt'}",
        f"  tickets / талони (PNG):  {folder.tickets}",
        f"  logs / журнали:          {folder.logs}",
        "Press Ctrl+C to stop / Ctrl+C, щоб зупинити.",
        "",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def _start_script(
    options: DemoOptions, provisioned: Provisioned, office: DemoOffice, password: str
) -> Script:
    operators = [(d.device_id, d.operator) for d in SCRIPTED if d.operator]
    kiosk = next(d.device_id for d in SCRIPTED if d.role == "kiosk")
    script = Script.build(
        provisioned.config,
        kiosk=kiosk,
        operators=operators,
        password=password,
        services=list(office.services.values()),
        bookings=office.booking_codes,
        pace=options.pace,
    )
    script.start()
    return script


def run_demo(options: DemoOptions, out: TextIO) -> int:
    """Run the demo until Ctrl+C or SIGTERM (0), or until the hub stops by itself (1)."""
    folder = DemoFolder(options.data_dir.resolve())
    folder.claim()
    admin_password = folder.secret("admin-password")
    operator_password = folder.secret("operator-password")
    settings = demo_settings(options, folder, admin_password)
    headless = options.without_screen
    hub = bootstrap(settings, announce=lambda _password: None)
    try:
        office = seed_office(hub, operator_password=operator_password)
        provisioned = provision(hub, folder, office, headless=headless)
    finally:
        hub.close()

    # The scripted kiosk hears its tickets' second reply (printed or not) without waiting for
    # it: the device client's note of each one would fill the terminal.
    logging.getLogger("hub.protocol.client").setLevel(logging.WARNING)
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    supervisor = Supervisor(folder.logs, child_env(settings, folder, headless), ROOT)
    script: Script | None = None
    code = 0
    try:
        supervisor.spawn("hub", ["hub", "--demo-folder", "--data-dir", str(folder.root)])
        if not _wait_for_hub(supervisor, settings, stop):
            return 0 if stop.is_set() else 1
        for device in PROGRAMS:
            supervisor.spawn(
                device.device_id,
                [device.role, "--config", str(provisioned.files[device.device_id])],
            )
        if options.visitors:
            script = _start_script(options, provisioned, office, operator_password)
        mode = "headless (offscreen)" if headless else "in windows"
        logger.info("demo programs started %s: pids %s", mode, supervisor.pids())
        _where_to_look(out, settings, folder, admin_password, operator_password)
        while not stop.wait(0.5):
            for child in supervisor.newly_ended():
                logger.warning(
                    "%s stopped (exit code %s): see %s",
                    child.name,
                    child.process.returncode,
                    child.log,
                )
                if child.name == "hub":
                    code = 1
                    stop.set()
    finally:
        logger.info("stopping the demo")
        if script is not None:
            script.stop()
        supervisor.stop([d.device_id for d in PROGRAMS])
        supervisor.stop(["hub"])
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        logger.info("the demo stopped; its office stays in %s for the next start", folder.root)
    return code
