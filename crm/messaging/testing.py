"""A real Kannel for tests, the demo and benchmarks: bearerbox + smsbox + Kannel's fake SMSC
(the operator) on free loopback ports, started by scripts/kannel.sh.

    with kannel_running(callback_url=live_server.url) as gw:
        line = gw.make_line()           # an SmsLine that sends through it
        ...
        gw.wait_received(1)             # what "the operator" got, concatenated parts joined
        gw.inject("+989121234567", line.number, "سلام")   # an inbound SMS

In pytest, the `kannel` fixture (import `kannel_fixture` and `kannel_session` into the test
module or a conftest) gives the same object with `.line` made in the test's database; it
needs the live server (Kannel calls the CRM back), so tests using it run with a
transactional database. One Kannel per test session (per xdist worker)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "scripts" / "kannel.sh"
GOT = re.compile(r"Got message \d+: <(.*)>\s*$")
PASSWORD = "crm-kannel-test"  # noqa: S105 - a loopback-only test gateway


@dataclass
class ReceivedSms:
    """One SMS as the operator got it (the parts of a concatenated one joined)."""

    sender: str
    receiver: str
    text: str
    parts: int = 1


def free_ports(count: int) -> list[int]:
    sockets, ports = [], []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
            ports.append(sock.getsockname()[1])
    finally:
        for sock in sockets:
            sock.close()
    return ports


def _decode(data: str) -> tuple[str, bool]:
    """fakesmsc's url-encoded payload → text. UCS-2 payloads have bytes below 0x20."""
    raw = urllib.parse.unquote_to_bytes(data.replace("+", " "))
    if any(b < 0x20 and b not in (0x0A, 0x0D) for b in raw) and len(raw) % 2 == 0:
        return raw.decode("utf-16-be", "replace"), True
    return raw.decode("latin-1"), False


def parse_operator_log(text: str) -> list[ReceivedSms]:
    """The operator's log → messages, concatenated parts joined in order."""
    found: list[ReceivedSms] = []
    pending: dict[tuple[str, str, int], dict[int, str]] = {}
    totals: dict[tuple[str, str, int], int] = {}
    for line in text.splitlines():
        match = GOT.search(line)
        if not match:
            continue
        fields = match.group(1).split(" ", 3)
        if len(fields) < 4:
            continue
        sender, receiver, kind, rest = fields
        if kind == "text":
            found.append(ReceivedSms(sender, receiver, rest))
        elif kind in ("ucs-2", "ucs2"):
            raw = urllib.parse.unquote_to_bytes(rest.replace("+", " "))
            found.append(ReceivedSms(sender, receiver, raw.decode("utf-16-be", "replace")))
        elif kind == "data":
            found.append(ReceivedSms(sender, receiver, _decode(rest)[0]))
        elif kind == "udh":
            udh_text, _sep, payload = rest.partition(" ")
            _kind, _sep, data = payload.partition(" ")
            udh = urllib.parse.unquote_to_bytes(udh_text)
            text = _decode(data)[0] if _kind == "data" else data
            if len(udh) >= 6 and udh[1] == 0x00:
                ref, total, seq = udh[3], udh[4], udh[5]
                key = (sender, receiver, ref)
                pending.setdefault(key, {})[seq] = text
                totals[key] = total
                if len(pending[key]) == total:
                    chunks = pending.pop(key)
                    found.append(ReceivedSms(sender, receiver, "".join(chunks[i] for i in sorted(chunks)), total))
            else:
                found.append(ReceivedSms(sender, receiver, text))
    return found


@dataclass
class KannelGateway:
    """A running Kannel: ports, its directory, and helpers to read/feed the fake operator."""

    directory: Path
    ports: dict[str, int]
    callback_url: str
    username: str = "crm"
    password: str = PASSWORD
    number: str = "+982100001000"  # the test line's sender number
    env: dict[str, str] = field(default_factory=dict)
    _mark: int = 0
    line: Any = None
    # SQLite's in-memory test database is one connection shared with the live server's
    # thread: callbacks and the test's own queries take turns through this lock
    db_lock: Any = field(default_factory=contextlib.nullcontext)
    accepting: bool = True  # callbacks between tests are refused (503), not half-stored
    in_flight: int = 0
    flight: Any = field(default_factory=threading.Condition)

    def close_gate(self, timeout: float = 60) -> None:
        """Refuse new callbacks and wait for those running (before the database is flushed)."""
        with self.flight:
            self.accepting = False
            self.flight.wait_for(lambda: self.in_flight == 0, timeout=timeout)

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['sendsms']}"

    def line_config(self) -> dict[str, Any]:
        return {"url": self.sendsms_url, "username": self.username, "callback_url": self.callback_url}

    def make_line(self, **extra: Any) -> Any:
        """An SmsLine in the current database that sends through this Kannel."""
        from crm.messaging.models import SmsLine

        values = {
            "name": "Kannel (test)",
            "number": self.number,
            "provider": "kannel",
            "config": self.line_config(),
            "secret": self.password,
            "is_default": True,
            **extra,
        }
        return SmsLine.objects.create(**values)

    def _log(self) -> bytes:
        path = self.directory / "operator.log"
        return path.read_bytes() if path.exists() else b""

    def reset(self) -> None:
        """Forget what the operator received so far (received() starts from here)."""
        self._mark = len(self._log())

    def received(self) -> list[ReceivedSms]:
        return parse_operator_log(self._log()[self._mark :].decode("utf-8", "replace"))

    def received_parts(self) -> int:
        return sum(1 for line in self._log()[self._mark :].decode("utf-8", "replace").splitlines() if GOT.search(line))

    def wait_received(self, count: int, timeout: float = 60) -> list[ReceivedSms]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.received()
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.05)

    def inject(self, from_: str, to: str, text: str) -> None:
        """An inbound SMS, sent by the fake operator to Kannel (which calls the CRM)."""
        subprocess.run(["/bin/bash", str(SCRIPT), "inject", from_, to, text], env=self.env, check=True, timeout=30)  # noqa: S603

    def script(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 - our own script, fixed arguments
            ["/bin/bash", str(SCRIPT), command], env=self.env, check=False, timeout=60, capture_output=True, text=True
        )


@contextlib.contextmanager
def kannel_running(
    *, callback_url: str, secret: str | None = None, directory: str | Path | None = None
) -> Iterator[KannelGateway]:
    """Start Kannel on free loopback ports (stopped on exit). `secret`: the callbacks'
    shared secret (default: this process's `callback_secret()`)."""
    if secret is None:
        from crm.messaging.callbacks import callback_secret

        secret = callback_secret()
    own_dir = directory is None
    path = Path(directory or tempfile.mkdtemp(prefix="crm-kannel-"))
    admin, box, sendsms, smsc, inject = free_ports(5)
    ports = {"admin": admin, "box": box, "sendsms": sendsms, "smsc": smsc, "inject": inject}
    env = {
        **os.environ,
        "CRM_KANNEL_DIR": str(path),
        "CRM_KANNEL_ADMIN_PORT": str(admin),
        "CRM_KANNEL_BOX_PORT": str(box),
        "CRM_KANNEL_SENDSMS_PORT": str(sendsms),
        "CRM_KANNEL_SMSC_PORT": str(smsc),
        "CRM_KANNEL_INJECT_PORT": str(inject),
        "CRM_KANNEL_PASSWORD": PASSWORD,
        "CRM_KANNEL_CALLBACK_URL": callback_url.rstrip("/"),
        "CRM_SMS_CALLBACK_SECRET": secret,
    }
    gateway = KannelGateway(directory=path, ports=ports, callback_url=callback_url.rstrip("/"), env=env)
    started = gateway.script("start")
    if started.returncode != 0:
        gateway.script("stop")
        raise RuntimeError(f"Kannel did not start: {started.stdout}\n{started.stderr}")
    try:
        yield gateway
    finally:
        gateway.script("stop")
        if own_dir:
            for child in path.glob("*"):
                with contextlib.suppress(OSError):
                    child.unlink()
            with contextlib.suppress(OSError):
                path.rmdir()


def kannel_available() -> bool:
    return Path("/usr/sbin/bearerbox").exists() and Path("/usr/lib/kannel/test/fakesmsc").exists()


def _guard_live_server(live_server: Any, gateway: KannelGateway) -> None:
    """Callbacks wait for the test's turn on SQLite, and get a 503 between tests."""
    from django.db import connection, connections

    shared = connection.vendor == "sqlite"
    if shared:
        gateway.db_lock = threading.RLock()
    # Kannel fires hundreds of callbacks at once; the live server opens a database
    # connection per request thread: let a few in at a time, like a real server's workers
    slots = threading.BoundedSemaphore(8)
    httpd = live_server.thread.httpd
    app = httpd.get_app()

    def guarded(environ: dict[str, Any], start_response: Any) -> Any:
        with gateway.flight:
            if not gateway.accepting:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"between tests"]
            gateway.in_flight += 1
        try:
            with slots, gateway.db_lock:
                try:
                    return list(app(environ, start_response))
                finally:
                    if not shared:  # Kannel keeps its connections alive: so would each thread's
                        connections.close_all()
        finally:
            with gateway.flight:
                gateway.in_flight -= 1
                gateway.flight.notify_all()

    httpd.set_app(guarded)


_sessions: dict[str, KannelGateway] = {}


@pytest.fixture(scope="session")
def kannel_session(live_server: Any) -> Iterator[KannelGateway]:
    """One Kannel per live server: test modules that each import this fixture get their own
    fixture definition, and they all share the first one's gateway."""
    if not kannel_available():
        pytest.skip("Kannel is not installed (Debian packages kannel, kannel-extras)")
    if live_server.url in _sessions:
        yield _sessions[live_server.url]
        return
    with kannel_running(callback_url=live_server.url) as gateway:
        _guard_live_server(live_server, gateway)
        _sessions[live_server.url] = gateway
        try:
            yield gateway
        finally:
            _sessions.pop(live_server.url, None)


@pytest.fixture(name="kannel")
def kannel_fixture(kannel_session: KannelGateway, transactional_db: Any) -> Iterator[KannelGateway]:
    """A running Kannel with `.line` (an SmsLine through it) in this test's database.
    Callbacks are let in only while the test runs (a late one after it gets a 503)."""
    with kannel_session.db_lock, kannel_session.flight:
        kannel_session.accepting = True
        kannel_session.reset()
        kannel_session.line = kannel_session.make_line()
    yield kannel_session
    kannel_session.close_gate()
