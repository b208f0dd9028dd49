"""Real receivers of alerts on loopback: an HTTP server that checks each webhook's signature as a receiver
would (`collector.alerts.webhook.verify`), and aiosmtpd as the mail server, with STARTTLS required."""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from collector.alerts.webhook import verify
from devstack.processes import free_port


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]
    signed: bool


@dataclass
class WebhookReceiver:
    """POST /hook: 204 for a signed body (kept in `received`), 401 for a bad signature; `status` forces an answer."""

    port: int = field(default_factory=free_port)
    secret: str = ""
    status: int | None = None
    received: list[Received] = field(default_factory=list)
    refused: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.status is not None:
                    receiver.refused += 1
                    self.send_response(receiver.status)
                    self.end_headers()
                    return
                signed = verify(receiver.secret, self.headers["X-MLF-Timestamp"], data, self.headers["X-MLF-Signature"])
                if signed:
                    receiver.received.append(Received(dict(self.headers), json.loads(data), signed))
                self.send_response(204 if signed else 401)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.messages.append((envelope, message_from_bytes(content, policy=policy.default)))
        return "250 OK"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (openssl from Debian)."""
    cert, key = folder / "smtp.crt", folder / "smtp.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


class SmtpReceiver:
    """aiosmtpd on loopback requiring STARTTLS; `ca_file` is what the collector must trust. `stop` then `start`
    is a mail server down for a while, back on the same port."""

    def __init__(self, folder: Path) -> None:
        self.ca_file, key = self_signed(folder)
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(self.ca_file, key)
        self.port = free_port()
        self._handler = _Collect()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[tuple[Envelope, EmailMessage]]:
        return self._handler.messages

    def start(self) -> None:
        self._controller = Controller(
            self._handler, hostname="127.0.0.1", port=self.port, tls_context=self._context, require_starttls=True
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller.loop.close()
            self._controller = None
