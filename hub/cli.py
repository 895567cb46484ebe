"""The ``cherga`` command: one entry point with a subcommand per role and task."""

from __future__ import annotations

import argparse
import ctypes
import gc
import getpass
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub import __version__
from hub.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.broker.embedded import EmbeddedBroker
    from hub.coordinator.service import Coordinator
    from hub.db.models import Device
    from hub.services.mail.worker import MailWorker

logger = logging.getLogger("cherga")

# The appliances' programs: each parses its own arguments and never needs the hub's settings
# (a Pi that is only a printer has no hub configuration and no database libraries).
APPLIANCES: dict[str, tuple[str, str]] = {
    "kiosk": ("kiosk.cli", "run a registration kiosk (Kivy)"),
    "panel": ("operator_panel.cli", "run an operator's panel (Kivy)"),
    "display": ("display_board.cli", "run the waiting-room display board (Kivy)"),
    "printer": ("printers.cli", "run a ticket printer agent, or preview a ticket"),
    "phone": ("operator_panel.phone.cli", "run a phone agent: an operator's SIP lines (rfcvoip)"),
    "line": ("operator_panel.phone.line_cli", "run a line agent: the office's number, its callers"),
}


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="FILE", help="TOML configuration file (or CHERGA_CONFIG)"
    )
    parser.add_argument("--data-dir", metavar="DIR", help="data folder (or CHERGA_DATA_DIR)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``cherga``."""
    parser = argparse.ArgumentParser(
        prog="cherga", description="Cherga: electronic queue and customer relations."
    )
    parser.add_argument("--version", action="version", version=f"cherga {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    hub = sub.add_parser("hub", help="run the hub (HTTP API; migrates the database on start)")
    _common(hub)
    hub.add_argument("--host", help="listen address (or CHERGA_HOST; default 127.0.0.1)")
    hub.add_argument("--port", type=int, help="HTTP port (or CHERGA_PORT; default 8000)")
    # Given only by ``cherga demo`` to the hub it starts: a demo's folder is refused otherwise.
    hub.add_argument("--demo-folder", action="store_true", help=argparse.SUPPRESS)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="apply migrations up to the newest revision")
    _common(upgrade)
    current = db_sub.add_parser("current", help="show the database's revision")
    _common(current)

    admin = sub.add_parser("admin", help="administration")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    create = admin_sub.add_parser("create-user", help="create a user (asks for the password)")
    _common(create)
    create.add_argument("username")
    create.add_argument("--full-name", help="employee's full name (default: the username)")
    create.add_argument("--email")
    create.add_argument("--admin", action="store_true", help="make the user an administrator")
    create.add_argument(
        "--full-access", action="store_true", help="grant full access to the CRM (ACC-5)"
    )
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    imports = sub.add_parser(
        "import", help="import clients, contacts or settlement documents from CSV or XLSX"
    )
    _common(imports)
    imports.add_argument("kind", choices=("clients", "contacts", "documents"))
    imports.add_argument("file", metavar="FILE", help="a CSV (UTF-8, ';' or ',') or XLSX file")
    imports.add_argument(
        "--valid-only",
        action="store_true",
        help="store the valid rows even when some are rejected (default: all or nothing)",
    )

    config = sub.add_parser("config", help="configuration")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    validate = config_sub.add_parser("validate", help="check the configuration and exit")
    _common(validate)
    _device_parser(sub)
    _backup_parsers(sub)
    _demo_parser(sub)
    for command, (_module, summary) in APPLIANCES.items():
        appliance = sub.add_parser(command, help=summary, add_help=False)
        appliance.add_argument("args", nargs=argparse.REMAINDER, help="see cherga COMMAND --help")
    return parser


def _demo_parser(sub: Any) -> None:
    """``cherga demo``: an example office with its appliances on this machine (docs/demo.md)."""
    demo = sub.add_parser(
        "demo",
        help="run a demo office: hub, broker, kiosk, printer, panel, board and visitors",
    )
    demo.add_argument(
        "--data-dir",
        default="data-demo",
        metavar="DIR",
        help="the demo's own folder, new or made by an earlier demo (default: ./data-demo)",
    )
    screen = demo.add_mutually_exclusive_group()
    screen.add_argument(
        "--headless",
        action="store_true",
        default=None,
        help="draw the appliances offscreen (default: in windows when a display exists)",
    )
    screen.add_argument(
        "--windows", dest="headless", action="store_false", help="show the appliances' windows"
    )
    demo.add_argument(
        "--no-visitors",
        dest="visitors",
        action="store_false",
        help="no scripted visitors and operators: the office waits for you",
    )
    demo.add_argument(
        "--pace",
        type=float,
        default=8.0,
        metavar="SECONDS",
        help="about one visitor every SECONDS (default 8); serving takes about 1.5 times that",
    )
    demo.add_argument("--port", type=int, default=8000, help="HTTP port (redirects; 8000)")
    demo.add_argument("--https-port", type=int, default=8443, help="HTTPS port (8443)")
    demo.add_argument("--mqtt-port", type=int, default=8883, help="the devices' MQTT port (8883)")


def _demo(args: argparse.Namespace) -> int:
    from hub.demo.folder import DemoRefused
    from hub.demo.run import DemoOptions, run_demo
    from hub.demo.visitors import Pace

    if not args.pace > 0:
        raise ConfigError("--pace must be a positive number of seconds")
    options = DemoOptions(
        data_dir=Path(args.data_dir),
        headless=args.headless,
        visitors=args.visitors,
        pace=Pace(visitor_s=args.pace, serve_s=args.pace * 1.5),
        port=args.port,
        https_port=args.https_port,
        mqtt_port=args.mqtt_port,
    )
    try:
        return run_demo(options, sys.stdout)
    except DemoRefused as exc:
        raise ConfigError(str(exc)) from None


def _refuse_demo_folder(settings: Settings, *, allowed: bool) -> None:
    """A hub started by hand never serves the demo's example office (docs/demo.md)."""
    from hub.demo.folder import DemoFolder

    if not allowed and DemoFolder(settings.data_dir).marker.is_file():
        raise ConfigError(
            f"{settings.data_dir} is the folder of a demo office (cherga demo): run the demo "
            "there, or give the hub another data folder (--data-dir)"
        )


def _backup_parsers(sub: Any) -> None:
    """``cherga backup`` and ``cherga restore``."""
    backup = sub.add_parser(
        "backup", help="copy the database and the office's files into one archive (hub running)"
    )
    _common(backup)
    backup.add_argument(
        "--to", metavar="DIR", help="folder for the archive (default: DATA_DIR/backups)"
    )
    backup.add_argument(
        "--keep", type=int, metavar="N", help="then delete all but the newest N archives there"
    )
    restore = sub.add_parser(
        "restore", help="check an archive and put it back (the hub must be stopped)"
    )
    _common(restore)
    restore.add_argument("file", metavar="FILE", help="an archive made by cherga backup")
    restore.add_argument(
        "--force",
        action="store_true",
        help="restore even though a hub seems to use the data folder or the database",
    )


def _device_parser(sub: Any) -> None:
    """``cherga device add|list|revoke|renew``: appliances and their MQTT credentials."""
    device = sub.add_parser("device", help="appliances: provision, list, revoke, renew")
    device_sub = device.add_subparsers(dest="device_command", required=True, metavar="ACTION")
    add = device_sub.add_parser("add", help="register a device and print its MQTT credentials")
    _common(add)
    add.add_argument(
        "--role", required=True, choices=("kiosk", "printer", "panel", "display", "phone", "line")
    )
    add.add_argument("--name", required=True, help="a name people recognise")
    add.add_argument("--window", type=int, help="window number (panels only)")
    add.add_argument("--printer", metavar="ID", help="the kiosk's printer device id")
    add.add_argument("--phone", metavar="ID", help="the panel's phone agent device id")
    add.add_argument("--site", help="site id (default: the hub's CHERGA_SITE)")
    add.add_argument("--id", dest="device_id", help="device id (default: ROLE-N)")
    add.add_argument("--json", action="store_true", help="print the result as JSON")
    add.add_argument(
        "--config-out", metavar="FILE", help="write the device's config file (mode 0600)"
    )
    listing = device_sub.add_parser("list", help="list devices")
    _common(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    revoke = device_sub.add_parser("revoke", help="cut a device off the broker")
    _common(revoke)
    revoke.add_argument("device_id", metavar="ID")
    renew = device_sub.add_parser(
        "renew",
        help="give a device new credentials (password and certificate); the old ones stop working",
    )
    _common(renew)
    renew.add_argument("device_id", metavar="ID")
    renew.add_argument("--json", action="store_true", help="print the result as JSON")
    renew.add_argument(
        "--config-out", metavar="FILE", help="write the device's new config file (mode 0600)"
    )


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        args.config,
        data_dir=Path(args.data_dir) if args.data_dir else None,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
    )


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise ConfigError("the passwords differ")
    return first


def _start_broker(hub: Hub) -> EmbeddedBroker | None:
    """Start the embedded Mosquitto unless CHERGA_MQTT_URL names an external broker."""
    from hub.broker.embedded import start_embedded
    from hub.broker.mosquitto import BrokerError

    if hub.settings.mqtt_url:
        return None
    try:
        return start_embedded(hub.settings, hub.sessions)
    except BrokerError as exc:
        hub.close()
        raise ConfigError(str(exc)) from None


def _start_coordinator(hub: Hub, broker: EmbeddedBroker | None) -> Coordinator:
    """Serve the devices over MQTT (connecting in the background if the broker is not up yet)."""
    from hub.broker.embedded import hub_endpoint
    from hub.coordinator.service import Coordinator

    endpoint = broker.endpoint if broker is not None else hub_endpoint(hub.settings)
    coordinator = Coordinator(hub, endpoint)
    coordinator.start()
    return coordinator


_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
LARGE_BUFFER = 256 * 1024


def _start_mail(hub: Hub) -> MailWorker:
    """The mail worker: sends the mail outbox, queues reminders, fetches mailboxes."""
    from hub.services.mail.worker import MailWorker

    worker = MailWorker(hub)
    worker.start()
    hub.mail_wake = worker.wake
    return worker


def settle_memory() -> None:
    """Keep what is alive once the hub has started (modules, table mappings, settings: all of
    it for the life of the process) out of the cyclic garbage collector's full passes, which
    otherwise stop every thread for 50-90 ms now and then under load (bench/queue.py); and give
    large buffers back to the system once freed."""
    gc.collect()
    gc.freeze()
    return_large_buffers()


def return_large_buffers() -> None:
    """glibc: map every allocation of LARGE_BUFFER or more on its own, so that it goes back to
    the system when freed. glibc's default threshold rises to the largest block freed, after
    which big buffers stay in the heap: ten 20 MB device messages left a hub 80 MB larger for
    good (116 -> 198 MB; 117 MB with this). Elsewhere (another C library) nothing changes."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BUFFER)
    except (OSError, AttributeError):
        logger.debug("mallopt is not available: large buffers are left to the C library")


def run_hub(settings: Settings) -> None:
    """Migrate, seed and serve the API and pages (HTTPS; plain HTTP redirects) until stopped,
    holding the data folder's hub lock (``cherga restore`` looks for it)."""
    from hub.maintenance.running import FolderBusy, hub_lock

    try:
        with hub_lock(settings.data_dir):
            _serve(settings)
    except FolderBusy as exc:  # only the lock raises it
        raise ConfigError(str(exc)) from None


def _serve(settings: Settings) -> None:
    from hub.api.app import create_app
    from hub.api.serving import hub_servers
    from hub.bootstrap import bootstrap
    from hub.broker.embedded import sync_broker
    from hub.tls.authority import AuthorityError
    from hub.tls.office import office_authority, server_names
    from hub.tls.renewal import CertificateRenewal

    hub = bootstrap(settings, serving=True)
    try:
        authority = office_authority(settings)
        # Made before the servers read the certificate: any later change of its files is news.
        renewal = CertificateRenewal(authority, lambda: server_names(settings))
        # Bound before the broker starts: a port in use stops the start with one line.
        servers = hub_servers(settings, create_app(hub), authority)
    except AuthorityError as exc:
        hub.close()
        raise ConfigError(str(exc)) from None
    except BaseException:
        hub.close()
        raise
    broker = _start_broker(hub)
    coordinator = _start_coordinator(hub, broker)
    mail = _start_mail(hub)
    servers.follow(renewal)
    if broker is not None and broker.broker.tls is not None:
        # After every check: the broker takes a renewed certificate, and its revocation list is
        # signed again long before it would run out (OpenSSL then refuses every device).
        def refresh_broker() -> None:
            sync_broker(settings, hub.sessions)

        renewal.on_checked(refresh_broker)
    renewal.start()
    settle_memory()
    logger.info(
        "Cherga %s on %s%s (database: %s)",
        __version__,
        servers.url,
        f", {servers.redirect_url} redirects there" if servers.redirect_url else "",
        hub.engine.url.render_as_string(hide_password=True),
    )
    if servers.certificate is not None and servers.certificate.office:
        logger.info("browsers and devices trust the hub once they trust %s", authority.ca_file)
    try:
        servers.run(on_hangup=renewal.wake)
    finally:
        renewal.stop()
        mail.stop()
        coordinator.stop()
        if broker is not None:
            broker.stop()
        servers.close()
        hub.close()


def _db(args: argparse.Namespace, settings: Settings) -> None:
    from hub.db.engine import make_engine
    from hub.db.migrate import current_revision, upgrade

    engine = make_engine(settings.effective_database_url)
    try:
        if args.db_command == "upgrade":
            upgrade(engine)
        sys.stdout.write(f"database revision: {current_revision(engine)}\n")
    finally:
        engine.dispose()


def _create_user(args: argparse.Namespace, settings: Settings) -> None:
    from hub.bootstrap import bootstrap
    from hub.db.engine import transaction
    from hub.services.access.rights import grant_full_access
    from hub.services.access.users import EmployeeData, create_user

    password = _read_password(args)
    hub = bootstrap(settings)
    try:
        with transaction(hub.sessions) as session:
            user = create_user(
                session,
                hasher=hub.hasher,
                username=args.username,
                password=password,
                employee=EmployeeData(full_name=args.full_name or args.username, email=args.email),
                is_admin=args.admin,
            )
            if args.full_access:
                grant_full_access(session, user_id=user.id)
        sys.stdout.write(f"created user {user.username!r} (id {user.id})\n")
    finally:
        hub.close()


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    """Write an archive, or restore one; the result on standard output."""
    from hub.maintenance.backup import create_backup, restore_backup

    out = sys.stdout
    if args.command == "backup":
        made = create_backup(settings, folder=Path(args.to) if args.to else None, keep=args.keep)
        out.write(
            f"backup: {made.path}\nsize: {made.size} bytes\n"
            f"database: {made.manifest.database}, schema {made.manifest.schema_revision}\n"
            f"files: {len(made.manifest.files) - 1}\n"
        )
        for path in made.pruned:
            out.write(f"pruned: {path}\n")
        return 0
    restored = restore_backup(settings, Path(args.file), force=args.force)
    out.write(
        f"restored: {args.file}\ntaken: {restored.manifest.created_at} "
        f"(Cherga {restored.manifest.hub_version}, schema {restored.manifest.schema_revision})\n"
        f"files: {restored.files}\nschema now: {restored.revision}\n"
    )
    return 0


def _progress_bar(total: int | None) -> Callable[[int], None] | None:
    """A text progress bar on standard error for files of more than one batch, else None."""
    from hub.services.clients.imports import BATCH_SIZE

    if not total or total <= BATCH_SIZE:
        return None

    def show(done: int) -> None:
        share = min(done / total, 1.0)
        filled = int(share * 30)
        bar = "#" * filled + "-" * (30 - filled)
        sys.stderr.write(f"\r[{bar}] {share:4.0%} {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _import(args: argparse.Namespace, settings: Settings) -> int:
    """Import a file and print the report; exit code 1 when nothing was stored."""
    from hub.bootstrap import bootstrap
    from hub.db.engine import transaction
    from hub.services.clients.import_files import count_csv_rows, open_table
    from hub.services.clients.imports import import_rows

    path = Path(args.file)
    if not path.is_file():
        sys.stderr.write(f"cherga: no such file: {path}\n")
        return 2
    hub = bootstrap(settings)
    lang = settings.default_lang
    try:
        with path.open("rb") as stream, transaction(hub.sessions) as session:
            table = open_table(stream)
            total = table.total if table.total is not None else count_csv_rows(args.file)
            report = import_rows(
                session,
                kind=args.kind,
                header=table.header,
                rows=table.rows,
                valid_only=args.valid_only,
                progress=_progress_bar(total),
            )
    finally:
        hub.close()
    data = report.as_dict(lang)
    out = sys.stdout
    out.write(f"rows: {data['rows']}\nimported: {data['imported']}\n")
    out.write(f"rejected: {data['rejected_count']} (duplicates: {data['duplicates']})\n")
    for row in data["rejected"]:
        field = f" [{row['field']}]" if row["field"] else ""
        out.write(f"  row {row['row']}{field}: {row['reason']}\n")
    if not report.stored:
        out.write("nothing stored: fix the rejected rows or use --valid-only\n")
        return 1
    return 0


def _device_row(device: Device) -> dict[str, Any]:
    return {
        "device_id": device.id,
        "role": device.role,
        "site": device.site,
        "name": device.name,
        "window": device.window,
        "printer": device.printer_id,
        "phone": device.phone_id,
        "online": device.online,
        "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
        "version": device.version,
        "revoked_at": device.revoked_at.isoformat() if device.revoked_at else None,
    }


def _device(args: argparse.Namespace, settings: Settings) -> int:
    """Provision, list, revoke or renew devices; the broker's files follow every change."""
    import json

    from firmware_config.device_config import write_config
    from hub.bootstrap import bootstrap
    from hub.broker.embedded import sync_broker
    from hub.broker.provision import device_config, issue_credentials
    from hub.db.engine import transaction
    from hub.services.devices import devices

    # Standard output carries the result (JSON with --json): the log goes to standard error.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)
    out = sys.stdout
    config_out = Path(args.config_out) if getattr(args, "config_out", None) else None
    if config_out is not None and not config_out.parent.is_dir():
        sys.stderr.write(f"cherga: no such folder for --config-out: {config_out.parent}\n")
        return 2
    hub = bootstrap(settings)
    try:
        if args.device_command == "list":
            with hub.sessions() as session:
                rows = [_device_row(d) for d in devices.list_devices(session)]
            if args.json:
                out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
            for row in [] if args.json else rows:
                state = "revoked" if row["revoked_at"] else "online" if row["online"] else "offline"
                out.write(
                    f"{row['device_id']}\t{row['role']}\t{row['site']}\t{state}\t"
                    f"{row['last_seen_at'] or '-'}\t{row['name']}\n"
                )
            return 0
        if args.device_command == "revoke":
            with transaction(hub.sessions) as session:
                devices.revoke_device(session, args.device_id)
            sync_broker(settings, hub.sessions, cut_off=[args.device_id])
            out.write(f"revoked {args.device_id}\n")
            return 0
        with transaction(hub.sessions) as session:
            if args.device_command == "renew":
                created = devices.renew_password(session, args.device_id)
            else:
                created = devices.add_device(
                    session,
                    role=args.role,
                    name=args.name,
                    site=args.site or settings.site,
                    window=args.window,
                    printer_id=args.printer,
                    device_id=args.device_id,
                    phone_id=args.phone,
                )
            credentials = issue_credentials(
                settings, session, created.device, created.mqtt_password
            )
            row = _device_row(created.device)
            if config_out is not None:
                # Written before the commit: a file that cannot be written leaves no device.
                config = device_config(
                    session, created.device, credentials, timezone=settings.timezone
                )
                write_config(config, config_out)
        renewed = [row["device_id"]] if args.device_command == "renew" else []
        sync_broker(settings, hub.sessions, cut_off=renewed)
        result = {
            **row,
            "mqtt_host": credentials.host,
            "mqtt_port": credentials.port,
            "mqtt_tls": credentials.tls,
            "mqtt_username": credentials.username,
            "mqtt_password": credentials.password,
        }
        if config_out is not None:
            result["config_file"] = str(config_out.resolve())
        if args.json:
            out.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        else:
            for key in (
                "device_id",
                "role",
                "site",
                "mqtt_host",
                "mqtt_port",
                "mqtt_tls",
                "mqtt_username",
            ):
                out.write(f"{key}: {result[key]}\n")
            out.write(f"mqtt_password: {credentials.password}  (shown only this once)\n")
            if config_out is not None:
                out.write(f"config file: {result['config_file']}\n")
            elif credentials.tls:
                out.write(
                    "the device also needs its certificate and the office's CA: "
                    "write its config file with --config-out\n"
                )
        if credentials.host in ("0.0.0.0", "::"):
            sys.stderr.write(
                f"cherga: warning: the device is told to reach the broker at {credentials.host}; "
                "set CHERGA_MQTT_PUBLIC_HOST (and CHERGA_TLS_NAMES) to the name or address "
                "devices use for this hub\n"
            )
        return 0
    finally:
        hub.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cherga``; returns the process exit code."""
    from hub.errors import DomainError
    from hub.logs import setup_logging
    from hub.maintenance.archive import BackupError

    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in APPLIANCES:
        import importlib

        module = importlib.import_module(APPLIANCES[arguments[0]][0])
        code: int = module.main(arguments[1:])
        return code
    args = build_parser().parse_args(arguments)
    try:
        if args.command == "demo":
            setup_logging("INFO")
            return _demo(args)
        settings = _settings(args)
        setup_logging(settings.log_level)
        if args.command == "hub":
            _refuse_demo_folder(settings, allowed=args.demo_folder)
            run_hub(settings)
        elif args.command == "db":
            _db(args, settings)
        elif args.command == "admin":
            _create_user(args, settings)
        elif args.command == "import":
            return _import(args, settings)
        elif args.command == "device":
            return _device(args, settings)
        elif args.command in ("backup", "restore"):
            return _backup(args, settings)
        elif args.command == "config":
            sys.stdout.write("configuration is valid\n")
    except ConfigError as exc:
        sys.stderr.write(f"cherga: {exc}\n")
        return 2
    except (DomainError, BackupError) as exc:
        sys.stderr.write(f"cherga: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
