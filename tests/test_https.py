"""HTTPS for the hub, with real parts only.

A ``cherga hub`` process serves the API and pages over HTTPS with the office CA's certificate
and answers plain HTTP with a redirect; httpx and headless Chromium trust that CA (Chromium
through an NSS database in its HOME, as a user's browser would) or not; a certificate renewed
while the hub runs reaches new connections; a reverse proxy is believed only from its address.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from hub.api.app import create_app
from hub.api.serving import Certificate, HubServers, RedirectToHttps, https_host, hub_servers
from hub.bootstrap import Hub
from hub.config import ConfigError, load_settings
from hub.tls.authority import Authority, certificate_names
from hub.tls.renewal import CertificateRenewal
from tests.browser import DESKTOP, browser, text_of, wait_for
from tests.conftest import ADMIN_PASSWORD
from tests.coordinator_site import wait_for as wait_until
from tests.mqtt import open_for_broker
from tests.pg import free_port

WAIT = 60.0
SESSION_COOKIE = "cherga_console"
CSRF_COOKIE = "cherga_csrf"
HSTS = "max-age=31536000"


def trusting(ca: Path) -> ssl.SSLContext:
    """A client context that trusts ``ca`` alone (the office's CA, or an administrator's)."""
    return ssl.create_default_context(cafile=str(ca))


def wait_healthy(process: subprocess.Popen[Any], url: str, ca: Path, log: Path) -> None:
    """Wait until ``url``/healthz answers 200 over HTTPS trusting ``ca`` (the hub makes it)."""

    def healthy() -> bool:
        assert process.poll() is None, log.read_text(errors="replace")[-4000:]
        if not ca.is_file():
            return False
        try:
            return httpx.get(f"{url}/healthz", verify=trusting(ca), timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(f"the hub at {url} (log: {log})", healthy, WAIT)


@dataclass
class RunningHub:
    """A ``cherga hub`` child process and where it serves."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    http_port: int
    https_port: int
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def https(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def ca(self) -> Path:
        return self.data_dir / "tls" / "ca.crt"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    """Send ``sig``, then SIGKILL if it does not end; the exit code."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait(timeout=30)


@contextmanager
def hub_process(folder: Path, **settings: str) -> Iterator[RunningHub]:
    """``cherga hub`` with its own Mosquitto on free ports, HTTPS on; stopped by its PID."""
    folder.mkdir(parents=True, exist_ok=True)
    data_dir = folder / "data"
    open_for_broker(data_dir / "mqtt")
    http_port, https_port, mqtt_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHERGA_")}
    env.update(
        CHERGA_DATA_DIR=str(data_dir),
        CHERGA_PORT=str(http_port),
        CHERGA_HTTPS_PORT=str(https_port),
        CHERGA_MQTT_PORT=str(mqtt_port),
        CHERGA_ADMIN_PASSWORD=ADMIN_PASSWORD,
        CHERGA_PASSWORD_HASH_MEMORY_KIB="1024",
        CHERGA_PASSWORD_HASH_TIME_COST="1",
        **settings,
    )
    log = folder / "hub.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "hub"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    running = RunningHub(process, data_dir, http_port, https_port, log)
    try:
        wait_healthy(process, running.https, running.ca, log)
        yield running
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    """One hub for the tests that only read from it."""
    with hub_process(tmp_path_factory.mktemp("https-hub")) as hub:
        yield hub


def presented(hub: RunningHub) -> x509.Certificate:
    """The certificate a new TLS connection to the hub gets (verified against the office CA)."""
    with (
        socket.create_connection(("127.0.0.1", hub.https_port), timeout=5) as raw,
        trusting(hub.ca).wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def nss_home(folder: Path, ca: Path | None) -> Path:
    """A HOME whose NSS database (Chromium's trust store on Linux) trusts ``ca``, or nothing."""
    certutil = shutil.which("certutil")
    if certutil is None:
        pytest.skip("certutil is needed to trust a CA in Chromium (Debian: libnss3-tools)")
    database = folder / ".pki" / "nssdb"
    database.mkdir(parents=True)
    where = f"sql:{database}"
    subprocess.run([certutil, "-d", where, "-N", "--empty-password"], check=True, timeout=30)
    if ca is not None:
        subprocess.run(
            [certutil, "-d", where, "-A", "-n", "cherga", "-t", "C,,", "-i", str(ca)],
            check=True,
            timeout=30,
        )
    return folder


def log_in(driver: WebDriver) -> None:
    """Fill in the console's login form on the current page and wait for the console."""
    driver.find_element(By.ID, "username").send_keys("admin")
    driver.find_element(By.ID, "password").send_keys(ADMIN_PASSWORD)
    driver.find_element(By.ID, "login").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "live"), "the console")


# --- the hub process -------------------------------------------------------------------------


def test_plain_http_redirects_to_https_keeping_path_and_query(running: RunningHub) -> None:
    target = "/console/login?lang=en&next=%2Fconsole%3Fa%3D1"
    answer = httpx.get(f"{running.http}{target}", timeout=10)
    assert answer.status_code == 308
    assert answer.headers["location"] == f"{running.https}{target}"
    assert "strict-transport-security" not in answer.headers
    # The host the browser used is kept (only the port changes); a form post keeps its method.
    named = httpx.post(
        f"http://localhost:{running.http_port}/console/login", data={"a": "b"}, timeout=10
    )
    assert named.status_code == 308
    assert named.headers["location"] == f"https://localhost:{running.https_port}/console/login"
    # Followed, the redirect lands on the page over HTTPS.
    with httpx.Client(verify=trusting(running.ca), follow_redirects=True, timeout=10) as client:
        page = client.get(f"{running.http}/console/login?lang=en")
    assert page.status_code == 200 and str(page.url).startswith(running.https)
    assert page.headers["strict-transport-security"] == HSTS


def test_https_is_trusted_with_the_office_ca_only(running: RunningHub) -> None:
    answer = httpx.get(f"{running.https}/healthz", verify=trusting(running.ca), timeout=10)
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
    assert answer.headers["strict-transport-security"] == HSTS
    # The system's trust store does not know the office CA.
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{running.https}/healthz", timeout=10)
    # The certificate names what browsers and devices use to reach the hub.
    names = certificate_names(presented(running))
    assert {"127.0.0.1", "localhost", "::1"} <= set(names)


def test_a_malformed_host_is_refused_not_redirected(running: RunningHub) -> None:
    answer = httpx.get(f"{running.http}/", headers={"Host": "evil.example/x"}, timeout=10)
    assert answer.status_code == 400 and "location" not in answer.headers


def test_a_port_in_use_stops_the_start_with_one_line(running: RunningHub, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHERGA_")}
    env.update(
        CHERGA_DATA_DIR=str(tmp_path / "data"),
        CHERGA_PORT=str(free_port()),
        CHERGA_HTTPS_PORT=str(running.https_port),
        CHERGA_MQTT_PORT=str(free_port()),
        CHERGA_ADMIN_PASSWORD=ADMIN_PASSWORD,
        CHERGA_PASSWORD_HASH_MEMORY_KIB="1024",
    )
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "hub"],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == f"cherga: cannot listen on 127.0.0.1:{running.https_port}: " + (
        "Address already in use\n"
    )
    assert "Traceback" not in done.stdout + done.stderr


def test_chromium_trusting_the_ca_uses_the_console_over_https(
    running: RunningHub, tmp_path: Path
) -> None:
    with browser(DESKTOP, home=nss_home(tmp_path / "home", running.ca)) as driver:
        # Typed as plain HTTP, as people do: the browser is sent to HTTPS.
        driver.get(f"{running.http}/console/login?lang=en")
        assert driver.current_url == f"{running.https}/console/login?lang=en"
        log_in(driver)
        assert driver.current_url == f"{running.https}/console"
        cookies = {cookie["name"]: cookie for cookie in driver.get_cookies()}
        assert cookies[SESSION_COOKIE]["secure"] is True
        assert cookies[SESSION_COOKIE]["httpOnly"] is True
        assert cookies[CSRF_COOKIE]["secure"] is True
        # The back-office: the devices page and the API's reference.
        driver.get(f"{running.https}/console/devices?lang=en")
        wait_for(driver, lambda d: d.find_elements(By.ID, "live"), "the devices page")
        driver.get(f"{running.https}/docs")
        wait_for(driver, lambda d: "Cherga hub" in text_of(d, ".info .title"), "the API docs")


def test_chromium_without_the_ca_shows_a_certificate_error(
    running: RunningHub, tmp_path: Path
) -> None:
    with browser(DESKTOP, home=nss_home(tmp_path / "home", None)) as driver:
        driver.get(f"{running.https}/console/login?lang=en")
        assert "ERR_CERT_AUTHORITY_INVALID" in driver.page_source
        assert not driver.find_elements(By.ID, "username")


def test_a_renewed_certificate_is_served_without_a_restart(tmp_path: Path) -> None:
    with hub_process(tmp_path / "hub") as hub:
        folder = hub.data_dir / "tls"
        first = presented(hub)
        on_disk = x509.load_pem_x509_certificate((folder / "server.crt").read_bytes())
        assert first.serial_number == on_disk.serial_number
        # Force a renewal (the administrator's way: remove the pair and ask for a check now).
        (folder / "server.crt").unlink()
        (folder / "server.key").unlink()
        hub.process.send_signal(signal.SIGHUP)
        renewed = wait_until(
            "a new certificate on new connections",
            lambda: (cert := presented(hub)).serial_number != first.serial_number and cert,
            WAIT,
        )
        on_disk = x509.load_pem_x509_certificate((folder / "server.crt").read_bytes())
        assert renewed.serial_number == on_disk.serial_number
        # Served by the same process, started once: no restart.
        assert hub.process.poll() is None
        answer = httpx.get(f"{hub.https}/healthz", verify=trusting(hub.ca), timeout=10)
        assert answer.status_code == 200
        assert hub.output().count("Application startup complete") == 1
        assert "HTTPS now presents the certificate" in hub.output()


def test_sigterm_stops_both_listeners_and_the_broker(tmp_path: Path) -> None:
    with hub_process(tmp_path / "hub") as hub:
        broker_pid = int((hub.data_dir / "mqtt" / "mosquitto.pid").read_text())
        code = stop_process(hub.process, signal.SIGTERM)
    # A clean stop: the hub's own shutdown ran (no signal re-raised), ports and broker gone.
    assert code == 0, hub.output()
    assert "Traceback" not in hub.output()
    for port in (hub.http_port, hub.https_port):
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    wait_until("the broker gone with the hub", lambda: not Path(f"/proc/{broker_pid}").exists(), 10)


def test_ctrl_c_stops_the_hub_with_the_interrupt_code(tmp_path: Path) -> None:
    with hub_process(tmp_path / "hub") as hub:
        code = stop_process(hub.process, signal.SIGINT)
    assert code == 130, hub.output()
    assert "Traceback" not in hub.output()


# --- the listeners in-process ----------------------------------------------------------------


@contextmanager
def serving(servers: HubServers) -> Iterator[HubServers]:
    """Run ``servers`` in a thread (signals stay with pytest) until the block ends."""
    thread = threading.Thread(target=servers.run, name="hub-servers", daemon=True)
    thread.start()
    try:
        wait_until("the listeners", lambda: servers.started or not thread.is_alive(), 20)
        assert thread.is_alive(), "the listeners stopped while starting"
        yield servers
    finally:
        servers.stop()
        thread.join(20)
        servers.close()
        assert not thread.is_alive(), "the listeners did not stop"


SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


@SQLITE_ONLY
def test_behind_a_trusted_proxy_cookies_are_secure_and_hsts_sent(hub: Hub) -> None:
    settings = hub.settings.model_copy(
        update={"https": False, "port": free_port(), "forwarded_allow_ips": ["127.0.0.1"]}
    )
    with serving(HubServers(settings, create_app(hub), None)) as servers:
        assert servers.redirect_url is None
        url = f"{servers.url}/console/login?lang=en"
        proxied = httpx.get(url, headers={"X-Forwarded-Proto": "https"}, timeout=10)
        assert "secure" in proxied.headers["set-cookie"].lower()
        assert proxied.headers["strict-transport-security"] == HSTS
        plain = httpx.get(url, timeout=10)
        assert "secure" not in plain.headers["set-cookie"].lower()
        assert "strict-transport-security" not in plain.headers


@SQLITE_ONLY
@pytest.mark.parametrize("trusted", [[], ["192.0.2.10"]], ids=["nobody", "another-address"])
def test_forwarded_headers_from_an_untrusted_address_are_ignored(
    hub: Hub, trusted: list[str]
) -> None:
    settings = hub.settings.model_copy(
        update={"https": False, "port": free_port(), "forwarded_allow_ips": trusted}
    )
    with serving(HubServers(settings, create_app(hub), None)) as servers:
        forged = httpx.get(
            f"{servers.url}/console/login?lang=en",
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
            timeout=10,
        )
    assert forged.status_code == 200
    assert "secure" not in forged.headers["set-cookie"].lower()
    assert "strict-transport-security" not in forged.headers


@SQLITE_ONLY
def test_the_administrators_certificate_is_served_instead(hub: Hub, tmp_path: Path) -> None:
    office = Authority.open(tmp_path / "office")
    office.ensure_server(["127.0.0.1"])
    # The administrator's own PKI: another CA than the office's.
    theirs = Authority.open(tmp_path / "their-pki")
    issued = theirs.issue_server(["127.0.0.1", "hub.example"])
    cert, key = tmp_path / "hub.crt", tmp_path / "hub.key"
    cert.write_text(issued.cert_pem)
    key.write_text(issued.key_pem)
    key.chmod(0o600)
    settings = hub.settings.model_copy(
        update={
            "https_port": free_port(),
            "port": free_port(),
            "tls_cert_file": cert,
            "tls_key_file": key,
        }
    )
    with serving(hub_servers(settings, create_app(hub), office)) as servers:
        assert servers.certificate == Certificate(cert, key, office=False)
        answer = httpx.get(f"{servers.url}/healthz", verify=trusting(theirs.ca_file), timeout=10)
        assert answer.status_code == 200
        assert answer.headers["strict-transport-security"] == HSTS
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{servers.url}/healthz", verify=trusting(office.ca_file), timeout=10)
        redirect = httpx.get(f"{servers.redirect_url}/x?y=1", timeout=10)
        assert redirect.headers["location"] == f"{servers.url}/x?y=1"
    # A key that does not belong to the certificate: refused at start, naming the file.
    key.write_text(theirs.issue_server(["127.0.0.1"]).key_pem)
    with pytest.raises(ConfigError, match=r"hub\.crt"):
        hub_servers(settings, create_app(hub), office)


def test_the_renewal_thread_renews_when_due_and_tells_the_servers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    authority = Authority.open(tmp_path / "tls")
    names = ["127.0.0.1", "localhost"]
    authority.ensure_server(names)

    def serial() -> int:
        cert = x509.load_pem_x509_certificate(authority.server_cert_file.read_bytes())
        return cert.serial_number

    before = serial()
    seen: list[int] = []

    def broken() -> None:
        raise RuntimeError("a server that cannot reload")

    renewal = CertificateRenewal(authority, lambda: list(names), every=0.05)
    renewal.on_renewed(broken)
    renewal.on_renewed(lambda: seen.append(serial()))
    assert renewal.check() is False and seen == []
    with caplog.at_level(logging.ERROR, logger="hub.tls.renewal"):
        renewal.start()
        try:
            # The administrator adds a name: the next check makes a certificate carrying it.
            names.append("hub.example")
            wait_until("the renewal", lambda: seen, 10)
        finally:
            renewal.stop()
    assert seen[0] != before and seen[0] == serial()
    cert = x509.load_pem_x509_certificate(authority.server_cert_file.read_bytes())
    assert "hub.example" in certificate_names(cert)
    # The failing callback was logged; the one after it still ran.
    assert any("callback" in record.getMessage() for record in caplog.records)


# --- the redirect and the settings -----------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("hub.local:8000", "hub.local:8443"),
        ("Hub.Example.", "hub.example:8443"),
        ("192.168.1.20:8000", "192.168.1.20:8443"),
        ("[::1]:8000", "[::1]:8443"),
        ("[FE80::1]", "[fe80::1]:8443"),
        ("", None),
        ("evil.example/x", None),
        ("evil.example@x", None),
        ("a b", None),
        ("under_score.example", None),
        ("hub.local:", None),
        ("hub.local:99999", None),
        ("hub.local:80:80", None),
        ("hub.local:８０", None),
        ("[::1", None),
        ("[127.0.0.1]", None),
        ("[fe80::1%eth0]", None),
        ("::1", None),
    ],
)
def test_the_redirect_host_is_the_requests_with_the_https_port(
    host: str, expected: str | None
) -> None:
    assert https_host(host, 8443) == expected


def test_the_redirect_app_refuses_a_bad_host_and_keeps_the_rest() -> None:
    client = TestClient(RedirectToHttps(443))
    good = client.get(
        "/book/a%20b?lang=en&x=1", headers={"host": "hub.local:80"}, follow_redirects=False
    )
    assert good.status_code == 308
    # Port 443 is the scheme's own: left out of the address.
    assert good.headers["location"] == "https://hub.local/book/a%20b?lang=en&x=1"
    for bad in ("evil.example/x", "", "hub.local:http"):
        refused = client.get("/", headers={"host": bad}, follow_redirects=False)
        assert refused.status_code == 400 and "location" not in refused.headers


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"CHERGA_TLS_CERT_FILE": "/etc/cherga/hub.crt"}, "tls_key_file"),
        ({"CHERGA_TLS_KEY_FILE": "/etc/cherga/hub.key"}, "tls_key_file"),
        ({"CHERGA_PORT": "8443"}, "https_port"),
        ({"CHERGA_FORWARDED_ALLOW_IPS": '["*"]'}, "forwarded_allow_ips"),
        ({"CHERGA_FORWARDED_ALLOW_IPS": '["proxy.example"]'}, "forwarded_allow_ips"),
    ],
)
def test_wrong_https_settings_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], named: str
) -> None:
    for name in list(os.environ):
        if name.startswith("CHERGA_"):
            monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert named in str(caught.value) and "\n" not in str(caught.value)


def test_https_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CHERGA_"):
            monkeypatch.delenv(name)
    settings = load_settings()
    assert (settings.https, settings.port, settings.https_port) == (True, 8000, 8443)
    assert settings.forwarded_allow_ips == [] and settings.tls_cert_file is None
    monkeypatch.setenv("CHERGA_HTTPS", "false")
    monkeypatch.setenv("CHERGA_PORT", "8443")  # with HTTPS off the plain port is free to choose
    monkeypatch.setenv("CHERGA_FORWARDED_ALLOW_IPS", '["127.0.0.1", "10.0.0.0/8"]')
    settings = load_settings()
    assert settings.https is False and settings.port == 8443
    assert settings.forwarded_allow_ips == ["127.0.0.1", "10.0.0.0/8"]
