"""Real mail servers on loopback for tests (and the bench): an aiosmtpd SMTP sink in a
thread, and a private Dovecot IMAP server started by scripts/mail.sh.

    with smtp_sink() as sink:          # sink.port, sink.received, sink.connections
        ...
    with dovecot_running() as imap:    # imap.port, imap.add_user(name, pw), imap.append(...)
        ...
Both pick a free port in CRM_TEST_PORT_RANGE (default 14300-14399)."""

from __future__ import annotations

import contextlib
import imaplib
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    low, _sep, high = os.environ.get("CRM_TEST_PORT_RANGE", "14300-14399").partition("-")
    ports = list(range(int(low), int(high or low) + 1))
    random.shuffle(ports)
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in CRM_TEST_PORT_RANGE")


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpSink:
    port: int
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    refuse: set[str] = field(default_factory=set)  # addresses answered with 550
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.connections = 0

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        return list(self.received)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        with self.sink.lock:
            self.sink.connections += 1
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address.lower() in self.sink.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.sink.lock:
            self.sink.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted"


@contextlib.contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    port = free_port()
    sink = SmtpSink(port=port)
    controller = Controller(_Handler(sink), hostname="127.0.0.1", port=port)
    controller.start()
    sink.clear()
    try:
        yield sink
    finally:
        controller.stop()


# --- Dovecot ----------------------------------------------------------------------------------


def dovecot_available() -> bool:
    return Path("/usr/sbin/dovecot").exists() and shutil.which("bash") is not None


@dataclass
class Dovecot:
    port: int
    folder: Path
    users: list[tuple[str, str]] = field(default_factory=list)
    taken: int = 0

    def next_account(self) -> tuple[str, str]:
        """A user made at start that no test used yet (users added later may take a
        second to be seen: Dovecot re-reads its passwd-file by modification time)."""
        if self.taken >= len(self.users):
            raise RuntimeError("no unused IMAP account left: start dovecot_running(users=…) with more")
        self.taken += 1
        return self.users[self.taken - 1]

    def _env(self) -> dict[str, str]:
        users = " ".join(f"{name}:{password}" for name, password in self.users) or "crm:crm"
        return {
            **os.environ,
            "CRM_MAIL_PORT": str(self.port),
            "CRM_MAIL_DIR": str(self.folder),
            "CRM_MAIL_USERS": users,
        }

    def script(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - our own script with our own arguments
            [shutil.which("bash") or "/bin/bash", str(ROOT / "scripts" / "mail.sh"), *args],
            env=self._env(),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def add_user(self, name: str, password: str) -> None:
        self.script("adduser", name, password)

    def connect(self, name: str, password: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(name, password)
        return conn

    def append(self, name: str, password: str, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.connect(name, password)
        try:
            status, data = conn.append(folder, None, None, raw)
            if status != "OK":
                raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            conn.logout()


@contextlib.contextmanager
def dovecot_running(*, users: int = 30) -> Iterator[Dovecot]:
    """A private Dovecot on a free loopback port with its own folder (readable by the
    `dovecot` user the mail processes run as when we are root) and `users` accounts
    user1…userN (password "pw-<name>") handed out by `next_account()`."""
    folder = Path(tempfile.mkdtemp(prefix="crm-mail-"))
    folder.chmod(0o755)
    accounts = [(f"user{n}", f"pw-user{n}") for n in range(1, users + 1)]
    server = Dovecot(port=free_port(), folder=folder, users=accounts)
    server.script("start")
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.script("stop")
        shutil.rmtree(folder, ignore_errors=True)
