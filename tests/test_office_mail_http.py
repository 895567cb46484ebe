"""Mail in the back-office over HTTP (the app in process): Settings / Mail (servers, write-only
passwords, status, fetch now), My mailbox, the notifications panel, and the events registry's
fetch on opening; what the server refuses (no tab: 403; a bad port beside its field; nothing
saved). The browser's side is in ``tests/test_office_mail.py``.
"""

from __future__ import annotations

import imaplib
import re
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models import Event
from hub.services.mail import secrets
from hub.services.settings.parameters import get_global, update_global, update_user_parameters
from hub.web.office.mail_on_open import OpenFetches
from tests.conftest import ADMIN_PASSWORD, UserFactory
from tests.mail_servers import Dovecot, client_context
from tests.test_mail_out import employee_user
from tests.test_office_user_parameters import web_login

pytestmark = [pytest.mark.timeout(120), pytest.mark.parametrize("backend", ["sqlite"])]
MAIL = "/office/settings/mail"
SMTP_SECRET = "Smtp-Pa55-word!"
CORP_SECRET = "Corp-Pa55-word?"


def form_of(page: str) -> dict[str, str]:
    """The mail form's hidden fields and the servers as shown (what a browser would send)."""
    values = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    for name, value in re.findall(r'name="(mail\.[a-z_]+)"[^>]*?value="([^"]*)"', page, re.S):
        values[name] = value
    for name in re.findall(r'<select id="[^"]+" name="(mail\.[a-z_]+)"', page):
        chosen = re.search(
            rf'name="{re.escape(name)}".*?<option value="([^"]+)" selected', page, re.S
        )
        assert chosen
        values[name] = chosen.group(1)
    values["mail.incoming_tls"] = "on"
    return values


def test_mail_settings_saved_with_write_only_passwords_and_refusals(
    hub: Hub, make_user: UserFactory
) -> None:
    make_user("vira", lang="en", password="vira-password-1")  # every tab, no settings right
    make_user("ihor", rights={"settings": "cud"}, tabs=["references.journals"])
    with TestClient(create_app(hub)) as web:
        web_login(web, "admin", ADMIN_PASSWORD)
        for lang, word in (("uk", "Вихідна пошта"), ("en", "Outgoing mail")):
            page = web.get(f"{MAIL}?lang={lang}")
            assert page.status_code == 200 and word in page.text
            assert 'id="mail-status"' in page.text and 'id="fetch-now"' in page.text
        assert 'href="/office/settings/mail"' in web.get("/office/settings").text

        data = form_of(web.get(MAIL).text)
        data |= {
            "mail.smtp_host": "smtp.example.test",
            "mail.smtp_port": "2525",
            "mail.sender": "office@example.test",
            "smtp_password": SMTP_SECRET,
            "corporate_password": CORP_SECRET,
        }
        saved = web.post(MAIL, data=data, follow_redirects=False)
        assert saved.status_code == 303, saved.text
        page = web.get(saved.headers["location"]).text
        assert 'id="saved"' in page
        assert SMTP_SECRET not in page and CORP_SECRET not in page
        assert page.count('data-secret="set"') == 2
        with hub.sessions() as session:
            mail = get_global(session).mail
            assert (mail.smtp_host, mail.smtp_port) == ("smtp.example.test", 2525)
            assert secrets.get_secret(session, hub.sealer, secrets.SMTP) == SMTP_SECRET

        # A bad port: the message beside its field, nothing saved (the password neither).
        data = form_of(page) | {"mail.smtp_port": "70000", "smtp_password": "other-one"}
        data["mail.smtp_host"] = "changed.example.test"
        bad = web.post(MAIL, data=data)
        assert bad.status_code == 422
        assert 'id="f-mail.smtp_port-error"' in bad.text and "other-one" not in bad.text
        assert 'href="#f-mail.smtp_port"' in bad.text
        with hub.sessions() as session:
            assert get_global(session).mail.smtp_host == "smtp.example.test"
            assert secrets.get_secret(session, hub.sealer, secrets.SMTP) == SMTP_SECRET

        # "Remove" takes the corporate password away; the empty SMTP field keeps its own.
        data = form_of(web.get(MAIL).text) | {"clear_corporate_password": "on"}
        assert web.post(MAIL, data=data, follow_redirects=False).status_code == 303
        with hub.sessions() as session:
            assert secrets.secrets_set(session, [secrets.SMTP, secrets.CORPORATE]) == {secrets.SMTP}

        # Fetch now with no incoming server: nothing to fetch, said so.
        fetched = web.post(f"{MAIL}/fetch", data={"csrf": data["csrf"]}, follow_redirects=True)
        assert fetched.status_code == 200 and 'id="fetched"' in fetched.text

    with TestClient(create_app(hub)) as web:  # the tab without the settings right: read-only
        web_login(web, "vira", "vira-password-1")
        page = web.get(MAIL)
        assert page.status_code == 200 and 'id="read-only"' in page.text
        assert 'id="mail-status"' not in page.text and 'id="save"' not in page.text
        data = form_of(page.text) | {"mail.smtp_host": "evil.example.test"}
        assert web.post(MAIL, data=data).status_code == 403
        assert web.post(f"{MAIL}/fetch", data={"csrf": data["csrf"]}).status_code == 403

    with TestClient(create_app(hub)) as web:  # the right without the tab: no page at all
        web_login(web, "ihor", "user-password-1")
        assert web.get(MAIL).status_code == 403
        assert 'href="/office/settings/mail"' not in web.get("/office/settings").text
    with hub.sessions() as session:
        assert get_global(session).mail.smtp_host == "smtp.example.test"


def test_my_mailbox_password_is_write_only_and_its_login_is_a_user_parameter(
    hub: Hub, make_user: UserFactory
) -> None:
    olena, _ = make_user("olena", password="olena-password-1")  # no settings right
    secret = "My-Mailbox-Pa55"
    with TestClient(create_app(hub)) as web:
        csrf = web_login(web, "olena", "olena-password-1")
        page = web.get("/office/settings/mine?lang=en")
        assert 'id="mailbox"' in page.text and 'data-secret="unset"' in page.text
        assert 'id="f-mail_login"' in page.text and "never" in page.text
        saved = web.post(
            "/office/settings/mine/mailbox",
            data={"csrf": csrf, "mailbox_password": secret},
            follow_redirects=False,
        )
        assert saved.status_code == 303, saved.text
        page = web.get(saved.headers["location"])
        assert 'id="mailbox-saved"' in page.text and 'data-secret="set"' in page.text
        assert secret not in page.text
        with hub.sessions() as session:
            name = secrets.mailbox_secret(olena)
            assert secrets.get_secret(session, hub.sealer, name) == secret

        too_long = web.post(
            "/office/settings/mine/mailbox",
            data={"csrf": csrf, "mailbox_password": "x" * (secrets.MAX_SECRET + 1)},
        )
        assert too_long.status_code == 422 and 'id="f-mailbox_password-error"' in too_long.text
        removed = web.post(
            "/office/settings/mine/mailbox",
            data={"csrf": csrf, "clear_mailbox_password": "on"},
            follow_redirects=False,
        )
        assert removed.status_code == 303
        with hub.sessions() as session:
            assert not secrets.secrets_set(session, [secrets.mailbox_secret(olena)])

    with TestClient(create_app(hub)) as web:  # the administrator's page of olena: no password form
        web_login(web, "admin", ADMIN_PASSWORD)
        page = web.get(f"/office/settings/users/{olena}")
        assert page.status_code == 200 and 'id="mailbox"' not in page.text
        assert 'id="f-mail_login"' in page.text


@pytest.mark.skipif(Dovecot.binary() is None, reason="Debian's dovecot-imapd is not installed")
def test_opening_the_events_registry_fetches_ones_mail_in_the_background_at_most_once(
    hub: Hub, client: TestClient, admin_headers: dict[str, str]
) -> None:
    address, password = "anna@example.com", "anna-pass-1"
    anna = employee_user(client, admin_headers, "anna", address)
    server = Dovecot({address: password}).start()
    try:
        with transaction(hub.sessions) as session:
            update_global(
                session, {"mail": {"incoming_host": "127.0.0.1", "incoming_port": server.imaps}}
            )
            secrets.set_secret(session, hub.sealer, secrets.mailbox_secret(anna), password)
        letter = EmailMessage()
        letter["From"], letter["To"], letter["Subject"] = "x@example.org", address, "Рахунок 77"
        letter["Message-ID"] = make_msgid(domain="example.org")
        letter.set_content("Добрий день")
        with imaplib.IMAP4_SSL(
            "127.0.0.1", server.imaps, ssl_context=client_context(server.cert)
        ) as imap:
            imap.login(address, password)
            imap.append("INBOX", "", None, letter.as_bytes())

        app = create_app(hub)
        fetches = OpenFetches(context=lambda: client_context(server.cert))
        app.state.mail_on_open = fetches
        with TestClient(app) as web:
            web_login(web, "anna", "user-password-1")
            assert web.get("/office/events").status_code == 200
            assert fetches.started == 0  # check_mail_on_open is off by default
            with transaction(hub.sessions) as session:
                update_user_parameters(session, anna, {"check_mail_on_open": True})
            assert web.get("/office/events").status_code == 200
            assert web.get("/office/events").status_code == 200  # again: not fetched twice
            assert fetches.started == 1
            fetches.join()
            with hub.sessions() as session:
                subjects = session.scalars(
                    select(Event.content).where(Event.responsible_id == anna)
                ).all()
                assert any("Рахунок 77" in (text or "") for text in subjects), subjects
            page = web.get("/office/settings/mine")
            assert "Рахунок" not in page.text and 'id="mailbox"' in page.text
    finally:
        server.stop()
