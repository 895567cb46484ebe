"""Letters fetched per second: a Dovecot mailbox of N letters (default 10,000) read into events
on SQLite (or CHERGA_BENCH_DATABASE_URL), over IMAPS on loopback.

    PYTHONPATH=. python bench/mail_fetch.py [--letters 10000]

The letters are written straight into the Maildir (APPENDing 10,000 would time the server,
not the hub); each has a Ukrainian subject, a text body and, one in ten, a small attachment.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from hub.bootstrap import build_hub, prepare_database
from hub.db.engine import transaction
from hub.services.mail import inbox
from hub.services.mail.secrets import mailbox_secret, set_secret
from hub.services.settings.parameters import update_global
from tests.conftest import make_settings
from tests.mail_servers import Dovecot, client_context

USER, PASSWORD = "bench@example.com", "bench-pass-1"


def fill(maildir: Path, count: int) -> None:
    """``count`` letters in the Maildir's ``new`` folder."""
    for folder in ("new", "cur", "tmp"):
        (maildir / folder).mkdir(parents=True, exist_ok=True)
    for number in range(count):
        message = EmailMessage()
        message["From"] = "Олена Петрук <olena@example.net>"
        message["To"] = USER
        message["Subject"] = f"Запит № {number}"
        message["Message-ID"] = f"<bench-{number}@example.net>"
        message["Date"] = "Sun, 10 Mar 2030 11:00:00 +0200"
        message.set_content("Добрий день!\n" * 20)
        if number % 10 == 0:
            message.add_attachment(b"x" * 2048, "application", "octet-stream", filename="дані.bin")
        (maildir / "new" / f"{number}.bench:2,").write_bytes(message.as_bytes())
    if os.getuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for root, folders, files in os.walk(maildir.parent):
            for name in folders + files:
                os.chown(os.path.join(root, name), nobody.pw_uid, nobody.pw_gid)
            os.chown(root, nobody.pw_uid, nobody.pw_gid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--letters", type=int, default=10_000)
    args = parser.parse_args()
    dovecot = Dovecot({USER: PASSWORD}).start()
    folder = Path(tempfile.mkdtemp(prefix="cherga-mail-bench-"))
    try:
        fill(dovecot.folder / "mail" / USER, args.letters)
        url = os.environ.get("CHERGA_BENCH_DATABASE_URL", f"sqlite:///{folder / 'bench.db'}")
        hub = build_hub(make_settings(url, folder))
        prepare_database(hub, announce=lambda _message: None)
        with transaction(hub.sessions) as session:
            from hub.db.models import Employee, User

            user = session.get(User, 1)
            assert user is not None
            employee = Employee(full_name="Bench", email=USER)
            session.add(employee)
            session.flush()
            user.employee_id = employee.id
            update_global(
                session, {"mail": {"incoming_host": "127.0.0.1", "incoming_port": dovecot.imaps}}
            )
            set_secret(session, hub.sealer, mailbox_secret(1), PASSWORD)
        started = time.perf_counter()
        result = inbox.fetch(
            hub, now=datetime.now(UTC), context=client_context(dovecot.cert), user_id=1
        )
        took = time.perf_counter() - started
        stored = result.get("user:1")
        print(
            f"{stored} letters in {took:.1f} s: {args.letters / took:.0f} letters/s "
            f"({hub.engine.dialect.name})"
        )
        hub.close()
    finally:
        dovecot.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
