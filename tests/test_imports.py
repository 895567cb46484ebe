"""Import of clients, contacts and settlement documents (CLI-2): CSV and XLSX, the report of
rejected rows, all-or-nothing, duplicates, rights, and the ``cherga import`` command."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models.clients import Client, Contact, SettlementDocument
from tests.conftest import UserFactory

Headers = dict[str, str]
CHERGA = [sys.executable, "-m", "hub.cli"]
EDRPOU = "14360570"
EDRPOU_2 = "00032129"


def count(hub: Hub, model: Any) -> int:
    with transaction(hub.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def upload(
    client: TestClient,
    headers: Headers,
    kind: str,
    content: bytes,
    *,
    name: str = "data.csv",
    valid_only: bool = False,
) -> Any:
    return client.post(
        f"/api/v1/imports/{kind}",
        headers=headers,
        params={"valid_only": "true"} if valid_only else None,
        files={"file": (name, content, "application/octet-stream")},
    )


CLIENTS_CSV = (
    "\ufeffНазва;Код;Статус ПДВ;Телефон;Код батька\n"
    f"ТОВ Альфа;{EDRPOU};платник;050 111 22 33;\n"
    f"Альфа Філія;;невідомо;;{EDRPOU}\n"
    f"ПАТ Бета;{EDRPOU_2};non_payer;;\n"
)


def test_clients_csv_with_bom_semicolons_and_ukrainian_headers(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    reply = upload(client, admin_headers, "clients", CLIENTS_CSV.encode())
    assert reply.status_code == 200, reply.text
    report = reply.json()
    assert (report["rows"], report["imported"], report["rejected"]) == (3, 3, [])
    with transaction(hub.sessions) as session:
        alpha = session.scalars(select(Client).where(Client.tax_number == EDRPOU)).one()
        branch = session.scalars(select(Client).where(Client.name == "Альфа Філія")).one()
        assert alpha.vat_status == "payer" and alpha.phone_digits == "501112233"
        assert branch.parent_id == alpha.id
    # the same file again: every row is a duplicate or ambiguous, so nothing is stored
    again = upload(client, admin_headers, "clients", CLIENTS_CSV.encode())
    assert again.status_code == 422
    assert again.json()["report"]["duplicates"] == 2
    assert count(hub, Client) == 3


def test_bad_row_stores_nothing_unless_valid_only(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    content = (
        "name,tax_number,email\n"
        "Перший,,a@example.com\n"
        "Другий,14360571,\n"  # wrong check digit
        ",,\n"  # blank row: skipped
        ",,b@example.com\n"  # no name
        "Третій,,not-an-email\n"
        "Четвертий,,\n"
    ).encode()
    reply = upload(client, admin_headers, "clients", content)
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert body["error"]["code"] == "import_rejected"
    report = body["report"]
    assert report["stored"] is False and report["imported"] == 0
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [
        (3, "tax_number"),
        (5, "name"),
        (6, "email"),
    ]
    assert "контрольн" in report["rejected"][0]["reason"]  # the administrator speaks Ukrainian
    assert count(hub, Client) == 0
    reply = upload(client, admin_headers, "clients", content, valid_only=True)
    assert reply.status_code == 200
    assert (reply.json()["imported"], reply.json()["rejected_count"]) == (2, 3)
    assert count(hub, Client) == 2


def test_contacts_by_tax_number_with_phones_and_birthdays(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    assert upload(client, admin_headers, "clients", CLIENTS_CSV.encode()).status_code == 200
    content = (
        "client_tax_number,full_name,phones,birthday,email\n"
        f'{EDRPOU},Олена,"050 111 22 33; +380 67 000 00 01",31.12.1990,o@example.com\n'
        f"{EDRPOU_2},Петро,,1985-01-02,\n"
        "99999999,Ніхто,,,\n"
    ).encode()
    reply = upload(client, admin_headers, "contacts", content)
    assert reply.status_code == 422
    assert reply.json()["report"]["rejected"][0]["row"] == 4
    assert count(hub, Contact) == 0
    reply = upload(client, admin_headers, "contacts", content, valid_only=True)
    assert reply.status_code == 200 and reply.json()["imported"] == 2
    with transaction(hub.sessions) as session:
        olena = session.scalars(select(Contact).where(Contact.full_name == "Олена")).one()
        assert (olena.birth_month, olena.birth_day) == (12, 31)
        assert [p.digits for p in olena.phones] == ["501112233", "670000001"]


def _documents_csv(client_id: int) -> bytes:
    return (
        "Клієнт ID;Вид;Номер;Дата;Напрям;Сума;Валюта;Опис\n"
        f"{client_id};рахунок;1;01.04.2024;вхідний;1 000,50;грн;перший\n"
        f"{client_id};payment;2;2024-04-02;out;250.25;USD;\n"
        f"{client_id};договір;Д-1;2024-04-03;in;99999;UAH;\n"
    ).encode()


def test_documents_import_and_duplicates(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    firm = client.post("/api/v1/clients", headers=admin_headers, json={"name": "Фірма"}).json()
    reply = upload(client, admin_headers, "documents", _documents_csv(firm["id"]))
    assert reply.status_code == 200, reply.text
    with transaction(hub.sessions) as session:
        docs = session.scalars(select(SettlementDocument).order_by(SettlementDocument.id)).all()
        assert [(d.kind, d.amount, d.currency, d.affects_balance) for d in docs] == [
            ("invoice", Decimal("1000.50"), "UAH", True),
            ("payment", Decimal("250.25"), "USD", True),
            ("contract", Decimal("99999.00"), "UAH", False),
        ]
    # re-importing is reported as duplicates, never a server error
    again = upload(client, admin_headers, "documents", _documents_csv(firm["id"]))
    assert again.status_code == 422
    assert again.json()["report"]["duplicates"] == 3
    same = upload(client, admin_headers, "documents", _documents_csv(firm["id"]), valid_only=True)
    assert same.status_code == 200 and same.json()["imported"] == 0
    assert count(hub, SettlementDocument) == 3
    bad = (
        "client_id,kind,number,date,direction,amount\n"
        f"{firm['id']},act,9,2024-02-30,in,1\n"
        f"{firm['id']},act,10,2024-02-01,in,-5\n"
        f"{firm['id']},act,11,2024-02-01,in,1.005\n"
        f"{firm['id']},act,12,2024-02-01,up,1\n"
        f"{firm['id']},bribe,13,2024-02-01,in,1\n"
        "999999,act,14,2024-02-01,in,1\n"
        f"{firm['id']},act,15,2024-02-01,in,1\n"
        f"{firm['id']},act,15,2024-02-01,in,1\n"
    ).encode()
    reply = upload(client, admin_headers, "documents", bad)
    assert reply.status_code == 422
    fields = [(r["row"], r["field"]) for r in reply.json()["report"]["rejected"]]
    assert fields == [
        (2, "doc_date"),
        (3, "amount"),
        (4, "amount"),
        (5, "direction"),
        (6, "kind"),
        (7, "client_id"),
        (9, None),  # the same document twice in one file
    ]
    assert count(hub, SettlementDocument) == 3


def test_xlsx_import(client: TestClient, admin_headers: Headers, hub: Hub) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Tax number", "VAT status", "Address"])
    sheet.append(["XLSX Один", EDRPOU, "payer", "Київ"])
    sheet.append(["XLSX Два", None, None, None])
    sheet.append(["XLSX Три", "123", None, None])
    sheet.append(["XLSX Чотири", int(EDRPOU_2), None, None])  # a number: leading zeros lost
    buffer = io.BytesIO()
    book.save(buffer)
    reply = upload(client, admin_headers, "clients", buffer.getvalue(), name="c.xlsx")
    assert reply.status_code == 422
    assert [r["row"] for r in reply.json()["report"]["rejected"]] == [4]
    reply = upload(
        client, admin_headers, "clients", buffer.getvalue(), name="c.xlsx", valid_only=True
    )
    assert reply.status_code == 200 and reply.json()["imported"] == 3
    with transaction(hub.sessions) as session:
        four = session.scalars(select(Client).where(Client.name == "XLSX Чотири")).one()
        assert four.tax_number == EDRPOU_2 == "00032129"
    # documents from XLSX with real dates and numbers in the cells
    firm_id = client.get("/api/v1/clients", headers=admin_headers).json()["items"][0]["id"]
    book = Workbook()
    sheet = book.active
    sheet.append(["client_id", "kind", "number", "date", "direction", "amount"])
    sheet.append([firm_id, "act", 77, date(2024, 5, 6), "in", 12.5])
    buffer = io.BytesIO()
    book.save(buffer)
    reply = upload(client, admin_headers, "documents", buffer.getvalue(), name="d.xlsx")
    assert reply.status_code == 200, reply.text
    with transaction(hub.sessions) as session:
        doc = session.scalars(select(SettlementDocument)).one()
        assert (doc.number, doc.doc_date, doc.amount) == ("77", date(2024, 5, 6), Decimal("12.50"))


def test_bad_files_and_rights(
    client: TestClient, admin_headers: Headers, make_user: UserFactory, hub: Hub
) -> None:
    reply = upload(client, admin_headers, "clients", "name\nКиїв\n".encode("cp1251"))
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "import_not_utf8"
    reply = upload(client, admin_headers, "clients", b"title;code\nx;1\n")
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "import_missing_column"
    reply = upload(client, admin_headers, "clients", b"PK\x03\x04broken", name="x.xlsx")
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "import_bad_xlsx"
    assert upload(client, admin_headers, "clients", b"").status_code == 422
    assert upload(client, admin_headers, "projects", b"name\nx\n").status_code == 422
    _, reader = make_user(rights={"contact": "c"})
    reply = upload(client, reader, "clients", b"name\nx\n")
    assert reply.status_code == 403
    assert count(hub, Client) == 0


def test_too_large_file_is_refused_before_reading(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    hub.settings = hub.settings.model_copy(update={"import_max_mb": 0.01})
    big = b"name\n" + b"".join(f"Client {n}\n".encode() for n in range(2000))
    assert len(big) > 0.01 * 2**20
    reply = upload(client, admin_headers, "clients", big)
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"]["code"] == "file_too_large"
    assert count(hub, Client) == 0
    reply = upload(client, admin_headers, "clients", b"name\nSmall\n")
    assert reply.status_code == 200, reply.text
    assert count(hub, Client) == 1


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHERGA_")}
    env.update(
        extra, CHERGA_PASSWORD_HASH_MEMORY_KIB="1024", CHERGA_ADMIN_PASSWORD="admin-secret-1"
    )
    return env


def test_cli_import_with_progress_bar(tmp_path: Path, db_url: str, hub: Hub) -> None:
    big = tmp_path / "clients.csv"
    with big.open("w", encoding="utf-8") as handle:
        handle.write("name;phone\n")
        for index in range(1200):
            handle.write(f"Клієнт {index};050{index:07d}\n")
    env = _env(CHERGA_DATABASE_URL=db_url, CHERGA_DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [*CHERGA, "import", "clients", str(big)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "imported: 1200" in done.stdout
    assert "100%" in done.stderr and "[" in done.stderr
    assert count(hub, Client) == 1200
    bad = tmp_path / "bad.csv"
    bad.write_text("name,tax_number\nДобрий,\nПоганий,123\n", encoding="utf-8")
    done = subprocess.run(
        [*CHERGA, "import", "clients", str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "row 3 [tax_number]" in done.stdout and "nothing stored" in done.stdout
    assert count(hub, Client) == 1200
    done = subprocess.run(
        [*CHERGA, "import", "clients", str(bad), "--valid-only"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "imported: 1" in done.stdout
    assert count(hub, Client) == 1201
    missing = subprocess.run(
        [*CHERGA, "import", "clients", str(tmp_path / "nope.csv")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_a_csv_header_with_a_huge_field_is_refused_not_a_server_error(
    client: TestClient, admin_headers: Headers, hub: Hub
) -> None:
    """A header field past Python's csv limit (128 KiB) once answered 500."""
    wide = "x" * 200_000
    long = upload(client, admin_headers, "clients", f"Назва;{wide}\nТОВ Альфа;1\n".encode())
    assert long.status_code == 200, long.text  # an unknown column, left out
    huge = "x" * (2 * 1024 * 1024)
    refused = upload(client, admin_headers, "clients", f"Назва;{huge}\nТОВ Бета;1\n".encode())
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "import_bad_csv"
    assert count(hub, Client) == 1
