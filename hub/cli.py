"""The ``cherga`` command: one entry point with a subcommand per role and task."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from hub import __version__
from hub.config import ConfigError, Settings, load_settings

logger = logging.getLogger("cherga")


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
    return parser


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


def run_hub(settings: Settings) -> None:
    """Migrate, seed and serve the HTTP API until stopped."""
    import uvicorn

    from hub.api.app import create_app
    from hub.bootstrap import bootstrap

    hub = bootstrap(settings)
    logger.info(
        "Cherga %s on http://%s:%s (database: %s)",
        __version__,
        settings.host,
        settings.port,
        hub.engine.url.render_as_string(hide_password=True),
    )
    try:
        uvicorn.run(
            create_app(hub),
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            proxy_headers=False,
        )
    finally:
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
    from hub.services.access import grant_full_access
    from hub.services.users import EmployeeData, create_user

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


def _progress_bar(total: int | None) -> Callable[[int], None] | None:
    """A text progress bar on standard error for files of more than one batch, else None."""
    from hub.services.imports import BATCH_SIZE

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
    from hub.services.clients_import_files import count_csv_rows, open_table
    from hub.services.imports import import_rows

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


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cherga``; returns the process exit code."""
    from hub.errors import DomainError
    from hub.logs import setup_logging

    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
        setup_logging(settings.log_level)
        if args.command == "hub":
            run_hub(settings)
        elif args.command == "db":
            _db(args, settings)
        elif args.command == "admin":
            _create_user(args, settings)
        elif args.command == "import":
            return _import(args, settings)
        elif args.command == "config":
            sys.stdout.write("configuration is valid\n")
    except ConfigError as exc:
        sys.stderr.write(f"cherga: {exc}\n")
        return 2
    except DomainError as exc:
        sys.stderr.write(f"cherga: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
