"""A real gunicorn serving the demo on the test database, and Debian's Chromium."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, empty_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen, log: Path, context=None, seconds: float = 60) -> None:
    """Wait until the server at `url` answers /healthz; fail with its log if it exits."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1, context=context) as response:
                if response.status == 200:
                    return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()}") from None
            time.sleep(0.2)


class LiveServer:
    def __init__(self, url: str, instance: Path, log: Path):
        self.url, self.instance, self.log = url, instance, log

    def credentials(self) -> dict[str, dict]:
        rows = json.loads((self.instance / "demo-credentials.json").read_text())
        return {row["username"]: row for row in rows}


@pytest.fixture(scope="module")
def live_server_env() -> dict[str, str]:
    """Extra environment for the module's live server; a test module overrides this
    fixture to change settings (e.g. short kiosk idle times)."""
    return {}


@pytest.fixture(scope="module")
def live_server_tls() -> bool:
    """Whether the module's live server speaks HTTPS itself (gunicorn with a throwaway
    certificate for 127.0.0.1), as behind a municipality's TLS endpoint."""
    return False


def throwaway_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, valid for a day (cryptography)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def live_server(database_url, engine, tmp_path_factory, live_server_env, live_server_tls):
    empty_database(engine)
    instance = tmp_path_factory.mktemp("instance")
    log = instance / "server.log"
    port = free_port()
    env = {**os.environ, "TSUNAGI_DATABASE_URL": database_url, "TSUNAGI_DEMO": "1",
           "TSUNAGI_INSTANCE_PATH": str(instance), "HOST": "127.0.0.1", "PORT": str(port),
           **live_server_env}
    scheme, context = "http", None
    if live_server_tls:
        import ssl

        cert, key = throwaway_certificate(instance)
        env["GUNICORN_CMD_ARGS"] = f"--certfile={cert} --keyfile={key}"
        scheme, context = "https", ssl.create_default_context(cafile=str(cert))
        # Served over HTTPS as deployed: the public address is https, so cookies are Secure
        # and __Host-.
        env["TSUNAGI_BASE_URL"] = f"https://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    subprocess.run([bin_dir / "flask", "--app", "wsgi", "demo", "setup"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    with log.open("wb") as out:
        server = subprocess.Popen([bin_dir / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"{scheme}://127.0.0.1:{port}"
    wait_healthy(url, server, log, context)
    yield LiveServer(url, instance, log)
    server.terminate()
    server.wait(timeout=10)
    empty_database(engine)  # what the server wrote for real must not reach the next tests


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="en-US")
    yield context
    context.close()
