"""A real gunicorn serving the demo on the test database, and Debian's Chromium."""
from __future__ import annotations

import json
import os
import re
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
    def __init__(self, url: str, instance: Path, log: Path, http_url: str | None = None):
        self.url, self.instance, self.log = url, instance, log
        self.http_url = http_url  # behind the TLS proxy: its plain-HTTP port, which only redirects

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
    """Whether the module's live server is reached over HTTPS, as a municipality runs it:
    Debian's nginx terminates TLS with a throwaway certificate for 127.0.0.1, configured by
    deploy/nginx.conf, in front of gunicorn on loopback."""
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


def start_tls_proxy(directory: Path, upstream_port: int, tls_port: int, http_port: int) -> subprocess.Popen:
    """Debian's nginx in the foreground with deploy/nginx.conf as its one site: TLS on
    `tls_port`, a redirect on `http_port`, gunicorn on `upstream_port` behind it."""
    cert, key = throwaway_certificate(directory)
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    for name, value in {"UPSTREAM": f"127.0.0.1:{upstream_port}", "SERVER_NAME": "127.0.0.1",
                        "TLS_PORT": str(tls_port), "HTTP_PORT": f"127.0.0.1:{http_port}",
                        "CERTIFICATE": str(cert), "CERTIFICATE_KEY": str(key),
                        "ACCESS_LOG": str(directory / "nginx-access.log")}.items():
        site = site.replace(f"@{name}@", value)
    site = site.replace(f"listen {tls_port} ssl", f"listen 127.0.0.1:{tls_port} ssl")
    left = re.findall(r"@[A-Z_]+@", site.split("upstream tsunagi", 1)[1])
    assert not left, f"deploy/nginx.conf: placeholders not filled: {left}"
    (directory / "tsunagi-site.conf").write_text(site)
    temp = directory / "nginx-temp"
    temp.mkdir()
    main = f"""daemon off;
master_process off;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {directory}/tsunagi-site.conf;
}}
"""
    (directory / "nginx.conf").write_text(main)
    nginx = "/usr/sbin/nginx"
    subprocess.run([nginx, "-t", "-q", "-p", str(directory), "-c", str(directory / "nginx.conf")],
                   check=True, capture_output=True)
    return subprocess.Popen([nginx, "-p", str(directory), "-c", str(directory / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen, seconds: float = 20) -> None:
    """Ask a server to stop; kill it if it has not after `seconds`."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def live_server(database_url, engine, tmp_path_factory, live_server_env, live_server_tls):
    empty_database(engine)
    instance = tmp_path_factory.mktemp("instance")
    log = instance / "server.log"
    port = free_port()
    env = {**os.environ, "TSUNAGI_DATABASE_URL": database_url, "TSUNAGI_DEMO": "1",
           "TSUNAGI_INSTANCE_PATH": str(instance), "HOST": "127.0.0.1", "PORT": str(port),
           **live_server_env}
    url, context, proxy = f"http://127.0.0.1:{port}", None, None
    if live_server_tls:
        import ssl

        tls_port, http_port = free_port(), free_port()
        url = f"https://127.0.0.1:{tls_port}"
        # As deployed: one proxy in front, and the public address is https, so cookies are
        # Secure and __Host-.
        env.update(TSUNAGI_BASE_URL=url, TSUNAGI_PROXY_HOPS="1")
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    subprocess.run([bin_dir / "flask", "--app", "wsgi", "demo", "setup"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    with log.open("wb") as out:
        server = subprocess.Popen([bin_dir / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        if live_server_tls:
            proxy = start_tls_proxy(instance, port, tls_port, http_port)
            context = ssl.create_default_context(cafile=str(instance / "cert.pem"))
        wait_healthy(url, server, log, context)
        yield LiveServer(url, instance, log, http_url=f"http://127.0.0.1:{http_port}" if proxy else None)
    finally:
        if proxy is not None:
            stop(proxy)
        stop(server)
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
